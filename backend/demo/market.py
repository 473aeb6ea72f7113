"""HQ's market view of the seeded month: our models' rivals, the price rollups and their alerts.

Each of our active models gets as rivals the (up to three) competitor models nearest in list price,
within a quarter of it. The price cells are then computed from the month's observations by the
market domain's own `rebuild_cells`, which also raises the price-drop alerts the two sharp price
cuts of the month (see `catalogue`) cause: reps watch a cut model more closely around the cut
(`_watch_the_cuts`), so both weeks have enough observations for an alert. Draws nothing from the
run's random generator (a generator of its own).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, insert, select

from ..catalogue.models import CompetitorModel, Product
from ..core.timeutil import business_date, business_zone
from ..extensions import db
from ..intel.models import PriceObservation
from ..market.models import PriceAlert, PriceCell
from ..market.rollup import rebuild_cells
from ..stores.models import StoreStatus
from .aftersales import own_rng
from .context import Context
from .intel import _retail_price


def make_market(ctx: Context) -> None:
    """Rivals of our models (competitor models within a quarter of the price), the price
    rollups and the alerts they raise."""
    _watch_the_cuts(ctx)
    cmodels = list(db.session.scalars(select(CompetitorModel).where(CompetitorModel.active)))
    for product in db.session.scalars(select(Product).where(Product.active)):
        price = float(product.list_price)
        close = sorted(
            (m for m in cmodels if m.list_price and abs(float(m.list_price) - price) <= 0.25 * price),
            key=lambda m: abs(float(m.list_price) - price),
        )
        product.rival_model_ids = [m.id for m in close[:3]]
    db.session.commit()
    rebuild_cells()
    ctx.summary["price_cells"] = db.session.scalar(select(func.count()).select_from(PriceCell))
    ctx.summary["price_alerts"] = db.session.scalar(select(func.count()).select_from(PriceAlert))


def _watch_the_cuts(ctx: Context) -> None:
    """Reps keep an eye on a model whose price was cut in their region: in the week of the cut and
    the week before, visits there that noted two or three prices note that model too, until each
    week has a few more observations than a price-drop alert needs (PRICE_ALERT_MIN_OBS_WEEK).
    Without them the cuts stayed under the minimum and HQ's alert list was empty. The prices follow
    the same story as the visits' (`intel._price`), from a generator of this step's own."""
    rng = own_rng(ctx, "market")
    wanted = current_app.config["PRICE_ALERT_MIN_OBS_WEEK"] + 4
    zone = business_zone()
    noted: dict = {}
    for p in ctx.prices:
        noted.setdefault(p["visit_id"], set()).add(p["competitor_model_id"] or ("p", p["product_id"]))
    models = {m.key: m for m in ctx.models}
    store_region = {s.id: s.region_id for s in ctx.stores}
    visits = [(v, rep) for rep in ctx.reps for v in ctx.visits_by_rep.get(rep.user_id, [])]
    added = []
    for (key, region_id), (cut_day, factor) in sorted(ctx.price_cuts.items()):
        m = models[key]
        for first in (cut_day - timedelta(days=7), cut_day):
            days = {first + timedelta(days=i) for i in range(7)}
            seen = sum(
                1
                for p in ctx.prices
                if p["competitor_model_id"] == m.competitor_model_id
                and business_date(p["observed_at"], zone) in days
                and store_region[p["store_id"]] == region_id
            )
            candidates = [
                (v, rep)
                for v, rep in visits
                if rep.region_id == region_id
                and business_date(v["checked_in_at"], zone) in days
                and v["_store"].status == StoreStatus.ACTIVE
                and 2 <= len(noted.get(v["id"], ())) <= 3
                and m.competitor_model_id not in noted[v["id"]]
            ]
            rng.shuffle(candidates)
            for v, rep in candidates[: max(0, wanted - seen)]:
                store = v["_store"]
                day = business_date(v["checked_in_at"], zone)
                frac = (day - ctx.start).days / max(1, ctx.days)
                value = m.list_price * ctx.region_factor[(key, region_id)] * (1 - m.drift * frac)
                if day >= cut_day:
                    value *= factor
                shelf = _retail_price(value * (1 + store.price_bias + rng.gauss(0, 0.006)))
                observed = v["checked_in_at"] + timedelta(minutes=rng.uniform(3, 12))
                added.append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                        "rep_id": rep.user_id,
                        "store_id": store.id,
                        "visit_id": v["id"],
                        "product_id": None,
                        "competitor_model_id": m.competitor_model_id,
                        "shelf_price": Decimal(shelf),
                        "promo_price": None,
                        "promo_text": "",
                        "observed_at": observed.replace(microsecond=0),
                        "received_at": max(observed, v["received_at"]).replace(microsecond=0),
                    }
                )
                noted[v["id"]].add(m.competitor_model_id)
    if added:
        db.session.execute(insert(PriceObservation), added)
        ctx.prices += added
        ctx.summary["price_observations"] = ctx.summary.get("price_observations", 0) + len(added)
