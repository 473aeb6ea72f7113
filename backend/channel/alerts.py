"""Replenishment alerts, raised by background jobs as data arrives (the rules are `rules.py`):

- stock_out: a store's latest count of one of our models says 0 while the model sells at the
  region's stores (`region_units`: per store and week, the warranty cards where the store
  registers cards — it has a clerk — else the units its promoter or owner declared; never both,
  which would count a clerk's store's sales twice when its promoter declares them too). Only the
  (store, model) pairs a transaction's new counts of 0 named are evaluated: an old 0 of another
  model at the store is not raised again because something else was counted 0 today. Scope
  "s<store id>", the count's business week, the count as evidence. These sync to the reps of the
  store's territory (entity `channel_alert`), who see them on Today.
- cover_low / cover_high: a region's weeks of cover of a model (`figures.stock_and_sales`, the
  numbers the stock screen shows) below or above the thresholds. Scope "r<region id>", the
  current business week.

Each is raised once per (kind, model, store or region, week): the table's unique key. A region
low on cover all month makes one alert a week, not one per card.

How the jobs are asked for: nobody who writes counts, cards or shipments calls in here (the
sellout and warranty domains do not know the channel exists). A transaction state (`CHECKS`,
registered by `channel.init_app`) looks at what each flush wrote:

- new `ShopStockCount`s with on_hand 0 → `check_store_stock(store_id, product_ids)`, once per
  (store, model) a transaction (one job per store and flush: the models first noticed in it);
- a new or changed `WarrantyCard` → `check_cover()`;

and a listener on the session's statements sees the shipment import's bulk INSERTs (Core
statements, never flushed objects) → `check_cover()`. Both jobs are recorded with the
transaction (`jobs.after_commit`: a rollback drops them) and delayed
`CHANNEL_ALERT_DELAY_SECONDS`, so the batches of a sync push, or an import's chunks, share one
run: `check_cover()` takes no arguments, so every transaction in the window joins the one
pending run; `check_store_stock` joins the pending run of the same store and models. Besides, the
housekeeping task "channel-alerts" evaluates every region and model each `HOUSEKEEPING_SECONDS`
(hourly by default, so weeks that turn over and sales that age out of the window are seen even
on a day without data), and `raise_all()` does everything at once (demo data, after a rebuild).
A bulk load whose data is partial until its end (the demo seed: its rollups are rebuilt at the
end) asks for no job while inside `core.transaction.checks_held`, and calls `raise_all()` after.

Both jobs read only the rollups and the store's latest counts, and are idempotent: a run that
finds an alert raised already leaves it.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import case, event, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..auth.models import Role, User
from ..catalogue.models import Product
from ..core.auth import check_role
from ..core.errors import Conflict, NotFound
from ..core.timeutil import business_date, utcnow
from ..core.transaction import TransactionState, checks_are_held
from ..extensions import db
from ..jobs import after_commit, job
from ..jobs.periodic import periodic
from ..org.models import Region, Territory
from ..sellout.models import ShopStockCount
from ..sellout.service import latest_counts
from ..stores.models import Store
from ..stores.service import store_scope, visible_store
from ..warranty.models import Shipment, ShipmentImport, WarrantyCard
from . import figures, rules
from .models import AlertKind, ChannelAlert, StoreSellOutWeek
from .rollup import import_ended, registers_cards

# --- noticing what may raise an alert -------------------------------------------------------------

_COVER = "cover"  # in the noted set: check_cover is asked for already


def _notice(session: Session) -> None:
    """After a flush: ask for the checks what it wrote calls for (once per store, once for cover)."""
    if checks_are_held(session):
        return
    noted = None
    zeros: dict[int, set[int]] = {}  # store → models counted 0 first in this flush
    for obj in session.new:
        if isinstance(obj, ShopStockCount) and obj.on_hand == 0:
            noted = CHECKS.get(session) if noted is None else noted
            if (obj.store_id, obj.product_id) not in noted:
                noted.add((obj.store_id, obj.product_id))
                zeros.setdefault(obj.store_id, set()).add(obj.product_id)
        elif isinstance(obj, WarrantyCard):
            noted = CHECKS.get(session) if noted is None else noted
            _ask_cover(session, noted)
    for obj in session.dirty:
        if isinstance(obj, WarrantyCard) and session.is_modified(obj, include_collections=False):
            noted = CHECKS.get(session) if noted is None else noted
            _ask_cover(session, noted)
        elif isinstance(obj, ShipmentImport) and import_ended(obj):
            # The import's end folds its last units into the stock (rollup.fold_pending): check
            # the cover on what it now says, not on what the last batch's check saw.
            noted = CHECKS.get(session) if noted is None else noted
            _ask_cover(session, noted)
    for store_id, product_ids in sorted(zeros.items()):
        after_commit(check_store_stock, store_id, sorted(product_ids), session=session, delay=_delay())


def _ask_cover(session: Session, noted: set) -> None:
    if _COVER not in noted:
        noted.add(_COVER)
        after_commit(check_cover, session=session, delay=_delay())


def _notice_shipments(orm_execute_state) -> None:
    """Before a statement runs: an INSERT into shipments (the import loader's bulk inserts)."""
    if not orm_execute_state.is_insert:
        return
    table = getattr(orm_execute_state.statement, "table", None)
    if getattr(table, "name", None) != Shipment.__tablename__:  # insert(Shipment) names an annotated copy
        return
    session = orm_execute_state.session
    if not checks_are_held(session):
        _ask_cover(session, CHECKS.get(session))


def _delay() -> float:
    return current_app.config["CHANNEL_ALERT_DELAY_SECONDS"]


def _done(session: Session, noted: set) -> None:
    """After the commit: the jobs are recorded; the next transaction asks afresh."""


CHECKS = TransactionState("channel_alert_checks", set, after_flush=_notice, after_commit=_done)
"""The checks the open transaction has asked for already: (store id, model id) pairs, and `_COVER` (dropped at
its commit or rollback, so a session's next transaction asks for its own)."""


def register() -> None:
    """Notice counts, cards and shipments in every transaction (once per process)."""
    CHECKS.register()
    if not event.contains(Session, "do_orm_execute", _notice_shipments):
        event.listen(Session, "do_orm_execute", _notice_shipments)


# --- raising them --------------------------------------------------------------------------------


def _regions_of_stores(store_ids) -> dict[int, int]:
    stmt = select(Store.id, Territory.region_id).join(Territory, Territory.id == Store.territory_id)
    return dict(db.session.execute(stmt.where(Store.id.in_(list(store_ids)))).all())


def region_units(pairs: set[tuple[int, int]], today: date | None = None) -> dict[tuple[int, int], int]:
    """Units of (region, model) pairs sold at each region's stores over the last
    CHANNEL_SALES_WEEKS complete weeks before today's week, in one grouped query: "the region
    sells the model" of a stock-out. Per store and week, the store's warranty cards where it
    registers cards (a clerk works there, as `service.disagreements` decides), else the units
    its promoter or owner declared — one figure per store-week, never cards plus declared (a
    clerk's store whose promoter also declares would count each sale twice). Where the buyers
    are, whichever channel shipped the units: unlike `figures.stock_and_sales`, which follows
    the units' shipment region."""
    if not pairs:
        return {}
    first, this_week = figures.sales_window(today)
    w = StoreSellOutWeek
    units = case((registers_cards(w.store_id), w.card_units), else_=w.declared_units)
    stmt = (
        select(Territory.region_id, w.model_key, func.sum(units))
        .join(Store, Store.id == w.store_id)
        .join(Territory, Territory.id == Store.territory_id)
        .where(
            Territory.region_id.in_({r for r, _ in pairs}),
            w.model_key.in_({f"p{p}" for _, p in pairs}),  # an index range per model (model_key, week)
            w.week_start >= first,
            w.week_start < this_week,
        )
        .group_by(Territory.region_id, w.model_key)
    )
    found = {(region, int(key[1:])): int(n or 0) for region, key, n in db.session.execute(stmt)}
    return {pair: n for pair, n in found.items() if pair in pairs}


def stock_out_alerts(store_id: int, product_ids=None, today: date | None = None) -> list[ChannelAlert]:
    """Raise the stock-out alerts of a store: each of these models (the ones its new counts of
    0 named) whose latest count there is 0 while the store's region sells it. Returns those
    raised now (not those raised before). `product_ids` None: every model whose latest count is
    0 (a job recorded before the models were passed)."""
    zeros = [c for c in latest_counts([store_id]) if c.on_hand == 0]
    if product_ids is not None:
        zeros = [c for c in zeros if c.product_id in set(product_ids)]
    return _raise_stock_outs(zeros, today)


def _raise_stock_outs(zeros: list, today: date | None) -> list[ChannelAlert]:
    """The stock-out alerts of these latest counts of 0 (any stores), each unless raised already
    for its (model, store, week): a few grouped queries whatever their number."""
    region_of = _regions_of_stores({c.store_id for c in zeros}) if zeros else {}
    zeros = [c for c in zeros if c.store_id in region_of]  # a store gone since
    if not zeros:
        return []
    cfg = current_app.config
    weeks = cfg["CHANNEL_SALES_WEEKS"]
    pairs = {(region_of[c.store_id], c.product_id) for c in zeros}
    units_of = region_units(pairs, today)
    found = figures.stock_and_sales({r for r, _ in pairs}, {p for _, p in pairs}, today)
    a = ChannelAlert
    raised_before = set(
        db.session.execute(
            select(a.product_id, a.scope_key, a.week_start).where(
                a.kind == AlertKind.STOCK_OUT,
                a.scope_key.in_({f"s{c.store_id}" for c in zeros}),
                a.product_id.in_({c.product_id for c in zeros}),
            )
        ).all()
    )
    raised = []
    for count in sorted(zeros, key=lambda c: (c.store_id, c.product_id)):
        region_id = region_of[count.store_id]
        units = units_of.get((region_id, count.product_id), 0)
        if not rules.stock_out_alert(count.on_hand, units, cfg):
            continue
        key = (count.product_id, f"s{count.store_id}", figures.week_of(business_date(count.counted_at)))
        if key in raised_before:
            continue
        raised_before.add(key)
        fig = found.get((region_id, count.product_id))
        stock = fig.stock if fig is not None else 0
        weekly = units / weeks if weeks > 0 else 0.0
        alert = ChannelAlert(
            kind=AlertKind.STOCK_OUT,
            product_id=count.product_id,
            region_id=region_id,
            store_id=count.store_id,
            scope_key=key[1],
            week_start=key[2],
            stock=stock,
            weekly_sales=weekly,
            cover_weeks=rules.cover_weeks(stock, weekly),
            count_id=count.id,
            created_at=utcnow(),
        )
        if _add_once(alert):
            raised.append(alert)
    return raised


def _add_once(alert: ChannelAlert) -> bool:
    """Add a stock-out alert the caller found not raised yet, unless a concurrent run has just
    raised it (the unique key decides, in a savepoint).

    Through the ORM, not INSERT … ON CONFLICT: the change log (sync) notices flushed objects
    only, and a stock-out must reach the store's reps."""
    try:
        with db.session.begin_nested():
            db.session.add(alert)
    except IntegrityError:
        return False
    return True


def latest_zero_counts() -> list:
    """Every store's latest count of each model (as `sellout.service.latest_counts` orders them),
    where it is 0: one pass over the counts."""
    c = ShopStockCount
    order = (c.counted_at.desc(), c.received_at.desc(), c.id.desc())
    rank = func.row_number().over(partition_by=(c.store_id, c.product_id), order_by=order).label("rank")
    ranked = select(c.id, c.store_id, c.product_id, c.on_hand, c.counted_at, rank).subquery()
    stmt = select(ranked.c.id, ranked.c.store_id, ranked.c.product_id, ranked.c.on_hand, ranked.c.counted_at)
    return list(db.session.execute(stmt.where(ranked.c.rank == 1, ranked.c.on_hand == 0)))


def cover_alerts(region_ids=None, product_ids=None, today: date | None = None) -> list[dict]:
    """Raise the cover alerts of these regions and models (all by default), for today's week.
    Returns the values of those raised now.

    One multi-row INSERT … ON CONFLICT DO NOTHING (per thousand rows): once per (kind, model,
    region, week) whatever the number of runs, concurrent ones included; RETURNING tells which
    were new. (Cover alerts do not sync to phones, so the change log need
    not see them.)"""
    cfg = current_app.config
    today = today or figures.business_today()
    week = figures.week_of(today)
    rows = []
    for (region_id, product_id), fig in sorted(figures.stock_and_sales(region_ids, product_ids, today).items()):
        kind = rules.cover_alert(fig.stock, fig.weekly_sales, cfg)
        if kind is None:
            continue
        rows.append(
            {
                "kind": kind,
                "product_id": product_id,
                "region_id": region_id,
                "store_id": None,
                "scope_key": f"r{region_id}",
                "week_start": week,
                "stock": fig.stock,
                "weekly_sales": fig.weekly_sales,
                "cover_weeks": rules.cover_weeks(fig.stock, fig.weekly_sales),
                "count_id": None,
                "created_at": utcnow(),
            }
        )
    raised = []
    dialect_insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    a = ChannelAlert
    for start in range(0, len(rows), _INSERT_ROWS):
        chunk = rows[start : start + _INSERT_ROWS]
        stmt = dialect_insert(a).values(chunk).on_conflict_do_nothing().returning(a.kind, a.product_id, a.region_id)
        inserted = {(kind, product, region) for kind, product, region in db.session.execute(stmt)}
        raised += [r for r in chunk if (r["kind"], r["product_id"], r["region_id"]) in inserted]
    return raised


_INSERT_ROWS = 1000
"""Rows of one multi-row INSERT of cover alerts (11 parameters a row: well within SQLite's
32,766 and PostgreSQL's 65,535 a statement)."""


@job(light=True)  # short, asked for by sync pushes: run in the rq worker itself, no fork
def check_store_stock(store_id: int, product_ids: list[int] | None = None) -> int:
    """The job: a store counted 0 of these models. Returns the alerts raised."""
    raised = len(stock_out_alerts(store_id, product_ids))
    db.session.commit()
    return raised


@job(light=True)
def check_cover() -> int:
    """The job: shipments or cards changed the channel's stock. Returns the alerts raised."""
    raised = len(cover_alerts())
    db.session.commit()
    return raised


@periodic("channel-alerts")
def cover_check_task() -> str:
    """Every region and model again, so a week that turns over is seen without new data."""
    return f"{check_cover()} cover alerts raised"


def raise_all(today: date | None = None) -> int:
    """Every alert the data shows now: cover for all regions and models, stock-outs for every
    store whose latest count of a model is 0 (seed data, after a rebuild). Commits; returns
    the number raised."""
    raised = len(cover_alerts(today=today))
    raised += len(_raise_stock_outs(latest_zero_counts(), today))
    db.session.commit()
    return raised


# --- reading them ----------------------------------------------------------------------------------

READERS = (Role.REP, Role.MANAGER, Role.HQ, Role.ADMIN)
DECIDERS = (Role.MANAGER, Role.HQ, Role.ADMIN)


def alerts_query(actor: User, filters: dict):
    """The alerts `actor` may see, filtered, newest first: HQ all; a manager their region's (a
    region_id of another region is the same 404 as one that does not exist); a rep the stock-outs
    of their territory's stores. Clerks: 403."""
    check_role(actor, *READERS)
    a = ChannelAlert
    stmt = select(a)
    region_id = filters.get("region_id")
    if actor.role == Role.MANAGER:
        if region_id not in (None, actor.region_id):
            raise _no_region(region_id)
        stmt = stmt.where(a.region_id == actor.region_id)
    elif actor.role == Role.REP:
        stmt = stmt.where(a.kind == AlertKind.STOCK_OUT, a.store_id.in_(select(Store.id).where(store_scope(actor))))
    if region_id is not None:
        if actor.sees_everything and db.session.get(Region, region_id) is None:
            raise _no_region(region_id)
        stmt = stmt.where(a.region_id == region_id)
    if filters.get("store_id") is not None:
        visible_store(actor, filters["store_id"])
        stmt = stmt.where(a.store_id == filters["store_id"])
    for name in ("kind", "product_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(a, name) == filters[name])
    if filters.get("acknowledged") is not None:
        ack = a.acknowledged_at.is_not(None)
        stmt = stmt.where(ack if filters["acknowledged"] else ~ack)
    return stmt.order_by(a.created_at.desc(), a.id.desc())


def _no_region(region_id: int) -> NotFound:
    return NotFound(
        f"No region {region_id}.", field="region_id", reason="region.not_found", params={"region_id": region_id}
    )


def describe_alerts(alerts: list[ChannelAlert]) -> list[dict]:
    """The alerts with the names of their models, regions and stores (one query each)."""
    if not alerts:
        return []
    products = {
        p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_({a.product_id for a in alerts})))
    }
    regions = dict(
        db.session.execute(select(Region.id, Region.name).where(Region.id.in_({a.region_id for a in alerts}))).all()
    )
    store_ids = {a.store_id for a in alerts} - {None}
    stores = (
        dict(db.session.execute(select(Store.id, Store.name).where(Store.id.in_(store_ids))).all()) if store_ids else {}
    )
    out = []
    for a in alerts:
        item = {c.key: getattr(a, c.key) for c in ChannelAlert.__table__.columns}
        product = products.get(a.product_id)
        item["model_code"] = product.model_code if product else None  # the client says "unknown model"
        item["product_name"] = product.name if product else None
        item["product_name_en"] = (product.name_en or product.name) if product else None  # as the screens
        item["region_name"] = regions.get(a.region_id)
        item["store_name"] = stores.get(a.store_id)
        out.append(item)
    return out


def visible_alert(actor: User, alert_id: int) -> ChannelAlert:
    alert = db.session.scalar(alerts_query(actor, {}).where(ChannelAlert.id == alert_id))
    if alert is None:
        raise NotFound(f"No alert {alert_id}.", reason="alert.not_found", params={"alert_id": alert_id})
    return alert


def acknowledge(actor: User, alert_id: int) -> ChannelAlert:
    """HQ, or the manager of the alert's region, has seen to it. Through the ORM, so the change
    log tells the store's reps (their Today card drops it)."""
    check_role(actor, *DECIDERS)
    alert = visible_alert(actor, alert_id)
    if alert.acknowledged_at is not None:
        raise Conflict(f"Alert {alert_id} was acknowledged already.", reason="alert.acknowledged")
    alert.acknowledged_by = actor.id
    alert.acknowledged_at = utcnow()
    db.session.flush()
    return alert
