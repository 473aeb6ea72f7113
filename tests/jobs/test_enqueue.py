"""`enqueue` records a job in the outbox and runs it on a real rq worker when REDIS_URL is set,
in-process otherwise."""

import os
import time
from pathlib import Path

import pytest
from flask import current_app

from backend.extensions import db
from backend.jobs import OutboxJob, enqueue

from .sample_jobs import explode, overstay, write_pid, write_pid_light

redis_only = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (run by .ci/run)")
inline_only = pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="in-process mode only")


def _wait_for(path: Path, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"job did not run within {timeout} s")


@inline_only
def test_without_redis_the_job_runs_in_this_process_before_enqueue_returns(tmp_path):
    marker = tmp_path / "pid"
    outbox_id = enqueue(write_pid, str(marker))
    pid, queue = marker.read_text().split()
    assert int(pid) == os.getpid()
    assert queue == current_app.config["RQ_QUEUE"]
    assert db.session.get(OutboxJob, outbox_id).state == "done"


@inline_only
def test_a_failing_in_process_job_does_not_fail_the_caller(caplog):
    outbox_id = enqueue(explode)
    assert any("explode" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    row = db.session.get(OutboxJob, outbox_id)
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "attempt 1: RuntimeError: boom")


@redis_only
def test_with_redis_a_real_rq_worker_process_runs_the_job(rq_worker, tmp_path):
    marker = tmp_path / "pid"
    rq_job = _rq_job(enqueue(write_pid, str(marker)))
    assert rq_job.origin == current_app.config["RQ_QUEUE"]
    pid, queue = _wait_for(marker).split()
    assert int(pid) != os.getpid()
    assert queue == current_app.config["RQ_QUEUE"]
    deadline = time.monotonic() + 10
    while rq_job.get_status(refresh=True) != "finished" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rq_job.get_status() == "finished"


def _after_first_attempt(outbox_id: int, timeout: float = 20) -> OutboxJob:
    """The job's row once its first attempt has failed and it waits for a retry (or as it is
    when `timeout` seconds have passed)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        row = db.session.get(OutboxJob, outbox_id)
        if (row.attempts and row.state == "pending") or time.monotonic() >= deadline:
            return row
        time.sleep(0.05)


@redis_only
def test_with_redis_a_failing_job_is_recorded_on_its_outbox_row_for_a_retry(rq_worker):
    row = _after_first_attempt(enqueue(explode))
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "attempt 1: RuntimeError: boom")
    assert row.next_attempt_at > row.started_at  # a retry, later


def _rq_job(outbox_id: int):
    from rq.job import Job

    from backend.jobs import redis_connection

    db.session.rollback()
    row = db.session.get(OutboxJob, outbox_id)
    assert row.rq_job_id, (row.state, row.last_error)
    return Job.fetch(row.rq_job_id, connection=redis_connection())


def _done(outbox_id: int, timeout: float = 20.0) -> OutboxJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        row = db.session.get(OutboxJob, outbox_id)
        if row.state == "done":
            return row
        time.sleep(0.05)
    raise AssertionError(f"job {outbox_id} not done within {timeout} s: {row.state} {row.last_error}")


@redis_only
def test_with_redis_a_light_job_runs_in_the_worker_process_itself_and_others_in_a_work_horse(rq_worker, tmp_path):
    """A light job (the rollup, the alert checks) is not worth a fork: the worker runs it. The
    others still get a work horse, which must not use the connections the worker's light jobs
    left in its pool: light and forked jobs alternate, each using the database."""
    pids = []
    for i, fn in enumerate((write_pid_light, write_pid, write_pid_light, write_pid, write_pid_light)):
        marker = tmp_path / f"pid-{i}"
        _done(enqueue(fn, str(marker)))
        pids.append(int(_wait_for(marker).split()[0]))
    assert pids[0] == pids[2] == pids[4] == rq_worker.pid
    assert rq_worker.pid not in (pids[1], pids[3]) and pids[1] != pids[3]  # a new work horse each


@redis_only
def test_with_redis_a_light_job_past_its_timeout_is_stopped_and_retried_and_the_worker_goes_on(rq_worker, tmp_path):
    row = _after_first_attempt(enqueue(overstay, str(tmp_path / "overstayed")))
    assert (row.state, row.attempts) == ("pending", 1) and "JobTimeoutException" in row.last_error, row.last_error
    assert not (tmp_path / "overstayed").exists()
    marker = tmp_path / "after"
    _done(enqueue(write_pid_light, str(marker)))
    assert int(_wait_for(marker).split()[0]) == rq_worker.pid  # the same worker, still serving
