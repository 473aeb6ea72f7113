"""Sync bookkeeping: clients and their last applied mutation, the change log, rejections.

The conflicts a merge records and the `sync_meta` key/value table (the deployment clock, the
change log's retention mark) are `backend.merge.models`: the domains write them, below sync."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit sequence.
BigId = BigInteger().with_variant(Integer, "sqlite")


class SyncClient(db.Model):
    """One installation of the app (a browser profile) for one user."""

    __tablename__ = "sync_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, nullable=False)
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    app_version: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    last_push_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The last pull (written at most once a minute): with last_push_at, "last synced" on the
    # manager's team view.
    last_pull_at: Mapped[datetime | None] = mapped_column(DateTime)


class SyncChange(db.Model):
    """ "Entity X changed, visible to audience S" — the pull stream, in commit order.

    A row does not carry data: pull reads the entity's current state and decides from it
    whether the caller gets a put, a delete (tombstone) or a remove (left the caller's scope).
    `audience` says how the row is scoped: `global` (everyone), `store` (by store, territory,
    region: stores and contacts), `record` (by rep or region: field records).
    """

    __tablename__ = "sync_changes"
    __table_args__ = (
        Index("ix_sync_changes_territory_seq", "territory_id", "seq"),
        Index("ix_sync_changes_region_seq", "region_id", "seq"),
        Index("ix_sync_changes_rep_seq", "rep_id", "seq"),
        Index("ix_sync_changes_store_seq", "store_id", "seq"),
        Index("ix_sync_changes_audience_seq", "audience", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    audience: Mapped[str] = mapped_column(String(8), nullable=False)
    territory_id: Mapped[int | None] = mapped_column(Integer)
    region_id: Mapped[int | None] = mapped_column(Integer)
    store_id: Mapped[int | None] = mapped_column(Integer)
    rep_id: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class SyncRejection(db.Model):
    """A mutation refused by validation or access rules: acknowledged, kept here, never retried."""

    __tablename__ = "sync_rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    mutation_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    args: Mapped[dict] = mapped_column(JSON, nullable=False)
    error: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
