"""GET /api/v1/routes (a rep's day for review) and GET /api/v1/reps: visits in order with time on
site, geodesic travel, gaps, idle time and off-site check-ins; the day is a Shanghai calendar day;
a manager sees only their region's reps."""

from __future__ import annotations

import json

import pytest

from backend.core.geo import distance_m
from tests.routes.helpers import (
    check_in,
    check_out,
    days_ago,
    local,
    out,
    plan_body,
    point_at,
    position,
    street,
    visit,
)


def route_of(client, rep, day, status=200):
    r = client.get("/api/v1/routes", query_string={"rep_id": rep.id, "day": day.isoformat()})
    assert r.status_code == status, r.json
    return r.json


def test_a_reps_day_with_legs_gaps_idle_time_and_an_off_site_check_in(api, world):
    day = days_ago(1)
    rep = api(world.rep_a1)
    a1, a1b = world.store_a1, world.store_a1b
    [extra] = street(world, 1)
    # 09:00–09:40 at A1-001, leaving from 50 m north of it
    left_a1 = point_at(position(a1), 50, 0)
    v1 = check_in(rep, a1, local(day, 9, 0))
    check_out(rep, v1, local(day, 9, 40), left_a1)
    # 10:00–10:30 at A1-002, checked in 400 m south of the store: off site (threshold 150 m)
    away = point_at(position(a1b), 400, 180)
    v2 = check_in(rep, a1b, local(day, 10, 0), away)
    check_out(rep, v2, local(day, 10, 30))  # no position: travel on starts where they checked in
    # 12:00 at A1-001 again, never checked out: 90 minutes since 10:30 is idle (ROUTE_IDLE_MINUTES 60)
    v3 = check_in(rep, a1, local(day, 12, 0))
    # Another rep's visit that day is not in this route.
    visit(api(world.rep_a1b), a1, local(day, 11, 0), 20)
    # The plan for that day: two of its three stores were visited.
    plan = api(world.manager_a).post(
        "/api/v1/visit-plans", json=plan_body(day, [a1b, extra, a1], rep_id=world.rep_a1.id, optimise=False)
    )
    assert plan.status_code == 201, plan.json

    got = route_of(api(world.manager_a), world.rep_a1, day)
    assert (got["rep_id"], got["rep_name"], got["day"]) == (world.rep_a1.id, "Rep A1", day.isoformat())
    visits = got["visits"]
    assert [v["visit_id"] for v in visits] == [v1, v2, v3]
    assert [v["store_id"] for v in visits] == [a1.id, a1b.id, a1.id]
    assert [v["store_name"] for v in visits] == [a1.name, a1b.name, a1.name]
    assert [v["checked_in_at"] for v in visits] == [out(local(day, h)) for h in (9, 10, 12)]
    assert [v["checked_out_at"] for v in visits] == [out(local(day, 9, 40)), out(local(day, 10, 30)), None]
    assert [v["minutes_on_site"] for v in visits] == [40.0, 30.0, None]
    leg2 = distance_m(left_a1, away)  # from where the rep left A1-001 to where they checked in
    leg3 = distance_m(away, position(a1))  # from A1-002's check-in: no check-out position
    assert visits[0]["travel_m"] is None
    assert visits[1]["travel_m"] == pytest.approx(leg2, abs=0.05)
    assert visits[2]["travel_m"] == pytest.approx(leg3, abs=0.05)
    # A1-002 is about 1,990 m north of A1-001: 1,990 - 50 - 400 there, 1,990 - 400 back
    assert 1530 < leg2 < 1560 and 1580 < leg3 < 1610
    assert [v["gap_minutes"] for v in visits] == [None, 20.0, 90.0]
    assert [v["idle"] for v in visits] == [False, False, True]
    assert [v["off_site"] for v in visits] == [False, True, False]
    assert visits[1]["distance_m"] == pytest.approx(400, abs=0.5)
    assert (visits[1]["latitude"], visits[1]["longitude"]) == pytest.approx(away)
    assert (visits[1]["store_latitude"], visits[1]["store_longitude"]) == pytest.approx(position(a1b))
    assert visits[0]["distance_m"] == 0 and visits[0]["accuracy_m"] == 15
    assert got["totals"] == {
        "visits": 3,
        "travel_m": pytest.approx(leg2 + leg3, abs=0.05),
        "on_site_minutes": 70.0,
        "idle_minutes": 90.0,
        "off_site": 1,
        "first_check_in": out(local(day, 9)),
        "last_check_out": out(local(day, 10, 30)),
    }
    assert got["plan"] == {
        "id": plan.json["id"],
        "store_ids": [a1b.id, extra.id, a1.id],
        "visited_store_ids": [a1b.id, a1.id],
    }


def test_the_day_is_a_shanghai_calendar_day(api, world):
    """A Shanghai day runs from 16:00 UTC the day before; 23:30 local the evening before belongs
    to the day before, 00:00 local to the day."""
    day = days_ago(3)
    rep = api(world.rep_a1)
    before = visit(rep, world.store_a1, local(days_ago(4), 23, 30), 20)
    first = visit(rep, world.store_a1, local(day, 0, 0), 10)
    last = visit(rep, world.store_a1b, local(day, 23, 59))
    after = visit(rep, world.store_a1, local(days_ago(2), 0, 0), 10)
    got = route_of(api(world.hq), world.rep_a1, day)
    assert [v["visit_id"] for v in got["visits"]] == [first, last]
    assert got["totals"]["first_check_in"] == out(local(day, 0, 0))
    assert got["totals"]["last_check_out"] == out(local(day, 0, 10))
    assert got["plan"] is None
    assert [v["visit_id"] for v in route_of(api(world.hq), world.rep_a1, days_ago(4))["visits"]] == [before]
    assert [v["visit_id"] for v in route_of(api(world.hq), world.rep_a1, days_ago(2))["visits"]] == [after]


def test_a_day_without_visits(api, world):
    got = route_of(api(world.rep_a1), world.rep_a1, days_ago(1))
    assert got["visits"] == [] and got["plan"] is None
    assert got["totals"] == {
        "visits": 0,
        "travel_m": 0.0,
        "on_site_minutes": 0.0,
        "idle_minutes": 0.0,
        "off_site": 0,
        "first_check_in": None,
        "last_check_out": None,
    }


@pytest.mark.parametrize(
    "who, whose, status",
    [
        ("rep_a1", "rep_a1", 200),  # a rep reviews their own day…
        ("rep_a1", "rep_a1b", 404),  # …and nobody else's, not even in their territory
        ("manager_a", "rep_a1", 200),
        ("manager_a", "rep_a2", 200),  # another territory of the manager's region
        ("manager_a", "rep_b1", 404),  # another region
        ("manager_b", "rep_a1", 404),
        ("manager_b", "rep_b1", 200),
        ("hq", "rep_b1", 200),
        ("admin", "rep_a1", 200),
        ("clerk_a1", "rep_a1", 403),
        ("manager_a", "manager_a", 404),  # not a rep
    ],
)
def test_who_reviews_whose_route(api, world, who, whose, status):
    visit(api(world.rep_a1), world.store_a1, local(days_ago(1), 9), 30)
    got = route_of(api(world.users[who]), world.users[whose], days_ago(1), status)
    if status == 404:
        assert got["status"] == 404 and "rep" in got["message"].lower()
    if status == 200 and whose == "rep_a1":
        assert got["totals"]["visits"] == 1


def test_unknown_rep_and_bad_query(api, world):
    manager = api(world.manager_a)
    assert manager.get("/api/v1/routes", query_string={"rep_id": 99999, "day": "2026-03-02"}).status_code == 404
    r = manager.get("/api/v1/routes", query_string={"rep_id": world.rep_a1.id})
    assert r.status_code == 422 and "day" in r.json["errors"]["query"]
    r = manager.get("/api/v1/routes", query_string={"rep_id": world.rep_a1.id, "day": "yesterday"})
    assert r.status_code == 422 and "day" in r.json["errors"]["query"]


def ids(r) -> list[int]:
    assert r.status_code == 200, r.json
    return [x["id"] for x in r.json]


def test_reps_a_reviewer_may_pick(api, world):
    w = world
    assert ids(api(w.manager_a).get("/api/v1/reps")) == [w.rep_a1.id, w.rep_a1b.id, w.rep_a2.id]
    assert ids(api(w.manager_a).get(f"/api/v1/reps?territory_id={w.terr_a2.id}")) == [w.rep_a2.id]
    assert ids(api(w.manager_a).get(f"/api/v1/reps?territory_id={w.terr_b1.id}")) == []
    assert ids(api(w.manager_b).get("/api/v1/reps")) == [w.rep_b1.id]
    assert ids(api(w.rep_a1).get("/api/v1/reps")) == [w.rep_a1.id]
    assert ids(api(w.hq).get("/api/v1/reps")) == [w.rep_a1.id, w.rep_a1b.id, w.rep_a2.id, w.rep_b1.id]
    assert ids(api(w.admin).get("/api/v1/reps")) == [w.rep_a1.id, w.rep_a1b.id, w.rep_a2.id, w.rep_b1.id]
    assert api(w.clerk_a1).get("/api/v1/reps").status_code == 403
    paged = api(w.hq).get("/api/v1/reps?page_size=3&page=2")
    assert ids(paged) == [w.rep_b1.id]
    assert json.loads(paged.headers["X-Pagination"])["total"] == 4
    first = api(w.manager_a).get("/api/v1/reps").json[0]
    assert first == {
        "id": w.rep_a1.id,
        "display_name": "Rep A1",
        "territory_id": w.terr_a1.id,
        "active": True,
    }
