"""Market intelligence for HQ (and managers, for their region), read: price trends from the
rollups (`rollup.py` keeps them current as observations arrive), price-drop alerts and their
evidence, promotions seen, store openings and closings, promo-material use.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from ..auth.models import Role, User
from ..catalogue.models import CompetitorBrand, CompetitorModel, Product, PromoMaterial
from ..core.auth import check_role
from ..core.errors import Conflict, InvalidInput, NotFound
from ..core.timeutil import business_date, business_day_bounds, utcnow
from ..extensions import db
from ..intel.models import IntelKind, IntelReport, PriceObservation
from ..org.models import Region, Territory
from ..photos.service import attach_photo_ids
from ..stock.models import StockMovement
from ..stores.models import Store
from ..stores.service import region_territories
from . import rules
from .models import NATIONAL, PriceAlert, PriceCell
from .rollup import (
    counted,
    model_key,
    observations_of,
    # Outbox rows recorded before the rollup moved to rollup.py name its job here
    # (`backend.market.service:refresh_price_cells`): still found.
    refresh_price_cells,  # noqa: F401
)

READERS = (Role.MANAGER, Role.HQ, Role.ADMIN)


def _region_for(actor: User, region_id: int | None) -> int:
    """Managers read their own region; others any region, or nationwide (0) by default."""
    check_role(actor, *READERS)
    if actor.role == Role.MANAGER:
        if region_id not in (None, actor.region_id):
            raise NotFound(
                f"No region {region_id}.", field="region_id", reason="region.not_found", params={"region_id": region_id}
            )
        return actor.region_id
    if region_id not in (None, NATIONAL) and db.session.get(Region, region_id) is None:
        raise NotFound(
            f"No region {region_id}.", field="region_id", reason="region.not_found", params={"region_id": region_id}
        )
    return NATIONAL if region_id is None else region_id


def _names() -> tuple[dict, dict, dict]:
    products = {p.id: (p.model_code, p.name) for p in db.session.scalars(select(Product))}
    brands = dict(db.session.execute(select(CompetitorBrand.id, CompetitorBrand.name)).all())
    cmodels = {m.id: (m.name, m.brand_id) for m in db.session.scalars(select(CompetitorModel))}
    return products, brands, cmodels


def _names_en() -> tuple[dict, dict, dict]:
    """The same names in English: `name_en`, else the Chinese name (id → name)."""
    products = {p.id: p.name_en or p.name for p in db.session.scalars(select(Product))}
    brands = {b.id: b.name_en or b.name for b in db.session.scalars(select(CompetitorBrand))}
    cmodels = {m.id: m.name_en or m.name for m in db.session.scalars(select(CompetitorModel))}
    return products, brands, cmodels


def price_trends(actor: User, filters: dict) -> list[dict]:
    """Cells of a region (or nationwide) over a date range: one row per model and period, with
    median, min, max, count and promotions seen. `product_id` with `with_rivals` adds the
    competitor models that product is set against."""
    region_id = _region_for(actor, filters.get("region_id"))
    period = filters.get("period") or rules.WEEK
    until = filters.get("until") or business_date(utcnow())
    since = filters.get("since") or until - timedelta(weeks=12)
    if since > until:
        raise InvalidInput(
            "`since` is after `until`.", field="since", location="query", reason="range.until_before_since"
        )
    stmt = select(PriceCell).where(
        PriceCell.period == period,
        PriceCell.region_id == region_id,
        PriceCell.period_start >= rules.period_start(since, period),
        PriceCell.period_start <= until,
    )
    keys: list[str] = []
    if filters.get("product_id") is not None:
        keys.append(model_key(filters["product_id"], None))
        if filters.get("with_rivals"):
            product = db.session.get(Product, filters["product_id"])
            if product is None:
                raise NotFound(
                    f"No product {filters['product_id']}.",
                    field="product_id",
                    reason="product.not_found",
                    params={"product_id": filters["product_id"]},
                )
            keys += [model_key(None, m) for m in product.rival_model_ids or ()]
    if filters.get("competitor_model_id") is not None:
        keys.append(model_key(None, filters["competitor_model_id"]))
    if keys:
        stmt = stmt.where(PriceCell.model_key.in_(keys))
    if filters.get("brand_id") is not None:
        stmt = stmt.where(PriceCell.brand_id == filters["brand_id"])
    if filters.get("ours_only"):
        stmt = stmt.where(PriceCell.product_id.is_not(None))
    products, brands, cmodels = _names()
    products_en, brands_en, cmodels_en = _names_en()
    out = []
    for cell in db.session.scalars(stmt.order_by(PriceCell.model_key, PriceCell.period_start)):
        if cell.product_id is not None:
            code, name = products.get(cell.product_id, ("?", "?"))
            label, brand = f"{name}", None
            label_en, brand_en = products_en.get(cell.product_id, label), None
        else:
            name, brand_id = cmodels.get(cell.competitor_model_id, ("?", None))
            brand = brands.get(brand_id)
            label = f"{brand} {name}"
            brand_en = brands_en.get(brand_id, brand)
            label_en = f"{brand_en} {cmodels_en.get(cell.competitor_model_id, name)}"
        out.append(
            {
                "period": cell.period,
                "period_start": cell.period_start,
                "region_id": cell.region_id,
                "model_key": cell.model_key,
                "product_id": cell.product_id,
                "competitor_model_id": cell.competitor_model_id,
                "brand_id": cell.brand_id,
                "brand": brand,
                "model": label,
                "brand_en": brand_en,
                "model_en": label_en,
                "ours": cell.product_id is not None,
                "n": cell.n,
                "n_promo": cell.n_promo,
                "median": cell.median,
                "min": cell.min,
                "max": cell.max,
                "mean": cell.mean,
            }
        )
    return out


def alerts_query(actor: User, filters: dict):
    check_role(actor, *READERS)
    stmt = select(PriceAlert)
    if actor.role == Role.MANAGER:
        stmt = stmt.where(PriceAlert.region_id == actor.region_id)
    for name in ("region_id", "brand_id", "competitor_model_id", "period"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(PriceAlert, name) == filters[name])
    if filters.get("acknowledged") is not None:
        ack = PriceAlert.acknowledged_at.is_not(None)
        stmt = stmt.where(ack if filters["acknowledged"] else ~ack)
    return stmt.order_by(PriceAlert.created_at.desc(), PriceAlert.id.desc())


def describe_alerts(alerts: list[PriceAlert]) -> list[dict]:
    if not alerts:
        return []
    _products, brands, cmodels = _names()
    _products_en, brands_en, cmodels_en = _names_en()
    regions = dict(db.session.execute(select(Region.id, Region.name)).all())
    out = []
    for a in alerts:
        item = {c.key: getattr(a, c.key) for c in PriceAlert.__table__.columns}
        item["model"] = cmodels.get(a.competitor_model_id, ("?", None))[0]
        item["brand"] = brands.get(a.brand_id)
        item["model_en"] = cmodels_en.get(a.competitor_model_id, item["model"])
        item["brand_en"] = brands_en.get(a.brand_id, item["brand"])
        item["region"] = regions.get(a.region_id)
        out.append(item)
    return out


def visible_alert(actor: User, alert_id: int) -> PriceAlert:
    alert = db.session.scalar(alerts_query(actor, {}).where(PriceAlert.id == alert_id))
    if alert is None:
        raise NotFound(f"No alert {alert_id}.", reason="alert.not_found", params={"alert_id": alert_id})
    return alert


def alert_evidence(actor: User, alert_id: int) -> dict:
    """The alert with the observations of both periods (newest first), photos included."""
    alert = visible_alert(actor, alert_id)
    key = model_key(None, alert.competitor_model_id)
    evidence = {}
    for name, start in (("previous", alert.previous_start), ("current", alert.period_start)):
        stmt = (
            observations_of(alert.period, key, alert.region_id, start)
            .order_by(PriceObservation.observed_at.desc())
            .limit(200)
        )
        evidence[name] = attach_photo_ids("price_observation", list(db.session.scalars(stmt)))
    stores = {o.store_id for rows in evidence.values() for o in rows}
    names = dict(db.session.execute(select(Store.id, Store.name).where(Store.id.in_(stores))).all()) if stores else {}
    for rows in evidence.values():
        for o in rows:
            o.store_name = names.get(o.store_id)
    return describe_alerts([alert])[0] | {
        "previous_observations": evidence["previous"],
        "observations": evidence["current"],
    }


def acknowledge(actor: User, alert_id: int) -> PriceAlert:
    check_role(actor, Role.HQ, Role.ADMIN)
    alert = visible_alert(actor, alert_id)
    if alert.acknowledged_at is not None:
        raise Conflict(f"Alert {alert_id} was acknowledged already.", reason="alert.acknowledged")
    alert.acknowledged_by = actor.id
    alert.acknowledged_at = utcnow()
    db.session.flush()
    return alert


def promotions_query(actor: User, filters: dict):
    """Observations with a promotional price or text, newest first: those the rollups count (a
    price corrected in the same visit is listed once, as the total from `n_promo` counts it)."""
    region_id = _region_for(actor, filters.get("region_id"))
    stmt = select(PriceObservation).where(
        or_(PriceObservation.promo_price.is_not(None), PriceObservation.promo_text != ""), counted()
    )
    if region_id != NATIONAL:
        stores = select(Store.id).where(Store.territory_id.in_(region_territories(region_id)))
        stmt = stmt.where(PriceObservation.store_id.in_(stores))
    if filters.get("brand_id") is not None:
        models = select(CompetitorModel.id).where(CompetitorModel.brand_id == filters["brand_id"])
        stmt = stmt.where(PriceObservation.competitor_model_id.in_(models))
    if filters.get("since") is not None:
        stmt = stmt.where(PriceObservation.observed_at >= business_day_bounds(filters["since"])[0])
    if filters.get("until") is not None:
        stmt = stmt.where(PriceObservation.observed_at < business_day_bounds(filters["until"])[1])
    return stmt.order_by(PriceObservation.observed_at.desc(), PriceObservation.id)


def promotions_count(actor: User, filters: dict) -> int:
    """How many rows `promotions_query` has, from the day rollups (`n_promo` counts the same
    observations), so the total does not cost a scan of every promotion in scope. It lags the
    raw rows by one run of the rollup job."""
    region_id = _region_for(actor, filters.get("region_id"))
    stmt = select(func.coalesce(func.sum(PriceCell.n_promo), 0)).where(
        PriceCell.period == rules.DAY, PriceCell.region_id == region_id
    )
    if filters.get("brand_id") is not None:
        stmt = stmt.where(PriceCell.brand_id == filters["brand_id"])
    if filters.get("since") is not None:
        stmt = stmt.where(PriceCell.period_start >= filters["since"])
    if filters.get("until") is not None:
        stmt = stmt.where(PriceCell.period_start <= filters["until"])
    return int(db.session.scalar(stmt))


def describe_promotions(rows: list[PriceObservation]) -> list[dict]:
    if not rows:
        return []
    products, brands, cmodels = _names()
    products_en, brands_en, cmodels_en = _names_en()
    stores = dict(
        db.session.execute(select(Store.id, Store.name).where(Store.id.in_({r.store_id for r in rows}))).all()
    )
    out = []
    for r in rows:
        if r.product_id is not None:
            model, brand = products.get(r.product_id, ("?", "?"))[1], None
            model_en, brand_en = products_en.get(r.product_id, model), None
        else:
            name, brand_id = cmodels.get(r.competitor_model_id, ("?", None))
            model, brand = name, brands.get(brand_id)
            model_en, brand_en = cmodels_en.get(r.competitor_model_id, name), brands_en.get(brand_id, brand)
        out.append(
            {
                "id": r.id,
                "observed_at": r.observed_at,
                "store_id": r.store_id,
                "store_name": stores.get(r.store_id),
                "brand": brand,
                "model": model,
                "brand_en": brand_en,
                "model_en": model_en,
                "shelf_price": r.shelf_price,
                "promo_price": r.promo_price,
                "promo_text": r.promo_text,
            }
        )
    return out


STORE_CHANGE_KINDS = (IntelKind.NEW_STORE, IntelKind.OPENING, IntelKind.CLOSING, IntelKind.MOVING)


def store_changes(actor: User, filters: dict) -> list[dict]:
    """Openings, new stores, closings and moves reported from the field, for a map and a list."""
    region_id = _region_for(actor, filters.get("region_id"))
    stmt = (
        select(IntelReport, Territory.region_id)
        .join(Territory, Territory.id == IntelReport.territory_id)
        .where(IntelReport.kind.in_([k.value for k in STORE_CHANGE_KINDS]))
    )
    if region_id != NATIONAL:
        stmt = stmt.where(Territory.region_id == region_id)
    if filters.get("kind") is not None:
        stmt = stmt.where(IntelReport.kind == filters["kind"])
    if filters.get("since") is not None:
        stmt = stmt.where(IntelReport.reported_at >= business_day_bounds(filters["since"])[0])
    if filters.get("until") is not None:
        stmt = stmt.where(IntelReport.reported_at < business_day_bounds(filters["until"])[1])
    stmt = stmt.order_by(IntelReport.reported_at.desc()).limit(2000)
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "status": r.status,
            "name": r.name,
            "address": r.address,
            "latitude": r.latitude,
            "longitude": r.longitude,
            "store_id": r.store_id,
            "region_id": region,
            "reported_at": r.reported_at,
        }
        for r, region in db.session.execute(stmt)
    ]


def material_use(actor: User, filters: dict) -> list[dict]:
    """Promo materials by region over a period: delivered, used, returned, and the cost used."""
    region_id = _region_for(actor, filters.get("region_id"))
    until = filters.get("until") or business_date(utcnow())
    since = filters.get("since") or until - timedelta(days=30)
    start, _ = business_day_bounds(since)
    _, end = business_day_bounds(until)
    qty = StockMovement.quantity

    def total(kind: str):
        return func.coalesce(func.sum(case((StockMovement.kind == kind, qty), else_=0)), 0)

    stmt = (
        select(
            Territory.region_id,
            StockMovement.material_id,
            total("delivered").label("delivered"),
            total("used").label("used"),
            total("returned").label("returned"),
        )
        .join(Store, Store.id == StockMovement.store_id)
        .join(Territory, Territory.id == Store.territory_id)
        .where(and_(StockMovement.recorded_at >= start, StockMovement.recorded_at < end))
        .group_by(Territory.region_id, StockMovement.material_id)
    )
    if region_id != NATIONAL:
        stmt = stmt.where(Territory.region_id == region_id)
    regions = dict(db.session.execute(select(Region.id, Region.name)).all())
    materials = {m.id: m for m in db.session.scalars(select(PromoMaterial))}
    out = []
    for region, material_id, delivered, used, returned in db.session.execute(stmt):
        m = materials.get(material_id)
        cost = (m.unit_cost or Decimal(0)) * used if m is not None else Decimal(0)
        out.append(
            {
                "region_id": region,
                "region": regions.get(region),
                "material_id": material_id,
                "material": m.name if m else None,
                "kind": m.kind if m else None,
                "delivered": int(delivered),
                "used": int(used),
                "returned": int(returned),
                "cost_used": Decimal(cost).quantize(rules.CENT),
            }
        )
    return sorted(out, key=lambda r: (r["region"] or "", -r["cost_used"]))
