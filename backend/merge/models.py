"""The tables of the per-field merge: the conflicts it records and `sync_meta`, small server facts
such as the deployment HLC clock (`hlc`) and, for the change log, `pruned_through`.

They keep their `sync_` table names from when they lived in `backend.sync`: moving the classes
below the domains changed no schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class SyncConflict(db.Model):
    """The same field edited on two devices: the later HLC was kept, the other value is here."""

    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    region_id: Mapped[int | None] = mapped_column(Integer, index=True)
    field: Mapped[str] = mapped_column(String(64), nullable=False)
    kept_value: Mapped[object] = mapped_column(JSON)
    kept_hlc: Mapped[str] = mapped_column(String(96), nullable=False)
    kept_by: Mapped[int | None] = mapped_column(Integer)
    lost_value: Mapped[object] = mapped_column(JSON)
    lost_hlc: Mapped[str] = mapped_column(String(96), nullable=False)
    lost_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(16))


class SyncMeta(db.Model):
    """Small server facts, e.g. `pruned_through`: change-log rows up to this seq were deleted."""

    __tablename__ = "sync_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)
