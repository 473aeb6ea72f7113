"""Market intelligence for HQ (and managers, for their region): price trends from rollups kept up
to date as observations arrive, price-drop alerts, promotions seen, store openings and closings,
promo-material use.

How the rollups stay current: recording a price observation marks its four cells (day and week,
its region and nationwide) dirty in the same transaction (`note_observation` + a before-commit
hook), and records `refresh_price_cells` in the job outbox with it (one pending run absorbs the
next ones; a Redis outage delays the run, never loses it). The job takes dirty cells away one by
one, recomputes each from the raw observations (an index on model and time), and checks the
cells' neighbours for a price drop. A cell dirtied again while the job runs stays dirty for the
next run, so no observation is left out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, case, delete, event, func, insert, or_, select, tuple_
from sqlalchemy.orm import Session

from ..auth.models import Role, User
from ..catalogue.models import CompetitorBrand, CompetitorModel, Product, PromoMaterial
from ..core.auth import check_role
from ..core.errors import Conflict, InvalidInput, NotFound
from ..core.timeutil import business_date, business_day_bounds, business_zone, utcnow
from ..extensions import db
from ..intel.models import IntelKind, IntelReport, PriceObservation
from ..jobs import after_commit, job
from ..org.models import Region, Territory
from ..stock.models import StockMovement
from ..stores.models import Store
from ..stores.service import region_territories
from . import rules
from .models import NATIONAL, PriceAlert, PriceCell, PriceCellDirty

_DIRTY = "price_cells_dirty"
READERS = (Role.MANAGER, Role.HQ, Role.ADMIN)


# --- keeping the rollups current ----------------------------------------------------------------------


def model_key(product_id: int | None, competitor_model_id: int | None) -> str:
    return f"p{product_id}" if product_id is not None else f"c{competitor_model_id}"


def note_observation(obs: PriceObservation, region_id: int) -> None:
    """Mark the cells `obs` belongs to as needing a recompute (written when the transaction commits)."""
    key = model_key(obs.product_id, obs.competitor_model_id)
    day = business_date(obs.observed_at)
    dirty = db.session.info.setdefault(_DIRTY, set())
    for period in rules.PERIODS:
        start = rules.period_start(day, period)
        dirty.add((period, key, region_id, start))
        dirty.add((period, key, NATIONAL, start))
    after_commit(refresh_price_cells)


def _write_dirty(session: Session) -> None:
    if session.in_nested_transaction():
        return
    keys = session.info.pop(_DIRTY, None)
    if not keys:
        return
    rows = [{"period": p, "model_key": k, "region_id": r, "period_start": s} for p, k, r, s in sorted(keys)]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(PriceCellDirty).on_conflict_do_nothing(), rows)


def _forget_dirty(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_DIRTY, None)


def install() -> None:
    if not event.contains(Session, "before_commit", _write_dirty):
        event.listen(Session, "before_commit", _write_dirty)
        event.listen(Session, "after_soft_rollback", _forget_dirty)


Key = tuple[str, str, int, date]  # (period, model key, region id or NATIONAL, period start)


def _dialect_insert(model):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model)


@job
def refresh_price_cells(batch: int = 2000) -> int:
    """Recompute every dirty cell, then look for price drops around them. Returns cells done.

    Keys are taken with DELETE … RETURNING, so two workers never compute the same dirty key,
    and a key dirtied again meanwhile is simply taken by the next run."""
    done = 0
    d = PriceCellDirty
    while True:
        keys = [
            tuple(k)
            for k in db.session.execute(select(d.period, d.model_key, d.region_id, d.period_start).limit(batch))
        ]
        if not keys:
            db.session.commit()
            return done
        taken = db.session.execute(
            delete(d)
            .where(tuple_(d.period, d.model_key, d.region_id, d.period_start).in_(keys))
            .returning(d.period, d.model_key, d.region_id, d.period_start)
        )
        done += compute_cells({tuple(k) for k in taken})
        db.session.commit()


def _model_filter(key: str):
    number = int(key[1:])
    return PriceObservation.product_id == number if key[0] == "p" else PriceObservation.competitor_model_id == number


def _period_bounds(period: str, start: date) -> tuple[datetime, datetime]:
    first, _ = business_day_bounds(start)
    last_day = start + rules.period_length(period) - timedelta(days=1)
    _, end = business_day_bounds(last_day)
    return first, end


def observations_of(period: str, key: str, region_id: int, start: date):
    """The raw observations a cell is made of."""
    first, end = _period_bounds(period, start)
    stmt = select(PriceObservation).where(
        _model_filter(key), PriceObservation.observed_at >= first, PriceObservation.observed_at < end
    )
    if region_id != NATIONAL:
        stores = select(Store.id).where(Store.territory_id.in_(region_territories(region_id)))
        stmt = stmt.where(PriceObservation.store_id.in_(stores))
    return stmt


def _observation_rows():
    o = PriceObservation
    return (
        select(o.product_id, o.competitor_model_id, o.observed_at, o.shelf_price, o.promo_price, o.promo_text)
        .add_columns(Territory.region_id)
        .join(Store, Store.id == o.store_id)
        .join(Territory, Territory.id == Store.territory_id)
    )


def _bucket(rows, wanted: set[Key] | None = None) -> dict[Key, tuple[list, int]]:
    """Observations grouped by the cells they belong to (all of them, or only `wanted`)."""
    groups: dict[Key, tuple[list, list]] = {}
    zone = business_zone()
    for product_id, cmodel_id, observed_at, shelf, promo, text, region_id in rows:
        key = model_key(product_id, cmodel_id)
        day = business_date(observed_at, zone)
        price = promo if promo is not None else shelf
        promoted = promo is not None or bool(text)
        for period in rules.PERIODS:
            start = rules.period_start(day, period)
            for region in (region_id, NATIONAL):
                cell = (period, key, region, start)
                if wanted is not None and cell not in wanted:
                    continue
                prices, promos = groups.setdefault(cell, ([], []))
                prices.append(price)
                promos.append(promoted)
    return {k: (prices, sum(promos)) for k, (prices, promos) in groups.items()}


def _cell_row(cell: Key, prices: list, promos: int, brand_of: dict, now: datetime) -> dict:
    period, key, region, start = cell
    number = int(key[1:])
    return {
        "period": period,
        "period_start": start,
        "region_id": region,
        "model_key": key,
        "product_id": number if key[0] == "p" else None,
        "competitor_model_id": number if key[0] == "c" else None,
        "brand_id": brand_of.get(number) if key[0] == "c" else None,
        "n": len(prices),
        "n_promo": promos,
        "median": rules.median(prices),
        "min": min(prices),
        "max": max(prices),
        "mean": (sum(prices) / len(prices)).quantize(rules.CENT),
        "updated_at": now,
    }


def _upsert_cells(rows: list[dict]) -> None:
    for i in range(0, len(rows), 2000):
        stmt = _dialect_insert(PriceCell)
        columns = ("product_id", "competitor_model_id", "brand_id", "n", "n_promo", "median", "min", "max", "mean")
        stmt = stmt.on_conflict_do_update(
            index_elements=["period", "model_key", "region_id", "period_start"],
            set_={c: getattr(stmt.excluded, c) for c in (*columns, "updated_at")},
        )
        db.session.execute(stmt, rows[i : i + 2000])


def compute_cells(keys: set[Key]) -> int:
    """Recompute `keys` from the raw observations — one query per model over the days the keys
    span — write them (a cell left with no observations is deleted), and raise the alerts around
    them. Returns the number of keys computed."""
    if not keys:
        return 0
    by_model: dict[str, list[Key]] = {}
    for key in keys:
        by_model.setdefault(key[1], []).append(key)
    brand_of = dict(db.session.execute(select(CompetitorModel.id, CompetitorModel.brand_id)).all())
    now = utcnow()
    rows, empty = [], []
    for mkey, cells in by_model.items():
        first = min(c[3] for c in cells)
        last = max(c[3] + rules.period_length(c[0]) for c in cells)
        stmt = _observation_rows().where(
            _model_filter(mkey),
            PriceObservation.observed_at >= business_day_bounds(first)[0],
            PriceObservation.observed_at < business_day_bounds(last)[0],
        )
        groups = _bucket(db.session.execute(stmt), set(cells))
        for cell in cells:
            if cell in groups:
                rows.append(_cell_row(cell, *groups[cell], brand_of, now))
            else:
                empty.append(cell)
    _upsert_cells(rows)
    if empty:
        c = PriceCell
        db.session.execute(delete(c).where(tuple_(c.period, c.model_key, c.region_id, c.period_start).in_(empty)))
    raise_alerts({k for k in keys if k[1][0] == "c" and k[2] != NATIONAL})
    return len(keys)


def raise_alerts(keys: set[Key]) -> list[PriceAlert]:
    """Alerts for a drop into each of these cells (from the period before) or out of it (into the
    period after). A drop already reported is not reported again."""
    if not keys:
        return []
    cfg = current_app.config
    by_series: dict[tuple[str, str, int], list[date]] = {}
    for period, mkey, region, start in keys:
        by_series.setdefault((period, mkey, region), []).append(start)
    raised = []
    for (period, mkey, region), starts in by_series.items():
        step = rules.period_length(period)
        cells = {
            c.period_start: c
            for c in db.session.scalars(
                select(PriceCell).where(
                    PriceCell.period == period,
                    PriceCell.model_key == mkey,
                    PriceCell.region_id == region,
                    PriceCell.period_start >= min(starts) - step,
                    PriceCell.period_start <= max(starts) + step,
                )
            )
        }
        later_starts = {s for s in starts if s in cells} | {s + step for s in starts if s + step in cells}
        for later in sorted(later_starts):
            before, after = cells.get(later - step), cells[later]
            if before is None or not rules.is_alert(
                (before.median, before.n),
                (after.median, after.n),
                period,
                cfg["PRICE_DROP_ALERT_PCT"],
                cfg["PRICE_ALERT_MIN_OBS_WEEK"],
                cfg["PRICE_ALERT_MIN_OBS_DAY"],
            ):
                continue
            values = _alert_values(period, region, _values(before), _values(after))
            inserted = db.session.execute(
                _dialect_insert(PriceAlert).values(**values).on_conflict_do_nothing().returning(PriceAlert.id)
            ).scalar()
            if inserted is not None:  # None: this drop was reported before
                raised.append(db.session.get(PriceAlert, inserted))
    return raised


def _values(cell: PriceCell) -> dict:
    return {c.key: getattr(cell, c.key) for c in PriceCell.__table__.columns}


def _alert_values(period: str, region_id: int, before: dict, after: dict) -> dict:
    return {
        "competitor_model_id": after["competitor_model_id"],
        "brand_id": after["brand_id"],
        "region_id": region_id,
        "period": period,
        "period_start": after["period_start"],
        "previous_start": before["period_start"],
        "previous_median": before["median"],
        "current_median": after["median"],
        "drop_pct": round(rules.drop_pct(before["median"], after["median"]), 2),
        "previous_n": before["n"],
        "current_n": after["n"],
        "created_at": utcnow(),
    }


def rebuild_cells(since: date | None = None) -> int:
    """Recompute every cell (with observations since a day) in one pass over the observations,
    and raise the alerts they show: for a first deployment or after a bulk load. Returns the
    number of cells written."""
    stmt = _observation_rows()
    first = None
    if since is not None:
        first = rules.period_start(since, rules.WEEK)
        stmt = stmt.where(PriceObservation.observed_at >= business_day_bounds(first)[0])
    groups = _bucket(db.session.execute(stmt.execution_options(yield_per=20_000)))
    brand_of = dict(db.session.execute(select(CompetitorModel.id, CompetitorModel.brand_id)).all())
    old = delete(PriceCell)
    if first is not None:
        old = old.where(PriceCell.period_start >= first)
    db.session.execute(old)
    now = utcnow()
    rows = [_cell_row(cell, prices, promos, brand_of, now) for cell, (prices, promos) in groups.items()]
    for i in range(0, len(rows), 5000):
        db.session.execute(insert(PriceCell), rows[i : i + 5000])
    db.session.flush()
    raise_alerts({k for k in groups if k[1][0] == "c" and k[2] != NATIONAL})
    db.session.commit()
    return len(rows)


# --- reading ---------------------------------------------------------------------------------------


def _region_for(actor: User, region_id: int | None) -> int:
    """Managers read their own region; others any region, or nationwide (0) by default."""
    check_role(actor, *READERS)
    if actor.role == Role.MANAGER:
        if region_id not in (None, actor.region_id):
            raise NotFound(f"No region {region_id}.", field="region_id")
        return actor.region_id
    if region_id not in (None, NATIONAL) and db.session.get(Region, region_id) is None:
        raise NotFound(f"No region {region_id}.", field="region_id")
    return NATIONAL if region_id is None else region_id


def _names() -> tuple[dict, dict, dict]:
    products = {p.id: (p.model_code, p.name) for p in db.session.scalars(select(Product))}
    brands = dict(db.session.execute(select(CompetitorBrand.id, CompetitorBrand.name)).all())
    cmodels = {m.id: (m.name, m.brand_id) for m in db.session.scalars(select(CompetitorModel))}
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
        raise InvalidInput("`since` is after `until`.", field="since", location="query")
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
                raise NotFound(f"No product {filters['product_id']}.", field="product_id")
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
    out = []
    for cell in db.session.scalars(stmt.order_by(PriceCell.model_key, PriceCell.period_start)):
        if cell.product_id is not None:
            code, name = products.get(cell.product_id, ("?", "?"))
            label, brand = f"{name}", None
        else:
            name, brand_id = cmodels.get(cell.competitor_model_id, ("?", None))
            brand = brands.get(brand_id)
            label = f"{brand} {name}"
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
    regions = dict(db.session.execute(select(Region.id, Region.name)).all())
    out = []
    for a in alerts:
        item = {c.key: getattr(a, c.key) for c in PriceAlert.__table__.columns}
        item["model"] = cmodels.get(a.competitor_model_id, ("?", None))[0]
        item["brand"] = brands.get(a.brand_id)
        item["region"] = regions.get(a.region_id)
        out.append(item)
    return out


def visible_alert(actor: User, alert_id: int) -> PriceAlert:
    alert = db.session.scalar(alerts_query(actor, {}).where(PriceAlert.id == alert_id))
    if alert is None:
        raise NotFound(f"No alert {alert_id}.")
    return alert


def alert_evidence(actor: User, alert_id: int) -> dict:
    """The alert with the observations of both periods (newest first), photos included."""
    from ..photos.service import attach_photo_ids

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
        raise Conflict(f"Alert {alert_id} was acknowledged already.")
    alert.acknowledged_by = actor.id
    alert.acknowledged_at = utcnow()
    db.session.flush()
    return alert


def promotions_query(actor: User, filters: dict):
    """Observations with a promotional price or text, newest first."""
    region_id = _region_for(actor, filters.get("region_id"))
    stmt = select(PriceObservation).where(
        or_(PriceObservation.promo_price.is_not(None), PriceObservation.promo_text != "")
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
    stores = dict(
        db.session.execute(select(Store.id, Store.name).where(Store.id.in_({r.store_id for r in rows}))).all()
    )
    out = []
    for r in rows:
        if r.product_id is not None:
            model, brand = products.get(r.product_id, ("?", "?"))[1], None
        else:
            name, brand_id = cmodels.get(r.competitor_model_id, ("?", None))
            model, brand = name, brands.get(brand_id)
        out.append(
            {
                "id": r.id,
                "observed_at": r.observed_at,
                "store_id": r.store_id,
                "store_name": stores.get(r.store_id),
                "brand": brand,
                "model": model,
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
