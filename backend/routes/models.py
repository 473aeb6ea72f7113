"""Visit plans: the stores a rep is to visit on a day, in the order that shortens the day."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class VisitPlan(db.Model):
    """One rep's plan for one day. Saving a plan for a (rep, day) that has one replaces its stops."""

    __tablename__ = "visit_plans"
    __table_args__ = (UniqueConstraint("rep_id", "day", name="uq_visit_plans_rep_day"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    day: Mapped[date] = mapped_column(Date, index=True, nullable=False)
    # The order to follow (the proposed order when the planner asked for it), and the one picked.
    store_ids: Mapped[list] = mapped_column(JSON, nullable=False)
    picked_store_ids: Mapped[list] = mapped_column(JSON, nullable=False)
    start_latitude: Mapped[float | None] = mapped_column(Float)
    start_longitude: Mapped[float | None] = mapped_column(Float)
    distance_picked_m: Mapped[float] = mapped_column(Float, nullable=False)
    distance_planned_m: Mapped[float] = mapped_column(Float, nullable=False)
    note: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
