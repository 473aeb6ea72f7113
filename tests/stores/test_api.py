"""Stores over HTTP: scope, filters, pagination, nearby search, create/patch rules, contacts."""

from __future__ import annotations

import json
import uuid

import pytest
from geopy.distance import geodesic

from backend.extensions import db
from tests.factories import TIANHE, make_store

ALL = {"A1-001", "A1-002", "A2-001", "B1-001"}


def pagination(resp) -> dict:
    return json.loads(resp.headers["X-Pagination"])


def codes(resp) -> list[str]:
    assert resp.status_code == 200, resp.json
    return [s["code"] for s in resp.json]


def at(origin, metres, bearing):
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


# --- scope ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("rep_a1", {"A1-001", "A1-002"}),
        ("rep_a1b", {"A1-001", "A1-002"}),
        ("rep_a2", {"A2-001"}),
        ("rep_b1", {"B1-001"}),
        ("manager_a", {"A1-001", "A1-002", "A2-001"}),
        ("manager_b", {"B1-001"}),
        ("clerk_a1", {"A1-001"}),
        ("hq", ALL),
        ("admin", ALL),
    ],
)
def test_each_role_lists_only_its_stores_and_gets_404_outside(world, api, who, expected):
    caller = api(world.users[who])
    r = caller.get("/api/v1/stores?page_size=100")
    assert set(codes(r)) == expected
    assert pagination(r)["total"] == len(expected)
    stores = {s.code: s for s in (world.store_a1, world.store_a1b, world.store_a2, world.store_b1)}
    missing = caller.get("/api/v1/stores/999999")
    assert missing.status_code == 404
    for code, store in stores.items():
        r = caller.get(f"/api/v1/stores/{store.id}")
        if code in expected:
            assert r.status_code == 200 and r.json["code"] == code
        else:
            # Exactly like a store that does not exist: same status, same body but for the id.
            assert r.status_code == 404
            assert r.json == json.loads(json.dumps(missing.json).replace("999999", str(store.id)))
            assert r.headers.get("Content-Type") == missing.headers.get("Content-Type")


def test_store_body(world, api):
    r = api(world.admin).get(f"/api/v1/stores/{world.store_a1.id}")
    body = r.json
    assert body["code"] == "A1-001"
    assert body["territory_id"] == world.terr_a1.id
    assert body["partner_id"] == world.partner.id
    assert (body["latitude"], body["longitude"]) == TIANHE
    assert body["created_at"].endswith("Z") or body["created_at"].endswith("+00:00")
    assert "distance_m" not in body


# --- filters and pagination ---------------------------------------------------------------------


def test_filters(world, api):
    admin = api(world.admin)
    make_store(
        "A1-003", world.terr_a1, 23.14, 113.33, name="华为体验店", tier="A", kind="shop", address="体育东路 88 号"
    )
    make_store("A2-002", world.terr_a2, 23.12, 113.27, name="Closed shop", tier="C", status="closed")
    make_store("B1-002", world.terr_b1, 22.82, 108.37, name="Prospect", tier="A", status="prospect")
    db.session.commit()
    # q searches name, code and address, case-insensitively.
    assert set(codes(admin.get("/api/v1/stores?q=体育"))) == {"A1-003", "A1-002"}
    assert set(codes(admin.get("/api/v1/stores?q=a2-00"))) == {"A2-001", "A2-002"}
    assert set(codes(admin.get("/api/v1/stores?q=closed"))) == {"A2-002"}
    assert set(codes(admin.get("/api/v1/stores?q=苏宁"))) == {"A1-001"}
    assert set(codes(admin.get("/api/v1/stores?tier=A"))) == {"A1-003", "B1-002"}
    assert set(codes(admin.get("/api/v1/stores?kind=shop"))) == {"A1-003"}
    assert set(codes(admin.get("/api/v1/stores?status=closed"))) == {"A2-002"}
    assert set(codes(admin.get("/api/v1/stores?status=prospect"))) == {"B1-002"}
    assert set(codes(admin.get(f"/api/v1/stores?region_id={world.region_a.id}&page_size=100"))) == {
        "A1-001",
        "A1-002",
        "A1-003",
        "A2-001",
        "A2-002",
    }
    assert set(codes(admin.get(f"/api/v1/stores?territory_id={world.terr_b1.id}"))) == {"B1-001", "B1-002"}
    assert set(codes(admin.get(f"/api/v1/stores?partner_id={world.partner.id}"))) == {"A1-001"}
    assert set(codes(admin.get(f"/api/v1/stores?region_id={world.region_a.id}&tier=A&kind=shop"))) == {"A1-003"}
    # Filters never widen the scope.
    rep = api(world.rep_a1)
    assert codes(rep.get(f"/api/v1/stores?region_id={world.region_b.id}")) == []
    assert codes(rep.get(f"/api/v1/stores?territory_id={world.terr_a2.id}")) == []
    assert set(codes(rep.get("/api/v1/stores?tier=A"))) == {"A1-003"}
    for bad in ("tier=Z", "kind=kiosk", "status=open", "region_id=x"):
        r = admin.get(f"/api/v1/stores?{bad}")
        assert r.status_code == 422, bad
        assert bad.split("=")[0] in r.json["errors"]["query"]


def test_pagination_is_ordered_by_name(world, api):
    admin = api(world.admin)
    for i in range(8):
        make_store(f"P-{i}", world.terr_a2, 23.1, 113.2, name=f"Page store {i}")
    db.session.commit()
    r1 = admin.get("/api/v1/stores?q=Page store&page_size=3")
    r3 = admin.get("/api/v1/stores?q=Page store&page_size=3&page=3")
    assert pagination(r1) == {
        "total": 8,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    assert pagination(r3)["page"] == 3 and pagination(r3)["previous_page"] == 2
    assert codes(r1) == ["P-0", "P-1", "P-2"]
    assert codes(r3) == ["P-6", "P-7"]


# --- nearby -------------------------------------------------------------------------------------


@pytest.fixture
def nearby_world(world):
    """Stores around Tianhe at known geodesic distances, in and out of territory A1."""
    extra = {
        "N-300": make_store("N-300", world.terr_a1, *at(TIANHE, 300, 45), tier="A"),
        "N-4900": make_store("N-4900", world.terr_a1, *at(TIANHE, 4900, 200)),
        "N-5100": make_store("N-5100", world.terr_a1, *at(TIANHE, 5100, 90)),
        "N-A2-500": make_store("N-A2-500", world.terr_a2, *at(TIANHE, 500, 300), tier="A"),
    }
    db.session.commit()
    return world, extra


def check_distances(resp, origin):
    assert resp.status_code == 200, resp.json
    distances = [s["distance_m"] for s in resp.json]
    assert distances == sorted(distances)
    for s in resp.json:
        exact = geodesic(origin, (s["latitude"], s["longitude"])).meters
        assert abs(s["distance_m"] - exact) <= 0.5, s
    return [s["code"] for s in resp.json]


def test_nearby_sorted_by_geodesic_distance_within_radius_and_scope(nearby_world, api):
    world, _ = nearby_world
    near = f"{TIANHE[0]},{TIANHE[1]}"
    rep = api(world.rep_a1)
    r = rep.get(f"/api/v1/stores?near={near}&radius_m=5000")
    assert check_distances(r, TIANHE) == ["A1-001", "N-300", "A1-002", "N-4900"]
    assert r.json[0]["distance_m"] == 0
    assert pagination(r)["total"] == 4
    # The default radius is 5 km too.
    assert codes(rep.get(f"/api/v1/stores?near={near}")) == ["A1-001", "N-300", "A1-002", "N-4900"]

    manager = api(world.manager_a)
    r = manager.get(f"/api/v1/stores?near={near}&radius_m=5000")
    assert check_distances(r, TIANHE) == ["A1-001", "N-300", "N-A2-500", "A1-002", "N-4900"]
    r = manager.get(f"/api/v1/stores?near={near}&radius_m=7000")
    assert check_distances(r, TIANHE) == ["A1-001", "N-300", "N-A2-500", "A1-002", "N-4900", "N-5100", "A2-001"]
    r = api(world.manager_b).get(f"/api/v1/stores?near={near}&radius_m=50000")
    assert r.status_code == 200 and r.json == []
    r = api(world.clerk_a1).get(f"/api/v1/stores?near={near}&radius_m=50000")
    assert codes(r) == ["A1-001"]


def test_nearby_from_another_point_with_filters_and_pages(nearby_world, api):
    world, _ = nearby_world
    origin = at(TIANHE, 1000, 10)
    near = f"{origin[0]:.6f}, {origin[1]:.6f}"  # a space after the comma is fine
    hq = api(world.hq)
    r = hq.get(f"/api/v1/stores?near={near}&radius_m=10000&page_size=100")
    everything = check_distances(r, (round(origin[0], 6), round(origin[1], 6)))
    assert set(everything) == {"A1-001", "A1-002", "A2-001", "N-300", "N-4900", "N-5100", "N-A2-500"}
    r1 = hq.get(f"/api/v1/stores?near={near}&radius_m=10000&page_size=3")
    r3 = hq.get(f"/api/v1/stores?near={near}&radius_m=10000&page_size=3&page=3")
    assert pagination(r1)["total"] == 7 and pagination(r1)["total_pages"] == 3
    assert codes(r1) == everything[:3]
    assert codes(r3) == everything[6:]
    assert codes(hq.get(f"/api/v1/stores?near={near}&radius_m=10000&tier=A")) == [
        c for c in everything if c in {"N-300", "N-A2-500"}
    ]
    assert codes(hq.get(f"/api/v1/stores?near={near}&radius_m=10000&territory_id={world.terr_a2.id}")) == [
        c for c in everything if c in {"A2-001", "N-A2-500"}
    ]


@pytest.mark.parametrize("near", ["abc", "23.1", "23.1,113.3,5", "91,113.3", "-90.5,0", "23.1,181", "0,-180.01", ""])
def test_bad_near_is_422_naming_near(world, api, near):
    r = api(world.rep_a1).get(f"/api/v1/stores?near={near}")
    assert r.status_code == 422
    assert "near" in r.json["errors"]["query"]
    assert "near" in r.json["message"]


def test_edges_of_the_world_are_valid_points(world, api):
    for near in ("90,180", "-90,-180", "0,0"):
        r = api(world.hq).get(f"/api/v1/stores?near={near}&radius_m=1000")
        assert r.status_code == 200 and r.json == [], near


def test_radius_limits(world, api, app):
    rep = api(world.rep_a1)
    cap = app.config["NEARBY_MAX_RADIUS_M"]
    near = f"{TIANHE[0]},{TIANHE[1]}"
    assert rep.get(f"/api/v1/stores?near={near}&radius_m={cap:.0f}").status_code == 200
    r = rep.get(f"/api/v1/stores?near={near}&radius_m={cap + 1:.0f}")
    assert r.status_code == 422
    assert "radius_m" in r.json["errors"]["query"]
    for bad in ("0", "-5", "nan", "lots"):
        r = rep.get(f"/api/v1/stores?near={near}&radius_m={bad}")
        assert r.status_code == 422, bad
        assert "radius_m" in r.json["errors"]["query"]


# --- create -------------------------------------------------------------------------------------


def new_store(territory_id, **kw):
    body = {
        "code": "NEW-" + uuid.uuid4().hex[:6],
        "name": "新店",
        "territory_id": territory_id,
        "kind": "shop",
        "latitude": 23.13,
        "longitude": 113.32,
    }
    return body | kw


def test_admin_creates_a_store_anywhere(world, api):
    admin = api(world.admin)
    body = new_store(world.terr_b1.id, tier="A", status="prospect", address="民族大道", partner_id=world.partner.id)
    r = admin.post("/api/v1/stores", json=body)
    assert r.status_code == 201, r.json
    for key, value in body.items():
        assert r.json[key] == value
    assert admin.get(f"/api/v1/stores/{r.json['id']}").json == r.json
    # Defaults.
    r = admin.post("/api/v1/stores", json=new_store(world.terr_a1.id))
    assert (r.json["tier"], r.json["status"], r.json["address"]) == ("C", "active", "")


def test_manager_creates_only_in_their_region(world, api):
    manager = api(world.manager_a)
    r = manager.post("/api/v1/stores", json=new_store(world.terr_a2.id))
    assert r.status_code == 201
    r = manager.post("/api/v1/stores", json=new_store(world.terr_b1.id))
    assert r.status_code == 422
    assert "territory_id" in r.json["errors"]["json"]


@pytest.mark.parametrize("who", ["rep_a1", "hq", "clerk_a1"])
def test_others_may_not_create_stores(world, api, who):
    r = api(world.users[who]).post("/api/v1/stores", json=new_store(world.terr_a1.id))
    assert r.status_code == 403


def test_store_create_validation(world, api):
    admin = api(world.admin)
    cases = [
        (new_store(world.terr_a1.id, code="A1-001"), 409, "code"),
        (new_store(999_999), 422, "territory_id"),
        (new_store(world.terr_a1.id, partner_id=999_999), 422, "partner_id"),
        (new_store(world.terr_a1.id, latitude=91), 422, "latitude"),
        (new_store(world.terr_a1.id, longitude=-181), 422, "longitude"),
        (new_store(world.terr_a1.id, kind="kiosk"), 422, "kind"),
        (new_store(world.terr_a1.id, tier="S"), 422, "tier"),
        (new_store(world.terr_a1.id, distance_m=5), 422, "distance_m"),
        ({k: v for k, v in new_store(world.terr_a1.id).items() if k != "name"}, 422, "name"),
    ]
    for body, status, field in cases:
        r = admin.post("/api/v1/stores", json=body)
        assert r.status_code == status, (body, r.json)
        assert field in r.json["errors"]["json"], r.json


# --- patch --------------------------------------------------------------------------------------


def test_rep_may_correct_name_address_position_and_kind(world, api):
    rep = api(world.rep_a1)
    change = {
        "name": "苏宁 天河城",
        "address": "天河路 208 号",
        "latitude": 23.1301,
        "longitude": 113.3271,
        "kind": "shop",
    }
    r = rep.patch(f"/api/v1/stores/{world.store_a1.id}", json=change)
    assert r.status_code == 200, r.json
    for key, value in change.items():
        assert r.json[key] == value


@pytest.mark.parametrize(
    ("field", "value"),
    [("tier", "A"), ("status", "closed"), ("code", "NEWCODE"), ("partner_id", None), ("territory_id", 0)],
)
def test_rep_may_not_change_other_fields(world, api, field, value):
    if field == "territory_id":
        value = world.terr_a1.id  # even their own territory
    r = api(world.rep_a1).patch(f"/api/v1/stores/{world.store_a1.id}", json={"name": "x", field: value})
    assert r.status_code == 403
    assert field in r.json["errors"]["json"]
    assert field in r.json["message"]
    assert api(world.admin).get(f"/api/v1/stores/{world.store_a1.id}").json["name"] != "x"


def test_rep_patch_outside_territory_is_404(world, api):
    r = api(world.rep_a1).patch(f"/api/v1/stores/{world.store_a2.id}", json={"name": "x"})
    assert r.status_code == 404


def test_manager_changes_stores_of_their_region_only(world, api):
    manager = api(world.manager_a)
    r = manager.patch(
        f"/api/v1/stores/{world.store_a1.id}", json={"tier": "A", "status": "closed", "territory_id": world.terr_a2.id}
    )
    assert r.status_code == 200, r.json
    assert (r.json["tier"], r.json["status"], r.json["territory_id"]) == ("A", "closed", world.terr_a2.id)
    r = manager.patch(f"/api/v1/stores/{world.store_a1.id}", json={"territory_id": world.terr_b1.id})
    assert r.status_code == 422 and "territory_id" in r.json["errors"]["json"]
    assert manager.get(f"/api/v1/stores/{world.store_a1.id}").json["territory_id"] == world.terr_a2.id
    assert manager.patch(f"/api/v1/stores/{world.store_b1.id}", json={"tier": "A"}).status_code == 404


def test_admin_changes_anything_but_codes_stay_unique(world, api):
    admin = api(world.admin)
    r = admin.patch(f"/api/v1/stores/{world.store_b1.id}", json={"territory_id": world.terr_a1.id, "code": "B1-XYZ"})
    assert r.status_code == 200 and r.json["code"] == "B1-XYZ"
    r = admin.patch(f"/api/v1/stores/{world.store_b1.id}", json={"code": "A1-001"})
    assert r.status_code == 409 and "code" in r.json["errors"]["json"]
    assert admin.patch(f"/api/v1/stores/{world.store_b1.id}", json={"code": "B1-XYZ"}).status_code == 200
    assert admin.patch("/api/v1/stores/999999", json={"name": "x"}).status_code == 404


@pytest.mark.parametrize("who", ["hq", "clerk_a1"])
def test_hq_and_clerks_may_not_patch_stores(world, api, who):
    r = api(world.users[who]).patch(f"/api/v1/stores/{world.store_a1.id}", json={"name": "x"})
    assert r.status_code == 403


# --- contacts -----------------------------------------------------------------------------------


def contacts_url(store, contact_id=None):
    base = f"/api/v1/stores/{store.id}/contacts"
    return base if contact_id is None else f"{base}/{contact_id}"


def test_contact_lifecycle_with_history(world, api):
    rep = api(world.rep_a1)
    cid = str(uuid.uuid4())
    url = contacts_url(world.store_a1, cid)

    r = rep.put(url, json={"name": "王芳", "role": "promoter", "phone": "138 0013 8000"})
    assert r.status_code == 201, r.json
    assert r.json["id"] == cid and r.json["store_id"] == world.store_a1.id
    assert (r.json["name"], r.json["role"], r.json["phone"]) == ("王芳", "promoter", "138 0013 8000")
    assert r.json["updated_by"] == world.rep_a1.id and r.json["deleted_at"] is None

    # Sending the same again is a no-op: 200 and no history row.
    assert rep.put(url, json={"name": "王芳", "role": "promoter", "phone": "138 0013 8000"}).status_code == 200
    r = api(world.manager_a).put(url, json={"role": "store_manager"})
    assert r.status_code == 200
    assert (r.json["name"], r.json["role"], r.json["updated_by"]) == ("王芳", "store_manager", world.manager_a.id)

    listed = rep.get(contacts_url(world.store_a1))
    assert listed.status_code == 200 and [c["id"] for c in listed.json] == [cid]

    r = rep.delete(url)
    assert r.status_code == 200 and r.json["deleted_at"] is not None
    assert rep.get(contacts_url(world.store_a1)).json == []
    shown = rep.get(contacts_url(world.store_a1) + "?include_deleted=true").json
    assert [c["id"] for c in shown] == [cid] and shown[0]["deleted_at"]

    # A removed contact cannot come back through PUT; deleting again changes nothing.
    r = rep.put(url, json={"name": "王芳"})
    assert r.status_code == 409
    assert rep.delete(url).status_code == 200

    history = rep.get(f"/api/v1/stores/{world.store_a1.id}/contacts/history")
    assert history.status_code == 200
    assert [h["action"] for h in history.json] == ["deleted", "updated", "created"]
    assert all(h["contact_id"] == cid for h in history.json)
    assert [h["changed_by"] for h in history.json] == [world.rep_a1.id, world.manager_a.id, world.rep_a1.id]
    assert [h["role"] for h in history.json] == ["store_manager", "store_manager", "promoter"]
    assert history.json[-1]["phone"] == "138 0013 8000"


def test_contact_without_phone_and_several_contacts(world, api):
    clerk = api(world.clerk_a1)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    assert clerk.put(contacts_url(world.store_a1, a), json={"name": "Zhang", "role": "owner"}).status_code == 201
    r = clerk.put(contacts_url(world.store_a1, b), json={"name": "Chen", "role": "other"})
    assert r.status_code == 201 and r.json["phone"] == ""
    assert [c["name"] for c in clerk.get(contacts_url(world.store_a1)).json] == ["Chen", "Zhang"]
    # Other stores' lists and histories stay empty.
    admin = api(world.admin)
    assert admin.get(contacts_url(world.store_a1b)).json == []
    assert admin.get(f"/api/v1/stores/{world.store_a1b.id}/contacts/history").json == []


def test_contact_of_another_store(world, api):
    admin = api(world.admin)
    cid = str(uuid.uuid4())
    assert admin.put(contacts_url(world.store_a1, cid), json={"name": "Li", "role": "promoter"}).status_code == 201
    r = admin.put(contacts_url(world.store_a1b, cid), json={"name": "Li"})
    assert r.status_code in (404, 409)
    assert admin.delete(contacts_url(world.store_a1b, cid)).status_code in (404, 409)
    assert admin.delete(contacts_url(world.store_a1b, uuid.uuid4())).status_code == 404
    # The contact is untouched.
    assert [c["name"] for c in admin.get(contacts_url(world.store_a1)).json] == ["Li"]
    assert admin.get(contacts_url(world.store_a1b)).json == []


def test_contact_validation(world, api):
    rep = api(world.rep_a1)
    cid = str(uuid.uuid4())
    for bad in ("call me", "12", "138-0013-8000 ext. 5", "x" * 40):
        r = rep.put(contacts_url(world.store_a1, cid), json={"name": "Li", "role": "promoter", "phone": bad})
        assert r.status_code == 422, bad
        assert "phone" in r.json["errors"]["json"]
    r = rep.put(contacts_url(world.store_a1, cid), json={"role": "promoter"})
    assert r.status_code == 422 and "name" in r.json["errors"]["json"]
    r = rep.put(contacts_url(world.store_a1, cid), json={"name": "Li"})
    assert r.status_code == 422 and "role" in r.json["errors"]["json"]
    r = rep.put(contacts_url(world.store_a1, cid), json={"name": "Li", "role": "boss"})
    assert r.status_code == 422 and "role" in r.json["errors"]["json"]
    assert rep.put(f"/api/v1/stores/{world.store_a1.id}/contacts/not-a-uuid", json={}).status_code == 404
    assert rep.get(contacts_url(world.store_a1)).json == []
    assert rep.get(f"/api/v1/stores/{world.store_a1.id}/contacts/history").json == []


def test_contacts_follow_store_scope(world, api):
    cid = str(uuid.uuid4())
    body = {"name": "Li", "role": "promoter"}
    assert api(world.rep_a1).put(contacts_url(world.store_a2, cid), json=body).status_code == 404
    assert api(world.clerk_a1).put(contacts_url(world.store_a1b, cid), json=body).status_code == 404
    assert api(world.manager_b).get(contacts_url(world.store_a1)).status_code == 404
    assert api(world.manager_b).get(f"/api/v1/stores/{world.store_a1.id}/contacts/history").status_code == 404
    # HQ reads but does not write contacts.
    assert api(world.hq).put(contacts_url(world.store_a1, cid), json=body).status_code == 403
    assert api(world.hq).get(contacts_url(world.store_a1)).status_code == 200
    assert api(world.admin).get(contacts_url(world.store_a1)).json == []


def test_a_contact_without_a_phone_answers_as_documented(api, world, client):
    """A contact needs no phone (stored and returned as ""), and "" clears one: the documented
    pattern admits the empty string the API itself returns."""
    import re

    rep = api(world.rep_a1)
    url = f"{contacts_url(world.store_a1)}/{uuid.uuid4()}"
    r = rep.put(url, json={"name": "李店长", "role": "store_manager"})
    assert r.status_code == 201 and r.json["phone"] == "", r.json
    pattern = client.get("/api/openapi.json").json["components"]["schemas"]["Contact"]["properties"]["phone"]["pattern"]
    assert re.search(pattern, r.json["phone"])
    assert rep.put(url, json={"phone": "138 0013 8000"}).json["phone"] == "138 0013 8000"
    cleared = rep.put(url, json={"phone": ""})
    assert cleared.status_code == 200 and cleared.json["phone"] == "", cleared.json
    assert rep.put(url, json={"phone": "abc"}).status_code == 422
