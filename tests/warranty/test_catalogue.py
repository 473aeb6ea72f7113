"""What the catalogue holds for warranty cards: each model's TACs (a TAC names one model only)
and its 三包 terms."""

from __future__ import annotations

import pytest

from tests.factories import N10_TAC, P30_TAC

PRODUCTS = "/api/v1/products"


def new_product(**kw) -> dict:
    return {"model_code": "XL-N10", "name": "星澜 N10", **kw}


def test_a_product_carries_its_tacs_and_terms_with_the_usual_defaults(api, world):
    admin = api(world.admin)
    r = admin.post(PRODUCTS, json=new_product(tac_codes=[N10_TAC, "86771204"]))
    assert r.status_code == 201, r.json
    got = r.json
    assert got["tac_codes"] == [N10_TAC, "86771204"]
    assert (got["return_days"], got["exchange_days"], got["repair_months"]) == (7, 15, 12)
    r = admin.patch(f"{PRODUCTS}/{got['id']}", json={"return_days": 14, "exchange_days": 30, "repair_months": 24})
    assert r.status_code == 200, r.json
    assert (r.json["return_days"], r.json["exchange_days"], r.json["repair_months"]) == (14, 30, 24)
    assert api(world.clerk_a1).get(f"{PRODUCTS}/{got['id']}").json["tac_codes"] == [N10_TAC, "86771204"]


def test_a_tac_belongs_to_one_model_only(api, world):
    admin = api(world.admin)
    r = admin.post(PRODUCTS, json=new_product(tac_codes=[N10_TAC, P30_TAC]))
    assert r.status_code == 409, r.json
    assert r.json["message"] == f"TAC {P30_TAC} is already listed for XL-P30."
    assert "tac_codes" in r.json["errors"]["json"]
    n10 = admin.post(PRODUCTS, json=new_product(tac_codes=[N10_TAC])).json
    r = admin.patch(f"{PRODUCTS}/{world.product.id}", json={"tac_codes": [P30_TAC, N10_TAC]})
    assert r.status_code == 409 and r.json["message"] == f"TAC {N10_TAC} is already listed for XL-N10."
    # A model may keep (or re-send) its own TACs.
    r = admin.patch(f"{PRODUCTS}/{n10['id']}", json={"tac_codes": [N10_TAC, "86771204"], "name": "星澜 N10 Pro"})
    assert r.status_code == 200, r.json
    # Once a model gives a TAC up, another may take it.
    assert admin.patch(f"{PRODUCTS}/{n10['id']}", json={"tac_codes": ["86771204"]}).status_code == 200
    assert admin.patch(f"{PRODUCTS}/{world.product.id}", json={"tac_codes": [P30_TAC, N10_TAC]}).status_code == 200


@pytest.mark.parametrize(
    ("tacs", "status"),
    [([N10_TAC, N10_TAC], 422), (["8677120"], 422), (["867712030"], 422), (["8677120X"], 422), ([], 201)],
)
def test_tacs_are_8_digits_listed_once(api, world, tacs, status):
    r = api(world.admin).post(PRODUCTS, json=new_product(tac_codes=tacs))
    assert r.status_code == status, r.json
    if status == 422:
        assert "tac_codes" in r.json["errors"]["json"]


@pytest.mark.parametrize(
    "change", [{"return_days": -1}, {"exchange_days": 366}, {"repair_months": 121}, {"return_days": 1.5}]
)
def test_terms_out_of_range_are_refused(api, world, change):
    r = api(world.admin).patch(f"{PRODUCTS}/{world.product.id}", json=change)
    assert r.status_code == 422 and set(r.json["errors"]["json"]) == set(change)
