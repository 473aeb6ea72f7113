"""The job outbox: one row per background job the database needs, written in the same
transaction as the data the job concerns."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class JobState(StrEnum):
    PENDING = "pending"  # recorded; not (yet) handed to RQ, or waiting for its next attempt
    QUEUED = "queued"  # handed to RQ
    RUNNING = "running"  # an attempt started (heartbeat_at says it is alive)
    DONE = "done"
    FAILED = "failed"  # gave up: last_error says why


OPEN_STATES = (JobState.PENDING, JobState.QUEUED, JobState.RUNNING)


class OutboxJob(db.Model):
    __tablename__ = "job_outbox"
    __table_args__ = (
        Index("ix_job_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_job_outbox_dedupe_key_state", "dedupe_key", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)  # "package.module:function"
    args: Mapped[list] = mapped_column(JSON, nullable=False)
    dedupe_key: Mapped[str] = mapped_column(String(64), nullable=False)  # sha256 of name and args
    state: Mapped[str] = mapped_column(String(16), default=JobState.PENDING, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str] = mapped_column(String(1000), default="", nullable=False)
    rq_job_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class PeriodicRun(db.Model):
    """When each housekeeping task (`jobs.periodic`) last started and finished, and how it went:
    the claim that keeps two schedulers from running a task twice in one period, and what
    `/health` and `flask doctor` report."""

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(500), default="", nullable=False)
