"""What a batch of writes looks up once instead of once per write.

A sync push applies hundreds of mutations in one transaction, and each calls the same service
function as one REST request: without help each would read again the same catalogue rows
(products, competitors' models, materials, checklist items, territories) and ask whether its new
record's client id exists. Within `batch(...)` (the push opens one) the services' lookups go
through here instead of the session:

- `reference(model, key)` / `references(model, keys)`: the reference tables the batch names are
  read whole, once, on first use; outside a batch (or for a table it does not name) they are the
  plain `session.get` / `IN` query. Safe because nothing a push does changes these tables;
  an administrator's edit that commits during the push is seen by the next one.
- `find_record(model, key)`: `session.get`, but `None` without a query for an id the batch was
  told is absent (`note_absent`, one query for all the client ids of a kind the push is about to
  create). `created(model, key)` takes an id off that list when its row is added, so a second
  mutation with the same id asks the session again and finds it, as before.

The memo lives in a context variable for the block, like `stores.remembering_visible_stores`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import inspect, select

from ..extensions import db

_CHUNK = 5000  # ids per IN list: far below any database's limit on bound parameters


@dataclass
class _Batch:
    tables: dict[type, dict | None]  # model -> {primary key: row} once read (None: not yet)
    absent: dict[type, set] = field(default_factory=dict)  # model -> ids known not to exist
    added: dict[tuple[type, Any], Any] = field(default_factory=dict)  # (model, id) -> row added
    defer_flush: bool = False  # create_once leaves its row to the caller's flush


_current: ContextVar[_Batch | None] = ContextVar("write_batch", default=None)


@contextmanager
def batch(reference_tables: Iterable[type] = ()) -> Iterator[None]:
    """Within the block, `reference_tables` are read once each, and `note_absent` is remembered."""
    token = _current.set(_Batch(tables=dict.fromkeys(reference_tables)))
    try:
        yield
    finally:
        _current.reset(token)


def _table(model: type) -> dict | None:
    current = _current.get()
    if current is None or model not in current.tables:
        return None
    rows = current.tables[model]
    if rows is None:
        pk = inspect(model).primary_key[0]
        # No autoflush: nothing a push writes changes a reference table, so the rows it left
        # pending need not be written before this read (it would split the run's one flush).
        with db.session.no_autoflush:
            rows = current.tables[model] = {getattr(r, pk.key): r for r in db.session.scalars(select(model))}
    return rows


def reference(model: type, key: Any) -> Any:
    """`session.get(model, key)`, from the batch's copy of the table when it has one."""
    rows = _table(model)
    if rows is None:
        return db.session.get(model, key)
    return rows.get(key)


def references(model: type, keys: Iterable[Any]) -> dict:
    """{key: row} of the rows of `model` with these primary keys (missing ones left out)."""
    keys = list(keys)
    rows = _table(model)
    if rows is not None:
        return {k: rows[k] for k in keys if k in rows}
    pk = inspect(model).primary_key[0]
    return {getattr(r, pk.key): r for r in db.session.scalars(select(model).where(pk.in_(keys)))} if keys else {}


def note_absent(model: type, keys: Iterable[Any]) -> None:
    """Ask once which of `keys` exist in `model`; within the batch the others need no query."""
    current = _current.get()
    if current is None:
        return
    wanted = set(keys)
    if not wanted:
        return
    pk = inspect(model).primary_key[0]
    found: set = set()
    ordered = list(wanted)
    for i in range(0, len(ordered), _CHUNK):
        found.update(db.session.scalars(select(pk).where(pk.in_(ordered[i : i + _CHUNK]))))
    current.absent.setdefault(model, set()).update(wanted - found)


def find_record(model: type, key: Any) -> Any:
    """`session.get(model, key)`, without a query for an id the batch knows is absent, nor for
    a row the batch added (`session.get` would flush and then ask the database for it).

    Whoever looks a row up may insert a row that refers to it, and the flush orders rows of
    different tables only by their relationships. So a row added and not yet flushed stays
    pending (the run's one flush writes both in order) when every foreign key to its table has a
    relationship beside it (a visit and the records made in it); otherwise it is flushed first,
    as `session.get` would have."""
    current = _current.get()
    if current is not None:
        if key in current.absent.get(model, ()):
            return None
        obj = current.added.get((model, key))
        if obj is not None and obj in db.session:  # not if its savepoint was rolled back
            if inspect(obj).pending and not _ordered_by_relationships(model):
                db.session.flush()
            return obj
        if not _unflushed(model, key):
            # A row of another kind left pending cannot be this one, nor change whether it
            # exists: read it without writing them first (see `locked`).
            with db.session.no_autoflush:
                return db.session.get(model, key)
    return db.session.get(model, key)


@cache
def _ordered_by_relationships(model: type) -> bool:
    """Whether every foreign key to `model`'s table, from any mapped class, has a relationship
    over its columns, so the unit of work inserts a `model` row before rows that refer to it."""
    table = inspect(model).local_table
    for mapper in inspect(model).registry.mappers:
        related = {col for rel in mapper.relationships for col in rel.local_columns}
        for fk in mapper.local_table.foreign_keys:
            if fk.column.table is table and fk.parent not in related:
                return False
    return True


def locked(model: type, key: Any) -> Any:
    """`session.get(model, key)` read again under a key-share lock (`SELECT … FOR KEY SHARE`,
    `populate_existing`), as a merge of concurrent edits needs.

    Such a read autoflushes: the session writes every pending row first, so that none of its
    changes is overwritten by the fresh copy. Within a batch that split a push run's one flush
    in two at every store or contact edit (a sixth of the web worker's time in bench.push_profile).
    The rows a batch leaves pending are other tables' rows, or other rows of this table; they
    cannot change what this row reads, nor whether it is found. So the read skips the autoflush
    unless this row itself has unflushed changes or is pending (the database must see it
    first), or a row of its kind is pending with no id yet."""
    session = db.session
    if _current.get() is None or _unflushed(model, key):
        return session.get(model, key, with_for_update={"key_share": True}, populate_existing=True)
    with session.no_autoflush:
        return session.get(model, key, with_for_update={"key_share": True}, populate_existing=True)


def _unflushed(model: type, key: Any) -> bool:
    """Whether the session holds changes to this row that its database does not have yet: the
    row itself modified or deleted, or a pending row of its kind with this id or none yet."""
    session = db.session
    obj = session.identity_map.get(inspect(model).identity_key_from_primary_key([key]))
    if obj is not None and (inspect(obj).modified or obj in session.deleted):
        return True
    mapper = inspect(model)
    for o in session.new:
        if isinstance(o, model):
            pending_key = tuple(mapper.primary_key_from_instance(o))
            if pending_key == (key,) or None in pending_key:  # this row, or an id not known yet
                return True
    return False


@contextmanager
def reading(model: type) -> Iterator[None]:
    """A block that queries `model`'s table: without the autoflush, within a push run that
    flushes once at its end (`deferred_flush`), when the session holds no unwritten change to a
    `model` row (none pending, modified or deleted), so the query cannot miss one. The rows of
    other tables the run left pending cannot change what it reads; flushing them here would
    split the run's one flush (as `locked` explains)."""
    session = db.session
    if not flush_deferred() or any(isinstance(o, model) for o in (*session.new, *session.dirty, *session.deleted)):
        yield
        return
    with session.no_autoflush:
        yield


def created(model: type, key: Any, obj: Any = None) -> None:
    """A row with this id was added (`obj`): it is no longer known to be absent."""
    current = _current.get()
    if current is not None:
        current.absent.get(model, set()).discard(key)
        if obj is not None:
            current.added[(model, key)] = obj


@contextmanager
def deferred_flush() -> Iterator[None]:
    """Within the block (inside a batch), `create_once` adds its row without flushing it: the
    caller flushes once for many writes and, on a database error, applies them again one at a
    time with a flush each (sync push's runs), so the error is still told apart per write.

    A rule for the services run inside: a database error may surface at any flush, including an
    autoflush of rows an earlier write left pending, so code that catches `IntegrityError` must
    not catch it around a query or flush that is not its own write (the warranty card's IMEI
    check queries before its `try`). The push falls back to one flush per write on such errors."""
    current = _current.get()
    if current is None:
        yield
        return
    previous, current.defer_flush = current.defer_flush, True
    try:
        yield
    finally:
        current.defer_flush = previous


def flush_deferred() -> bool:
    """True within `deferred_flush()`."""
    current = _current.get()
    return current is not None and current.defer_flush
