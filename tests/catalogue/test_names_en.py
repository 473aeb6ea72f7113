"""Brands, competitor models, our products and promo materials have an English name beside the
Chinese one (`name_en`, optional): set over REST and sent to the phones with the catalogue."""

from __future__ import annotations

import pytest

from tests.sync.helpers import Device, snapshot


@pytest.mark.parametrize(
    ("path", "entity", "body"),
    [
        ("competitor-brands", "competitor_brand", {"name": "华为", "name_en": "Huawei"}),
        ("products", "product", {"model_code": "XL-Z9", "name": "星澜 Z9", "name_en": "Xinglan Z9"}),
        (
            "promo-materials",
            "promo_material",
            {"code": "STD-9", "name": "人形立牌", "name_en": "Standee", "kind": "standee"},
        ),
    ],
)
def test_an_english_name_is_kept_returned_and_synced(world, api, path, entity, body):
    admin = api(world.admin)
    r = admin.post(f"/api/v1/{path}", json=body)
    assert r.status_code == 201, r.json
    assert (r.json["name"], r.json["name_en"]) == (body["name"], body["name_en"])
    synced = snapshot(Device(api(world.rep_a1)))[(entity, str(r.json["id"]))]["data"]
    assert (synced["name"], synced["name_en"]) == (body["name"], body["name_en"])
    # cleared again: the phone shows the Chinese name
    r = admin.patch(f"/api/v1/{path}/{r.json['id']}", json={"name_en": None})
    assert r.status_code == 200 and r.json["name_en"] is None


def test_a_competitor_model_english_name_and_its_bound(world, api):
    admin = api(world.admin)
    body = {"brand_id": world.brand.id, "name": "畅享 70", "name_en": "Enjoy 70"}
    r = admin.post("/api/v1/competitor-models", json=body)
    assert r.status_code == 201 and r.json["name_en"] == "Enjoy 70"
    r = admin.post("/api/v1/competitor-models", json={**body, "name": "畅享 80", "name_en": "E" * 121})
    assert r.status_code == 422 and "name_en" in r.json["errors"]["json"]
    # found by its English name too
    r = admin.get("/api/v1/competitor-models?q=enjoy")
    assert [m["name"] for m in r.json] == ["畅享 70"]
    assert [b["name"] for b in admin.get("/api/v1/competitor-brands?q=opp").json] == ["OPPO"]
