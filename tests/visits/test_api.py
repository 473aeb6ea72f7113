"""Visits and display checks through the HTTP API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from geopy.distance import geodesic

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.visits.models import DisplayCheck, Visit
from tests.factories import TIANHE, YUEXIU, iso, new_id


def point_at(origin, metres, bearing=90.0):
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


def visit_body(store, position=TIANHE, accuracy=15.0, at=None, **kw) -> dict:
    return {
        "id": kw.pop("id", new_id()),
        "store_id": store.id,
        "checked_in_at": iso(at or utcnow() - timedelta(hours=1)),
        "latitude": position[0],
        "longitude": position[1],
        "accuracy_m": accuracy,
        **kw,
    }


def check_in(client, store, **kw) -> dict:
    r = client.post("/api/v1/visits", json=visit_body(store, **kw))
    assert r.status_code == 201, r.json
    return r.json


# --- check-in -------------------------------------------------------------------------------------


def test_check_in_returns_distance_and_flag(api, world):
    rep = api(world.rep_a1)
    here = point_at(TIANHE, 120)
    body = visit_body(world.store_a1, here, accuracy=25, notes="前台说店长不在")
    r = rep.post("/api/v1/visits", json=body)
    assert r.status_code == 201, r.json
    v = r.json
    assert v["id"] == body["id"] and v["store_id"] == world.store_a1.id and v["rep_id"] == world.rep_a1.id
    assert v["distance_m"] == pytest.approx(geodesic(here, TIANHE).meters, abs=0.5)
    assert v["off_site"] is False
    assert v["notes"] == "前台说店长不在"
    assert v["checked_out_at"] is None
    assert v["checked_in_at"].endswith("+00:00")


def test_far_check_in_is_flagged_and_large_accuracy_excuses_it_up_to_the_cap(api, world):
    rep = api(world.rep_a1)
    near, far = point_at(TIANHE, 400), point_at(TIANHE, 800)
    assert check_in(rep, world.store_a1, position=near, accuracy=30)["off_site"] is True
    assert check_in(rep, world.store_a1, position=near, accuracy=1000)["off_site"] is False
    # A rep claiming a 100 km fix 45 km away is off-site (OFFSITE_MAX_ALLOWANCE_M, 500 m).
    assert check_in(rep, world.store_a1, position=far, accuracy=1000)["off_site"] is True
    assert check_in(rep, world.store_a1, position=point_at(TIANHE, 45_000), accuracy=100_000)["off_site"] is True


def test_boundary_through_the_api(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "OFFSITE_THRESHOLD_M", 200.0)
    rep = api(world.rep_a1)
    assert check_in(rep, world.store_a1, position=point_at(TIANHE, 199.6), accuracy=5)["off_site"] is False
    assert check_in(rep, world.store_a1, position=point_at(TIANHE, 200.4), accuracy=5)["off_site"] is True


def test_same_id_same_content_is_200_and_one_row(api, world):
    rep = api(world.rep_a1)
    body = visit_body(world.store_a1)
    assert rep.post("/api/v1/visits", json=body).status_code == 201
    again = rep.post("/api/v1/visits", json=body)
    assert again.status_code == 200, again.json
    assert again.json["id"] == body["id"]
    assert db.session.query(Visit).count() == 1


def test_same_id_other_notes_is_409_and_the_first_notes_stay(api, world):
    """Every field of an append-only record counts, the notes included: a resent check-in with
    other notes is refused rather than answered 200 with the new notes dropped."""
    rep = api(world.rep_a1)
    body = visit_body(world.store_a1) | {"notes": "柜台缺海报"}
    assert rep.post("/api/v1/visits", json=body).status_code == 201
    r = rep.post("/api/v1/visits", json=body | {"notes": "柜台海报已补"})
    assert r.status_code == 409, r.json
    assert r.json["details"]["fields"] == ["notes"]
    assert rep.get(f"/api/v1/visits/{body['id']}").json["notes"] == "柜台缺海报"


def test_a_resent_check_in_after_a_check_out_that_changed_the_notes_is_the_same_visit(api, world):
    rep = api(world.rep_a1)
    body = visit_body(world.store_a1) | {"notes": "到店"}
    assert rep.post("/api/v1/visits", json=body).status_code == 201
    out = {"checked_out_at": iso(utcnow() - timedelta(minutes=1)), "notes": "离店：已补货"}
    assert rep.post(f"/api/v1/visits/{body['id']}/check-out", json=out).status_code == 200
    assert rep.post("/api/v1/visits", json=body).status_code == 200
    assert rep.get(f"/api/v1/visits/{body['id']}").json["notes"] == "离店：已补货"


def test_same_instant_in_another_offset_is_the_same_content(api, world):
    rep = api(world.rep_a1)
    at = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    body = visit_body(world.store_a1, at=at)
    assert rep.post("/api/v1/visits", json=body).status_code == 201
    shifted = body | {"checked_in_at": (at + timedelta(hours=8)).isoformat() + "+08:00"}
    assert rep.post("/api/v1/visits", json=shifted).status_code == 200


def test_same_id_different_content_is_409(api, world):
    rep = api(world.rep_a1)
    body = visit_body(world.store_a1)
    assert rep.post("/api/v1/visits", json=body).status_code == 201
    r = rep.post("/api/v1/visits", json=body | {"accuracy_m": 99})
    assert r.status_code == 409, r.json
    assert r.json["code"] == "conflict"
    assert r.json["details"]["fields"] == ["accuracy_m"]  # the API's name, not the column's
    assert "(accuracy_m)" in r.json["message"] and "check_in_" not in r.json["message"]
    assert db.session.query(Visit).count() == 1
    assert rep.get(f"/api/v1/visits/{body['id']}").json["accuracy_m"] == 15.0


@pytest.mark.parametrize("who,store", [("rep_a1", "store_a2"), ("rep_a1", "store_b1"), ("manager_a", "store_b1")])
def test_check_in_at_out_of_scope_store_is_404(api, world, who, store):
    r = api(getattr(world, who)).post("/api/v1/visits", json=visit_body(getattr(world, store)))
    assert r.status_code == 404, r.json
    assert "store_id" in r.json["errors"]["json"]


@pytest.mark.parametrize("who", ["clerk_a1", "hq", "admin"])
def test_only_reps_and_managers_check_in(api, world, who):
    r = api(getattr(world, who)).post("/api/v1/visits", json=visit_body(world.store_a1))
    assert r.status_code == 403, r.json


def test_device_time_in_the_future_is_422_naming_the_field(api, world):
    r = api(world.rep_a1).post("/api/v1/visits", json=visit_body(world.store_a1, at=utcnow() + timedelta(days=2)))
    assert r.status_code == 422
    assert "checked_in_at" in r.json["errors"]["json"]
    assert "checked_in_at" in r.json["message"]


# --- check-out ------------------------------------------------------------------------------------


def test_check_out(api, world):
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    out_at = utcnow() - timedelta(minutes=10)
    here = point_at(TIANHE, 60)
    r = rep.post(
        f"/api/v1/visits/{v['id']}/check-out",
        json={"checked_out_at": iso(out_at), "latitude": here[0], "longitude": here[1], "accuracy_m": 8, "notes": "ok"},
    )
    assert r.status_code == 200, r.json
    assert r.json["checked_out_at"].startswith(out_at.isoformat()[:19])
    assert r.json["check_out_latitude"] == pytest.approx(here[0])
    assert r.json["check_out_longitude"] == pytest.approx(here[1])
    assert r.json["check_out_accuracy_m"] == 8
    assert r.json["check_out_distance_m"] == pytest.approx(60, abs=0.5)
    assert r.json["notes"] == "ok"


def test_check_out_before_check_in_is_422(api, world):
    rep = api(world.rep_a1)
    at = utcnow() - timedelta(hours=1)
    v = check_in(rep, world.store_a1, at=at)
    r = rep.post(f"/api/v1/visits/{v['id']}/check-out", json={"checked_out_at": iso(at - timedelta(minutes=1))})
    assert r.status_code == 422
    assert "checked_out_at" in r.json["errors"]["json"]


def test_check_out_with_half_a_position_is_422(api, world):
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    r = rep.post(f"/api/v1/visits/{v['id']}/check-out", json={"checked_out_at": iso(utcnow()), "latitude": TIANHE[0]})
    assert r.status_code == 422
    assert "longitude" in r.json["errors"]["json"]


@pytest.mark.parametrize("who,status", [("rep_a1b", 404), ("rep_a2", 404), ("manager_a", 404), ("hq", 403)])
def test_check_out_of_someone_elses_visit_is_refused(api, world, who, status):
    v = check_in(api(world.rep_a1), world.store_a1)
    r = api(getattr(world, who)).post(f"/api/v1/visits/{v['id']}/check-out", json={"checked_out_at": iso(utcnow())})
    assert r.status_code == status, r.json
    assert api(world.rep_a1).get(f"/api/v1/visits/{v['id']}").json["checked_out_at"] is None


def test_check_out_of_unknown_visit_is_404(api, world):
    r = api(world.rep_a1).post(f"/api/v1/visits/{new_id()}/check-out", json={"checked_out_at": iso(utcnow())})
    assert r.status_code == 404


def test_repeated_check_out(api, world):
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    body = {"checked_out_at": iso(utcnow() - timedelta(minutes=3)), "latitude": TIANHE[0], "longitude": TIANHE[1]}
    first = rep.post(f"/api/v1/visits/{v['id']}/check-out", json=body)
    assert first.status_code == 200
    same = rep.post(f"/api/v1/visits/{v['id']}/check-out", json=body)
    assert same.status_code == 200
    assert same.json == first.json
    other = rep.post(f"/api/v1/visits/{v['id']}/check-out", json=body | {"checked_out_at": iso(utcnow())})
    assert other.status_code == 409, other.json
    assert rep.get(f"/api/v1/visits/{v['id']}").json["checked_out_at"] == first.json["checked_out_at"]


@pytest.mark.parametrize(
    "change",
    [
        {"latitude": TIANHE[0] + 0.01},
        {"accuracy_m": 50},
        {"latitude": None, "longitude": None},
        {"notes": "另一条备注"},
    ],
)
def test_second_check_out_at_the_same_time_but_elsewhere_is_409(api, world, change):
    """A resent check-out must be the same in full: a different position is not silently dropped."""
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    body = {
        "checked_out_at": iso(utcnow() - timedelta(minutes=3)),
        "latitude": TIANHE[0],
        "longitude": TIANHE[1],
        "accuracy_m": 10,
    }
    first = rep.post(f"/api/v1/visits/{v['id']}/check-out", json=body)
    assert first.status_code == 200
    other = rep.post(f"/api/v1/visits/{v['id']}/check-out", json=body | change)
    assert other.status_code == 409, other.json
    assert rep.get(f"/api/v1/visits/{v['id']}").json == first.json


# --- listing --------------------------------------------------------------------------------------


def ids(response) -> set[str]:
    assert response.status_code == 200, response.json
    return {v["id"] for v in response.json}


def test_listing_filters_and_scope(api, world):
    rep, other = api(world.rep_a1), api(world.rep_a1b)
    now = utcnow()
    day1 = now - timedelta(days=3)
    day2 = now - timedelta(days=2)
    day3 = now - timedelta(hours=5)
    a = check_in(rep, world.store_a1, at=day1)["id"]
    b = check_in(rep, world.store_a1b, at=day2, position=TIANHE)["id"]  # 2 km from store_a1b: off-site
    c = check_in(rep, world.store_a1, at=day3)["id"]
    d = check_in(other, world.store_a1, at=day2)["id"]

    assert ids(rep.get("/api/v1/visits")) == {a, b, c}
    assert [v["id"] for v in rep.get("/api/v1/visits").json] == [c, b, a]  # newest first
    assert ids(other.get("/api/v1/visits")) == {d}
    assert ids(rep.get(f"/api/v1/visits?store_id={world.store_a1.id}")) == {a, c}
    assert ids(rep.get("/api/v1/visits?off_site=true")) == {b}
    assert ids(rep.get("/api/v1/visits?off_site=false")) == {a, c}
    since = iso(day2 - timedelta(minutes=1))
    until = iso(day3 - timedelta(minutes=1))
    assert ids(rep.get("/api/v1/visits", query_string={"since": since})) == {b, c}
    assert ids(rep.get("/api/v1/visits", query_string={"until": until})) == {a, b}
    assert ids(rep.get("/api/v1/visits", query_string={"since": since, "until": until})) == {b}
    # A rep cannot widen their scope with rep_id.
    assert ids(rep.get(f"/api/v1/visits?rep_id={world.rep_a1b.id}")) == set()
    # The manager of the region sees everyone's; the other region's manager sees none.
    assert ids(api(world.manager_a).get("/api/v1/visits")) == {a, b, c, d}
    assert ids(api(world.manager_a).get(f"/api/v1/visits?rep_id={world.rep_a1b.id}")) == {d}
    assert ids(api(world.manager_b).get("/api/v1/visits")) == set()
    assert ids(api(world.hq).get("/api/v1/visits")) == {a, b, c, d}


def test_get_one_visit_follows_scope(api, world):
    v = check_in(api(world.rep_a1), world.store_a1)
    assert api(world.rep_a1).get(f"/api/v1/visits/{v['id']}").status_code == 200
    assert api(world.manager_a).get(f"/api/v1/visits/{v['id']}").status_code == 200
    assert api(world.rep_a1b).get(f"/api/v1/visits/{v['id']}").status_code == 404
    assert api(world.manager_b).get(f"/api/v1/visits/{v['id']}").status_code == 404
    assert api(world.clerk_a1).get(f"/api/v1/visits/{v['id']}").status_code == 403


def test_pagination_header(api, world):
    rep = api(world.rep_a1)
    for i in range(3):
        check_in(rep, world.store_a1, at=utcnow() - timedelta(hours=i + 1))
    r = rep.get("/api/v1/visits?page_size=2")
    assert len(r.json) == 2
    assert '"total": 3' in r.headers["X-Pagination"]


# --- display checks -------------------------------------------------------------------------------


def dc_body(world, visit_id, logo=True, demo=2, **kw) -> dict:
    return {
        "id": kw.pop("id", new_id()),
        "visit_id": visit_id,
        "checked_at": iso(kw.pop("at", utcnow() - timedelta(minutes=30))),
        "answers": kw.pop(
            "answers",
            [{"item_id": world.yes_item.id, "value": logo}, {"item_id": world.number_item.id, "value": demo}],
        ),
        **kw,
    }


@pytest.mark.parametrize("logo,demo,score", [(True, 2, 100.0), (True, 0, 66.7), (False, 3, 33.3), (False, 1, 0.0)])
def test_display_check_is_scored(api, world, logo, demo, score):
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    r = rep.post("/api/v1/display-checks", json=dc_body(world, v["id"], logo, demo))
    assert r.status_code == 201, r.json
    assert r.json["score"] == score
    assert r.json["store_id"] == world.store_a1.id
    assert r.json["rep_id"] == world.rep_a1.id


def test_display_check_score_ignores_client_value(api, world):
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    r = rep.post("/api/v1/display-checks", json=dc_body(world, v["id"], False, 0) | {"score": 100})
    assert r.status_code == 422  # score is computed by the server, not accepted from the client
    assert "score" in r.json["errors"]["json"]


@pytest.mark.parametrize(
    "answers",
    [
        [],
        [{"item_id": 999_999, "value": True}],
        [{"item_id": "YES", "value": 2}],
        [{"item_id": "NUM", "value": True}],
        [{"item_id": "NUM", "value": "2"}],
        [{"item_id": "NUM", "value": -3}],
        [{"item_id": "YES", "value": True}, {"item_id": "YES", "value": True}],
    ],
)
def test_bad_answers_are_422(api, world, answers):
    table = {"YES": world.yes_item.id, "NUM": world.number_item.id}
    answers = [a | {"item_id": table.get(a["item_id"], a["item_id"])} for a in answers]
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    r = rep.post("/api/v1/display-checks", json=dc_body(world, v["id"], answers=answers))
    assert r.status_code == 422, r.json
    assert "answers" in r.json["errors"]["json"]
    assert db.session.query(DisplayCheck).count() == 0


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_number_answer_is_422(api, world, raw):
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    data = (
        f'{{"id": "{new_id()}", "visit_id": "{v["id"]}", "checked_at": "{iso(utcnow() - timedelta(minutes=1))}", '
        f'"answers": [{{"item_id": {world.number_item.id}, "value": {raw}}}]}}'
    )
    r = rep.post("/api/v1/display-checks", data=data, content_type="application/json")
    assert r.status_code == 422, r.json
    assert "answers" in r.json["errors"]["json"]


def test_answer_missing_value_is_422(api, world):
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    r = rep.post("/api/v1/display-checks", json=dc_body(world, v["id"], answers=[{"item_id": world.yes_item.id}]))
    assert r.status_code == 422
    assert "answers" in r.json["errors"]["json"]


@pytest.mark.parametrize("who", ["rep_a1b", "manager_a"])
def test_display_check_on_someone_elses_visit_is_404(api, world, who):
    v = check_in(api(world.rep_a1), world.store_a1)
    r = api(getattr(world, who)).post("/api/v1/display-checks", json=dc_body(world, v["id"]))
    assert r.status_code == 404, r.json
    assert "visit_id" in r.json["errors"]["json"]


def test_display_check_on_unknown_visit_is_404(api, world):
    r = api(world.rep_a1).post("/api/v1/display-checks", json=dc_body(world, new_id()))
    assert r.status_code == 404


def test_display_check_photo_ids_are_listed_back(api, world):
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    photos = sorted([new_id(), new_id()])
    body = dc_body(world, v["id"], photo_ids=photos + [photos[0]])  # a repeated id is linked once
    r = rep.post("/api/v1/display-checks", json=body)
    assert r.status_code == 201, r.json
    assert sorted(r.json["photo_ids"]) == photos
    assert sorted(rep.get(f"/api/v1/display-checks/{body['id']}").json["photo_ids"]) == photos
    listed = rep.get(f"/api/v1/display-checks?visit_id={v['id']}").json
    assert len(listed) == 1 and sorted(listed[0]["photo_ids"]) == photos


def test_display_check_is_idempotent_by_id(api, world):
    rep = api(world.rep_a1)
    v = check_in(rep, world.store_a1)
    body = dc_body(world, v["id"], photo_ids=[new_id()])
    assert rep.post("/api/v1/display-checks", json=body).status_code == 201
    again = rep.post("/api/v1/display-checks", json=body)
    assert again.status_code == 200, again.json
    assert again.json["photo_ids"] == body["photo_ids"]
    assert db.session.query(DisplayCheck).count() == 1
    changed = dc_body(world, v["id"], False, 0, id=body["id"], at=utcnow() - timedelta(minutes=30))
    changed["checked_at"] = body["checked_at"]
    r = rep.post("/api/v1/display-checks", json=changed)
    assert r.status_code == 409, r.json
    assert "answers" in r.json["details"]["fields"]
    assert rep.get(f"/api/v1/display-checks/{body['id']}").json["score"] == 100.0


def test_display_check_listing_scope_and_filters(api, world):
    rep, other = api(world.rep_a1), api(world.rep_a1b)
    v1 = check_in(rep, world.store_a1)
    v2 = check_in(rep, world.store_a1b, position=point_at(YUEXIU, 1))
    v3 = check_in(other, world.store_a1)
    c1 = rep.post("/api/v1/display-checks", json=dc_body(world, v1["id"])).json["id"]
    c2 = rep.post("/api/v1/display-checks", json=dc_body(world, v2["id"])).json["id"]
    c3 = other.post("/api/v1/display-checks", json=dc_body(world, v3["id"])).json["id"]
    assert ids(rep.get("/api/v1/display-checks")) == {c1, c2}
    assert ids(rep.get(f"/api/v1/display-checks?store_id={world.store_a1b.id}")) == {c2}
    assert ids(other.get("/api/v1/display-checks")) == {c3}
    assert ids(api(world.manager_a).get("/api/v1/display-checks")) == {c1, c2, c3}
    assert ids(api(world.manager_b).get("/api/v1/display-checks")) == set()
    assert api(world.rep_a1b).get(f"/api/v1/display-checks/{c1}").status_code == 404
    assert api(world.manager_a).get(f"/api/v1/display-checks/{c1}").status_code == 200
