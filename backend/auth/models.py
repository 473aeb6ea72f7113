"""Users, their bearer tokens, and failed-login counters for rate limiting."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    CLERK = "clerk"
    HQ = "hq"
    ADMIN = "admin"


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(32))
    # Where the user belongs: a rep to a territory, a manager to a region, a clerk to a store.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.HQ, Role.ADMIN)


def hash_token(token: str) -> str:
    """Only the sha256 of a token is stored, so a database leak does not leak sessions."""
    return hashlib.sha256(token.encode()).hexdigest()


class AuthToken(db.Model):
    """A bearer token, stored as its hash (`hash_token`): a database leak does not leak sessions."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginCounter(db.Model):
    """Counters of failed logins, one row per scope: a client's failures at one username
    (`user_ip`), a client's failures at all usernames (`ip`, username ""), and a username's
    failures from every client (`user`, ip ""). An attempt is counted before its password is
    checked (an atomic UPSERT, see `limits.py`) and taken back when the password was right."""

    __tablename__ = "login_counters"
    __table_args__ = (Index("ix_login_counters_last_at", "last_at"),)

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    ip: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    window_start: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    last_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    # `user` rows beyond LOGIN_USER_BACKOFF_AFTER: no attempt before this time.
    next_at: Mapped[datetime | None] = mapped_column(DateTime)
