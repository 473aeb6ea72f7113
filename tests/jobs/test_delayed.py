"""Delayed jobs (`after_commit(fn, *args, delay=seconds)`): the row is due that much after the
first commit, identical jobs committed within the window join it and the job runs once when due —
at the end of the first request after that without REDIS_URL, from RQ's scheduler (which every
`AppWorker` runs) on the session's real rq worker with it. A delay of 0 is the plain job."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.jobs import OutboxJob, after_commit, outbox, run_ready_jobs

from .sample_jobs import note
from .test_outbox import runs, wait_state, with_redis


def commit_with(fn, *args, delay: float) -> None:
    after_commit(fn, *args, delay=delay)
    db.session.commit()
    run_ready_jobs()


def rows() -> list[OutboxJob]:
    db.session.rollback()
    return db.session.scalars(select(OutboxJob).order_by(OutboxJob.id)).all()


def test_delayed_jobs_committed_within_the_window_share_one_row_and_run_once_when_due(client, tmp_path):
    ran = tmp_path / "runs"
    before = utcnow()
    for _ in range(4):  # four transactions (four sync pushes, say) within the window
        commit_with(note, str(ran), delay=2)
    (job,) = rows()
    assert job.state == ("queued" if with_redis else "pending") and job.attempts == 0
    assert 1.5 <= (job.next_attempt_at - before).total_seconds() <= 3  # due 2 s after the first commit
    assert client.get("/api/v1/health").status_code == 200  # a request before it is due: nothing runs
    assert runs(ran) == 0 and rows()[0].state == job.state

    time.sleep(max(0.0, (job.next_attempt_at - utcnow()).total_seconds()) + 0.1)
    if not with_redis:
        client.get("/api/v1/health")  # the end of the first request after it falls due runs it
    job = wait_state(job.id, "done", timeout=20)
    assert runs(ran) == 1 and job.attempts == 1 and len(rows()) == 1


def test_a_job_committed_while_the_delayed_one_runs_or_after_it_gets_a_row_of_its_own(client, tmp_path):
    ran = tmp_path / "runs"
    commit_with(note, str(ran), delay=0.5)
    time.sleep(0.6)
    if not with_redis:
        client.get("/api/v1/health")
    first = wait_state(rows()[0].id, "done", timeout=20)
    commit_with(note, str(ran), delay=0.5)  # a new window: the run before may have missed its data
    second = [j for j in rows() if j.id != first.id]
    assert len(second) == 1 and second[0].state in ("pending", "queued")
    time.sleep(0.6)
    if not with_redis:
        client.get("/api/v1/health")
    wait_state(second[0].id, "done", timeout=20)
    assert runs(ran) == 2


def test_with_no_delay_the_job_is_dispatched_at_once(tmp_path):
    ran = tmp_path / "runs"
    commit_with(note, str(ran), delay=0)
    (job,) = rows()
    assert job.next_attempt_at <= utcnow()
    wait_state(job.id, "done")  # in-process: already done when the commit's dispatch returns
    assert runs(ran) == 1


def test_in_a_transaction_the_shortest_delay_asked_for_wins(client, tmp_path):
    ran = tmp_path / "runs"
    before = utcnow()
    after_commit(note, str(ran), delay=30)
    after_commit(note, str(ran), delay=1)
    db.session.commit()
    run_ready_jobs()
    (job,) = rows()
    assert (job.next_attempt_at - before).total_seconds() < 5
    time.sleep(max(0.0, (job.next_attempt_at - utcnow()).total_seconds()) + 0.1)
    if not with_redis:
        client.get("/api/v1/health")
    wait_state(job.id, "done", timeout=20)
    assert runs(ran) == 1


def test_the_same_delayed_job_committed_by_two_transactions_at_once_gets_one_row(app, tmp_path):
    """Two sync pushes committing at the same moment each record the price rollup: neither sees
    the other's uncommitted outbox row, so each wrote one and the rollup ran once per push. On
    PostgreSQL the second now waits for the first's commit (an advisory lock on the job's key)
    and joins its row. SQLite has one writer at a time: no race to test."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    ran = str(tmp_path / "runs")
    first = db.session  # this thread's session: it records its row and holds the commit open
    name = outbox.job_name(note)
    outbox.record(first, {outbox.dedupe_key(name, [ran]): (name, [ran], 30.0)})
    done = threading.Event()
    errors: list[BaseException] = []

    def second():
        try:
            with app.app_context():
                after_commit(note, ran, delay=30)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=second)
    thread.start()
    # The second transaction waits for the first's commit (without the lock it writes its own row now).
    assert not done.wait(1.0)
    first.commit()
    thread.join(timeout=30)
    assert done.is_set() and not errors, errors
    same = rows()
    assert len(same) == 1 and same[0].args == [ran], [(j.id, j.name, j.args) for j in same]
