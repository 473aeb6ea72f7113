"""Background jobs: one `enqueue` entry point.

With `REDIS_URL` set, jobs go to an RQ queue and an `rq worker` process runs them; without it
they run in-process right away, so the embedded setup needs no Redis. Jobs are plain functions
decorated with `@job`: they find or create an application context themselves, are idempotent,
and are safe to run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from flask import current_app, has_app_context

log = logging.getLogger(__name__)

_worker_app = None
_connections: dict[str, object] = {}


def _app_for_worker():
    """The worker process builds the app once and reuses it for every job it runs."""
    global _worker_app
    if _worker_app is None:
        from .. import create_app

        _worker_app = create_app()
    return _worker_app


def job(fn: Callable | None = None, *, coalesce: bool = False) -> Callable:
    """Make `fn` a job. `coalesce=True` is for a job that sweeps a table of pending work (it
    takes no arguments): while one run is queued and not started, queueing another is a no-op.
    A run clears the mark before it reads, so work committed after that queues the next run."""

    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if has_app_context():
                return _run(wrapper, fn, args, kwargs)
            with _app_for_worker().app_context():
                return _run(wrapper, fn, args, kwargs)

        wrapper.coalesce = coalesce
        return wrapper

    return decorate(fn) if fn is not None else decorate


def _pending_key(fn: Callable) -> str:
    return f"{current_app.config['RQ_QUEUE']}:queued:{fn.__module__}.{fn.__qualname__}"


def _run(wrapper: Callable, fn: Callable, args, kwargs):
    if wrapper.coalesce and current_app.config["REDIS_URL"]:
        _redis().delete(_pending_key(wrapper))
    result = fn(*args, **kwargs)
    run_ready_jobs()  # what the job's own commits asked for (e.g. an import's follow-up work)
    return result


def _redis():
    from redis import Redis

    url = current_app.config["REDIS_URL"]
    conn = _connections.get(url)
    if conn is None:
        conn = _connections[url] = Redis.from_url(url)
    return conn


def _queue():
    from rq import Queue

    return Queue(current_app.config["RQ_QUEUE"], connection=_redis())


def enqueue(fn: Callable, *args, **kwargs):
    """Run `fn(*args, **kwargs)` in the background. Call it after committing what the job reads.

    Returns the RQ job, or None when the job ran in-process (or a queued run of it covers this).
    """
    if current_app.config["REDIS_URL"]:
        if getattr(fn, "coalesce", False) and not _redis().set(_pending_key(fn), 1, nx=True, ex=600):
            return None  # a run is queued and has not started: it will see this work too
        return _queue().enqueue(fn, *args, **kwargs)
    from ..extensions import db

    try:
        fn(*args, **kwargs)
    except Exception:  # an in-process job must not fail the request that queued it
        db.session.rollback()
        log.exception("in-process job %s failed", getattr(fn, "__name__", fn))
    return None


# --- jobs that wait for the transaction that needs them ---------------------------------------------

_WAITING = "jobs_after_commit"  # session.info: jobs registered in the open transaction
_READY = "jobs_ready"  # session.info: jobs whose transaction committed, to enqueue at request end


def after_commit(fn: Callable, *args) -> None:
    """Enqueue `fn(*args)` once the current transaction commits; forget it if it rolls back.

    The same call registered twice in one transaction runs once. Within a request the jobs are
    enqueued when the request ends (an in-process job cannot use the session inside the commit);
    elsewhere call `run_ready_jobs()` after committing.
    """
    from ..extensions import db

    db.session.info.setdefault(_WAITING, {})[(fn, args)] = None


def run_ready_jobs(_exc: BaseException | None = None) -> None:
    from ..extensions import db

    ready = db.session.info.pop(_READY, None)
    for fn, args in ready or ():
        enqueue(fn, *args)


def _committed(session) -> None:
    waiting = session.info.pop(_WAITING, None)
    if waiting:
        session.info.setdefault(_READY, {}).update(waiting)


def _rolled_back(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_WAITING, None)


def install(app) -> None:
    """Register the session hooks (once per process) and the end-of-request runner (per app)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _committed):
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_soft_rollback", _rolled_back)
    app.teardown_request(run_ready_jobs)
