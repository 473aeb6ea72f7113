"""Login limits: how many passwords may be checked, per client and per username.

Three counters (rows of `login_counters`), all configured by LOGIN_* (config.py):

- `user_ip`: one client's failures at one username. LOGIN_MAX_FAILURES per window, then 429 for
  that client only until the window (fixed, from its first failure) ends. A success clears it.
- `ip`: one client's failures at any username. LOGIN_MAX_FAILURES_PER_IP per window.
- `user`: a username's failures from every client. Beyond LOGIN_USER_BACKOFF_AFTER, an attempt
  must wait for the delay the previous one set, LOGIN_USER_BACKOFF_SECONDS doubling each time up
  to LOGIN_USER_BACKOFF_MAX_SECONDS: a guesser spread over many addresses is slowed to one guess
  per delay, while the account's owner still gets in after at most that delay. The count starts
  over once a whole window has passed without a failure.

An attempt takes its place in each counter BEFORE its password is checked, with one atomic
statement per counter (INSERT … ON CONFLICT DO UPDATE … WHERE <under the limit> RETURNING, on
SQLite and PostgreSQL alike) committed before the slow hash: concurrent guesses cannot all see
a count under the limit, so at most the limit of passwords is ever checked. A refused attempt
takes no place (its transaction is rolled back); a right password gives its place back.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..core.errors import TooManyRequests
from ..core.timeutil import utcnow
from ..extensions import db
from .models import LoginCounter

USER_IP, IP, USER = "user_ip", "ip", "user"

MESSAGES = {
    USER_IP: "Too many failed logins for this username from your device or network: wait and try again.",
    IP: "Too many failed logins from your device or network: wait and try again.",
    USER: "Too many failed logins for this username: wait a moment and try again.",
}

# Expired counters are deleted now and then (a row of a quiet counter counts as no row).
PRUNE_EVERY = 100


@dataclass(frozen=True)
class Reservation:
    """The places an attempt took: (scope, username, ip) → the window it was counted in."""

    places: tuple[tuple[str, str, str, datetime], ...]


def _insert(values: dict):
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(LoginCounter).values(**values)


def _take(scope: str, username: str, ip: str, now: datetime, fresh, allowed) -> tuple[int, datetime] | None:
    """Count one attempt in a counter, atomically: a new row, a row whose period is over
    (`fresh`: starts again at 1) or a row that allows one more (`allowed`). Returns (count,
    window_start) after it, or None when the counter refused (nothing written)."""
    c = LoginCounter
    stmt = _insert({"scope": scope, "username": username, "ip": ip, "count": 1, "window_start": now, "last_at": now})
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.scope, c.username, c.ip],
        set_={
            "count": case((fresh, 1), else_=c.count + 1),
            "window_start": case((fresh, now), else_=c.window_start),
            "next_at": case((fresh, None), else_=c.next_at),
            "last_at": now,
        },
        where=or_(fresh, allowed),
    ).returning(c.count, c.window_start)
    row = db.session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def _key(scope: str, username: str, ip: str):
    c = LoginCounter
    return (c.scope == scope, c.username == username, c.ip == ip)


def _refuse(scope: str, username: str, ip: str, now: datetime, window: timedelta):
    """Roll back the places taken so far and raise 429 with the seconds until this counter
    allows an attempt again."""
    row = db.session.scalar(select(LoginCounter).where(*_key(scope, username, ip)))
    if row is None:  # gone meanwhile (pruned): any wait will do
        until = now
    elif scope == USER:
        until = row.next_at or now
    else:
        until = row.window_start + window
    db.session.rollback()
    retry_after = max(1, math.ceil((until - now).total_seconds()))
    raise TooManyRequests(
        MESSAGES[scope], retry_after=retry_after, reason=f"login.too_many_{scope}", params={"retry_after": retry_after}
    )


def reserve(username: str, ip: str) -> Reservation:
    """Take this attempt's place in each counter and commit, or raise 429 (and take none)."""
    cfg = current_app.config
    now = utcnow()
    window = timedelta(seconds=cfg["LOGIN_FAILURE_WINDOW_SECONDS"])
    cutoff = now - window
    ip = ip[:64]
    c = LoginCounter
    places = []
    # Always in this order (ip, user_ip, user): on PostgreSQL each statement locks its row until
    # the commit, and one order for everyone means no deadlock.
    for scope, user, addr, limit in (
        (IP, "", ip, cfg["LOGIN_MAX_FAILURES_PER_IP"]),
        (USER_IP, username, ip, cfg["LOGIN_MAX_FAILURES"]),
    ):
        taken = _take(scope, user, addr, now, c.window_start <= cutoff, c.count < limit)
        if taken is None:
            _refuse(scope, user, addr, now, window)
        places.append((scope, user, addr, taken[1]))

    taken = _take(USER, username, "", now, c.last_at <= cutoff, or_(c.next_at.is_(None), c.next_at <= now))
    if taken is None:
        _refuse(USER, username, "", now, window)
    count, window_start = taken
    beyond = count - cfg["LOGIN_USER_BACKOFF_AFTER"]
    if beyond > 0:
        delay = min(cfg["LOGIN_USER_BACKOFF_MAX_SECONDS"], cfg["LOGIN_USER_BACKOFF_SECONDS"] * 2 ** min(beyond - 1, 30))
        db.session.execute(
            update(LoginCounter).where(*_key(USER, username, "")).values(next_at=now + timedelta(seconds=delay))
        )
    places.append((USER, username, "", window_start))
    db.session.commit()
    if random.randrange(PRUNE_EVERY) == 0:
        _prune(cutoff)
    return Reservation(tuple(places))


def release(reservation: Reservation) -> None:
    """The password was right: the attempt was no failure. Its client's counter for that
    username is cleared; the others give back its place (if still in the window it was taken
    in). Part of the caller's transaction."""
    c = LoginCounter
    for scope, username, ip, window_start in reservation.places:
        if scope == USER_IP:
            db.session.execute(delete(LoginCounter).where(*_key(scope, username, ip)))
        else:
            db.session.execute(
                update(LoginCounter)
                .where(*_key(scope, username, ip), c.window_start == window_start, c.count > 0)
                .values(count=c.count - 1)
            )


def _prune(cutoff: datetime) -> None:
    """Delete counters quiet for a whole window: no row counts the same as such a row. Rows
    another login holds are skipped (PostgreSQL's SKIP LOCKED), so pruning never waits for a
    login nor deadlocks with one."""
    c = LoginCounter
    quiet = select(c.scope, c.username, c.ip).where(c.last_at <= cutoff).with_for_update(skip_locked=True)
    db.session.execute(delete(LoginCounter).where(tuple_(c.scope, c.username, c.ip).in_(quiet)))
    db.session.commit()
