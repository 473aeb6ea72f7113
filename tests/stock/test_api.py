"""The promo-material stock ledger through the HTTP API."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from backend.catalogue.models import PromoMaterial
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.stock.models import StockMovement
from tests.factories import TIANHE, YUEXIU, iso, new_id


def body(world, kind, quantity, at, store=None, material=None, **kw) -> dict:
    return {
        "id": kw.pop("id", new_id()),
        "store_id": (store or world.store_a1).id,
        "material_id": (material or world.material).id,
        "kind": kind,
        "quantity": quantity,
        "recorded_at": iso(at),
        **kw,
    }


def post(client, payload, status=201):
    r = client.post("/api/v1/stock-movements", json=payload)
    assert r.status_code == status, r.json
    return r


def stock(client, store) -> dict[int, dict]:
    r = client.get(f"/api/v1/stores/{store.id}/stock")
    assert r.status_code == 200, r.json
    return {row["material_id"]: row for row in r.json}


@pytest.fixture
def second_material(world):
    m = PromoMaterial(code="STANDEE-P30", name="P30 立牌", kind="standee")
    db.session.add(m)
    db.session.commit()
    return m


def test_empty_store_has_no_rows(api, world):
    assert stock(api(world.rep_a1), world.store_a1) == {}


def test_deliveries_uses_returns_then_count(api, world):
    rep = api(world.rep_a1)
    t = utcnow() - timedelta(days=3)
    post(rep, body(world, "delivered", 100, t))
    post(rep, body(world, "used", 30, t + timedelta(hours=1)))
    post(rep, body(world, "returned", 10, t + timedelta(hours=2)))
    level = stock(rep, world.store_a1)[world.material.id]
    assert level["quantity"] == 60
    assert level["last_counted_at"] is None
    assert level["material_code"] == "POSTER-P30"
    assert level["material_name"] == "P30 海报"
    post(rep, body(world, "counted", 55, t + timedelta(hours=3)))
    post(rep, body(world, "used", 5, t + timedelta(hours=4)))
    level = stock(rep, world.store_a1)[world.material.id]
    assert level["quantity"] == 50
    assert level["last_counted_at"].startswith(iso(t + timedelta(hours=3))[:19])
    assert level["last_movement_at"].startswith(iso(t + timedelta(hours=4))[:19])


LEDGER = [  # (kind, quantity, hour): stock after all = count 40 at h3, +20 at h4, -6 at h5 = 54
    ("delivered", 100, 0),
    ("used", 30, 1),
    ("returned", 10, 2),
    ("counted", 40, 3),
    ("delivered", 20, 4),
    ("used", 6, 5),
]


@pytest.mark.parametrize("order", list(itertools.islice(itertools.permutations(range(len(LEDGER))), 0, 720, 97)))
def test_recorded_at_decides_not_arrival(api, world, order):
    rep = api(world.rep_a1)
    t = utcnow() - timedelta(days=1)
    for i in order:
        kind, q, h = LEDGER[i]
        post(rep, body(world, kind, q, t + timedelta(hours=h)))
    level = stock(rep, world.store_a1)[world.material.id]
    assert level["quantity"] == 54
    assert level["last_counted_at"].startswith(iso(t + timedelta(hours=3))[:19])


def test_a_late_arriving_older_count_does_not_override_a_newer_one(api, world):
    rep, other = api(world.rep_a1), api(world.rep_a1b)
    t = utcnow() - timedelta(days=1)
    post(rep, body(world, "counted", 12, t + timedelta(hours=5)))
    post(rep, body(world, "delivered", 3, t + timedelta(hours=6)))
    # A colleague who was offline syncs an older count and an older use afterwards.
    post(other, body(world, "counted", 80, t + timedelta(hours=1)))
    post(other, body(world, "used", 70, t + timedelta(hours=2)))
    assert stock(rep, world.store_a1)[world.material.id]["quantity"] == 15
    # A late use recorded after the newest count does count.
    post(other, body(world, "used", 4, t + timedelta(hours=7)))
    assert stock(rep, world.store_a1)[world.material.id]["quantity"] == 11


def test_materials_and_stores_are_separate(api, world, second_material):
    rep = api(world.rep_a1)
    t = utcnow() - timedelta(hours=5)
    post(rep, body(world, "delivered", 10, t))
    post(rep, body(world, "delivered", 3, t, material=second_material))
    post(rep, body(world, "delivered", 7, t, store=world.store_a1b))
    levels = stock(rep, world.store_a1)
    assert {m: row["quantity"] for m, row in levels.items()} == {world.material.id: 10, second_material.id: 3}
    assert {m: row["quantity"] for m, row in stock(rep, world.store_a1b).items()} == {world.material.id: 7}


def test_stock_read_follows_store_scope(api, world):
    post(api(world.rep_a1), body(world, "delivered", 10, utcnow() - timedelta(hours=1)))
    assert stock(api(world.rep_a1b), world.store_a1)[world.material.id]["quantity"] == 10  # same territory
    assert stock(api(world.manager_a), world.store_a1)[world.material.id]["quantity"] == 10
    assert stock(api(world.hq), world.store_a1)[world.material.id]["quantity"] == 10
    assert api(world.rep_a2).get(f"/api/v1/stores/{world.store_a1.id}/stock").status_code == 404
    assert api(world.manager_b).get(f"/api/v1/stores/{world.store_a1.id}/stock").status_code == 404
    assert api(world.rep_a1).get("/api/v1/stores/999999/stock").status_code == 404


# --- refusals -------------------------------------------------------------------------------------


def test_negative_quantity_is_422(api, world):
    r = post(api(world.rep_a1), body(world, "counted", -1, utcnow()), 422)
    assert "quantity" in r.json["errors"]["json"]


@pytest.mark.parametrize("kind", ["delivered", "used", "returned"])
def test_zero_quantity_is_refused_for_movements(api, world, kind):
    r = post(api(world.rep_a1), body(world, kind, 0, utcnow()), 422)
    assert "quantity" in r.json["errors"]["json"]


def test_zero_count_is_allowed(api, world):
    rep = api(world.rep_a1)
    t = utcnow() - timedelta(hours=2)
    post(rep, body(world, "delivered", 9, t))
    post(rep, body(world, "counted", 0, t + timedelta(minutes=1)))
    assert stock(rep, world.store_a1)[world.material.id]["quantity"] == 0


def test_unknown_material_is_422(api, world):
    payload = body(world, "delivered", 1, utcnow()) | {"material_id": 999_999}
    r = post(api(world.rep_a1), payload, 422)
    assert "material_id" in r.json["errors"]["json"]


def test_unknown_kind_is_422(api, world):
    r = post(api(world.rep_a1), body(world, "stolen", 1, utcnow()), 422)
    assert "kind" in r.json["errors"]["json"]


def test_fractional_quantity_is_422(api, world):
    r = post(api(world.rep_a1), body(world, "delivered", 2.5, utcnow()), 422)
    assert "quantity" in r.json["errors"]["json"]


def test_out_of_scope_store_is_404(api, world):
    r = post(api(world.rep_a1), body(world, "delivered", 1, utcnow(), store=world.store_a2), 404)
    assert "store_id" in r.json["errors"]["json"]


def test_visit_of_another_store_is_422(api, world):
    rep = api(world.rep_a1)
    visit = {
        "id": new_id(),
        "store_id": world.store_a1b.id,
        "checked_in_at": iso(utcnow() - timedelta(hours=1)),
        "latitude": TIANHE[0],
        "longitude": TIANHE[1],
        "accuracy_m": 10,
    }
    assert rep.post("/api/v1/visits", json=visit).status_code == 201
    r = post(rep, body(world, "delivered", 1, utcnow(), visit_id=visit["id"]), 422)
    assert "visit_id" in r.json["errors"]["json"]
    ok = post(rep, body(world, "delivered", 1, utcnow(), store=world.store_a1b, visit_id=visit["id"]))
    assert ok.json["visit_id"] == visit["id"]


def test_visit_of_another_rep_is_404(api, world):
    visit = {
        "id": new_id(),
        "store_id": world.store_a1.id,
        "checked_in_at": iso(utcnow() - timedelta(hours=1)),
        "latitude": YUEXIU[0],
        "longitude": YUEXIU[1],
        "accuracy_m": 10,
    }
    assert api(world.rep_a1).post("/api/v1/visits", json=visit).status_code == 201
    r = post(api(world.rep_a1b), body(world, "delivered", 1, utcnow(), visit_id=visit["id"]), 404)
    assert "visit_id" in r.json["errors"]["json"]


def test_recorded_in_the_future_is_422(api, world):
    r = post(api(world.rep_a1), body(world, "delivered", 1, utcnow() + timedelta(days=1)), 422)
    assert "recorded_at" in r.json["errors"]["json"]


@pytest.mark.parametrize("who", ["clerk_a1", "hq", "admin"])
def test_only_field_writers_record(api, world, who):
    r = api(getattr(world, who)).post("/api/v1/stock-movements", json=body(world, "delivered", 1, utcnow()))
    assert r.status_code == 403


# --- idempotency and immutability -----------------------------------------------------------------


def test_same_id_same_content_is_200_and_one_entry(api, world):
    rep = api(world.rep_a1)
    payload = body(world, "delivered", 8, utcnow() - timedelta(minutes=5), note="到货")
    post(rep, payload)
    again = post(rep, payload, 200)
    assert again.json["id"] == payload["id"]
    assert db.session.query(StockMovement).count() == 1
    assert stock(rep, world.store_a1)[world.material.id]["quantity"] == 8


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": 9},
        {"kind": "used"},
        {"note": "changed"},
        {"recorded_at": iso(utcnow() - timedelta(days=1))},
    ],
)
def test_same_id_different_content_is_409_and_ledger_unchanged(api, world, change):
    rep = api(world.rep_a1)
    payload = body(world, "delivered", 8, utcnow() - timedelta(minutes=5))
    post(rep, payload)
    r = post(rep, payload | change, 409)
    assert r.json["code"] == "conflict"
    assert db.session.query(StockMovement).count() == 1
    entry = rep.get(f"/api/v1/stock-movements/{payload['id']}").json
    assert entry["quantity"] == 8 and entry["kind"] == "delivered"
    assert stock(rep, world.store_a1)[world.material.id]["quantity"] == 8


def test_same_id_from_another_rep_is_409(api, world):
    payload = body(world, "delivered", 8, utcnow() - timedelta(minutes=5))
    post(api(world.rep_a1), payload)
    post(api(world.rep_a1b), payload, 409)


def test_there_is_no_way_to_edit_or_delete(api, world):
    rep = api(world.rep_a1)
    payload = body(world, "delivered", 8, utcnow() - timedelta(minutes=5))
    post(rep, payload)
    url = f"/api/v1/stock-movements/{payload['id']}"
    assert rep.patch(url, json={"quantity": 1}).status_code == 405
    assert rep.put(url, json=payload | {"quantity": 1}).status_code == 405
    assert rep.delete(url).status_code == 405
    assert rep.get(url).json["quantity"] == 8


# --- listing --------------------------------------------------------------------------------------


def test_listing_scope_and_filters(api, world, second_material):
    rep, other = api(world.rep_a1), api(world.rep_a1b)
    t = utcnow() - timedelta(hours=3)
    a = post(rep, body(world, "delivered", 5, t)).json["id"]
    b = post(rep, body(world, "used", 2, t + timedelta(minutes=1), material=second_material)).json["id"]
    c = post(other, body(world, "counted", 4, t + timedelta(minutes=2))).json["id"]

    def ids(client, query=""):
        r = client.get(f"/api/v1/stock-movements{query}")
        assert r.status_code == 200, r.json
        return [m["id"] for m in r.json]

    assert ids(rep) == [b, a]  # newest first, own only
    assert ids(other) == [c]
    assert ids(api(world.manager_a)) == [c, b, a]
    assert ids(api(world.manager_b)) == []
    assert ids(api(world.manager_a), f"?material_id={second_material.id}") == [b]
    assert ids(api(world.manager_a), "?kind=counted") == [c]
    assert ids(api(world.manager_a), f"?rep_id={world.rep_a1.id}") == [b, a]
    assert api(world.rep_a1b).get(f"/api/v1/stock-movements/{a}").status_code == 404
    assert api(world.clerk_a1).get("/api/v1/stock-movements").status_code == 403
