"""Background jobs, recorded in a transactional outbox so that a crash or a Redis outage cannot
lose them.

A job the database needs is registered with `after_commit(fn, *args)` while the data it
concerns is written (a transaction state, `core.transaction`, registered by `init_app`): when
that transaction commits, a row of `job_outbox` (function, arguments, state, attempts, times,
last error) commits with it; a rollback drops both. After the commit the row is dispatched: to an
RQ queue when `REDIS_URL` is set (an `rq worker` runs it), in this process otherwise, so the
embedded setup needs no Redis. A dispatch that fails (Redis down) leaves the row `pending`; the
request still succeeds and the sweeper (`sweeper.py`) dispatches it later, re-queues attempts
whose worker died, and gives up after `JOB_MAX_ATTEMPTS` with the reason kept. Each attempt
claims its row first, so a job dispatched twice runs once. A job may be delayed
(`after_commit(fn, *args, delay=seconds)`): its row is due that much later, and the identical
jobs committed meanwhile join it, so a burst makes one run (the price rollup, issue 13).

Jobs are plain functions decorated with `@job`: they find or create an application context
themselves, and are idempotent — an attempt may be cut short at any point and run again. A short
one declared `@job(light=True)` (the price rollup, the alert checks) runs inside the rq worker's
own process instead of a forked work horse, which would cost it more than its work (`worker.py`).

The package, each module importing (at its top) only from those before it: `models.py`, `app.py`
(the app of a worker process), `outbox.py` (recording with the transaction, dispatch, attempts;
the Redis connection and the RQ queue), `decorator.py` (`@job`), `sweeper.py`, `periodic.py`
(housekeeping on a schedule) and `worker.py` (the RQ worker class). This module gathers the
public names and registers the hooks (`init_app`).
"""

from __future__ import annotations

from .app import worker_app
from .decorator import job
from .models import JobState, OutboxJob
from .outbox import (
    RECORDED,
    WAITING,
    GiveUp,
    after_commit,
    dedupe_key,
    enqueue,
    job_name,
    redis_connection,
    rq_queue,
    run_delayed_now_and_then,
    run_ready_jobs,
)
from .periodic import run_due_now_and_then
from .sweeper import sweep_now_and_then


def init_app(app) -> None:
    """Register the transaction states (once per process) and the end-of-request dispatch (per app)."""
    WAITING.register()
    RECORDED.register()
    app.teardown_request(run_ready_jobs)
    if not app.config["REDIS_URL"]:
        app.teardown_request(run_delayed_now_and_then)
        app.teardown_request(sweep_now_and_then)
        if app.config["HOUSEKEEPING_SECONDS"] and not app.config["TESTING"]:
            app.teardown_request(run_due_now_and_then)


__all__ = [
    "GiveUp",
    "JobState",
    "OutboxJob",
    "after_commit",
    "dedupe_key",
    "enqueue",
    "job",
    "job_name",
    "redis_connection",
    "rq_queue",
    "run_ready_jobs",
    "worker_app",
]
