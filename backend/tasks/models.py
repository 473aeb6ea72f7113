"""Tasks for reps: assigned to a store by a manager or HQ, completed at a visit (offline)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..extensions import db


class TaskKind(StrEnum):
    DISPLAY = "display"  # fix the display (usually with a photo of the result)
    MATERIAL = "material"  # deliver promo material (material_id)
    PRICE = "price"  # check a price (product_id or competitor_model_id)
    TRAINING = "training"  # train the promoters on a topic (topic_id)
    OTHER = "other"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Task(db.Model):
    """One task at one store. Created online (REST) by a manager for a store of their region or
    by HQ for any store (`campaign` groups the tasks HQ created together); completed by a rep's
    `task.complete` mutation at a visit, idempotent by `completion_id`. Overdue is not stored:
    open with `due_on` before the business day."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_store_status", "store_id", "status"),
        Index("ix_tasks_region_status_due", "region_id", "status", "due_on"),
        Index("ix_tasks_assignee_status", "assignee_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    # The store's region when the task was made: the manager's scope and the listing's filter.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), nullable=False)
    # A rep named by the assigner; None: whichever rep covers the store's territory.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # TaskKind
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    note: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    needs_photo: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("training_topics.id"))
    material_id: Mapped[int | None] = mapped_column(ForeignKey("promo_materials.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    competitor_model_id: Mapped[int | None] = mapped_column(ForeignKey("competitor_models.id"))
    campaign: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.OPEN, nullable=False)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Completion (the rep's mutation; its id makes a resend a no-op). Photos: PhotoLink
    # record_type "task", record_id the task's id.
    completion_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)  # the device's time (UTC)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id"), index=True)
    # For the flush's order only (never read): a visit and a completion made in it go out in one
    # flush of a push run, the visit first (core.batch: every foreign key to visits needs one).
    done_visit = relationship("Visit", lazy="raise")
    done_note: Mapped[str] = mapped_column(String(300), default="", nullable=False)
