"""The change log: every committed change to a synced entity becomes a `SyncChange` row.

SQLAlchemy session hooks note which synced objects a transaction touched (`after_flush`) and,
just before the outermost commit, write one row per object with the scope it is visible in
(`before_commit`). The rows are worked out and written last, under a transaction-level advisory lock on
PostgreSQL, so sequence numbers are handed out in commit order: a reader never sees seq N+1
committed while N is still in flight, and a cursor never skips a change. (SQLite has one
writer at a time, which gives the same order.)

A store that moves to another territory gets a row in its old scope too, and so do its contacts
and the field records made there, so devices there learn that they left their scope.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session

from ..org.models import Territory
from ..stores.models import Store, StoreContact
from .entities import BY_MODEL, ENTITIES, RECORD, STORE, Entity
from .models import SyncChange

PENDING = "sync_pending"
LOCK_KEY = 0x5F5C_0001  # pg_advisory_xact_lock key serialising change-log writers


def _after_flush(session: Session, _ctx) -> None:
    pending = session.info.setdefault(PENDING, {})
    for obj in chain(session.new, session.dirty, session.deleted):
        entity = BY_MODEL.get(type(obj))
        if entity is None:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        rec = pending.setdefault(id(obj), {"obj": obj, "entity": entity, "old_territory": None})
        if entity.name == "store":
            hist = inspect(obj).attrs.territory_id.history
            if hist.deleted and hist.deleted[0] is not None and rec["old_territory"] is None:
                rec["old_territory"] = hist.deleted[0]


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Take the lock before reading the scope of the rows (which territory each store is in):
        # a store moved by a transaction that committed before us is then read in its new
        # territory, and one that commits after us lists our rows among what hangs on the store.
        # Read outside the lock, a contact added while its store moved was logged in the old
        # territory only, and the new territory's devices never got it.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    rows = _rows(session, list(pending.values()))
    if not rows:
        return
    # render_nulls: every row has the same columns (None as NULL rather than left out), so all
    # of them go in one executemany instead of one per run of rows with the same None columns.
    session.execute(insert(SyncChange).execution_options(render_nulls=True), rows)


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)


def _rows(session: Session, pending: list[dict]) -> list[dict]:
    live = []
    for rec in pending:
        state = inspect(rec["obj"])
        if state.transient or (state.detached and not state.was_deleted):
            continue  # added in a savepoint that was rolled back
        live.append(rec)
    if not live:
        return []
    region_of = dict(session.execute(select(Territory.id, Territory.region_id)).all())
    store_ids = {getattr(r["obj"], "store_id", None) for r in live} - {None}
    territory_of_store = (
        dict(session.execute(select(Store.id, Store.territory_id).where(Store.id.in_(store_ids))).all())
        if store_ids
        else {}
    )
    rows: list[dict] = []
    for rec in live:
        obj, entity = rec["obj"], rec["entity"]
        territory = _territory(entity, obj, territory_of_store)
        rows.append(_row(entity, obj, territory, region_of))
        old = rec["old_territory"]
        if entity.name == "store" and old is not None and old != obj.territory_id:
            rows.extend(_moved_store_rows(session, obj, old, region_of))
    return rows


def _territory(entity: Entity, obj, territory_of_store: dict) -> int | None:
    if entity.territory is not None:
        return entity.territory(obj)
    if entity.name == "store":
        return obj.territory_id
    if entity.name == "intel_report":
        return obj.territory_id
    store_id = getattr(obj, "store_id", None)
    return territory_of_store.get(store_id) if store_id is not None else None


def _row(entity: Entity, obj, territory: int | None, region_of: dict) -> dict:
    store_id = obj.id if entity.name == "store" else getattr(obj, "store_id", None)
    return {
        "entity": entity.name,
        "entity_id": str(getattr(obj, entity.pk.key)),
        "audience": entity.audience,
        "territory_id": territory,
        "region_id": region_of.get(territory),
        "store_id": store_id,
        "rep_id": getattr(obj, "rep_id", None) if entity.audience == RECORD else None,
    }


def _moved_store_rows(session: Session, store: Store, old_territory: int, region_of: dict) -> list[dict]:
    """Rows in the store's old scope (so devices there drop it and what hangs on it) and, for
    its contacts and field records, in the new one (so devices there get them)."""
    rows = [_row(BY_MODEL[Store], store, old_territory, region_of)]
    for entity in ENTITIES:
        if entity.audience not in (STORE, RECORD) or entity.name == "store":
            continue
        column = getattr(entity.model, "store_id", None)
        if column is None:
            continue
        for obj in session.scalars(select(entity.model).where(column == store.id)):
            if entity.model is StoreContact and obj.deleted_at is not None:
                continue
            rows.append(_row(entity, obj, old_territory, region_of))
            rows.append(_row(entity, obj, store.territory_id, region_of))
    return rows


def install() -> None:
    """Register the hooks (once per process; they apply to every SQLAlchemy session)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
