"""Store visits: check-in with the off-site rule, check-out, display checks with scoring."""

from __future__ import annotations

import math
import uuid

from flask import current_app
from sqlalchemy import select

from ..auth.models import User
from ..catalogue.models import AnswerType, ChecklistItem, OnFail
from ..core.auth import check_role
from ..core.batch import find_record, flush_deferred, references
from ..core.errors import Conflict, InvalidInput, NotFound
from ..core.geo import distance_m
from ..core.records import check_device_time, create_once
from ..core.timeutil import utcnow
from ..extensions import db
from ..photos import service as photos
from ..stores.service import FIELD_WRITERS, field_record_scope, field_record_visibility, visible_store
from .models import DisplayCheck, Visit

# --- reading -------------------------------------------------------------------------------


def visits_query(actor: User, filters: dict):
    stmt = select(Visit).where(field_record_scope(actor, Visit))
    for name in ("rep_id", "store_id", "off_site"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Visit, name) == filters[name])
    if filters.get("since") is not None:
        stmt = stmt.where(Visit.checked_in_at >= filters["since"])
    if filters.get("until") is not None:
        stmt = stmt.where(Visit.checked_in_at < filters["until"])
    return stmt.order_by(Visit.checked_in_at.desc(), Visit.id)


def visible_visit(actor: User, visit_id: uuid.UUID) -> Visit:
    visit = db.session.scalar(select(Visit).where(Visit.id == visit_id, field_record_scope(actor, Visit)))
    if visit is None:
        raise NotFound(
            f"No visit {visit_id}.", field="visit_id", reason="visit.not_found", params={"visit_id": str(visit_id)}
        )
    return visit


def own_visit(actor: User, visit_id: uuid.UUID, store_id: int | None = None) -> Visit:
    """A visit the actor made (only its rep adds to a visit), optionally at a given store."""
    visit = find_record(Visit, visit_id)  # a visit this push added is found without a flush
    if visit is None or visit.rep_id != actor.id:
        raise NotFound(
            f"No visit {visit_id}.", field="visit_id", reason="visit.not_found", params={"visit_id": str(visit_id)}
        )
    if store_id is not None and visit.store_id != store_id:
        raise InvalidInput(
            f"Visit {visit_id} was at another store.",
            field="visit_id",
            reason="visit.other_store",
            params={"visit_id": str(visit_id)},
        )
    return visit


# --- check-in / check-out ---------------------------------------------------------------------


def offsite_threshold_m(accuracy_m: float) -> float:
    """A check-in is off-site beyond max(reported accuracy, the configured threshold), but never
    beyond OFFSITE_MAX_ALLOWANCE_M: the phone reports its accuracy itself, and a claimed 100 km
    would otherwise make a check-in anywhere in the province on-site."""
    cfg = current_app.config
    threshold = cfg["OFFSITE_THRESHOLD_M"]
    return min(max(accuracy_m, threshold), max(cfg["OFFSITE_MAX_ALLOWANCE_M"], threshold))


# The check-in's columns under the names the API and the sync mutation give them.
CHECK_IN_FIELDS = {
    "check_in_latitude": "latitude",
    "check_in_longitude": "longitude",
    "check_in_accuracy_m": "accuracy_m",
}


def check_in(actor: User, data: dict) -> tuple[Visit, bool]:
    """Start a visit. The server measures the geodesic distance from the check-in position to
    the store and flags the visit off-site when it is beyond the threshold. Idempotent by id.

    The store's position is its approved one: a rep's move of it beyond STORE_MOVE_APPROVAL_M
    is only a pending proposal (backend.stores.service.update_store) until a manager approves
    it, so moving the store to where the rep stands does not make a far check-in on-site."""
    check_role(actor, *FIELD_WRITERS)
    store = visible_store(actor, data["store_id"])
    check_device_time(data["checked_in_at"], "checked_in_at")
    here = (data["latitude"], data["longitude"])
    distance = distance_m(here, (store.latitude, store.longitude))
    values = {
        "rep_id": actor.id,
        "store_id": store.id,
        "checked_in_at": data["checked_in_at"],
        "check_in_latitude": data["latitude"],
        "check_in_longitude": data["longitude"],
        "check_in_accuracy_m": data["accuracy_m"],
        "check_in_distance_m": round(distance, 1),
        "off_site": distance > offsite_threshold_m(data["accuracy_m"]),
        "notes": data.get("notes", ""),
    }
    client_fields = (
        "rep_id",
        "store_id",
        "checked_in_at",
        "check_in_latitude",
        "check_in_longitude",
        "check_in_accuracy_m",
        "notes",
    )
    existing = find_record(Visit, data["id"])
    if existing is not None and existing.checked_out_at is not None:
        # A check-out may replace the notes: a resent check-in is compared on everything else.
        client_fields = client_fields[:-1]
    return create_once(Visit, data["id"], values, "visit", compare=client_fields, api_names=CHECK_IN_FIELDS)


def check_out(actor: User, visit_id: uuid.UUID, data: dict) -> Visit:
    """End a visit. Repeating the same check-out is a no-op; a different second one is a 409."""
    check_role(actor, *FIELD_WRITERS)
    visit = own_visit(actor, visit_id)
    check_device_time(data["checked_out_at"], "checked_out_at")
    if data["checked_out_at"] < visit.checked_in_at:
        raise InvalidInput(
            "checked_out_at is before the check-in.", field="checked_out_at", reason="visit.checkout_before_checkin"
        )
    store = visible_store(actor, visit.store_id)
    values = {
        "checked_out_at": data["checked_out_at"],
        "check_out_latitude": data.get("latitude"),
        "check_out_longitude": data.get("longitude"),
        "check_out_accuracy_m": data.get("accuracy_m"),
    }
    if visit.checked_out_at is not None:
        differing = sorted(k for k, v in values.items() if getattr(visit, k) != v)
        if "notes" in data and visit.notes != data["notes"]:
            differing.append("notes")
        if differing:
            raise Conflict(
                f"Visit {visit_id} was already checked out at {visit.checked_out_at:%Y-%m-%d %H:%M}.",
                details={"id": str(visit_id), "fields": differing},
                reason="visit.already_checked_out",
                params={"visit_id": str(visit_id), "checked_out_at": visit.checked_out_at.isoformat()},
            )
        return visit
    for key, value in values.items():
        setattr(visit, key, value)
    if data.get("latitude") is not None:
        visit.check_out_distance_m = round(
            distance_m((data["latitude"], data["longitude"]), (store.latitude, store.longitude)), 1
        )
    if "notes" in data:
        visit.notes = data["notes"]
    visit.check_out_received_at = utcnow()
    if not flush_deferred():  # in a push's run, the run flushes once at its end (core.batch)
        db.session.flush()
    return visit


# --- display checks ---------------------------------------------------------------------------


class MissingEvidence(InvalidInput):
    """A failed checklist item lacks the reason or photo its `on_fail` asks for."""

    code = "checklist_evidence_missing"


def answer_passes(answer_type: str, target: float | None, value) -> bool:
    """A yes/no item passes on true; a number item when the answer reaches its target."""
    return value is True if answer_type == AnswerType.YES_NO else value >= (target or 0)


def weighted_score(rows) -> float:
    """Score 0–100 of (weight, passed) pairs, one decimal (Python's round: ties to even).
    The PWA's port is pwa/src/screens/rep/checklist.js `scoreOf`; both pass
    tests/vectors/display_score.json."""
    total = passed = 0
    for weight, ok in rows:
        total += weight
        passed += weight if ok else 0
    return round(100.0 * passed / total, 1) if total else 0.0


def missing_evidence(on_fail: str, reason: str | None, has_photo: bool) -> str | None:
    """What a failed answer still lacks under its item's `on_fail`, or None."""
    has_reason = bool((reason or "").strip())
    if on_fail == OnFail.REASON and not has_reason:
        return "reason"
    if on_fail == OnFail.PHOTO and not has_photo:
        return "photo"
    if on_fail == OnFail.PHOTO_OR_REASON and not (has_reason or has_photo):
        return "photo_or_reason"
    return None


def score_answers(answers: list[dict], *, has_photo: bool | None = None) -> float:
    """Score 0–100: the weighted share of answered checklist items that pass.

    A yes/no item passes on true; a number item passes when the answer reaches its target.
    Unknown or inactive items, wrong answer types and repeated items are refused. When
    `has_photo` is given (recording a check), a failed item whose `on_fail` asks for a reason or
    a photo must come with it (MissingEvidence, code `checklist_evidence_missing`).
    """
    if not answers:
        raise InvalidInput("answers must not be empty.", field="answers", reason="display.no_answers")
    ids = [a["item_id"] for a in answers]
    if len(set(ids)) != len(ids):
        raise InvalidInput("An item is answered twice.", field="answers", reason="display.answered_twice")
    items = references(ChecklistItem, ids)  # in a sync push, the checklist is read once
    rows = []
    for answer in answers:
        item = items.get(answer["item_id"])
        if item is None or not item.active:
            raise InvalidInput(
                f"Unknown checklist item {answer['item_id']}.",
                field="answers",
                reason="display.unknown_item",
                params={"item_id": answer["item_id"]},
            )
        value = answer["value"]
        if item.answer_type == AnswerType.YES_NO:
            if not isinstance(value, bool):
                raise InvalidInput(
                    f"Item {item.code} needs a yes/no answer.",
                    field="answers",
                    reason="display.needs_yes_no",
                    params={"item": item.code},
                )
        else:
            # NaN/Infinity (which Python's JSON parser accepts) would pass or fail at random and
            # cannot be stored as JSON on PostgreSQL.
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or (isinstance(value, float) and not math.isfinite(value)) or value < 0:
                raise InvalidInput(
                    f"Item {item.code} needs a number of at least 0.",
                    field="answers",
                    reason="display.needs_number",
                    params={"item": item.code},
                )
        ok = answer_passes(item.answer_type, item.target, value)
        if not ok and has_photo is not None:
            lacking = missing_evidence(item.on_fail, answer.get("reason"), has_photo)
            if lacking is not None:
                raise MissingEvidence(
                    f"Item {item.code} failed: it needs a {lacking.replace('_', ' ')}.",
                    field="answers",
                    details={"item_id": item.id, "item": item.code, "needs": lacking},
                    reason=f"display.needs_{lacking}",
                    params={"item": item.code},
                )
        rows.append((item.weight, ok))
    return weighted_score(rows)


def record_display_check(actor: User, data: dict) -> tuple[DisplayCheck, bool]:
    check_role(actor, *FIELD_WRITERS)
    visit = own_visit(actor, data["visit_id"])
    check_device_time(data["checked_at"], "checked_at")
    answers = [
        {"item_id": a["item_id"], "value": a["value"]} | ({"reason": a["reason"]} if a.get("reason") else {})
        for a in data["answers"]
    ]
    values = {
        "rep_id": actor.id,
        "visit_id": visit.id,
        "store_id": visit.store_id,
        "checked_at": data["checked_at"],
        "answers": answers,
        "score": score_answers(answers, has_photo=bool(data.get("photo_ids"))),
        "notes": data.get("notes", ""),
    }
    check, created = create_once(
        DisplayCheck, data["id"], values, "display check", compare=("visit_id", "checked_at", "answers", "notes")
    )
    photos.link_photos(actor, "display_check", check.id, data.get("photo_ids", []))
    return check, created


def display_checks_query(actor: User, filters: dict):
    stmt = select(DisplayCheck).where(field_record_scope(actor, DisplayCheck))
    for name in ("visit_id", "store_id", "rep_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(DisplayCheck, name) == filters[name])
    return stmt.order_by(DisplayCheck.checked_at.desc(), DisplayCheck.id)


def visible_display_check(actor: User, check_id: uuid.UUID) -> DisplayCheck:
    check = db.session.scalar(
        select(DisplayCheck).where(DisplayCheck.id == check_id, field_record_scope(actor, DisplayCheck))
    )
    if check is None:
        raise NotFound(f"No display check {check_id}.", reason="display.not_found", params={"check_id": str(check_id)})
    return check


photos.register_record_type(
    "display_check", field_record_visibility(DisplayCheck), author=DisplayCheck.rep_id, writers=FIELD_WRITERS
)
