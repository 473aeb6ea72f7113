"""A store's position cannot be moved by a rep beyond STORE_MOVE_APPROVAL_M without a manager:
the move is held as a proposal, approved or rejected by a manager of the store's region (or HQ,
an admin); every change of a store's fields is kept in its history."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from geopy.distance import geodesic

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.stores.models import Store, StoreHistory, StorePositionProposal
from tests.factories import TIANHE, iso


def at(origin, metres, bearing=45.0):
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


def store_url(store) -> str:
    return f"/api/v1/stores/{store.id}"


def check_in(client, store, position, accuracy=10.0):
    body = {
        "id": str(uuid.uuid4()),
        "store_id": store.id,
        "checked_in_at": iso(utcnow() - timedelta(minutes=5)),
        "latitude": position[0],
        "longitude": position[1],
        "accuracy_m": accuracy,
    }
    r = client.post("/api/v1/visits", json=body)
    assert r.status_code == 201, r.json
    return r.json


def position_of(store_id: int) -> tuple[float, float]:
    db.session.expire_all()
    store = db.session.get(Store, store_id)
    return store.latitude, store.longitude


def proposals(client, **query):
    r = client.get("/api/v1/store-position-proposals", query_string=query)
    assert r.status_code == 200, r.json
    return r.json


def history(client, store, **query):
    r = client.get(f"{store_url(store)}/history", query_string=query)
    assert r.status_code == 200, r.json
    return r.json


def propose(api, world, metres=45_000.0, note=None):
    """rep_a1 moves store_a1 `metres` away over REST; returns (response body, proposed point)."""
    there = at(TIANHE, metres)
    body = {"latitude": there[0], "longitude": there[1]}
    if note is not None:
        body["position_note"] = note
    r = api(world.rep_a1).patch(store_url(world.store_a1), json=body)
    assert r.status_code == 200, r.json
    return r.json, there


# --- the attack --------------------------------------------------------------------------------


def test_a_rep_cannot_move_the_store_to_check_in_far_away_and_move_it_back(world, api, app):
    """Move the store 45 km to where the rep stands, check in there, move it back: the store
    never moves, the move waits for a manager, and the check-in is off-site."""
    rep = api(world.rep_a1)
    here = at(TIANHE, 45_000)
    r = rep.patch(store_url(world.store_a1), json={"latitude": here[0], "longitude": here[1]})
    assert r.status_code == 200, r.json
    assert (r.json["latitude"], r.json["longitude"]) == TIANHE  # the answer shows the store unmoved
    held = r.json["pending_position"]
    assert held["status"] == "pending" and (held["latitude"], held["longitude"]) == pytest.approx(here)
    assert held["distance_m"] == pytest.approx(45_000, abs=1)
    assert held["proposed_by"] == world.rep_a1.id and held["channel"] == "rest"

    visit = check_in(rep, world.store_a1, here)
    assert visit["off_site"] is True
    assert visit["distance_m"] == pytest.approx(45_000, abs=1)

    back = rep.patch(store_url(world.store_a1), json={"latitude": TIANHE[0], "longitude": TIANHE[1]})
    assert back.status_code == 200 and back.json["pending_position"] is None

    assert position_of(world.store_a1.id) == TIANHE
    pending = proposals(api(world.manager_a), status="pending")
    assert [p["id"] for p in pending] == [held["id"]]
    # Nothing of the position was ever written to the store, so its history has no position row.
    assert not [h for h in history(rep, world.store_a1) if h["field"] in ("latitude", "longitude")]


def test_small_moves_apply_but_cannot_add_up_to_a_big_one(world, api, app):
    threshold = app.config["STORE_MOVE_APPROVAL_M"]
    rep = api(world.rep_a1)
    first = at(TIANHE, threshold * 0.75, 90)
    r = rep.patch(store_url(world.store_a1), json={"latitude": first[0], "longitude": first[1]})
    assert r.json["pending_position"] is None and (r.json["latitude"], r.json["longitude"]) == first
    # Another 0.75 × threshold further east: small from where the store is, too far from where a
    # manager last put it.
    second = at(first, threshold * 0.75, 90)
    r = rep.patch(store_url(world.store_a1), json={"latitude": second[0], "longitude": second[1]})
    assert r.json["pending_position"] is not None
    assert (r.json["latitude"], r.json["longitude"]) == first
    assert r.json["pending_position"]["distance_m"] == pytest.approx(threshold * 0.75, abs=1)
    # Latitude alone counts the same way.
    r = rep.patch(store_url(world.store_a1), json={"latitude": TIANHE[0] + 0.01})
    assert r.json["pending_position"]["longitude"] == first[1]
    assert position_of(world.store_a1.id) == first


def test_the_other_fields_of_a_held_edit_apply(world, api):
    rep = api(world.rep_a1)
    there = at(TIANHE, 5_000)
    r = rep.patch(
        store_url(world.store_a1),
        json={"name": "苏宁 新址", "latitude": there[0], "longitude": there[1], "position_note": "搬到对面商场"},
    )
    assert r.status_code == 200, r.json
    assert r.json["name"] == "苏宁 新址"
    assert r.json["pending_position"]["note"] == "搬到对面商场"
    assert "position_note" not in r.json
    assert position_of(world.store_a1.id) == TIANHE
    assert {h["field"] for h in history(rep, world.store_a1)} == {"name"}


def test_a_rep_proposing_again_supersedes_their_earlier_proposal(world, api):
    first, _ = propose(api, world, 10_000)
    second, _ = propose(api, world, 12_000)
    listed = {p["id"]: p["status"] for p in proposals(api(world.admin))}
    assert listed == {first["pending_position"]["id"]: "superseded", second["pending_position"]["id"]: "pending"}


def test_managers_and_admins_move_stores_directly(world, api):
    for who, store in (("manager_a", world.store_a2), ("admin", world.store_b1)):
        there = at((store.latitude, store.longitude), 30_000)
        r = api(world.users[who]).patch(store_url(store), json={"latitude": there[0], "longitude": there[1]})
        assert r.status_code == 200, r.json
        assert r.json["pending_position"] is None
        assert position_of(store.id) == there
        # ...and that is the new approved position: a rep's small correction there applies.
        db.session.expire_all()
        assert (
            db.session.get(Store, store.id).anchor_latitude,
            db.session.get(Store, store.id).anchor_longitude,
        ) == there


# --- approve, reject, scope --------------------------------------------------------------------


def test_the_regions_manager_approves_the_store_moves_and_the_history_says_so(world, api):
    held, there = propose(api, world, 8_000, note="门店搬迁")
    pid = held["pending_position"]["id"]
    manager = api(world.manager_a)
    listed = proposals(manager, status="pending")
    assert [p["id"] for p in listed] == [pid] and listed[0]["note"] == "门店搬迁"

    r = manager.post(f"/api/v1/store-position-proposals/{pid}/approve", json={"note": "核实过"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "approved" and r.json["decided_by"] == world.manager_a.id
    assert r.json["decision_note"] == "核实过" and r.json["decided_at"]
    assert position_of(world.store_a1.id) == pytest.approx(there)

    rows = history(manager, world.store_a1)
    moved = {h["field"]: h for h in rows if h["proposal_id"] == pid}
    assert set(moved) == {"latitude", "longitude"}
    assert moved["latitude"]["old_value"] == TIANHE[0] and moved["latitude"]["new_value"] == pytest.approx(there[0])
    assert moved["latitude"]["changed_by"] == world.manager_a.id and moved["latitude"]["channel"] == "rest"

    # Decided once: a second decision is a 409, and the store is now on-site at its new place.
    again = manager.post(f"/api/v1/store-position-proposals/{pid}/reject", json={})
    assert again.status_code == 409
    assert check_in(api(world.rep_a1), world.store_a1, there)["off_site"] is False
    # Pull shows the store at its new position to the rep's phone too (the field clock moved).
    assert api(world.rep_a1).get(store_url(world.store_a1)).json["latitude"] == pytest.approx(there[0])


def test_reject_leaves_the_store_where_it_was(world, api):
    held, there = propose(api, world)
    pid = held["pending_position"]["id"]
    r = api(world.manager_a).post(f"/api/v1/store-position-proposals/{pid}/reject", json={"note": "GPS 漂移"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "rejected"
    assert position_of(world.store_a1.id) == TIANHE
    assert proposals(api(world.manager_a), status="pending") == []
    assert check_in(api(world.rep_a1), world.store_a1, there)["off_site"] is True


def test_approving_one_proposal_supersedes_the_others_for_that_store(world, api):
    mine, _ = propose(api, world, 3_000)
    there = at(TIANHE, 4_000, 180)
    other = api(world.rep_a1b).patch(store_url(world.store_a1), json={"latitude": there[0], "longitude": there[1]})
    assert other.status_code == 200 and other.json["pending_position"]
    r = api(world.hq).post(f"/api/v1/store-position-proposals/{other.json['pending_position']['id']}/approve", json={})
    assert r.status_code == 200, r.json
    assert position_of(world.store_a1.id) == pytest.approx(there)
    statuses = {p["id"]: p["status"] for p in proposals(api(world.admin))}
    assert statuses[mine["pending_position"]["id"]] == "superseded"


def test_who_sees_and_decides_which_proposals(world, api):
    held, _ = propose(api, world)
    pid = held["pending_position"]["id"]
    there = at((world.store_b1.latitude, world.store_b1.longitude), 9_000)
    r = api(world.rep_b1).patch(store_url(world.store_b1), json={"latitude": there[0], "longitude": there[1]})
    pid_b = r.json["pending_position"]["id"]

    def seen(who):
        return {p["id"] for p in proposals(api(world.users[who]))}

    assert seen("manager_a") == {pid} and seen("manager_b") == {pid_b}
    assert seen("hq") == seen("admin") == {pid, pid_b}
    assert seen("rep_a1") == {pid}  # a rep: their own
    assert seen("rep_a1b") == set()
    assert api(world.clerk_a1).get("/api/v1/store-position-proposals").status_code == 403

    # Another region's manager cannot approve (the proposal is not in their scope: 404) …
    assert api(world.manager_b).post(f"/api/v1/store-position-proposals/{pid}/approve", json={}).status_code == 404
    # … nor reps (even the one who proposed) nor clerks.
    for who in ("rep_a1", "clerk_a1"):
        r = api(world.users[who]).post(f"/api/v1/store-position-proposals/{pid}/approve", json={})
        assert r.status_code == 403, who
    assert api(world.admin).post("/api/v1/store-position-proposals/999999/approve", json={}).status_code == 404
    assert position_of(world.store_a1.id) == TIANHE
    assert proposals(api(world.admin), status="pending") and db.session.get(StorePositionProposal, pid) is not None


# --- history -----------------------------------------------------------------------------------


def test_every_field_change_is_in_the_history_newest_first(world, api):
    small = at(TIANHE, 50)
    api(world.rep_a1).patch(
        store_url(world.store_a1), json={"name": "改名 1", "latitude": small[0], "longitude": small[1]}
    )
    api(world.manager_a).patch(store_url(world.store_a1), json={"tier": "A", "status": "prospect", "address": "新地址"})
    api(world.admin).patch(store_url(world.store_a1), json={"code": "A1-XYZ", "partner_id": None, "kind": "shop"})
    api(world.manager_a).patch(store_url(world.store_a1), json={"territory_id": world.terr_a2.id})
    api(world.manager_a).patch(store_url(world.store_a1), json={"tier": "A"})  # no change: no row

    rows = history(api(world.admin), world.store_a1)
    assert [h["id"] for h in rows] == sorted((h["id"] for h in rows), reverse=True)
    by_field = {h["field"]: h for h in rows}
    assert set(by_field) == {
        "name", "latitude", "longitude", "tier", "status", "address", "code", "partner_id", "kind", "territory_id",
    }  # fmt: skip
    assert by_field["name"]["old_value"] == "苏宁易购 天河城店" and by_field["name"]["new_value"] == "改名 1"
    assert by_field["name"]["changed_by"] == world.rep_a1.id and by_field["name"]["channel"] == "rest"
    assert by_field["latitude"]["new_value"] == small[0] and by_field["latitude"]["proposal_id"] is None
    assert by_field["partner_id"]["old_value"] == world.partner.id and by_field["partner_id"]["new_value"] is None
    assert by_field["territory_id"]["new_value"] == world.terr_a2.id
    assert by_field["tier"]["changed_by"] == world.manager_a.id and by_field["tier"]["changed_at"].endswith(
        ("Z", "+00:00")
    )
    assert db.session.query(StoreHistory).count() == len(rows)


def test_history_is_paginated_and_visible_to_whoever_sees_the_store(world, api):
    for i in range(5):
        api(world.manager_a).patch(store_url(world.store_a1), json={"name": f"第 {i} 个名字"})
    r = api(world.clerk_a1).get(f"{store_url(world.store_a1)}/history?page_size=2&page=2")
    assert r.status_code == 200
    assert json.loads(r.headers["X-Pagination"])["total"] == 5
    assert [h["new_value"] for h in r.json] == ["第 2 个名字", "第 1 个名字"]
    for who, status in (("rep_a1", 200), ("hq", 200), ("rep_b1", 404), ("manager_b", 404), ("clerk_b1", 404)):
        assert api(world.users[who]).get(f"{store_url(world.store_a1)}/history").status_code == status, who


def test_a_new_store_starts_its_history_and_keeps_its_position(world, api):
    there = at(TIANHE, 3_000)
    body = {"code": "NEW-9", "name": "新店", "territory_id": world.terr_a1.id, "kind": "shop"}
    r = api(world.manager_a).post("/api/v1/stores", json=body | {"latitude": there[0], "longitude": there[1]})
    assert r.status_code == 201, r.json
    store = db.session.get(Store, r.json["id"])
    rows = {h["field"]: h for h in history(api(world.rep_a1), store)}
    assert rows["latitude"]["old_value"] is None and rows["latitude"]["new_value"] == there[0]
    assert rows["code"]["new_value"] == "NEW-9" and rows["code"]["changed_by"] == world.manager_a.id
    # Its position is the approved one: a rep's small correction applies, a big one waits.
    near = at(there, 40)
    assert api(world.rep_a1).patch(store_url(store), json={"latitude": near[0]}).json["pending_position"] is None
    far = at(there, 1_000)
    assert api(world.rep_a1).patch(store_url(store), json={"latitude": far[0]}).json["pending_position"]
