"""HQ's early-life quality alert, raised as data arrives and stored (`QualityAlert`).

The rule (`quality.early_life`): a model in its first QUALITY_ALERT_WEEKS weeks on sale (from its
launch date, else from its first card) whose returns + exchanges per 1,000 units sold since then
exceed QUALITY_ALERT_RATE_PER_1000 (strictly), once QUALITY_ALERT_MIN_UNITS units have sold. It is
evaluated for every region together (scope "all": HQ's alert) and for each region (scope
"r<id>": the region's manager's), from the quality rollup (`quality_rollup.py`).

How the job is asked for: nobody who records an event or a card calls in here. A transaction state
(`CHECKS`, registered by `aftersales.init_app`) looks at each flush: a new return or exchange, a
new card (the units may pass the minimum while the rate is above the threshold), or a card voided
or corrected to another model or store (fewer units where it was: the rate rises; the model it
left is checked too) asks for `check_quality(product_id)` with the transaction
(`jobs.after_commit`: a rollback drops it), delayed CHANNEL_ALERT_DELAY_SECONDS (the replenishment
alerts' delay), so the batches of a sync push share one run. The job reads the rollup and inserts
the alerts found with INSERT … ON CONFLICT DO NOTHING on (model, scope, window start): once,
whatever the number of runs, concurrent ones included. An alert stays (with its evidence, the
figures when raised) until HQ — or the region's manager, for a region's — acknowledges it.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..auth.models import Role, User
from ..catalogue.models import Product
from ..core.auth import check_role
from ..core.errors import Conflict, NotFound
from ..core.timeutil import utcnow
from ..core.transaction import TransactionState, checks_are_held
from ..extensions import db
from ..jobs import after_commit, job
from ..org.models import Region
from ..warranty.models import WarrantyCard
from .models import EventKind, QualityAlert, ServiceEvent

ALL = "all"
BAD_KINDS = (EventKind.RETURN.value, EventKind.EXCHANGE.value)
DECIDERS = (Role.MANAGER, Role.HQ, Role.ADMIN)


def scope_key(region_id: int | None) -> str:
    return ALL if region_id is None else f"r{region_id}"


# --- noticing what may raise one ------------------------------------------------------------------


def _notice(session: Session) -> None:
    if checks_are_held(session):  # a bulk load whose rollup is rebuilt at its end (the demo seed)
        return
    products = set()
    for obj in session.new:
        if isinstance(obj, ServiceEvent) and obj.kind in BAD_KINDS:
            products.add(obj.product_id)
        elif isinstance(obj, WarrantyCard) and obj.replaces_card_id is None:
            products.add(obj.product_id)
    for obj in session.dirty:
        # A card voided, or corrected to another model or store: the model (or region) it leaves
        # has fewer units, so its rate rises — the model it left is checked, as well as its own.
        if isinstance(obj, WarrantyCard):
            attrs = inspect(obj).attrs
            model = attrs.product_id.history
            if model.has_changes():
                products.update(p for p in (*model.deleted, *model.added) if p is not None)
            if attrs.voided_at.history.has_changes() or attrs.store_id.history.has_changes():
                products.add(obj.product_id)
    if not products:
        return
    noted = CHECKS.get(session)
    for product_id in sorted(products - noted):
        noted.add(product_id)
        after_commit(
            check_quality, product_id, session=session, delay=current_app.config["CHANNEL_ALERT_DELAY_SECONDS"]
        )


CHECKS = TransactionState("quality_alert_checks", set, after_flush=_notice, after_commit=lambda _s, _v: None)
"""The models the open transaction has asked a check for already."""


def register() -> None:
    CHECKS.register()


# --- raising them ---------------------------------------------------------------------------------


def raise_alerts(product_ids=None, today: date | None = None) -> list[dict]:
    """Store the alerts the rollup shows now for these models (all by default), each once per
    (model, scope, window). Returns the values of those raised now."""
    from . import quality  # noqa: PLC0415 -- quality imports this module's readers' names

    rows = []
    for found in quality.early_life(product_ids, today):
        rows.append(
            {
                "product_id": found["product_id"],
                "region_id": found["region_id"],
                "scope_key": scope_key(found["region_id"]),
                "since": found["since"],
                "weeks": found["weeks"],
                "units_sold": found["units_sold"],
                "returns_exchanges": found["returns_exchanges"],
                "rate_per_1000": found["rate_per_1000"],
                "threshold_per_1000": found["threshold_per_1000"],
                "created_at": utcnow(),
            }
        )
    if not rows:
        return []
    dialect_insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    a = QualityAlert
    stmt = dialect_insert(a).values(rows).on_conflict_do_nothing().returning(a.product_id, a.scope_key)
    inserted = {tuple(x) for x in db.session.execute(stmt)}
    return [r for r in rows if (r["product_id"], r["scope_key"]) in inserted]


@job(light=True)
def check_quality(product_id: int) -> int:
    """The job: a model's events or sales changed. Returns the alerts raised."""
    raised = len(raise_alerts([product_id]))
    db.session.commit()
    return raised


def raise_all(today: date | None = None) -> int:
    """Every alert the data shows now (demo data, after a rebuild). Commits."""
    raised = len(raise_alerts(None, today))
    db.session.commit()
    return raised


# --- reading them ---------------------------------------------------------------------------------


def _no_region(region_id: int) -> NotFound:
    return NotFound(
        f"No region {region_id}.", field="region_id", reason="region.not_found", params={"region_id": region_id}
    )


def alerts_query(actor: User, filters: dict):
    """HQ and admins: the alerts of every region together (scope "all"), or of one region with
    `region_id`; a manager: their region's (another region: 404); reps and clerks 403."""
    from ..channel.service import scope_regions  # noqa: PLC0415

    region_id = filters.get("region_id")
    scope_regions(actor, region_id)  # the roles, and a region out of scope is not found
    if actor.role == Role.MANAGER:
        region_id = actor.region_id
    a = QualityAlert
    stmt = select(a).where(a.scope_key == scope_key(region_id))
    if filters.get("product_id") is not None:
        stmt = stmt.where(a.product_id == filters["product_id"])
    if filters.get("acknowledged") is not None:
        ack = a.acknowledged_at.is_not(None)
        stmt = stmt.where(ack if filters["acknowledged"] else ~ack)
    return stmt


def describe(alerts: list[QualityAlert]) -> list[dict]:
    """The stored alerts as the screen reads them (the fields the computed alert had, and the
    row's own), worst rate first."""
    if not alerts:
        return []
    products = {
        p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_({a.product_id for a in alerts})))
    }
    region_ids = {a.region_id for a in alerts} - {None}
    regions = (
        dict(db.session.execute(select(Region.id, Region.name).where(Region.id.in_(region_ids))).all())
        if region_ids
        else {}
    )
    out = []
    for a in alerts:
        product = products[a.product_id]
        out.append(
            {
                "id": a.id,
                "product_id": a.product_id,
                "model_code": product.model_code,
                "name": product.name,
                "name_en": product.name_en or product.name,
                "launch_date": product.launch_date,
                "since": a.since,
                "weeks": a.weeks,
                "units_sold": a.units_sold,
                "returns_exchanges": a.returns_exchanges,
                "rate_per_1000": a.rate_per_1000,
                "threshold_per_1000": a.threshold_per_1000,
                "region_id": a.region_id,
                "region_name": regions.get(a.region_id),
                "created_at": a.created_at,
                "acknowledged_at": a.acknowledged_at,
                "acknowledged_by": a.acknowledged_by,
            }
        )
    return sorted(out, key=lambda r: (-r["rate_per_1000"], r["model_code"], r["since"], r["id"]))


def listed(actor: User, filters: dict) -> list[dict]:
    return describe(list(db.session.scalars(alerts_query(actor, filters))))


def acknowledge(actor: User, alert_id: int) -> QualityAlert:
    """HQ or an admin, or the manager of the alert's region (a region's alert), has seen to it."""
    check_role(actor, *DECIDERS)
    # Under a row lock: of two deciders at once, the second waits for the first's commit and
    # reads it acknowledged (409), rather than overwriting who saw to it.
    alert = db.session.get(QualityAlert, alert_id, with_for_update=True, populate_existing=True)
    if alert is None or (actor.role == Role.MANAGER and alert.region_id != actor.region_id):
        raise NotFound(f"No alert {alert_id}.", reason="alert.not_found", params={"alert_id": alert_id})
    if alert.acknowledged_at is not None:
        raise Conflict(f"Alert {alert_id} was acknowledged already.", reason="alert.acknowledged")
    alert.acknowledged_by = actor.id
    alert.acknowledged_at = utcnow()
    db.session.flush()
    return alert
