"""The price rollup is coalesced (issue 13): with `PRICE_ROLLUP_DELAY_SECONDS`, every sync push
(and REST observation) committed within the window joins one pending `refresh_price_cells`,
which runs once when due and computes the cells of all of them — those of a full rebuild. With a
delay of 0 it runs after each commit, as before. In-process without REDIS_URL (the end of the
first request after the window runs it), on the session's real rq worker with it (RQ's scheduler)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from backend.catalogue.models import CompetitorModel
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.jobs import OutboxJob
from backend.market.models import PriceAlert, PriceCell, PriceCellDirty
from backend.market.rollup import rebuild_cells, refresh_price_cells
from tests.factories import iso
from tests.market.helpers import local, monday, observe, settle
from tests.market.test_rollup_queries import alerts, cells
from tests.sync.helpers import Device, price_args

pytestmark = pytest.mark.usefixtures("rq_worker")
with_redis = bool(os.environ.get("REDIS_URL"))


def rollup_jobs() -> list[OutboxJob]:
    db.session.rollback()
    return db.session.scalars(
        select(OutboxJob).where(OutboxJob.name.endswith(":refresh_price_cells")).order_by(OutboxJob.id)
    ).all()


def test_a_burst_of_pushes_within_the_window_makes_one_rollup_run_with_all_their_cells(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PRICE_ROLLUP_DELAY_SECONDS", 6)
    second = CompetitorModel(brand_id=world.brand.id, name="Find X8", list_price=Decimal("4999.00"))
    db.session.add(second)
    db.session.commit()
    phones = [
        (Device(api(world.rep_a1)), (world.store_a1, world.store_a1b)),
        (Device(api(world.rep_b1)), (world.store_b1,)),
    ]
    before, last = monday(2), monday(1)
    started = utcnow()
    pushes = 0
    for model, base in ((world.competitor_model, 2700), (second, 5000)):
        for day in range(4):
            for device, stores in phones:  # a batch per phone, model and day: 16 pushes
                batch = [
                    device.mutation("price.observe", price_args(s, model.id, price=f"{p}.00", observed_at=iso(at)))
                    for s in stores
                    for p, at in (
                        (base, local(before + timedelta(days=day), 11)),
                        (base - 300, local(last + timedelta(days=day), 15)),
                    )
                ]
                r = device.push(batch)
                assert r.status_code == 200 and {m["status"] for m in r.json["results"]} == {"applied"}, r.data[:300]
                pushes += 1
    assert (utcnow() - started).total_seconds() < 6, "too slow a machine: the pushes outlasted the window"
    (job,) = rollup_jobs()  # 16 pushes, one job
    assert job.state in ("pending", "queued") and job.attempts == 0
    assert db.session.query(PriceCellDirty).count() > 0 and db.session.query(PriceCell).count() == 0

    time.sleep(max(0.0, (job.next_attempt_at - utcnow()).total_seconds()) + 0.1)
    dashboard = api(world.hq).get(f"/api/v1/market/price-trends?competitor_model_id={second.id}")
    assert dashboard.status_code == 200  # in-process, the end of this request runs the rollup
    settle()
    made, raised = cells(), alerts()
    assert {m for _, m, *_ in made} == {f"c{world.competitor_model.id}", f"c{second.id}"}
    assert raised  # both models dropped by 11 % or more in both regions
    (job,) = rollup_jobs()
    deadline = time.monotonic() + 10
    while job.state != "done" and time.monotonic() < deadline:  # the worker commits cells and row together
        time.sleep(0.05)
        (job,) = rollup_jobs()
    assert (job.state, job.attempts) == ("done", 1), f"{pushes} pushes"

    db.session.execute(PriceAlert.__table__.delete())
    db.session.commit()
    rebuild_cells()
    assert cells() == made and alerts() == raised


def test_rest_observations_within_the_window_join_the_pending_rollup(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PRICE_ROLLUP_DELAY_SECONDS", 2)
    rep, other = api(world.rep_a1), api(world.rep_b1)
    observe(rep, world.store_a1, local(monday(1), 10), "2599", competitor_model=world.competitor_model)
    observe(other, world.store_b1, local(monday(1), 11), "2499", competitor_model=world.competitor_model)
    observe(rep, world.store_a1b, local(monday(0), 9), "3999", product=world.product)
    (job,) = rollup_jobs()
    assert job.state in ("pending", "queued")
    time.sleep(max(0.0, (job.next_attempt_at - utcnow()).total_seconds()) + 0.1)
    rep.get("/api/v1/health")
    settle()
    week_national = {
        (c.model_key, c.n)
        for c in db.session.scalars(select(PriceCell).where(PriceCell.period == "week", PriceCell.region_id == 0))
    }
    assert week_national == {(f"c{world.competitor_model.id}", 2), (f"p{world.product.id}", 1)}


def test_with_no_delay_each_push_is_rolled_up_at_once_as_before(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PRICE_ROLLUP_DELAY_SECONDS", 0)
    device = Device(api(world.rep_a1))
    for price in ("2599.00", "2499.00"):
        r = device.push(
            [device.mutation("price.observe", price_args(world.store_a1, world.competitor_model.id, price=price))]
        )
        assert r.status_code == 200
        if not with_redis:  # in-process: done before the push's answer
            assert db.session.query(PriceCellDirty).count() == 0
            assert rollup_jobs()[-1].state == "done"
    settle()
    assert db.session.query(PriceCell).filter(PriceCell.period == "day", PriceCell.region_id == 0).one().n == 2
    if not with_redis:
        assert [j.state for j in rollup_jobs()] == ["done", "done"]  # one run per push, as before


def test_a_run_that_skips_a_key_a_transaction_holds_leaves_a_run_for_it_should_that_transaction_roll_back(
    api, world, app, monkeypatch
):
    """A push locks a cell that is dirty already (its no-op upsert) until it commits, and a run
    skips it (FOR UPDATE SKIP LOCKED): the push's own run takes it — unless the push rolls back
    and its run with it. The run that skipped the key then has recorded one more for it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite has one writer at a time, nothing is skipped)")
    monkeypatch.setitem(app.config, "PRICE_ROLLUP_DELAY_SECONDS", 0)
    observe(
        api(world.rep_a1),
        world.store_a1,
        utcnow() - timedelta(hours=1),
        "2599",
        competitor_model=world.competitor_model,
    )
    settle()
    cell = db.session.query(PriceCell).filter(PriceCell.period == "day", PriceCell.region_id == 0).one()
    key = {"period": cell.period, "model_key": cell.model_key, "region_id": 0, "period_start": cell.period_start}
    db.session.add(PriceCellDirty(**key))  # dirty before the push below, by a push that committed
    db.session.commit()
    jobs_before = len(rollup_jobs())
    monkeypatch.setitem(app.config, "PRICE_ROLLUP_DELAY_SECONDS", 3)  # what the run records waits

    push = db.engine.connect()  # the push: between marking its cells and its commit
    try:
        tx = push.begin()
        push.execute(select(PriceCellDirty).filter_by(**key).with_for_update())
        refresh_price_cells()  # a run while the push holds the key: skips it
        db.session.rollback()
        assert db.session.query(PriceCellDirty).filter_by(**key).count() == 1
        later = rollup_jobs()[jobs_before:]
        assert later and later[-1].state in ("pending", "queued"), [j.state for j in later]
        assert later[-1].next_attempt_at > utcnow()  # delayed: the push may still commit meanwhile
        tx.rollback()  # the push fails: its own run is gone with it
    finally:
        push.close()
    if with_redis:
        settle(timeout=60)  # the recorded run, from RQ's scheduler
    else:
        time.sleep(3.1)
        refresh_price_cells()  # what the first request after the window runs
    assert db.session.query(PriceCellDirty).count() == 0
