"""Push and pull: the server side of sync_protocol (see sync_protocol/SPEC.md)."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import DataError, IntegrityError, PendingRollbackError, SQLAlchemyError
from sqlalchemy.sql.elements import False_

from sync_protocol import (
    PROTOCOL_VERSION,
    ClockDrift,
    Cursor,
    InvalidCursor,
    check_drift,
    encode_cursor,
    parse_pull_args,
    parse_push,
    scope_fingerprint,
)
from sync_protocol.envelope import CLIENT_ID_RE

from ..auth.models import Role, User
from ..catalogue.models import ChecklistItem, CompetitorModel, Product, PromoMaterial
from ..core import batch
from ..core.auth import check_role
from ..core.errors import Conflict, DomainError, Forbidden, NotFound, error_body, first_field
from ..core.schemas import INT32_MAX, sanitize
from ..core.sql import among
from ..core.timeutil import utcnow
from ..extensions import db
from ..jobs.periodic import periodic
from ..merge import clock
from ..merge.models import SyncConflict, SyncMeta
from ..org.models import Partner, Territory
from ..stores import service as stores
from ..stores.models import StoreContact
from .entities import BY_NAME, ENTITIES, load_visible, serialise, stream_filter
from .models import SyncChange, SyncClient, SyncRejection
from .mutations import CREATES, HANDLERS

log = logging.getLogger(__name__)


class MutationGap(DomainError):
    status = 409
    code = "mutation_gap"


# --- push ------------------------------------------------------------------------------------


def _lock_client(actor: User, client_id: str, app_version: str) -> SyncClient:
    """Lock the client's row for this transaction (create it on first push).

    Writing first takes the row lock on PostgreSQL and the write lock on SQLite, so two pushes
    of one client (a retry racing the original) run one after the other and the second sees
    the first's last applied id.
    """
    now = utcnow()
    touched = db.session.execute(
        update(SyncClient).where(SyncClient.client_id == client_id).values(last_push_at=now, app_version=app_version)
    ).rowcount
    if not touched:
        try:
            with db.session.begin_nested():
                db.session.add(
                    SyncClient(client_id=client_id, user_id=actor.id, app_version=app_version, last_push_at=now)
                )
        except IntegrityError:  # created by a concurrent push: lock it as above
            db.session.execute(update(SyncClient).where(SyncClient.client_id == client_id).values(last_push_at=now))
    client = db.session.get(SyncClient, client_id, populate_existing=True)
    if client.user_id != actor.id:
        raise Forbidden(
            "This client_id belongs to another user: the app must start a new client_id after a change of user.",
            field="client_id",
            reason="sync.client_of_other_user",
        )
    return client


def push(actor: User, body: object) -> dict:
    """Apply a batch of queued mutations in order, each at most once. See SPEC.md, "Push"."""
    request = parse_push(body)
    client = _lock_client(actor, request.client_id, request.app_version)
    last = client.last_mutation_id
    if request.mutations and request.mutations[0].id > last + 1:
        raise MutationGap(
            f"Mutation {request.mutations[0].id} follows {last}: mutations {last + 1}… are missing.",
            details={"expected_id": last + 1, "got_id": request.mutations[0].id},
            reason="mutation_gap",
            params={"expected_id": last + 1, "got_id": request.mutations[0].id},
        )
    max_ahead_ms = current_app.config["SYNC_MAX_CLOCK_AHEAD_SECONDS"] * 1000
    pending = [m for m in request.mutations if m.id > last]
    with batch.batch(REFERENCE_TABLES), stores.remembering_visible_stores():
        _prefetch(actor, pending)
        # The envelope's ids are consecutive: the ones already applied come first.
        results = [{"id": m.id, "status": "duplicate"} for m in request.mutations if m.id <= last]
        results += _apply_all(actor, client.client_id, pending, max_ahead_ms, _Refusals())
        if pending:
            last = pending[-1].id
    client.last_mutation_id = last
    server_hlc = clock.current()
    db.session.commit()
    return {
        "protocol_version": PROTOCOL_VERSION,
        "last_mutation_id": last,
        "results": results,
        "server_hlc": server_hlc,
    }


# Reference rows the handlers look up in most mutations (a price its product or competitor's
# model, a stock movement its material, a display check the checklist, a store or contact edit
# the region of the store's territory): read whole, once per push, on first use (core.batch).
# Nothing a push does changes them.
REFERENCE_TABLES = (Product, CompetitorModel, PromoMaterial, ChecklistItem, Territory, Partner)


def _prefetch(actor: User, mutations: list) -> None:
    """Ask once for what the batch's mutations will look up one by one: the stores they name
    (those the actor may see are remembered, `stores.load_visible_stores`) and, per kind of
    record created under a client id, which of the ids exist (`batch.note_absent`: the others
    are created without asking again). Arguments are taken as sent: one that is not a plain id
    is left to the mutation's own validation, which refuses it as before."""
    store_ids: set[int] = set()
    new_ids: dict[type, set[uuid.UUID]] = {}
    for m in mutations:
        args = m.args if isinstance(m.args, dict) else {}
        store_id = args.get("store_id")
        if type(store_id) is int and 0 < store_id <= INT32_MAX:
            store_ids.add(store_id)
        model = CREATES.get(m.name)
        if model is not None and isinstance(args.get("id"), str):
            try:
                new_ids.setdefault(model, set()).add(uuid.UUID(args["id"]))
            except ValueError:
                pass
    stores.load_visible_stores(actor, store_ids)
    for model, ids in new_ids.items():
        batch.note_absent(model, ids)


# --- applying a batch: savepoints only around the mutations that need one ----------------------
#
# Each mutation must be applied or refused alone (SPEC.md, push step 4): a refused one leaves
# nothing behind. A savepoint per mutation gives that, at two round trips each (SAVEPOINT and
# RELEASE) - 40 % of a push's statements. Refusals are rare, so the batch runs optimistically
# instead: one savepoint around a run of mutations, each flushed as it ends so that a database
# error belongs to the mutation that caused it. When one is refused, the run is rolled back to
# its savepoint, the mutations before the refused one are applied again (they passed once), the
# refused one is applied alone in its own savepoint - exactly as before, so its outcome and the
# error it answers are those of one mutation at a time - and a new run starts after it. Past a
# few refusals in one push the rest go one savepoint each, so a batch full of refusals costs no
# more than it did.
#
# A flush per mutation still costs a unit of work each (half the web worker's CPU in a push). So
# a run is first tried with one flush at its end (`_apply_deferred`: the services' `create_once`
# leave their rows to it, core.batch.deferred_flush); if anything in it is refused - by a rule
# or by the database at that flush - the run is rolled back and applied again as above, one
# flush per mutation, which tells apart whose error it was. Outcomes are those of one mutation
# at a time either way; a refusal costs one more pass over its run.

OPTIMISTIC_REFUSALS = 8
"""Refusals in one push after which its remaining mutations each get their own savepoint."""

_REFUSED = (ValidationError, DomainError, IntegrityError, DataError)


@dataclass
class _Refusals:
    count: int = 0


def _apply_all(actor: User, client_id: str, mutations: list, max_ahead_ms: int, refusals: _Refusals) -> list[dict]:
    """The outcomes of `mutations`, in order, as if each had run in its own savepoint."""
    results: list[dict] = []
    while mutations:
        if refusals.count >= OPTIMISTIC_REFUSALS:
            return results + [_apply(actor, client_id, m, max_ahead_ms) for m in mutations]
        run = _apply_deferred(actor, client_id, mutations, max_ahead_ms)
        if run is not None:
            return results + run
        run, refused_at = _apply_run(actor, client_id, mutations, max_ahead_ms)
        if refused_at is None:
            return results + run
        refusals.count += 1
        results += _apply_all(actor, client_id, mutations[:refused_at], max_ahead_ms, refusals)
        results.append(_apply(actor, client_id, mutations[refused_at], max_ahead_ms))
        mutations = mutations[refused_at + 1 :]
    return results


def _apply_deferred(actor: User, client_id: str, mutations: list, max_ahead_ms: int) -> list[dict] | None:
    """Apply `mutations` in one savepoint with one flush at the end. Returns their outcomes, or
    None with the savepoint rolled back when any of them (or the flush) was refused."""
    savepoint = db.session.begin_nested()
    try:
        with batch.deferred_flush():
            results = [_apply(actor, client_id, m, max_ahead_ms, isolated=False, flush=False) for m in mutations]
        db.session.flush()
    except (*_REFUSED, PendingRollbackError):
        # PendingRollbackError: a handler that caught a database error around a flush (of rows
        # an earlier mutation left to the end) and went on; a flush per mutation tells whose.
        savepoint.rollback()
        return None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return results


def _apply_run(actor: User, client_id: str, mutations: list, max_ahead_ms: int) -> tuple[list[dict], int | None]:
    """Apply `mutations` in one savepoint. Returns (their outcomes, None), or, when one of them
    is refused, ([], its index) with the savepoint rolled back: nothing of the run is left."""
    savepoint = db.session.begin_nested()
    results: list[dict] = []
    try:
        for i, m in enumerate(mutations):
            try:
                results.append(_apply(actor, client_id, m, max_ahead_ms, isolated=False))
            except _REFUSED:
                savepoint.rollback()
                return [], i
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return results, None


def _apply(actor: User, client_id: str, m, max_ahead_ms: int, *, isolated: bool = True, flush: bool = True) -> dict:
    """One mutation's outcome. A refusal is `rejected` with the one error body (code, message,
    field…) and recorded; it never fails the push, so one bad entry cannot block the outbox.

    `isolated`: in a savepoint of its own. Otherwise (within `_apply_run`'s savepoint) the
    mutation is flushed as it ends and a refusal by its handler is raised for the caller to
    apply it again, isolated. `flush=False` (not isolated): the caller flushes the run at its end."""
    handler = HANDLERS.get(m.name)
    error: dict | None = None
    if handler is None:
        error = error_body(
            "unknown_mutation",
            f"Unknown mutation '{m.name}': update the app.",
            field="name",
            reason="unknown_mutation",
            params={"name": m.name},
        )
    else:
        try:
            check_drift(m.hlc, int(time.time() * 1000), max_ahead_ms)
        except ClockDrift as exc:
            error = exc.to_dict() | {
                "message": "The phone's clock is ahead of the server's: set the time correctly.",
                "reason": "clock_drift",
                "params": {
                    "ahead_seconds": -(-exc.ahead_ms // 1000),
                    "max_ahead_seconds": exc.max_ahead_ms // 1000,
                },
            }
    if error is None:
        clock.observe(m.hlc)
        if not isolated:
            conflicts = handler(actor, m.args, m)
            if flush:
                db.session.flush()  # a database error now is this mutation's, not the next one's
            return _outcome(m, conflicts)
        try:
            with db.session.begin_nested():
                conflicts = handler(actor, m.args, m)
        except ValidationError as exc:
            messages = exc.normalized_messages()
            field = first_field(messages)
            error = error_body(
                "invalid",
                _first_message(messages),
                field=field,
                errors=messages,
                reason="invalid_value",
                params={"field": field or ""},
            )
        except DomainError as exc:
            error = exc.to_dict(rest=False)
        except IntegrityError:
            error = error_body(
                "conflict", "The change conflicts with data saved at the same moment.", reason="write_conflict"
            )
        except DataError as exc:
            # The safety net of the app's DataError handler: a value beyond a column that a
            # schema failed to bound. Logged as an error, to be fixed at the schema.
            log.error("database refused a value of %s (a missing input bound): %s", m.name, exc.orig)
            error = error_body("invalid", "A value is out of the range the database can store.", reason="out_of_range")
        else:
            return _outcome(m, conflicts)
    # What the client sent is kept as sent, but for characters the database cannot store.
    error = sanitize(error)
    db.session.add(
        SyncRejection(
            client_id=client_id, mutation_id=m.id, user_id=actor.id, name=m.name, args=sanitize(m.args), error=error
        )
    )
    return {"id": m.id, "status": "rejected", "error": error}


def _outcome(m, conflicts: list) -> dict:
    if conflicts:
        return {"id": m.id, "status": "merged", "conflicts": [_conflict_dict(c) for c in conflicts]}
    return {"id": m.id, "status": "applied"}


def _first_message(messages) -> str:
    while isinstance(messages, dict):
        key, messages = next(iter(messages.items()))
        if isinstance(messages, list) and messages and isinstance(messages[0], str):
            return f"{key}: {messages[0]}"
    if isinstance(messages, list) and messages:
        return str(messages[0])
    return "Invalid arguments."


def _conflict_dict(c: SyncConflict) -> dict:
    return {
        "field": c.field,
        "kept": {"value": c.kept_value, "hlc": c.kept_hlc, "by": c.kept_by},
        "lost": {"value": c.lost_value, "hlc": c.lost_hlc, "by": c.lost_by},
    }


# --- pull ------------------------------------------------------------------------------------


# The shape of the synced rows, part of every cursor's scope: bumped when rows already on the
# phones need fields they were sent without, so each client starts once with a fresh snapshot
# (SPEC.md, "Scope fingerprint"). 2: stores' name_pinyin, the catalogue's name_en (issue 15).
ROWS_SHAPE = 2


def _scope(actor: User) -> str:
    return scope_fingerprint(ROWS_SHAPE, actor.role, actor.id, actor.territory_id, actor.region_id, actor.store_id)


def _consistent_snapshot() -> None:
    """Start the read transaction all of one pull's reads come from."""
    db.session.commit()  # end the transaction the authentication query began
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")  # the driver starts none for reads; WAL gives a snapshot


def pull(actor: User, client_id: str | None, cursor_text: str | None, limit: object) -> dict:
    """Changes since a cursor within the caller's scope; no cursor: a snapshot. See SPEC.md, "Pull"."""
    cursor, limit = parse_pull_args(cursor_text, limit)
    actor_id = actor.id
    _consistent_snapshot()
    actor = db.session.get(User, actor_id)
    scope = _scope(actor)
    last_mutation_id = 0
    client = None
    if client_id:
        client = db.session.get(SyncClient, client_id)
        if client is not None and client.user_id == actor.id:
            last_mutation_id = client.last_mutation_id
    # Read before the snapshot ends (the rollback below expires the row).
    pulled_at = (client.user_id, client.last_pull_at) if client is not None else None
    reset = False
    if cursor is not None:
        pruned = db.session.scalar(select(SyncMeta.value).where(SyncMeta.key == "pruned_through")) or 0
        if cursor.scope != scope or cursor.seq < pruned:
            reset, cursor = True, None
    if cursor is None:
        high = db.session.scalar(select(func.max(SyncChange.seq))) or 0
        cursor = Cursor(seq=high, scope=scope, snapshot={"entity": ENTITIES[0].name, "after": None})
    if cursor.snapshot is not None:
        items, next_cursor, has_more = _snapshot_page(actor, cursor, limit)
    else:
        items, next_cursor, has_more = _changes_page(actor, cursor, limit)
    server_hlc = clock.current()
    db.session.rollback()
    if client_id:
        _note_pull(actor_id, client_id, pulled_at)
    return {
        "protocol_version": PROTOCOL_VERSION,
        "reset": reset,
        "snapshot": cursor.snapshot is not None,
        "changes": items,
        "cursor": encode_cursor(next_cursor),
        "has_more": has_more,
        "last_mutation_id": last_mutation_id,
        "server_hlc": server_hlc,
    }


PULL_NOTE_EVERY = timedelta(minutes=1)
"""A client's `last_pull_at` is written at most this often: the pages of one sync, and phones
pulling every few seconds, cost no write."""

PULL_NOTE_LOCK_TIMEOUT = "200ms"
"""PostgreSQL: how long the note may wait for a lock. SKIP LOCKED covers a row a push holds, but
inserting the row of a client whose first push is inserting it too waits on that push's
uncommitted insert (the unique index) for as long as the push runs: the note gives up instead."""


def _note_pull(user_id: int, client_id: str, seen: tuple[int, datetime | None] | None) -> None:
    """Record when this client last pulled (the manager's team view shows the last sync).

    After the pull's read transaction, in one of its own, so the snapshot stays read-only and
    the answer is what it was. Cheap: nothing is written when the row read by the pull says
    the last note is under a minute old; otherwise one UPDATE, which skips a row a push of the
    same client holds locked (that push notes the time itself) rather than wait for it. A client
    that never pushed gets its row here. A failure to note is logged, never the pull's."""
    now = utcnow()
    if seen is not None:
        owner, last = seen
        if owner != user_id or (last is not None and now - last < PULL_NOTE_EVERY):
            return
    elif not CLIENT_ID_RE.fullmatch(client_id):
        return  # not a client id a push would accept: no row for it
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text(f"SET LOCAL lock_timeout = '{PULL_NOTE_LOCK_TIMEOUT}'"))
        if seen is None:
            db.session.add(SyncClient(client_id=client_id, user_id=user_id, last_pull_at=now))
        else:
            stale = (
                select(SyncClient.client_id)
                .where(
                    SyncClient.client_id == client_id,
                    SyncClient.user_id == user_id,
                    or_(SyncClient.last_pull_at.is_(None), SyncClient.last_pull_at <= now - PULL_NOTE_EVERY),
                )
                .with_for_update(skip_locked=True)
            )
            db.session.execute(update(SyncClient).where(SyncClient.client_id.in_(stale)).values(last_pull_at=now))
        db.session.commit()
    except IntegrityError:  # created meanwhile by a push or another pull: it notes its own time
        db.session.rollback()
    except SQLAlchemyError as exc:  # a lock timeout, SQLite busy past its timeout: the pull's answer stands
        db.session.rollback()
        log.warning("could not note the pull of client %s: %s", client_id, exc)


def last_sync_by_user(user_ids: list[int]) -> dict[int, datetime]:
    """Per user, the latest push or pull of any of their clients (one query)."""
    out: dict[int, datetime] = {}
    for user_id, push, pull in db.session.execute(
        select(SyncClient.user_id, func.max(SyncClient.last_push_at), func.max(SyncClient.last_pull_at))
        .where(SyncClient.user_id.in_(user_ids))
        .group_by(SyncClient.user_id)
    ):
        times = [t for t in (push, pull) if t is not None]
        if times:
            out[user_id] = max(times)
    return out


def _snapshot_page(actor: User, cursor: Cursor, limit: int) -> tuple[list, Cursor, bool]:
    names = [e.name for e in ENTITIES]
    snap = cursor.snapshot or {}
    if snap.get("entity") not in names:
        raise InvalidCursor("Unknown snapshot position in the cursor.", field="cursor")
    index, after = names.index(snap["entity"]), snap.get("after")
    items: list[dict] = []
    while index < len(ENTITIES):
        entity = ENTITIES[index]
        room = limit - len(items)
        visible = entity.visible(actor)
        if isinstance(visible, False_):  # none for this role (a rep's warranty cards): no query
            index, after = index + 1, None
            continue
        stmt = select(entity.model).where(visible).order_by(entity.pk)
        if entity.snapshot_filter is not None:
            stmt = stmt.where(entity.snapshot_filter())
        if after is not None:
            stmt = stmt.where(entity.pk > entity.parse_pk(after))
        rows = entity.select_records(stmt.limit(room + 1))
        page = rows[:room]
        items.extend(serialise(actor, entity, page))
        if len(rows) > room:
            after = str(getattr(page[-1], entity.pk.key))
            return items, Cursor(cursor.seq, cursor.scope, {"entity": entity.name, "after": after}), True
        index, after = index + 1, None
        if len(items) >= limit and index < len(ENTITIES):
            return items, Cursor(cursor.seq, cursor.scope, {"entity": ENTITIES[index].name, "after": None}), True
    done = Cursor(cursor.seq, cursor.scope, None)
    more = db.session.scalar(
        select(SyncChange.seq).where(SyncChange.seq > cursor.seq, stream_filter(actor, SyncChange)).limit(1)
    )
    return items, done, more is not None


def _changes_page(actor: User, cursor: Cursor, limit: int) -> tuple[list, Cursor, bool]:
    rows = db.session.execute(
        select(SyncChange.seq, SyncChange.entity, SyncChange.entity_id)
        .where(SyncChange.seq > cursor.seq, stream_filter(actor, SyncChange))
        .order_by(SyncChange.seq)
        .limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    last_seq = rows[-1].seq if rows else cursor.seq
    # Each entity once, at the position of its last change, carrying its current state.
    latest: dict[tuple[str, str], int] = {}
    for seq, entity, entity_id in rows:
        latest[(entity, entity_id)] = seq
    ordered = sorted(latest.items(), key=lambda kv: kv[1])
    by_entity: dict[str, list[str]] = {}
    for (entity, entity_id), _seq in ordered:
        by_entity.setdefault(entity, []).append(entity_id)
    out: dict[tuple[str, str], dict] = {}
    for name, ids in by_entity.items():
        entity = BY_NAME[name]
        keys = [entity.parse_pk(i) for i in ids]
        visible = load_visible(actor, entity, keys)
        for item in serialise(actor, entity, list(visible.values())):
            out[(name, item["id"])] = item
        gone = [k for k in keys if k not in visible]
        existing = set()
        if gone:
            existing = {str(k) for k in db.session.scalars(select(entity.pk).where(among(entity.pk, gone)))}
        for k in gone:
            op = "remove" if str(k) in existing else "delete"
            out[(name, str(k))] = {"entity": name, "id": str(k), "op": op}
    items = [out[key] for key, _seq in ordered if key in out]
    return items, Cursor(last_seq, cursor.scope, None), has_more


# --- retention -------------------------------------------------------------------------------


@periodic("prune-changes")
def _prune_changes_task() -> str:
    return f"deleted {prune_changes()} change-log rows"


def prune_changes(older_than_days: int | None = None) -> int:
    """Delete change-log rows older than the retention; cursors from before then get a reset."""
    days = older_than_days if older_than_days is not None else current_app.config["SYNC_CHANGE_RETENTION_DAYS"]
    cutoff = utcnow() - timedelta(days=days)
    # The newest row always stays: SQLite numbers a new row max(seq) + 1, so emptying the log
    # would hand out old sequence numbers again (cursors at the end would skip those changes),
    # and a fresh snapshot takes max(seq) as its cursor, which must not fall below the prune.
    newest = db.session.scalar(select(func.max(SyncChange.seq)))
    if newest is None:  # an empty log: nothing to prune
        return 0
    through = db.session.scalar(
        select(func.max(SyncChange.seq)).where(SyncChange.changed_at < cutoff, SyncChange.seq < newest)
    )
    if through is None:
        return 0
    deleted = db.session.execute(delete(SyncChange).where(SyncChange.seq <= through)).rowcount
    meta = db.session.get(SyncMeta, "pruned_through")
    if meta is None:
        db.session.add(SyncMeta(key="pruned_through", value=through))
    else:
        meta.value = max(meta.value, through)
    db.session.commit()
    return deleted


# --- conflicts -------------------------------------------------------------------------------


def conflicts_query(actor: User, filters: dict):
    check_role(actor, Role.MANAGER, Role.HQ, Role.ADMIN)
    stmt = select(SyncConflict).order_by(SyncConflict.created_at.desc(), SyncConflict.id.desc())
    if actor.role == Role.MANAGER:
        stmt = stmt.where(SyncConflict.region_id == actor.region_id)
    if filters.get("resolved") is not None:
        stmt = stmt.where(
            SyncConflict.resolved_at.is_not(None) if filters["resolved"] else SyncConflict.resolved_at.is_(None)
        )
    for name in ("entity", "entity_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(SyncConflict, name) == filters[name])
    return stmt


def resolve_conflict(actor: User, conflict_id: int, use: str) -> SyncConflict:
    """Close a conflict: keep the merged value, or apply the value that lost as a new edit."""
    check_role(actor, Role.MANAGER, Role.ADMIN)
    conflict = db.session.scalar(conflicts_query(actor, {}).where(SyncConflict.id == conflict_id))
    if conflict is None:
        raise NotFound(f"No conflict {conflict_id}.", reason="conflict.not_found")
    if conflict.resolved_at is not None:
        raise Conflict(f"Conflict {conflict_id} was already resolved.", reason="conflict.resolved")
    if use == "lost":
        # The value that lost becomes a new edit, with a fresh server HLC, under the same rules.
        if conflict.entity == "store":
            stores.update_store(actor, int(conflict.entity_id), {conflict.field: conflict.lost_value})
        elif conflict.entity == "contact":
            contact = db.session.get(StoreContact, uuid.UUID(conflict.entity_id))
            stores.upsert_contact(actor, contact.store_id, contact.id, {conflict.field: conflict.lost_value})
    conflict.resolved_at = utcnow()
    conflict.resolved_by = actor.id
    conflict.resolution = use
    return conflict
