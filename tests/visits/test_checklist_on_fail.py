"""Checklist items' `on_fail` (a failed answer must come with a reason or a photo) and the
display-check score the server and the PWA share (tests/vectors/display_score.json)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.visits import service
from backend.visits.models import DisplayCheck
from tests.factories import iso, new_id
from tests.sync.helpers import Device, check_in_args, display_check_args

VECTORS = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "display_score.json").read_text())


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_score_vectors(case):
    items = {i["id"]: SimpleNamespace(**i) for i in VECTORS["items"]}
    rows = [
        (items[i].weight, service.answer_passes(items[i].answer_type, items[i].target, value))
        for i, value in case["answers"]
    ]
    assert service.weighted_score(rows) == case["score"]


def test_score_vectors_through_score_answers(world):
    """The same rule as score_answers applies to stored items (one vector case, on the DB)."""
    world.yes_item.weight, world.number_item.weight = 1, 15
    world.number_item.target = 2
    db.session.flush()
    answers = [{"item_id": world.yes_item.id, "value": True}, {"item_id": world.number_item.id, "value": 1}]
    assert service.score_answers(answers) == 6.2  # 100/16 = 6.25, a tie: to even


def check_in(rep, store) -> str:
    vid = new_id()
    body = {
        "id": vid,
        "store_id": store.id,
        "checked_in_at": iso(utcnow() - timedelta(hours=1)),
        "latitude": store.latitude,
        "longitude": store.longitude,
        "accuracy_m": 15.0,
    }
    assert rep.post("/api/v1/visits", json=body).status_code == 201
    return vid


def body(world, visit_id, answers, **kw) -> dict:
    return {
        "id": new_id(),
        "visit_id": visit_id,
        "checked_at": iso(utcnow() - timedelta(minutes=30)),
        "answers": answers,
        **kw,
    }


@pytest.mark.parametrize(
    "on_fail,reason,photo,needs",
    [
        ("reason", None, False, "reason"),
        ("reason", "   ", False, "reason"),  # blank is no reason
        ("reason", None, True, "reason"),  # a photo is not a reason
        ("photo", "broken", False, "photo"),  # a reason is not a photo
        ("photo_or_reason", None, False, "photo_or_reason"),
    ],
)
def test_failed_item_without_what_it_needs_is_refused(api, world, on_fail, reason, photo, needs):
    world.yes_item.on_fail = on_fail
    db.session.flush()
    rep = api(world.rep_a1)
    vid = check_in(rep, world.store_a1)
    answer = {"item_id": world.yes_item.id, "value": False} | ({"reason": reason} if reason is not None else {})
    r = rep.post(
        "/api/v1/display-checks", json=body(world, vid, [answer], **({"photo_ids": [new_id()]} if photo else {}))
    )
    assert r.status_code == 422, r.json
    assert r.json["code"] == "checklist_evidence_missing"
    assert r.json["details"] == {"item_id": world.yes_item.id, "item": world.yes_item.code, "needs": needs}
    assert (r.json["reason"], r.json["params"]) == (f"display.needs_{needs}", {"item": world.yes_item.code})
    assert "answers" in r.json["errors"]["json"]
    assert db.session.query(DisplayCheck).count() == 0


@pytest.mark.parametrize(
    "on_fail,reason,photo",
    [
        ("none", None, False),
        ("reason", "店方装修中", False),
        ("photo", None, True),
        ("photo_or_reason", "灯箱坏了", False),
        ("photo_or_reason", None, True),
    ],
)
def test_failed_item_with_what_it_needs_is_recorded(api, world, on_fail, reason, photo):
    world.number_item.on_fail = on_fail
    db.session.flush()
    rep = api(world.rep_a1)
    vid = check_in(rep, world.store_a1)
    answer = {"item_id": world.number_item.id, "value": 0} | ({"reason": reason} if reason else {})
    payload = body(world, vid, [answer, {"item_id": world.yes_item.id, "value": True}])
    if photo:
        payload["photo_ids"] = [new_id()]
    r = rep.post("/api/v1/display-checks", json=payload)
    assert r.status_code == 201, r.json
    stored = db.session.get(DisplayCheck, uuid.UUID(payload["id"]))
    assert stored.answers[0] == answer  # the reason is kept with its answer
    assert stored.score == round(100 * world.yes_item.weight / (world.yes_item.weight + world.number_item.weight), 1)


def test_passing_answers_need_nothing(api, world):
    world.yes_item.on_fail = world.number_item.on_fail = "photo"
    db.session.flush()
    rep = api(world.rep_a1)
    vid = check_in(rep, world.store_a1)
    answers = [{"item_id": world.yes_item.id, "value": True}, {"item_id": world.number_item.id, "value": 99}]
    assert rep.post("/api/v1/display-checks", json=body(world, vid, answers)).status_code == 201


def test_sync_push_refuses_with_the_same_code(api, world):
    world.yes_item.on_fail = "reason"
    db.session.flush()
    device = Device(api(world.rep_a1))
    vid = str(uuid.uuid4())
    bad = display_check_args(vid, world.yes_item.id, answers=[{"item_id": world.yes_item.id, "value": False}])
    good = display_check_args(
        vid, world.yes_item.id, answers=[{"item_id": world.yes_item.id, "value": False, "reason": "在装修"}]
    )
    r = device.push(
        [
            device.mutation("visit.check_in", check_in_args(world.store_a1, vid)),
            device.mutation("display.check", bad),
            device.mutation("display.check", good),
        ]
    )
    assert r.status_code == 200, r.json
    results = r.json["results"]
    assert [x["status"] for x in results] == ["applied", "rejected", "applied"]
    assert results[1]["error"]["code"] == "checklist_evidence_missing"
    assert results[1]["error"]["details"]["needs"] == "reason"
    assert results[1]["error"]["reason"] == "display.needs_reason"


def test_reason_is_bounded(api, world):
    rep = api(world.rep_a1)
    vid = check_in(rep, world.store_a1)
    answer = {"item_id": world.yes_item.id, "value": False, "reason": "x" * 501}
    r = rep.post("/api/v1/display-checks", json=body(world, vid, [answer]))
    assert r.status_code == 422


def test_on_fail_is_set_by_admins_and_pulled_by_phones(api, world):
    admin = api(world.admin)
    item = admin.get(f"/api/v1/checklist-items/{world.yes_item.id}").json
    assert item["on_fail"] == "none"  # the default (the migration's server default too)
    r = admin.patch(f"/api/v1/checklist-items/{world.yes_item.id}", json={"on_fail": "photo_or_reason"})
    assert r.status_code == 200, r.json
    assert r.json["on_fail"] == "photo_or_reason"
    bad = admin.patch(f"/api/v1/checklist-items/{world.yes_item.id}", json={"on_fail": "sometimes"})
    assert bad.status_code == 422
    assert "on_fail" in bad.json["errors"]["json"]
    changes, _, _ = Device(api(world.rep_a1)).pull_all()
    pulled = [c for c in changes if c.get("entity") == "checklist_item" and str(c.get("id")) == str(world.yes_item.id)]
    assert pulled and pulled[-1]["data"]["on_fail"] == "photo_or_reason"
