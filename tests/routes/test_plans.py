"""Visit plans: the proposed order of a day's stores (never longer than the order picked), saving a
rep's plan for a day (one per rep and day, replaced by a later save — over REST only when the save
names the plan it replaces, else 409 plan.exists with the change), who may plan for whom, the
plan reaching the rep's phone by sync, and plan compliance per rep per ISO week."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from backend.core.geo import distance_m
from backend.core.timeutil import business_today
from backend.extensions import db
from backend.routes.geometry import path_length
from backend.routes.models import VisitPlan
from tests.routes.helpers import days_ago, local, plan_body, position, street, visit
from tests.sync.helpers import Device

ORDER = "/api/v1/route-order"
PLANS = "/api/v1/visit-plans"
COMPLIANCE = "/api/v1/visit-plans/compliance"


def length(start, stores) -> float:
    points = [position(s) for s in stores]
    return path_length(start, points, range(len(points)), distance_m)


# --- proposing an order -------------------------------------------------------------------------------


def test_the_proposed_order_follows_the_street_and_says_what_it_saves(api, world):
    s1, s2, s3, s4 = street(world, 4)  # 1, 2, 3 and 4 km east of A1-001
    start = position(world.store_a1)
    picked = [s3, s1, s4, s2]
    r = api(world.rep_a1).post(
        ORDER, json={"store_ids": [s.id for s in picked], "start_latitude": start[0], "start_longitude": start[1]}
    )
    assert r.status_code == 200, r.json
    assert r.json["store_ids"] == [s1.id, s2.id, s3.id, s4.id]
    assert r.json["picked_store_ids"] == [s.id for s in picked]
    picked_m, planned_m = length(start, picked), length(start, [s1, s2, s3, s4])
    assert r.json["distance_picked_m"] == pytest.approx(picked_m, abs=0.05)
    assert r.json["distance_planned_m"] == pytest.approx(planned_m, abs=0.05)
    assert r.json["saved_m"] == pytest.approx(picked_m - planned_m, abs=0.1)
    # by hand: 3 + 2 + 3 + 2 = 10 steps picked, 4 steps planned, a step being 0.01° of longitude
    step = distance_m(position(s1), position(s2))
    assert planned_m == pytest.approx(4 * step, rel=1e-3) and picked_m == pytest.approx(10 * step, rel=1e-3)


def test_already_in_the_best_order_nothing_is_saved(api, world):
    stores = street(world, 3)
    r = api(world.manager_a).post(ORDER, json={"store_ids": [s.id for s in stores]})
    assert r.status_code == 200, r.json
    assert r.json["store_ids"] == [s.id for s in stores]
    assert r.json["saved_m"] == 0
    assert r.json["distance_planned_m"] == r.json["distance_picked_m"]


def test_without_a_start_either_end_will_do(api, world):
    s1, s2, s3, s4 = street(world, 4)
    r = api(world.rep_a1).post(ORDER, json={"store_ids": [s2.id, s4.id, s1.id, s3.id]})
    assert r.status_code == 200, r.json
    assert r.json["store_ids"] in ([s1.id, s2.id, s3.id, s4.id], [s4.id, s3.id, s2.id, s1.id])
    assert r.json["saved_m"] > 0
    assert r.json["distance_planned_m"] == pytest.approx(length(None, [s1, s2, s3, s4]), abs=0.05)


def test_proposing_checks_the_stores_and_the_caller(api, world):
    rep = api(world.rep_a1)
    a1, a1b, a2, b1 = world.store_a1, world.store_a1b, world.store_a2, world.store_b1
    for store_ids in ([a1.id, a2.id], [a1.id, b1.id], [a1.id, 99999], [], [a1.id, a1.id], list(range(1, 42))):
        r = rep.post(ORDER, json={"store_ids": store_ids})
        assert r.status_code == 422, (store_ids, r.json)
        assert "store_ids" in r.json["errors"]["json"], r.json
    r = rep.post(ORDER, json={"store_ids": [a1.id], "start_latitude": 23.1})
    assert r.status_code == 422 and "start_longitude" in r.json["errors"]["json"]
    # A manager orders any stores of the region; a manager of another region none of them.
    assert api(world.manager_a).post(ORDER, json={"store_ids": [a1.id, a2.id, a1b.id]}).status_code == 200
    assert api(world.manager_b).post(ORDER, json={"store_ids": [a1.id]}).status_code == 422
    assert api(world.admin).post(ORDER, json={"store_ids": [a1.id, b1.id]}).status_code == 200
    # Only those who plan ask for an order.
    assert api(world.clerk_a1).post(ORDER, json={"store_ids": [a1.id]}).status_code == 403
    assert api(world.hq).post(ORDER, json={"store_ids": [a1.id]}).status_code == 403


# --- saving a plan -------------------------------------------------------------------------------------


def save(client, body, status):
    r = client.post(PLANS, json=body)
    assert r.status_code == status, r.json
    return r.json


def test_a_rep_plans_their_day_and_saving_again_replaces_it(api, world):
    s1, s2, s3 = street(world, 3)
    today = business_today()
    rep = api(world.rep_a1)
    first = save(rep, plan_body(today, [s3, s1, s2], note="先去远的"), 201)
    assert first["rep_id"] == world.rep_a1.id and first["day"] == today.isoformat()
    assert first["store_ids"] in ([s1.id, s2.id, s3.id], [s3.id, s2.id, s1.id])  # along the street
    assert first["picked_store_ids"] == [s3.id, s1.id, s2.id]
    assert first["distance_planned_m"] == pytest.approx(length(None, [s1, s2, s3]), abs=0.05)
    assert first["distance_picked_m"] == pytest.approx(length(None, [s3, s1, s2]), abs=0.05)
    assert first["note"] == "先去远的"
    assert first["created_by"] == first["updated_by"] == world.rep_a1.id
    assert first["start_latitude"] is None and "optimise" not in first

    # The manager changes it: another client id, other stores, a start point, in the order picked.
    start = position(world.store_a1)
    body = plan_body(
        today,
        [s2, world.store_a1b],
        rep_id=world.rep_a1.id,
        start_latitude=start[0],
        start_longitude=start[1],
        optimise=False,
    )
    # Over REST a different plan is not replaced unseen: 409 with what would change…
    refused = save(api(world.manager_a), body, 409)
    assert refused["reason"] == "plan.exists" and "replaces" in refused["errors"]["json"]
    assert refused["params"] | {"updated_at": None} == {
        "plan_id": first["id"],
        "updated_at": None,
        "updated_by": world.rep_a1.id,
        "updated_by_name": world.rep_a1.display_name,
        "stores": 3,
        "added": [world.store_a1b.id],
        "removed": [sid for sid in first["store_ids"] if sid != s2.id],
        "kept": [s2.id],
        "order_changed": False,
        "note_changed": True,
    }
    assert refused["params"]["updated_at"] == first["updated_at"]
    assert api(world.rep_a1).get(f"{PLANS}/{first['id']}").json["store_ids"] == first["store_ids"]
    # … and replaced when the save names the plan it replaces (its updated_at).
    body["replaces"] = first["updated_at"]
    second = save(api(world.manager_a), body, 200)
    assert second["id"] == first["id"] != body["id"]
    assert second["store_ids"] == second["picked_store_ids"] == [s2.id, world.store_a1b.id]
    assert (second["start_latitude"], second["start_longitude"]) == start
    assert second["distance_planned_m"] == second["distance_picked_m"]
    assert second["created_by"] == world.rep_a1.id and second["updated_by"] == world.manager_a.id
    assert second["note"] == ""
    assert db.session.query(VisitPlan).count() == 1
    assert api(world.rep_a1).get(f"{PLANS}/{first['id']}").json["store_ids"] == [s2.id, world.store_a1b.id]
    # The next day is another plan.
    third = save(rep, plan_body(today + timedelta(days=1), [s1]), 201)
    assert third["id"] != first["id"]
    # Saving the same body again is harmless: the plan stays as it is.
    again = save(api(world.manager_a), body, 200)
    assert again["store_ids"] == second["store_ids"] and again["id"] == first["id"]


def test_saving_over_a_plan_asks_first_unless_nothing_changes(api, world):
    """The issue's case: a manager saving a new plan for a day that has a six-store plan is told
    so, with the change; the same plan again, or a save naming the current plan, goes through;
    a save naming an older version of the plan (someone saved meanwhile) is refused again."""
    stores = street(world, 7, step_deg=0.002)
    today = business_today()
    manager = api(world.manager_a)
    six = save(manager, plan_body(today, stores[:6], rep_id=world.rep_a1.id, optimise=False), 201)
    assert save(manager, plan_body(today, stores[:6], rep_id=world.rep_a1.id, optimise=False), 200)["id"] == six["id"]
    # Reordered, one dropped, one added.
    picked = [stores[6], stores[4], stores[0], stores[1], stores[2], stores[3]]
    body = plan_body(today, picked, rep_id=world.rep_a1.id, optimise=False)
    r = save(manager, body, 409)
    assert r["params"]["added"] == [stores[6].id]
    assert r["params"]["removed"] == [stores[5].id]
    assert r["params"]["kept"] == [s.id for s in picked[1:]]
    assert r["params"]["order_changed"] is True and r["params"]["stores"] == 6
    assert r["params"]["updated_by_name"] == world.manager_a.display_name
    # The rep's phone changes the plan meanwhile: the manager's confirmation is stale.
    phone = Device(api(world.rep_a1))
    pushed = phone.push([phone.mutation("plan.save", plan_body(today, stores[:2], optimise=False))])
    assert pushed.json["results"][0]["status"] == "applied"
    stale = save(manager, body | {"replaces": r["params"]["updated_at"]}, 409)
    assert stale["params"]["stores"] == 2 and stale["params"]["updated_by"] == world.rep_a1.id
    done = save(manager, body | {"replaces": stale["params"]["updated_at"]}, 200)
    assert done["id"] == six["id"] and done["store_ids"] == [s.id for s in picked]
    # A malformed `replaces` is a 422, not a replacement.
    r = manager.post(PLANS, json=plan_body(today, stores[:1], rep_id=world.rep_a1.id) | {"replaces": "soon"})
    assert r.status_code == 422 and "replaces" in r.json["errors"]["json"]
    assert db.session.get(VisitPlan, uuid.UUID(six["id"])).store_ids == [s.id for s in picked]


def test_who_plans_for_whom(api, world):
    today = business_today()
    a1 = world.store_a1
    mine = plan_body(today, [a1])
    # A rep plans their own days only.
    r = api(world.rep_a1).post(PLANS, json=plan_body(today, [a1], rep_id=world.rep_a1b.id))
    assert r.status_code == 403
    assert r.json["reason"] == "plan.own_days_only"
    r = api(world.rep_a1).post(PLANS, json=plan_body(today, [a1], rep_id=world.rep_b1.id))
    assert r.status_code == 403
    save(api(world.rep_a1), mine | {"rep_id": world.rep_a1.id}, 201)
    # Managers plan for their region's reps; another region's rep is not found.
    save(api(world.manager_a), plan_body(today, [world.store_a2], rep_id=world.rep_a2.id), 201)
    r = api(world.manager_b).post(PLANS, json=plan_body(today, [a1], rep_id=world.rep_a1b.id))
    assert r.status_code == 404 and "rep_id" in r.json["errors"]["json"]
    r = api(world.manager_a).post(PLANS, json=plan_body(today, [a1], rep_id=world.manager_a.id))
    assert r.status_code == 404  # not a rep
    # Someone has to say whose plan it is.
    r = api(world.manager_a).post(PLANS, json=plan_body(today, [a1]))
    assert r.status_code == 422 and "rep_id" in r.json["errors"]["json"]
    save(api(world.admin), plan_body(today, [world.store_b1], rep_id=world.rep_b1.id), 201)
    r = api(world.admin).post(PLANS, json=plan_body(today, [world.store_b1], rep_id=99999))
    assert r.status_code == 404
    assert api(world.hq).post(PLANS, json=plan_body(today, [a1], rep_id=world.rep_a1b.id)).status_code == 403
    assert api(world.clerk_a1).post(PLANS, json=plan_body(today, [a1], rep_id=world.rep_a1b.id)).status_code == 403
    assert db.session.query(VisitPlan).count() == 3


def test_a_plan_holds_stores_of_the_reps_territory_only(api, world):
    today = business_today()
    manager = api(world.manager_a)
    cases = [
        [world.store_a1, world.store_a2],  # the manager's region, not the rep's territory
        [world.store_a1, world.store_b1],  # another region
    ]
    for stores in cases:
        r = manager.post(PLANS, json=plan_body(today, stores, rep_id=world.rep_a1.id))
        assert r.status_code == 422, r.json
        assert "store_ids" in r.json["errors"]["json"]
        assert str(stores[-1].id) in r.json["message"]
    r = api(world.admin).post(PLANS, json=plan_body(today, [world.store_b1], rep_id=world.rep_a1.id))
    assert r.status_code == 422 and "store_ids" in r.json["errors"]["json"]
    r = api(world.rep_a1).post(PLANS, json=plan_body(today, [world.store_a2]))
    assert r.status_code == 422 and "store_ids" in r.json["errors"]["json"]
    assert db.session.query(VisitPlan).count() == 0


@pytest.mark.parametrize(
    "store_ids",
    [[], "twice", "too many", [99999]],
)
def test_bad_store_lists_are_refused(api, world, store_ids):
    if store_ids == "twice":
        store_ids = [world.store_a1.id, world.store_a1b.id, world.store_a1.id]
    elif store_ids == "too many":
        store_ids = [s.id for s in street(world, 41, step_deg=0.001)]
    body = plan_body(business_today(), []) | {"store_ids": store_ids}
    r = api(world.rep_a1).post(PLANS, json=body)
    assert r.status_code == 422, r.json
    assert "store_ids" in r.json["errors"]["json"]
    assert db.session.query(VisitPlan).count() == 0


def test_forty_stores_is_the_most(api, world):
    stores = street(world, 40, step_deg=0.001)
    r = api(world.rep_a1).post(PLANS, json=plan_body(business_today(), stores[::-1]))
    assert r.status_code == 201, r.json
    assert r.json["distance_planned_m"] <= r.json["distance_picked_m"]


def test_past_days_cannot_be_planned(api, world):
    rep = api(world.rep_a1)
    r = rep.post(PLANS, json=plan_body(days_ago(2), [world.store_a1]))
    assert r.status_code == 422 and "day" in r.json["errors"]["json"]
    r = rep.post(PLANS, json=plan_body(days_ago(30), [world.store_a1]))
    assert r.status_code == 422 and "day" in r.json["errors"]["json"]
    # Yesterday stays open (an evening's entries synced after midnight); today and later are fine.
    save(rep, plan_body(days_ago(1), [world.store_a1]), 201)
    save(rep, plan_body(business_today(), [world.store_a1]), 201)
    save(rep, plan_body(business_today() + timedelta(days=30), [world.store_a1]), 201)


def test_a_plan_id_belongs_to_one_rep_and_day(api, world):
    today = business_today()
    body = save(api(world.rep_a1), plan_body(today, [world.store_a1]), 201)
    r = api(world.rep_a1).post(PLANS, json=plan_body(today + timedelta(days=1), [world.store_a1], id=body["id"]))
    assert r.status_code == 409 and "id" in r.json["errors"]["json"]
    r = api(world.rep_a1b).post(PLANS, json=plan_body(today, [world.store_a1], id=body["id"]))
    assert r.status_code == 409
    assert db.session.query(VisitPlan).count() == 1


# --- reading and dropping plans ---------------------------------------------------------------------


@pytest.fixture
def plans(api, world):
    today = business_today()
    manager_a, manager_b = api(world.manager_a), api(world.manager_b)
    made = {
        "a1": save(manager_a, plan_body(today, [world.store_a1], rep_id=world.rep_a1.id), 201)["id"],
        "a1_later": save(
            manager_a, plan_body(today + timedelta(days=2), [world.store_a1b], rep_id=world.rep_a1.id), 201
        )["id"],
        "a1b": save(manager_a, plan_body(today, [world.store_a1], rep_id=world.rep_a1b.id), 201)["id"],
        "a2": save(manager_a, plan_body(today, [world.store_a2], rep_id=world.rep_a2.id), 201)["id"],
        "b1": save(manager_b, plan_body(today, [world.store_b1], rep_id=world.rep_b1.id), 201)["id"],
    }
    return made


def listed(client, **query) -> list[str]:
    r = client.get(PLANS, query_string=query)
    assert r.status_code == 200, r.json
    return [p["id"] for p in r.json]


def test_listing_plans_in_scope(api, world, plans):
    p = plans
    # latest day first, then by rep
    assert listed(api(world.manager_a)) == [p["a1_later"], p["a1"], p["a1b"], p["a2"]]
    assert listed(api(world.manager_b)) == [p["b1"]]
    assert listed(api(world.rep_a1)) == [p["a1_later"], p["a1"]]
    assert listed(api(world.hq)) == [p["a1_later"], p["a1"], p["a1b"], p["a2"], p["b1"]]
    assert listed(api(world.manager_a), rep_id=world.rep_a1b.id) == [p["a1b"]]
    assert listed(api(world.manager_a), rep_id=world.rep_b1.id) == []
    today = business_today()
    assert listed(api(world.rep_a1), since=(today + timedelta(days=1)).isoformat()) == [p["a1_later"]]
    assert listed(api(world.rep_a1), until=today.isoformat()) == [p["a1"]]
    assert api(world.clerk_a1).get(PLANS).status_code == 403


@pytest.mark.parametrize(
    "who, plan, status",
    [
        ("rep_a1", "a1", 200),
        ("rep_a1", "a1b", 404),
        ("manager_a", "a2", 200),
        ("manager_a", "b1", 404),
        ("manager_b", "a1", 404),
        ("hq", "b1", 200),
        ("admin", "a1", 200),
        ("clerk_a1", "a1", 403),
    ],
)
def test_reading_one_plan(api, world, plans, who, plan, status):
    r = api(world.users[who]).get(f"{PLANS}/{plans[plan]}")
    assert r.status_code == status, r.json
    if status == 200:
        assert r.json["id"] == plans[plan]


def test_dropping_a_plan(api, world, plans):
    p = plans
    assert api(world.rep_a1).delete(f"{PLANS}/{p['a1b']}").status_code == 404  # another rep's
    assert api(world.manager_b).delete(f"{PLANS}/{p['a1']}").status_code == 404
    assert api(world.hq).delete(f"{PLANS}/{p['a1']}").status_code == 403
    assert api(world.clerk_a1).delete(f"{PLANS}/{p['a1']}").status_code == 403
    assert api(world.rep_a1).delete(f"{PLANS}/{p['a1']}").status_code == 204
    assert api(world.manager_a).delete(f"{PLANS}/{p['a2']}").status_code == 204
    assert api(world.admin).delete(f"{PLANS}/{p['b1']}").status_code == 204
    assert api(world.rep_a1).get(f"{PLANS}/{p['a1']}").status_code == 404
    assert api(world.rep_a1).delete(f"{PLANS}/{p['a1']}").status_code == 404
    assert listed(api(world.hq)) == [p["a1_later"], p["a1b"]]


# --- sync: the plan reaches the rep's phone ------------------------------------------------------------


def plan_items(items: list[dict]) -> list[dict]:
    return [i for i in items if i["entity"] == "visit_plan"]


def test_a_plan_pushed_by_the_manager_reaches_the_reps_phone(api, world):
    rep_phone, rep_b1_phone, peer_phone = (
        Device(api(world.rep_a1)),
        Device(api(world.rep_b1)),
        Device(api(world.rep_a1b)),
    )
    manager_pc = Device(api(world.manager_a))
    cursors = {}
    for name, device in (("rep", rep_phone), ("b1", rep_b1_phone), ("peer", peer_phone), ("mgr", manager_pc)):
        items, cursors[name], _ = device.pull_all()
        assert plan_items(items) == []
    s1, s2 = street(world, 2)
    body = plan_body(business_today(), [s2, world.store_a1, s1], rep_id=world.rep_a1.id, note="周一")
    r = manager_pc.push([manager_pc.mutation("plan.save", body)])
    assert r.status_code == 200 and r.json["results"][0]["status"] == "applied", r.json

    [item] = plan_items(rep_phone.pull_all(cursors["rep"])[0])
    assert (item["id"], item["op"]) == (body["id"], "put")
    assert item["data"]["store_ids"] in ([world.store_a1.id, s1.id, s2.id], [s2.id, s1.id, world.store_a1.id])
    assert item["data"]["picked_store_ids"] == [s2.id, world.store_a1.id, s1.id]
    assert (item["data"]["rep_id"], item["data"]["note"], item["data"]["day"]) == (
        world.rep_a1.id,
        "周一",
        business_today().isoformat(),
    )
    [mine] = plan_items(manager_pc.pull_all(cursors["mgr"])[0])
    assert mine["id"] == body["id"] and mine["op"] == "put"
    assert plan_items(rep_b1_phone.pull_all(cursors["b1"])[0]) == []
    assert plan_items(peer_phone.pull_all(cursors["peer"])[0]) == []
    # A fresh snapshot has it too, for the rep and the manager only.
    assert [i["id"] for i in plan_items(Device(api(world.rep_a1)).pull_all()[0])] == [body["id"]]
    assert [i["id"] for i in plan_items(Device(api(world.hq)).pull_all()[0])] == [body["id"]]
    assert plan_items(Device(api(world.rep_b1)).pull_all()[0]) == []
    assert plan_items(Device(api(world.manager_b)).pull_all()[0]) == []
    _, cursors["rep"], _ = rep_phone.pull_all(cursors["rep"])
    _, cursors["b1"], _ = rep_b1_phone.pull_all(cursors["b1"])

    # Dropped by the manager: the rep's phone is told to delete it.
    assert api(world.manager_a).delete(f"{PLANS}/{body['id']}").status_code == 204
    assert plan_items(rep_phone.pull_all(cursors["rep"])[0]) == [
        {"entity": "visit_plan", "id": body["id"], "op": "delete"}
    ]
    assert plan_items(rep_b1_phone.pull_all(cursors["b1"])[0]) == []


def test_a_rep_saves_their_own_plan_from_the_phone(api, world):
    phone = Device(api(world.rep_a1))
    _, cursor, _ = phone.pull_all()
    mine = plan_body(business_today(), [world.store_a1b, world.store_a1])
    someone_elses = plan_body(business_today(), [world.store_a1], rep_id=world.rep_a1b.id)
    outside = plan_body(business_today() + timedelta(days=1), [world.store_a2])
    r = phone.push([phone.mutation("plan.save", b) for b in (mine, someone_elses, outside)])
    results = r.json["results"]
    assert results[0]["status"] == "applied", results
    assert (results[1]["status"], results[1]["error"]["code"]) == ("rejected", "forbidden")
    assert (results[2]["status"], results[2]["error"]["code"]) == ("rejected", "invalid")
    assert results[2]["error"]["field"] == "store_ids"
    [item] = plan_items(phone.pull_all(cursor)[0])
    assert item["id"] == mine["id"] and item["data"]["rep_id"] == world.rep_a1.id
    assert db.session.query(VisitPlan).count() == 1


# --- compliance -------------------------------------------------------------------------------------------


def iso_week(day) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


@pytest.fixture
def planned_days(api, world):
    """Yesterday (Y): rep_a1 planned A1-001, A1-002 and a street store and visited A1-001 (twice)
    and another street store; A1-002 the day before, which does not count. rep_a1b planned and
    visited A1-001. A week before Y, rep_a1 planned A1-001 and A1-002 and visited A1-002 only.
    rep_b1 planned their store and did not go. Days without a plan do not count."""
    y = days_ago(1)
    s1, s2 = street(world, 2)
    rep, peer = api(world.rep_a1), api(world.rep_a1b)
    save(rep, plan_body(y, [world.store_a1, world.store_a1b, s1]), 201)
    save(peer, plan_body(y, [world.store_a1]), 201)
    save(api(world.rep_b1), plan_body(y, [world.store_b1]), 201)
    week_before = y - timedelta(days=7)
    db.session.add(
        VisitPlan(
            id=uuid.uuid4(),
            rep_id=world.rep_a1.id,
            day=week_before,
            store_ids=[world.store_a1.id, world.store_a1b.id],
            picked_store_ids=[world.store_a1.id, world.store_a1b.id],
            distance_picked_m=0,
            distance_planned_m=0,
            created_by=world.manager_a.id,
            updated_by=world.manager_a.id,
        )
    )
    db.session.commit()
    visit(rep, world.store_a1, local(y, 9), 30)
    visit(rep, world.store_a1, local(y, 15), 10)
    visit(rep, s2, local(y, 11), 20)
    visit(rep, world.store_a1b, local(y - timedelta(days=1), 23, 30), 20)
    visit(peer, world.store_a1, local(y, 10), 20)
    visit(rep, world.store_a1b, local(week_before, 10), 20)
    visit(rep, world.store_a1b, local(y - timedelta(days=3), 10), 20)  # no plan that day
    return {"since": week_before.isoformat(), "until": y.isoformat(), "y": y, "before": week_before}


def compliance_rows(r) -> list[tuple]:
    assert r.status_code == 200, r.json
    return [
        (row["rep_id"], row["week"], row["planned"], row["visited"], row["unplanned_visits"], row["compliance"])
        for row in r.json
    ]


def test_compliance_per_rep_per_week(api, world, planned_days):
    w, period = world, {"since": planned_days["since"], "until": planned_days["until"]}
    this_week, last_week = iso_week(planned_days["y"]), iso_week(planned_days["before"])
    assert compliance_rows(api(w.manager_a).get(COMPLIANCE, query_string=period)) == [
        (w.rep_a1.id, last_week, 2, 1, 0, 0.5),
        (w.rep_a1.id, this_week, 3, 1, 1, 0.333),
        (w.rep_a1b.id, this_week, 1, 1, 0, 1.0),
    ]
    row = api(w.manager_a).get(COMPLIANCE, query_string=period).json[0]
    assert row["rep_name"] == "Rep A1"
    assert compliance_rows(api(w.manager_b).get(COMPLIANCE, query_string=period)) == [
        (w.rep_b1.id, this_week, 1, 0, 0, 0.0)
    ]
    assert [r[0] for r in compliance_rows(api(w.rep_a1).get(COMPLIANCE, query_string=period))] == [w.rep_a1.id] * 2
    assert len(compliance_rows(api(w.hq).get(COMPLIANCE, query_string=period))) == 4
    only_y = {"since": planned_days["y"].isoformat(), "until": planned_days["y"].isoformat()}
    assert compliance_rows(api(w.manager_a).get(COMPLIANCE, query_string=only_y | {"territory_id": w.terr_a1.id})) == [
        (w.rep_a1.id, this_week, 3, 1, 1, 0.333),
        (w.rep_a1b.id, this_week, 1, 1, 0, 1.0),
    ]
    assert api(w.clerk_a1).get(COMPLIANCE, query_string=period).status_code == 403


def test_compliance_defaults_to_the_last_four_weeks(api, world, planned_days):
    """Without `since`/`until` the period is the 28 days up to today: the same rows as asking
    for them, and a plan from six weeks ago is outside it."""
    w = world
    today = days_ago(0)
    explicit = {"since": (today - timedelta(days=27)).isoformat(), "until": today.isoformat()}
    rows = compliance_rows(api(w.manager_a).get(COMPLIANCE))
    assert rows and rows == compliance_rows(api(w.manager_a).get(COMPLIANCE, query_string=explicit))
    old = today - timedelta(days=40)
    db.session.add(
        VisitPlan(
            id=uuid.uuid4(),
            rep_id=w.rep_a2.id,
            day=old,
            store_ids=[w.store_a1.id],
            picked_store_ids=[w.store_a1.id],
            distance_picked_m=0,
            distance_planned_m=0,
            created_by=w.manager_a.id,
            updated_by=w.manager_a.id,
        )
    )
    db.session.commit()
    assert w.rep_a2.id not in [r[0] for r in compliance_rows(api(w.manager_a).get(COMPLIANCE))]
    since_only = compliance_rows(api(w.manager_a).get(COMPLIANCE, query_string={"since": old.isoformat()}))
    assert [r[0] for r in since_only] == [w.rep_a2.id]


def test_compliance_period_checks(api, world):
    manager = api(world.manager_a)
    r = manager.get(COMPLIANCE, query_string={"since": "2026-03-10", "until": "2026-03-01"})
    assert r.status_code == 422 and "until" in r.json["errors"]["query"]
    r = manager.get(COMPLIANCE, query_string={"since": "2026-01-01", "until": "2026-06-01"})
    assert r.status_code == 422 and "until" in r.json["errors"]["query"]
    r = manager.get(COMPLIANCE, query_string={"since": "2026-01-01", "until": "2026-01-31"})
    assert r.status_code == 200 and r.json == []
