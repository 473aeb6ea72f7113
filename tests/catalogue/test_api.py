"""Catalogue master data: products, competitor brands and models, promo materials, checklist items."""

from __future__ import annotations

import json

import pytest

from tests.factories import World

ROLES = ["rep_a1", "manager_a", "clerk_a1", "hq", "admin"]
NON_ADMINS = ["rep_a1", "manager_a", "clerk_a1", "hq"]


def pagination(resp) -> dict:
    return json.loads(resp.headers["X-Pagination"])


def column(resp, key) -> list:
    assert resp.status_code == 200, resp.json
    return [row[key] for row in resp.json]


# resource: (new body given the world, unique field, a valid change, how many the world holds)
RESOURCES = {
    "products": (
        lambda w: {"model_code": "XL-P40", "name": "星澜 P40", "launch_date": "2026-09-01", "list_price": "3299.00"},
        "model_code",
        {"list_price": "2899.00"},
        1,
    ),
    "competitor-brands": (lambda w: {"name": "vivo"}, "name", {"active": False}, 1),
    "competitor-models": (
        lambda w: {"brand_id": w.brand.id, "name": "Find X8", "list_price": "4999.00"},
        "name",
        {"list_price": "4599.00"},
        1,
    ),
    "promo-materials": (
        lambda w: {"code": "STANDEE-P30", "name": "P30 立牌", "kind": "standee", "unit_cost": "88.00"},
        "code",
        {"unit_cost": "79.50"},
        1,
    ),
    "checklist-items": (
        lambda w: {
            "code": "POSTER",
            "label_zh": "海报张贴",
            "label_en": "Poster up",
            "answer_type": "yes_no",
            "weight": 1,
            "sort_order": 3,
        },
        "code",
        {"weight": 3},
        2,
    ),
}


def existing(world: World, resource: str):
    return {
        "products": world.product,
        "competitor-brands": world.brand,
        "competitor-models": world.competitor_model,
        "promo-materials": world.material,
        "checklist-items": world.yes_item,
    }[resource]


@pytest.mark.parametrize("resource", RESOURCES)
def test_admin_creates_gets_and_patches(world, api, resource):
    body_for, _, change, _ = RESOURCES[resource]
    admin = api(world.admin)
    body = body_for(world)
    r = admin.post(f"/api/v1/{resource}", json=body)
    assert r.status_code == 201, r.json
    created = r.json
    for key, value in body.items():
        assert created[key] == value, key
    assert created.get("active", True) is True
    got = admin.get(f"/api/v1/{resource}/{created['id']}")
    assert got.status_code == 200 and got.json == created
    r = admin.patch(f"/api/v1/{resource}/{created['id']}", json=change)
    assert r.status_code == 200, r.json
    assert r.json == created | change
    assert admin.get(f"/api/v1/{resource}/{created['id']}").json == created | change


@pytest.mark.parametrize("resource", RESOURCES)
def test_unique_violations_are_409_naming_the_field(world, api, resource):
    body_for, unique, _, _ = RESOURCES[resource]
    admin = api(world.admin)
    taken = getattr(existing(world, resource), unique)
    r = admin.post(f"/api/v1/{resource}", json=body_for(world) | {unique: taken})
    assert r.status_code == 409, r.json
    assert unique in r.json["errors"]["json"]
    assert taken in r.json["message"]
    created = admin.post(f"/api/v1/{resource}", json=body_for(world)).json
    r = admin.patch(f"/api/v1/{resource}/{created['id']}", json={unique: taken})
    assert r.status_code == 409
    assert unique in r.json["errors"]["json"]
    # Its own value again is fine.
    assert admin.patch(f"/api/v1/{resource}/{created['id']}", json={unique: created[unique]}).status_code == 200


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("who", NON_ADMINS)
def test_non_admin_writes_are_403(world, api, resource, who):
    body_for, _, change, count = RESOURCES[resource]
    caller = api(world.users[who])
    r = caller.post(f"/api/v1/{resource}", json=body_for(world))
    assert r.status_code == 403 and r.json["code"] == "forbidden"
    obj = existing(world, resource)
    before = api(world.admin).get(f"/api/v1/{resource}/{obj.id}").json
    r = caller.patch(f"/api/v1/{resource}/{obj.id}", json=change)
    assert r.status_code == 403
    assert api(world.admin).get(f"/api/v1/{resource}/{obj.id}").json == before
    assert pagination(api(world.admin).get(f"/api/v1/{resource}"))["total"] == count


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("who", ROLES)
def test_every_role_can_read(world, api, resource, who):
    _, _, _, count = RESOURCES[resource]
    caller = api(world.users[who])
    r = caller.get(f"/api/v1/{resource}")
    assert r.status_code == 200
    assert len(r.json) == pagination(r)["total"] == count
    obj = existing(world, resource)
    r = caller.get(f"/api/v1/{resource}/{obj.id}")
    assert r.status_code == 200 and r.json["id"] == obj.id
    assert caller.get(f"/api/v1/{resource}/999999").status_code == 404


@pytest.mark.parametrize("resource", RESOURCES)
def test_unknown_fields_are_422(world, api, resource):
    body_for, _, _, _ = RESOURCES[resource]
    r = api(world.admin).post(f"/api/v1/{resource}", json=body_for(world) | {"colour": "red"})
    assert r.status_code == 422 and "colour" in r.json["errors"]["json"]


def test_product_money_and_dates(world, api):
    admin = api(world.admin)
    r = admin.get(f"/api/v1/products/{world.product.id}")
    assert r.json["list_price"] == "2999.00"  # a string: cents stay exact
    assert r.json["launch_date"] == "2026-03-01"
    r = admin.post("/api/v1/products", json={"model_code": "A", "name": "A", "list_price": 1999.5})
    assert r.status_code == 201 and r.json["list_price"] == "1999.50"
    for bad in ({"list_price": "-1"}, {"list_price": "abc"}, {"launch_date": "2026-13-01"}):
        r = admin.post("/api/v1/products", json={"model_code": "B", "name": "B"} | bad)
        assert r.status_code == 422, bad
        assert list(bad)[0] in r.json["errors"]["json"]


def test_competitor_model_brand_reference_uniqueness_and_filter(world, api):
    admin = api(world.admin)
    r = admin.post("/api/v1/competitor-models", json={"brand_id": 999_999, "name": "Ghost"})
    assert r.status_code == 422 and "brand_id" in r.json["errors"]["json"]
    r = admin.patch(f"/api/v1/competitor-models/{world.competitor_model.id}", json={"brand_id": 999_999})
    assert r.status_code == 422 and "brand_id" in r.json["errors"]["json"]

    vivo = admin.post("/api/v1/competitor-brands", json={"name": "vivo"}).json
    # The same model name under another brand is fine; under the same brand it is a duplicate.
    r = admin.post("/api/v1/competitor-models", json={"brand_id": vivo["id"], "name": "Reno 12"})
    assert r.status_code == 201
    r = admin.post("/api/v1/competitor-models", json={"brand_id": world.brand.id, "name": "Reno 12"})
    assert r.status_code == 409 and "name" in r.json["errors"]["json"]
    x200 = admin.post("/api/v1/competitor-models", json={"brand_id": vivo["id"], "name": "X200"}).json
    # Moving a model to a brand that already has that name is a duplicate too.
    r = admin.patch(f"/api/v1/competitor-models/{x200['id']}", json={"name": "Reno 12"})
    assert r.status_code == 409
    r = admin.patch(f"/api/v1/competitor-models/{world.competitor_model.id}", json={"brand_id": vivo["id"]})
    assert r.status_code == 409

    assert column(admin.get(f"/api/v1/competitor-models?brand_id={vivo['id']}"), "name") == ["Reno 12", "X200"]
    assert column(admin.get(f"/api/v1/competitor-models?brand_id={world.brand.id}"), "name") == ["Reno 12"]
    assert column(admin.get("/api/v1/competitor-models?q=x2"), "name") == ["X200"]


def test_competitor_brand_filters(world, api):
    admin = api(world.admin)
    admin.post("/api/v1/competitor-brands", json={"name": "Honor", "active": False})
    admin.post("/api/v1/competitor-brands", json={"name": "Xiaomi"})
    assert column(admin.get("/api/v1/competitor-brands"), "name") == ["Honor", "OPPO", "Xiaomi"]
    assert column(admin.get("/api/v1/competitor-brands?active=true"), "name") == ["OPPO", "Xiaomi"]
    assert column(admin.get("/api/v1/competitor-brands?active=false"), "name") == ["Honor"]
    assert column(admin.get("/api/v1/competitor-brands?q=xiao"), "name") == ["Xiaomi"]


def test_promo_material_kind_and_filters(world, api):
    admin = api(world.admin)
    r = admin.post("/api/v1/promo-materials", json={"code": "G1", "name": "Gift", "kind": "voucher"})
    assert r.status_code == 422 and "kind" in r.json["errors"]["json"]
    admin.post("/api/v1/promo-materials", json={"code": "DEMO-P30", "name": "P30 演示机", "kind": "demo_unit"})
    admin.post("/api/v1/promo-materials", json={"code": "GIFT-CASE", "name": "手机壳", "kind": "gift", "active": False})
    assert column(admin.get("/api/v1/promo-materials"), "code") == ["DEMO-P30", "GIFT-CASE", "POSTER-P30"]
    assert column(admin.get("/api/v1/promo-materials?kind=demo_unit"), "code") == ["DEMO-P30"]
    assert column(admin.get("/api/v1/promo-materials?active=false"), "code") == ["GIFT-CASE"]
    assert column(admin.get("/api/v1/promo-materials?q=海报"), "code") == ["POSTER-P30"]


def test_promo_material_pagination(world, api):
    admin = api(world.admin)
    for i in range(11):
        r = admin.post("/api/v1/promo-materials", json={"code": f"M{i:02d}", "name": f"M{i}", "kind": "other"})
        assert r.status_code == 201
    r = admin.get("/api/v1/promo-materials?page=3&page_size=5")
    p = pagination(r)
    assert (p["total"], p["total_pages"], p["page"]) == (12, 3, 3)
    assert len(r.json) == 2
    all_codes = column(admin.get("/api/v1/promo-materials?page_size=100"), "code")
    assert all_codes == sorted(all_codes)
    assert column(r, "code") == all_codes[10:]


def test_number_checklist_item_needs_a_target(world, api):
    admin = api(world.admin)
    body = {"code": "PHONES", "label_zh": "演示机", "label_en": "Demo phones", "answer_type": "number"}
    r = admin.post("/api/v1/checklist-items", json=body)
    assert r.status_code == 422
    assert "target" in r.json["errors"]["json"]
    r = admin.post("/api/v1/checklist-items", json=body | {"target": None})
    assert r.status_code == 422 and "target" in r.json["errors"]["json"]
    r = admin.post("/api/v1/checklist-items", json=body | {"target": -1})
    assert r.status_code == 422 and "target" in r.json["errors"]["json"]
    r = admin.post("/api/v1/checklist-items", json=body | {"target": 3})
    assert r.status_code == 201 and r.json["target"] == 3
    r = admin.post("/api/v1/checklist-items", json=body | {"code": "X", "answer_type": "free_text", "target": 1})
    assert r.status_code == 422 and "answer_type" in r.json["errors"]["json"]


def test_a_change_cannot_leave_a_number_item_without_target(world, api):
    admin = api(world.admin)
    # A yes/no item turned into a number item must get a target in the same change…
    r = admin.patch(f"/api/v1/checklist-items/{world.yes_item.id}", json={"answer_type": "number"})
    assert r.status_code == 422 and "target" in r.json["errors"]["json"]
    assert admin.get(f"/api/v1/checklist-items/{world.yes_item.id}").json["answer_type"] == "yes_no"
    r = admin.patch(f"/api/v1/checklist-items/{world.yes_item.id}", json={"answer_type": "number", "target": 1})
    assert r.status_code == 200
    # …and a number item cannot drop its target.
    r = admin.patch(f"/api/v1/checklist-items/{world.number_item.id}", json={"target": None})
    assert r.status_code == 422 and "target" in r.json["errors"]["json"]
    r = admin.patch(f"/api/v1/checklist-items/{world.number_item.id}", json={"target": 4})
    assert r.status_code == 200 and r.json["target"] == 4


def test_checklist_items_are_listed_in_sort_order(world, api):
    admin = api(world.admin)
    admin.post(
        "/api/v1/checklist-items",
        json={"code": "FIRST", "label_zh": "一", "label_en": "One", "answer_type": "yes_no", "sort_order": 0},
    )
    assert column(admin.get("/api/v1/checklist-items"), "code") == ["FIRST", "LOGO", "DEMO"]
    admin.patch(f"/api/v1/checklist-items/{world.number_item.id}", json={"active": False})
    assert column(admin.get("/api/v1/checklist-items?active=true"), "code") == ["FIRST", "LOGO"]
    assert column(admin.get("/api/v1/checklist-items?q=demo"), "code") == ["DEMO"]
    r = admin.post(
        "/api/v1/checklist-items",
        json={"code": "W", "label_zh": "w", "label_en": "w", "answer_type": "yes_no", "weight": 101},
    )
    assert r.status_code == 422 and "weight" in r.json["errors"]["json"]
