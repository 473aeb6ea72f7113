"""Price observations and store intel reports through the HTTP API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from geopy.distance import geodesic

from backend.catalogue.models import CompetitorBrand, CompetitorModel
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.intel.models import IntelDuplicateCandidate, IntelReport, PriceObservation
from tests.factories import NANNING, TIANHE, YUEXIU, iso, new_id


def point_at(origin, metres, bearing=90.0):
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [x["id"] for x in response.json]


# --- price observations ---------------------------------------------------------------------------


def price(world, store=None, at=None, **kw) -> dict:
    body = {
        "id": kw.pop("id", new_id()),
        "store_id": (store or world.store_a1).id,
        "shelf_price": kw.pop("shelf_price", "2699.00"),
        "observed_at": iso(at or utcnow() - timedelta(hours=1)),
        **kw,
    }
    if "product_id" not in body and "competitor_model_id" not in body:
        body["competitor_model_id"] = world.competitor_model.id
    return body


def post_price(client, body, status=201):
    r = client.post("/api/v1/price-observations", json=body)
    assert r.status_code == status, r.json
    return r


def test_price_observation_of_a_competitor_model(api, world):
    rep = api(world.rep_a1)
    body = price(world, shelf_price="2699.00", promo_price="2499.00", promo_text="以旧换新再减200")
    r = post_price(rep, body)
    assert r.json["competitor_model_id"] == world.competitor_model.id
    assert r.json["product_id"] is None
    assert r.json["shelf_price"] == "2699.00"
    assert r.json["promo_price"] == "2499.00"
    assert r.json["promo_text"] == "以旧换新再减200"
    assert r.json["rep_id"] == world.rep_a1.id


def test_price_observation_of_our_product(api, world):
    body = price(world, product_id=world.product.id, shelf_price="2999.00")
    r = post_price(api(world.rep_a1), body)
    assert r.json["product_id"] == world.product.id and r.json["competitor_model_id"] is None


@pytest.mark.parametrize("both", [True, False])
def test_exactly_one_of_product_or_competitor_model(api, world, both):
    body = price(world)
    if both:
        body["product_id"] = world.product.id
    else:
        body.pop("competitor_model_id")
    r = post_price(api(world.rep_a1), body, 422)
    assert "competitor_model_id" in r.json["errors"]["json"]
    assert db.session.query(PriceObservation).count() == 0


def test_explicit_nulls_count_as_neither(api, world):
    body = price(world) | {"competitor_model_id": None, "product_id": None}
    post_price(api(world.rep_a1), body, 422)


@pytest.mark.parametrize(
    "sent,kept",
    [
        ("2999.00", "2999.00"),
        ("2999", "2999.00"),
        (2999, "2999.00"),
        ("1999.9", "1999.90"),
        (0.1, "0.10"),
        ("0", "0.00"),
    ],
)
def test_money_is_kept_exact_as_strings(api, world, sent, kept):
    rep = api(world.rep_a1)
    r = post_price(rep, price(world, shelf_price=sent))
    assert r.json["shelf_price"] == kept
    assert rep.get(f"/api/v1/price-observations/{r.json['id']}").json["shelf_price"] == kept
    assert db.session.get(PriceObservation, uuid.UUID(r.json["id"])).shelf_price == Decimal(kept)


def test_sums_of_cents_stay_exact(api, world):
    rep = api(world.rep_a1)
    for p in ("0.10", "0.20", "0.70"):
        post_price(rep, price(world, shelf_price=p))
    total = sum(Decimal(o["shelf_price"]) for o in rep.get("/api/v1/price-observations").json)
    assert total == Decimal("1.00")


@pytest.mark.parametrize("field", ["shelf_price", "promo_price"])
@pytest.mark.parametrize("value", ["-1.00", -0.01, "abc", "NaN", True, "1e12"])
def test_bad_money_is_422(api, world, field, value):
    r = post_price(api(world.rep_a1), price(world) | {field: value}, 422)
    assert field in r.json["errors"]["json"]


@pytest.mark.parametrize("field", ["product_id", "competitor_model_id"])
def test_unknown_model_is_422(api, world, field):
    body = price(world)
    body.pop("competitor_model_id")
    body[field] = 999_999
    r = post_price(api(world.rep_a1), body, 422)
    assert field in r.json["errors"]["json"]


def test_observation_at_out_of_scope_store_is_404(api, world):
    r = post_price(api(world.rep_a1), price(world, store=world.store_b1), 404)
    assert "store_id" in r.json["errors"]["json"]


def test_observation_in_the_future_is_422(api, world):
    r = post_price(api(world.rep_a1), price(world, at=utcnow() + timedelta(days=1)), 422)
    assert "observed_at" in r.json["errors"]["json"]


def test_visit_of_another_store_is_422(api, world):
    rep = api(world.rep_a1)
    visit = {
        "id": new_id(),
        "store_id": world.store_a1b.id,
        "checked_in_at": iso(utcnow() - timedelta(hours=2)),
        "latitude": TIANHE[0],
        "longitude": TIANHE[1],
        "accuracy_m": 10,
    }
    assert rep.post("/api/v1/visits", json=visit).status_code == 201
    r = post_price(rep, price(world, visit_id=visit["id"]), 422)
    assert "visit_id" in r.json["errors"]["json"]
    ok = post_price(rep, price(world, store=world.store_a1b, visit_id=visit["id"]))
    assert ok.json["visit_id"] == visit["id"]


def test_price_idempotent_by_id(api, world):
    rep = api(world.rep_a1)
    body = price(world, photo_ids=[new_id()])
    post_price(rep, body)
    again = post_price(rep, body, 200)
    assert again.json["photo_ids"] == body["photo_ids"]
    assert post_price(rep, body | {"shelf_price": "2698.00"}, 409).json["code"] == "conflict"
    assert post_price(rep, body | {"shelf_price": 2699}, 200).json["shelf_price"] == "2699.00"
    assert db.session.query(PriceObservation).count() == 1


def test_price_filters(api, world):
    rep = api(world.rep_a1)
    vivo = CompetitorBrand(name="vivo")
    db.session.add(vivo)
    db.session.flush()
    x200 = CompetitorModel(brand_id=vivo.id, name="X200")
    db.session.add(x200)
    db.session.commit()
    now = utcnow()
    old = post_price(rep, price(world, at=now - timedelta(days=10))).json["id"]
    recent = post_price(rep, price(world, at=now - timedelta(hours=3))).json["id"]
    theirs = post_price(rep, price(world, competitor_model_id=x200.id, at=now - timedelta(hours=2))).json["id"]
    own_body = price(world, product_id=world.product.id, at=now - timedelta(hours=1))
    ours = post_price(rep, own_body).json["id"]

    assert ids(rep.get("/api/v1/price-observations")) == [ours, theirs, recent, old]
    assert ids(rep.get(f"/api/v1/price-observations?brand_id={world.brand.id}")) == [recent, old]
    assert ids(rep.get(f"/api/v1/price-observations?brand_id={vivo.id}")) == [theirs]
    since = {"since": iso(now - timedelta(days=1))}
    assert ids(rep.get("/api/v1/price-observations", query_string=since)) == [ours, theirs, recent]
    assert ids(rep.get("/api/v1/price-observations", query_string=since | {"brand_id": world.brand.id})) == [recent]
    assert ids(rep.get("/api/v1/price-observations", query_string={"until": iso(now - timedelta(days=1))})) == [old]
    assert ids(rep.get(f"/api/v1/price-observations?product_id={world.product.id}")) == [ours]
    assert ids(rep.get(f"/api/v1/price-observations?competitor_model_id={x200.id}")) == [theirs]
    assert ids(rep.get("/api/v1/price-observations?brand_id=999999")) == []


def test_price_read_scope(api, world):
    mine = post_price(api(world.rep_a1), price(world)).json["id"]
    colleague = post_price(api(world.rep_a1b), price(world)).json["id"]
    other_region = post_price(api(world.rep_b1), price(world, store=world.store_b1)).json["id"]
    assert ids(api(world.rep_a1).get("/api/v1/price-observations")) == [mine]
    assert set(ids(api(world.manager_a).get("/api/v1/price-observations"))) == {mine, colleague}
    assert ids(api(world.manager_b).get("/api/v1/price-observations")) == [other_region]
    assert set(ids(api(world.hq).get("/api/v1/price-observations"))) == {mine, colleague, other_region}
    assert api(world.rep_a1b).get(f"/api/v1/price-observations/{mine}").status_code == 404
    assert api(world.manager_b).get(f"/api/v1/price-observations/{mine}").status_code == 404
    assert api(world.manager_a).get(f"/api/v1/price-observations/{mine}").status_code == 200
    assert api(world.clerk_a1).get("/api/v1/price-observations").status_code == 403
    assert api(world.hq).post("/api/v1/price-observations", json=price(world)).status_code == 403


# --- intel reports --------------------------------------------------------------------------------


def report(position, name="苏宁易购天河城", kind="new_store", **kw) -> dict:
    return {
        "id": kw.pop("id", new_id()),
        "kind": kind,
        "name": name,
        "latitude": position[0],
        "longitude": position[1],
        "reported_at": iso(kw.pop("at", utcnow() - timedelta(hours=1))),
        **kw,
    }


def post_report(client, body, status=201):
    r = client.post("/api/v1/intel-reports", json=body)
    assert r.status_code == status, r.json
    return r


def test_report_near_a_known_store_with_a_similar_name_gets_a_candidate(api, world):
    here = point_at(TIANHE, 40)
    r = post_report(api(world.rep_a1), report(here, "苏宁易购天河城", accuracy_m=15, address="天河路208号"))
    assert r.json["status"] == "pending"
    assert r.json["territory_id"] == world.terr_a1.id
    assert r.json["store_id"] is None
    [cand] = r.json["duplicate_candidates"]
    assert cand["store_id"] == world.store_a1.id
    assert cand["store_name"] == world.store_a1.name
    assert cand["distance_m"] == pytest.approx(40, abs=0.5)
    assert cand["name_similarity"] == 1.0


def test_candidate_with_a_partly_similar_name(api, world):
    r = post_report(api(world.rep_a1), report(point_at(TIANHE, 70, 200), "苏宁天河城店"))
    [cand] = r.json["duplicate_candidates"]
    assert cand["store_id"] == world.store_a1.id
    assert 0.5 <= cand["name_similarity"] < 1.0
    assert cand["distance_m"] == pytest.approx(70, abs=0.5)


def test_far_report_with_the_same_name_has_no_candidate(api, world, app):
    radius = app.config["INTEL_DUPLICATE_RADIUS_M"]
    r = post_report(api(world.rep_a1), report(point_at(TIANHE, radius + 20), "苏宁易购 天河城店"))
    assert r.json["duplicate_candidates"] == []


def test_a_store_very_close_is_a_candidate_whatever_its_name(api, world):
    """The issue's case: filed 13 m from a known store under another name (the shop's sign, not
    the name on our list) — within DUPLICATE_STORE_RADIUS_M it is a candidate all the same."""
    r = post_report(api(world.rep_a1), report(point_at(TIANHE, 13), "华为授权体验店"))
    [cand] = r.json["duplicate_candidates"]
    assert cand["store_id"] == world.store_a1.id
    assert cand["distance_m"] == pytest.approx(13, abs=0.5)
    assert cand["name_similarity"] < 0.5
    assert r.json["duplicate_radii"] == {"any_name_m": 30.0, "similar_name_m": 100.0}


@pytest.mark.parametrize(("metres", "candidate"), [(29, True), (31, False)])
def test_another_name_counts_within_the_small_radius_only(api, world, app, metres, candidate):
    assert app.config["DUPLICATE_STORE_RADIUS_M"] == 30.0
    r = post_report(api(world.rep_a1), report(point_at(TIANHE, metres, 10), "华为授权体验店"))
    assert [c["store_id"] for c in r.json["duplicate_candidates"]] == ([world.store_a1.id] if candidate else [])


@pytest.mark.parametrize(("name", "candidate"), [("苏宁易购天河城", True), ("华为授权体验店", False)])
def test_at_80_m_only_a_similar_name_is_a_candidate(api, world, name, candidate):
    r = post_report(api(world.rep_a1), report(point_at(TIANHE, 80, 300), name))
    assert [c["store_id"] for c in r.json["duplicate_candidates"]] == ([world.store_a1.id] if candidate else [])
    if candidate:
        assert r.json["duplicate_candidates"][0]["distance_m"] == pytest.approx(80, abs=0.5)


def test_the_small_radius_comes_from_config(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "DUPLICATE_STORE_RADIUS_M", 60.0)
    r = post_report(api(world.rep_a1), report(point_at(TIANHE, 50), "华为授权体验店"))
    assert [c["store_id"] for c in r.json["duplicate_candidates"]] == [world.store_a1.id]
    assert r.json["duplicate_radii"]["any_name_m"] == 60.0


def test_duplicate_radius_comes_from_config(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "INTEL_DUPLICATE_RADIUS_M", 500.0)
    r = post_report(api(world.rep_a1), report(point_at(TIANHE, 300), "苏宁易购天河城"))
    assert [c["store_id"] for c in r.json["duplicate_candidates"]] == [world.store_a1.id]


def test_candidates_are_nearest_first(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "INTEL_DUPLICATE_RADIUS_M", 5000.0)
    # Between store_a1 and store_a1b (2 km apart), nearer store_a1b; a name like both.
    here = (world.store_a1b.latitude - 0.004, world.store_a1b.longitude)
    db.session.get(type(world.store_a1b), world.store_a1b.id).name = "苏宁易购 体育西店"
    db.session.commit()
    r = post_report(api(world.rep_a1), report(here, "苏宁易购"))
    cands = r.json["duplicate_candidates"]
    assert [c["store_id"] for c in cands] == [world.store_a1b.id, world.store_a1.id]
    assert cands[0]["distance_m"] < cands[1]["distance_m"]


def test_candidates_shown_only_within_the_readers_store_scope(api, world):
    """A rep of A1 reports a place next to the A2 store: it is stored as a candidate, but only
    readers who may see that store are shown it."""
    body = report(point_at(YUEXIU, 30), "国美电器北京路")
    r = post_report(api(world.rep_a1), body)
    assert r.json["duplicate_candidates"] == []
    assert db.session.query(IntelDuplicateCandidate).count() == 1
    seen = api(world.manager_a).get(f"/api/v1/intel-reports/{body['id']}").json
    assert [c["store_id"] for c in seen["duplicate_candidates"]] == [world.store_a2.id]
    listed = api(world.hq).get("/api/v1/intel-reports").json
    assert [c["store_id"] for c in listed[0]["duplicate_candidates"]] == [world.store_a2.id]


def test_report_about_a_known_store_takes_its_territory(api, world):
    body = report(YUEXIU, "国美电器 北京路店", kind="closing", store_id=world.store_a2.id)
    r = post_report(api(world.manager_a), body)
    assert r.json["store_id"] == world.store_a2.id
    assert r.json["territory_id"] == world.terr_a2.id
    assert r.json["duplicate_candidates"] == []  # it is about that store, not a new one


def test_rep_report_about_a_store_outside_their_territory_is_404(api, world):
    r = post_report(api(world.rep_a1), report(YUEXIU, kind="renovation", store_id=world.store_a2.id), 404)
    assert "store_id" in r.json["errors"]["json"]


def test_rep_report_without_store_takes_the_reps_territory(api, world):
    r = post_report(api(world.rep_a2), report(point_at(YUEXIU, 900), "小米之家"))
    assert r.json["territory_id"] == world.terr_a2.id


@pytest.mark.parametrize("territory", [None, "terr_b1", 999_999])
def test_manager_without_store_must_name_a_territory_of_their_region(api, world, territory):
    body = report(point_at(YUEXIU, 900), "荣耀授权店")
    if territory is not None:
        body["territory_id"] = getattr(world, territory).id if isinstance(territory, str) else territory
    r = post_report(api(world.manager_a), body, 422)
    assert "territory_id" in r.json["errors"]["json"]
    assert db.session.query(IntelReport).count() == 0


def test_manager_with_a_territory_of_their_region(api, world):
    body = report(point_at(YUEXIU, 900), "荣耀授权店", territory_id=world.terr_a2.id)
    assert post_report(api(world.manager_a), body).json["territory_id"] == world.terr_a2.id


def test_report_idempotent_by_id(api, world):
    rep = api(world.rep_a1)
    body = report(point_at(TIANHE, 40), photo_ids=[new_id()])
    first = post_report(rep, body)
    again = post_report(rep, body, 200)
    assert again.json["duplicate_candidates"] == first.json["duplicate_candidates"]
    assert again.json["photo_ids"] == body["photo_ids"]
    assert db.session.query(IntelReport).count() == 1
    assert db.session.query(IntelDuplicateCandidate).count() == 1
    r = post_report(rep, body | {"name": "别的名字"}, 409)
    assert "name" in r.json["details"]["fields"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"kind": "exploded"}, "kind"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": -181}, "longitude"),
        ({"accuracy_m": -5}, "accuracy_m"),
        ({"reported_at": iso(utcnow() + timedelta(days=3))}, "reported_at"),
        ({"status": "confirmed"}, "status"),
        ({"store_id": 999_999}, "store_id"),
    ],
)
def test_bad_reports_are_refused(api, world, change, field):
    r = api(world.rep_a1).post("/api/v1/intel-reports", json=report(TIANHE) | change)
    assert r.status_code in (404, 422), r.json
    assert field in r.json["errors"]["json"]


def test_report_read_scope(api, world):
    mine = post_report(api(world.rep_a1), report(point_at(TIANHE, 600), "A")).json["id"]
    colleague = post_report(api(world.rep_a1b), report(point_at(TIANHE, 700), "B")).json["id"]
    by_manager = post_report(
        api(world.manager_a), report(YUEXIU, "C", territory_id=world.terr_a2.id, at=utcnow() - timedelta(hours=3))
    ).json["id"]
    far = post_report(api(world.rep_b1), report(NANNING, "D")).json["id"]
    assert ids(api(world.rep_a1).get("/api/v1/intel-reports")) == [mine]
    assert set(ids(api(world.manager_a).get("/api/v1/intel-reports"))) == {mine, colleague, by_manager}
    assert ids(api(world.manager_b).get("/api/v1/intel-reports")) == [far]
    assert set(ids(api(world.hq).get("/api/v1/intel-reports"))) == {mine, colleague, by_manager, far}
    assert ids(api(world.manager_a).get(f"/api/v1/intel-reports?territory_id={world.terr_a2.id}")) == [by_manager]
    assert ids(api(world.hq).get(f"/api/v1/intel-reports?rep_id={world.rep_b1.id}")) == [far]
    assert ids(api(world.hq).get("/api/v1/intel-reports?kind=closing")) == []
    assert api(world.rep_a1b).get(f"/api/v1/intel-reports/{mine}").status_code == 404
    assert api(world.manager_b).get(f"/api/v1/intel-reports/{mine}").status_code == 404
    assert api(world.manager_a).get(f"/api/v1/intel-reports/{mine}").status_code == 200
    assert api(world.clerk_a1).get("/api/v1/intel-reports").status_code == 403
