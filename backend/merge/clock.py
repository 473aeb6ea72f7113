"""The server's hybrid logical clock: one clock for the whole deployment.

Edits made on the server (REST PATCHes, conflict resolutions) get an HLC from this clock, and it
observes every HLC that arrives in a push, so a server edit is ordered after everything any
server process has seen. A clock per process would not do: with several web processes, the one
that answers a PATCH may not have seen the fast phone clock another one accepted, and the REST
edit would then lose the merge silently.

The clock lives in the database, as one `sync_meta` row (`hlc`) holding the HLC packed into an
integer (`wall_ms * 100000 + counter`). It only moves forward, by an atomic
`value = max(value, …)` upsert:
- `observe` notes an arriving HLC in the session (the transaction state `OBSERVED`,
  registered by `backend.merge.init_app`); the clock
  moves past the largest one noted just before the transaction commits (one write per push, not
  one per mutation). A rollback does not drop it: an HLC that arrived was seen all the same;
- `now` issues a fresh HLC, past the stored clock, the physical clock, anything the session has
  observed, and the HLCs it is given (the field clocks of the record being edited).

On PostgreSQL the clock row is written on its own short autocommit connection, so its row lock
is never held while a transaction waits for other rows (a push and a PATCH of the same store
would otherwise deadlock). On SQLite, which has one writer at a time, it is written on the
session's own connection: a second connection would wait for the first's write lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sync_protocol import HLC
from sync_protocol.hlc import MAX_COUNTER

from ..core.transaction import TransactionState
from ..extensions import db
from .models import SyncMeta

SERVER_NODE = "server"
ORIGIN = "000000000000000:00000:origin"
"""The HLC of a value nobody has edited through the merge yet (seeded or created data)."""

KEY = "hlc"
_SLOTS = MAX_COUNTER + 1  # counter values per millisecond in the packed integer


def _pack(hlc: HLC) -> int:
    return hlc.wall_ms * _SLOTS + hlc.counter


def _unpack(value: int) -> HLC:
    return HLC(value // _SLOTS, value % _SLOTS, SERVER_NODE)


def _wall_now() -> int:
    return int(time.time() * 1000) * _SLOTS


def observe(hlc: HLC) -> None:
    """Note an HLC that arrived: the deployment clock moves past it when the transaction commits."""
    packed = _pack(hlc)
    if packed > OBSERVED.peek(db.session, -1):
        OBSERVED.set(db.session, packed)


def now(after: Iterable[str] = ()) -> str:
    """A fresh server HLC, later than any HLC the deployment has observed or issued and than
    each encoded HLC in `after`."""
    floor = max(_wall_now(), OBSERVED.pop(db.session, -1) + 1)
    for text in after:
        floor = max(floor, _pack(HLC.parse(text)) + 1)
    return _unpack(_advance(db.session(), floor, increment=True)).encode()


def current() -> str:
    """The clock as it reads now, for `server_hlc` in responses (no write)."""
    stored = db.session.scalar(select(SyncMeta.value).where(SyncMeta.key == KEY)) or 0
    return _unpack(max(stored, OBSERVED.peek(db.session, 0), _wall_now())).encode()


def _advance(session: Session, floor: int, *, increment: bool) -> int:
    """Set the clock to max(clock + increment, floor) atomically; returns the new value."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        stmt = pg_insert(SyncMeta).values(key=KEY, value=floor)
        stmt = stmt.on_conflict_do_update(
            index_elements=[SyncMeta.key],
            set_={"value": func.greatest(SyncMeta.value + int(increment), stmt.excluded.value)},
        ).returning(SyncMeta.value)
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return conn.execute(stmt).scalar_one()
    stmt = sqlite_insert(SyncMeta).values(key=KEY, value=floor)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SyncMeta.key],
        set_={"value": func.max(SyncMeta.value + int(increment), stmt.excluded.value)},
    ).returning(SyncMeta.value)
    return session.execute(stmt).scalar_one()


def _store_observed(session: Session, observed: int) -> None:
    _advance(session, observed, increment=False)


OBSERVED = TransactionState("sync_clock_observed", before_commit=_store_observed, forget_on_rollback=False)
"""The largest packed HLC the open transaction observed, not yet stored (kept over a rollback)."""
