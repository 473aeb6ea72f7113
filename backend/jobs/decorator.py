"""`@job`: what makes a plain function a background job (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import has_app_context

from . import outbox
from .app import worker_app


def job(
    fn: Callable | None = None,
    *,
    timeout: int | Callable[..., int] | None = None,
    on_give_up: Callable[..., None] | None = None,
    light: bool = False,
) -> Callable:
    """Make `fn` a job. `timeout`: seconds an attempt may run under RQ (or a function of the
    job's arguments giving them; default `JOB_TIMEOUT_SECONDS`). `on_give_up(*args, reason)` is
    called, in a transaction of its own, when the job is marked `failed`. `light`: a short job
    (a rollup, an alert check) that an rq worker runs in its own process instead of a forked
    work horse (`worker.py`): no fork, and the worker's database connections and compiled
    statements serve every run.

    Called directly, the job simply runs (with an application context); dispatched from the
    outbox, its attempt is claimed and its outcome recorded on the row."""

    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args):
            if has_app_context():
                return _call(wrapper, args)
            with worker_app().app_context():
                return _call(wrapper, args)

        wrapper.job_name = f"{fn.__module__}:{fn.__qualname__}"
        wrapper.timeout = timeout
        wrapper.on_give_up = on_give_up
        wrapper.light = light
        return wrapper

    return decorate(fn) if fn is not None else decorate


def _call(wrapper: Callable, args: tuple):
    outbox_id = outbox.current_rq_outbox_id(wrapper)
    if outbox_id is not None:
        from rq import get_current_job  # noqa: PLC0415 -- only under RQ: rq takes ~0.3 s to import

        return outbox.execute(outbox_id, wrapper, args, rq_job_id=get_current_job().id)
    result = wrapper.__wrapped__(*args)
    outbox.run_ready_jobs()  # what the job's own commits asked for
    return result
