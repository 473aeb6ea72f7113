"""Retail terminals (零售终端) and their contacts, with contact history."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class StoreKind(StrEnum):
    COUNTER = "counter"  # 专柜: a counter inside a larger store
    SHOP = "shop"  # 专店: a dedicated shop


class StoreTier(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class StoreStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    CLOSED = "closed"


class Store(db.Model):
    __tablename__ = "stores"
    __table_args__ = (
        Index("ix_stores_lat_lon", "latitude", "longitude"),
        Index("ix_stores_name_id", "name", "id"),  # lists are ordered by name
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    address: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)
    tier: Mapped[str] = mapped_column(String(1), nullable=False, default=StoreTier.C)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=StoreStatus.ACTIVE)
    # {field: {"hlc", "by"}}: which edit set each field's value (per-field merge, see sync).
    field_clock: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ContactRole(StrEnum):
    PROMOTER = "promoter"  # 导购员/促销员
    STORE_MANAGER = "store_manager"  # 店长
    OWNER = "owner"  # 老板
    OTHER = "other"


class StoreContact(db.Model):
    """Current contact; its id may come from an offline client. Deleted contacts keep a tombstone."""

    __tablename__ = "store_contacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    phone: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    field_clock: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)


class StoreContactHistory(db.Model):
    """One row per change of a contact: a snapshot of the values after the change."""

    __tablename__ = "store_contact_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True, nullable=False)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True, nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # created / updated / deleted
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    phone: Mapped[str] = mapped_column(String(32), nullable=False)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
