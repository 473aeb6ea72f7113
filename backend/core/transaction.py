"""Per-transaction state with hooks at flush, commit and rollback: the one implementation of
"note something while the transaction runs, write it just before the commit, drop it on rollback".

Several parts of the backend need a side effect tied to the commit of whatever transaction made
a change: the change log (a row per synced object touched), the deployment clock (the largest
HLC observed), the price rollups (the cells an observation dirtied), the job outbox (the jobs a
transaction asked for). Each keeps a `TransactionState`: a named value in `session.info` (a dict,
a set, a number…) with the hooks that consume it:

- `after_flush(session)`: called after every flush, to notice objects in `session.new`,
  `session.dirty`, `session.deleted` (they still show what was flushed);
- `before_commit(session, value)`: called with the value taken out of `session.info` just before
  the outermost commit, after one last flush, to write what it says in the same transaction;
- `after_commit(session, value)`: called with the value taken out of `session.info` once the
  outermost transaction has committed;
- on the outermost rollback the value is dropped (`forget_on_rollback=True`, the default).

Savepoints (`begin_nested`) do not count: their release is no commit and their rollback drops
nothing (objects added in a rolled-back savepoint are told apart by their state where it
matters, as the change log does).

States register with `register()` (idempotent: once per process, whatever the number of apps
created), usually in their package's `init_app`. One listener per SQLAlchemy event serves them
all, in registration order, so the order in which the hooks run is the order in which the
factory initialises the packages, not the accident of import order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

_MISSING = object()


class TransactionState:
    """A named piece of per-transaction state in `session.info` and the hooks that consume it."""

    def __init__(
        self,
        key: str,
        factory: Callable[[], Any] | None = None,
        *,
        after_flush: Callable[[Session], None] | None = None,
        before_commit: Callable[[Session, Any], None] | None = None,
        after_commit: Callable[[Session, Any], None] | None = None,
        forget_on_rollback: bool = True,
    ) -> None:
        self.key = key
        self.factory = factory
        self.after_flush = after_flush
        self.before_commit = before_commit
        self.after_commit = after_commit
        self.forget_on_rollback = forget_on_rollback

    def __repr__(self) -> str:
        return f"TransactionState({self.key!r})"

    def get(self, session) -> Any:
        """The value of the open transaction, created by `factory` when there is none yet."""
        info = session.info
        value = info.get(self.key, _MISSING)
        if value is _MISSING:
            value = info[self.key] = self.factory()
        return value

    def peek(self, session, default: Any = None) -> Any:
        """The value of the open transaction, or `default` (nothing is created)."""
        return session.info.get(self.key, default)

    def set(self, session, value: Any) -> None:
        session.info[self.key] = value

    def pop(self, session, default: Any = None) -> Any:
        """Take the value out: whoever pops it is now responsible for it."""
        return session.info.pop(self.key, default)

    def register(self) -> TransactionState:
        """Have the session events call this state's hooks (once per process; idempotent)."""
        _install()
        _STATES.setdefault(self.key, self)
        if _STATES[self.key] is not self:
            raise ValueError(f"another transaction state is registered as {self.key!r}")
        return self


_STATES: dict[str, TransactionState] = {}


def registered() -> list[TransactionState]:
    """The registered states, in the order their hooks run."""
    return list(_STATES.values())


def _after_flush(session: Session, _flush_context) -> None:
    for state in list(_STATES.values()):
        if state.after_flush is not None:
            state.after_flush(session)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint's release: wait for the real commit
        return
    session.flush()  # so the after_flush hooks have seen every change of the transaction
    for state in list(_STATES.values()):
        if state.before_commit is not None:
            value = session.info.pop(state.key, None)
            if value is not None:
                state.before_commit(session, value)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for state in list(_STATES.values()):
        if state.after_commit is not None:
            value = session.info.pop(state.key, None)
            if value is not None:
                state.after_commit(session, value)


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None:  # a savepoint rolled back: the transaction goes on
        return
    for state in list(_STATES.values()):
        if state.forget_on_rollback:
            session.info.pop(state.key, None)


def _install() -> None:
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


_CHECKS_HELD = "alert_checks_held"  # session.info: inside checks_held()


@contextmanager
def checks_held(session) -> Iterator[None]:
    """What `session` writes inside asks for no alert check: the domains whose flush hooks ask
    for alert jobs (the channel's replenishment alerts, HQ's quality alerts) look at
    `checks_are_held` first. For a bulk load whose rollups are complete only at its end (the demo
    seed rebuilds them, then raises every alert the finished data shows): a check run meanwhile
    on an rq worker would read half the data and raise alerts the finished data does not show,
    more of them the longer the load takes."""
    session.info[_CHECKS_HELD] = True
    try:
        yield
    finally:
        session.info.pop(_CHECKS_HELD, None)


def checks_are_held(session) -> bool:
    return bool(session.info.get(_CHECKS_HELD))


def original_values(obj: Any, names: tuple[str, ...]) -> tuple:
    """`obj`'s values of `names` as the transaction found them: each attribute's history at its
    first change (a change made before an earlier flush was noted by that flush's hook), else its
    loaded value. An attribute set without being loaded first has no history: its value is taken
    as it is (the services read a row before they change it)."""
    state = inspect(obj)
    values = []
    for name in names:
        history = state.attrs[name].history
        if history.deleted:
            values.append(history.deleted[0])
        elif history.unchanged:
            values.append(history.unchanged[0])
        else:
            values.append(getattr(obj, name))
    return tuple(values)
