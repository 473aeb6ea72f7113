"""The change log: every committed change to a synced entity becomes a `SyncChange` row.

A transaction state (`core.transaction`, registered by `backend.sync.init_app`) notes which
synced objects a transaction touched (after each flush) and, just before the outermost commit,
writes one row per object with the scope it is visible in; a rollback drops the notes. The rows
are worked out and written last, under a transaction-level advisory lock on PostgreSQL, so
sequence numbers are handed out in commit order: a reader never sees seq N+1 committed while N is
still in flight, and a cursor never skips a change. (SQLite has one writer at a time, which gives
the same order.)

A store that moves to another territory gets a row in its old scope too, and so do its contacts
and the field records made there, so devices there learn that they left their scope. So does
everything scoped by a territory that moves to another region.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import insert, inspect, null, select, text
from sqlalchemy.orm import Session

from ..auth.models import User
from ..core.transaction import TransactionState
from ..org.models import Territory
from ..stores.models import Store, StoreContact
from .entities import BY_MODEL, ENTITIES, RECORD, STORE, Entity
from .models import SyncChange

LOCK_KEY = 0x5F5C_0001  # pg_advisory_xact_lock key serialising change-log writers


def _note_touched(session: Session) -> None:
    pending = PENDING.get(session)
    for obj in chain(session.new, session.dirty, session.deleted):
        entity = BY_MODEL.get(type(obj))
        if entity is None:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        rec = pending.setdefault(id(obj), {"obj": obj, "entity": entity, "old_territory": None, "old_region": None})
        if entity.name == "store":
            hist = inspect(obj).attrs.territory_id.history
            if hist.deleted and hist.deleted[0] is not None and rec["old_territory"] is None:
                rec["old_territory"] = hist.deleted[0]
        elif entity.name == "territory":
            hist = inspect(obj).attrs.region_id.history
            if hist.deleted and hist.deleted[0] is not None and rec["old_region"] is None:
                rec["old_region"] = hist.deleted[0]


def _write_changes(session: Session, pending: dict) -> None:
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


PENDING = TransactionState("sync_pending", dict, after_flush=_note_touched, before_commit=_write_changes)
"""The synced objects the open transaction touched: {id(obj): {obj, entity, old_territory, old_region}}."""


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
        if entity.name == "territory" and rec["old_region"] not in (None, obj.region_id):
            rows.extend(_moved_territory_rows(session, obj, rec["old_region"]))
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


def _moved_territory_rows(session: Session, territory: Territory, old_region: int) -> list[dict]:
    """A territory moved to another region: everything scoped by it (its stores, what hangs on
    them, its intel reports, its reps' plans) gets a row in the old region (devices there drop
    it) and in the new one (devices there get it). Read as columns: a territory holds many."""
    stores_here = select(Store.id).where(Store.territory_id == territory.id)
    reps_here = select(User.id).where(User.territory_id == territory.id)
    rows: list[dict] = []
    for entity in ENTITIES:
        if entity.audience not in (STORE, RECORD):
            continue
        model = entity.model
        store_col = model.id if entity.name == "store" else getattr(model, "store_id", None)
        rep_col = getattr(model, "rep_id", None) if entity.audience == RECORD else None
        if entity.name == "store":
            where = model.territory_id == territory.id
        elif entity.name == "intel_report":
            where = model.territory_id == territory.id
        elif store_col is not None:
            where = store_col.in_(stores_here)
        elif rep_col is not None:
            where = rep_col.in_(reps_here)
        else:
            continue
        columns = (entity.pk, null() if store_col is None else store_col, null() if rep_col is None else rep_col)
        for pk, store_id, rep_id in session.execute(select(*columns).where(where)):
            for region in (old_region, territory.region_id):
                rows.append(
                    {
                        "entity": entity.name,
                        "entity_id": str(pk),
                        "audience": entity.audience,
                        "territory_id": territory.id,
                        "region_id": region,
                        "store_id": store_id,
                        "rep_id": rep_id,
                    }
                )
    return rows
