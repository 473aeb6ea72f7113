"""The job outbox: a job commits or rolls back with its data, is dispatched once after the commit,
waits (pending) while Redis is unreachable, is re-queued by the sweeper when its worker died, and
ends `failed` with its reason when out of attempts. Runs in-process without REDIS_URL and on the
session's real rq worker with it."""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.jobs import OutboxJob, after_commit, enqueue, outbox, run_ready_jobs
from backend.jobs.sweeper import sweep
from backend.org.models import Region

from .sample_jobs import always_fails, hopeless, needs, note

with_redis = bool(os.environ.get("REDIS_URL"))


def closed_port_url() -> str:
    """A Redis URL nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def runs(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def row(outbox_id: int) -> OutboxJob:
    db.session.rollback()  # read what the worker committed
    return db.session.get(OutboxJob, outbox_id)


def wait_state(outbox_id: int, *states: str, timeout: float = 20.0) -> OutboxJob:
    deadline = time.monotonic() + timeout
    while True:
        job = row(outbox_id)
        if job.state in states:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {outbox_id} is {job.state} ({job.last_error}), not {states}")
        time.sleep(0.05)


def jobs_in_another_connection() -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(OutboxJob))


@pytest.fixture
def in_process(app, monkeypatch):
    """Run jobs in this process, so that configuration changed by the test applies to them."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    return monkeypatch


@pytest.fixture
def redis_down(app, monkeypatch):
    """REDIS_URL points at a closed port; `back()` restores the real one (or none: in-process)."""
    real = app.config["REDIS_URL"]
    monkeypatch.setitem(app.config, "REDIS_URL", closed_port_url())

    def back():
        app.config["REDIS_URL"] = real

    return back


def test_a_job_commits_with_its_data_and_is_dispatched_after_the_commit(tmp_path):
    ran = tmp_path / "runs"
    db.session.add(Region(code="OUTBOX", name="Outbox test"))
    after_commit(note, str(ran))
    db.session.flush()
    assert jobs_in_another_connection() == 0  # nothing before the commit
    db.session.commit()
    (job,) = db.session.scalars(select(OutboxJob)).all()
    assert (job.name, job.args, job.state) == ("tests.jobs.sample_jobs:note", [str(ran)], "pending")
    assert runs(ran) == 0  # dispatched after the commit, not inside it
    run_ready_jobs()
    job = wait_state(job.id, "done")
    assert runs(ran) == 1 and job.attempts == 1 and job.last_error == ""
    assert job.started_at is not None and job.finished_at >= job.started_at


def test_a_job_rolls_back_with_its_data(tmp_path):
    ran = tmp_path / "runs"
    db.session.add(Region(code="OUTBOX", name="Outbox test"))
    after_commit(note, str(ran))
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    run_ready_jobs()
    assert jobs_in_another_connection() == 0 and runs(ran) == 0
    assert db.session.scalar(select(func.count()).select_from(Region)) == 0


def test_the_same_job_twice_in_a_transaction_is_recorded_and_run_once(tmp_path):
    ran = tmp_path / "runs"
    after_commit(note, str(ran))
    after_commit(note, str(ran))
    outbox_id = enqueue(note, str(ran))
    wait_state(outbox_id, "done")
    assert jobs_in_another_connection() == 1 and runs(ran) == 1


def test_a_job_dispatched_twice_runs_once(tmp_path):
    ran = tmp_path / "runs"
    after_commit(note, str(ran))
    db.session.commit()
    ids = list(db.session.info["jobs_ready"])
    db.session.info.pop("jobs_ready")
    outbox.dispatch(ids + ids)
    outbox.dispatch(ids)
    wait_state(ids[0], "done")
    sweep()  # nothing left for it to do
    time.sleep(0.3 if with_redis else 0)  # a second rq job, had there been one, would have run by now
    assert runs(ran) == 1 and row(ids[0]).attempts == 1


def test_a_finished_job_run_again_by_hand_is_harmless(tmp_path):
    ran = tmp_path / "runs"
    outbox_id = enqueue(note, str(ran))
    wait_state(outbox_id, "done")
    outbox.execute(outbox_id, note, (str(ran),))  # a stray rq job for the same row: claims nothing
    assert runs(ran) == 1 and row(outbox_id).attempts == 1


def test_while_redis_is_unreachable_the_job_waits_pending_and_the_sweeper_sends_it_later(tmp_path, redis_down):
    ran = tmp_path / "runs"
    db.session.add(Region(code="OUTBOX", name="Outbox test"))
    outbox_id = enqueue(note, str(ran))  # no exception: the data is committed, the job pending
    assert db.session.scalar(select(func.count()).select_from(Region)) == 1
    job = row(outbox_id)
    assert (job.state, job.attempts, job.rq_job_id) == ("pending", 0, None)
    assert enqueue(note, str(ran)) == outbox_id or jobs_in_another_connection() == 1  # absorbed
    assert sweep().dispatched == [outbox_id] and row(outbox_id).state == "pending"  # still down
    redis_down()
    assert sweep().dispatched == [outbox_id]
    wait_state(outbox_id, "done")
    assert runs(ran) == 1


def test_an_attempt_whose_worker_died_is_requeued_by_the_sweeper(app, tmp_path, monkeypatch):
    ran = tmp_path / "runs"
    outbox_id = enqueue(note, str(ran))
    wait_state(outbox_id, "done")
    # As a worker killed mid-attempt leaves it: running, its heartbeat long stopped.
    long_ago = utcnow() - timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 5)
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == outbox_id)
        .values(state="running", heartbeat_at=long_ago, started_at=long_ago, rq_job_id=None)
    )
    db.session.commit()
    result = sweep()
    assert result.abandoned == [outbox_id] and outbox_id in result.dispatched
    job = wait_state(outbox_id, "done")
    assert job.attempts == 2 and runs(ran) == 2  # the job is idempotent: running it again is safe


def test_a_running_attempt_with_a_fresh_heartbeat_is_left_alone(tmp_path):
    outbox_id = enqueue(note, str(tmp_path / "runs"))
    wait_state(outbox_id, "done")
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == outbox_id)
        .values(state="running", heartbeat_at=utcnow(), rq_job_id=None)
    )
    db.session.commit()
    assert sweep().abandoned == [] and row(outbox_id).state == "running"


def test_attempts_are_bounded_then_the_job_is_failed_with_its_reason(app, tmp_path, in_process):
    in_process.setitem(app.config, "JOB_MAX_ATTEMPTS", 3)
    in_process.setitem(app.config, "JOB_RETRY_SECONDS", 0)
    gave_up = tmp_path / "gave-up"
    outbox_id = enqueue(always_fails, str(gave_up))
    assert (row(outbox_id).state, row(outbox_id).attempts) == ("pending", 1)
    assert sweep().dispatched == [outbox_id] and row(outbox_id).state == "pending"
    assert sweep().dispatched == [outbox_id]
    job = row(outbox_id)
    assert (job.state, job.attempts, job.last_error) == ("failed", 3, "attempt 3: RuntimeError: still broken")
    assert job.finished_at is not None
    assert gave_up.read_text() == job.last_error  # the job's give-up handler ran
    assert sweep().dispatched == [] and row(outbox_id).state == "failed"  # never retried by itself


def test_an_abandoned_attempt_counts_and_the_last_one_fails_the_job(app, tmp_path, in_process):
    in_process.setitem(app.config, "JOB_MAX_ATTEMPTS", 2)
    gave_up = tmp_path / "gave-up"
    outbox_id = enqueue(always_fails, str(gave_up))
    long_ago = utcnow() - timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 5)
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == outbox_id)
        .values(state="running", attempts=2, heartbeat_at=long_ago, started_at=long_ago)
    )
    db.session.commit()
    result = sweep()
    assert result.abandoned == [outbox_id] and result.failed == [outbox_id]
    job = row(outbox_id)
    assert job.state == "failed" and "the attempt stopped without finishing (no heartbeat since" in job.last_error
    assert gave_up.read_text() == job.last_error


def test_a_job_that_gives_up_fails_at_once(tmp_path):
    gave_up = tmp_path / "gave-up"
    outbox_id = enqueue(hopeless, str(gave_up))
    job = wait_state(outbox_id, "failed")
    assert job.attempts == 1 and job.last_error == "attempt 1: GiveUp: this cannot work"
    # The give-up handler runs after the failure is committed: on a loaded machine the test can
    # read the row before the handler has written (seen once: FileNotFoundError).
    deadline = time.monotonic() + 20
    while not gave_up.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gave_up.read_text() == job.last_error


def test_a_failed_attempt_is_retried_later_and_succeeds_once_the_cause_is_fixed(tmp_path):
    ran, marker = tmp_path / "runs", tmp_path / "fixed"
    outbox_id = enqueue(needs, str(ran), str(marker))
    job = wait_state(outbox_id, "pending", "failed")
    while job.attempts == 0:
        job = wait_state(outbox_id, "pending")
    assert job.state == "pending" and "is missing" in job.last_error and job.next_attempt_at > utcnow()
    assert sweep().dispatched == []  # not due yet
    marker.touch()
    db.session.execute(update(OutboxJob).where(OutboxJob.id == outbox_id).values(next_attempt_at=utcnow()))
    db.session.commit()
    sweep()
    job = wait_state(outbox_id, "done")
    assert runs(ran) == 1 and job.attempts == 2


def test_failed_jobs_can_be_given_new_attempts(app, tmp_path, in_process):
    in_process.setitem(app.config, "JOB_MAX_ATTEMPTS", 1)
    ran, marker = tmp_path / "runs", tmp_path / "fixed"
    outbox_id = enqueue(needs, str(ran), str(marker))
    assert row(outbox_id).state == "failed"
    marker.touch()  # the operator fixes the cause
    assert sweep().dispatched == []
    sweep(retry_failed=True)
    job = row(outbox_id)
    assert (job.state, job.attempts, runs(ran)) == ("done", 1, 1)


def test_the_flask_command_sweeps(app, tmp_path, redis_down):
    ran = tmp_path / "runs"
    outbox_id = enqueue(note, str(ran))
    redis_down()
    result = app.test_cli_runner().invoke(args=["sweep-jobs"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Dispatched 1,")
    wait_state(outbox_id, "done")
    assert runs(ran) == 1
