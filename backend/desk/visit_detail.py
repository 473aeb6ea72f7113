"""A visit's whole story for the desk: where and when the rep checked in and out (against the
store's position), the checklist answers with their items and the score, the photos (with the
recycled flag), the promo-material movements, prices seen, intel reported, trainings given and
tasks completed during it, and the notes.

Who may see it: whoever may see the visit (`visits.service.visible_visit`: a rep their own, a
manager their region's stores', HQ and admins all; clerks none). Every part is read by the visit
id with one query per kind of record, whatever the number of records: a constant number of
queries per visit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..catalogue.models import ChecklistItem, CompetitorBrand, CompetitorModel, Product, PromoMaterial
from ..extensions import db
from ..intel.models import IntelReport, PriceObservation
from ..photos.models import PhotoLink
from ..stock.models import StockMovement
from ..stores.models import Store, StoreContact
from ..tasks.models import Task, TaskStatus
from ..training.models import TrainingAttendance, TrainingSession, TrainingTopic
from ..visits.models import DisplayCheck, Visit
from ..visits.service import answer_passes, offsite_threshold_m, visible_visit
from .photos import photo_cards


def _minutes(start, end) -> int | None:
    return None if start is None or end is None else max(0, round((end - start).total_seconds() / 60))


def _visit_part(visit: Visit) -> dict:
    store, rep = db.session.execute(
        select(Store, User)
        .select_from(Visit)
        .join(Store, Store.id == Visit.store_id)
        .join(User, User.id == Visit.rep_id)
        .where(Visit.id == visit.id)
    ).one()
    check_out = None
    if visit.checked_out_at is not None:
        check_out = {
            "latitude": visit.check_out_latitude,
            "longitude": visit.check_out_longitude,
            "accuracy_m": visit.check_out_accuracy_m,
            "distance_m": visit.check_out_distance_m,
        }
    return {
        "id": visit.id,
        "rep": {"id": rep.id, "name": rep.display_name},
        "store": {
            "id": store.id,
            "code": store.code,
            "name": store.name,
            "tier": store.tier,
            "address": store.address,
            "latitude": store.latitude,
            "longitude": store.longitude,
        },
        "checked_in_at": visit.checked_in_at,
        "check_in": {
            "latitude": visit.check_in_latitude,
            "longitude": visit.check_in_longitude,
            "accuracy_m": visit.check_in_accuracy_m,
            "distance_m": visit.check_in_distance_m,
        },
        "off_site": visit.off_site,
        "off_site_threshold_m": offsite_threshold_m(visit.check_in_accuracy_m),
        "checked_out_at": visit.checked_out_at,
        "check_out": check_out,
        "minutes_on_site": _minutes(visit.checked_in_at, visit.checked_out_at),
        "notes": visit.notes,
        "received_at": visit.received_at,
    }


def _display_checks(visit_id: uuid.UUID) -> list[dict]:
    checks = db.session.scalars(
        select(DisplayCheck).where(DisplayCheck.visit_id == visit_id).order_by(DisplayCheck.checked_at, DisplayCheck.id)
    ).all()
    item_ids = {a["item_id"] for c in checks for a in c.answers}
    items = (
        {i.id: i for i in db.session.scalars(select(ChecklistItem).where(ChecklistItem.id.in_(item_ids)))}
        if item_ids
        else {}
    )
    out = []
    for c in checks:
        answers = []
        for a in c.answers:
            item = items.get(a["item_id"])
            answers.append(
                {
                    "item_id": a["item_id"],
                    "code": item.code if item else None,
                    "label_zh": item.label_zh if item else None,
                    "label_en": item.label_en if item else None,
                    "answer_type": item.answer_type if item else None,
                    "target": item.target if item else None,
                    "weight": item.weight if item else None,
                    "value": a["value"],
                    "reason": a.get("reason") or "",
                    "passed": answer_passes(item.answer_type, item.target, a["value"]) if item else None,
                }
            )
        # In the checklist's order, as the rep saw it.
        answers.sort(key=lambda x: (items[x["item_id"]].sort_order if x["item_id"] in items else 1 << 30, x["item_id"]))
        out.append(
            {
                "id": c.id,
                "record_type": "display_check",
                "checked_at": c.checked_at,
                "score": c.score,
                "notes": c.notes,
                "answers": answers,
            }
        )
    return out


def _stock_movements(visit_id: uuid.UUID) -> list[dict]:
    rows = db.session.execute(
        select(StockMovement, PromoMaterial)
        .join(PromoMaterial, PromoMaterial.id == StockMovement.material_id)
        .where(StockMovement.visit_id == visit_id)
        .order_by(StockMovement.recorded_at, StockMovement.id)
    )
    return [
        {
            "id": m.id,
            "material": {"id": mat.id, "code": mat.code, "name": mat.name, "name_en": mat.name_en},
            "kind": m.kind,
            "quantity": m.quantity,
            "recorded_at": m.recorded_at,
            "note": m.note,
        }
        for m, mat in rows
    ]


def _prices(visit_id: uuid.UUID) -> list[dict]:
    rows = db.session.execute(
        select(PriceObservation, Product, CompetitorModel, CompetitorBrand)
        .outerjoin(Product, Product.id == PriceObservation.product_id)
        .outerjoin(CompetitorModel, CompetitorModel.id == PriceObservation.competitor_model_id)
        .outerjoin(CompetitorBrand, CompetitorBrand.id == CompetitorModel.brand_id)
        .where(PriceObservation.visit_id == visit_id)
        .order_by(PriceObservation.observed_at, PriceObservation.id)
    )
    out = []
    for p, product, cmodel, brand in rows:
        if product is not None:
            model = {"kind": "own", "id": product.id, "name": product.name, "name_en": product.name_en, "brand": None}
        else:
            model = {
                "kind": "competitor",
                "id": cmodel.id,
                "name": cmodel.name,
                "name_en": cmodel.name_en,
                "brand": {"name": brand.name, "name_en": brand.name_en} if brand else None,
            }
        out.append(
            {
                "id": p.id,
                "record_type": "price_observation",
                "model": model,
                "shelf_price": p.shelf_price,
                "promo_price": p.promo_price,
                "promo_text": p.promo_text,
                "observed_at": p.observed_at,
            }
        )
    return out


OPEN_VISIT_SPAN = timedelta(hours=12)
"""How long after its check-in a visit never checked out still claims the intel its rep reports."""


def _intel(visit: Visit) -> list[dict]:
    """An intel report names no visit (a rep may report a place passed on the way): those of the
    visit's rep reported while they were checked in are this visit's."""
    end = visit.checked_out_at or visit.checked_in_at + OPEN_VISIT_SPAN
    reports = db.session.scalars(
        select(IntelReport)
        .where(
            IntelReport.rep_id == visit.rep_id,
            IntelReport.reported_at >= visit.checked_in_at,
            IntelReport.reported_at <= end,
        )
        .order_by(IntelReport.reported_at, IntelReport.id)
    )
    return [
        {
            "id": r.id,
            "record_type": "intel_report",
            "kind": r.kind,
            "name": r.name,
            "address": r.address,
            "status": r.status,
            "notes": r.notes,
            "reported_at": r.reported_at,
        }
        for r in reports
    ]


def _trainings(visit_id: uuid.UUID) -> list[dict]:
    rows = db.session.execute(
        select(TrainingSession, TrainingTopic)
        .join(TrainingTopic, TrainingTopic.id == TrainingSession.topic_id)
        .where(TrainingSession.visit_id == visit_id)
        .order_by(TrainingSession.held_at, TrainingSession.id)
    ).all()
    attendees: dict = defaultdict(list)
    if rows:
        found = db.session.execute(
            select(TrainingAttendance, StoreContact.name)
            .join(StoreContact, StoreContact.id == TrainingAttendance.contact_id)
            .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
            .where(TrainingSession.visit_id == visit_id)
            .order_by(TrainingAttendance.session_id, TrainingAttendance.id)
        )
        for a, name in found:
            attendees[a.session_id].append({"name": name, "score": a.score, "quiz_size": a.quiz_size})
    return [
        {
            "id": s.id,
            "topic": {"id": topic.id, "code": topic.code, "title": topic.title, "title_en": topic.title_en},
            "held_at": s.held_at,
            "duration_minutes": s.duration_minutes,
            "note": s.note,
            "attendees": attendees[s.id],
        }
        for s, topic in rows
    ]


def _tasks(visit_id: uuid.UUID) -> list[dict]:
    done_by = aliased(User)
    rows = db.session.execute(
        select(Task, done_by.display_name)
        .outerjoin(done_by, done_by.id == Task.done_by)
        .where(Task.done_visit_id == visit_id, Task.status == TaskStatus.DONE)
        .order_by(Task.done_at, Task.id)
    )
    return [
        {
            "id": t.id,
            "record_type": "task",
            "kind": t.kind,
            "title": t.title,
            "note": t.note,
            "due_on": t.due_on,
            "needs_photo": t.needs_photo,
            "done_at": t.done_at,
            "done_by_name": name,
            "done_note": t.done_note,
        }
        for t, name in rows
    ]


def _attach_photos(actor: User, records: list[dict]) -> None:
    """`photos` on each record (display checks, prices, intel, tasks): one query for the links,
    then the photos and their matches (`photo_cards`)."""
    by_type: dict = defaultdict(list)
    for r in records:
        by_type[r["record_type"]].append(r["id"])
    links: dict = defaultdict(list)
    if by_type:
        # By (record_type, record_id): the links' index leads with the type; record_id alone
        # would scan every link of every record.
        rows = db.session.execute(
            select(PhotoLink.record_type, PhotoLink.record_id, PhotoLink.photo_id)
            .where(or_(*(and_(PhotoLink.record_type == t, PhotoLink.record_id.in_(ids)) for t, ids in by_type.items())))
            .order_by(PhotoLink.photo_id)
        )
        for rtype, rid, pid in rows:
            links[(rtype, rid)].append(pid)
    cards = photo_cards(actor, [pid for pids in links.values() for pid in pids])
    for r in records:
        r["photos"] = [cards[pid] for pid in links[(r.pop("record_type"), r["id"])]]


def visit_detail(actor: User, visit_id: uuid.UUID) -> dict:
    """Everything recorded at one visit the actor may see (404 `visit.not_found` otherwise; a
    clerk 403)."""
    visit = visible_visit(actor, visit_id)
    detail = {
        "visit": _visit_part(visit),
        "display_checks": _display_checks(visit.id),
        "stock_movements": _stock_movements(visit.id),
        "price_observations": _prices(visit.id),
        "intel_reports": _intel(visit),
        "training_sessions": _trainings(visit.id),
        "tasks": _tasks(visit.id),
    }
    _attach_photos(
        actor,
        [*detail["display_checks"], *detail["price_observations"], *detail["intel_reports"], *detail["tasks"]],
    )
    detail["photo_count"] = sum(
        len(r["photos"])
        for key in ("display_checks", "price_observations", "intel_reports", "tasks")
        for r in detail[key]
    )
    return detail
