"""A manager reviews the store reports of their region: approve (a new or opening store becomes a
store, a closing closes it, a move moves it), mark as a duplicate of a known store, or reject;
once per report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from geopy.distance import geodesic

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.stores.models import Store
from tests.factories import TIANHE, iso, new_id
from tests.sync.helpers import Device


def point_at(origin, metres, bearing=90.0):
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


def report(client, kind="new_store", status=201, **kw) -> dict:
    lat, lon = kw.pop("where", point_at(TIANHE, 3000, 45))
    body = {
        "id": new_id(),
        "kind": kind,
        "name": kw.pop("name", "华为授权体验店 珠江新城"),
        "address": kw.pop("address", "花城大道 88 号"),
        "latitude": lat,
        "longitude": lon,
        "reported_at": iso(utcnow() - timedelta(minutes=30)),
        **kw,
    }
    r = client.post("/api/v1/intel-reports", json=body)
    assert r.status_code == status, r.json
    return r.json


def review(client, report_id, status=200, **body):
    r = client.post(f"/api/v1/intel-reports/{report_id}/review", json=body)
    assert r.status_code == status, r.json
    return r.json


def stores() -> int:
    return db.session.query(Store).count()


def test_approving_a_new_store_creates_it_where_it_was_reported(api, world):
    rep_phone = Device(api(world.rep_a1))
    _, cursor, _ = rep_phone.pull_all()
    where = point_at(TIANHE, 3000, 45)
    got = report(api(world.rep_a1), where=where)
    assert got["status"] == "pending" and got["resolved_store_id"] is None
    done = review(
        api(world.manager_a),
        got["id"],
        decision="approve",
        store={"code": "A1-NEW", "tier": "A", "kind": "counter"},
        note="已核实",
    )
    assert done["status"] == "confirmed"
    assert done["reviewed_by"] == world.manager_a.id and done["reviewed_at"] is not None
    assert done["review_note"] == "已核实"
    store = db.session.get(Store, done["resolved_store_id"])
    assert (store.code, store.name, store.address) == ("A1-NEW", "华为授权体验店 珠江新城", "花城大道 88 号")
    assert (store.latitude, store.longitude) == pytest.approx(where)
    assert store.territory_id == world.terr_a1.id  # the reporting rep's territory
    assert (store.kind, store.tier, store.status) == ("counter", "A", "prospect")
    # The rep's phone receives the new store with its next pull.
    items, _, _ = rep_phone.pull_all(cursor)
    pulled = [i for i in items if i["entity"] == "store"]
    assert [(i["id"], i["op"], i["data"]["code"]) for i in pulled] == [(str(store.id), "put", "A1-NEW")]
    changed = [i for i in items if i["entity"] == "intel_report"]
    assert [(i["id"], i["data"]["status"]) for i in changed] == [(got["id"], "confirmed")]
    # Read back through the API as the rep.
    assert api(world.rep_a1).get(f"/api/v1/intel-reports/{got['id']}").json["status"] == "confirmed"


def test_approving_without_details_makes_up_a_code_and_a_c_tier_shop(api, world):
    got = report(api(world.rep_a1), name="小米之家 体育西")
    done = review(api(world.admin), got["id"], decision="approve")
    store = db.session.get(Store, done["resolved_store_id"])
    assert store.code == "N" + got["id"].replace("-", "")[:10].upper()
    assert (store.name, store.kind, store.tier, store.status) == ("小米之家 体育西", "shop", "C", "prospect")


def test_an_opening_becomes_an_active_store_and_details_can_be_corrected(api, world):
    got = report(
        api(world.rep_a2), kind="opening", where=point_at((world.store_a2.latitude, world.store_a2.longitude), 500)
    )
    done = review(
        api(world.manager_a),
        got["id"],
        decision="approve",
        store={
            "code": "A2-NEW",
            "name": "OPPO 北京路旗舰店",
            "territory_id": world.terr_a1.id,
            "address": "北京路 1 号",
        },
    )
    store = db.session.get(Store, done["resolved_store_id"])
    assert (store.name, store.address, store.territory_id, store.status) == (
        "OPPO 北京路旗舰店",
        "北京路 1 号",
        world.terr_a1.id,
        "active",
    )


def test_marking_a_duplicate_of_a_known_store(api, world):
    near = point_at(TIANHE, 40)
    got = report(api(world.rep_a1), name="苏宁易购 天河城", where=near)
    assert [c["store_id"] for c in got["duplicate_candidates"]] == [world.store_a1.id]
    manager = api(world.manager_a)
    r = manager.post(f"/api/v1/intel-reports/{got['id']}/review", json={"decision": "duplicate"})
    assert r.status_code == 422 and "store_id" in r.json["errors"]["json"]
    r = manager.post(
        f"/api/v1/intel-reports/{got['id']}/review", json={"decision": "duplicate", "store_id": world.store_b1.id}
    )
    assert r.status_code == 404  # another region's store is not one the manager knows
    before = stores()
    done = review(manager, got["id"], decision="duplicate", store_id=world.store_a1.id, note="同一家")
    assert (done["status"], done["resolved_store_id"], done["review_note"]) == (
        "duplicate",
        world.store_a1.id,
        "同一家",
    )
    assert stores() == before


def test_rejecting(api, world):
    got = report(api(world.rep_a1))
    before = stores()
    done = review(api(world.manager_a), got["id"], decision="reject", note="不存在")
    assert (done["status"], done["resolved_store_id"], done["review_note"]) == ("rejected", None, "不存在")
    assert stores() == before


@pytest.mark.parametrize("first", ["approve", "duplicate", "reject"])
def test_a_report_is_reviewed_once(api, world, first):
    got = report(api(world.rep_a1))
    extra = {"store_id": world.store_a1.id} if first == "duplicate" else {}
    review(api(world.manager_a), got["id"], decision=first, **extra)
    count = stores()
    status = {"approve": "confirmed", "duplicate": "duplicate", "reject": "rejected"}[first]
    for decision in ("approve", "reject"):
        r = api(world.admin).post(f"/api/v1/intel-reports/{got['id']}/review", json={"decision": decision})
        assert r.status_code == 409, r.json
        assert status in r.json["message"]
    assert stores() == count
    assert api(world.manager_a).get(f"/api/v1/intel-reports/{got['id']}").json["reviewed_by"] == world.manager_a.id


@pytest.mark.parametrize(
    "who, status",
    [("manager_b", 404), ("rep_a1", 403), ("rep_a1b", 403), ("hq", 403), ("clerk_a1", 403), ("admin", 200)],
)
def test_who_reviews(api, world, who, status):
    got = report(api(world.rep_a1))
    before = stores()
    r = api(world.users[who]).post(f"/api/v1/intel-reports/{got['id']}/review", json={"decision": "approve"})
    assert r.status_code == status, r.json
    assert stores() == before + (1 if status == 200 else 0)
    if status != 200:
        assert api(world.manager_a).get(f"/api/v1/intel-reports/{got['id']}").json["status"] == "pending"


def test_a_manager_reviews_another_regions_report_as_not_found(api, world):
    got = report(api(world.rep_b1), where=point_at((22.8170, 108.3665), 800))
    assert review(api(world.manager_a), got["id"], 404, decision="reject")["status"] == 404
    assert review(api(world.manager_b), got["id"], decision="reject")["status"] == "rejected"


def test_a_refused_approval_leaves_the_report_pending(api, world):
    got = report(api(world.rep_a1))
    manager = api(world.manager_a)
    r = manager.post(
        f"/api/v1/intel-reports/{got['id']}/review",
        json={"decision": "approve", "store": {"code": world.store_a1.code}},
    )
    assert r.status_code == 409, r.json  # the code is taken
    r = manager.post(
        f"/api/v1/intel-reports/{got['id']}/review",
        json={"decision": "approve", "store": {"code": "X-1", "territory_id": world.terr_b1.id}},
    )
    assert r.status_code == 422, r.json  # not a territory of the manager's region
    r = manager.post(f"/api/v1/intel-reports/{got['id']}/review", json={"decision": "approve", "store": {"tier": "S"}})
    assert r.status_code == 422 and "store" in r.json["errors"]["json"]
    r = manager.post(f"/api/v1/intel-reports/{got['id']}/review", json={"decision": "maybe"})
    assert r.status_code == 422 and "decision" in r.json["errors"]["json"]
    db.session.rollback()
    assert api(world.rep_a1).get(f"/api/v1/intel-reports/{got['id']}").json["status"] == "pending"
    assert db.session.query(Store).filter(Store.code == "X-1").count() == 0
    assert review(manager, got["id"], decision="approve", store={"code": "X-2"})["status"] == "confirmed"


def test_approving_a_closing_closes_the_store(api, world):
    rep_phone = Device(api(world.rep_a1))
    _, cursor, _ = rep_phone.pull_all()
    got = report(
        api(world.rep_a1),
        kind="closing",
        store_id=world.store_a1.id,
        where=(world.store_a1.latitude, world.store_a1.longitude),
    )
    before = stores()
    done = review(api(world.manager_a), got["id"], decision="approve")
    assert (done["status"], done["resolved_store_id"]) == ("confirmed", world.store_a1.id)
    assert stores() == before
    assert api(world.manager_a).get(f"/api/v1/stores/{world.store_a1.id}").json["status"] == "closed"
    pulled = [i for i in rep_phone.pull_all(cursor)[0] if i["entity"] == "store"]
    assert [(i["id"], i["data"]["status"]) for i in pulled] == [(str(world.store_a1.id), "closed")]


def test_approving_a_move_moves_the_store(api, world):
    new_place = point_at(TIANHE, 700, 200)
    got = report(
        api(world.rep_a1),
        kind="moving",
        store_id=world.store_a1.id,
        where=new_place,
        address="天河路 299 号",
        name="苏宁易购 天河城店",
    )
    done = review(api(world.manager_a), got["id"], decision="approve")
    assert done["resolved_store_id"] == world.store_a1.id
    store = api(world.rep_a1).get(f"/api/v1/stores/{world.store_a1.id}").json
    assert (store["latitude"], store["longitude"]) == pytest.approx(new_place)
    assert store["address"] == "天河路 299 号"
    assert store["name"] == "苏宁易购 天河城店" and store["status"] == "active"


def test_approving_a_move_without_an_address_keeps_the_old_one(api, world):
    world.store_a1.address = "天河路 208 号"
    db.session.commit()
    got = report(api(world.rep_a1), kind="moving", store_id=world.store_a1.id, where=point_at(TIANHE, 300), address="")
    review(api(world.manager_a), got["id"], decision="approve")
    store = api(world.rep_a1).get(f"/api/v1/stores/{world.store_a1.id}").json
    assert store["address"] == "天河路 208 号"
    assert (store["latitude"], store["longitude"]) == pytest.approx(point_at(TIANHE, 300))


def test_approving_a_renovation_changes_no_store(api, world):
    got = report(api(world.rep_a1), kind="renovation", store_id=world.store_a1.id, where=TIANHE)
    before = stores()
    done = review(api(world.manager_a), got["id"], decision="approve")
    assert (done["status"], done["resolved_store_id"]) == ("confirmed", world.store_a1.id)
    store = api(world.rep_a1).get(f"/api/v1/stores/{world.store_a1.id}").json
    assert (store["status"], store["latitude"], store["longitude"]) == ("active", *TIANHE)
    assert stores() == before
