"""Store visits (巡点) and the display checks made during them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.records import FieldRecordMixin
from ..extensions import db


class Visit(FieldRecordMixin, db.Model):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_rep_checked_in", "rep_id", "checked_in_at"),
        Index("ix_visits_store_checked_in", "store_id", "checked_in_at"),
        # Lists are newest first: managers and HQ page through many reps' visits by time.
        Index("ix_visits_checked_in_id", "checked_in_at", "id"),
    )

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    checked_in_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    check_in_latitude: Mapped[float] = mapped_column(Float, nullable=False)
    check_in_longitude: Mapped[float] = mapped_column(Float, nullable=False)
    check_in_accuracy_m: Mapped[float] = mapped_column(Float, nullable=False)
    # Geodesic distance from the check-in position to the store, computed by the server.
    check_in_distance_m: Mapped[float] = mapped_column(Float, nullable=False)
    off_site: Mapped[bool] = mapped_column(Boolean, nullable=False)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    check_out_latitude: Mapped[float | None] = mapped_column(Float)
    check_out_longitude: Mapped[float | None] = mapped_column(Float)
    check_out_accuracy_m: Mapped[float | None] = mapped_column(Float)
    check_out_distance_m: Mapped[float | None] = mapped_column(Float)
    check_out_received_at: Mapped[datetime | None] = mapped_column(DateTime)
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)


class DisplayCheck(FieldRecordMixin, db.Model):
    """Answers to the VI checklist for one visit. `answers` is [{"item_id": int, "value": …}]."""

    __tablename__ = "display_checks"

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id"), index=True, nullable=False)
    # For the flush's order only (never read: lazy="raise"): a push adds a visit and the records
    # made in it in one flush, and the unit of work puts the visit's INSERT first only when a
    # relationship links the two (core.batch.find_record relies on it).
    visit = relationship("Visit", lazy="raise")
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True, nullable=False)
    checked_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    answers: Mapped[list] = mapped_column(JSON, nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    notes: Mapped[str] = mapped_column(String(2000), default="", nullable=False)
