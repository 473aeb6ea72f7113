"""core/transaction.py: per-transaction state written just before the outermost commit, handed
over after it, dropped on the outermost rollback, untouched by savepoints."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.auth.models import Role, User
from backend.core import transaction
from backend.core.transaction import TransactionState, registered
from backend.extensions import db

calls: list[tuple[str, object]] = []


def _flushed(session) -> None:
    for obj in session.new:
        if isinstance(obj, User):
            NOTES.get(session).append(obj.username)


NOTES = TransactionState(
    "test_notes",
    list,
    after_flush=_flushed,
    before_commit=lambda session, value: calls.append(("before", list(value))),
    after_commit=lambda session, value: calls.append(("after", list(value))),
)


@pytest.fixture(autouse=True)
def _registered(monkeypatch):
    """The test's states are registered for the test only (the registry is restored after it)."""
    monkeypatch.setattr(transaction, "_STATES", dict(transaction._STATES))
    NOTES.register()
    calls.clear()


def _user(name: str) -> User:
    return User(username=name, display_name=name, password_hash="x", role=Role.HQ)


def test_registration_is_idempotent(app):
    assert NOTES.register() is NOTES
    assert registered().count(NOTES) == 1
    assert registered()[-1] is NOTES  # hooks run in registration order: the app's states come first
    with pytest.raises(ValueError):
        TransactionState("test_notes", list).register()


def test_hooks_run_at_the_outermost_commit_only(app):
    with db.session.begin_nested():
        db.session.add(_user("tx-a"))
    assert calls == []  # a savepoint's release is no commit
    assert NOTES.peek(db.session) == ["tx-a"]
    NOTES.get(db.session).append("extra")
    db.session.commit()
    assert calls == [("before", ["tx-a", "extra"])]
    assert NOTES.peek(db.session) is None


def test_a_rollback_forgets_a_savepoint_rollback_does_not(app):
    db.session.add(_user("tx-b"))
    db.session.flush()
    savepoint = db.session.begin_nested()
    db.session.add(_user("tx-c"))
    db.session.flush()
    savepoint.rollback()
    assert NOTES.peek(db.session) == ["tx-b", "tx-c"]  # kept: the owner sorts out what survived
    db.session.rollback()
    assert NOTES.peek(db.session) is None
    db.session.commit()
    assert calls == []
    assert db.session.scalar(select(User).where(User.username.in_(["tx-b", "tx-c"]))) is None


def test_after_commit_gets_what_the_transaction_left(app):
    after = TransactionState("test_after", list, after_commit=lambda s, v: calls.append(("handed", v))).register()
    after.get(db.session).append(1)
    db.session.commit()
    assert calls == [("handed", [1])] and after.peek(db.session) is None
