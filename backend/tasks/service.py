"""Tasks for reps: the rules. REST (api.py) and the sync mutation `task.complete` both call them.

Who: a manager assigns tasks at the stores of their region, HQ and admins at any store (a
campaign's batch over many stores at once). Reps see the tasks of their territory's stores and
complete them at a visit, offline: the completion carries its own id (`completion_id`), so a
resend is a no-op; the first completion to reach the server wins and a later one is refused
with who did it and when (`task.already_done`); a task cancelled meanwhile refuses it
(`task.cancelled`). Overdue is not stored: an open task due before today in the business time
zone (`is_overdue`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import case, func, select

from ..auth.models import Role, User
from ..catalogue.models import CompetitorModel, Product, PromoMaterial
from ..core.auth import check_role
from ..core.batch import find_record
from ..core.errors import Conflict, InvalidInput, NotFound
from ..core.records import check_device_time
from ..core.timeutil import business_today, utcnow
from ..extensions import db
from ..org.models import Territory
from ..photos import service as photos
from ..stores.models import Store, StoreStatus
from ..stores.service import FIELD_READERS, FIELD_WRITERS, region_territories, store_scope, visible_store
from ..training.models import TrainingTopic
from ..visits.models import Visit
from .models import Task, TaskKind, TaskStatus

ASSIGNERS = (Role.MANAGER, Role.HQ, Role.ADMIN)
MAX_BATCH_STORES = 2000
"""Stores a batch by filter may reach at once: a campaign larger than this is split by region."""

# Which reference each kind needs: (field, model) — price takes one of two.
REQUIRED_REFERENCE = {
    TaskKind.TRAINING: ("topic_id",),
    TaskKind.MATERIAL: ("material_id",),
    TaskKind.PRICE: ("product_id", "competitor_model_id"),
}
REFERENCE_MODELS = {
    "topic_id": TrainingTopic,
    "material_id": PromoMaterial,
    "product_id": Product,
    "competitor_model_id": CompetitorModel,
}
# The fields a client sends when creating a task: a resend with the same id compares them.
CONTENT = (
    "store_id",
    "kind",
    "title",
    "note",
    "due_on",
    "needs_photo",
    "assignee_id",
    "topic_id",
    "material_id",
    "product_id",
    "competitor_model_id",
)
CAMPAIGN_IDS = uuid.UUID("5a7c0e1d-2b4f-4c8e-9a31-7d6e0f1b2c3d")
"""Namespace of a campaign task's id: uuid5(campaign, store) — one task per campaign and store,
kept by the primary key even when two sends of the same batch race."""


# --- pure rules ---------------------------------------------------------------------------------


def default_needs_photo(kind: str) -> bool:
    """A display task is done when the display is seen fixed: a photo by default; others not."""
    return kind == TaskKind.DISPLAY


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """Open and due before `today` (the business day): due today is not yet overdue."""
    return status == TaskStatus.OPEN and due_on < today


def missing_reference(kind: str, values: dict) -> str | None:
    """The field a task of `kind` lacks (training: topic_id, material: material_id, price: one of
    product_id / competitor_model_id), or None."""
    needed = REQUIRED_REFERENCE.get(kind)
    if needed is None or any(values.get(f) is not None for f in needed):
        return None
    return needed[0]


def campaign_task_id(campaign: str, store_id: int) -> uuid.UUID:
    return uuid.uuid5(CAMPAIGN_IDS, f"{campaign}\x00{store_id}")


# --- look-ups -----------------------------------------------------------------------------------


def _task_scope(actor: User):
    """Tasks at the stores `actor` sees (a rep their territory's, a manager their region's, HQ
    and admins all); clerks none (403)."""
    check_role(actor, *FIELD_READERS)
    return Task.store_id.in_(select(Store.id).where(store_scope(actor)))


def _not_found(task_id) -> NotFound:
    return NotFound(f"No task {task_id}.", field="task_id", reason="task.not_found", params={"task_id": str(task_id)})


def visible_task(actor: User, task_id: uuid.UUID, *, lock: bool = False, completion_id=None) -> Task:
    """A task of a store in `actor`'s scope (404 `task.not_found` otherwise). With
    `completion_id`: also the task `actor` completed with that id, wherever they are now — a
    resent completion is the one made even after the rep moved territory (SPEC: "whatever
    happened since"). One query either way."""
    seen = _task_scope(actor)
    if completion_id is not None:
        seen = seen | ((Task.completion_id == completion_id) & (Task.done_by == actor.id))
    stmt = select(Task).where(Task.id == task_id, seen)
    if lock:
        # Two completions (or a completion and a cancel) of one task at once: one after the other.
        stmt = stmt.with_for_update()
    task = db.session.scalar(stmt)
    if task is None:
        raise _not_found(task_id)
    return task


def _region_of_store(store: Store) -> int:
    return db.session.scalar(select(Territory.region_id).where(Territory.id == store.territory_id))


# --- creating -----------------------------------------------------------------------------------


def done_at_text(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as the API writes it (ISO 8601 with +00:00)."""
    return value.replace(tzinfo=UTC).isoformat() if value else None


def _check_due(due_on: date) -> None:
    today = business_today()
    if due_on < today:
        raise InvalidInput(
            f"The task is due {due_on.isoformat()}, before today ({today.isoformat()}).",
            field="due_on",
            reason="task.due_in_past",
            params={"due_on": due_on.isoformat(), "today": today.isoformat()},
        )


def _check_references(values: dict) -> None:
    lacking = missing_reference(values["kind"], values)
    if lacking is not None:
        raise InvalidInput(
            f"A {values['kind']} task needs {lacking}.",
            field=lacking,
            reason="task.reference_required",
            params={"kind": values["kind"], "field": lacking},
        )
    if values["kind"] == TaskKind.PRICE and values.get("product_id") and values.get("competitor_model_id"):
        raise InvalidInput(
            "A price task checks one model: product_id or competitor_model_id, not both.",
            field="competitor_model_id",
            reason="task.one_price_target",
        )
    for name, model in REFERENCE_MODELS.items():
        value = values.get(name)
        if value is not None and db.session.get(model, value) is None:
            raise InvalidInput(
                f"Unknown {name}: {value}.",
                field=name,
                reason="unknown_reference",
                params={"field": name, "value": str(value)},
            )


def _check_assignee(assignee_id: int | None, stores: list[Store]) -> None:
    """The assignee is an active rep whose territory holds every store."""
    if assignee_id is None:
        return
    rep = db.session.get(User, assignee_id)
    covering = rep is not None and rep.role == Role.REP and rep.active
    if covering and all(s.territory_id == rep.territory_id for s in stores):
        return
    raise InvalidInput(
        f"User {assignee_id} is not a rep covering the store.",
        field="assignee_id",
        reason="task.assignee_not_covering",
        params={"assignee_id": assignee_id},
    )


def _values(data: dict) -> dict:
    """The task's fields from a create or batch body (defaults filled)."""
    values = {k: data.get(k) for k in CONTENT if k != "store_id"}
    values["note"] = values["note"] or ""
    if values["needs_photo"] is None:
        values["needs_photo"] = default_needs_photo(values["kind"])
    return values


def _same_content(existing: Task, values: dict) -> None:
    differing = sorted(k for k in CONTENT if getattr(existing, k) != values[k])
    if differing:
        raise Conflict(
            f"A task with id {existing.id} already exists with different content ({', '.join(differing)}).",
            details={"id": str(existing.id), "fields": differing},
            reason="task.id_taken_other_content",
            params={"task_id": str(existing.id), "fields": differing},
        )


def create_task(actor: User, data: dict) -> tuple[Task, bool]:
    """One task at one store (a manager: their region's; HQ, admins: any). Idempotent by the
    client's `id`. Returns (task, created)."""
    check_role(actor, *ASSIGNERS)
    store = visible_store(actor, data["store_id"])
    values = _values(data) | {"store_id": store.id}
    task_id = data.get("id") or uuid.uuid4()
    existing = db.session.get(Task, task_id)
    if existing is not None:
        # A resend: the same content is the task already made (even once its day has passed).
        _same_content(existing, values)
        return existing, False
    _check_due(values["due_on"])
    _check_references(values)
    _check_assignee(values["assignee_id"], [store])
    task = Task(id=task_id, region_id=_region_of_store(store), created_by=actor.id, status=TaskStatus.OPEN, **values)
    db.session.add(task)
    db.session.flush()
    return task, True


def _batch_stores(actor: User, data: dict) -> list[Store]:
    if "store_ids" in data:
        wanted = list(dict.fromkeys(data["store_ids"]))
        found = {s.id: s for s in db.session.scalars(select(Store).where(Store.id.in_(wanted), store_scope(actor)))}
        outside = [i for i in wanted if i not in found]
        if outside:
            raise InvalidInput(
                f"Stores outside your scope or unknown: {outside[:20]}.",
                field="store_ids",
                reason="task.stores_outside",
                params={"store_ids": outside[:20]},
            )
        return [found[i] for i in wanted]
    flt = data["filter"]
    stmt = select(Store).where(store_scope(actor), Store.status == StoreStatus.ACTIVE)
    if flt.get("region_id") is not None:
        stmt = stmt.where(Store.territory_id.in_(region_territories(flt["region_id"])))
    if flt.get("territory_id") is not None:
        stmt = stmt.where(Store.territory_id == flt["territory_id"])
    if flt.get("tier") is not None:
        stmt = stmt.where(Store.tier == flt["tier"])
    stores = list(db.session.scalars(stmt.order_by(Store.id).limit(MAX_BATCH_STORES + 1)))
    if len(stores) > MAX_BATCH_STORES:
        raise InvalidInput(
            f"The filter matches more than {MAX_BATCH_STORES} stores: narrow it (e.g. by region).",
            field="filter",
            reason="task.too_many_stores",
            params={"max": MAX_BATCH_STORES},
        )
    return stores


def create_batch(actor: User, data: dict) -> dict:
    """The same task at many stores (a campaign): by store ids or a filter of the actor's stores.
    Idempotent by campaign and store: a store that already has the campaign's task gets no
    second one. Returns {campaign, created, task_ids} (the campaign's task at each store)."""
    check_role(actor, *ASSIGNERS)
    stores = _batch_stores(actor, data)
    if not stores:
        raise InvalidInput("No store matches the filter.", field="filter", reason="task.no_stores")
    campaign = data["campaign"]
    values = _values(data)
    ids = {s.id: campaign_task_id(campaign, s.id) for s in stores}
    existing = set(db.session.scalars(select(Task.id).where(Task.id.in_(list(ids.values())))))
    new = [s for s in stores if ids[s.id] not in existing]
    if new:
        _check_due(values["due_on"])
        _check_references(values)
        _check_assignee(values["assignee_id"], new)
        regions = dict(db.session.execute(select(Territory.id, Territory.region_id)).all())
        db.session.add_all(
            Task(
                id=ids[s.id],
                store_id=s.id,
                region_id=regions[s.territory_id],
                created_by=actor.id,
                campaign=campaign,
                status=TaskStatus.OPEN,
                **values,
            )
            for s in new
        )
        db.session.flush()
    return {"campaign": campaign, "created": len(new), "task_ids": [ids[s.id] for s in stores]}


# --- reading ------------------------------------------------------------------------------------


def _check_region(actor: User, region_id: int | None) -> None:
    if region_id is not None and actor.role == Role.MANAGER and region_id != actor.region_id:
        raise NotFound(
            f"No region {region_id}.", field="region_id", reason="region.not_found", params={"region_id": region_id}
        )


def _filtered(actor: User, stmt, filters: dict):
    _check_region(actor, filters.get("region_id"))
    stmt = stmt.where(_task_scope(actor))
    for name in ("region_id", "store_id", "assignee_id", "campaign", "kind"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Task, name) == filters[name])
    return stmt


def tasks_query(actor: User, filters: dict):
    """Tasks in the actor's scope, filtered; open ones first by due day."""
    today = business_today()
    stmt = _filtered(actor, select(Task), filters)
    status = filters.get("status")
    if status == "overdue":
        stmt = stmt.where(Task.status == TaskStatus.OPEN, Task.due_on < today)
    elif status is not None:
        stmt = stmt.where(Task.status == status)
    return stmt.order_by(Task.due_on, Task.created_at, Task.id)


def summary(actor: User, filters: dict) -> dict:
    """{open, overdue, done, cancelled} in the actor's scope (overdue ⊂ open)."""
    today = business_today()
    overdue = case(((Task.status == TaskStatus.OPEN) & (Task.due_on < today), 1), else_=0)
    stmt = _filtered(actor, select(Task.status, func.count(), func.sum(overdue)).group_by(Task.status), filters)
    out = {"open": 0, "overdue": 0, "done": 0, "cancelled": 0}
    for status, count, late in db.session.execute(stmt):
        out[status] = count
        if status == TaskStatus.OPEN:
            out["overdue"] = int(late or 0)
    return out


def present(rows: list) -> list:
    """Set the listing's computed fields on each task: store, assignee, creator and completer
    names, `overdue`, `photo_ids`."""
    if not rows:
        return rows
    today = business_today()
    store_names = dict(
        db.session.execute(select(Store.id, Store.name).where(Store.id.in_({r.store_id for r in rows}))).all()
    )
    user_ids = {u for r in rows for u in (r.assignee_id, r.created_by, r.done_by) if u is not None}
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
    photos.attach_photo_ids("task", rows)
    for r in rows:
        r.store_name = store_names.get(r.store_id)
        r.assignee_name = names.get(r.assignee_id)
        r.created_by_name = names.get(r.created_by)
        r.done_by_name = names.get(r.done_by)
        r.overdue = is_overdue(r.status, r.due_on, today)
    return rows


# --- cancelling ---------------------------------------------------------------------------------


def _already_done(task: Task) -> Conflict:
    by = db.session.get(User, task.done_by) if task.done_by is not None else None
    done_at = done_at_text(task.done_at)
    return Conflict(
        f"Task {task.id} was already done by {by.display_name if by else task.done_by} at {done_at}.",
        field="task_id",
        reason="task.already_done",
        params={
            "task_id": str(task.id),
            "done_by": task.done_by,
            "done_by_name": by.display_name if by else None,
            "done_at": done_at,
        },
    )


def cancel(actor: User, task_id: uuid.UUID) -> Task:
    """Cancel an open task: its creator, the region's manager, HQ, admins. Cancelling a
    cancelled task again changes nothing; a done one is 409 `task.already_done`."""
    check_role(actor, *FIELD_READERS)
    stmt = select(Task).where(Task.id == task_id, _task_scope(actor) | (Task.created_by == actor.id))
    task = db.session.scalar(stmt.with_for_update())
    if task is None:
        raise _not_found(task_id)
    check_role(actor, *ASSIGNERS)
    if task.status == TaskStatus.DONE:
        raise _already_done(task)
    if task.status == TaskStatus.OPEN:
        task.status, task.cancelled_at, task.cancelled_by = TaskStatus.CANCELLED, utcnow(), actor.id
        db.session.flush()
    return task


# --- completing ---------------------------------------------------------------------------------


def _check_visit(actor: User, visit_id: uuid.UUID | None, task: Task) -> None:
    if visit_id is None:
        return
    visit = find_record(Visit, visit_id)  # a visit checked in earlier in the same push is found
    if visit is None or visit.rep_id != actor.id or visit.store_id != task.store_id:
        raise InvalidInput(
            f"Visit {visit_id} is not your visit at the task's store.",
            field="visit_id",
            reason="task.visit_mismatch",
            params={"visit_id": str(visit_id)},
        )


def complete(actor: User, task_id: uuid.UUID, data: dict) -> tuple[Task, bool]:
    """A rep (or manager) completes a task of a store in their scope, at their own visit there
    (optional), with the photos a task that needs one must have. The same `completion_id` again
    is the completion already made (no-op). Returns (task, completed now)."""
    check_role(actor, *FIELD_WRITERS)
    completion_id = data["completion_id"]
    task = visible_task(actor, task_id, lock=True, completion_id=completion_id)
    if task.completion_id == completion_id:
        return task, False
    if task.status == TaskStatus.CANCELLED:
        cancelled_at = done_at_text(task.cancelled_at)
        raise Conflict(
            f"Task {task.id} was cancelled.",
            field="task_id",
            reason="task.cancelled",
            params={"task_id": str(task.id), "cancelled_at": cancelled_at},
        )
    if task.status == TaskStatus.DONE:
        raise _already_done(task)
    other = db.session.scalar(select(Task.id).where(Task.completion_id == completion_id))
    if other is not None:
        raise Conflict(
            f"Completion {completion_id} already completed another task.",
            field="completion_id",
            reason="task.completion_other_task",
            params={"completion_id": str(completion_id)},
        )
    check_device_time(data["done_at"], "done_at")
    photo_ids = list(dict.fromkeys(data.get("photo_ids") or []))
    if task.needs_photo and not photo_ids:
        raise InvalidInput("This task needs a photo.", field="photo_ids", reason="task.photo_required")
    _check_visit(actor, data.get("visit_id"), task)
    task.status = TaskStatus.DONE
    task.completion_id = completion_id
    task.done_at = data["done_at"]
    task.done_by = actor.id
    task.done_visit_id = data.get("visit_id")
    task.done_note = data.get("note") or ""
    db.session.flush()  # done_by is the photos' author (who may upload them) from here on
    photos.link_photos(actor, "task", task.id, photo_ids)
    return task, True


def _task_visible(actor: User, record_id) -> bool:
    """Whether `actor` sees the task (and so its photos)."""
    if actor.role not in FIELD_READERS:
        return False
    return db.session.scalar(select(Task.id).where(Task.id == record_id, _task_scope(actor))) is not None


photos.register_record_type("task", _task_visible, author=Task.done_by, writers=FIELD_WRITERS)
