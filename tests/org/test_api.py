"""Regions, territories and partners: admin CRUD, uniqueness, references, roles, lists."""

from __future__ import annotations

import json

import pytest

from tests.factories import World

ROLES = ["rep_a1", "manager_a", "clerk_a1", "hq", "admin"]
NON_ADMINS = ["rep_a1", "manager_a", "clerk_a1", "hq"]


def pagination(resp) -> dict:
    return json.loads(resp.headers["X-Pagination"])


def names(resp, key="code") -> list:
    assert resp.status_code == 200, resp.json
    return [row[key] for row in resp.json]


# Each resource: a valid new body (given the world), the unique field, and a valid change.
RESOURCES = {
    "regions": (lambda w: {"code": "HN", "name": "湖南大区"}, "code", {"name": "华南大区"}),
    "territories": (
        lambda w: {"code": "GZ-HZ", "name": "海珠片区", "region_id": w.region_a.id},
        "code",
        {"name": "海珠新片区"},
    ),
    "partners": (
        lambda w: {"code": "GM", "name": "国美电器", "kind": "retail_chain"},
        "code",
        {"active": False},
    ),
}


def existing(world: World, resource: str):
    return {"regions": world.region_a, "territories": world.terr_a1, "partners": world.partner}[resource]


@pytest.mark.parametrize("resource", RESOURCES)
def test_admin_creates_gets_and_patches(world, api, resource):
    body_for, _, change = RESOURCES[resource]
    admin = api(world.admin)
    body = body_for(world)
    r = admin.post(f"/api/v1/{resource}", json=body)
    assert r.status_code == 201, r.json
    created = r.json
    for key, value in body.items():
        assert created[key] == value
    got = admin.get(f"/api/v1/{resource}/{created['id']}")
    assert got.status_code == 200 and got.json == created
    r = admin.patch(f"/api/v1/{resource}/{created['id']}", json=change)
    assert r.status_code == 200, r.json
    assert r.json == created | change
    assert admin.get(f"/api/v1/{resource}/{created['id']}").json == created | change
    # Re-sending its own unique value is not a conflict.
    r = admin.patch(f"/api/v1/{resource}/{created['id']}", json={"code": body["code"]})
    assert r.status_code == 200


@pytest.mark.parametrize("resource", RESOURCES)
def test_unique_violations_are_409_naming_the_field(world, api, resource):
    body_for, unique, _ = RESOURCES[resource]
    admin = api(world.admin)
    taken = getattr(existing(world, resource), unique)
    r = admin.post(f"/api/v1/{resource}", json=body_for(world) | {unique: taken})
    assert r.status_code == 409
    assert unique in r.json["errors"]["json"]
    assert taken in r.json["message"]
    created = admin.post(f"/api/v1/{resource}", json=body_for(world)).json
    r = admin.patch(f"/api/v1/{resource}/{created['id']}", json={unique: taken})
    assert r.status_code == 409
    assert unique in r.json["errors"]["json"]


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("who", NON_ADMINS)
def test_non_admin_writes_are_403(world, api, resource, who):
    body_for, _, change = RESOURCES[resource]
    caller = api(world.users[who])
    r = caller.post(f"/api/v1/{resource}", json=body_for(world))
    assert r.status_code == 403
    assert r.json["code"] == "forbidden"
    obj = existing(world, resource)
    r = caller.patch(f"/api/v1/{resource}/{obj.id}", json=change)
    assert r.status_code == 403
    # Nothing was written.
    total = pagination(api(world.admin).get(f"/api/v1/{resource}"))["total"]
    assert total == {"regions": 2, "territories": 3, "partners": 1}[resource]
    assert api(world.admin).get(f"/api/v1/{resource}/{obj.id}").json[list(change)[0]] != list(change.values())[0]


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("who", ROLES)
def test_every_role_can_read(world, api, resource, who):
    caller = api(world.users[who])
    r = caller.get(f"/api/v1/{resource}")
    assert r.status_code == 200
    assert len(r.json) == pagination(r)["total"] > 0
    obj = existing(world, resource)
    r = caller.get(f"/api/v1/{resource}/{obj.id}")
    assert r.status_code == 200 and r.json["id"] == obj.id
    r = caller.get(f"/api/v1/{resource}/999999")
    assert r.status_code == 404 and r.json["code"] == "not_found"


@pytest.mark.parametrize("resource", RESOURCES)
def test_bad_bodies_are_422(world, api, resource):
    body_for, _, _ = RESOURCES[resource]
    admin = api(world.admin)
    body = body_for(world)
    missing = {k: v for k, v in body.items() if k != "name"}
    r = admin.post(f"/api/v1/{resource}", json=missing)
    assert r.status_code == 422 and "name" in r.json["errors"]["json"]
    r = admin.post(f"/api/v1/{resource}", json=body | {"colour": "red"})
    assert r.status_code == 422 and "colour" in r.json["errors"]["json"]
    r = admin.post(f"/api/v1/{resource}", json=body | {"code": ""})
    assert r.status_code == 422 and "code" in r.json["errors"]["json"]
    r = admin.patch(f"/api/v1/{resource}/{existing(world, resource).id}", json={"id": 77})
    assert r.status_code == 422


def test_region_list_search_order_and_pagination(world, api):
    admin = api(world.admin)
    for i in range(7):
        assert admin.post("/api/v1/regions", json={"code": f"R{i}", "name": f"Region {i}"}).status_code == 201
    r = admin.get("/api/v1/regions?page_size=4")
    assert pagination(r) == {
        "total": 9,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    assert names(r) == ["GD", "GX", "R0", "R1"]  # ordered by code
    r = admin.get("/api/v1/regions?page_size=4&page=3")
    assert pagination(r)["page"] == 3 and names(r) == ["R6"]
    assert names(admin.get("/api/v1/regions?q=region 3")) == ["R3"]
    assert names(admin.get("/api/v1/regions?q=广东")) == ["GD"]
    assert admin.get("/api/v1/regions?page_size=0").status_code == 422


def test_territory_region_reference_and_filter(world, api):
    admin = api(world.admin)
    r = admin.post("/api/v1/territories", json={"code": "X", "name": "X", "region_id": 999_999})
    assert r.status_code == 422
    assert "region_id" in r.json["errors"]["json"]
    r = admin.patch(f"/api/v1/territories/{world.terr_a1.id}", json={"region_id": 999_999})
    assert r.status_code == 422 and "region_id" in r.json["errors"]["json"]
    r = admin.post("/api/v1/territories", json={"code": "X", "name": "X"})
    assert r.status_code == 422 and "region_id" in r.json["errors"]["json"]

    r = admin.patch(f"/api/v1/territories/{world.terr_a2.id}", json={"region_id": world.region_b.id})
    assert r.status_code == 200 and r.json["region_id"] == world.region_b.id
    assert names(admin.get(f"/api/v1/territories?region_id={world.region_a.id}")) == ["GZ-TH"]
    assert names(admin.get(f"/api/v1/territories?region_id={world.region_b.id}")) == ["GZ-YX", "NN-QX"]
    assert names(admin.get("/api/v1/territories?q=青秀")) == ["NN-QX"]


def test_partner_hierarchy_references_and_filters(world, api):
    admin = api(world.admin)
    national = admin.post("/api/v1/partners", json={"code": "NAT", "name": "国包", "kind": "national_distributor"})
    assert national.status_code == 201
    national = national.json
    provincial = admin.post(
        "/api/v1/partners",
        json={"code": "PROV", "name": "省包", "kind": "provincial_distributor", "parent_id": national["id"]},
    ).json
    local = admin.post(
        "/api/v1/partners",
        json={"code": "LOC", "name": "地包", "kind": "local_distributor", "parent_id": provincial["id"]},
    ).json
    assert local["parent_id"] == provincial["id"]

    r = admin.post("/api/v1/partners", json={"code": "Z", "name": "Z", "kind": "carrier", "parent_id": 999_999})
    assert r.status_code == 422 and "parent_id" in r.json["errors"]["json"]
    r = admin.patch(f"/api/v1/partners/{world.partner.id}", json={"parent_id": 999_999})
    assert r.status_code == 422 and "parent_id" in r.json["errors"]["json"]

    # No partner may end up above itself.
    r = admin.patch(f"/api/v1/partners/{national['id']}", json={"parent_id": national["id"]})
    assert r.status_code == 422 and "parent_id" in r.json["errors"]["json"]
    r = admin.patch(f"/api/v1/partners/{national['id']}", json={"parent_id": local["id"]})
    assert r.status_code == 422 and "parent_id" in r.json["errors"]["json"]
    assert admin.get(f"/api/v1/partners/{national['id']}").json["parent_id"] is None

    r = admin.post("/api/v1/partners", json={"code": "Q", "name": "Q", "kind": "wholesaler"})
    assert r.status_code == 422 and "kind" in r.json["errors"]["json"]

    admin.patch(f"/api/v1/partners/{local['id']}", json={"active": False})
    assert names(admin.get("/api/v1/partners?kind=retail_chain")) == ["SN"]
    assert names(admin.get(f"/api/v1/partners?parent_id={national['id']}")) == ["PROV"]
    assert names(admin.get("/api/v1/partners?active=false")) == ["LOC"]
    assert names(admin.get("/api/v1/partners?active=true")) == ["NAT", "PROV", "SN"]
    assert names(admin.get("/api/v1/partners?q=苏宁")) == ["SN"]
    assert admin.get("/api/v1/partners?kind=nope").status_code == 422


def test_partner_repair_provider_flag_is_set_by_admin_and_offered_as_repair_point(world, api):
    """An admin marks a partner a repair provider (create and update); it defaults to false, is
    filterable, only admins may set it, and the clerks' repair points list it while active."""
    admin = api(world.admin)
    created = admin.post("/api/v1/partners", json={"code": "FIX", "name": "快修服务商", "kind": "local_distributor"})
    assert created.status_code == 201, created.json
    assert created.json["repair_provider"] is False
    pid = created.json["id"]

    def points():
        r = api(world.clerk_a1).get("/api/v1/repair-points")
        assert r.status_code == 200, r.json
        return [(p["kind"], p["id"]) for p in r.json if p["kind"] == "partner"]

    assert ("partner", pid) not in points()
    r = admin.patch(f"/api/v1/partners/{pid}", json={"repair_provider": True})
    assert r.status_code == 200, r.json
    assert r.json["repair_provider"] is True
    assert admin.get(f"/api/v1/partners/{pid}").json["repair_provider"] is True
    assert names(admin.get("/api/v1/partners?repair_provider=true")) == ["FIX"]
    assert ("partner", pid) in points()

    assert api(world.hq).patch(f"/api/v1/partners/{pid}", json={"repair_provider": False}).status_code == 403
    assert admin.patch(f"/api/v1/partners/{pid}", json={"repair_provider": "maybe"}).status_code == 422

    body = {"code": "FIX2", "name": "二号维修", "kind": "local_distributor", "repair_provider": True}
    other = admin.post("/api/v1/partners", json=body)
    assert other.status_code == 201 and other.json["repair_provider"] is True
    admin.patch(f"/api/v1/partners/{pid}", json={"active": False})
    assert ("partner", pid) not in points()
    assert ("partner", other.json["id"]) in points()
