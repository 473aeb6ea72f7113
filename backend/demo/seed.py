"""`flask seed-demo`: a believable organisation in southern China with a month of field history.

Five regions (大区) of two to four territories (片区) each around real cities; channel partners of
every kind; about 480 stores scattered around real neighbourhoods; our own products, competitors'
models, promo materials and the VI checklist; users of every role; and for every rep the working
days of the last month: store rounds in a sensible order, display checks, competitor and own
prices, promo-material stock, and a handful of intel reports waiting for review.

Everything is drawn from one `random.Random(seed)`, record ids included, so the same seed on the
same day gives the same data. Rows are built in memory and inserted in bulk; a full run takes a
few seconds on SQLite. It assumes an empty database (`flask seed-demo --if-empty` checks that).

Demo logins, all with the password ``demo1234`` (see `DEMO_LOGINS`):
admin (admin), hq (HQ), manager.gd (manager of 广东大区), rep.gz (rep in 广州天河片区),
clerk.gz (clerk at 星澜手机专卖店 天河城店).

Each domain's data is made by its own module of `backend.demo` (`org`, `catalogue`, `stores`,
`auth`, `visits` with `intel` and `stock`, `warranty`, `channel`, `aftersales`, `training`,
`market`, `routes`), whose functions take the run's shared `context.Context`; `seed_demo` below
calls them in order. The order is part of the data: every step draws from the same random
sequence (`aftersales` and `training` each from a generator of their own, seeded from it without
drawing, so the steps after them are as they were before they came). This module keeps the names others
import (`seed_demo`, `PASSWORD`, `DEMO_LOGINS`, `REGIONS`, the catalogue's constants).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ..core.transaction import checks_held
from ..extensions import db
from . import aftersales, auth, catalogue, channel, intel, market, org, routes, stores, training, visits, warranty
from .auth import DEMO_LOGINS, PASSWORD
from .catalogue import CHECKLIST, COMPETITORS, MATERIALS, OUR_PRODUCTS, checklist_items, promo_materials
from .context import BRAND, Context
from .day_so_far import make_today
from .geography import GEOGRAPHY, REGIONS
from .photos import make_photos, make_photos_today
from .tasks import make_tasks

__all__ = [
    "BRAND",
    "CHECKLIST",
    "COMPETITORS",
    "DEMO_LOGINS",
    "GEOGRAPHY",
    "MATERIALS",
    "OUR_PRODUCTS",
    "PASSWORD",
    "REGIONS",
    "checklist_items",
    "promo_materials",
    "seed_demo",
]


def seed_demo(
    seed: int = 2026,
    echo: Callable[[str], None] = print,
    *,
    days: int = 30,
    scale: float = 1.0,
    today: date | None = None,
) -> dict[str, int]:
    """Fill an empty database with the demo organisation and `days` days of history up to
    yesterday, a day of the business zone (BUSINESS_TIMEZONE). `scale` multiplies the number of
    stores (tests use a small one). The same seed and `today` give the same data.
    Returns counts by kind, e.g. {"stores": 481, ...}."""
    ctx = Context.create(seed, echo, days, scale, today)
    # No alert check while the history loads: the channel's and the quality rollups are rebuilt
    # at its end, and a check run meanwhile (on an rq worker) would read half of them;
    # aftersales and make_rollups_and_alerts raise every alert the finished data shows.
    with checks_held(db.session):
        echo("Regions, territories and partners…")
        org.make_org(ctx)
        echo("Catalogue…")
        catalogue.make_catalogue(ctx)
        echo("Stores…")
        stores.make_stores(ctx)
        echo("Users…")
        auth.make_users(ctx)
        echo("Store contacts…")
        stores.make_contacts(ctx)
        db.session.commit()
        echo(f"Visits of the last {days} days…")
        visits.make_history(ctx)  # with each visit's prices (intel) and promo stock (stock)
        echo("Intel reports…")
        intel.make_intel(ctx)
        db.session.commit()
        echo("Warranty cards, shipments and spot checks…")
        warranty.make_warranty(ctx)
        db.session.commit()
        echo("The channel: half a year of shipments and sell-out, shop stock and sell-out reports…")
        channel.make_channel(ctx)
        db.session.commit()
        echo("三包 returns, exchanges and repairs; promoters' training…")
        aftersales.make_aftersales(ctx)  # draws from a generator of its own, as training does
        training.make_training(ctx)
        db.session.commit()
        echo("Display photos (one recycled from another store)…")
        make_photos(ctx)  # before the tasks: a task done at a visit shows that visit's photo
        db.session.commit()
        echo("Tasks for reps: open, overdue, done at visits; HQ's campaign…")
        make_tasks(ctx)
        db.session.commit()
    channel.make_rollups_and_alerts(ctx)
    echo("Price rollups, alerts and visit plans…")
    market.make_market(ctx)
    routes.make_plans(ctx)
    db.session.commit()
    echo("Today so far: 广东大区's visits, the reps' phones' last sync…")
    make_today(ctx)
    make_photos_today(ctx)
    db.session.commit()
    return ctx.summary
