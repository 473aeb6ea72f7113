"""Helpers for the channel alert, export and store-figure tests: rollup rows written by hand
(what they hold is tested in test_rollup*.py), counts posted through the API, and waiting for the
alert jobs (in-process without REDIS_URL: done when the request returns; with it, a real rq
worker: poll the outbox until none of them is open)."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

from sqlalchemy import exists, select

from backend.auth.models import Role, User
from backend.channel.figures import business_today, week_of
from backend.channel.models import (
    NATIONAL,
    NO_PARTNER,
    ChannelCohort,
    ChannelSale,
    ChannelStock,
    ChannelWeek,
    SellOutCell,
    StoreSellOutWeek,
)
from backend.extensions import db
from backend.jobs import run_ready_jobs
from backend.jobs.models import OPEN_STATES, OutboxJob
from backend.org.models import Territory
from backend.stores.models import Store
from tests.factories import ApiClient, make_store, make_user, shop_stock_count_body

COUNTS = "/api/v1/shop-stock-counts"
ALERTS = "/api/v1/channel/alerts"


def monday(weeks_ago: int) -> date:
    """The Monday `weeks_ago` weeks before this business week's."""
    return week_of(business_today()) - timedelta(weeks=weeks_ago)


def region_sold(region_id: int, product_id: int, card_units: int, declared_units: int = 0, weeks_ago: int = 1) -> None:
    """Sell-out at the region's stores in one week, in the cells and in the store-weeks the
    stock-out rule reads: the cards at the region's first store with a clerk, the declared units
    at its first store without one (so each counts once there, as `alerts.region_units` takes
    cards where a store registers them, else its declarations)."""
    for region in (region_id, NATIONAL):
        key = (region, f"p{product_id}", monday(weeks_ago))
        cell = db.session.get(SellOutCell, key)
        if cell is None:
            cell = SellOutCell(region_id=region, model_key=key[1], week_start=key[2])
            cell.card_units = cell.declared_units = cell.declared_reports = 0
            cell.estimated_units = cell.estimates = 0
            db.session.add(cell)
        cell.card_units += card_units
        cell.declared_units += declared_units
        cell.declared_reports += 1 if declared_units else 0
    if card_units:
        store_week(region_store(region_id, clerk=True), product_id, weeks_ago, card_units=card_units)
    if declared_units:
        store_week(region_store(region_id, clerk=False), product_id, weeks_ago, declared_units=declared_units)
    db.session.commit()


def region_store(region_id: int, clerk: bool) -> int:
    """The region's first store with (without) a clerk; one made in its first territory if none."""
    has_clerk = exists().where(User.store_id == Store.id, User.role == Role.CLERK)
    stmt = (
        select(Store.id)
        .join(Territory, Territory.id == Store.territory_id)
        .where(Territory.region_id == region_id, has_clerk if clerk else ~has_clerk)
        .order_by(Store.id)
    )
    store_id = db.session.scalar(stmt.limit(1))
    if store_id is not None:
        return store_id
    territory = db.session.scalar(select(Territory).where(Territory.region_id == region_id).order_by(Territory.id))
    store = make_store(f"R{region_id}-{'C' if clerk else 'N'}", territory, 22.8, 108.3)
    if clerk:
        make_user(f"clerk_r{region_id}", Role.CLERK, store_id=store.id)
    db.session.flush()
    return store.id


def store_week(store_id: int, product_id: int, weeks_ago: int, card_units: int = 0, declared_units: int = 0) -> None:
    """Add to a store's sell-out of a model in one week (the rollup row, by hand)."""
    key = (store_id, f"p{product_id}", monday(weeks_ago))
    row = db.session.get(StoreSellOutWeek, key)
    if row is None:
        row = StoreSellOutWeek(store_id=store_id, model_key=key[1], week_start=key[2])
        row.card_units = row.declared_units = row.declared_reports = 0
        row.estimated_units = row.estimates = 0
        db.session.add(row)
    row.card_units += card_units
    row.declared_units += declared_units
    row.declared_reports += 1 if declared_units else 0
    db.session.flush()


def channel(region_id: int, product_id: int, shipped: int, sold: int, sold_in_window: int) -> None:
    """A region's channel of a model: one cohort shipped 10 weeks ago, `sold_in_window` of its
    sales in the last complete week (the rest 8 weeks ago, outside the 4-week window) — in the
    cohort rows and in the per-channel totals and weeks the figures read."""
    ship_week = monday(10)
    key = {"region_id": region_id, "partner_id": NO_PARTNER, "product_id": product_id}
    db.session.add(ChannelCohort(**key, ship_week=ship_week, shipped=shipped, sold=sold))
    spread = ((monday(8), sold - sold_in_window), (monday(1), sold_in_window))
    sales = [(week, units) for week, units in spread if units]
    for week, units in sales:
        db.session.add(ChannelSale(**key, ship_week=ship_week, sale_week=week, units=units))
    db.session.add(ChannelStock(**key, shipped=shipped, sold=sold))
    weeks = {ship_week: [shipped, 0]}
    for week, units in sales:
        weeks.setdefault(week, [0, 0])[1] += units
    for week, (shipped_then, sold_then) in weeks.items():
        db.session.add(ChannelWeek(**key, week_start=week, shipped=shipped_then, sold=sold_then))
    db.session.commit()


def count(client: ApiClient, store_id: int, product_id: int, on_hand: int, **kw) -> dict:
    r = client.post(COUNTS, json=shop_stock_count_body(store_id, product_id, on_hand, **kw))
    assert r.status_code == 201, r.json
    settle()
    return r.json


def settle(timeout: float = 60.0) -> None:
    """Wait until no alert job is open (with a worker; without, they ran when the request ended)."""
    names = ("backend.channel.alerts:check_store_stock", "backend.channel.alerts:check_cover")
    run_ready_jobs()  # those a commit outside a request recorded
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # read what the job committed
        left = db.session.scalar(
            select(OutboxJob.id).where(OutboxJob.name.in_(names), OutboxJob.state.in_(OPEN_STATES)).limit(1)
        )
        if left is None:
            return
        if not os.environ.get("REDIS_URL") or time.monotonic() > deadline:
            raise AssertionError("an alert job is still open")
        time.sleep(0.05)
