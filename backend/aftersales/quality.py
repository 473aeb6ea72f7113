"""HQ's quality figures: returns, exchanges and repair referrals per model, per 1,000 units sold.

The basis is a cohort of purchases: the units sold in a period are the warranty cards bought in it
(by `purchase_date`) — not voided (a card registered in error sold nothing), closed ones included
(a returned phone was sold, then returned) — and the events counted are those of these same cards,
whenever they happened. A replacement unit's card (`replaces_card_id`: an exchange's new card,
which inherits the purchase date) is no new sale, so it is not a unit; an event on it still counts,
against the original purchase. An event on a card voided since is not counted.

Every figure is a GROUP BY in the database (SQLite and PostgreSQL alike): the units from
`warranty_cards` (their region through the store's territory), the events from `service_events`,
which carry the card's product, region and purchase date for this. A week is the Monday of the
purchase date (`sellout.rules.week_start`, and in SQL the channel's `_week_sql`).

Who sees what, as the channel's screens (`channel.service.scope_regions`): HQ and admins every
region, a manager their own (another region is "not found"), reps and clerks none (403).

The early-life alert: a model in its first QUALITY_ALERT_WEEKS weeks on sale (from its launch
date, else from its first card) whose returns + exchanges per 1,000 units sold since then exceed
QUALITY_ALERT_RATE_PER_1000, once QUALITY_ALERT_MIN_UNITS units have sold.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Date, and_, case, func, or_, select, type_coerce

from ..auth.models import User
from ..catalogue.models import Product
from ..channel.export import Column
from ..channel.rollup import _week_sql
from ..channel.service import scope_regions
from ..core.errors import InvalidInput, NotFound
from ..core.timeutil import business_today
from ..extensions import db
from ..org.models import Region, Territory
from ..sellout.rules import week_start
from ..stores.models import Store
from ..warranty.models import WarrantyCard
from .models import EventKind, FaultCode, ServiceEvent

DEFAULT_WEEKS = 12
TOP_FAULTS = 3
KINDS = (EventKind.RETURN, EventKind.EXCHANGE, EventKind.REPAIR)
COUNTS = ("returns", "exchanges", "repairs")
RATES = ("return_per_1000", "exchange_per_1000", "repair_per_1000")


# --- periods, scope, names --------------------------------------------------------------------------


def default_since(today: date, weeks: int = DEFAULT_WEEKS) -> date:
    """The Monday `weeks − 1` weeks before this week's: `weeks` purchase weeks, this one the last."""
    return week_start(today) - timedelta(weeks=weeks - 1)


def period(filters: dict, today: date | None = None) -> tuple[date, date]:
    """[since, until] from the query: default the last 12 purchase weeks up to today."""
    today = today or business_today()
    until = filters.get("until") or today
    since = filters.get("since") or default_since(until)
    if since > until:
        raise InvalidInput(
            "`since` is after `until`.", field="since", location="query", reason="range.until_before_since"
        )
    return since, until


def _check_product(product_id: int | None) -> None:
    if product_id is not None and db.session.get(Product, product_id) is None:
        raise NotFound(
            f"No product {product_id}.",
            field="product_id",
            reason="product.not_found",
            params={"product_id": product_id},
        )


def rate(count: int, units: int) -> float | None:
    """Per 1,000 units sold, to 2 decimals; None when nothing sold."""
    return round(count * 1000 / units, 2) if units else None


def _figures(units: int, counts: Iterable[int]) -> dict:
    returns, exchanges, repairs = counts
    return {
        "units_sold": units,
        "returns": returns,
        "exchanges": exchanges,
        "repairs": repairs,
        "return_per_1000": rate(returns, units),
        "exchange_per_1000": rate(exchanges, units),
        "repair_per_1000": rate(repairs, units),
    }


def _week(column):
    """SQL: the Monday of a date column, read back as a date on either database."""
    return type_coerce(_week_sql(column, db.session), Date)


def _product_names(ids) -> dict[int, Product]:
    ids = set(ids)
    return {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))} if ids else {}


def _names(product: Product | None) -> dict:
    if product is None:
        return {"model_code": None, "name": None, "name_en": None}
    return {"model_code": product.model_code, "name": product.name, "name_en": product.name_en or product.name}


# --- the two grouped counts -------------------------------------------------------------------------


def units_by(group: tuple[str, ...], since: date, until: date, regions, product_id=None) -> dict[tuple, int]:
    """Units sold (cards bought in [since, until], not voided, not replacements) per `group` key."""
    c = WarrantyCard
    region = Territory.region_id
    cols = {"product": c.product_id, "region": region, "week": _week(c.purchase_date)}
    keys = [cols[d].label(d) for d in group]
    stmt = select(*keys, func.count().label("n")).select_from(c)
    if "region" in group or regions is not None:
        stmt = stmt.join(Store, Store.id == c.store_id).join(Territory, Territory.id == Store.territory_id)
    stmt = stmt.where(
        c.purchase_date >= since,
        c.purchase_date <= until,
        c.voided_at.is_(None),
        c.replaces_card_id.is_(None),
    )
    if regions is not None:
        stmt = stmt.where(region.in_(regions))
    if product_id is not None:
        stmt = stmt.where(c.product_id == product_id)
    if keys:
        stmt = stmt.group_by(*keys)
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(stmt)}


def _card_not_voided():
    """SQL: the event's card is not voided. A scalar subquery, looked up by the card's primary
    key for each event row (a few per cent of the cards): a join let PostgreSQL hash every card
    to keep the few voided ones out."""
    voided = select(WarrantyCard.voided_at).where(WarrantyCard.id == ServiceEvent.card_id).scalar_subquery()
    return voided.is_(None)


def _event_filters(stmt, since: date, until: date, regions, product_id=None):
    e = ServiceEvent
    stmt = stmt.where(e.purchase_date >= since, e.purchase_date <= until, _card_not_voided())
    if regions is not None:
        stmt = stmt.where(e.region_id.in_(regions))
    if product_id is not None:
        stmt = stmt.where(e.product_id == product_id)
    return stmt


def events_by(group: tuple[str, ...], since: date, until: date, regions, product_id=None) -> dict[tuple, tuple]:
    """(returns, exchanges, repairs) of the cards bought in [since, until] per `group` key."""
    e = ServiceEvent
    cols = {"product": e.product_id, "region": e.region_id, "week": _week(e.purchase_date), "fault": e.fault_code_id}
    keys = [cols[d].label(d) for d in group]
    sums = [func.coalesce(func.sum(case((e.kind == kind.value, 1), else_=0)), 0) for kind in KINDS]
    stmt = _event_filters(select(*keys, *sums).select_from(e), since, until, regions, product_id)
    if keys:
        stmt = stmt.group_by(*keys)
    out = {}
    for row in db.session.execute(stmt):
        counts = tuple(int(n) for n in row[len(keys) :])
        if any(counts):
            out[tuple(row[: len(keys)])] = counts
    return out


def _merged(group, since, until, regions, product_id=None) -> dict[tuple, dict]:
    units = units_by(group, since, until, regions, product_id)
    events = events_by(group, since, until, regions, product_id)
    return {key: _figures(units.get(key, 0), events.get(key, (0, 0, 0))) for key in units.keys() | events.keys()}


def top_faults(by_fault: dict[tuple, tuple], limit: int = TOP_FAULTS) -> dict[int, list[dict]]:
    """Per model, its `limit` commonest fault codes (events of any kind), most first, then by
    code: from the grouped counts per (model, fault code), a few dozen rows."""
    codes = {f.id: f for f in db.session.scalars(select(FaultCode).where(FaultCode.id.in_({k[1] for k in by_fault})))}
    ranked: dict[int, list[tuple]] = {}
    for (pid, fid), counts in by_fault.items():
        fault = codes[fid]
        ranked.setdefault(pid, []).append((-sum(counts), fault.code, fault))
    return {
        pid: [
            {"code": f.code, "name": f.name, "name_en": f.name_en or f.name, "count": -n}
            for n, _code, f in sorted(items, key=lambda x: x[:2])[:limit]
        ]
        for pid, items in ranked.items()
    }


# --- the screens ------------------------------------------------------------------------------------


def models(actor: User, filters: dict) -> list[dict]:
    """Per model with units or events in the period: counts, rates and its top 3 fault codes."""
    regions = scope_regions(actor, filters.get("region_id"))
    since, until = period(filters)
    units = units_by(("product",), since, until, regions)
    # One grouped read of the events serves both their counts per model and the top faults.
    by_fault = events_by(("product", "fault"), since, until, regions)
    events: dict[tuple, tuple] = {}
    for (pid, _fid), counts in by_fault.items():
        events[(pid,)] = tuple(a + b for a, b in zip(events.get((pid,), (0, 0, 0)), counts, strict=True))
    rows = {key: _figures(units.get(key, 0), events.get(key, (0, 0, 0))) for key in units.keys() | events.keys()}
    faults = top_faults(by_fault)
    products = _product_names(key[0] for key in rows)
    out = [
        {"product_id": pid, **_names(products.get(pid)), **figures, "top_faults": faults.get(pid, [])}
        for (pid,), figures in rows.items()
    ]
    return sorted(out, key=lambda r: (r["model_code"] or "", r["product_id"]))


def weekly(actor: User, filters: dict, today: date | None = None) -> list[dict]:
    """Per purchase week, oldest first, every week of the span (zeros included)."""
    regions = scope_regions(actor, filters.get("region_id"))
    product_id = filters.get("product_id")
    _check_product(product_id)
    today = today or business_today()
    weeks = filters.get("weeks") or DEFAULT_WEEKS
    since = default_since(today, weeks)
    rows = _merged(("week",), since, today, regions, product_id)
    empty = _figures(0, (0, 0, 0))
    return [
        {"week": monday, **rows.get((monday,), empty)} for monday in (since + timedelta(weeks=i) for i in range(weeks))
    ]


def by_region(actor: User, filters: dict) -> list[dict]:
    """Per region in scope with units or events in the period, by region name."""
    regions = scope_regions(actor, None)
    product_id = filters.get("product_id")
    _check_product(product_id)
    since, until = period(filters)
    rows = _merged(("region",), since, until, regions, product_id)
    names = dict(db.session.execute(select(Region.id, Region.name).where(Region.id.in_([k[0] for k in rows]))).all())
    out = [{"region_id": rid, "region_name": names.get(rid), **figures} for (rid,), figures in rows.items()]
    return sorted(out, key=lambda r: (r["region_name"] or "", r["region_id"]))


def alerts(actor: User, filters: dict, today: date | None = None) -> list[dict]:
    """The models in their first QUALITY_ALERT_WEEKS weeks on sale whose returns + exchanges per
    1,000 units sold pass the threshold (strictly), with at least the minimum units sold."""
    regions = scope_regions(actor, filters.get("region_id"))
    today = today or business_today()
    config = current_app.config
    weeks = config["QUALITY_ALERT_WEEKS"]
    threshold = float(config["QUALITY_ALERT_RATE_PER_1000"])
    min_units = config["QUALITY_ALERT_MIN_UNITS"]
    c = WarrantyCard
    first_cards = dict(
        db.session.execute(
            select(c.product_id, func.min(c.purchase_date))
            .join(Product, Product.id == c.product_id)
            .where(Product.launch_date.is_(None), c.voided_at.is_(None))
            .group_by(c.product_id)
        ).all()
    )
    windows: dict[int, tuple[date, date]] = {}
    products = {p.id: p for p in db.session.scalars(select(Product))}
    for product in products.values():
        start = product.launch_date or first_cards.get(product.id)
        if start is not None and start <= today < start + timedelta(weeks=weeks):
            windows[product.id] = (start, today)
    if not windows:
        return []
    units = _window_units(windows, regions)
    events = _window_events(windows, regions)
    out = []
    for pid, (start, _end) in windows.items():
        n, bad = units.get(pid, 0), events.get(pid, 0)
        # bad / n · 1000 > threshold, in exact arithmetic (exactly at the threshold is no alert)
        if n < min_units or n == 0 or bad * 1000 <= threshold * n:
            continue
        product = products[pid]
        out.append(
            {
                "product_id": pid,
                "model_code": product.model_code,
                "name": product.name,
                "name_en": product.name_en or product.name,
                "launch_date": product.launch_date,
                "since": start,
                "weeks": (today - start).days // 7 + 1,
                "units_sold": n,
                "returns_exchanges": bad,
                "rate_per_1000": rate(bad, n),
                "threshold_per_1000": threshold,
            }
        )
    return sorted(out, key=lambda r: (-r["rate_per_1000"], r["model_code"]))


def _in_windows(product_col, date_col, windows: dict[int, tuple[date, date]]):
    return or_(*(and_(product_col == pid, date_col >= a, date_col <= b) for pid, (a, b) in windows.items()))


def _window_units(windows, regions) -> dict[int, int]:
    c = WarrantyCard
    stmt = select(c.product_id, func.count()).where(
        _in_windows(c.product_id, c.purchase_date, windows), c.voided_at.is_(None), c.replaces_card_id.is_(None)
    )
    if regions is not None:
        stmt = (
            stmt.join(Store, Store.id == c.store_id)
            .join(Territory, Territory.id == Store.territory_id)
            .where(Territory.region_id.in_(regions))
        )
    return dict(db.session.execute(stmt.group_by(c.product_id)).all())


def _window_events(windows, regions) -> dict[int, int]:
    e = ServiceEvent
    stmt = select(e.product_id, func.count()).where(
        _in_windows(e.product_id, e.purchase_date, windows),
        e.kind.in_((EventKind.RETURN.value, EventKind.EXCHANGE.value)),
        _card_not_voided(),
    )
    if regions is not None:
        stmt = stmt.where(e.region_id.in_(regions))
    return dict(db.session.execute(stmt.group_by(e.product_id)).all())


# --- the CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = [
    Column("week", "购买周（周一）", "Purchase week (Monday)"),
    Column("product_id", "型号ID", "Model ID"),
    Column("model_code", "型号", "Model"),
    Column("name", "产品名称", "Product"),
    Column("name_en", "产品名称（英文）", "Product (English)"),
    Column("region_id", "大区ID", "Region ID"),
    Column("region_name", "大区", "Region"),
    Column("units_sold", "销量（保修卡）", "Units sold (cards)"),
    Column("returns", "退货", "Returns"),
    Column("exchanges", "换货", "Exchanges"),
    Column("repairs", "维修", "Repairs"),
    Column("return_per_1000", "退货率（每千台）", "Returns per 1,000"),
    Column("exchange_per_1000", "换货率（每千台）", "Exchanges per 1,000"),
    Column("repair_per_1000", "维修率（每千台）", "Repairs per 1,000"),
]


def export_rows(actor: User, filters: dict) -> list[dict]:
    """One row per purchase week × model × region with units or events in the period (a few
    thousand at most: models × regions × weeks), by week, model and region."""
    regions = scope_regions(actor, filters.get("region_id"))
    since, until = period(filters)
    rows = _merged(("week", "product", "region"), since, until, regions)
    products = _product_names(k[1] for k in rows)
    names = dict(db.session.execute(select(Region.id, Region.name).where(Region.id.in_({k[2] for k in rows}))).all())
    out = [
        {
            "week": week,
            "product_id": pid,
            **_names(products.get(pid)),
            "region_id": rid,
            "region_name": names.get(rid),
            **figures,
        }
        for (week, pid, rid), figures in rows.items()
    ]
    return sorted(out, key=lambda r: (r["week"], r["model_code"] or "", r["product_id"], r["region_name"] or ""))
