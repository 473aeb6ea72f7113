"""Nothing a rep recorded offline is lost when HQ changes the topic meanwhile: a topic stopped
(inactive) still takes a training held within its dates; its quiz cannot change once answered
(409 training.quiz_in_use); answers that do not fit the quiz on the server (changed before any
session reached it) are kept unscored; `note: null` is taken as "". REST and the sync push."""

from __future__ import annotations

import uuid
from datetime import timedelta

from backend.core.timeutil import business_date, utcnow
from backend.extensions import db
from backend.training.models import TrainingAttendance, TrainingSession
from tests.factories import iso
from tests.sync.helpers import Device
from tests.test_training_api import SESSIONS, TOPICS, make_contact, make_topic, quiz, refused, rows, session_body
from tests.test_training_sync import statuses


def test_a_topic_stopped_after_the_training_still_takes_it(api, world):
    topic = make_topic()  # open dates, quiz answers 0, 1, 2
    wang = make_contact(world.store_a1)
    rep = api(world.rep_a1)
    body = session_body(world.store_a1, topic, [(wang, [0, 1, 0])])
    # HQ stops the topic (the phone recorded the training offline before).
    assert api(world.hq).patch(f"{TOPICS}/{topic.id}", json={"active": False}).status_code == 200
    r = rep.post(SESSIONS, json=body)
    assert r.status_code == 201, r.json
    assert r.json["attendees"][0]["score"] == 2 and r.json["attendees"][0]["quiz_size"] == 3
    # Stopped AND outside its dates on the day held: still refused.
    held_at = utcnow().replace(microsecond=0) - timedelta(days=2)
    ended = make_topic("ENDED", ends_on=business_date(held_at) - timedelta(days=1), active=False)
    late = make_topic("LATE", starts_on=business_date(held_at) + timedelta(days=1))
    for t in (ended, late):
        bad = refused(rep, session_body(world.store_a1, t, [(wang, None)], held_at=iso(held_at)), 422,
                      "training.topic_not_current", "topic_id")  # fmt: skip
        assert bad["params"] == {"topic_id": t.id}
    assert rows(TrainingSession) == 1


def test_an_answered_quiz_cannot_change_other_fields_can(api, world):
    topic = make_topic()
    unused = make_topic("UNUSED")
    wang = make_contact(world.store_a1)
    hq, rep = api(world.hq), api(world.rep_a1)
    # Only a session WITHOUT answers yet: the quiz may still change.
    assert rep.post(SESSIONS, json=session_body(world.store_a1, topic, [(wang, None)])).status_code == 201
    assert hq.patch(f"{TOPICS}/{topic.id}", json={"quiz": quiz(4)}).status_code == 200
    assert rep.post(SESSIONS, json=session_body(world.store_a1, topic, [(wang, [0, 1, 2, 0])])).status_code == 201
    # Now answered: another quiz is refused, naming the topic; the quiz stays the 4 questions.
    r = hq.patch(f"{TOPICS}/{topic.id}", json={"quiz": quiz(3)})
    assert (r.status_code, r.json["reason"], r.json["field"], r.json["params"]) == (
        409, "training.quiz_in_use", "quiz", {"topic_id": topic.id}
    )  # fmt: skip
    changed = quiz(4)
    changed[2] = changed[2] | {"answer": 0}  # same count, another right answer
    r = hq.patch(f"{TOPICS}/{topic.id}", json={"quiz": changed, "title": "改名"})
    assert (r.status_code, r.json["reason"]) == (409, "training.quiz_in_use")
    db.session.expire_all()
    assert [q["answer"] for q in db.session.get(type(topic), topic.id).quiz] == [0, 1, 2, 0]
    assert db.session.get(type(topic), topic.id).title == "P30-KNOW 培训"  # nothing of the refused PATCH
    # The same quiz again (as the HQ form sends it back: blanks as null, texts trimmed), titles,
    # dates, active: fine.
    again = [q | {"question": f" {q['question']} ", "choices_en": [f"{c} " for c in q["choices_en"]]} for q in quiz(4)]
    r = hq.patch(f"{TOPICS}/{topic.id}", json={"quiz": again})
    assert r.status_code == 200, r.json
    # Dropping the English is a change of the quiz all the same.
    r = hq.patch(f"{TOPICS}/{topic.id}", json={"quiz": [q | {"question_en": None} for q in quiz(4)]})
    assert (r.status_code, r.json["reason"]) == (409, "training.quiz_in_use")
    r = hq.patch(f"{TOPICS}/{topic.id}", json={"quiz": quiz(4), "title": "新标题", "active": False})
    assert r.status_code == 200 and r.json["title"] == "新标题" and r.json["active"] is False
    # Another topic's quiz is free.
    assert hq.patch(f"{TOPICS}/{unused.id}", json={"quiz": quiz(5)}).status_code == 200


def test_answers_that_do_not_fit_the_quiz_are_kept_unscored(api, world):
    topic = make_topic()  # 3 questions of 3 choices, right answers 0, 1, 2
    wang, li, zhou, sun = (make_contact(world.store_a1, n) for n in ("小王", "小李", "小周", "小孙"))
    rep = api(world.rep_a1)
    body = session_body(
        world.store_a1,
        topic,
        [(wang, [0, 1, 0]), (li, [0, 1]), (zhou, [0, 1, 3]), (sun, None)],
    )
    r = rep.post(SESSIONS, json=body)
    assert r.status_code == 201, r.json
    got = [(a["answers"], a["score"], a["quiz_size"]) for a in r.json["attendees"]]
    assert got == [([0, 1, 0], 2, 3), ([0, 1], None, None), ([0, 1, 3], None, None), (None, None, None)]
    assert rows(TrainingAttendance) == 4
    # The resend is the record already made.
    assert rep.post(SESSIONS, json=body).status_code == 200
    assert rows(TrainingAttendance) == 4


def test_a_null_note_is_an_empty_one(api, world):
    topic = make_topic()
    wang = make_contact(world.store_a1)
    rep = api(world.rep_a1)
    body = session_body(world.store_a1, topic, [(wang, None)], note=None)
    r = rep.post(SESSIONS, json=body)
    assert r.status_code == 201 and r.json["note"] == ""
    assert rep.post(SESSIONS, json=body | {"note": ""}).status_code == 200  # the same content
    assert rep.post(SESSIONS, json=body | {"note": "x"}).status_code == 409


def test_the_sync_push_keeps_what_was_recorded_offline(api, world):
    topic = make_topic()
    wang = make_contact(world.store_a1)
    device = Device(api(world.rep_a1))
    stopped = session_body(world.store_a1, topic, [(wang, [2, 1, 2])], note=None)
    refit = session_body(world.store_a1, topic, [(wang, [2, 1])])
    topic.active = False
    db.session.commit()
    r = device.push([device.mutation("training.record", a) for a in (stopped, refit)])
    assert statuses(r) == ["applied", "applied"], r.json
    by_session = {str(a.session_id): (a.answers, a.score, a.quiz_size) for a in db.session.query(TrainingAttendance)}
    assert by_session == {stopped["id"]: ([2, 1, 2], 2, 3), refit["id"]: ([2, 1], None, None)}
    assert db.session.get(TrainingSession, uuid.UUID(stopped["id"])).note == ""
