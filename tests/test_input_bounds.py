"""Input bounds: every value a column, the database's text or the reports cannot take is a
field-located 4xx over REST and a `rejected` mutation (with its field) inside a push, whose other
mutations still apply. Run on PostgreSQL too (TEST_DATABASE_URL): there these were 500s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.sync.models import SyncRejection
from sync_protocol import HLC
from tests.factories import TIANHE, iso, new_id

PUSH = "/api/v1/sync/push"
CLIENT = "bounds-client-01"
BIG = 2**31  # one more than an INTEGER column holds


def check_in_args(world, **changes) -> dict:
    return {
        "id": new_id(),
        "store_id": world.store_a1.id,
        "checked_in_at": iso(utcnow() - timedelta(hours=1)),
        "latitude": TIANHE[0],
        "longitude": TIANHE[1],
        "accuracy_m": 12.5,
        "notes": "",
    } | changes


def push(api, user, *mutations: tuple[str, dict], app_version: str = "1.0.0"):
    now = int(utcnow().timestamp() * 1000)
    body = {
        "protocol_version": 1,
        "client_id": CLIENT,
        "app_version": app_version,
        "mutations": [
            {"id": i, "name": name, "args": args, "hlc": HLC(now, i, CLIENT).encode()}
            for i, (name, args) in enumerate(mutations, start=1)
        ],
    }
    return api(user).post(PUSH, json=body)


def assert_rest_refused(r, status: int, field: str | None):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    body = r.json
    assert isinstance(body["code"], str) and body["status"] == status and body["message"], body
    if field is not None:
        assert body["field"] == field, body


# --- over REST ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"store_id": BIG}, "store_id"),
        ({"store_id": 2**63}, "store_id"),
        ({"store_id": -BIG - 1}, "store_id"),
        ({"store_id": "12"}, "store_id"),  # text where the schema says integer
        ({"notes": "a\x00b"}, "notes"),
        ({"notes": "\udc00"}, "notes"),
        ({"notes": "\ud83d"}, "notes"),
        ({"checked_in_at": "0001-01-01T00:00:00Z"}, "checked_in_at"),
        ({"checked_in_at": "1999-12-31T23:59:59Z"}, "checked_in_at"),
        ({"\x00": 1}, "\ufffd"),  # an unknown key holding NUL is named, sanitised
    ],
)
def test_a_visit_out_of_bounds_is_a_422_naming_the_field(api, world, changes, field):
    r = api(world.rep_a1).post("/api/v1/visits", json=check_in_args(world, **changes))
    assert_rest_refused(r, 422, field)
    assert r.json["code"] == "invalid"


def test_a_visit_in_bounds_is_created_and_a_text_id_is_not(api, world):
    good = check_in_args(world, notes="正常 😀")
    assert api(world.rep_a1).post("/api/v1/visits", json=good).status_code == 201
    r = api(world.rep_a1).post("/api/v1/visits", json=check_in_args(world, store_id=str(world.store_a1.id)))
    assert_rest_refused(r, 422, "store_id")


@pytest.mark.parametrize(
    "body",
    [{"username": "rep\x00", "password": "x"}, {"username": "rep", "password": "\udc00"}],
)
def test_login_with_unstorable_text_is_a_422(client, world, body):
    r = client.post("/api/v1/auth/login", json=body)
    assert_rest_refused(r, 422, next(k for k, v in body.items() if v != "x" and v != "rep"))


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/v1/stores?q=%00", 422, "q"),
        ("/api/v1/stores?q=%ED%B0%80", 400, None),  # not UTF-8 at all: werkzeug's replacement, or 400
        ("/api/v1/stores/3000000000", 404, None),
        ("/api/v1/stores/2147483648", 404, None),
        ("/api/v1/stores?page=9223372036854775807", 422, "page"),
        ("/api/v1/stores?page=2147483648", 422, "page"),
        ("/api/v1/stores?page_size=100000", 422, "page_size"),
        ("/api/v1/stores?region_id=3000000000", 422, "region_id"),
        ("/api/v1/coverage/reps?since=0001-01-01&until=2026-01-01", 422, "since"),
        ("/api/v1/coverage/reps?since=2026-01-01&until=9999-12-31", 422, "until"),
        ("/api/v1/market/price-trends?since=0001-01-01", 422, "since"),
        ("/api/v1/market/price-trends?until=9999-12-31", 422, "until"),
        ("/api/v1/visit-plans/compliance?since=0001-01-01", 422, "since"),
    ],
)
def test_query_and_path_out_of_bounds(api, world, url, status, field):
    r = api(world.admin).get(url)
    if status == 400 and r.status_code == 200:
        return  # werkzeug decoded the bytes with replacement characters: harmless
    assert_rest_refused(r, status, field)


def test_a_route_day_out_of_range_is_a_422(api, world):
    r = api(world.manager_a).get(f"/api/v1/routes?rep_id={world.rep_a1.id}&day=9999-12-31")
    assert_rest_refused(r, 422, "day")
    r = api(world.manager_a).get(f"/api/v1/routes?rep_id={BIG}&day=2026-01-01")
    assert_rest_refused(r, 422, "rep_id")


@pytest.mark.parametrize("depth", [65, 100_000])
@pytest.mark.parametrize("url", ["/api/v1/visits", PUSH])
def test_json_nested_too_deep_is_a_400(api, world, depth, url):
    body = "[" * depth + "]" * depth
    r = api(world.rep_a1).post(url, data=body, content_type="application/json")
    assert_rest_refused(r, 400, None)
    assert r.json["code"] == "bad_request" and "64 levels" in r.json["message"]


def test_json_at_the_depth_limit_is_parsed(api, world):
    nested: object = 1
    for _ in range(60):  # the body, mutations, a mutation and its args are 4 levels
        nested = [nested]
    r = push(api, world.rep_a1, ("visit.check_in", check_in_args(world, notes=nested)))
    assert r.status_code == 200, r.json
    assert r.json["results"][0]["status"] == "rejected"
    assert r.json["results"][0]["error"]["field"] == "notes"


# --- inside a push --------------------------------------------------------------------------------


def bad_mutations(world) -> list[tuple[str, dict, str]]:
    day = (utcnow() + timedelta(days=1)).date().isoformat()
    at = iso(utcnow() - timedelta(minutes=5))
    return [
        ("visit.check_in", check_in_args(world, store_id=BIG), "store_id"),
        ("visit.check_in", check_in_args(world, store_id="12"), "store_id"),
        ("visit.check_in", check_in_args(world, notes="\x00"), "notes"),
        ("visit.check_in", check_in_args(world, notes="x\udc00"), "notes"),
        ("visit.check_in", check_in_args(world, checked_in_at="0001-01-01T00:00:00Z"), "checked_in_at"),
        (
            "stock.move",
            {
                "id": new_id(),
                "store_id": world.store_a1.id,
                "material_id": BIG,
                "kind": "delivered",
                "quantity": 1,
                "recorded_at": at,
            },
            "material_id",
        ),
        (
            "price.observe",
            {
                "id": new_id(),
                "store_id": world.store_a1.id,
                "competitor_model_id": BIG,
                "shelf_price": "2699.00",
                "observed_at": at,
            },
            "competitor_model_id",
        ),
        ("plan.save", {"id": new_id(), "day": day, "store_ids": [world.store_a1.id, BIG]}, "store_ids.1"),
        ("contact.upsert", {"store_id": BIG, "id": new_id(), "fields": {"name": "王"}}, "store_id"),
        (
            "contact.upsert",
            {"store_id": world.store_a1.id, "id": new_id(), "fields": {"name": "王\x00"}},
            "fields.name",
        ),
        ("store.update", {"store_id": BIG, "fields": {"address": "x"}}, "store_id"),
        ("store.update", {"store_id": world.store_a1.id, "fields": {"address": "\udfff"}}, "fields.address"),
        ("warranty.correct", {"id": new_id(), "fields": {"buyer_name": "\x00"}}, "fields.buyer_name"),
    ]


def test_each_bad_mutation_is_rejected_with_its_field_and_the_others_apply(api, world):
    cases = bad_mutations(world)
    mutations = []
    for name, args, _field in cases:
        mutations += [(name, args), ("visit.check_in", check_in_args(world))]
    r = push(api, world.rep_a1, *mutations)
    assert r.status_code == 200, r.json
    results = r.json["results"]
    assert len(results) == 2 * len(cases)
    for (name, _args, field), bad, good in zip(cases, results[::2], results[1::2], strict=True):
        assert bad["status"] == "rejected", (name, bad)
        assert bad["error"]["code"] == "invalid" and bad["error"]["message"], (name, bad)
        assert bad["error"]["field"] == field, (name, bad["error"])
        assert good["status"] == "applied", (name, good)
    assert r.json["last_mutation_id"] == 2 * len(cases)
    # The refusals are recorded, with what could not be stored replaced.
    stored = db.session.scalars(select(SyncRejection).order_by(SyncRejection.mutation_id)).all()
    assert len(stored) == len(cases)
    assert stored[2].args["notes"] == "\ufffd" and stored[3].args["notes"] == "x\ufffd"


def test_an_unknown_mutation_with_unstorable_args_is_recorded(api, world):
    r = push(
        api,
        world.rep_a1,
        ("visit.teleport", {"\x00key": "\udc00", "n": [2**40, "\x00"]}),
        ("visit.check_in", check_in_args(world)),
    )
    assert r.status_code == 200, r.json
    assert [x["status"] for x in r.json["results"]] == ["rejected", "applied"]
    assert r.json["results"][0]["error"]["code"] == "unknown_mutation"
    [row] = db.session.scalars(select(SyncRejection)).all()
    assert row.args == {"\ufffdkey": "\ufffd", "n": [2**40, "\ufffd"]}


@pytest.mark.parametrize("app_version", ["1.0\x00", "1.0\udc00", "1.0\n"])
def test_an_app_version_with_unprintable_text_is_an_envelope_error(api, world, app_version):
    r = push(api, world.rep_a1, ("visit.check_in", check_in_args(world)), app_version=app_version)
    assert_rest_refused(r, 400, "app_version")
    assert r.json["code"] == "invalid_envelope"
