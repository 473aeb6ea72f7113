"""HQ's quality figures: returns, exchanges and repair referrals per model, per 1,000 units sold.

The basis is a cohort of purchases: the units sold in a period are the warranty cards bought in it
(by `purchase_date`) — not voided (a card registered in error sold nothing), closed ones included
(a returned phone was sold, then returned) — and the events counted are those of these same cards,
whenever they happened. A replacement unit's card (`replaces_card_id`: an exchange's new card,
which inherits the purchase date) is no new sale, so it is not a unit. An event counts against the
model of the unit that failed (the event's model, copied from the card it serviced): with
WARRANTY_EXCHANGE_OTHER_MODEL a replacement of another model that fails later counts against that
model, in the original purchase's day, though it sold no unit of it. An event on a card voided
since is not counted.

Region: both units and events are in the region of the SALE — the card's store's region when the
card was registered (a replacement's: the replaced card's), recorded in `quality_sale_regions` —
not the store's region today, nor the region the event happened in.

Every figure is a GROUP BY over the rollup `quality_days` / `quality_fault_days`, kept by
`quality_rollup.py` in the transactions that write cards and events (`flask rebuild-quality`
recomputes it): per model, region of the sale and purchase DAY, so a year is a few thousand rows
whatever the number of cards, and `since`/`until` are exact days. A week is the Monday of the
purchase date (`sellout.rules.week_start`, and in SQL the channel's `_week_sql`).

Who sees what, as the channel's screens (`channel.service.scope_regions`): HQ and admins every
region, a manager their own (another region is "not found"), reps and clerks none (403).

The early-life alert (`early_life`): a model in its first QUALITY_ALERT_WEEKS weeks on sale (from
its launch date, else from its first card) whose returns + exchanges per 1,000 units sold since then
exceed QUALITY_ALERT_RATE_PER_1000, once QUALITY_ALERT_MIN_UNITS units have sold — raised and stored
by `quality_alerts.py` as events arrive; /quality/alerts lists the stored ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Date, and_, func, or_, select, type_coerce

from ..auth.models import User
from ..catalogue.models import Product
from ..channel.export import Column
from ..channel.rollup import _week_sql
from ..channel.service import scope_regions
from ..core.errors import InvalidInput, NotFound
from ..core.timeutil import business_today
from ..extensions import db
from ..org.models import Region
from ..sellout.rules import week_start
from . import quality_alerts
from .models import EventKind, FaultCode, QualityDay, QualityFaultDay

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
# Both read the rollup (`quality_rollup.py`: per model, region of the sale and purchase day), a few
# thousand rows for a year whatever the number of cards.


def _day_filters(stmt, table, since: date, until: date, regions, product_id=None):
    stmt = stmt.where(table.purchase_date >= since, table.purchase_date <= until)
    if regions is not None:
        stmt = stmt.where(table.region_id.in_(regions))
    if product_id is not None:
        stmt = stmt.where(table.product_id == product_id)
    return stmt


def _keys(table, group: tuple[str, ...]) -> list:
    cols = {"product": table.product_id, "region": table.region_id, "week": _week(table.purchase_date)}
    if "fault" in group:
        cols["fault"] = table.fault_code_id
    return [cols[d].label(d) for d in group]


def units_by(group: tuple[str, ...], since: date, until: date, regions, product_id=None) -> dict[tuple, int]:
    """Units sold (cards bought in [since, until], not voided, not replacements) per `group` key."""
    d = QualityDay
    keys = _keys(d, group)
    stmt = _day_filters(select(*keys, func.sum(d.units).label("n")), d, since, until, regions, product_id)
    if keys:
        stmt = stmt.group_by(*keys)
    return {tuple(row[:-1]): int(row[-1]) for row in db.session.execute(stmt) if row[-1]}


def events_by(group: tuple[str, ...], since: date, until: date, regions, product_id=None) -> dict[tuple, tuple]:
    """(returns, exchanges, repairs) of the cards bought in [since, until] per `group` key."""
    table = QualityFaultDay if "fault" in group else QualityDay
    keys = _keys(table, group)
    sums = [func.coalesce(func.sum(getattr(table, col)), 0) for col in COUNTS]
    stmt = _day_filters(select(*keys, *sums), table, since, until, regions, product_id)
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


def alerts(actor: User, filters: dict) -> list[dict]:
    """The stored early-life alerts `actor` sees (`quality_alerts.py` raises them as events arrive)."""
    return quality_alerts.listed(actor, filters)


def _windows(product_ids, today: date) -> dict[int, tuple[date, date]]:
    """The models (these, or all) in their first QUALITY_ALERT_WEEKS weeks on sale today: their
    [start, today], the start their launch date, else their first unit sold."""
    weeks = current_app.config["QUALITY_ALERT_WEEKS"]
    stmt = select(Product)
    if product_ids is not None:
        stmt = stmt.where(Product.id.in_(list(product_ids)))
    products = list(db.session.scalars(stmt))
    unlaunched = [p.id for p in products if p.launch_date is None]
    d = QualityDay
    first_cards = (
        dict(
            db.session.execute(
                select(d.product_id, func.min(d.purchase_date))
                .where(d.product_id.in_(unlaunched), d.units > 0)
                .group_by(d.product_id)
            ).all()
        )
        if unlaunched
        else {}
    )
    windows = {}
    for product in products:
        start = product.launch_date or first_cards.get(product.id)
        if start is not None and start <= today < start + timedelta(weeks=weeks):
            windows[product.id] = (start, today)
    return windows


def early_life(product_ids=None, today: date | None = None) -> list[dict]:
    """The early-life alerts the rollup shows now, for every region together (region_id None)
    and per region: the models (these, or all) in their window whose returns + exchanges per
    1,000 units sold pass the threshold (strictly), with at least the minimum units sold."""
    today = today or business_today()
    config = current_app.config
    threshold = float(config["QUALITY_ALERT_RATE_PER_1000"])
    min_units = config["QUALITY_ALERT_MIN_UNITS"]
    windows = _windows(product_ids, today)
    if not windows:
        return []
    d = QualityDay
    stmt = (
        select(d.product_id, d.region_id, func.sum(d.units), func.sum(d.returns + d.exchanges))
        .where(_in_windows(d.product_id, d.purchase_date, windows))
        .group_by(d.product_id, d.region_id)
    )
    per_region = {(pid, rid): (int(n or 0), int(bad or 0)) for pid, rid, n, bad in db.session.execute(stmt)}
    totals: dict[tuple, list[int]] = {}
    for (pid, rid), (n, bad) in per_region.items():
        for key in ((pid, None), (pid, rid)):
            acc = totals.setdefault(key, [0, 0])
            acc[0] += n
            acc[1] += bad
    out = []
    for (pid, rid), (n, bad) in sorted(totals.items(), key=lambda x: (x[0][0], x[0][1] or 0)):
        # bad / n · 1000 > threshold, in exact arithmetic (exactly at the threshold is no alert)
        if n < min_units or n == 0 or bad * 1000 <= threshold * n:
            continue
        start = windows[pid][0]
        out.append(
            {
                "product_id": pid,
                "region_id": rid,
                "since": start,
                "weeks": (today - start).days // 7 + 1,
                "units_sold": n,
                "returns_exchanges": bad,
                "rate_per_1000": rate(bad, n),
                "threshold_per_1000": threshold,
            }
        )
    return out


def _in_windows(product_col, date_col, windows: dict[int, tuple[date, date]]):
    return or_(*(and_(product_col == pid, date_col >= a, date_col <= b) for pid, (a, b) in windows.items()))


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
