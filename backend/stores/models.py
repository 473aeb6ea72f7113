"""Retail terminals (零售终端) and their contacts, with contact history."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class StoreKind(StrEnum):
    COUNTER = "counter"  # 专柜: a counter inside a larger store
    SHOP = "shop"  # 专店: a dedicated shop
    SERVICE_POINT = "service_point"  # 售后服务网点: an authorised repair point (三包 repairs)


class StoreTier(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class StoreStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    CLOSED = "closed"


def _inserted(column: str):
    """A column default: the value inserted into `column` of the same row."""
    return lambda context: context.get_current_parameters().get(column)


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
    # The position last set by a manager, HQ, an admin or an approved proposal (or at creation;
    # null: the current one). A rep's move farther than STORE_MOVE_APPROVAL_M from it waits for
    # approval, so small moves cannot add up to a big one. Not part of the API.
    anchor_latitude: Mapped[float | None] = mapped_column(Float, default=_inserted("latitude"))
    anchor_longitude: Mapped[float | None] = mapped_column(Float, default=_inserted("longitude"))
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


class StoreChannel(StrEnum):
    REST = "rest"
    SYNC = "sync"


class StoreHistory(db.Model):
    """One row per changed field of a store: who, when, old → new, and through which channel.

    Written by the store service for every change (creation: old is null), whatever the caller:
    REST, a sync push, or a manager approving a position proposal (`proposal_id`)."""

    __tablename__ = "store_history"
    __table_args__ = (Index("ix_store_history_store_id_changed_at", "store_id", "changed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("store_position_proposals.id"))


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # the same rep proposed again, or another proposal was approved


class StorePositionProposal(db.Model):
    """A rep's move of a store beyond STORE_MOVE_APPROVAL_M: held until a manager of the store's
    region (or HQ, an admin) approves it (the store moves) or rejects it (it stays)."""

    __tablename__ = "store_position_proposals"
    __table_args__ = (Index("ix_store_position_proposals_status_store_id", "status", "store_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ProposalStatus.PENDING)
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)
    # Where the store was when the rep proposed, and how far the proposal moves it from there.
    from_latitude: Mapped[float] = mapped_column(Float, nullable=False)
    from_longitude: Mapped[float] = mapped_column(Float, nullable=False)
    distance_m: Mapped[float] = mapped_column(Float, nullable=False)
    note: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, nullable=False)
    proposed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(String(500), default="", nullable=False)
