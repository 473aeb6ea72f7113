"""Promoters' training through the HTTP API: topics with their quiz (HQ and admins write them,
everyone reads them), sessions a rep records at a store (server-scored, idempotent by id, each
refusal's reason), and who reads which sessions."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.core.timeutil import business_today, utcnow
from backend.extensions import db
from backend.stores.models import StoreContact
from backend.training.models import TrainingAttendance, TrainingSession, TrainingTopic
from tests.factories import iso, new_id

TOPICS, SESSIONS = "/api/v1/training/topics", "/api/v1/training-sessions"


def quiz(n: int = 3) -> list[dict]:
    """n questions; question i's right answer is choice i % 3 of 3."""
    return [
        {
            "question": f"问题 {i + 1}",
            "question_en": f"Question {i + 1}",
            "choices": ["甲", "乙", "丙"],
            "choices_en": ["A", "B", "C"],
            "answer": i % 3,
        }
        for i in range(n)
    ]


def topic_body(code: str = "P30-KNOW", **kw) -> dict:
    return {"code": code, "title": "P30 产品知识", "title_en": "P30 product knowledge", "kind": "product"} | kw


def make_topic(code="P30-KNOW", quiz_=None, **kw) -> TrainingTopic:
    topic = TrainingTopic(
        code=code, title=f"{code} 培训", title_en=f"{code} training", kind=kw.pop("kind", "product"),
        quiz=quiz(3) if quiz_ is None else quiz_, **kw,
    )  # fmt: skip
    db.session.add(topic)
    db.session.commit()
    return topic


def make_contact(store, name="小王", role="promoter", deleted=False) -> StoreContact:
    contact = StoreContact(
        id=uuid.uuid4(), store_id=store.id, name=name, role=role, deleted_at=utcnow() if deleted else None
    )
    db.session.add(contact)
    db.session.commit()
    return contact


def session_body(store, topic, attendees, **kw) -> dict:
    return {
        "id": new_id(),
        "store_id": store.id,
        "topic_id": topic.id,
        "held_at": iso(utcnow().replace(microsecond=0) - timedelta(minutes=30)),
        "duration_minutes": 45,
        "attendees": [{"contact_id": str(c.id), "answers": a} for c, a in attendees],
    } | kw


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def refused(client, body, status, reason, field=None, url=SESSIONS):
    r = client.post(url, json=body)
    assert r.status_code == status, r.json
    assert r.json["reason"] == reason, r.json
    if field is not None:
        assert r.json["field"] == field, r.json
    return r.json


# --- topics -------------------------------------------------------------------------------------


def test_hq_creates_a_topic_with_a_quiz_everyone_reads_it(api, world):
    hq = api(world.hq)
    body = topic_body(product_id=world.product.id, quiz=quiz(4), starts_on="2026-01-01")
    r = hq.post(TOPICS, json=body)
    assert r.status_code == 201, r.json
    assert r.json["quiz"] == quiz(4) and r.json["active"] is True and r.json["ends_on"] is None
    for user in (world.rep_a1, world.clerk_a1, world.manager_b):
        listed = api(user).get(TOPICS).json
        assert [t["code"] for t in listed] == ["P30-KNOW"]
    for user in (world.rep_a1, world.manager_a, world.clerk_a1):
        assert api(user).post(TOPICS, json=topic_body("X")).status_code == 403
    patched = api(world.admin).patch(f"{TOPICS}/{r.json['id']}", json={"ends_on": "2026-01-31", "quiz": []})
    assert patched.status_code == 200, patched.json
    assert (patched.json["ends_on"], patched.json["quiz"], patched.json["title"]) == ("2026-01-31", [], "P30 产品知识")


def test_current_topics_are_active_and_within_their_dates(api, world):
    today = business_today()
    make_topic("OPEN")
    make_topic("ENDED", ends_on=today - timedelta(days=1))
    make_topic("ENDS-TODAY", ends_on=today)
    make_topic("LATER", starts_on=today + timedelta(days=1))
    make_topic("OFF", active=False)
    rep = api(world.rep_a1)
    assert [t["code"] for t in rep.get(TOPICS, query_string={"current": "true"}).json] == ["ENDS-TODAY", "OPEN"]
    assert len(rep.get(TOPICS, query_string={"current": "false"}).json) == 5


@pytest.mark.parametrize(
    ("change", "reason", "field", "params"),
    [
        ({"quiz": quiz(2)}, "training.quiz_size", "quiz", {"found": 2}),
        ({"quiz": quiz(6)}, "training.quiz_size", "quiz", {"found": 6}),
        ({"quiz": quiz(2) + [quiz(1)[0] | {"choices": ["甲"], "choices_en": None, "answer": 0}]},
         "training.quiz_choices", "quiz.2.choices", {"question": 3, "found": 1}),
        ({"quiz": quiz(3)[:2] + [quiz(1)[0] | {"choices": list("甲乙丙丁戊己"), "choices_en": None}]},
         "training.quiz_choices", "quiz.2.choices", {"question": 3, "found": 6}),
        ({"quiz": [quiz(1)[0] | {"answer": 3}] + quiz(3)[1:]}, "training.quiz_answer", "quiz.0.answer",
         {"question": 1}),
        ({"quiz": [quiz(1)[0] | {"answer": -1}] + quiz(3)[1:]}, "training.quiz_answer", "quiz.0.answer",
         {"question": 1}),
        ({"quiz": [quiz(1)[0], quiz(1)[0] | {"choices_en": ["A"]}, quiz(1)[0]]}, "training.quiz_choices_en",
         "quiz.1.choices_en", {"question": 2}),
        ({"product_id": 99_999}, "training.unknown_product", "product_id", {"product_id": 99_999}),
        ({"starts_on": "2026-02-01", "ends_on": "2026-01-31"}, "training.dates_order", "ends_on", {}),
    ],
)  # fmt: skip
def test_a_bad_topic_is_refused_with_its_reason(api, world, change, reason, field, params):
    r = refused(api(world.hq), topic_body(**change), 422, reason, field, url=TOPICS)
    assert r["params"] == params
    assert rows(TrainingTopic) == 0


def test_quiz_edges_accepted_and_code_taken(api, world):
    hq = api(world.hq)
    five = quiz(5)
    five[0] = five[0] | {"choices": ["甲", "乙"], "choices_en": None, "answer": 1}
    five[1] = five[1] | {"choices": list("甲乙丙丁戊"), "choices_en": list("ABCDE"), "answer": 4}
    assert hq.post(TOPICS, json=topic_body("FIVE", quiz=five)).status_code == 201
    assert hq.post(TOPICS, json=topic_body("NONE", kind="skills")).status_code == 201
    taken = refused(hq, topic_body("FIVE"), 409, "training.code_taken", "code", url=TOPICS)
    assert taken["params"] == {"code": "FIVE"}
    other = hq.post(TOPICS, json=topic_body("OTHER")).json["id"]
    r = hq.patch(f"{TOPICS}/{other}", json={"code": "NONE"})
    assert (r.status_code, r.json["reason"]) == (409, "training.code_taken")
    r = hq.patch(f"{TOPICS}/{other}", json={"ends_on": "2026-01-01", "starts_on": "2026-01-02"})
    assert (r.status_code, r.json["reason"]) == (422, "training.dates_order")
    r = hq.patch(f"{TOPICS}/999999", json={"active": False})
    assert (r.status_code, r.json["reason"]) == (404, "training.topic_not_found")


# --- sessions -----------------------------------------------------------------------------------


def test_a_session_is_scored_by_the_server_and_recorded_once(api, world):
    topic = make_topic()  # right answers: 0, 1, 2
    wang, li, zhao = (make_contact(world.store_a1, n) for n in ("小王", "小李", "老赵"))
    body = session_body(world.store_a1, topic, [(wang, [0, 1, 2]), (li, [0, 0, 2]), (zhao, None)], note="新品讲解")
    rep = api(world.rep_a1)
    first = rep.post(SESSIONS, json=body)
    assert first.status_code == 201, first.json
    got = first.json
    assert (got["rep_id"], got["store_id"], got["topic_id"], got["duration_minutes"], got["note"]) == (
        world.rep_a1.id, world.store_a1.id, topic.id, 45, "新品讲解",
    )  # fmt: skip
    assert got["attendees"] == [
        {"contact_id": str(wang.id), "answers": [0, 1, 2], "score": 3, "quiz_size": 3},
        {"contact_id": str(li.id), "answers": [0, 0, 2], "score": 2, "quiz_size": 3},
        {"contact_id": str(zhao.id), "answers": None, "score": None, "quiz_size": None},
    ]
    assert (
        got["held_on"] == business_today().isoformat()
        or got["held_on"] == (business_today() - timedelta(days=1)).isoformat()
    )
    again = rep.post(SESSIONS, json=body)
    assert again.status_code == 200 and again.json == got
    assert (rows(TrainingSession), rows(TrainingAttendance)) == (1, 3)
    # The same id with other content: 409 naming what differs, nothing written.
    other = body | {"duration_minutes": 60, "attendees": body["attendees"][:2]}
    conflict = refused(rep, other, 409, "training.id_taken_other_content")
    assert conflict["params"] == {"session_id": body["id"], "fields": ["attendees", "duration_minutes"]}
    answers = body | {"attendees": [body["attendees"][0] | {"answers": [0, 1, 1]}] + body["attendees"][1:]}
    assert refused(rep, answers, 409, "training.id_taken_other_content")["params"]["fields"] == ["attendees"]
    assert (rows(TrainingSession), rows(TrainingAttendance)) == (1, 3)
    # A resend after the contact was removed is still the record already made.
    wang.deleted_at = utcnow()
    db.session.commit()
    assert rep.post(SESSIONS, json=body).status_code == 200


def test_a_topic_without_a_quiz_scores_no_answers(api, world):
    topic = make_topic("PROMO", quiz_=[], kind="promotion")
    wang = make_contact(world.store_a1)
    rep = api(world.rep_a1)
    r = rep.post(SESSIONS, json=session_body(world.store_a1, topic, [(wang, None)]))
    assert r.status_code == 201 and r.json["attendees"][0]["score"] is None
    # Answers sent anyway (the phone had a quiz HQ has since removed): kept, unscored.
    r = rep.post(SESSIONS, json=session_body(world.store_a1, topic, [(wang, [])]))
    assert r.status_code == 201, r.json
    assert r.json["attendees"] == [{"contact_id": str(wang.id), "answers": [], "score": None, "quiz_size": None}]


def test_session_refusals_say_why(api, world):
    today = business_today()
    topic = make_topic()
    ended = make_topic("OLD", ends_on=today - timedelta(days=3))
    wang, li = make_contact(world.store_a1, "小王"), make_contact(world.store_a1, "小李")
    elsewhere = make_contact(world.store_a1b, "小周")
    gone = make_contact(world.store_a1, "小孙", deleted=True)
    rep = api(world.rep_a1)
    ok = [(wang, [0, 1, 2])]

    def body(**kw):
        return session_body(world.store_a1, topic, ok) | kw

    cases = [
        (body(topic_id=999_999), 422, "training.unknown_topic", "topic_id", {"topic_id": 999_999}),
        (session_body(world.store_a1, ended, ok), 422, "training.topic_not_current", "topic_id",
         {"topic_id": ended.id}),
        (session_body(world.store_a1, topic, [(li, None), (wang, [0, "x", 2])]), 422, "invalid_value",
         "attendees", None),
        (session_body(world.store_a1, topic, [(wang, None), (wang, None)]), 422, "training.duplicate_attendee",
         "attendees", {"contact_id": str(wang.id)}),
        (body(attendees=[{"contact_id": str(uuid.UUID(int=7)), "answers": None}]), 422,
         "training.unknown_contact", "attendees", {"contact_id": str(uuid.UUID(int=7))}),
        (session_body(world.store_a1, topic, [(elsewhere, None)]), 422, "training.contact_other_store",
         "attendees", {"contact_id": str(elsewhere.id)}),
        (session_body(world.store_a1, topic, [(gone, None)]), 422, "training.contact_removed", "attendees",
         {"contact_id": str(gone.id)}),
        (body(held_at=iso(utcnow() + timedelta(hours=2))), 422, "device_time.future", "held_at",
         {"field": "held_at"}),
        (session_body(world.store_b1, topic, ok), 404, "store.not_found", "store_id", {"store_id": world.store_b1.id}),
        (body(visit_id=new_id()), 404, "visit.not_found", "visit_id", None),
        (body(attendees=[]), 422, "invalid_value", "attendees", None),
        (body(duration_minutes=0), 422, "invalid_value", "duration_minutes", None),
        (body(duration_minutes=481), 422, "invalid_value", "duration_minutes", None),
        (body(note="x" * 301), 422, "invalid_value", "note", None),
    ]  # fmt: skip
    for b, status, reason, field, params in cases:
        r = refused(rep, b, status, reason)
        assert r.get("field") == field or field in str(r.get("errors")), (reason, r)
        if params is not None:
            assert r["params"] == params, (reason, r)
    assert rows(TrainingSession) == 0
    for user in (world.clerk_a1, world.hq, world.admin):
        assert api(user).post(SESSIONS, json=body()).status_code == 403
    # Current is judged on the day the training was held (its business day), not on arrival: a
    # session held yesterday on a topic that ended yesterday is accepted, a day later it is not.
    from backend.core.timeutil import business_date

    held_at = utcnow().replace(microsecond=0) - timedelta(days=1, hours=1)
    held_on = business_date(held_at)
    closing = make_topic("CLOSING", ends_on=held_on)
    closed = make_topic("CLOSED", ends_on=held_on - timedelta(days=1))
    assert rep.post(SESSIONS, json=session_body(world.store_a1, closing, ok, held_at=iso(held_at))).status_code == 201
    refused(rep, session_body(world.store_a1, closed, ok, held_at=iso(held_at)), 422, "training.topic_not_current")


def test_a_session_in_a_visit_and_who_reads_it(api, world):
    topic = make_topic()
    wang = make_contact(world.store_a1)
    rep = api(world.rep_a1)
    visit = {
        "id": new_id(),
        "store_id": world.store_a1.id,
        "checked_in_at": iso(utcnow().replace(microsecond=0) - timedelta(hours=1)),
        "latitude": world.store_a1.latitude,
        "longitude": world.store_a1.longitude,
        "accuracy_m": 10,
    }
    assert rep.post("/api/v1/visits", json=visit).status_code == 201
    other_store = session_body(world.store_a1b, topic, [(make_contact(world.store_a1b), None)], visit_id=visit["id"])
    assert refused(rep, other_store, 422, "visit.other_store")["field"] == "visit_id"
    mine = session_body(world.store_a1, topic, [(wang, [0, 1, 2])], visit_id=visit["id"])
    assert rep.post(SESSIONS, json=mine).status_code == 201
    # Another rep of the territory may not use that visit.
    theirs = session_body(world.store_a1, topic, [(wang, None)], visit_id=visit["id"])
    assert api(world.rep_a1b).post(SESSIONS, json=theirs).status_code == 404
    assert api(world.rep_a1b).post(SESSIONS, json=theirs | {"visit_id": None}).status_code == 201
    for user, sees in (
        (world.rep_a1, {mine["id"]}),
        (world.rep_a1b, {theirs["id"]}),
        (world.manager_a, {mine["id"], theirs["id"]}),
        (world.manager_b, set()),
        (world.hq, {mine["id"], theirs["id"]}),
    ):
        listed = api(user).get(SESSIONS)
        assert listed.status_code == 200
        assert {s["id"] for s in listed.json} == sees, user.username
    assert api(world.clerk_a1).get(SESSIONS).status_code == 403
    hq = api(world.hq)
    by_visit = hq.get(SESSIONS, query_string={"visit_id": visit["id"]}).json
    assert [s["id"] for s in by_visit] == [mine["id"]]
    assert by_visit[0]["attendees"][0]["score"] == 3
    today = business_today()
    assert len(hq.get(SESSIONS, query_string={"since": (today + timedelta(days=2)).isoformat()}).json) == 0
    assert len(hq.get(SESSIONS, query_string={"until": (today + timedelta(days=2)).isoformat()}).json) == 2
    assert len(hq.get(SESSIONS, query_string={"topic_id": topic.id, "rep_id": world.rep_a1b.id}).json) == 1
    assert date.fromisoformat(by_visit[0]["held_on"]) <= today
