"""Log in and out, look up a token's user, and manage users."""

from __future__ import annotations

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select, update

from ..core.auth import check_role
from ..core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Region, Territory
from ..stores.models import Store
from . import limits
from .models import AuthToken, Role, User, hash_token


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH: dict[tuple[int, int], str] = {}


def login(username: str, password: str, ip: str) -> tuple[str, User, object]:
    """Return (token, user, expires_at) or raise. A client over its limits gets 429 (see
    `limits.py`): the attempt is counted before the password hash is checked."""
    cfg = current_app.config
    reservation = limits.reserve(username, ip)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hash_password(secrets.token_hex(8))
        _verify(_DUMMY_HASH[key], password)
        ok = False
    else:
        # The hash is checked for a deactivated account too: answering it at once would tell
        # a guesser which usernames exist but are disabled (~10 ms against ~170 ms).
        ok = _verify(user.password_hash, password) and user.active
    if not ok:
        # Nothing to write: the attempt was counted as a failure before the hash was checked.
        raise Unauthorized("Wrong username or password.", reason="login.wrong_password")
    limits.release(reservation)
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(seconds=cfg["TOKEN_TTL_SECONDS"])
    db.session.add(AuthToken(token_hash=hash_token(token), user_id=user.id, expires_at=expires_at))
    return token, user, expires_at


def logout(token: str) -> None:
    row = db.session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_token(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user


# --- user administration -------------------------------------------------------------------


def _check_placement(data: dict, role: str) -> None:
    """A rep needs a territory, a manager a region, a clerk a store; the others need none."""
    needs = {Role.REP: "territory_id", Role.MANAGER: "region_id", Role.CLERK: "store_id"}
    need = needs.get(role)
    if need and not data.get(need):
        raise InvalidInput(
            f"A user with role '{role}' needs {need}.",
            field=need,
            reason="user.needs_placement",
            params={"role": role, "field": need},
        )
    for field, model in (("territory_id", Territory), ("region_id", Region), ("store_id", Store)):
        if data.get(field) is not None and db.session.get(model, data[field]) is None:
            raise InvalidInput(
                f"Unknown {field}: {data[field]}.",
                field=field,
                reason="unknown_reference",
                params={"field": field, "value": data[field]},
            )


def _in_region(region_id: int):
    """The users of a region: its managers, the reps of its territories, the clerks of its stores."""
    territories = select(Territory.id).where(Territory.region_id == region_id)
    stores = select(Store.id).where(Store.territory_id.in_(territories))
    return (User.region_id == region_id) | User.territory_id.in_(territories) | User.store_id.in_(stores)


def users_query(actor: User, filters: dict):
    """Admins and HQ list everyone; a manager lists the users of their region (`_in_region`).
    `region_id` filters the same way: a region's reps and clerks are in it too."""
    check_role(actor, Role.ADMIN, Role.HQ, Role.MANAGER)
    stmt = select(User).order_by(User.id)
    if actor.role == Role.MANAGER:
        stmt = stmt.where(_in_region(actor.region_id))
    if filters.get("region_id") is not None:
        stmt = stmt.where(_in_region(filters["region_id"]))
    for key in ("role", "territory_id", "store_id", "active"):
        if filters.get(key) is not None:
            stmt = stmt.where(getattr(User, key) == filters[key])
    if filters.get("q"):
        like = f"%{filters['q']}%"
        stmt = stmt.where(User.username.ilike(like) | User.display_name.ilike(like))
    return stmt


def get_user(actor: User, user_id: int) -> User:
    user = db.session.scalar(users_query(actor, {}).where(User.id == user_id))
    if user is None:
        raise NotFound(f"No user {user_id}.", reason="user.not_found", params={"user_id": user_id})
    return user


def create_user(actor: User, data: dict) -> User:
    check_role(actor, Role.ADMIN)
    if db.session.scalar(select(User.id).where(User.username == data["username"])):
        raise Conflict(
            f"The username '{data['username']}' is taken.",
            field="username",
            reason="user.username_taken",
            params={"username": data["username"]},
        )
    _check_placement(data, data["role"])
    password = data.pop("password")
    user = User(**data, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


# A generated password avoids look-alikes (0/O, 1/l/I): an admin may read it out over the phone.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_PASSWORD_LENGTH = 12


def generate_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(GENERATED_PASSWORD_LENGTH))


def reset_password(actor: User, user_id: int, password: str | None) -> tuple[User, str | None]:
    """An admin sets a user's password: the one given, or one made here and returned once (only
    its hash is kept). Every session of the user ends, as with any password change."""
    generated = None
    if password is None:
        password = generated = generate_password()
    user = update_user(actor, user_id, {"password": password})
    return user, generated


def update_user(actor: User, user_id: int, data: dict) -> User:
    check_role(actor, Role.ADMIN)
    user = get_user(actor, user_id)
    merged = {k: getattr(user, k) for k in ("territory_id", "region_id", "store_id")} | data
    _check_placement(merged, data.get("role", user.role))
    ends_sessions = "password" in data or (data.get("active") is False and user.active)
    if "password" in data:
        user.password_hash = hash_password(data.pop("password"))
    if ends_sessions:
        # A new password or a deactivation ends every session of that user: a token issued
        # before a deactivation must not work again after a reactivation.
        db.session.execute(
            update(AuthToken)
            .where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    for key, value in data.items():
        setattr(user, key, value)
    return user
