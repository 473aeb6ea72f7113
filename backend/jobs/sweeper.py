"""The sweeper: no outbox job waits forever.

It hands over what was never queued (Redis was down when its transaction committed, or a
retry's or a delayed job's time has come), re-queues attempts that were abandoned (the worker died: no
heartbeat for `JOB_STALE_SECONDS`; RQ's status of the attempt is only reported), and marks
`failed`, with the reason, a job out of attempts. A delayed job handed to RQ's scheduler
(`after_commit(..., delay=)`) that is still scheduled `JOB_QUEUED_CHECK_SECONDS` after it fell
due is queued again, as a lost one. It runs when a worker starts and every
`JOB_SWEEP_SECONDS` from each `rq worker -w backend.jobs.worker.AppWorker` (a queued sweep
absorbs the others' until it runs), at the end of a request now and then without Redis, and
from `flask sweep-jobs`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..core.timeutil import utcnow
from ..extensions import db
from . import outbox
from .app import worker_app
from .models import OPEN_STATES, JobState, OutboxJob
from .outbox import redis_connection, rq_queue

log = logging.getLogger("backend.jobs")

_RQ_DEAD = ("failed", "stopped", "canceled", "finished")  # reported with an abandoned attempt


@dataclass
class SweepResult:
    abandoned: list[int] = field(default_factory=list)  # attempts found dead, to retry
    lost: list[int] = field(default_factory=list)  # queued on RQ, gone from it
    dispatched: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # gave up
    pruned: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def sweep(*, retry_failed: bool = False) -> SweepResult:
    """One pass of the sweeper (commits). `retry_failed` also gives failed jobs a new set of
    attempts (after an operator fixed the cause: freed disk space, say)."""
    cfg = current_app.config
    now = utcnow()
    result = SweepResult()
    if retry_failed:
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.state == JobState.FAILED)
            .values(state=JobState.PENDING, attempts=0, next_attempt_at=now, finished_at=None)
        )
        db.session.commit()
    rq_status = _rq_statuses()

    stale = now - timedelta(seconds=cfg["JOB_STALE_SECONDS"])
    for row in db.session.scalars(select(OutboxJob).where(OutboxJob.state == JobState.RUNNING)).all():
        # Only the heartbeat says an attempt is over: RQ's word is about one Redis, and a job may
        # have been re-queued on another (an operator moving Redis, a second deployment on the
        # database) while its attempt still runs; judging by RQ alone, a live import was once
        # started a second time beside itself.
        beat = row.heartbeat_at or row.started_at
        if beat is not None and beat >= stale:
            continue
        status = rq_status(row.rq_job_id) if row.rq_job_id else None
        why = f"no heartbeat since {beat:%Y-%m-%d %H:%M:%S}" if beat else "no heartbeat"
        if status in (*_RQ_DEAD, "missing"):
            why += f"; RQ says {status}"
        _abandoned(row, f"the attempt stopped without finishing ({why}; the worker died?)", result)

    grace = now - timedelta(seconds=cfg["JOB_QUEUED_CHECK_SECONDS"])
    for row in db.session.scalars(
        select(OutboxJob).where(OutboxJob.state == JobState.QUEUED, OutboxJob.queued_at < grace)
    ).all():
        status = rq_status(row.rq_job_id)
        if status in ("missing", "failed", "stopped", "canceled"):
            _abandoned(row, f"RQ lost or dropped the queued job ({status})", result, lost=True)
        elif status == "scheduled" and row.next_attempt_at < grace:
            # A delayed job RQ's scheduler has not moved to the queue long after it fell due: no
            # worker runs a scheduler (a plain `rq worker`, or all schedulers died). Queue it now;
            # should the scheduler move it after all, the attempt's claim makes it run once.
            _abandoned(row, "RQ's scheduler did not queue the delayed job when it fell due", result, lost=True)

    due = db.session.scalars(
        select(OutboxJob.id)
        .where(OutboxJob.state == JobState.PENDING, OutboxJob.next_attempt_at <= utcnow())
        .order_by(OutboxJob.id)
    ).all()
    db.session.commit()
    outbox.dispatch(list(due))
    result.dispatched = list(due)

    keep = timedelta(days=cfg["JOB_KEEP_DONE_DAYS"])
    result.pruned = db.session.execute(
        delete(OutboxJob).where(OutboxJob.state == JobState.DONE, OutboxJob.finished_at < now - keep)
    ).rowcount
    db.session.commit()
    if result.abandoned or result.lost or result.failed or result.dispatched:
        log.info("job sweep: %s", result.as_dict())
    return result


def _abandoned(row: OutboxJob, reason: str, result: SweepResult, lost: bool = False) -> None:
    """Retry an attempt that will not finish by itself, at once (the delay between retries is
    for jobs that failed by themselves). A job lost before it started still uses an attempt,
    so even a job whose every attempt dies before it starts ends `failed`."""
    row_id, name, args, expect = row.id, row.name, tuple(row.args), (row.state, row.attempts)
    db.session.commit()
    try:
        fn = outbox.resolve(name)
    except (ImportError, AttributeError):
        fn = None
    state = outbox.attempt_failed(row_id, fn, args, reason, expect=expect, count_attempt=lost, retry_now=True)
    if state is not None:
        (result.lost if lost else result.abandoned).append(row_id)
    if state == JobState.FAILED:
        result.failed.append(row_id)


def _rq_statuses():
    """A function giving the RQ status of a job id ('missing' when RQ has no such job; None
    when Redis cannot be asked, so nothing is judged on RQ's word)."""
    if not current_app.config["REDIS_URL"]:
        return lambda _id: None
    # Only with REDIS_URL: redis and rq take ~0.5 s to import, which the embedded setup never pays.
    from redis.exceptions import RedisError  # noqa: PLC0415
    from rq.exceptions import NoSuchJobError  # noqa: PLC0415
    from rq.job import Job  # noqa: PLC0415

    def status(rq_id: str | None):
        if not rq_id:
            return "missing"
        try:
            return Job.fetch(rq_id, connection=redis_connection()).get_status(refresh=False)
        except NoSuchJobError:
            return "missing"
        except RedisError:
            return None

    return status


# --- when the sweeper runs --------------------------------------------------------------------------


def sweep_job() -> None:
    """The sweep as an RQ job (queued by workers, see `worker.py`)."""
    with worker_app().app_context():
        redis_connection().delete(_sweep_mark())
        sweep()


sweep_job.light = True  # run by the worker itself, not a forked work horse (see worker.py)


def _sweep_mark() -> str:
    return f"{current_app.config['RQ_QUEUE']}:sweep-queued"


def queue_sweep() -> bool:
    """Queue a sweep unless one is queued and not started yet (several workers ask)."""
    if not redis_connection().set(_sweep_mark(), 1, nx=True, ex=max(current_app.config["JOB_SWEEP_SECONDS"] * 5, 60)):
        return False
    rq_queue().enqueue(sweep_job, job_timeout=current_app.config["JOB_TIMEOUT_SECONDS"], result_ttl=600)
    return True


_last_sweep = {"at": 0.0}


def sweep_now_and_then(_exc: BaseException | None = None) -> None:
    """Without Redis (the embedded setup): sweep at the end of a request at most every
    `JOB_SWEEP_SECONDS`, in the web process that runs the jobs anyway."""
    interval = current_app.config["JOB_SWEEP_SECONDS"]
    if not interval or time.monotonic() - _last_sweep["at"] < interval:
        return
    _last_sweep["at"] = time.monotonic()
    try:
        sweep()
    except Exception:
        db.session.rollback()
        log.exception("job sweep failed")


# --- what /health reports ---------------------------------------------------------------------------


def queue_health() -> dict:
    """Is the queue keeping up? Redis reachable (when used), how many jobs wait and since when,
    how many gave up in the last day."""
    cfg = current_app.config
    now = utcnow()
    body: dict = {"mode": "rq" if cfg["REDIS_URL"] else "in-process", "problems": []}
    if cfg["REDIS_URL"]:
        try:
            redis_connection().ping()
            body["redis"] = "ok"
        except Exception as exc:
            body["redis"] = "unreachable"
            body["problems"].append(f"Redis is unreachable: {exc}"[:300])
    waiting = (JobState.PENDING, JobState.QUEUED)
    count, oldest = db.session.execute(
        select(func.count(), func.min(OutboxJob.created_at)).where(OutboxJob.state.in_(waiting))
    ).one()
    body["waiting_jobs"] = count
    body["oldest_waiting_seconds"] = round((now - oldest).total_seconds()) if oldest else 0
    body["running_jobs"] = db.session.scalar(
        select(func.count()).select_from(OutboxJob).where(OutboxJob.state == JobState.RUNNING)
    )
    body["failed_jobs_24h"] = db.session.scalar(
        select(func.count())
        .select_from(OutboxJob)
        .where(OutboxJob.state == JobState.FAILED, OutboxJob.finished_at >= now - timedelta(days=1))
    )
    if body["oldest_waiting_seconds"] > cfg["JOB_WAITING_ALERT_SECONDS"]:
        body["problems"].append(
            f"A job has waited {body['oldest_waiting_seconds']} s (more than {cfg['JOB_WAITING_ALERT_SECONDS']} s): "
            "are workers running?"
        )
    return body


__all__ = ["OPEN_STATES", "SweepResult", "queue_health", "queue_sweep", "sweep"]
