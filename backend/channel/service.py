"""The channel's screens, read: channel stock and weeks of cover by region or partner, the
sell-through trend per model and week (own vs competitors' estimates), aging cohorts and their
units, FIFO breaks, and the stores whose declared sell-out disagrees with their cards.

Everything here reads the rollups (`rollup.py` keeps them as data arrives) — a row per region,
partner, model and week at most — never the shipments or cards in full: the one exception is
the list of an aging cohort's IMEIs, read off the shipments' index by region, model and ship
date. Who sees what: HQ and admins every region, a manager their own (another region is "not
found", as for the market's dashboards), reps and clerks none of these region-level screens.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, case, false, func, select

from ..auth.models import Role, User
from ..catalogue.models import CompetitorBrand, CompetitorModel, Product
from ..core.auth import check_role
from ..core.errors import NotFound
from ..core.timeutil import business_today
from ..extensions import db
from ..org.models import Partner, Region, Territory
from ..sellout.models import SellOutReport
from ..sellout.rules import week_start as week_of
from ..stores.models import Store, StoreStatus
from ..warranty.models import Shipment, WarrantyCard
from . import figures
from .models import (
    NATIONAL,
    NO_PARTNER,
    ChannelCohort,
    ChannelSale,
    ChannelStock,
    ChannelWeek,
    SellOutCell,
)
from .rollup import counted_reports, registers_cards, unit_unsold

READERS = (Role.MANAGER, Role.HQ, Role.ADMIN)

DISAGREEMENTS_MAX = 500
"""Store-weeks listed at most by `disagreements` (the largest gaps first): a list to act on,
not an export."""


# --- scope and names ------------------------------------------------------------------------------


def _no_region(region_id: int) -> NotFound:
    return NotFound(
        f"No region {region_id}.", field="region_id", reason="region.not_found", params={"region_id": region_id}
    )


def scope_regions(actor: User, region_id: int | None) -> list[int] | None:
    """The regions `actor` reads, narrowed to `region_id` if given: a manager their own (another
    is not found), HQ and admins any (None: all of them). Reps and clerks: 403."""
    check_role(actor, *READERS)
    if actor.role == Role.MANAGER:
        if region_id not in (None, actor.region_id):
            raise _no_region(region_id)
        return [actor.region_id]
    if region_id is None:
        return None
    if db.session.get(Region, region_id) is None:
        raise _no_region(region_id)
    return [region_id]


def _products(ids) -> dict[int, Product]:
    ids = set(ids)
    return {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))} if ids else {}


def _product_fields(product: Product | None) -> dict:
    if product is None:
        return {"model_code": None, "product_name": None, "product_name_en": None}
    return {
        "model_code": product.model_code,
        "product_name": product.name,
        "product_name_en": product.name_en or product.name,
    }


def _region_names(ids) -> dict[int, str]:
    ids = set(ids)
    return dict(db.session.execute(select(Region.id, Region.name).where(Region.id.in_(ids))).all()) if ids else {}


def _partner_names(ids) -> dict[int, str]:
    ids = set(ids) - {NO_PARTNER}
    return dict(db.session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(ids))).all()) if ids else {}


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


# --- aging ----------------------------------------------------------------------------------------
#
# A cohort (the units of a model shipped to a region's partner in one ISO week) is aging when its
# youngest possible unit — shipped on the week's Sunday — is older than the model's aging days
# (`products.aging_days`, else CHANNEL_AGING_DAYS): every unit of it then is. Its `age_days` is
# that youngest unit's age, so a listed cohort always shows more than its `aging_days`.


def _aging_cutoff(today: date):
    """SQL: the latest ship week that is aging, per model (a CASE over the models with days of
    their own, the setting for the rest)."""
    default = current_app.config["CHANNEL_AGING_DAYS"]
    own = dict(db.session.execute(select(Product.id, Product.aging_days).where(Product.aging_days.is_not(None))).all())

    def cutoff(days: int) -> date:
        return today - timedelta(days=days + 7)  # ship_week + 6 < today − days

    if not own:
        return cutoff(default)
    return case({pid: cutoff(days) for pid, days in own.items()}, value=ChannelCohort.product_id, else_=cutoff(default))


def cohort_filters(stmt, regions, filters: dict):
    c = ChannelCohort
    if regions is not None:
        stmt = stmt.where(c.region_id.in_(regions))
    if filters.get("partner_id") is not None:
        stmt = stmt.where(c.partner_id == filters["partner_id"])
    if filters.get("product_id") is not None:
        stmt = stmt.where(c.product_id == filters["product_id"])
    return stmt


def aging_where(today: date):
    c = ChannelCohort
    return and_(c.shipped > c.sold, c.ship_week <= _aging_cutoff(today))


def aging_query(actor: User, filters: dict, today: date | None = None):
    """The aging cohorts in scope, oldest first: a select of rows for `RowPage`, which
    `describe_aging` names."""
    regions = scope_regions(actor, filters.get("region_id"))
    c = ChannelCohort
    stmt = select(
        c.region_id, c.partner_id, c.product_id, c.ship_week, c.shipped, (c.shipped - c.sold).label("unsold")
    ).where(aging_where(today or business_today()))
    stmt = cohort_filters(stmt, regions, filters)
    return stmt.order_by(c.ship_week, c.region_id, c.partner_id, c.product_id)


def describe_aging(rows: list[dict], today: date | None = None) -> list[dict]:
    today = today or business_today()
    default = current_app.config["CHANNEL_AGING_DAYS"]
    products = _products(r["product_id"] for r in rows)
    regions = _region_names(r["region_id"] for r in rows)
    partners = _partner_names(r["partner_id"] for r in rows)
    out = []
    for r in rows:
        product = products.get(r["product_id"])
        out.append(
            {
                "region_id": r["region_id"],
                "region_name": regions.get(r["region_id"]),
                "partner_id": r["partner_id"],
                "partner_name": partners.get(r["partner_id"]),
                "product_id": r["product_id"],
                **_product_fields(product),
                "ship_week": r["ship_week"],
                "age_days": (today - r["ship_week"]).days - 6,
                "aging_days": product.aging_days if product is not None and product.aging_days is not None else default,
                "shipped": r["shipped"],
                "unsold": r["unsold"],
            }
        )
    return out


def _aging_units(regions, filters: dict, by_partner: bool, today: date) -> dict[tuple, int]:
    c = ChannelCohort
    cols = [c.region_id, c.partner_id, c.product_id] if by_partner else [c.region_id, c.product_id]
    stmt = select(*cols, func.sum(c.shipped - c.sold)).where(aging_where(today)).group_by(*cols)
    return {tuple(key): units for *key, units in db.session.execute(cohort_filters(stmt, regions, filters))}


def aging_imeis_query(actor: User, filters: dict):
    """The unsold units of one cohort (region, partner, model, ship week): a select of rows
    {imei, ship_date, partner_id} for `RowPage`, by the shipments' index on region, model and
    ship date, each checked against the IMEIs of the cards that took their unit out of stock —
    live or exchanged (`rollup.unit_unsold`: either slot)."""
    regions = scope_regions(actor, filters["region_id"])
    s = Shipment
    start = week_of(filters["ship_week"])
    stmt = select(s.imei, s.ship_date, func.coalesce(s.partner_id, NO_PARTNER).label("partner_id")).where(
        s.region_id.in_(regions),
        s.product_id == filters["product_id"],
        s.ship_date >= start,
        s.ship_date < start + timedelta(days=7),
        unit_unsold(s),
    )
    partner = filters.get("partner_id")
    if partner is not None:
        stmt = stmt.where(s.partner_id.is_(None) if partner == NO_PARTNER else s.partner_id == partner)
    return stmt.order_by(s.ship_date, s.imei)


# --- stock and weeks of cover ---------------------------------------------------------------------


def _region_centroids(region_ids) -> dict[int, tuple[float, float]]:
    """The centroid of each region's active stores (regions have no coordinates of their own):
    one grouped query over the stores."""
    stmt = (
        select(Territory.region_id, func.avg(Store.latitude), func.avg(Store.longitude))
        .join(Territory, Territory.id == Store.territory_id)
        .where(Store.status == StoreStatus.ACTIVE)
        .group_by(Territory.region_id)
    )
    if region_ids is not None:
        stmt = stmt.where(Territory.region_id.in_(list(region_ids)))
    return {region: (lat, lon) for region, lat, lon in db.session.execute(stmt)}


def channel_stock(actor: User, filters: dict, today: date | None = None) -> list[dict]:
    """Channel stock per region and model (`group=region`) or per region, partner and model
    (`group=partner`): shipped, sold, stock, average weekly sell-out, weeks of cover (`figures`)
    and the units of it that are aging. Region rows carry the centroid of the region's active
    stores, for the map."""
    regions = scope_regions(actor, filters.get("region_id"))
    today = today or business_today()
    by_partner = filters.get("group", "region") == "partner"
    products = [filters["product_id"]] if filters.get("product_id") is not None else None
    partners = [filters["partner_id"]] if filters.get("partner_id") is not None else None
    found = figures.stock_and_sales(regions, products, today, partner_ids=partners, by_partner=by_partner)
    aging = _aging_units(regions, filters, by_partner, today)
    product_of = _products(k[-1] for k in found)
    region_names = _region_names(k[0] for k in found)
    partner_names = _partner_names(k[1] for k in found) if by_partner else {}
    centroids = {} if by_partner else _region_centroids({k[0] for k in found})
    rows = []
    for key in sorted(found):
        f = found[key]
        region_id, product_id = key[0], key[-1]
        partner_id = key[1] if by_partner else None
        row = {
            "region_id": region_id,
            "region_name": region_names.get(region_id),
            "partner_id": partner_id,
            "partner_name": partner_names.get(partner_id) if partner_id is not None else None,
            "product_id": product_id,
            **_product_fields(product_of.get(product_id)),
            "shipped": f.shipped,
            "sold": f.sold,
            "stock": f.stock,
            "weekly_sales": _round(f.weekly_sales),
            "cover_weeks": _round(f.cover_weeks),
            "aging_units": aging.get(key, 0),
        }
        if not by_partner:
            lat, lon = centroids.get(region_id, (None, None))
            row["latitude"], row["longitude"] = lat, lon
        rows.append(row)
    return rows


def region_totals(actor: User, filters: dict, today: date | None = None) -> list[dict]:
    """The stock table's region rows (`channel_stock`, group=region) summed per region over the
    models — a row per region in scope, the largest stock first —, for the map: its circles are
    the regions, which a page of the table's rows would not add up to."""
    by_region: dict[int, dict] = {}
    for r in channel_stock(actor, {**filters, "group": "region", "partner_id": None}, today):
        x = by_region.setdefault(
            r["region_id"],
            {
                "region_id": r["region_id"],
                "region_name": r["region_name"],
                "latitude": r["latitude"],
                "longitude": r["longitude"],
                "shipped": 0,
                "sold": 0,
                "stock": 0,
                "weekly_sales": 0.0,
                "aging_units": 0,
            },
        )
        for f in ("shipped", "sold", "stock", "aging_units"):
            x[f] += r[f]
        x["weekly_sales"] += r["weekly_sales"] or 0
    out = []
    for x in by_region.values():
        weekly = x["weekly_sales"]
        cover = _round(x["stock"] / weekly) if weekly else None
        out.append({**x, "weekly_sales": _round(weekly), "cover_weeks": cover})
    return sorted(out, key=lambda x: (-x["stock"], x["region_id"]))


# --- sell-through ---------------------------------------------------------------------------------


def sell_through(actor: User, filters: dict, today: date | None = None) -> list[dict]:
    """Per model and week, the last `weeks` weeks up to this one (under way): sell-out where it
    was sold (cards and declared reports for our models, estimates for competitors' — the region's
    stores, or all: region absent = nationwide, a manager's own region), and for our models the
    channel's week: units shipped in, the stock at the week's start, and the sell-through, units
    of the channel sold that week ÷ (stock at its start + units shipped in it), at most 1, None
    when there was nothing to sell.

    The stock at a week's start is each region's as `figures` has it — shipped − sold up to
    then, never below 0 (stores without a clerk may declare more than was shipped) — summed
    over the regions in scope, so a region's weeks add up to what the stock screen shows."""
    region_id = filters.get("region_id")
    regions = scope_regions(actor, region_id)
    cell_region = NATIONAL if regions is None else regions[0]
    today = today or business_today()
    weeks = filters.get("weeks") or 12
    last = week_of(today)
    first = last - timedelta(weeks=weeks - 1)
    all_weeks = [first + timedelta(weeks=i) for i in range(weeks)]
    keys = []
    if filters.get("product_id") is not None:
        keys.append(f"p{filters['product_id']}")
    if filters.get("competitor_model_id") is not None:
        keys.append(f"c{filters['competitor_model_id']}")
    cell = SellOutCell
    stmt = select(cell).where(cell.region_id == cell_region, cell.week_start >= first, cell.week_start <= last)
    if keys:
        stmt = stmt.where(cell.model_key.in_(keys))
    cells = {(c.model_key, c.week_start): c for c in db.session.scalars(stmt)}

    # The channel's weeks of our models (all partners; the region's or every region's).
    w = ChannelWeek
    moves = select(w.region_id, w.product_id, w.week_start, func.sum(w.shipped), func.sum(w.sold)).where(
        w.week_start >= first, w.week_start <= last
    )
    totals = select(ChannelStock.region_id, ChannelStock.product_id, func.sum(ChannelStock.shipped - ChannelStock.sold))
    if regions is not None:
        moves = moves.where(w.region_id.in_(regions))
        totals = totals.where(ChannelStock.region_id.in_(regions))
    if filters.get("product_id") is not None:
        moves = moves.where(w.product_id == filters["product_id"])
        totals = totals.where(ChannelStock.product_id == filters["product_id"])
    elif keys:  # a competitor model alone
        moves = moves.where(false())
        totals = totals.where(false())
    # {(model, week): (shipped, sold)} over the regions, and {model: {region: {week: moves}}}.
    channel: dict[tuple, tuple[int, int]] = {}
    by_region: dict[str, dict] = defaultdict(lambda: defaultdict(dict))
    for region, pid, week, shipped, sold in db.session.execute(moves.group_by(w.region_id, w.product_id, w.week_start)):
        shipped, sold = shipped or 0, sold or 0
        was = channel.get((f"p{pid}", week), (0, 0))
        channel[(f"p{pid}", week)] = (was[0] + shipped, was[1] + sold)
        by_region[f"p{pid}"][region][week] = shipped - sold
    # Each region's shipped − sold today, unclamped: the weeks are undone from it before the clamp.
    stock_now: dict[str, dict[int, int]] = defaultdict(dict)
    for region, pid, stock in db.session.execute(totals.group_by(ChannelStock.region_id, ChannelStock.product_id)):
        stock_now[f"p{pid}"][region] = stock or 0
    models = sorted({k for k, _ in cells} | {k for k, _ in channel} | set(keys))
    products = _products(int(k[1:]) for k in models if k[0] == "p")
    rivals = {
        m.id: m
        for m in db.session.scalars(
            select(CompetitorModel).where(CompetitorModel.id.in_([int(k[1:]) for k in models if k[0] == "c"]))
        )
    }
    brands = {b.id: b for b in db.session.scalars(select(CompetitorBrand))} if rivals else {}
    rows = []
    for key in models:
        ours = key[0] == "p"
        number = int(key[1:])
        if ours:
            product = products.get(number)
            name = product.name if product else key
            name_en = (product.name_en or product.name) if product else key
            # Stock at the start of each week, back from today's: per region, the week's and
            # later weeks' moves undone, then clamped at 0 as `figures.figures_of` clamps.
            start_of = dict.fromkeys(all_weeks, 0)
            moved = by_region.get(key, {})
            for region in set(stock_now.get(key, {})) | set(moved):
                stock = stock_now.get(key, {}).get(region, 0)
                for week in reversed(all_weeks):
                    stock -= moved.get(region, {}).get(week, 0)
                    start_of[week] += max(stock, 0)
        else:
            model = rivals.get(number)
            brand = brands.get(model.brand_id) if model else None
            name = f"{brand.name} {model.name}" if model and brand else (model.name if model else key)
            name_en = (
                f"{brand.name_en or brand.name} {model.name_en or model.name}"
                if model and brand
                else (model.name_en or model.name if model else key)
            )
        for week in all_weeks:
            c = cells.get((key, week))
            row = {
                "week_start": week,
                "model_key": key,
                "product_id": number if ours else None,
                "competitor_model_id": None if ours else number,
                "name": name,
                "name_en": name_en,
                "card_units": c.card_units if c else 0,
                "declared_units": c.declared_units if c else 0,
                "estimated_units": c.estimated_units if c else 0,
                "estimates": c.estimates if c else 0,
                "shipped": None,
                "sold": None,
                "stock_start": None,
                "sell_through": None,
            }
            if ours:
                shipped, sold = channel.get((key, week), (0, 0))
                available = start_of[week] + shipped
                row.update(
                    shipped=shipped,
                    sold=sold,
                    stock_start=start_of[week],
                    sell_through=round(min(sold / available, 1.0), 4) if available > 0 else None,
                )
            rows.append(row)
    return rows


# --- FIFO breaks ----------------------------------------------------------------------------------


def fifo_breaks(actor: User, filters: dict, today: date | None = None) -> list[dict]:
    """Regions where a newer shipment of a model is selling while older units of it stay unsold
    (先出厂的产品先到达消费者, broken): for each region and model, the newest cohort (ship week,
    all partners) with units sold in the last CHANNEL_SALES_WEEKS complete weeks, and every older
    ship week, at least CHANNEL_FIFO_GAP_DAYS before it, with at least CHANNEL_FIFO_MIN_UNITS
    units still unsold there (with the partners holding them). One row per older week, the
    oldest first."""
    regions = scope_regions(actor, filters.get("region_id"))
    cfg = current_app.config
    gap, minimum = timedelta(days=cfg["CHANNEL_FIFO_GAP_DAYS"]), cfg["CHANNEL_FIFO_MIN_UNITS"]
    first, this_week = figures.sales_window(today)
    s, c = ChannelSale, ChannelCohort
    selling = select(s.region_id, s.product_id, s.ship_week, func.sum(s.units)).where(
        s.sale_week >= first, s.sale_week < this_week
    )
    if regions is not None:
        selling = selling.where(s.region_id.in_(regions))
    if filters.get("product_id") is not None:
        selling = selling.where(s.product_id == filters["product_id"])
    newest: dict[tuple, tuple[date, int]] = {}
    for region_id, product_id, ship_week, units in db.session.execute(
        selling.group_by(s.region_id, s.product_id, s.ship_week)
    ):
        key = (region_id, product_id)
        if units and (key not in newest or ship_week > newest[key][0]):
            newest[key] = (ship_week, units)
    if not newest:
        return []
    unsold = select(c.region_id, c.product_id, c.ship_week, c.partner_id, c.shipped - c.sold).where(
        c.shipped > c.sold, c.ship_week <= max(w for w, _ in newest.values()) - gap
    )
    unsold = cohort_filters(unsold, regions, {"product_id": filters.get("product_id")})
    older: dict[tuple, list] = defaultdict(lambda: [0, set()])
    for region_id, product_id, ship_week, partner_id, units in db.session.execute(unsold):
        newer = newest.get((region_id, product_id))
        if newer is None or ship_week > newer[0] - gap:
            continue
        entry = older[(region_id, product_id, ship_week)]
        entry[0] += units
        entry[1].add(partner_id)
    breaks = {k: v for k, v in older.items() if v[0] >= minimum}
    products = _products(k[1] for k in breaks)
    regions_named = _region_names(k[0] for k in breaks)
    rows = []
    for region_id, product_id, ship_week in sorted(breaks, key=lambda k: (k[2], k[0], k[1])):
        units, partners = breaks[(region_id, product_id, ship_week)]
        newer_week, newer_units = newest[(region_id, product_id)]
        rows.append(
            {
                "region_id": region_id,
                "region_name": regions_named.get(region_id),
                "product_id": product_id,
                **_product_fields(products.get(product_id)),
                "older_ship_week": ship_week,
                "older_unsold": units,
                "older_partner_ids": sorted(partners),
                "newer_ship_week": newer_week,
                "newer_sold_recent": newer_units,
            }
        )
    return rows


# --- declared vs cards ----------------------------------------------------------------------------


def disagreements(actor: User, filters: dict, today: date | None = None) -> list[dict]:
    """Declared sell-out that the store's own warranty cards contradict: each counted report
    (within a visit the latest of a product, `rollup.counted_reports`) whose period ends in the
    last `weeks` weeks (this one included), at a store that registers cards (it has a clerk:
    `rollup.registers_cards`), against the store's live cards of that model with a purchase date
    within the report's own period [period_start, period_end] — not against one week's cards:
    the rollups spread a report's units over its period's weeks by days
    (`rules.spread_over_weeks`), and a promoter exactly right over two weeks whose sales were not
    even across them would be listed. Listed where the two differ, the largest gaps first, at
    most DISAGREEMENTS_MAX; week_start is the Monday of the period's end (the week the report
    closes, where the list files it). A store without a clerk has no cards to disagree with: its
    declarations are its only sell-out figure, not a gap.

    Each report's cards are one range of the index (store_id, product_id, purchase_date) of
    warranty_cards (migration d13d), so the cost follows the reports of the window, not the
    cards."""
    regions = scope_regions(actor, filters.get("region_id"))
    today = today or business_today()
    weeks = filters.get("weeks") or 8
    first = week_of(today) - timedelta(weeks=weeks - 1)
    r, c = SellOutReport, WarrantyCard
    cards = (
        select(func.count(c.id))
        .where(
            c.store_id == r.store_id,
            c.product_id == r.product_id,
            c.purchase_date >= r.period_start,
            c.purchase_date <= r.period_end,
            c.voided_at.is_(None),
            c.closed_at.is_(None),  # a returned or exchanged card is no sell-out (rollup)
        )
        .correlate(r)
        .scalar_subquery()
    )
    listed = select(
        r.store_id.label("store_id"),
        r.product_id.label("product_id"),
        r.period_start.label("period_start"),
        r.period_end.label("period_end"),
        r.units.label("declared_units"),
        cards.label("card_units"),
    ).where(
        r.period_end >= first,
        counted_reports(),
        registers_cards(r.store_id),
    )
    if filters.get("product_id") is not None:
        listed = listed.where(r.product_id == filters["product_id"])
    if regions is not None:
        in_regions = select(Store.id).join(Territory, Territory.id == Store.territory_id)
        listed = listed.where(r.store_id.in_(in_regions.where(Territory.region_id.in_(regions))))
    d = listed.subquery()
    stmt = (
        select(d, Store.name.label("store_name"))
        .join(Store, Store.id == d.c.store_id)
        .where(d.c.declared_units != d.c.card_units)
        .order_by(
            func.abs(d.c.declared_units - d.c.card_units).desc(),
            d.c.period_end.desc(),
            d.c.store_id,
            d.c.product_id,
            d.c.period_start,
        )
        .limit(DISAGREEMENTS_MAX)
    )
    rows = db.session.execute(stmt).all()
    products = _products(row.product_id for row in rows)
    out = []
    for row in rows:
        product = products.get(row.product_id)
        out.append(
            {
                "store_id": row.store_id,
                "store_name": row.store_name,
                "week_start": week_of(row.period_end),
                "period_start": row.period_start,
                "period_end": row.period_end,
                "product_id": row.product_id,
                "model_code": product.model_code if product else None,
                "card_units": row.card_units,
                "declared_units": row.declared_units,
            }
        )
    return out
