"""GET /api/v1/team/today: a region's reps with their day so far — done / planned, open or last
visit, off-site check-ins, idle gaps (TEAM_IDLE_GAP_MINUTES = 90: a gap of 90 minutes is not idle,
91 is), last sync (TEAM_UNSYNCED_WARN_MINUTES = 240), last position — by hand-computed times in
Shanghai; scope by region; a constant number of queries for the region."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event

from backend.extensions import db
from backend.routes import team
from backend.sync.models import SyncClient
from tests.factories import make_user
from tests.routes.helpers import check_in, check_out, days_ago, local, out, plan_body, point_at, position, street, visit


def team_of(client, status=200, **query):
    r = client.get("/api/v1/team/today", query_string={k: str(v) for k, v in query.items()})
    assert r.status_code == status, r.json
    return r.json


def by_name(answer) -> dict:
    return {r["name"]: r for r in answer["reps"]}


def test_a_past_day_of_the_region_by_hand(api, world):
    day = days_ago(1)
    a1, a1b = world.store_a1, world.store_a1b
    [extra] = street(world, 1)
    rep = api(world.rep_a1)
    plan = api(world.manager_a).post(
        "/api/v1/visit-plans", json=plan_body(day, [a1b, extra, a1], rep_id=world.rep_a1.id, optimise=False)
    )
    assert plan.status_code == 201, plan.json
    v1 = visit(rep, a1, local(day, 9, 0), 40)  # out 09:40
    v2 = visit(rep, a1b, local(day, 11, 10), 20)  # 90 minutes after 09:40: not idle; out 11:30
    away = point_at(position(extra), 400, 90)  # 400 m east of the store: off site
    left = point_at(position(extra), 30, 0)
    v3 = check_in(rep, extra, local(day, 13, 1), away)  # 91 minutes after 11:30: idle
    check_out(rep, v3, local(day, 13, 20), left)
    # rep_a1b: at A1-001 since 10:00, never checked out; rep_a2: nothing; rep_b1: another region.
    v4 = check_in(api(world.rep_a1b), a1, local(day, 10, 0))
    visit(api(world.rep_b1), world.store_b1, local(day, 10, 0), 30)

    got = team_of(api(world.manager_a), day=day.isoformat())
    assert got["day"] == day.isoformat()
    assert got["region"] == {"id": world.region_a.id, "name": world.region_a.name}
    assert (got["idle_gap_minutes"], got["unsynced_warn_minutes"]) == (90, 240)
    assert [r["name"] for r in got["reps"]] == ["Rep A1", "Rep A1B", "Rep A2"]  # by name; not rep_b1
    reps = by_name(got)

    a = reps["Rep A1"]
    assert (a["rep_id"], a["territory_id"], a["territory_name"]) == (
        world.rep_a1.id,
        world.terr_a1.id,
        world.terr_a1.name,
    )
    assert a["planned"] == {
        "count": 3,
        "store_ids": [a1b.id, extra.id, a1.id],
        "visited_store_ids": [a1b.id, extra.id, a1.id],
    }
    assert a["done"] == 3
    assert a["off_site"] == 1
    assert a["open_visit"] is None
    assert a["last_visit"] == {
        "visit_id": v3,
        "store_id": extra.id,
        "store_name": extra.name,
        "checked_in_at": out(local(day, 13, 1)),
        "checked_out_at": out(local(day, 13, 20)),
        "off_site": True,
    }
    assert a["first_check_in"] == out(local(day, 9, 0))
    # A past day: no gap after the last check-out.
    assert a["idle_gaps"] == [
        {"from": out(local(day, 11, 30)), "to": out(local(day, 13, 1)), "minutes": 91.0, "ongoing": False}
    ]
    assert a["last_position"]["kind"] == "check_out"
    assert a["last_position"]["at"] == out(local(day, 13, 20))
    assert (a["last_position"]["latitude"], a["last_position"]["longitude"]) == left
    assert a["last_position"]["store_name"] == extra.name
    assert {v1, v2}.isdisjoint({a["last_visit"]["visit_id"]})

    b = reps["Rep A1B"]
    assert b["open_visit"] == {
        "visit_id": v4,
        "store_id": a1.id,
        "store_name": a1.name,
        "checked_in_at": out(local(day, 10, 0)),
        "checked_out_at": None,
        "off_site": False,
    }
    assert b["last_visit"] is None and b["done"] == 1 and b["planned"]["count"] == 0
    assert b["idle_gaps"] == []
    assert b["last_position"]["kind"] == "check_in" and b["last_position"]["at"] == out(local(day, 10, 0))

    c = reps["Rep A2"]
    assert c == c | {
        "done": 0,
        "planned": {"count": 0, "store_ids": [], "visited_store_ids": []},
        "open_visit": None,
        "last_visit": None,
        "off_site": 0,
        "first_check_in": None,
        "idle_gaps": [],
        "last_position": None,
        "last_sync_at": None,
        "unsynced": True,  # never synced
    }


def test_days_are_shanghai_days_around_midnight(api, world):
    day = days_ago(2)
    rep = api(world.rep_a1)
    late = visit(rep, world.store_a1, local(day, 23, 50), 5)  # 15:50 UTC
    early = visit(rep, world.store_a1b, local(day + timedelta(days=1), 0, 10), 5)  # 16:10 UTC
    first = by_name(team_of(api(world.manager_a), day=day.isoformat()))["Rep A1"]
    second = by_name(team_of(api(world.manager_a), day=(day + timedelta(days=1)).isoformat()))["Rep A1"]
    assert (first["done"], first["last_visit"]["visit_id"]) == (1, late)
    assert (second["done"], second["last_visit"]["visit_id"]) == (1, early)
    assert first["idle_gaps"] == second["idle_gaps"] == []  # the night between is no one's gap


def test_today_the_gap_since_the_last_check_out_runs_until_now_within_working_hours(app, api, world):
    day = days_ago(1)  # taken as "today" by giving the service that day's clock
    visit(api(world.rep_a1), world.store_a1, local(day, 9, 0), 30)  # out 09:30
    check_in(api(world.rep_a1b), world.store_a1, local(day, 9, 0))  # still there

    def rep_at(now: datetime, name: str) -> dict:
        got = team.team_today(world.manager_a, None, None, now=now)
        assert got["day"] == got["today"] == day
        return next(r for r in got["reps"] if r["name"] == name)

    assert rep_at(local(day, 11, 0), "Rep A1")["idle_gaps"] == []  # 90 minutes: not idle
    assert rep_at(local(day, 11, 1), "Rep A1")["idle_gaps"] == [
        {"from": local(day, 9, 30), "to": local(day, 11, 1), "minutes": 91.0, "ongoing": True}
    ]
    # After 19:00 the day's working time is over: the gap stops there.
    assert rep_at(local(day, 21, 0), "Rep A1")["idle_gaps"] == [
        {"from": local(day, 9, 30), "to": local(day, 19, 0), "minutes": 570.0, "ongoing": True}
    ]
    # At a store (checked in, not out): no gap however long.
    assert rep_at(local(day, 15, 0), "Rep A1B")["idle_gaps"] == []
    # Looking back at that day the next day: it is over, no trailing gap.
    later = team.team_today(world.manager_a, day, None, now=local(day + timedelta(days=1), 10, 0))
    assert next(r for r in later["reps"] if r["name"] == "Rep A1")["idle_gaps"] == []


def test_unsynced_from_the_last_push_or_pull_of_any_phone(app, world):
    now = local(days_ago(0), 12, 0)
    db.session.add_all(
        [
            SyncClient(client_id="a1-phone-1", user_id=world.rep_a1.id, last_push_at=now - timedelta(minutes=240)),
            SyncClient(client_id="a1b-phone-1", user_id=world.rep_a1b.id, last_pull_at=now - timedelta(minutes=241)),
            # rep_a2: an old phone, and the new one that pulled 5 minutes ago
            SyncClient(
                client_id="a2-phone-old",
                user_id=world.rep_a2.id,
                last_push_at=now - timedelta(days=3),
                last_pull_at=now - timedelta(days=3),
            ),
            SyncClient(
                client_id="a2-phone-new",
                user_id=world.rep_a2.id,
                last_push_at=now - timedelta(hours=5),
                last_pull_at=now - timedelta(minutes=5),
            ),
        ]
    )
    db.session.commit()
    reps = {r["name"]: r for r in team.team_today(world.manager_a, None, None, now=now)["reps"]}
    assert (reps["Rep A1"]["last_sync_at"], reps["Rep A1"]["unsynced"]) == (now - timedelta(minutes=240), False)
    assert (reps["Rep A1B"]["last_sync_at"], reps["Rep A1B"]["unsynced"]) == (now - timedelta(minutes=241), True)
    assert (reps["Rep A2"]["last_sync_at"], reps["Rep A2"]["unsynced"]) == (now - timedelta(minutes=5), False)


def test_scope_a_manager_their_region_hq_the_region_named(api, world):
    manager = api(world.manager_a)
    assert team_of(manager, region_id=world.region_a.id)["region"]["id"] == world.region_a.id
    err = team_of(manager, 404, region_id=world.region_b.id)
    assert err["reason"] == "region.not_found"
    hq = api(world.hq)
    assert team_of(hq, 422)["reason"] == "team.region_required"
    assert [r["name"] for r in team_of(hq, region_id=world.region_b.id)["reps"]] == ["Rep B1"]
    assert team_of(api(world.admin), 404, region_id=999999)["reason"] == "region.not_found"
    for who in (world.rep_a1, world.clerk_a1):
        team_of(api(who), 403)
    team_of(manager, 422, day="2026-02-30")


def test_inactive_reps_are_left_out(api, world):
    world.rep_a2.active = False
    db.session.commit()
    assert "Rep A2" not in by_name(team_of(api(world.manager_a)))


def test_a_constant_number_of_queries_whatever_the_team(app, api, world):
    day = days_ago(1)

    def statements() -> int:
        seen = []

        def listen(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        db.session.refresh(world.manager_a)  # the caller as the request has it: loaded
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            team.team_today(world.manager_a, day, None, now=local(day, 18, 0))
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        return len(seen)

    visit(api(world.rep_a1), world.store_a1, local(day, 9, 0), 30)
    few = statements()
    for i in range(6):
        rep = make_user(f"rep_extra_{i}", "rep", territory_id=world.terr_a2.id)
        db.session.commit()
        visit(api(rep), world.store_a2, local(day, 9 + i, 0), 20)
        api(world.manager_a).post("/api/v1/visit-plans", json=plan_body(day, [world.store_a2], rep_id=rep.id))
    many = statements()
    assert many == few == 5, (few, many)  # region, reps, plans, visits, last syncs


# --- the pure rules -------------------------------------------------------------------------------

T0 = datetime(2026, 11, 20, 1, 0)  # 09:00 in Shanghai


def row(start_min: float, minutes: float | None, store: int = 1, off_site: bool = False) -> team.VisitRow:
    cin = T0 + timedelta(minutes=start_min)
    return team.VisitRow(
        f"v{start_min}",
        store,
        f"S{store}",
        cin,
        (23.0, 113.0),
        off_site,
        cin + timedelta(minutes=minutes) if minutes is not None else None,
        None,
    )


def test_gaps_at_the_threshold_and_a_visit_never_checked_out():
    # out at 30; in at 119 (89), out 129; in at 220 (91); a visit never checked out at 300 counts
    # from its check-in: the next at 391 is 91 after it.
    visits = [row(0, 30), row(119, 10), row(220, 20), row(300, None), row(391, 5)]
    gaps = team.idle_gaps(visits, 90, None)
    assert [(g["from"], g["to"], g["minutes"]) for g in gaps] == [
        (T0 + timedelta(minutes=129), T0 + timedelta(minutes=220), 91.0),
        (T0 + timedelta(minutes=300), T0 + timedelta(minutes=391), 91.0),
    ]
    assert team.idle_gaps([row(0, 30)], 90, T0 + timedelta(minutes=120)) == []
    assert team.idle_gaps([row(0, 30)], 90, T0 + timedelta(minutes=121))[0]["minutes"] == 91.0
    assert team.idle_gaps([], 90, T0) == []
    assert team.idle_gaps([row(0, 30)], 90, T0 + timedelta(minutes=10)) == []  # "now" before the check-out


visits_strategy = st.lists(
    st.tuples(st.integers(0, 900), st.one_of(st.none(), st.integers(0, 120))), min_size=0, max_size=8
).map(lambda xs: sorted((row(s, m) for s, m in xs), key=lambda v: v.checked_in_at))


@given(visits_strategy, st.integers(1, 200), st.integers(0, 200), st.integers(0, 600))
def test_gaps_are_longer_than_the_threshold_fewer_for_a_higher_one_and_move_with_the_day(
    visits, threshold, more, shift
):
    until = T0 + timedelta(minutes=1000)
    gaps = team.idle_gaps(visits, threshold, until)
    assert all(g["minutes"] > threshold and g["from"] <= g["to"] for g in gaps)
    assert len(team.idle_gaps(visits, threshold + more, until)) <= len(gaps)
    moved = [
        team.VisitRow(
            v.visit_id,
            v.store_id,
            v.store_name,
            v.checked_in_at + timedelta(minutes=shift),
            v.check_in,
            v.off_site,
            v.checked_out_at + timedelta(minutes=shift) if v.checked_out_at else None,
        )
        for v in visits
    ]
    again = team.idle_gaps(moved, threshold, until + timedelta(minutes=shift))
    assert [g["minutes"] for g in again] == [g["minutes"] for g in gaps]


def test_the_last_position_is_the_latest_check_in_or_out_with_a_position():
    a = row(0, 30)
    b = team.VisitRow("b", 2, "S2", T0 + timedelta(minutes=60), (23.1, 113.1), False, T0 + timedelta(minutes=70), None)
    assert team.last_position([]) is None
    # b checked out without a position: its check-in is the last position known.
    assert team.last_position([a, b]) | {} == {
        "latitude": 23.1,
        "longitude": 113.1,
        "at": T0 + timedelta(minutes=60),
        "kind": "check_in",
        "store_id": 2,
        "store_name": "S2",
    }
