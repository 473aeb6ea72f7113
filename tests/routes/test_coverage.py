"""Coverage for managers: active stores nobody visited in the last N days (by tier), and each rep's
activity over a period (visits per day in the field, average time on site, off-site check-ins)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core.timeutil import utcnow
from backend.extensions import db
from tests.factories import make_store
from tests.routes.helpers import days_ago, local, out, point_at, position, visit

UNVISITED = "/api/v1/coverage/unvisited-stores"
TIERS = "/api/v1/coverage/tiers"
ACTIVITY = "/api/v1/coverage/reps"


def names(r) -> list[str]:
    assert r.status_code == 200, r.json
    return [s["code"] for s in r.json]


@pytest.fixture
def visited(api, world):
    """A1-001 visited 2 days ago, A2-001 40 days ago, A1-002 never; B1-001 3 days ago. A1-002 is
    tier A, the others tier B. A closed and a prospect store of A1 (never visited) do not count."""
    world.store_a1b.tier = "A"
    make_store("A1-CLOSED", world.terr_a1, 23.14, 113.33, status="closed")
    make_store("A1-PROSPECT", world.terr_a1, 23.15, 113.33, status="prospect")
    db.session.commit()
    a1_at = utcnow().replace(microsecond=0) - timedelta(days=2)
    a2_at = utcnow().replace(microsecond=0) - timedelta(days=40)
    visit(api(world.rep_a1), world.store_a1, a1_at, 30)
    visit(api(world.rep_a2), world.store_a2, a2_at, 30)
    visit(api(world.rep_b1), world.store_b1, utcnow().replace(microsecond=0) - timedelta(days=3), 30)
    return {"a1": a1_at, "a2": a2_at}


def test_unvisited_stores_longest_waiting_first(api, world, visited):
    manager = api(world.manager_a)
    r = manager.get(UNVISITED, query_string={"days": 30})
    assert names(r) == ["A1-002", "A2-001"]  # never visited first, then the oldest visit
    never, old = r.json
    assert never["last_visit_at"] is None
    assert old["last_visit_at"] == out(visited["a2"])
    assert (old["id"], old["name"], old["territory_id"], old["tier"]) == (
        world.store_a2.id,
        world.store_a2.name,
        world.terr_a2.id,
        "B",
    )
    assert (old["latitude"], old["longitude"]) == (world.store_a2.latitude, world.store_a2.longitude)
    assert names(manager.get(UNVISITED, query_string={"days": 60})) == ["A1-002"]
    assert names(manager.get(UNVISITED, query_string={"days": 1})) == ["A1-002", "A2-001", "A1-001"]
    assert names(manager.get(UNVISITED)) == ["A1-002", "A2-001"]  # 30 days by default


def test_unvisited_stores_filters(api, world, visited):
    manager = api(world.manager_a)
    assert names(manager.get(UNVISITED, query_string={"days": 1, "territory_id": world.terr_a1.id})) == [
        "A1-002",
        "A1-001",
    ]
    assert names(manager.get(UNVISITED, query_string={"days": 1, "tier": "B"})) == ["A2-001", "A1-001"]
    assert names(manager.get(UNVISITED, query_string={"days": 1, "rep_id": world.rep_a2.id})) == ["A2-001"]
    assert names(manager.get(UNVISITED, query_string={"days": 1, "region_id": world.region_a.id})) == [
        "A1-002",
        "A2-001",
        "A1-001",
    ]
    hq = api(world.hq)
    assert names(hq.get(UNVISITED, query_string={"days": 1})) == ["A1-002", "A2-001", "B1-001", "A1-001"]
    assert names(hq.get(UNVISITED, query_string={"days": 1, "region_id": world.region_b.id})) == ["B1-001"]
    assert names(hq.get(UNVISITED, query_string={"days": 30, "region_id": world.region_b.id})) == []


def test_unvisited_stores_access(api, world, visited):
    # A manager's filters never reach past their region: another region's territory or region is
    # simply empty, another region's rep is not found.
    manager = api(world.manager_a)
    assert names(manager.get(UNVISITED, query_string={"days": 1, "territory_id": world.terr_b1.id})) == []
    assert names(manager.get(UNVISITED, query_string={"days": 1, "region_id": world.region_b.id})) == []
    assert manager.get(UNVISITED, query_string={"rep_id": world.rep_b1.id}).status_code == 404
    assert names(api(world.manager_b).get(UNVISITED, query_string={"days": 1})) == ["B1-001"]
    # A rep sees their own territory's stores.
    assert names(api(world.rep_a1).get(UNVISITED, query_string={"days": 30})) == ["A1-002"]
    assert api(world.clerk_a1).get(UNVISITED).status_code == 403
    for days in (0, 366, "many"):
        r = manager.get(UNVISITED, query_string={"days": days})
        assert r.status_code == 422 and "days" in r.json["errors"]["query"]
    r = manager.get(UNVISITED, query_string={"tier": "S"})
    assert r.status_code == 422 and "tier" in r.json["errors"]["query"]


def test_unvisited_stores_page(api, world, visited):
    r = api(world.hq).get(UNVISITED, query_string={"days": 1, "page_size": 2})
    assert names(r) == ["A1-002", "A2-001"]
    r = api(world.hq).get(UNVISITED, query_string={"days": 1, "page_size": 2, "page": 2})
    assert names(r) == ["B1-001", "A1-001"]


def tiers(r) -> dict:
    assert r.status_code == 200, r.json
    return {row["tier"]: (row["stores"], row["visited"], row["not_visited"]) for row in r.json}


def test_coverage_by_tier(api, world, visited):
    manager = api(world.manager_a)
    assert tiers(manager.get(TIERS, query_string={"days": 30})) == {"A": (1, 0, 1), "B": (2, 1, 1)}
    assert tiers(manager.get(TIERS, query_string={"days": 60})) == {"A": (1, 0, 1), "B": (2, 2, 0)}
    assert tiers(manager.get(TIERS, query_string={"days": 1})) == {"A": (1, 0, 1), "B": (2, 0, 2)}
    assert tiers(manager.get(TIERS, query_string={"days": 30, "territory_id": world.terr_a1.id})) == {
        "A": (1, 0, 1),
        "B": (1, 1, 0),
    }
    assert tiers(manager.get(TIERS, query_string={"days": 30, "tier": "A"})) == {"A": (1, 0, 1)}
    assert tiers(api(world.manager_b).get(TIERS, query_string={"days": 30})) == {"B": (1, 1, 0)}
    assert tiers(api(world.hq).get(TIERS, query_string={"days": 30})) == {"A": (1, 0, 1), "B": (3, 2, 1)}
    assert tiers(api(world.rep_a1).get(TIERS, query_string={"days": 30})) == {"A": (1, 0, 1), "B": (1, 1, 0)}
    assert api(world.clerk_a1).get(TIERS).status_code == 403
    assert manager.get(TIERS, query_string={"rep_id": world.rep_b1.id}).status_code == 404


def test_a_store_visited_twice_counts_once(api, world, visited):
    visit(api(world.rep_a1b), world.store_a1, utcnow().replace(microsecond=0) - timedelta(days=1), 10)
    assert tiers(api(world.manager_a).get(TIERS, query_string={"days": 30})) == {"A": (1, 0, 1), "B": (2, 1, 1)}


# --- rep activity -----------------------------------------------------------------------------------


@pytest.fixture
def activity(api, world):
    """rep_a1: on day 1 two visits (40 and 30 minutes, the second checked in 400 m from the store:
    off site), on day 2 one visit never checked out, and one at 23:30 the evening before day 1
    (outside the period). rep_a2: one visit on day 2 of 15 minutes. rep_b1: two visits."""
    d1, d2 = days_ago(3), days_ago(2)
    rep = api(world.rep_a1)
    visit(rep, world.store_a1, local(days_ago(4), 23, 30), 20)
    visit(rep, world.store_a1, local(d1, 9), 40)
    visit(rep, world.store_a1b, local(d1, 10), 30, where=point_at(position(world.store_a1b), 400, 180))
    visit(rep, world.store_a1, local(d2, 23, 30))
    visit(api(world.rep_a2), world.store_a2, local(d2, 14), 15)
    visit(api(world.rep_b1), world.store_b1, local(d1, 9), 10)
    visit(api(world.rep_b1), world.store_b1, local(d1, 11), 20)
    return {"since": d1.isoformat(), "until": d2.isoformat()}


def rows(r) -> dict:
    assert r.status_code == 200, r.json
    return {
        row["rep_id"]: (
            row["visits"],
            row["days_in_field"],
            row["visits_per_day"],
            row["avg_minutes_on_site"],
            row["off_site"],
        )
        for row in r.json
    }


def test_rep_activity_over_a_period(api, world, activity):
    w = world
    r = api(w.manager_a).get(ACTIVITY, query_string=activity)
    assert [row["rep_id"] for row in r.json] == [w.rep_a1.id, w.rep_a1b.id, w.rep_a2.id]
    assert rows(r) == {
        w.rep_a1.id: (3, 2, 1.5, 35.0, 1),  # the visit never checked out has no time on site
        w.rep_a1b.id: (0, 0, 0.0, None, 0),
        w.rep_a2.id: (1, 1, 1.0, 15.0, 0),
    }
    first = r.json[0]
    assert (first["rep_name"], first["territory_id"], first["active"]) == ("Rep A1", w.terr_a1.id, True)
    # One day only; the evening before the period is its own day.
    assert rows(api(w.manager_a).get(ACTIVITY, query_string={"since": activity["since"], "until": activity["since"]}))[
        w.rep_a1.id
    ] == (2, 1, 2.0, 35.0, 1)
    evening = days_ago(4).isoformat()
    assert rows(api(w.manager_a).get(ACTIVITY, query_string={"since": evening, "until": evening}))[w.rep_a1.id] == (
        1,
        1,
        1.0,
        20.0,
        0,
    )


def test_rep_activity_access_and_filters(api, world, activity):
    w = world
    assert rows(api(w.manager_b).get(ACTIVITY, query_string=activity)) == {w.rep_b1.id: (2, 1, 2.0, 15.0, 0)}
    assert list(rows(api(w.rep_a1).get(ACTIVITY, query_string=activity))) == [w.rep_a1.id]
    assert list(rows(api(w.hq).get(ACTIVITY, query_string=activity))) == [
        w.rep_a1.id,
        w.rep_a1b.id,
        w.rep_a2.id,
        w.rep_b1.id,
    ]
    in_a2 = activity | {"territory_id": w.terr_a2.id}
    assert rows(api(w.manager_a).get(ACTIVITY, query_string=in_a2)) == {w.rep_a2.id: (1, 1, 1.0, 15.0, 0)}
    in_b1 = activity | {"territory_id": w.terr_b1.id}
    assert api(w.manager_a).get(ACTIVITY, query_string=in_b1).json == []
    assert api(w.clerk_a1).get(ACTIVITY, query_string=activity).status_code == 403


def test_rep_activity_period_checks(api, world):
    manager = api(world.manager_a)
    r = manager.get(ACTIVITY, query_string={"since": "2026-03-10", "until": "2026-03-09"})
    assert r.status_code == 422 and "until" in r.json["errors"]["query"]
    r = manager.get(ACTIVITY, query_string={"since": "2026-01-01", "until": "2026-04-03"})  # 92 days: fine
    assert r.status_code == 200
    r = manager.get(ACTIVITY, query_string={"since": "2026-01-01", "until": "2026-04-04"})
    assert r.status_code == 422 and "until" in r.json["errors"]["query"]
    # Without `until`, four weeks from `since` (the same answer as asking for them).
    r = manager.get(ACTIVITY, query_string={"since": "2026-01-01"})
    assert r.status_code == 200
    assert r.json == manager.get(ACTIVITY, query_string={"since": "2026-01-01", "until": "2026-01-28"}).json
