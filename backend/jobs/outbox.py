"""The outbox's moving parts: recording jobs with the transaction that needs them and writing
their rows at commit, handing them to RQ (or running them in this process), claiming and
recording each attempt, and the heartbeat of a running attempt."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import insert, select, text, update

from ..core.errors import public_reason
from ..core.timeutil import utcnow
from ..core.transaction import TransactionState
from ..extensions import db
from .models import JobState, OutboxJob

log = logging.getLogger("backend.jobs")

_executing: set[int] = set()  # outbox ids whose attempt runs in this process
_connections: dict[str, object] = {}
# Without Redis: the earliest time a delayed job this process recorded (or joined) falls due, so
# that the end of the first request after it runs the job (`run_delayed_now_and_then`).
_next_due: dict[str, datetime | None] = {"at": None}


class GiveUp(Exception):
    """Raised by a job whose failure another attempt cannot fix: no retry, the job is `failed`."""


def job_name(fn: Callable) -> str:
    name = getattr(fn, "job_name", None)
    if name is None:
        raise TypeError(f"{fn!r} is not a @job")
    return name


def dedupe_key(name: str, args: list) -> str:
    return hashlib.sha256(json.dumps([name, args], sort_keys=True, default=str).encode()).hexdigest()


def redis_connection():
    """This process's connection to `REDIS_URL` (one per URL)."""
    from redis import Redis  # noqa: PLC0415 -- only with REDIS_URL: redis takes ~0.25 s to import

    url = current_app.config["REDIS_URL"]
    conn = _connections.get(url)
    if conn is None:
        # Short timeouts: a Redis that does not answer must not hold a request for long.
        conn = _connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return conn


def rq_queue():
    from rq import Queue  # noqa: PLC0415 -- only with REDIS_URL: rq takes ~0.3 s to import

    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


# --- recording jobs with the transaction that needs them ---------------------------------------------


def _record(session, waiting: dict) -> None:
    if waiting:
        RECORDED.get(session).extend(record(session, waiting))


def _committed(session, recorded: list) -> None:
    ready = session.info.setdefault(_READY, {})
    for outbox_id in recorded:
        ready[outbox_id] = None


WAITING = TransactionState("jobs_after_commit", dict, before_commit=_record)
"""Jobs registered in the open transaction: {dedupe key: (name, args, delay in seconds)},
written to the outbox just before it commits."""
RECORDED = TransactionState("jobs_recorded", list, after_commit=_committed)
"""Outbox ids written by the committing transaction: ready to dispatch once it has committed."""
_READY = "jobs_ready"  # session.info: outbox ids whose transaction committed, to dispatch (no rollback undoes that)


def after_commit(fn: Callable, *args, session=None, delay: float = 0) -> None:
    """Record the job `fn(*args)` in the outbox with the current transaction (of `session`,
    `db.session` by default); it is dispatched once the transaction commits (and forgotten if it
    rolls back). The same call registered twice in one transaction, or while an identical job is
    still pending or queued, runs once.

    `delay` (seconds): the job runs no earlier than that after the commit, and every identical
    call committed meanwhile joins it (it is still pending or queued): a burst of transactions
    asking for the same job within the window makes one run. The window opens with the first of
    them and is never extended, so the job waits at most `delay` (plus the queue) however many
    join it. Its row waits in the outbox (`next_attempt_at`) like any other: with Redis it is
    handed to RQ's scheduler at once (`enqueue_in`; every `AppWorker` runs one), and the sweeper
    queues it itself if RQ has not moved it in time; without Redis the end of the first request
    after it falls due runs it, or the in-process sweep.

    Within a request the jobs are dispatched when the request ends (or earlier with
    `run_ready_jobs()`); elsewhere call `run_ready_jobs()` after committing. Arguments must be
    JSON values (ids, hashes)."""
    name = job_name(fn)
    plain = json.loads(json.dumps(list(args)))
    waiting = WAITING.get(session if session is not None else db.session)
    key = dedupe_key(name, plain)
    delay = max(0.0, float(delay))
    if key in waiting:
        delay = min(delay, waiting[key][2])
    waiting[key] = (name, plain, delay)


def enqueue(fn: Callable, *args) -> int | None:
    """Record `fn(*args)`, commit the current transaction and dispatch the job. For callers
    without a transaction of their own (commands, tests). Returns the outbox row's id."""
    after_commit(fn, *args)
    db.session.commit()
    ids = list(db.session.info.get(_READY, ()))
    run_ready_jobs()
    return ids[-1] if ids else None


def run_ready_jobs(_exc: BaseException | None = None) -> None:
    """Dispatch the jobs of committed transactions (never raises: a job that cannot be handed
    to RQ now stays pending for the sweeper)."""
    ready = db.session.info.pop(_READY, None)
    if ready:
        try:
            dispatch(list(ready))
        except Exception:  # the database itself failing here: the sweeper will dispatch them
            db.session.rollback()
            log.exception("could not dispatch jobs %s; they stay pending", list(ready))


# --- handing jobs over and running them ----------------------------------------------------------


def record(session, waiting: dict[str, tuple[str, list, float]]) -> list[int]:
    """Write the outbox rows of a committing transaction; returns the ids to dispatch after it.

    A job identical to one still pending or queued is not written again: that one will run and
    see this transaction's data (a delayed one, due later, too). On PostgreSQL its row is locked
    until this commit, so an attempt cannot claim it (and read the data) before the data is
    there. A delayed job's row is due `delay` seconds from now (`next_attempt_at`).

    On PostgreSQL two transactions committing the same job at the same moment would each find no
    row (neither sees the other's uncommitted one) and write one each: concurrent sync pushes then
    ran the price rollup once per push instead of once per window. A transaction-level advisory
    lock on the job's key makes the second wait for the first's commit, then find its row. (SQLite
    has one writer at a time, which gives the same order.)"""
    now = utcnow()
    ids = []
    postgres = session.get_bind().dialect.name == "postgresql"
    for key in sorted(waiting):  # in key order, so that two transactions never wait on each other
        name, args, delay = waiting[key]
        if postgres:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(key)})
        same = session.execute(
            select(OutboxJob.id, OutboxJob.state, OutboxJob.next_attempt_at)
            .where(OutboxJob.dedupe_key == key, OutboxJob.state.in_((JobState.PENDING, JobState.QUEUED)))
            .order_by(OutboxJob.id)
            .limit(1)
            .with_for_update()
        ).first()
        if same is not None:
            if same.state == JobState.PENDING and same.next_attempt_at <= now:
                ids.append(same.id)  # never handed over (Redis was down): try again now
            elif same.state == JobState.PENDING:
                _due_at(same.next_attempt_at)  # a delayed job not due yet: this one joins it
            continue
        due = now + timedelta(seconds=delay) if delay else now
        ids.append(
            session.execute(
                insert(OutboxJob)
                .values(name=name, args=args, dedupe_key=key, state=JobState.PENDING, attempts=0, last_error="")
                .values(created_at=now, next_attempt_at=due)
                .returning(OutboxJob.id)
            ).scalar_one()
        )
        if delay:
            _due_at(due)
    return ids


def _lock_key(key: str) -> int:
    """The advisory lock of a dedupe key (a SHA-256 in hex): its first 60 bits, a positive bigint.
    Keys of other locks in the app are small constants; a clash would only make two commits wait
    on each other."""
    return int(key[:15], 16)


def _due_at(when: datetime) -> None:
    if _next_due["at"] is None or when < _next_due["at"]:
        _next_due["at"] = when


def run_delayed_now_and_then(_exc: BaseException | None = None) -> None:
    """Without Redis, at the end of a request: run the jobs due by now once a delayed job this
    process recorded has fallen due (its row stays pending until then; the in-process sweep,
    every `JOB_SWEEP_SECONDS`, runs any this process did not record). Never raises."""
    when = _next_due["at"]
    if when is None or when > utcnow():
        return
    _next_due["at"] = None
    try:
        db.session.rollback()  # the request's transaction is over: read what is committed now
        due = db.session.scalars(
            select(OutboxJob.id)
            .where(OutboxJob.state == JobState.PENDING, OutboxJob.next_attempt_at <= utcnow())
            .order_by(OutboxJob.id)
        ).all()
        db.session.commit()
        dispatch(list(due))
    except Exception:
        db.session.rollback()
        log.exception("could not run the delayed jobs due; the sweeper will")


def resolve(name: str) -> Callable:
    module, _, qualname = name.partition(":")
    target = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def dispatch(ids: list[int]) -> None:
    """Hand committed jobs over: to RQ, or run them here when there is no Redis."""
    if current_app.config["REDIS_URL"]:
        for outbox_id in ids:
            if not send_to_rq(outbox_id):
                break  # Redis is unreachable: the rest stay pending as well
        return
    now = utcnow()
    for outbox_id in ids:
        row = db.session.get(OutboxJob, outbox_id)
        if row is None or row.state != JobState.PENDING or row.next_attempt_at > now:
            continue  # (a delayed job not due yet: see run_delayed_now_and_then)
        try:
            fn = resolve(row.name)
        except (ImportError, AttributeError) as exc:
            _no_such_job(row, exc)
            continue
        execute(outbox_id, fn, tuple(row.args))


def send_to_rq(outbox_id: int) -> bool:
    """Enqueue one pending job on RQ and mark it queued (a job not due yet goes to RQ's
    scheduler, which queues it when due). False when Redis cannot be reached."""
    from redis.exceptions import RedisError  # noqa: PLC0415 -- only with REDIS_URL: see redis_connection

    row = db.session.get(OutboxJob, outbox_id)
    if row is None or row.state != JobState.PENDING:
        return True
    try:
        fn = resolve(row.name)
    except (ImportError, AttributeError) as exc:
        _no_such_job(row, exc)
        return True
    args = tuple(row.args)
    timeout = fn.timeout(*args) if callable(fn.timeout) else fn.timeout
    rq_id = f"outbox-{row.id}-{uuid.uuid4().hex[:8]}"
    wait = (row.next_attempt_at - utcnow()).total_seconds()
    db.session.rollback()  # read nothing stale afterwards, hold no transaction while talking to Redis
    try:
        queue = rq_queue()
        # A job not due yet waits in RQ's scheduled registry; a worker's scheduler queues it.
        put = partial(queue.enqueue_in, timedelta(seconds=wait)) if wait > 0 else queue.enqueue
        put(
            fn,
            *args,
            job_id=rq_id,
            job_timeout=timeout or current_app.config["JOB_TIMEOUT_SECONDS"],
            meta={"outbox_id": outbox_id},
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
    except RedisError as exc:
        log.warning("job %s stays pending: Redis is unreachable (%s)", outbox_id, exc)
        return False
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == outbox_id, OutboxJob.state == JobState.PENDING)
        .values(state=JobState.QUEUED, queued_at=utcnow(), rq_job_id=rq_id)
    )
    db.session.commit()
    return True


def current_rq_outbox_id(wrapper: Callable) -> int | None:
    """The outbox id this RQ job was dispatched for, when the job running is `wrapper` itself
    (not a job function called directly by another job)."""
    from rq import get_current_job  # noqa: PLC0415 -- rq takes ~0.3 s to import: only when a job runs

    current = get_current_job()
    if current is None:
        return None
    outbox_id = current.meta.get("outbox_id")
    if outbox_id is None or outbox_id in _executing:
        return None
    if current.func_name != f"{wrapper.__module__}.{wrapper.__qualname__}":
        return None
    return outbox_id


def execute(outbox_id: int, wrapper: Callable, args: tuple, rq_job_id: str | None = None):
    """Run one attempt of an outbox job: claim it (no other attempt may be pending, queued or
    running then), run it with a heartbeat, record the outcome. Never raises for the job's
    errors: they are recorded on the row, and the job is retried or given up."""
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == outbox_id, OutboxJob.state.in_((JobState.PENDING, JobState.QUEUED)))
        .values(
            state=JobState.RUNNING,
            attempts=OutboxJob.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            # the RQ job running this attempt (another may have been queued for the row too):
            # the sweeper judges the attempt by it
            rq_job_id=rq_job_id,
        )
    ).rowcount
    db.session.commit()
    if not claimed:
        log.info("job %s: already run or running elsewhere; nothing to do", outbox_id)
        return None
    _executing.add(outbox_id)
    try:
        with _heartbeat(outbox_id):
            result = wrapper.__wrapped__(*args)
            # What the job left uncommitted commits with its completion.
            db.session.execute(
                update(OutboxJob)
                .where(OutboxJob.id == outbox_id)
                .values(state=JobState.DONE, finished_at=utcnow(), last_error="")
            )
            db.session.commit()
    except Exception as exc:
        db.session.rollback()
        attempt_failed(outbox_id, wrapper, args, exc)
        return None
    finally:
        _executing.discard(outbox_id)
    run_ready_jobs()
    return result


def attempt_failed(
    outbox_id: int,
    fn: Callable | None,
    args: tuple,
    exc: BaseException | str,
    *,
    expect: tuple[str, int] | None = None,
    count_attempt: bool = False,
    retry_now: bool = False,
) -> str | None:
    """Record a failed (or abandoned) attempt: retry later with a growing delay (`retry_now`:
    at once), or give up. With `expect` (state, attempts), only a row still in that state is
    changed (the sweeper's view may be stale). Returns the row's new state, None if unchanged."""
    cfg = current_app.config
    reason = exc if isinstance(exc, str) else public_reason(exc)
    row = db.session.get(OutboxJob, outbox_id, populate_existing=True, with_for_update=True)
    if row is None or (expect is not None and (row.state, row.attempts) != expect):
        db.session.commit()
        return None
    if count_attempt:
        row.attempts += 1
    final = isinstance(exc, GiveUp) or row.attempts >= cfg["JOB_MAX_ATTEMPTS"]
    now = utcnow()
    row.last_error = f"attempt {row.attempts}: {reason}"[:1000]
    if final:
        row.state, row.finished_at = JobState.FAILED, now
    else:
        backoff = cfg["JOB_RETRY_SECONDS"] * 2 ** (row.attempts - 1)
        delay = 0 if retry_now else min(backoff, cfg["JOB_RETRY_MAX_SECONDS"])
        row.state, row.next_attempt_at = JobState.PENDING, now + timedelta(seconds=delay)
    name, state = row.name, row.state
    db.session.commit()
    level = logging.ERROR if final else logging.WARNING
    log.log(
        level,
        "job %s (%s) %s: %s",
        outbox_id,
        name,
        "failed for good" if final else "failed; it will be retried",
        reason,
        exc_info=exc if isinstance(exc, BaseException) else None,
    )
    if final and getattr(fn, "on_give_up", None) is not None:
        try:
            fn.on_give_up(*args, row.last_error)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s: its give-up handler failed", outbox_id)
    return state


def _no_such_job(row: OutboxJob, exc: BaseException) -> None:
    row.state, row.finished_at = JobState.FAILED, utcnow()
    row.last_error = f"no job function {row.name}: {exc}"[:1000]
    db.session.commit()
    log.error("job %s: %s", row.id, row.last_error)


@contextmanager
def _heartbeat(outbox_id: int):
    """While the attempt runs, a thread marks it alive every `JOB_HEARTBEAT_SECONDS` (its own
    connection, its own transactions). A process that dies stops beating; the sweeper notices."""
    interval = current_app.config["JOB_HEARTBEAT_SECONDS"]
    if not interval:
        yield
        return
    engine = db.engine
    stop = threading.Event()
    who = f"{socket.gethostname()}:{os.getpid()}"

    def beat():
        while not stop.wait(interval):
            try:
                with engine.begin() as conn:
                    conn.execute(
                        update(OutboxJob)
                        .where(OutboxJob.id == outbox_id, OutboxJob.state == JobState.RUNNING)
                        .values(heartbeat_at=utcnow())
                    )
            except Exception as exc:  # a busy database: the next beat will do
                log.warning("job %s: heartbeat from %s missed: %s", outbox_id, who, exc)

    thread = threading.Thread(target=beat, name=f"job-{outbox_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
