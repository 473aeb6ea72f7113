"""Housekeeping that runs on a schedule, without cron.

A domain registers a task where its data lives (`@periodic("prune-changes")`); every task runs
once per `HOUSEKEEPING_SECONDS`. Who triggers them:

- with Redis, RQ's own scheduler: `rq cron backend.schedule` (RQ ≥ 2.5's built-in cron; one
  process per deployment, `make serve` starts it) enqueues `run_periodic(name)` each period and
  an `rq worker` runs it;
- without Redis (the embedded setup), the web process at the end of a request, like the job
  sweeper.

Either way a run first claims the task's `periodic_runs` row (a compare-and-set on its start
time), so two schedulers, or a scheduler restarted in a loop, run a task at most once per
period. Tasks are idempotent and commit their own work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from ..core.errors import public_reason
from ..core.timeutil import utcnow
from ..extensions import db
from .decorator import job
from .models import PeriodicRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    name: str
    fn: Callable[[], str]  # does the work, commits it, returns one line saying what it did


_TASKS: dict[str, Task] = {}


def periodic(name: str) -> Callable:
    """Register `fn()` as the housekeeping task `name` (it returns a line for the log)."""

    def register(fn: Callable[[], str]) -> Callable[[], str]:
        _TASKS[name] = Task(name, fn)
        return fn

    return register


def tasks() -> list[Task]:
    return sorted(_TASKS.values(), key=lambda t: t.name)


def _claim(name: str) -> bool:
    """Take the task for this period: True when its last start is older than the period (less a
    tenth, so a scheduler's own timing drift does not skip a period)."""
    period = current_app.config["HOUSEKEEPING_SECONDS"]
    now = utcnow()
    due_before = now - timedelta(seconds=period * 0.9)
    if db.session.get(PeriodicRun, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(PeriodicRun(name=name, started_at=now, outcome="started"))
            db.session.commit()
            return True
        except IntegrityError:  # another process inserted it at the same moment
            db.session.rollback()
            return False
    claimed = db.session.execute(
        update(PeriodicRun)
        .where(
            PeriodicRun.name == name,
            or_(PeriodicRun.started_at.is_(None), PeriodicRun.started_at < due_before),
        )
        .values(started_at=now, outcome="started")
    ).rowcount
    db.session.commit()
    return claimed == 1


def run_task(name: str, *, force: bool = False) -> str | None:
    """Run one task if it is due (or `force`); returns what it did, None when not due."""
    task = _TASKS.get(name)
    if task is None:
        raise KeyError(f"No housekeeping task {name!r}; known: {', '.join(sorted(_TASKS))}")
    if force:
        row = db.session.get(PeriodicRun, name) or db.session.merge(PeriodicRun(name=name))
        row.started_at, row.outcome = utcnow(), "started"
        db.session.commit()
    elif not _claim(name):
        return None
    started = time.monotonic()
    try:
        outcome = task.fn()
    except Exception as exc:
        db.session.rollback()
        log.exception("housekeeping task %s failed", name)
        outcome = f"failed: {public_reason(exc)}"
    db.session.execute(
        update(PeriodicRun).where(PeriodicRun.name == name).values(finished_at=utcnow(), outcome=outcome[:500])
    )
    db.session.commit()
    log.info("housekeeping %s: %s (%.1f s)", name, outcome, time.monotonic() - started)
    return outcome


@job
def run_periodic(name: str) -> None:
    """What `rq cron backend.schedule` enqueues each period."""
    run_task(name)


_last_check = {"at": 0.0}


def run_due_now_and_then(_exc: BaseException | None = None) -> None:
    """Without Redis: at the end of a request, at most once a minute, run the tasks that are due."""
    if time.monotonic() - _last_check["at"] < min(60, current_app.config["HOUSEKEEPING_SECONDS"]):
        return
    _last_check["at"] = time.monotonic()
    for task in tasks():
        try:
            run_task(task.name)
        except Exception:
            db.session.rollback()
            log.exception("housekeeping task %s could not start", task.name)


def status() -> list[dict]:
    """Each task's last run, for /health and `flask doctor`."""
    rows = {r.name: r for r in db.session.query(PeriodicRun)}
    out = []
    for task in tasks():
        row = rows.get(task.name)
        out.append(
            {
                "name": task.name,
                "started_at": row.started_at if row else None,
                "finished_at": row.finished_at if row else None,
                "outcome": row.outcome if row else "never run",
            }
        )
    return out
