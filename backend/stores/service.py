"""Stores: who may see and change which, nearby search, contacts with history, the history of
every store field, and reps' big moves of a store held as position proposals for a manager."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, select, true, update

from ..auth.models import Role, User
from ..core import batch
from ..core.auth import check_role
from ..core.batch import reference
from ..core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..core.geo import HAVERSINE_MAX_RATIO, bounding_box, distance_m, haversine_m
from ..core.timeutil import utcnow
from ..extensions import db
from ..merge.conflicts import edit_hlc, merge_fields
from ..org.models import Partner, Territory
from .models import (
    ProposalStatus,
    Store,
    StoreChannel,
    StoreContact,
    StoreContactHistory,
    StoreHistory,
    StorePositionProposal,
)
from .signals import store_moved

# --- scope -------------------------------------------------------------------------------


def region_territories(region_id: int | None):
    return select(Territory.id).where(Territory.region_id == region_id)


def store_scope(actor: User) -> ColumnElement[bool]:
    """The stores `actor` may see: a rep their territory's, a manager their region's, a clerk
    their own store, HQ and admins all."""
    if actor.sees_everything:
        return true()
    if actor.role == Role.REP:
        return Store.territory_id == actor.territory_id
    if actor.role == Role.MANAGER:
        return Store.territory_id.in_(region_territories(actor.region_id))
    if actor.role == Role.CLERK:
        return Store.id == actor.store_id
    return Store.id.is_(None)


_visible_memo: ContextVar[dict | None] = ContextVar("visible_store_memo", default=None)


@contextmanager
def remembering_visible_stores() -> Iterator[None]:
    """Within the block, `visible_store` asks the database once per (user, store).

    For a sync push, whose hundreds of mutations name the same few stores. Safe there because a
    push cannot take a store out of its own user's scope: a rep may not move stores, a manager only
    within their region, and admins see everything.
    """
    token = _visible_memo.set({})
    try:
        yield
    finally:
        _visible_memo.reset(token)


def load_visible_stores(actor: User, store_ids: set[int]) -> None:
    """Within `remembering_visible_stores`, ask once for all the stores a batch names: those the
    actor may see are remembered (the others are asked for again, and refused, one by one)."""
    memo = _visible_memo.get()
    if memo is None:
        return
    wanted = sorted(i for i in store_ids if (actor.id, i) not in memo)
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        for store in db.session.scalars(select(Store).where(Store.id.in_(chunk), store_scope(actor))):
            memo[(actor.id, store.id)] = store


def visible_store(actor: User, store_id: int) -> Store:
    """The store if `actor` may see it; otherwise the same 404 as a store that does not exist."""
    memo = _visible_memo.get()
    key = (actor.id, store_id)
    if memo is not None and key in memo:
        return memo[key]
    store = db.session.scalar(select(Store).where(Store.id == store_id, store_scope(actor)))
    if store is None:
        raise NotFound(
            f"No store {store_id}.", field="store_id", reason="store.not_found", params={"store_id": store_id}
        )
    if memo is not None:
        memo[key] = store
    return store


# --- queries -------------------------------------------------------------------------------

_FILTERS = ("territory_id", "partner_id", "kind", "tier", "status")


def stores_query(actor: User, filters: dict):
    stmt = select(Store).where(store_scope(actor))
    for name in _FILTERS:
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Store, name) == filters[name])
    if filters.get("region_id") is not None:
        stmt = stmt.where(Store.territory_id.in_(region_territories(filters["region_id"])))
    if filters.get("q"):
        like = f"%{filters['q']}%"
        stmt = stmt.where(Store.name.ilike(like) | Store.code.ilike(like) | Store.address.ilike(like))
    return stmt.order_by(Store.name, Store.id)


def near_clause(lat: float, lon: float, radius_m: float) -> ColumnElement[bool]:
    """Stores inside the bounding box of a circle: an indexed prefilter for distance searches."""
    south, north, west, east = bounding_box(lat, lon, radius_m)
    clause = Store.latitude.between(south, north)
    if west <= east:
        return clause & Store.longitude.between(west, east)
    return clause & ((Store.longitude >= west) | (Store.longitude <= east))  # across the antimeridian


def nearby_stores(actor: User, lat: float, lon: float, radius_m: float, filters: dict) -> list[tuple[int, float]]:
    """(store id, metres) of the stores within `radius_m` of (lat, lon), nearest first.

    A bounding box on the indexed latitude/longitude columns narrows the candidates in SQL;
    only those get an exact geodesic distance.
    """
    max_radius = current_app.config["NEARBY_MAX_RADIUS_M"]
    if radius_m > max_radius:
        raise InvalidInput(
            f"radius_m may be at most {max_radius:.0f}.",
            field="radius_m",
            location="query",
            reason="store.radius_too_large",
            params={"max_radius_m": round(max_radius)},
        )
    base = stores_query(actor, filters).order_by(None)
    ids = base.with_only_columns(Store.id, Store.latitude, Store.longitude).where(near_clause(lat, lon, radius_m))
    here = (lat, lon)
    surely_outside = radius_m * HAVERSINE_MAX_RATIO + 1.0
    found = []
    for store_id, s_lat, s_lon in db.session.execute(ids):
        if haversine_m(here, (s_lat, s_lon)) > surely_outside:  # a box corner: skip the costly geodesic
            continue
        d = distance_m(here, (s_lat, s_lon))
        if d <= radius_m:
            found.append((d, store_id))
    found.sort()
    return [(store_id, d) for d, store_id in found]


def load_with_distance(pairs: list[tuple[int, float]]) -> list[Store]:
    """Load the stores for (id, distance) pairs in order, with `distance_m` set on each."""
    by_id = {s.id: s for s in db.session.scalars(select(Store).where(Store.id.in_([i for i, _ in pairs])))}
    out = []
    for store_id, d in pairs:
        store = by_id[store_id]
        store.distance_m = round(d, 1)
        out.append(store)
    return out


# --- writes ---------------------------------------------------------------------------------

# What a rep may correct on a store in their territory; the rest is the manager's or admin's.
REP_EDITABLE = {"name", "address", "latitude", "longitude", "kind"}


def _check_references(actor: User, data: dict) -> None:
    if data.get("partner_id") is not None and reference(Partner, data["partner_id"]) is None:
        raise InvalidInput(
            f"Unknown partner_id: {data['partner_id']}.",
            field="partner_id",
            reason="store.unknown_partner",
            params={"partner_id": data["partner_id"]},
        )
    if "territory_id" in data:
        territory = reference(Territory, data["territory_id"]) if data["territory_id"] is not None else None
        if territory is None or (actor.role == Role.MANAGER and territory.region_id != actor.region_id):
            raise InvalidInput(
                f"Unknown territory_id: {data['territory_id']}.",
                field="territory_id",
                reason="store.unknown_territory",
                params={"territory_id": data["territory_id"]},
            )


def create_store(actor: User, data: dict) -> Store:
    check_role(actor, Role.ADMIN, Role.MANAGER)
    _check_references(actor, data)
    if db.session.scalar(select(Store.id).where(Store.code == data["code"])):
        raise Conflict(
            f"A store with code {data['code']} already exists.",
            field="code",
            reason="store.code_taken",
            params={"store_code": data["code"]},
        )
    store = Store(**data)  # its position is the approved one (the anchor's default)
    db.session.add(store)
    db.session.flush()
    _record_history(store, {f: None for f in data}, actor, StoreChannel.REST)
    return store


def region_of_territory(territory_id: int | None) -> int | None:
    territory = reference(Territory, territory_id) if territory_id is not None else None
    return territory.region_id if territory is not None else None


def update_store(
    actor: User,
    store_id: int,
    data: dict,
    *,
    hlc: str | None = None,
    base: dict[str, str] | None = None,
    channel: str | None = None,
) -> tuple[Store, list, StorePositionProposal | None]:
    """Change a store's details, merged field by field by HLC (see backend.merge.conflicts).

    A REST edit gets a fresh server HLC and wins; an edit queued offline carries the device's HLC
    and the field HLCs it last saw (`base`), so a concurrent edit of the same field is recorded
    as a conflict. Every changed field is kept in the store's history, with the channel
    (`rest`, or `sync` when the edit carries an HLC).

    A rep's change of the position farther than STORE_MOVE_APPROVAL_M from the store's approved
    position does not move the store: it becomes a pending proposal for a manager (the other
    fields of the edit apply). `position_note` in `data` is the rep's note for that proposal.
    Returns (store, conflicts, the proposal or None).
    """
    check_role(actor, Role.ADMIN, Role.MANAGER, Role.REP)
    visible_store(actor, store_id)
    # Lock the row (PostgreSQL) and read its committed state: a concurrent edit of the same store
    # (another process's push) merges after this one commits, on what it wrote, never over it.
    # FOR NO KEY UPDATE, the lock an UPDATE takes anyway: records inserted at the store (their
    # foreign key takes KEY SHARE) do not wait for it.
    store = _lock_store(store_id)
    data = dict(data)
    note = data.pop("position_note", None) or ""
    if actor.role == Role.REP:
        refused = sorted(set(data) - REP_EDITABLE)
        if refused:
            raise Forbidden(
                f"A rep may not change {', '.join(refused)}.",
                field=refused[0],
                reason="store.rep_may_not_change",
                params={"fields": refused},
            )
    _check_references(actor, data)
    if "code" in data and data["code"] != store.code:
        if db.session.scalar(select(Store.id).where(Store.code == data["code"])):
            raise Conflict(
                f"A store with code {data['code']} already exists.",
                field="code",
                reason="store.code_taken",
                params={"store_code": data["code"]},
            )
    edit = edit_hlc(hlc, store.field_clock)  # checks a device's HLC before anything is written
    channel = channel or (StoreChannel.SYNC if hlc is not None else StoreChannel.REST)
    proposal = None
    if actor.role == Role.REP and POSITION & data.keys():
        proposal = _hold_big_move(actor, store, data, note, channel)
    conflicts = _apply_changes(actor, store, data, hlc=edit, base=base, channel=channel) if data else []
    return store, conflicts, proposal


POSITION = {"latitude", "longitude"}


def _lock_store(store_id: int) -> Store:
    return batch.locked(Store, store_id)


def _apply_changes(
    actor: User,
    store: Store,
    data: dict,
    *,
    hlc: str,
    base: dict[str, str] | None,
    channel: str,
    proposal_id: int | None = None,
) -> list:
    """Merge `data` into the (locked) store, write the history of what changed, and move the
    anchor when someone other than a rep set the position. Returns the merge's conflicts."""
    before = {f: getattr(store, f) for f in data}
    old_territory_id = store.territory_id
    conflicts = merge_fields(
        store,
        data,
        hlc=hlc,
        by=actor.id,
        base=base,
        entity="store",
        entity_id=str(store.id),
        region_id=region_of_territory(store.territory_id),
    )
    if actor.role != Role.REP and POSITION & data.keys():
        store.anchor_latitude, store.anchor_longitude = store.latitude, store.longitude
    if not batch.flush_deferred() or store.territory_id != old_territory_id:
        # A push run flushes once at its end (core.batch); a move to another territory is
        # written first, for the handlers of `store_moved`.
        db.session.flush()
    _record_history(store, before, actor, channel, proposal_id)
    if store.territory_id != old_territory_id:
        store_moved.send(store, old_territory_id=old_territory_id)
    return conflicts


def _record_history(
    store: Store, before: dict[str, Any], actor: User, channel: str, proposal_id: int | None = None
) -> None:
    """A history row for each field in `before` whose value is not the store's now."""
    now = utcnow()
    for field, old in before.items():
        new = getattr(store, field)
        if new != old:
            db.session.add(
                StoreHistory(
                    store_id=store.id,
                    field=field,
                    old_value=old,
                    new_value=new,
                    channel=str(channel),
                    changed_by=actor.id,
                    changed_at=now,
                    proposal_id=proposal_id,
                )
            )


def _hold_big_move(actor: User, store: Store, data: dict, note: str, channel: str) -> StorePositionProposal | None:
    """For a rep's edit naming the position: when the new position is farther than the threshold
    from the store's approved position (its anchor), take latitude and longitude out of `data`
    and record them as a pending proposal (the rep's earlier pending ones for the store are
    superseded). A smaller move is left in `data` and applies."""
    current = (store.latitude, store.longitude)
    proposed = (data.get("latitude", store.latitude), data.get("longitude", store.longitude))
    if store.anchor_latitude is None or store.anchor_longitude is None:  # never set: where it is now
        store.anchor_latitude, store.anchor_longitude = current
    anchor = (store.anchor_latitude, store.anchor_longitude)
    if proposed == current or distance_m(anchor, proposed) <= current_app.config["STORE_MOVE_APPROVAL_M"]:
        return None
    for f in POSITION:
        data.pop(f, None)
    now = utcnow()
    db.session.execute(
        update(StorePositionProposal)
        .where(
            StorePositionProposal.store_id == store.id,
            StorePositionProposal.proposed_by == actor.id,
            StorePositionProposal.status == ProposalStatus.PENDING,
        )
        .values(status=ProposalStatus.SUPERSEDED, decided_at=now)
        .execution_options(synchronize_session="fetch")
    )
    proposal = StorePositionProposal(
        store_id=store.id,
        status=ProposalStatus.PENDING,
        latitude=proposed[0],
        longitude=proposed[1],
        from_latitude=current[0],
        from_longitude=current[1],
        distance_m=round(distance_m(current, proposed), 1),
        note=note,
        channel=str(channel),
        proposed_by=actor.id,
        proposed_at=now,
    )
    db.session.add(proposal)
    db.session.flush()
    return proposal


# --- store history and position proposals ------------------------------------------------------


def store_history_query(actor: User, store_id: int) -> Select:
    """Every recorded change of the store's fields, newest first (whoever may see the store)."""
    visible_store(actor, store_id)
    return (
        select(StoreHistory)
        .where(StoreHistory.store_id == store_id)
        .order_by(StoreHistory.changed_at.desc(), StoreHistory.id.desc())
    )


PROPOSAL_READERS = (Role.REP, Role.MANAGER, Role.HQ, Role.ADMIN)
PROPOSAL_DECIDERS = (Role.MANAGER, Role.HQ, Role.ADMIN)


def proposals_query(actor: User, filters: dict) -> Select:
    """Position proposals at the stores `actor` sees (a manager: their region's; a rep: their own
    ones), newest first."""
    check_role(actor, *PROPOSAL_READERS)
    stmt = (
        select(StorePositionProposal)
        .join(Store, Store.id == StorePositionProposal.store_id)
        .where(store_scope(actor))
        .order_by(StorePositionProposal.proposed_at.desc(), StorePositionProposal.id.desc())
    )
    if actor.role == Role.REP:
        stmt = stmt.where(StorePositionProposal.proposed_by == actor.id)
    for name in ("status", "store_id", "proposed_by"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(StorePositionProposal, name) == filters[name])
    return stmt


def decide_proposal(actor: User, proposal_id: int, approve: bool, note: str = "") -> StorePositionProposal:
    """Approve (the store moves to the proposed position, written to its history with the
    proposal's id; other pending proposals for the store are superseded) or reject (the store
    stays) a pending proposal. A manager decides for their region's stores, HQ and admins for all;
    a proposal out of scope is a 404, one already decided a 409."""
    check_role(actor, *PROPOSAL_DECIDERS)
    found = db.session.scalar(proposals_query(actor, {}).where(StorePositionProposal.id == proposal_id))
    if found is None:
        raise NotFound(
            f"No position proposal {proposal_id}.",
            reason="store.proposal_not_found",
            params={"proposal_id": proposal_id},
        )
    store = _lock_store(found.store_id)  # then read the proposal again: decided once, not twice
    proposal = db.session.get(StorePositionProposal, proposal_id, populate_existing=True)
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict(
            f"Position proposal {proposal_id} is already {proposal.status}.",
            field="id",
            reason="store.proposal_decided",
            params={"proposal_id": proposal_id, "status": str(proposal.status)},
        )
    now = utcnow()
    if approve:
        position = {"latitude": proposal.latitude, "longitude": proposal.longitude}
        _apply_changes(
            actor,
            store,
            position,
            hlc=edit_hlc(None, store.field_clock),
            base=None,
            channel=StoreChannel.REST,
            proposal_id=proposal.id,
        )
        db.session.execute(
            update(StorePositionProposal)
            .where(
                StorePositionProposal.store_id == store.id,
                StorePositionProposal.status == ProposalStatus.PENDING,
                StorePositionProposal.id != proposal.id,
            )
            .values(status=ProposalStatus.SUPERSEDED, decided_by=actor.id, decided_at=now)
            .execution_options(synchronize_session="fetch")
        )
    proposal.status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
    proposal.decided_by = actor.id
    proposal.decided_at = now
    proposal.decision_note = note or ""
    db.session.flush()
    return proposal


# --- contacts -------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "role", "phone")


def contacts_of(actor: User, store_id: int, include_deleted: bool = False) -> list[StoreContact]:
    visible_store(actor, store_id)
    stmt = select(StoreContact).where(StoreContact.store_id == store_id).order_by(StoreContact.name)
    if not include_deleted:
        stmt = stmt.where(StoreContact.deleted_at.is_(None))
    return list(db.session.scalars(stmt))


def _history(contact: StoreContact, action: str, actor: User) -> None:
    db.session.add(
        StoreContactHistory(
            contact_id=contact.id,
            store_id=contact.store_id,
            action=action,
            name=contact.name,
            role=contact.role,
            phone=contact.phone,
            changed_by=actor.id,
        )
    )


def _contact_in_scope(actor: User, store_id: int, contact_id: uuid.UUID) -> StoreContact:
    visible_store(actor, store_id)
    contact = db.session.get(StoreContact, contact_id)
    if contact is None or contact.store_id != store_id:
        raise NotFound(f"No contact {contact_id}.", reason="contact.not_found", params={"contact_id": str(contact_id)})
    return contact


CONTACT_WRITERS = (Role.ADMIN, Role.MANAGER, Role.REP, Role.CLERK)


def upsert_contact(
    actor: User,
    store_id: int,
    contact_id: uuid.UUID,
    data: dict[str, Any],
    *,
    hlc: str | None = None,
    base: dict[str, str] | None = None,
) -> tuple[StoreContact, bool, list]:
    """Create the contact with this (client-chosen) id, or change it, merged field by field by
    HLC like stores. Every change is kept in the history. A removed contact stays removed: an
    edit of it, however recent, is refused. Returns (contact, created, conflicts)."""
    check_role(actor, *CONTACT_WRITERS)
    store = visible_store(actor, store_id)
    contact = batch.locked(StoreContact, contact_id)
    edit = edit_hlc(hlc, contact.field_clock if contact is not None else None)
    if contact is None:
        missing = [f for f in ("name", "role") if not data.get(f)]
        if missing:
            raise InvalidInput(
                f"A new contact needs {missing[0]}.",
                field=missing[0],
                reason="contact.missing_field",
                params={"field": missing[0]},
            )
        values = {"phone": ""} | data
        clock = {f: {"hlc": edit, "by": str(actor.id)} for f in values}
        contact = StoreContact(id=contact_id, store_id=store_id, updated_by=actor.id, field_clock=clock, **values)
        db.session.add(contact)
        if not batch.flush_deferred():  # a push run flushes once at its end (core.batch)
            db.session.flush()
        _history(contact, "created", actor)
        return contact, True, []
    if contact.store_id != store_id:
        raise NotFound(
            f"No contact {contact_id} at store {store_id}.",
            field="id",
            reason="contact.not_at_store",
            params={"contact_id": str(contact_id), "store_id": store_id},
        )
    if contact.deleted_at is not None:
        raise Conflict(
            f"Contact {contact_id} was removed.",
            field="id",
            reason="contact.removed",
            params={"contact_id": str(contact_id)},
        )
    before = {f: getattr(contact, f) for f in CONTACT_FIELDS}
    conflicts = merge_fields(
        contact,
        data,
        hlc=edit,
        by=actor.id,
        base=base,
        entity="contact",
        entity_id=str(contact.id),
        region_id=region_of_territory(store.territory_id),
    )
    if any(getattr(contact, f) != v for f, v in before.items()):
        contact.updated_at = utcnow()
        contact.updated_by = actor.id
        _history(contact, "updated", actor)
    return contact, False, conflicts


def delete_contact(actor: User, store_id: int, contact_id: uuid.UUID, *, hlc: str | None = None) -> StoreContact:
    """Remove a contact: a tombstone (kept, and synced as a delete) and a history row."""
    check_role(actor, *CONTACT_WRITERS)
    contact = _contact_in_scope(actor, store_id, contact_id)
    if contact.deleted_at is None:
        contact.deleted_at = contact.updated_at = utcnow()
        contact.updated_by = actor.id
        contact.field_clock = dict(contact.field_clock or {}) | {
            "_deleted": {"hlc": edit_hlc(hlc, contact.field_clock), "by": str(actor.id)}
        }
        _history(contact, "deleted", actor)
    return contact


def contact_history(actor: User, store_id: int) -> list[StoreContactHistory]:
    visible_store(actor, store_id)
    stmt = (
        select(StoreContactHistory)
        .where(StoreContactHistory.store_id == store_id)
        .order_by(StoreContactHistory.changed_at.desc(), StoreContactHistory.id.desc())
    )
    return list(db.session.scalars(stmt))


# --- field records at stores ----------------------------------------------------------------

FIELD_WRITERS = (Role.REP, Role.MANAGER)
FIELD_READERS = (Role.REP, Role.MANAGER, Role.HQ, Role.ADMIN)


def field_record_scope(actor: User, model, territory_column=None) -> ColumnElement[bool]:
    """The field records `actor` may read: a rep their own, a manager those at their region's
    stores (or, with `territory_column`, in their region's territories), HQ and admins all.
    Clerks do not read field records."""
    check_role(actor, *FIELD_READERS)
    if actor.sees_everything:
        return true()
    if actor.role == Role.REP:
        return model.rep_id == actor.id
    if territory_column is not None:
        return territory_column.in_(region_territories(actor.region_id))
    return model.store_id.in_(select(Store.id).where(store_scope(actor)))


def field_record_visibility(model, territory_column=None):
    """A check `(actor, record_id) -> bool` for one kind of field record (used for photos)."""

    def visible(actor: User, record_id) -> bool:
        if actor.role not in FIELD_READERS:
            return False
        clause = field_record_scope(actor, model, territory_column)
        return db.session.scalar(select(model.id).where(model.id == record_id, clause)) is not None

    return visible
