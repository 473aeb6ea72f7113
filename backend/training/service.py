"""Promoters' training: the topics HQ maintains (with an optional quiz), the sessions a rep
records at a store, and who attended with their server-scored quiz results.

A session is a field record like a price observation or a sell-out report: a field writer (rep
or manager), a store in their scope, a device time not in the future, the writer's own visit at
that store when a visit is named, then created once by its client id (the same id with the same
content is a success with no second row — also the writer's own session resent after its store
left their scope — other content a 409). REST and the sync mutation
`training.record` both call `record_session`.

Each attendee is a live contact of the session's store: one added on the spot reaches the
server first as `contact.upsert`, earlier in the same push, so it is there when the session is
checked. The phone scores the quiz offline; the server scores it again from the answers and
keeps its own score. Coverage and gaps (HQ, admins, a region's manager) are in coverage.py.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from ..auth.models import Role, User
from ..catalogue.models import Product
from ..core.auth import check_role
from ..core.batch import find_record, flush_deferred
from ..core.errors import Conflict, InvalidInput, NotFound
from ..core.records import check_device_time, create_once
from ..core.timeutil import business_date, business_today
from ..extensions import db
from ..stores.models import StoreContact
from ..stores.service import FIELD_WRITERS, field_record_scope, visible_store
from ..visits.service import own_visit
from . import coverage as _coverage
from .coverage import current_clause
from .models import TrainingAttendance, TrainingSession, TrainingTopic

TOPIC_WRITERS = (Role.HQ, Role.ADMIN)
QUIZ_SIZES = (0, 3, 4, 5)
MIN_CHOICES, MAX_CHOICES = 2, 5


# --- topics -------------------------------------------------------------------------------------


def covers(topic: TrainingTopic, day: date) -> bool:
    """`day` within the topic's starts_on..ends_on (an open end is no bound), active or not."""
    return (topic.starts_on is None or topic.starts_on <= day) and (topic.ends_on is None or day <= topic.ends_on)


def is_current(topic: TrainingTopic, day: date) -> bool:
    """Active, and `day` within starts_on..ends_on (an open end is no bound): what phones offer."""
    return topic.active and covers(topic, day)


def topics(current: bool) -> list[TrainingTopic]:
    """Every topic, or (current) those current today in the business zone, by code."""
    stmt = select(TrainingTopic).order_by(TrainingTopic.code, TrainingTopic.id)
    if current:
        stmt = stmt.where(current_clause(business_today()))
    return list(db.session.scalars(stmt))


def check_quiz(quiz: list[dict]) -> None:
    """0 or 3–5 questions; each with 2–5 choices (the English ones, if any, one for one) and its
    answer one of them. The first fault is refused, naming its question (from 1)."""
    if len(quiz) not in QUIZ_SIZES:
        raise InvalidInput(
            f"A quiz has 3 to 5 questions, or none; this one has {len(quiz)}.",
            field="quiz",
            reason="training.quiz_size",
            params={"found": len(quiz)},
        )
    for number, q in enumerate(quiz, start=1):
        choices = q["choices"]
        if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
            raise InvalidInput(
                f"Question {number} has {len(choices)} choices; 2 to 5 are allowed.",
                field=f"quiz.{number - 1}.choices",
                reason="training.quiz_choices",
                params={"question": number, "found": len(choices)},
            )
        if q.get("choices_en") is not None and len(q["choices_en"]) != len(choices):
            raise InvalidInput(
                f"Question {number}: the English choices do not match the Chinese ones one for one.",
                field=f"quiz.{number - 1}.choices_en",
                reason="training.quiz_choices_en",
                params={"question": number},
            )
        if not 0 <= q["answer"] < len(choices):
            raise InvalidInput(
                f"Question {number}'s answer is not one of its choices.",
                field=f"quiz.{number - 1}.answer",
                reason="training.quiz_answer",
                params={"question": number},
            )


def _normalised_quiz(quiz: list[dict]) -> list[dict]:
    return [
        {
            "question": q["question"],
            "question_en": q.get("question_en"),
            "choices": list(q["choices"]),
            "choices_en": list(q["choices_en"]) if q.get("choices_en") is not None else None,
            "answer": q["answer"],
        }
        for q in quiz
    ]


def _check_topic(data: dict, current: TrainingTopic | None) -> None:
    product_id = data.get("product_id")
    if product_id is not None and db.session.get(Product, product_id) is None:
        raise InvalidInput(
            f"Unknown product_id: {product_id}.",
            field="product_id",
            reason="training.unknown_product",
            params={"product_id": product_id},
        )
    starts = data["starts_on"] if "starts_on" in data else getattr(current, "starts_on", None)
    ends = data["ends_on"] if "ends_on" in data else getattr(current, "ends_on", None)
    if starts is not None and ends is not None and ends < starts:
        raise InvalidInput("The topic ends before it starts.", field="ends_on", reason="training.dates_order")
    if "quiz" in data:
        check_quiz(data["quiz"])
    if "code" in data:
        stmt = select(TrainingTopic.id).where(TrainingTopic.code == data["code"])
        if current is not None:
            stmt = stmt.where(TrainingTopic.id != current.id)
        if db.session.scalar(stmt) is not None:
            raise Conflict(
                f"A topic with code {data['code']} already exists.",
                field="code",
                reason="training.code_taken",
                params={"code": data["code"]},
            )


def create_topic(actor: User, data: dict) -> TrainingTopic:
    check_role(actor, *TOPIC_WRITERS)
    data = dict(data)
    data.setdefault("quiz", [])
    _check_topic(data, None)
    data["quiz"] = _normalised_quiz(data["quiz"])
    topic = TrainingTopic(**data)
    db.session.add(topic)
    db.session.flush()
    return topic


def visible_topic(topic_id: int) -> TrainingTopic:
    topic = db.session.get(TrainingTopic, topic_id)
    if topic is None:
        raise NotFound(
            f"No training topic {topic_id}.", reason="training.topic_not_found", params={"topic_id": topic_id}
        )
    return topic


def _quiz_key(quiz: list[dict]) -> list[tuple]:
    """A quiz as it reads: texts trimmed, an empty English text or English choices all empty as
    none — so the HQ form sending an answered quiz back unchanged (it trims, blanks → null) is no
    change."""

    def text(v):
        return (v or "").strip() or None

    def en(choices):
        return [text(c) for c in choices] if choices and any(text(c) for c in choices) else None

    return [
        (text(q["question"]), text(q.get("question_en")), [text(c) for c in q["choices"]], en(q.get("choices_en")),
         q["answer"])
        for q in quiz
    ]  # fmt: skip


def quiz_in_use(topic_id: int) -> bool:
    """Whether a session with quiz answers for the topic is on the server."""
    # `answers` None is stored as JSON null (not SQL NULL), so it is told apart here.
    stmt = (
        select(TrainingAttendance.answers)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(TrainingSession.topic_id == topic_id)
        .execution_options(yield_per=1000)
    )
    return any(answers is not None for answers in db.session.scalars(stmt))


def update_topic(actor: User, topic_id: int, data: dict) -> TrainingTopic:
    """Change a topic. Its quiz cannot change once a session with quiz answers was recorded for
    it (409 `training.quiz_in_use`: HQ makes a new topic instead), so the answers recorded, and
    those phones still hold offline, keep meaning what they were answered against. Other fields
    (titles, dates, active) stay editable; sending the same quiz again is no change."""
    check_role(actor, *TOPIC_WRITERS)
    topic = visible_topic(topic_id)
    _check_topic(data, topic)
    if "quiz" in data:
        data = data | {"quiz": _normalised_quiz(data["quiz"])}
        if _quiz_key(data["quiz"]) != _quiz_key(topic.quiz or []) and quiz_in_use(topic.id):
            raise Conflict(
                f"Topic {topic.id}'s quiz has been answered in recorded trainings and cannot change; "
                "make a new topic instead.",
                field="quiz",
                reason="training.quiz_in_use",
                params={"topic_id": topic.id},
            )
    for key, value in data.items():
        setattr(topic, key, value)
    db.session.flush()
    return topic


# --- sessions -----------------------------------------------------------------------------------


def _topic_for(topic_id: int, held_on: date) -> TrainingTopic:
    topic = db.session.get(TrainingTopic, topic_id)
    if topic is None:
        raise InvalidInput(
            f"Unknown topic_id: {topic_id}.",
            field="topic_id",
            reason="training.unknown_topic",
            params={"topic_id": topic_id},
        )
    # Its dates, not `active`: a topic HQ stopped after the training was held offline still
    # takes it (`active` only decides what phones offer).
    if not covers(topic, held_on):
        raise InvalidInput(
            f"Topic {topic_id} was not current on {held_on.isoformat()}.",
            field="topic_id",
            reason="training.topic_not_current",
            params={"topic_id": topic_id},
        )
    return topic


def fits(quiz: list[dict], answers: list[int]) -> bool:
    """Whether `answers` are one per question of `quiz`, each a choice of it."""
    return (
        bool(quiz)
        and len(answers) == len(quiz)
        and all(0 <= a < len(q["choices"]) for q, a in zip(quiz, answers, strict=True))
    )


def score(quiz: list[dict], answers: list[int] | None) -> tuple[int | None, int | None]:
    """(score, quiz_size) of one attendee's answers against the topic's quiz: the number of
    answers equal to the question's answer. No answers (null): not quizzed, (None, None).
    Answers that do not fit the quiz — another count, a choice it does not have, or a topic with
    no quiz: the phone answered a quiz HQ changed before any session of it reached the server —
    are kept unscored, (None, None), never a reason to lose the attendance."""
    if answers is None or not fits(quiz, answers):
        return None, None
    return sum(a == q["answer"] for q, a in zip(quiz, answers, strict=True)), len(quiz)


def _check_attendees(store_id: int, attendees: list[dict]) -> None:
    """Distinct contacts, each a live contact of the store (one added earlier in the same push
    is found: the query flushes it first)."""
    seen: set[uuid.UUID] = set()
    for a in attendees:
        if a["contact_id"] in seen:
            raise InvalidInput(
                f"Contact {a['contact_id']} is listed twice.",
                field="attendees",
                reason="training.duplicate_attendee",
                params={"contact_id": str(a["contact_id"])},
            )
        seen.add(a["contact_id"])
    found = {c.id: c for c in db.session.scalars(select(StoreContact).where(StoreContact.id.in_(list(seen))))}
    for a in attendees:
        contact = found.get(a["contact_id"])
        cid = str(a["contact_id"])
        if contact is None:
            raise InvalidInput(
                f"Unknown contact {cid}.",
                field="attendees",
                reason="training.unknown_contact",
                params={"contact_id": cid},
            )
        if contact.store_id != store_id:
            raise InvalidInput(
                f"Contact {cid} is not at this store.",
                field="attendees",
                reason="training.contact_other_store",
                params={"contact_id": cid},
            )
        if contact.deleted_at is not None:
            raise InvalidInput(
                f"Contact {cid} was removed.",
                field="attendees",
                reason="training.contact_removed",
                params={"contact_id": cid},
            )


SESSION_COMPARE = ("rep_id", "store_id", "visit_id", "topic_id", "held_at", "duration_minutes", "note")


def _sent_attendees(attendees: list[dict]) -> dict[str, list | None]:
    return {str(a["contact_id"]): (list(a["answers"]) if a.get("answers") is not None else None) for a in attendees}


def _stored_attendees(session_id: uuid.UUID) -> dict[str, list | None]:
    rows = db.session.scalars(select(TrainingAttendance).where(TrainingAttendance.session_id == session_id))
    return {str(r.contact_id): r.answers for r in rows}


def _same_content(existing: TrainingSession, values: dict, attendees: list[dict]) -> None:
    differing = [k for k in SESSION_COMPARE if str(getattr(existing, k)) != str(values[k])]
    if _stored_attendees(existing.id) != _sent_attendees(attendees):
        differing.append("attendees")
    if differing:
        differing.sort()
        raise Conflict(
            f"A training session with id {existing.id} already exists with different content ({', '.join(differing)}).",
            details={"id": str(existing.id), "fields": differing},
            reason="training.id_taken_other_content",
            params={"session_id": str(existing.id), "fields": differing},
        )


def record_session(actor: User, data: dict) -> tuple[TrainingSession, bool]:
    """A training a rep (or manager) gave at a store, with who attended and their quiz answers.
    Idempotent by id; the server scores the answers (answers that do not fit the topic's quiz
    are kept unscored, see `score`). The topic must cover the day held, active or not now.
    Returns (session, created)."""
    check_role(actor, *FIELD_WRITERS)
    check_device_time(data["held_at"], "held_at")
    held_on = business_date(data["held_at"])
    values = {
        "rep_id": actor.id,
        "store_id": data["store_id"],
        "visit_id": data.get("visit_id"),
        "topic_id": data["topic_id"],
        "held_at": data["held_at"],
        "held_on": held_on,
        "duration_minutes": data["duration_minutes"],
        "note": data.get("note") or "",
    }
    existing = find_record(TrainingSession, data["id"])
    if existing is not None and existing.rep_id == actor.id:
        # A resend of the actor's own session (a lost answer): the same content is the record
        # already made, whatever happened since — the contacts named may have been removed, the
        # topic may have ended, the store may have left the actor's scope (a rep moved to another
        # territory) — and other content a 409. Nothing new is written either way.
        _same_content(existing, values, data["attendees"])
        return existing, False
    store = visible_store(actor, data["store_id"])
    if existing is not None:  # another writer's id: 409 (its rep differs), as before
        _same_content(existing, values, data["attendees"])
    topic = _topic_for(data["topic_id"], held_on)
    if data.get("visit_id") is not None:
        own_visit(actor, data["visit_id"], store.id)
    attendees = data["attendees"]
    scored = [score(topic.quiz or [], a.get("answers")) for a in attendees]
    _check_attendees(store.id, attendees)
    session, created = create_once(TrainingSession, data["id"], values, "training session", compare=SESSION_COMPARE)
    if not created:  # inserted by a concurrent request between our look-up and our insert
        _same_content(session, values, attendees)
        return session, False
    if flush_deferred():
        # The attendance rows refer to the session through a foreign key with no relationship
        # beside it, so the unit of work would not order them after it: write it first.
        db.session.flush()
    db.session.add_all(
        TrainingAttendance(
            session_id=session.id,
            contact_id=a["contact_id"],
            answers=list(a["answers"]) if a.get("answers") is not None else None,
            score=s,
            quiz_size=n,
        )
        for a, (s, n) in zip(attendees, scored, strict=True)
    )
    return session, True


def with_attendees(rows: list) -> list:
    """Set `attendees` ([{contact_id, answers, score, quiz_size}], in the order they were
    recorded) on each session (ORM objects or plain records), for the schema."""
    ids = [r.id for r in rows]
    found: dict = {i: [] for i in ids}
    for chunk in range(0, len(ids), 5000):
        stmt = (
            select(TrainingAttendance)
            .where(TrainingAttendance.session_id.in_(ids[chunk : chunk + 5000]))
            .order_by(TrainingAttendance.session_id, TrainingAttendance.id)
        )
        for a in db.session.scalars(stmt):
            found[a.session_id].append(
                {"contact_id": a.contact_id, "answers": a.answers, "score": a.score, "quiz_size": a.quiz_size}
            )
    for r in rows:
        r.attendees = found[r.id]
    return rows


def sessions_query(actor: User, filters: dict):
    """Sessions in the actor's field-record scope (a rep their own, a manager their region's
    stores, HQ and admins all), newest first."""
    s = TrainingSession
    stmt = select(s).where(field_record_scope(actor, s))
    for name in ("store_id", "topic_id", "visit_id", "rep_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(s, name) == filters[name])
    if filters.get("since") is not None:
        stmt = stmt.where(s.held_on >= filters["since"])
    if filters.get("until") is not None:
        stmt = stmt.where(s.held_on <= filters["until"])
    return stmt.order_by(s.held_at.desc(), s.id)


def coverage(actor: User, filters: dict) -> list[dict]:
    """Per current topic, stores and promoters trained and the mean quiz score, by region."""
    return _coverage.coverage(actor, filters)


def gaps(actor: User, filters: dict) -> list[dict]:
    """Stores with a new model on the shelf and no training on it."""
    return _coverage.gaps(actor, filters)
