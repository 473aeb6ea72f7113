"""store.update through sync: the same rules as PATCH. A rep's big move of a store is held for a
manager (the other fields apply, the position is answered as values that did not take effect);
every change is in the store's history with channel `sync`."""

from __future__ import annotations

import uuid

import pytest
from geopy.distance import geodesic

from backend.extensions import db
from backend.stores.models import Store, StoreHistory, StorePositionProposal
from backend.visits.models import Visit
from tests.factories import TIANHE
from tests.sync.helpers import Device, check_in_args, store_update_args


def at(origin, metres, bearing=45.0):
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


def results(r) -> list[dict]:
    assert r.status_code == 200, r.json
    return r.json["results"]


def test_the_attack_through_sync_is_held_and_the_check_in_is_off_site(api, world):
    """In one push: move the store 45 km to where the rep stands, check in there, move it back."""
    device = Device(api(world.rep_a1))
    here = at(TIANHE, 45_000)
    visit_id = str(uuid.uuid4())
    push = [
        device.mutation(
            "store.update", store_update_args(world.store_a1.id, {"latitude": here[0], "longitude": here[1]})
        ),
        device.mutation("visit.check_in", check_in_args(world.store_a1, visit_id, latitude=here[0], longitude=here[1])),
        device.mutation(
            "store.update", store_update_args(world.store_a1.id, {"latitude": TIANHE[0], "longitude": TIANHE[1]})
        ),
    ]
    held, checked_in, back = results(device.push(push))
    assert held["status"] == "merged", held
    assert {c["field"] for c in held["conflicts"]} == {"latitude", "longitude"}
    lat = next(c for c in held["conflicts"] if c["field"] == "latitude")
    assert lat["kept"]["value"] == TIANHE[0] and lat["lost"]["value"] == pytest.approx(here[0])
    assert lat["lost"]["hlc"] == push[0]["hlc"] and lat["lost"]["by"] == world.rep_a1.id
    assert checked_in["status"] == "applied" and back["status"] == "applied"

    db.session.expire_all()
    store = db.session.get(Store, world.store_a1.id)
    assert (store.latitude, store.longitude) == TIANHE
    visit = db.session.get(Visit, uuid.UUID(visit_id))
    assert visit.off_site is True and visit.check_in_distance_m == pytest.approx(45_000, abs=1)
    proposal = db.session.query(StorePositionProposal).one()
    assert (proposal.status, proposal.channel, proposal.proposed_by) == ("pending", "sync", world.rep_a1.id)
    # The held position is a proposal for the manager, not a sync conflict.
    assert api(world.manager_a).get("/api/v1/sync/conflicts").json == []
    listed = api(world.manager_a).get("/api/v1/store-position-proposals?status=pending").json
    assert [p["id"] for p in listed] == [proposal.id]


def test_a_held_edit_applies_its_other_fields_and_the_phone_gets_the_store_back(api, world):
    device = Device(api(world.rep_a1))
    device.pull_all()
    there = at(TIANHE, 2_000)
    m = device.mutation(
        "store.update",
        store_update_args(
            world.store_a1.id,
            {"name": "苏宁 新店", "latitude": there[0], "position_note": "整体搬迁"},
        ),
    )
    (result,) = results(device.push([m]))
    assert result["status"] == "merged"
    assert [c["field"] for c in result["conflicts"]] == ["latitude"]
    db.session.expire_all()
    store = db.session.get(Store, world.store_a1.id)
    assert store.name == "苏宁 新店" and (store.latitude, store.longitude) == TIANHE
    proposal = db.session.query(StorePositionProposal).one()
    assert (proposal.latitude, proposal.longitude, proposal.note) == (there[0], TIANHE[1], "整体搬迁")
    # The next pull carries the store as the server has it: renamed, not moved.
    items, _, _ = device.pull_all()
    (item,) = [i for i in items if i["entity"] == "store" and i["id"] == str(world.store_a1.id)]
    assert item["data"]["name"] == "苏宁 新店"
    assert (item["data"]["latitude"], item["data"]["longitude"]) == TIANHE


def test_sync_edits_are_in_the_history_with_their_channel(api, world):
    device = Device(api(world.rep_a1))
    small = at(TIANHE, 60)
    m = device.mutation(
        "store.update", store_update_args(world.store_a1.id, {"address": "天河路 208 号", "latitude": small[0]})
    )
    assert [r["status"] for r in results(device.push([m]))] == ["applied"]
    api(world.manager_a).patch(f"/api/v1/stores/{world.store_a1.id}", json={"tier": "A"})

    rows = api(world.rep_a1).get(f"/api/v1/stores/{world.store_a1.id}/history").json
    assert [(h["field"], h["channel"]) for h in rows] == [("tier", "rest"), ("latitude", "sync"), ("address", "sync")]
    latitude = rows[1]
    assert latitude["old_value"] == TIANHE[0] and latitude["new_value"] == small[0]
    assert latitude["changed_by"] == world.rep_a1.id
    assert db.session.query(StoreHistory).filter_by(channel="sync").count() == 2


def test_a_managers_big_move_through_sync_applies(api, world):
    device = Device(api(world.manager_a))
    there = at(TIANHE, 20_000)
    m = device.mutation(
        "store.update", store_update_args(world.store_a1.id, {"latitude": there[0], "longitude": there[1]})
    )
    assert [r["status"] for r in results(device.push([m]))] == ["applied"]
    db.session.expire_all()
    assert (db.session.get(Store, world.store_a1.id).latitude) == there[0]
    assert db.session.query(StorePositionProposal).count() == 0
