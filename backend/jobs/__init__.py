"""Background jobs, recorded in a transactional outbox so that a crash or a Redis outage cannot
lose them.

A job the database needs is registered with `after_commit(fn, *args)` while the data it
concerns is written (a transaction state, `core.transaction`, registered by `init_app`): when
that transaction commits, a row of `job_outbox` (function, arguments,
state, attempts, times, last error) commits with it; a rollback drops both. After the commit the
row is dispatched: to an RQ queue when `REDIS_URL` is set (an `rq worker` runs it), in this
process otherwise, so the embedded setup needs no Redis. A dispatch that fails (Redis down)
leaves the row `pending`; the request still succeeds and the sweeper (`sweeper.py`) dispatches
it later, re-queues attempts whose worker died, and gives up after `JOB_MAX_ATTEMPTS` with the
reason kept. Each attempt claims its row first, so a job dispatched twice runs once.

Jobs are plain functions decorated with `@job`: they find or create an application context
themselves, and are idempotent — an attempt may be cut short at any point and run again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from functools import wraps

from flask import current_app, has_app_context

from ..core.transaction import TransactionState
from .models import JobState, OutboxJob

log = logging.getLogger(__name__)

_worker_app = None
_connections: dict[str, object] = {}


class GiveUp(Exception):
    """Raised by a job whose failure another attempt cannot fix: no retry, the job is `failed`."""


def _app_for_worker():
    """The worker process builds the app once and reuses it for every job it runs."""
    global _worker_app
    if _worker_app is None:
        from .. import create_app  # the app factory imports the domains, which import this

        _worker_app = create_app()
    return _worker_app


def job(
    fn: Callable | None = None,
    *,
    timeout: int | Callable[..., int] | None = None,
    on_give_up: Callable[..., None] | None = None,
) -> Callable:
    """Make `fn` a job. `timeout`: seconds an attempt may run under RQ (or a function of the
    job's arguments giving them; default `JOB_TIMEOUT_SECONDS`). `on_give_up(*args, reason)` is
    called, in a transaction of its own, when the job is marked `failed`.

    Called directly, the job simply runs (with an application context); dispatched from the
    outbox, its attempt is claimed and its outcome recorded on the row."""

    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args):
            if has_app_context():
                return _call(wrapper, args)
            with _app_for_worker().app_context():
                return _call(wrapper, args)

        wrapper.job_name = f"{fn.__module__}:{fn.__qualname__}"
        wrapper.timeout = timeout
        wrapper.on_give_up = on_give_up
        return wrapper

    return decorate(fn) if fn is not None else decorate


def _call(wrapper: Callable, args: tuple):
    from . import outbox

    outbox_id = outbox.current_rq_outbox_id(wrapper)
    if outbox_id is not None:
        from rq import get_current_job

        return outbox.execute(outbox_id, wrapper, args, rq_job_id=get_current_job().id)
    result = wrapper.__wrapped__(*args)
    run_ready_jobs()  # what the job's own commits asked for
    return result


def job_name(fn: Callable) -> str:
    name = getattr(fn, "job_name", None)
    if name is None:
        raise TypeError(f"{fn!r} is not a @job")
    return name


def dedupe_key(name: str, args: list) -> str:
    return hashlib.sha256(json.dumps([name, args], sort_keys=True, default=str).encode()).hexdigest()


def _redis():
    from redis import Redis

    url = current_app.config["REDIS_URL"]
    conn = _connections.get(url)
    if conn is None:
        # Short timeouts: a Redis that does not answer must not hold a request for long.
        conn = _connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return conn


def _queue():
    from rq import Queue

    return Queue(current_app.config["RQ_QUEUE"], connection=_redis())


# --- recording jobs with the transaction that needs them ---------------------------------------------


def _record(session, waiting: dict) -> None:
    if waiting:
        from . import outbox

        RECORDED.get(session).extend(outbox.record(session, waiting))


def _committed(session, recorded: list) -> None:
    ready = session.info.setdefault(_READY, {})
    for outbox_id in recorded:
        ready[outbox_id] = None


WAITING = TransactionState("jobs_after_commit", dict, before_commit=_record)
"""Jobs registered in the open transaction: {dedupe key: (name, args)}, written to the outbox
just before it commits."""
RECORDED = TransactionState("jobs_recorded", list, after_commit=_committed)
"""Outbox ids written by the committing transaction: ready to dispatch once it has committed."""
_READY = "jobs_ready"  # session.info: outbox ids whose transaction committed, to dispatch (no rollback undoes that)


def after_commit(fn: Callable, *args, session=None) -> None:
    """Record the job `fn(*args)` in the outbox with the current transaction (of `session`,
    `db.session` by default); it is dispatched once the transaction commits (and forgotten if it
    rolls back). The same call registered twice in one transaction, or while an identical job is
    still pending or queued, runs once.

    Within a request the jobs are dispatched when the request ends (or earlier with
    `run_ready_jobs()`); elsewhere call `run_ready_jobs()` after committing. Arguments must be
    JSON values (ids, hashes)."""
    from ..extensions import db

    name = job_name(fn)
    plain = json.loads(json.dumps(list(args)))
    WAITING.get(session if session is not None else db.session)[dedupe_key(name, plain)] = (name, plain)


def enqueue(fn: Callable, *args) -> int | None:
    """Record `fn(*args)`, commit the current transaction and dispatch the job. For callers
    without a transaction of their own (commands, tests). Returns the outbox row's id."""
    from ..extensions import db

    after_commit(fn, *args)
    db.session.commit()
    ids = list(db.session.info.get(_READY, ()))
    run_ready_jobs()
    return ids[-1] if ids else None


def run_ready_jobs(_exc: BaseException | None = None) -> None:
    """Dispatch the jobs of committed transactions (never raises: a job that cannot be handed
    to RQ now stays pending for the sweeper)."""
    from ..extensions import db

    ready = db.session.info.pop(_READY, None)
    if ready:
        from . import outbox

        try:
            outbox.dispatch(list(ready))
        except Exception:  # the database itself failing here: the sweeper will dispatch them
            db.session.rollback()
            log.exception("could not dispatch jobs %s; they stay pending", list(ready))


def init_app(app) -> None:
    """Register the transaction states (once per process) and the end-of-request dispatch (per app)."""
    WAITING.register()
    RECORDED.register()
    app.teardown_request(run_ready_jobs)
    if not app.config["REDIS_URL"]:
        from .periodic import run_due_now_and_then
        from .sweeper import sweep_now_and_then

        app.teardown_request(sweep_now_and_then)
        if app.config["HOUSEKEEPING_SECONDS"] and not app.config["TESTING"]:
            app.teardown_request(run_due_now_and_then)


__all__ = ["GiveUp", "JobState", "OutboxJob", "after_commit", "enqueue", "job", "run_ready_jobs"]
