"""Recording shop stock counts, declared sell-out and competitors' sell-out estimates, and
reading them back: a store's latest count per model is its shop stock.

Each record is made by REST and by sync through the same function, with the same checks as a
price observation: a field writer (rep or manager), a store in their scope, a model that exists,
a device time not in the future, the writer's own visit at that store when a visit is named;
then `create_once` (idempotent by the client id, 409 on the same id with other content).
The channel rollups notice new rows themselves (backend/channel), so nothing here calls them.
Records are never edited: a figure the rep fixes in the visit arrives as a second record, and the
rollups count only the visit's latest report of a product (estimate of a competitor model and
week), as prices count a visit's latest observation (SPEC I.3.2, `channel.rollup.counted_reports`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from ..auth.models import Role, User
from ..catalogue.models import CompetitorModel, Product
from ..core.auth import check_role
from ..core.batch import reference
from ..core.errors import InvalidInput, NotFound
from ..core.records import check_device_time, create_once
from ..core.timeutil import business_today
from ..extensions import db
from ..stores.service import FIELD_READERS, FIELD_WRITERS, field_record_scope, visible_store
from ..visits.service import own_visit
from . import rules
from .models import CompetitorSellOut, SellOutReport, ShopStockCount

SHOP_STOCK_READERS = (*FIELD_READERS, Role.CLERK)
"""Who may read a store's shop stock: field readers in their store scope, and the store's own
clerk (`visible_store` gives a clerk their store only): the counter sees what the rep counted."""


def _product(product_id: int) -> Product:
    product = reference(Product, product_id)
    if product is None:
        raise InvalidInput(
            f"Unknown product_id: {product_id}.",
            field="product_id",
            reason="sellout.unknown_product",
            params={"product_id": product_id},
        )
    return product


def _refuse(fault: rules.Fault | None) -> None:
    if fault is not None:
        message, reason, field = fault
        raise InvalidInput(message, field=field, reason=reason)


def _at_store(actor: User, data: dict, time_field: str):
    """The checks every capture shares: the role, the store, the device time, the visit."""
    check_role(actor, *FIELD_WRITERS)
    store = visible_store(actor, data["store_id"])
    check_device_time(data[time_field], time_field)
    return store


def _visit(actor: User, data: dict, store_id: int) -> None:
    if data.get("visit_id") is not None:
        own_visit(actor, data["visit_id"], store_id)


def record_count(actor: User, data: dict) -> tuple[ShopStockCount, bool]:
    """A count of one of our models on hand at a store (0: out of stock). Idempotent by id."""
    store = _at_store(actor, data, "counted_at")
    product = _product(data["product_id"])
    _visit(actor, data, store.id)
    values = {
        "rep_id": actor.id,
        "store_id": store.id,
        "visit_id": data.get("visit_id"),
        "product_id": product.id,
        "on_hand": data["on_hand"],
        "demo_unit": data.get("demo_unit"),
        "counted_at": data["counted_at"],
    }
    return create_once(ShopStockCount, data["id"], values, "shop stock count")


def report_sellout(actor: User, data: dict) -> tuple[SellOutReport, bool]:
    """Units of one of our models a store says it sold in a period. Idempotent by id.

    The period is checked against the business zone's today (`rules.check_period`): a store
    cannot have sold in a week that has not begun."""
    store = _at_store(actor, data, "reported_at")
    product = _product(data["product_id"])
    _refuse(rules.check_period(data["period_start"], data["period_end"], business_today()))
    _visit(actor, data, store.id)
    values = {
        "rep_id": actor.id,
        "store_id": store.id,
        "visit_id": data.get("visit_id"),
        "product_id": product.id,
        "units": data["units"],
        "period_start": data["period_start"],
        "period_end": data["period_end"],
        "source": data["source"],
        "reported_at": data["reported_at"],
    }
    return create_once(SellOutReport, data["id"], values, "sell-out report")


def report_competitor(actor: User, data: dict) -> tuple[CompetitorSellOut, bool]:
    """A competitor model's units (or band) sold at a store in one ISO week. Idempotent by id."""
    store = _at_store(actor, data, "reported_at")
    cm = data["competitor_model_id"]
    if reference(CompetitorModel, cm) is None:
        raise InvalidInput(
            f"Unknown competitor_model_id: {cm}.",
            field="competitor_model_id",
            reason="sellout.unknown_competitor_model",
            params={"competitor_model_id": cm},
        )
    _refuse(rules.check_week(data["week_start"], business_today()))
    units, band = data.get("units"), data.get("band")
    _refuse(rules.check_estimate(units, band))
    _visit(actor, data, store.id)
    values = {
        "rep_id": actor.id,
        "store_id": store.id,
        "visit_id": data.get("visit_id"),
        "competitor_model_id": cm,
        "week_start": data["week_start"],
        "units": units,
        "band": band,
        "source": data["source"],
        "reported_at": data["reported_at"],
    }
    return create_once(CompetitorSellOut, data["id"], values, "competitor sell-out estimate")


# --- queries ----------------------------------------------------------------------------------


def _filtered(actor: User, model, filters: dict, names: tuple[str, ...], newest_first):
    stmt = select(model).where(field_record_scope(actor, model))
    for name in names:
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(model, name) == filters[name])
    return stmt.order_by(newest_first.desc(), model.id)


def counts_query(actor: User, filters: dict):
    names = ("store_id", "product_id", "visit_id", "rep_id")
    return _filtered(actor, ShopStockCount, filters, names, ShopStockCount.counted_at)


def reports_query(actor: User, filters: dict):
    names = ("store_id", "product_id", "visit_id", "rep_id")
    return _filtered(actor, SellOutReport, filters, names, SellOutReport.reported_at)


def estimates_query(actor: User, filters: dict):
    names = ("store_id", "competitor_model_id", "visit_id", "rep_id")
    return _filtered(actor, CompetitorSellOut, filters, names, CompetitorSellOut.reported_at)


KINDS = {
    ShopStockCount: "shop stock count",
    SellOutReport: "sell-out report",
    CompetitorSellOut: "competitor sell-out estimate",
}


def visible_record(actor: User, model, record_id: uuid.UUID):
    """One record in the actor's field-record scope; otherwise the same 404 as one that does not exist."""
    row = db.session.scalar(select(model).where(model.id == record_id, field_record_scope(actor, model)))
    if row is None:
        raise NotFound(
            f"No {KINDS[model]} {record_id}.", reason="sellout.not_found", params={"record_id": str(record_id)}
        )
    return row


def latest_counts(store_ids) -> list[ShopStockCount]:
    """The latest count of each model at these stores, no access check (the caller's).

    Latest by the device's `counted_at`, then by arrival, then by id: two reps counting the
    same model at the same second are ordered the same way on every server and every run.
    One pass over the (store, model, counted_at) index."""
    c = ShopStockCount
    rank = (
        func.row_number()
        .over(
            partition_by=(c.store_id, c.product_id),
            order_by=(c.counted_at.desc(), c.received_at.desc(), c.id.desc()),
        )
        .label("rank")
    )
    ranked = select(c.id, rank).where(c.store_id.in_(list(store_ids))).subquery()
    stmt = select(c).join(ranked, ranked.c.id == c.id).where(ranked.c.rank == 1).order_by(c.store_id, c.product_id)
    return list(db.session.scalars(stmt))


def latest_shop_stock(actor: User, store_id: int) -> list[dict]:
    """A store's shop stock: its latest count per model, with the model's code and names."""
    check_role(actor, *SHOP_STOCK_READERS)
    store = visible_store(actor, store_id)
    counts = latest_counts([store.id])
    products = {
        p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_([c.product_id for c in counts])))
    }
    return [
        {
            "product_id": c.product_id,
            "model_code": products[c.product_id].model_code,
            "product_name": products[c.product_id].name,
            "product_name_en": products[c.product_id].name_en,
            "on_hand": c.on_hand,
            "demo_unit": c.demo_unit,
            "counted_at": c.counted_at,
            "count_id": c.id,
        }
        for c in counts
    ]
