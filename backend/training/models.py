"""Promoters' training: topics HQ maintains, sessions a rep records at a visit (offline, synced
like the visit's other records), and who attended with their quiz scores."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.records import FieldRecordMixin
from ..core.timeutil import utcnow
from ..extensions import db


class TopicKind(StrEnum):
    PRODUCT = "product"  # product knowledge (usually one topic per new model)
    PROMOTION = "promotion"  # a promotion's policy
    SKILLS = "skills"  # selling skills


class TrainingTopic(db.Model):
    """A topic HQ wants promoters trained on, current from `starts_on` to `ends_on` (either open).

    `quiz`: 0 or 3–5 multiple-choice questions, each
    `{"question": str, "question_en": str | None, "choices": [str, ...] (2–5),
      "choices_en": [str, ...] | None, "answer": int (index into choices)}`;
    the rep's phone scores a promoter's answers offline, the server scores them again."""

    __tablename__ = "training_topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)  # Chinese
    title_en: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # TopicKind
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)  # a model's topic
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    quiz: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class TrainingSession(FieldRecordMixin, db.Model):
    """A training a rep gave at a store, usually during a visit. Append-only, idempotent by id."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        Index("ix_training_sessions_store_held", "store_id", "held_on"),
        Index("ix_training_sessions_topic_store", "topic_id", "store_id"),
    )

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id"), index=True)
    # For the flush's order only (never read): see ImeiSpotCheck.visit.
    visit = relationship("Visit", lazy="raise")
    topic_id: Mapped[int] = mapped_column(ForeignKey("training_topics.id"), nullable=False)
    held_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # the device's time (UTC)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)  # its business day
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str] = mapped_column(String(300), default="", nullable=False)


class TrainingAttendance(db.Model):
    """A promoter (a store contact) at a session, with their quiz answers and score if quizzed."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "contact_id", name="uq_training_attendance_session_contact"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True, nullable=False
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("store_contacts.id"), index=True, nullable=False)
    answers: Mapped[list | None] = mapped_column(JSON)  # the chosen index per question, None: not quizzed
    score: Mapped[int | None] = mapped_column(Integer)  # correct answers (server-scored)
    quiz_size: Mapped[int | None] = mapped_column(Integer)  # questions asked
