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


def job(fn: Callable) -> Callable:
    @wraps(fn)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with _app_for_worker().app_context():
            return fn(*args, **kwargs)

    return wrapper


def _queue():
    from redis import Redis
    from rq import Queue

    url = current_app.config["REDIS_URL"]
    conn = _connections.get(url)
    if conn is None:
        conn = _connections[url] = Redis.from_url(url)
    return Queue(current_app.config["RQ_QUEUE"], connection=conn)


def enqueue(fn: Callable, *args, **kwargs):
    """Run `fn(*args, **kwargs)` in the background. Call it after committing what the job reads.

    Returns the RQ job, or None when the job ran in-process.
    """
    if current_app.config["REDIS_URL"]:
        return _queue().enqueue(fn, *args, **kwargs)
    from ..extensions import db

    try:
        fn(*args, **kwargs)
    except Exception:  # an in-process job must not fail the request that queued it
        db.session.rollback()
        log.exception("in-process job %s failed", getattr(fn, "__name__", fn))
    return None
