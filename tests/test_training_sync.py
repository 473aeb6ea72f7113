"""Promoters' training through sync: a session recorded offline in a visit, with a promoter added
on the spot (contact.upsert first, then training.record naming it, in one push), applied exactly
once however often it is pushed; refusals with the same reasons as REST; pulled back by its rep
(and the region's manager, HQ) with the attendees embedded, and topics to everyone."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.stores.models import StoreContact
from backend.sync.models import SyncChange
from backend.training.models import TrainingAttendance, TrainingSession
from tests.factories import iso
from tests.sync.helpers import Device, check_in_args, snapshot
from tests.test_training_api import make_contact, make_topic, session_body


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def statuses(resp) -> list[str]:
    assert resp.status_code == 200, resp.json
    return [r["status"] for r in resp.json["results"]]


def new_promoter(store, name="小新") -> dict:
    return {"store_id": store.id, "id": str(uuid.uuid4()), "fields": {"name": name, "role": "promoter"}}


def test_an_offline_visit_with_a_new_promoter_is_recorded_once(api, world):
    topic = make_topic()  # right answers 0, 1, 2
    wang = make_contact(world.store_a1, "小王")
    visit = check_in_args(world.store_a1)
    added = new_promoter(world.store_a1)
    session = session_body(world.store_a1, topic, [(wang, [0, 1, 2])], visit_id=visit["id"])
    session["attendees"].append({"contact_id": added["id"], "answers": [2, 1, 0]})  # 1 right
    device = Device(api(world.rep_a1))
    batch = [
        device.mutation("visit.check_in", visit),
        device.mutation("contact.upsert", added),
        device.mutation("training.record", session),
    ]
    assert statuses(device.push(batch)) == ["applied"] * 3
    # The phone never heard the answer and sends the same envelope again: already applied.
    assert statuses(device.push(batch)) == ["duplicate"] * 3
    # A reinstalled app (new client id) queues the session again: its id makes it once.
    again = Device(api(world.rep_a1))
    assert statuses(again.push([again.mutation("training.record", session)])) == ["applied"]
    assert (rows(TrainingSession), rows(TrainingAttendance)) == (1, 2)
    stored = db.session.get(TrainingSession, uuid.UUID(session["id"]))
    assert (str(stored.visit_id), stored.rep_id, stored.duration_minutes) == (visit["id"], world.rep_a1.id, 45)
    scores = dict(
        db.session.execute(
            select(TrainingAttendance.contact_id, TrainingAttendance.score).where(
                TrainingAttendance.session_id == stored.id
            )
        ).all()
    )
    assert scores == {wang.id: 3, uuid.UUID(added["id"]): 1}
    assert db.session.get(StoreContact, uuid.UUID(added["id"])).role == "promoter"
    logged = db.session.scalars(select(SyncChange.entity).where(SyncChange.entity == "training_session")).all()
    assert logged == ["training_session"]


def test_a_session_naming_a_promoter_queued_after_it_is_refused(api, world):
    """The outbox order matters: the contact must come first (SPEC §I.3.2)."""
    topic = make_topic()
    added = new_promoter(world.store_a1)
    session = session_body(world.store_a1, topic, [])
    session["attendees"] = [{"contact_id": added["id"], "answers": None}]
    device = Device(api(world.rep_a1))
    r = device.push([device.mutation("training.record", session), device.mutation("contact.upsert", added)])
    assert statuses(r) == ["rejected", "applied"]
    error = r.json["results"][0]["error"]
    assert (error["reason"], error["params"]) == ("training.unknown_contact", {"contact_id": added["id"]})
    assert rows(TrainingSession) == 0


def test_refusals_say_why_and_the_rest_apply(api, world):
    topic = make_topic()
    wang = make_contact(world.store_a1, "小王")
    device = Device(api(world.rep_a1))
    good = session_body(world.store_a1, topic, [(wang, [0, 1, 2])])
    pushed = [
        good,
        good | {"duration_minutes": 30},  # the same id, other content
        session_body(world.store_a1, topic, [(wang, [0, "x", 2])]),
        session_body(world.store_a1, topic, [(wang, None)], topic_id=999_999),
        session_body(world.store_b1, topic, [(wang, None)]),
        session_body(world.store_a1, topic, [(wang, None)], held_at=iso(utcnow() + timedelta(hours=3))),
        session_body(world.store_a1, topic, [(wang, None)]),
    ]
    r = device.push([device.mutation("training.record", a) for a in pushed])
    assert statuses(r) == ["applied"] + ["rejected"] * 5 + ["applied"]
    errors = [(x["error"]["code"], x["error"]["reason"], x["error"].get("field")) for x in r.json["results"][1:-1]]
    assert errors == [
        ("conflict", "training.id_taken_other_content", None),
        ("invalid", "invalid_value", "attendees.0.answers.1"),
        ("invalid", "training.unknown_topic", "topic_id"),
        ("not_found", "store.not_found", "store_id"),
        ("invalid", "device_time.future", "held_at"),
    ]
    assert r.json["results"][1]["error"]["params"] == {"session_id": good["id"], "fields": ["duration_minutes"]}
    assert (rows(TrainingSession), rows(TrainingAttendance)) == (2, 2)


def test_the_rep_pulls_the_session_as_rest_shows_it(api, world):
    topic = make_topic()
    wang = make_contact(world.store_a1, "小王")
    session = session_body(world.store_a1, topic, [(wang, [0, 0, 2])])
    rep = api(world.rep_a1)
    device = Device(rep)
    assert statuses(device.push([device.mutation("training.record", session)])) == ["applied"]
    got = snapshot(Device(rep))
    listed = rep.get("/api/v1/training-sessions").json
    assert got[("training_session", session["id"])]["data"] == listed[0]
    assert listed[0]["attendees"] == [{"contact_id": str(wang.id), "answers": [0, 0, 2], "score": 2, "quiz_size": 3}]
    topic_row = got[("training_topic", str(topic.id))]["data"]
    assert (topic_row["code"], len(topic_row["quiz"]), topic_row["quiz"][1]["answer"]) == ("P30-KNOW", 3, 1)
    for user, sees in ((world.rep_a1b, False), (world.manager_a, True), (world.hq, True), (world.manager_b, False)):
        pulled = snapshot(Device(api(user)))
        assert (("training_session", session["id"]) in pulled) is sees, user.username
        assert ("training_topic", str(topic.id)) in pulled  # reference data: everyone
    clerk = snapshot(Device(api(world.clerk_a1)))
    assert ("training_session", session["id"]) not in clerk and ("training_topic", str(topic.id)) in clerk
    # A topic HQ edits reaches devices as a change.
    cursor_device = Device(rep)
    _items, cursor, _body = cursor_device.pull_all()
    assert api(world.hq).patch(f"/api/v1/training/topics/{topic.id}", json={"title": "P30 卖点"}).status_code == 200
    changed, _cursor, _b = cursor_device.pull_all(cursor)
    assert [(c["entity"], c["data"]["title"]) for c in changed] == [("training_topic", "P30 卖点")]


def test_a_resend_after_the_rep_moved_territory_is_the_session_recorded(api, world):
    """A lost answer, then the rep moved to another territory: the session sent again (a
    reinstalled phone: new client id; or a retried request) is the one recorded, not a 404 for a
    store they no longer see. A new session there, or another rep with the id, is still refused."""
    topic = make_topic()
    wang = make_contact(world.store_a1, "小王")
    session = session_body(world.store_a1, topic, [(wang, [0, 1, 2])])
    first = Device(api(world.rep_a1))
    assert statuses(first.push([first.mutation("training.record", session)])) == ["applied"]
    moved = api(world.admin).patch(f"/api/v1/users/{world.rep_a1.id}", json={"territory_id": world.terr_a2.id})
    assert moved.status_code == 200, moved.json

    again = Device(api(world.rep_a1))
    assert statuses(again.push([again.mutation("training.record", session)])) == ["applied"]
    rest = api(world.rep_a1).post("/api/v1/training-sessions", json=session)
    assert rest.status_code == 200, rest.json
    assert (rest.json["id"], rest.json["store_id"], rest.json["attendees"][0]["score"]) == (
        session["id"],
        world.store_a1.id,
        3,
    )
    assert (rows(TrainingSession), rows(TrainingAttendance)) == (1, 1)
    [other] = again.push([again.mutation("training.record", session | {"duration_minutes": 60})]).json["results"]
    assert (other["status"], other["error"]["reason"]) == ("rejected", "training.id_taken_other_content")
    new = api(world.rep_a1).post("/api/v1/training-sessions", json=session | {"id": str(uuid.uuid4())})
    assert new.status_code == 404, new.json
    stranger = api(world.rep_b1).post("/api/v1/training-sessions", json=session)
    assert stranger.status_code == 404, stranger.json
    assert (rows(TrainingSession), rows(TrainingAttendance)) == (1, 1)
