"""Bad input across the field-record endpoints: always a 4xx with a JSON body naming the field,
never a 500. Ends with a hypothesis fuzz of the POST endpoints."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.timeutil import utcnow
from tests.factories import TIANHE, iso, new_id

DELETE = object()  # a change that removes the field


@pytest.fixture
def visit_id(api, world) -> str:
    vid = new_id()
    r = api(world.rep_a1).post("/api/v1/visits", json=valid_bodies(world, None)["visits"] | {"id": vid})
    assert r.status_code == 201, r.json
    return vid


def valid_bodies(world, visit_id: str | None) -> dict[str, dict]:
    at = iso(utcnow() - timedelta(minutes=30))
    return {
        "visits": {
            "id": new_id(),
            "store_id": world.store_a1.id,
            "checked_in_at": iso(utcnow() - timedelta(hours=1)),
            "latitude": TIANHE[0],
            "longitude": TIANHE[1],
            "accuracy_m": 12.5,
            "notes": "",
        },
        "check-out": {"checked_out_at": at, "latitude": TIANHE[0], "longitude": TIANHE[1], "accuracy_m": 9},
        "display-checks": {
            "id": new_id(),
            "visit_id": visit_id,
            "checked_at": at,
            "answers": [{"item_id": world.yes_item.id, "value": True}, {"item_id": world.number_item.id, "value": 2}],
            "photo_ids": [],
        },
        "stock-movements": {
            "id": new_id(),
            "store_id": world.store_a1.id,
            "material_id": world.material.id,
            "kind": "delivered",
            "quantity": 5,
            "recorded_at": at,
            "visit_id": visit_id,
        },
        "price-observations": {
            "id": new_id(),
            "store_id": world.store_a1.id,
            "competitor_model_id": world.competitor_model.id,
            "shelf_price": "2699.00",
            "observed_at": at,
            "visit_id": visit_id,
        },
        "intel-reports": {
            "id": new_id(),
            "kind": "new_store",
            "name": "华为授权体验店",
            "latitude": TIANHE[0] + 0.01,
            "longitude": TIANHE[1],
            "reported_at": at,
        },
    }


def url_for(endpoint: str, visit_id: str) -> str:
    return f"/api/v1/visits/{visit_id}/check-out" if endpoint == "check-out" else f"/api/v1/{endpoint}"


def names_field(r, field: str) -> bool:
    """The body's `errors` or `message` mentions the field."""
    body = r.json
    return field in json.dumps(body.get("errors", {}), ensure_ascii=False) or field in body.get("message", "")


def assert_refused(r, field: str, statuses=None):
    assert r.status_code != 500, r.json
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    if statuses:
        assert r.status_code in statuses, r.json
    assert r.is_json, r.get_data(as_text=True)[:300]
    assert names_field(r, field), r.json
    if r.status_code == 422:  # a reason the app can say in the user's language (invalid_value {field}, or a rule's)
        assert isinstance(r.json.get("reason"), str) and isinstance(r.json.get("params"), dict), r.json


CASES = [
    # visits: wrong types, ranges, missing, unknown, overlong, ids
    ("visits", {"latitude": 91}, "latitude"),
    ("visits", {"latitude": -91}, "latitude"),
    ("visits", {"longitude": 181}, "longitude"),
    ("visits", {"longitude": -180.0001}, "longitude"),
    ("visits", {"latitude": "north"}, "latitude"),
    ("visits", {"latitude": None}, "latitude"),
    ("visits", {"latitude": [23.1]}, "latitude"),
    ("visits", {"accuracy_m": -1}, "accuracy_m"),
    ("visits", {"accuracy_m": 1e9}, "accuracy_m"),
    ("visits", {"store_id": "one"}, "store_id"),
    ("visits", {"store_id": True}, "store_id"),
    ("visits", {"store_id": 1.5}, "store_id"),
    ("visits", {"store_id": 999_999}, "store_id"),
    ("visits", {"store_id": -3}, "store_id"),
    ("visits", {"store_id": 10**30}, "store_id"),
    ("visits", {"store_id": 2**63}, "store_id"),
    ("visits", {"store_id": {"id": 1}}, "store_id"),
    ("visits", {"id": "not-a-uuid"}, "id"),
    ("visits", {"id": 42}, "id"),
    ("visits", {"id": None}, "id"),
    ("visits", {"checked_in_at": "yesterday"}, "checked_in_at"),
    ("visits", {"checked_in_at": 1_700_000_000}, "checked_in_at"),
    ("visits", {"checked_in_at": "2026-02-30T10:00:00Z"}, "checked_in_at"),
    ("visits", {"checked_in_at": "0001-01-01T00:00:00+01:00"}, "checked_in_at"),
    ("visits", {"checked_in_at": "9999-12-31T23:59:59-01:00"}, "checked_in_at"),
    ("visits", {"checked_in_at": iso(utcnow() + timedelta(days=30))}, "checked_in_at"),
    ("visits", {"notes": "长" * 4001}, "notes"),
    ("visits", {"notes": 5}, "notes"),
    ("visits", {"store_id": DELETE}, "store_id"),
    ("visits", {"latitude": DELETE}, "latitude"),
    ("visits", {"checked_in_at": DELETE}, "checked_in_at"),
    ("visits", {"colour": "red"}, "colour"),
    ("visits", {"off_site": False}, "off_site"),
    ("visits", {"distance_m": 0}, "distance_m"),
    ("visits", {"rep_id": 1}, "rep_id"),
    # check-out
    ("check-out", {"checked_out_at": DELETE}, "checked_out_at"),
    ("check-out", {"checked_out_at": None}, "checked_out_at"),
    ("check-out", {"checked_out_at": "soon"}, "checked_out_at"),
    ("check-out", {"latitude": 91}, "latitude"),
    ("check-out", {"longitude": 181}, "longitude"),
    ("check-out", {"longitude": DELETE}, "longitude"),
    ("check-out", {"accuracy_m": "good"}, "accuracy_m"),
    ("check-out", {"notes": "x" * 4001}, "notes"),
    ("check-out", {"store_id": 1}, "store_id"),
    # display checks
    ("display-checks", {"answers": "all good"}, "answers"),
    ("display-checks", {"answers": DELETE}, "answers"),
    ("display-checks", {"answers": []}, "answers"),
    ("display-checks", {"answers": [{"item_id": "x", "value": True}]}, "answers"),
    ("display-checks", {"answers": [{"value": True}]}, "answers"),
    ("display-checks", {"answers": [{"item_id": 1, "value": True, "photo": 1}]}, "answers"),
    ("display-checks", {"answers": [{"item_id": 10**30, "value": True}]}, "answers"),
    ("display-checks", {"answers": [{"item_id": 999_999, "value": True}]}, "answers"),
    ("display-checks", {"answers": [{"item_id": 1, "value": True}] * 201}, "answers"),
    ("display-checks", {"answers": [None]}, "answers"),
    ("display-checks", {"visit_id": "nope"}, "visit_id"),
    ("display-checks", {"visit_id": str(uuid.uuid4())}, "visit_id"),
    ("display-checks", {"visit_id": DELETE}, "visit_id"),
    ("display-checks", {"photo_ids": ["nope"]}, "photo_ids"),
    ("display-checks", {"photo_ids": [str(uuid.uuid4()) for _ in range(21)]}, "photo_ids"),
    ("display-checks", {"photo_ids": "abc"}, "photo_ids"),
    ("display-checks", {"notes": "x" * 2001}, "notes"),
    ("display-checks", {"score": 100}, "score"),
    ("display-checks", {"store_id": 1}, "store_id"),
    ("display-checks", {"checked_at": "2026-13-01T00:00:00Z"}, "checked_at"),
    # stock
    ("stock-movements", {"quantity": -1}, "quantity"),
    ("stock-movements", {"quantity": "five"}, "quantity"),
    ("stock-movements", {"quantity": 1.5}, "quantity"),
    ("stock-movements", {"quantity": 1_000_001}, "quantity"),
    ("stock-movements", {"quantity": None}, "quantity"),
    ("stock-movements", {"quantity": 0}, "quantity"),
    ("stock-movements", {"quantity": DELETE}, "quantity"),
    ("stock-movements", {"kind": "lost"}, "kind"),
    ("stock-movements", {"kind": DELETE}, "kind"),
    ("stock-movements", {"material_id": 999_999}, "material_id"),
    ("stock-movements", {"material_id": 10**20}, "material_id"),
    ("stock-movements", {"store_id": 999_999}, "store_id"),
    ("stock-movements", {"store_id": "A1-001"}, "store_id"),
    ("stock-movements", {"visit_id": str(uuid.uuid4())}, "visit_id"),
    ("stock-movements", {"visit_id": 7}, "visit_id"),
    ("stock-movements", {"note": "x" * 501}, "note"),
    ("stock-movements", {"recorded_at": iso(utcnow() + timedelta(days=1))}, "recorded_at"),
    ("stock-movements", {"unit_cost": "1.00"}, "unit_cost"),
    # price observations
    ("price-observations", {"shelf_price": -5}, "shelf_price"),
    ("price-observations", {"shelf_price": "cheap"}, "shelf_price"),
    ("price-observations", {"shelf_price": None}, "shelf_price"),
    ("price-observations", {"shelf_price": DELETE}, "shelf_price"),
    ("price-observations", {"shelf_price": "1e400"}, "shelf_price"),
    ("price-observations", {"promo_price": "-0.01"}, "promo_price"),
    ("price-observations", {"product_id": 1}, "competitor_model_id"),  # both given
    ("price-observations", {"competitor_model_id": DELETE}, "competitor_model_id"),  # neither
    ("price-observations", {"competitor_model_id": 999_999}, "competitor_model_id"),
    ("price-observations", {"competitor_model_id": 10**25}, "competitor_model_id"),
    ("price-observations", {"promo_text": "x" * 501}, "promo_text"),
    ("price-observations", {"photo_ids": [str(uuid.uuid4()) for _ in range(6)]}, "photo_ids"),
    ("price-observations", {"observed_at": DELETE}, "observed_at"),
    ("price-observations", {"store_id": 999_999}, "store_id"),
    ("price-observations", {"currency": "USD"}, "currency"),
    # intel reports
    ("intel-reports", {"latitude": 91}, "latitude"),
    ("intel-reports", {"latitude": -91}, "latitude"),
    ("intel-reports", {"longitude": 181}, "longitude"),
    ("intel-reports", {"kind": "rumour"}, "kind"),
    ("intel-reports", {"name": ""}, "name"),
    ("intel-reports", {"name": "x" * 201}, "name"),
    ("intel-reports", {"name": DELETE}, "name"),
    ("intel-reports", {"address": "x" * 301}, "address"),
    ("intel-reports", {"notes": "x" * 2001}, "notes"),
    ("intel-reports", {"territory_id": "x"}, "territory_id"),
    ("intel-reports", {"store_id": 999_999}, "store_id"),
    ("intel-reports", {"status": "confirmed"}, "status"),
    ("intel-reports", {"reported_at": DELETE}, "reported_at"),
    ("intel-reports", {"duplicate_candidates": []}, "duplicate_candidates"),
]


@pytest.mark.parametrize("endpoint,change,field", CASES, ids=[f"{e}-{f}-{i}" for i, (e, _, f) in enumerate(CASES)])
def test_bad_field_is_refused_naming_it(api, world, visit_id, endpoint, change, field):
    body = valid_bodies(world, visit_id)[endpoint]
    for key, value in change.items():
        if value is DELETE:
            body.pop(key, None)
        else:
            body[key] = value
    r = api(world.rep_a1).post(url_for(endpoint, visit_id), json=body)
    assert_refused(r, field)


ENDPOINTS = ["visits", "check-out", "display-checks", "stock-movements", "price-observations", "intel-reports"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_valid_bodies_are_valid(api, world, visit_id, endpoint):
    """The baseline each bad case changes one thing in is itself accepted."""
    r = api(world.rep_a1).post(url_for(endpoint, visit_id), json=valid_bodies(world, visit_id)[endpoint])
    assert r.status_code in (200, 201), r.json


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "raw,field",
    [
        ('{"a":', "json"),
        ("{'id': 1}", "json"),
        ("", "json"),
        ("[]", "_schema"),
        ("[{}]", "_schema"),
        ('"text"', "_schema"),
        ("null", "_schema"),
        ("42", "_schema"),
        ('{"latitude": NaN}', "latitude"),
        ('{"latitude": Infinity}', "latitude"),
    ],
)
def test_malformed_or_non_object_json(api, world, visit_id, endpoint, raw, field):
    # Where latitude is no field, it is refused as unknown: named all the same.
    r = api(world.rep_a1).post(url_for(endpoint, visit_id), data=raw, content_type="application/json")
    assert_refused(r, field)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_body_that_is_not_json(api, world, visit_id, endpoint):
    r = api(world.rep_a1).post(url_for(endpoint, visit_id), data="id=1&store_id=2", content_type="text/plain")
    assert_refused(r, "id" if endpoint != "check-out" else "checked_out_at")


@pytest.mark.parametrize(
    "url,field",
    [
        ("/api/v1/visits?since=notadate", "since"),
        ("/api/v1/visits?until=2026-99-01", "until"),
        ("/api/v1/visits?store_id=abc", "store_id"),
        ("/api/v1/visits?store_id=100000000000000000000000000", "store_id"),
        ("/api/v1/visits?store_id=1.5", "store_id"),
        ("/api/v1/visits?off_site=maybe", "off_site"),
        ("/api/v1/visits?page_size=0", "page_size"),
        ("/api/v1/visits?page=-1", "page"),
        ("/api/v1/display-checks?visit_id=nope", "visit_id"),
        ("/api/v1/display-checks?rep_id=99999999999999999999999", "rep_id"),
        ("/api/v1/stock-movements?kind=lost", "kind"),
        ("/api/v1/stock-movements?material_id=x", "material_id"),
        ("/api/v1/price-observations?brand_id=x", "brand_id"),
        ("/api/v1/price-observations?brand_id=99999999999999999999", "brand_id"),
        ("/api/v1/price-observations?since=last%20week", "since"),
        ("/api/v1/intel-reports?status=done", "status"),
        ("/api/v1/intel-reports?kind=x", "kind"),
        ("/api/v1/intel-reports?territory_id=1e3", "territory_id"),
        ("/api/v1/stores/999999/stock", "store_id"),
    ],
)
def test_bad_query_parameters(api, world, url, field):
    assert_refused(api(world.manager_a).get(url), field)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/visits/not-a-uuid",
        "/api/v1/visits/not-a-uuid/check-out",
        "/api/v1/stores/abc/stock",
        "/api/v1/stores/99999999999999999999999/stock",
        "/api/v1/photos/123",
        "/api/v1/display-checks/00000000-0000-0000-0000-000000000000",
    ],
)
def test_bad_ids_in_paths_are_404_json(api, world, url):
    r = api(world.manager_a).get(url)
    assert r.status_code == 404, r.get_data(as_text=True)[:200]
    assert r.is_json and r.json["message"]


def test_unsupported_method_is_405_json(api, world):
    r = api(world.rep_a1).delete("/api/v1/visits")
    assert r.status_code == 405 and r.is_json


def test_huge_number_answer_is_scored_not_a_crash(api, world, visit_id):
    body = valid_bodies(world, visit_id)["display-checks"]
    body["answers"] = [{"item_id": world.number_item.id, "value": 10**400}]
    r = api(world.rep_a1).post("/api/v1/display-checks", json=body)
    assert r.status_code in (201, 422), r.json


# --- fuzzing --------------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and ±Infinity too: Python's JSON reads them
    | st.text(max_size=30)
    | st.sampled_from(["", "2026-05-01T10:00:00Z", "0001-01-01T00:00:00+14:00", str(uuid.uuid4()), "counted"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=15,
)

FIELD_NAMES = sorted(
    """id store_id checked_in_at latitude longitude accuracy_m notes visit_id checked_at answers item_id
    value photo_ids material_id kind quantity recorded_at note product_id competitor_model_id shelf_price
    promo_price promo_text observed_at name address territory_id reported_at checked_out_at""".split()
)
FUZZED = ["visits", "stock-movements", "price-observations", "intel-reports", "display-checks"]


def fuzz_bodies(valid: dict):
    arbitrary = json_values
    known_keys = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=12), json_values, max_size=8)
    nearly_valid = st.dictionaries(
        st.sampled_from(sorted(valid)), json_values | st.just(DELETE), min_size=1, max_size=3
    ).map(lambda changes: {k: v for k, v in (valid | changes).items() if v is not DELETE})
    return st.one_of(arbitrary, known_keys, nearly_valid)


@pytest.fixture
def clients(api, world) -> dict:
    return {"rep_a1": api(world.rep_a1), "manager_a": api(world.manager_a)}


@pytest.mark.parametrize("endpoint", FUZZED)
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzed_bodies_never_cause_a_500(clients, world, visit_id, endpoint, data):
    valid = valid_bodies(world, visit_id)[endpoint]
    valid["id"] = str(uuid.uuid4())
    body = data.draw(fuzz_bodies(valid), label="body")
    user = data.draw(st.sampled_from(["rep_a1", "manager_a"]), label="user")
    client = clients[user]
    r = client.post(url_for(endpoint, visit_id), data=json.dumps(body), content_type="application/json")
    assert r.status_code != 500 and r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.is_json
    if r.status_code >= 400:
        assert r.json.get("message")
