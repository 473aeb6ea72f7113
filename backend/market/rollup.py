"""The price rollups behind HQ's market dashboards: cells (median, min, max, count, promotions
per model, period and region) kept current as observations arrive, and the price-drop alerts
computed from them. The read queries over them are `service.py`.

How the rollups stay current: a new `PriceObservation` is noticed when it is flushed, whoever
records it (the intel domain, through REST or a sync push, never calls in here): its store, model
and day are noted in the transaction (the transaction state `NOTED`, registered by
`backend.market.init_app`), and `refresh_price_cells` is recorded in the job outbox with it, delayed by
`PRICE_ROLLUP_DELAY_SECONDS`: every transaction committed in that window joins the one pending
run, so a burst of sync pushes (a phone's 1,000 mutations come in 5 batches; twenty phones at
lunch time) makes one run a few seconds later instead of one per batch (issue 13). A Redis
outage or a dead worker delays the run, never loses it. Just before
the transaction commits, the four cells of each noted observation (day and week, its region and
nationwide) are marked dirty in `price_cells_dirty`; a rollback forgets them with the
observations. The job takes dirty cells away one by one, recomputes each from the raw
observations (an index on model and time), and checks the cells' neighbours for a price drop. A
cell dirtied again while the job runs stays dirty for the next run, so no observation is left
out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, insert, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from ..catalogue.models import CompetitorModel
from ..core.timeutil import business_date, business_day_bounds, business_zone, utcnow
from ..core.transaction import TransactionState
from ..extensions import db
from ..intel.models import PriceObservation
from ..jobs import after_commit, job
from ..org.models import Territory
from ..stores.models import Store
from ..stores.service import region_territories
from . import rules
from .models import NATIONAL, PriceAlert, PriceCell, PriceCellDirty

# --- noticing observations ------------------------------------------------------------------------


def model_key(product_id: int | None, competitor_model_id: int | None) -> str:
    return f"p{product_id}" if product_id is not None else f"c{competitor_model_id}"


def _notice_observations(session: Session) -> None:
    """After a flush: note the new price observations, and have the rollup job run after the commit."""
    new = [obj for obj in session.new if isinstance(obj, PriceObservation)]
    if not new:
        return
    noted = NOTED.get(session)
    for obs in new:
        noted.add((obs.store_id, model_key(obs.product_id, obs.competitor_model_id), business_date(obs.observed_at)))
    after_commit(refresh_price_cells, session=session, delay=current_app.config["PRICE_ROLLUP_DELAY_SECONDS"])


def _write_dirty(session: Session, noted: set) -> None:
    """Before the commit: mark the cells of the noted observations dirty, in the same transaction."""
    if not noted:
        return
    stores = {store_id for store_id, _, _ in noted}
    region_of = dict(
        session.execute(
            select(Store.id, Territory.region_id)
            .join(Territory, Territory.id == Store.territory_id)
            .where(Store.id.in_(stores))
        ).all()
    )
    keys = set()
    for store_id, key, day in noted:
        for period in rules.PERIODS:
            start = rules.period_start(day, period)
            keys.add((period, key, region_of[store_id], start))
            keys.add((period, key, NATIONAL, start))
    rows = [{"period": p, "model_key": k, "region_id": r, "period_start": s} for p, k, r, s in sorted(keys)]
    # DO UPDATE (a no-op), not DO NOTHING: a key that is dirty already is then locked by this
    # transaction until it commits, so a rollup run cannot take it away in between and compute
    # the cell without this transaction's observations (a run skips locked keys, and the run this
    # transaction recorded takes them). Sorted, so two transactions lock their keys in one order.
    stmt = _dialect_insert(PriceCellDirty, session)
    session.execute(
        stmt.on_conflict_do_update(index_elements=_DIRTY_KEY, set_={"period": stmt.excluded.period}),
        rows,
    )


_DIRTY_KEY = ["period", "model_key", "region_id", "period_start"]

NOTED = TransactionState("price_observations_noted", set, after_flush=_notice_observations, before_commit=_write_dirty)
"""The open transaction's new observations: {(store id, model key, business day)}."""


# --- computing cells and alerts -------------------------------------------------------------------

Key = tuple[str, str, int, date]  # (period, model key, region id or NATIONAL, period start)


def _dialect_insert(model, session=None):
    session = session if session is not None else db.session
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(model)


@job(light=True)
def refresh_price_cells(batch: int = 2000) -> int:
    """Recompute every dirty cell, then look for price drops around them. Returns cells done.

    Keys are taken with DELETE … RETURNING of a SELECT … FOR UPDATE SKIP LOCKED: two workers never
    compute the same dirty key, and a key that a transaction still writing observations holds
    (see `_write_dirty`) is left to the run that transaction recorded, and to one more this run
    records for it in case that transaction rolls back. A key dirtied again while it is computed
    is taken by the next run. (SQLite has one writer at a time: no locks needed.)"""
    done = 0
    d = PriceCellDirty
    cols = (d.period, d.model_key, d.region_id, d.period_start)
    while True:
        # One statement takes a batch: the subquery locks what no one holds, the DELETE takes it.
        taken = {
            tuple(k)
            for k in db.session.execute(
                delete(d)
                .where(tuple_(*cols).in_(select(*cols).limit(batch).with_for_update(skip_locked=True)))
                .returning(*cols)
            )
        }
        if not taken:
            if db.session.scalar(select(d.period).limit(1)) is not None:
                # Keys skipped above because a transaction held them: it recorded a run of its
                # own, but if it rolls back that run goes with it and its keys (dirty before it)
                # would wait for the next observation. So one more run, delayed, for them (it
                # joins any run already pending).
                after_commit(refresh_price_cells, delay=max(1, current_app.config["PRICE_ROLLUP_DELAY_SECONDS"]))
            db.session.commit()
            return done
        done += compute_cells(taken)
        db.session.commit()


def _model_filter(key: str):
    number = int(key[1:])
    return PriceObservation.product_id == number if key[0] == "p" else PriceObservation.competitor_model_id == number


def _models_filter(keys: list[str]):
    """Observations of any of these models (model keys)."""
    products = [int(k[1:]) for k in keys if k[0] == "p"]
    competitors = [int(k[1:]) for k in keys if k[0] == "c"]
    o = PriceObservation
    if not competitors:
        return o.product_id.in_(products)
    if not products:
        return o.competitor_model_id.in_(competitors)
    return or_(o.product_id.in_(products), o.competitor_model_id.in_(competitors))


def _period_bounds(period: str, start: date) -> tuple[datetime, datetime]:
    first, _ = business_day_bounds(start)
    last_day = start + rules.period_length(period) - timedelta(days=1)
    _, end = business_day_bounds(last_day)
    return first, end


def counted():
    """The observations the rollups count: within one visit, a model's latest observation only.
    Typing a price again in the visit's grid records a correction (observations are append-only
    facts, SPEC I.3.2), which supersedes the visit's earlier price of that model instead of
    counting twice; observations outside a visit all count (a NULL visit_id equals nothing, so
    the NOT EXISTS holds for them: no OR here, which would keep PostgreSQL from planning it as an
    anti-join). "Latest" is by observed_at, then by when the server received it, then by id.
    (A correction on another business day than the price it corrects leaves that day's cells as
    they were until they are computed again: a visit across midnight, rare enough.)"""
    o, later = PriceObservation, aliased(PriceObservation)
    same_model = or_(later.product_id == o.product_id, later.competitor_model_id == o.competitor_model_id)
    after = or_(
        later.observed_at > o.observed_at,
        and_(
            later.observed_at == o.observed_at,
            or_(
                later.received_at > o.received_at,
                and_(later.received_at == o.received_at, later.id > o.id),
            ),
        ),
    )
    return ~exists().where(later.visit_id == o.visit_id, same_model, after)


def observations_of(period: str, key: str, region_id: int, start: date):
    """The raw observations a cell is made of."""
    first, end = _period_bounds(period, start)
    stmt = select(PriceObservation).where(
        _model_filter(key), PriceObservation.observed_at >= first, PriceObservation.observed_at < end, counted()
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
        .where(counted())
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
    """Recompute `keys` from the raw observations — one query per group of models over the days
    their keys span — write them (a cell left with no observations is deleted), and raise the alerts around
    them. Returns the number of keys computed."""
    if not keys:
        return 0
    by_model: dict[str, list[Key]] = {}
    for key in keys:
        by_model.setdefault(key[1], []).append(key)
    brand_of = dict(db.session.execute(select(CompetitorModel.id, CompetitorModel.brand_id)).all())
    now = utcnow()
    rows, empty = [], []
    # Each model's observations over the days its keys span, many models to a query: a push's
    # prices touch dozens of models, and a query each was most of the job's round trips. Models
    # whose spans overlap (a push's: this week) share a query over the days of them all, by IN
    # lists of models: one statement, compiled once and cached whatever the number of models.
    spans = {
        mkey: (min(c[3] for c in cells), max(c[3] + rules.period_length(c[0]) for c in cells))
        for mkey, cells in by_model.items()
    }
    for first, last, mkeys in _overlapping(spans):
        for i in range(0, len(mkeys), _MODELS_PER_QUERY):
            chunk = mkeys[i : i + _MODELS_PER_QUERY]
            o = PriceObservation
            stmt = _observation_rows().where(
                _models_filter(chunk),
                o.observed_at >= business_day_bounds(first)[0],
                o.observed_at < business_day_bounds(last)[0],
            )
            wanted = {cell for mkey in chunk for cell in by_model[mkey]}
            groups = _bucket(db.session.execute(stmt), wanted)
            for cell in sorted(wanted):
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
    # The series of a period and region whose keys' neighbourhoods overlap (a push's: around
    # this day, this week) are read together, by IN lists of models (one cached statement
    # however many models).
    ranges: dict[tuple[str, int], dict[str, tuple[date, date]]] = {}
    for (period, mkey, region), starts in by_series.items():
        step = rules.period_length(period)
        ranges.setdefault((period, region), {})[mkey] = (min(starts) - step, max(starts) + step)
    raised = []
    for (period, region), spans in sorted(ranges.items()):
        for lo, hi, mkeys in _overlapping(spans):
            for i in range(0, len(mkeys), _MODELS_PER_QUERY):
                chunk = mkeys[i : i + _MODELS_PER_QUERY]
                raised += _alerts_of_models(period, region, lo, hi, chunk, by_series, cfg)
    return raised


def _alerts_of_models(period: str, region: int, lo: date, hi: date, mkeys: list[str], by_series, cfg) -> list:
    """`raise_alerts` for the series of these models in a period and region, whose cells start
    between `lo` and `hi` (the keys' periods and those before and after)."""
    # The cells of each series around its keys (the period before and after).
    found: dict[str, dict[date, PriceCell]] = {mkey: {} for mkey in mkeys}
    c = PriceCell
    for cell in db.session.scalars(
        select(c).where(
            c.period == period,
            c.region_id == region,
            c.model_key.in_(mkeys),
            c.period_start >= lo,
            c.period_start <= hi,
        )
    ):
        found[cell.model_key][cell.period_start] = cell
    # The alerts already raised there: their figures follow the cells (see _alerts_of_series).
    known: dict[str, dict[date, PriceAlert]] = {mkey: {} for mkey in mkeys}
    a = PriceAlert
    for alert in db.session.scalars(
        select(a).where(
            a.period == period,
            a.region_id == region,
            a.competitor_model_id.in_([int(mkey[1:]) for mkey in mkeys]),
            a.period_start >= lo,
            a.period_start <= hi,
        )
    ):
        known[model_key(None, alert.competitor_model_id)][alert.period_start] = alert
    raised = []
    for mkey in mkeys:
        starts = by_series[(period, mkey, region)]
        raised += _alerts_of_series(period, region, starts, found[mkey], cfg, known[mkey])
    return raised


def _overlapping(spans: dict[str, tuple[date, date]]) -> list[tuple[date, date, list[str]]]:
    """Group keys whose (first, last) spans overlap or touch: [(first, last, keys)], each group's
    span the union of its keys' (a key read over a few more days than it needs, in one query
    with the others, rather than a query of its own)."""
    groups: list[tuple[date, date, list[str]]] = []
    for key, (first, last) in sorted(spans.items(), key=lambda item: (item[1], item[0])):
        if groups and first <= groups[-1][1]:
            lo, hi, keys = groups[-1]
            groups[-1] = (lo, max(hi, last), [*keys, key])
        else:
            groups.append((first, last, [key]))
    return groups


_MODELS_PER_QUERY = 100  # models (or series of cells) read by one query of the rollup job


def _alerts_of_series(
    period: str, region: int, starts: list[date], cells: dict[date, PriceCell], cfg, known: dict[date, PriceAlert]
) -> list:
    """The new alerts of one series (period, model, region) around the keys' `starts`, given
    the series' cells there by period start and the alerts raised there before (`known`).

    A drop is reported once, but an alert's figures (medians, drop, observation counts) follow
    its cells as observations keep arriving in its periods: an alert frozen at the moment it was
    raised said 28 observations while its evidence, read live, listed 32."""
    raised = []
    step = rules.period_length(period)
    later_starts = {s for s in starts if s in cells} | {s + step for s in starts if s + step in cells}
    for later in sorted(later_starts):
        before, after = cells.get(later - step), cells[later]
        alert = known.get(later)
        if alert is not None:
            if before is not None:
                figures = _alert_values(period, region, _values(before), _values(after))
                for name in ("previous_median", "current_median", "drop_pct", "previous_n", "current_n"):
                    setattr(alert, name, figures[name])
            continue
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
