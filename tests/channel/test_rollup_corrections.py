"""A corrected sell-out figure supersedes, it does not add: within one visit only the latest
declared report of a product, and the latest competitor estimate of a model and week, count in
the rollups (latest by reported_at, then received_at, then id: SPEC I.3.2, as for prices).
Records outside a visit, and those of another visit, all count. Every expected figure below is
worked out by hand; each step also checks that `rebuild()` makes the same tables."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.channel.models import NATIONAL
from backend.core.timeutil import utcnow
from tests.channel.helpers import ago, monday, rollups
from tests.channel.test_rollup import assert_rebuild_agrees
from tests.factories import competitor_sellout_body, iso, sellout_report_body
from tests.sync.helpers import Device, check_in_args

pytestmark = pytest.mark.usefixtures("rq_worker")


def at(minutes_ago: int) -> str:
    """A device time that many minutes ago (whole seconds)."""
    return iso(utcnow().replace(microsecond=0) - timedelta(minutes=minutes_ago))


def report(world, units: int, minutes_ago: int, visit_id: str | None, end_days_ago: int = 1) -> dict:
    end = ago(end_days_ago)
    return sellout_report_body(
        world.store_a1.id,
        world.product.id,
        units,
        # Within the week of its end, so its units stay in one week (a period over several weeks
        # is spread over them: test_rollup_spread.py).
        period_start=monday(end).isoformat(),
        period_end=end.isoformat(),
        reported_at=at(minutes_ago),
        visit_id=visit_id,
    )


def applied(resp) -> None:
    assert resp.status_code == 200, resp.json
    assert [r["status"] for r in resp.json["results"]] == ["applied"] * len(resp.json["results"]), resp.json


def store_week(world, key: str, week) -> tuple:
    return rollups()["store_sellout_weeks"].get((world.store_a1.id, key, week))


def test_a_report_corrected_in_its_visit_counts_once_then_visits_and_late_arrivals(api, world):
    s1, a, p = world.store_a1.id, world.region_a.id, world.product.id
    key, wk = f"p{p}", monday(ago(1))
    device = Device(api(world.rep_a1))
    visit = check_in_args(world.store_a1)
    # The rep types 6, then corrects it to 4: one push of [check-in, report, correction].
    six, four = report(world, 6, 20, visit["id"]), report(world, 4, 18, visit["id"])
    applied(
        device.push(
            [
                device.mutation("visit.check_in", visit),
                device.mutation("sellout.report", six),
                device.mutation("sellout.report", four),
            ]
        )
    )
    got = assert_rebuild_agrees()
    assert got["store_sellout_weeks"] == {(s1, key, wk): (0, 4, 1, 0, 0)}
    assert got["sellout_cells"] == {(a, key, wk): (0, 4, 1, 0, 0), (NATIONAL, key, wk): (0, 4, 1, 0, 0)}

    # A correction in a later push: 4 → 5 (the 4 is taken back).
    applied(device.push([device.mutation("sellout.report", report(world, 5, 15, visit["id"]))]))
    assert assert_rebuild_agrees()["store_sellout_weeks"] == {(s1, key, wk): (0, 5, 1, 0, 0)}

    # Another visit's report of the same model counts beside it, and so does one outside a visit.
    other = check_in_args(world.store_a1)
    applied(
        device.push(
            [
                device.mutation("visit.check_in", other),
                device.mutation("sellout.report", report(world, 3, 10, other["id"])),
                device.mutation("sellout.report", report(world, 2, 40, None)),
            ]
        )
    )
    assert assert_rebuild_agrees()["store_sellout_weeks"] == {(s1, key, wk): (0, 5 + 3 + 2, 3, 0, 0)}

    # A record of the first visit arriving late (another device, an old outbox), older than the
    # counted 5: it is kept, and counts nothing — even sent over REST.
    late = report(world, 30, 19, visit["id"])
    assert api(world.rep_a1).post("/api/v1/sellout-reports", json=late).status_code == 201
    assert assert_rebuild_agrees()["store_sellout_weeks"] == {(s1, key, wk): (0, 10, 3, 0, 0)}


def test_a_correction_that_moves_the_period_to_another_week_moves_the_units(api, world):
    s1, a, p = world.store_a1.id, world.region_a.id, world.product.id
    key, w1, w8 = f"p{p}", monday(ago(1)), monday(ago(8))
    assert w1 != w8
    device = Device(api(world.rep_a1))
    visit = check_in_args(world.store_a1)
    applied(
        device.push(
            [
                device.mutation("visit.check_in", visit),
                device.mutation("sellout.report", report(world, 6, 20, visit["id"], end_days_ago=1)),
            ]
        )
    )
    assert store_week(world, key, w1) == (0, 6, 1, 0, 0)
    # The promoter meant last week's: the correction ends 8 days ago, with 4 units.
    applied(device.push([device.mutation("sellout.report", report(world, 4, 18, visit["id"], end_days_ago=8))]))
    got = assert_rebuild_agrees()
    # The week the 6 was in keeps a row of zeros (increments never delete rows); rebuild drops it.
    assert got["store_sellout_weeks"] == {(s1, key, w8): (0, 4, 1, 0, 0)}
    assert got["sellout_cells"] == {(a, key, w8): (0, 4, 1, 0, 0), (NATIONAL, key, w8): (0, 4, 1, 0, 0)}


def test_several_records_of_one_key_in_one_push_out_of_order_count_the_latest(api, world):
    s1, p = world.store_a1.id, world.product.id
    key, wk = f"p{p}", monday(ago(1))
    device = Device(api(world.rep_a1))
    visit = check_in_args(world.store_a1)
    # Sent newest first (an outbox replayed out of order): 7 is the latest by device time.
    applied(
        device.push(
            [
                device.mutation("visit.check_in", visit),
                device.mutation("sellout.report", report(world, 7, 5, visit["id"])),
                device.mutation("sellout.report", report(world, 1, 25, visit["id"])),
                device.mutation("sellout.report", report(world, 2, 15, visit["id"])),
            ]
        )
    )
    assert assert_rebuild_agrees()["store_sellout_weeks"] == {(s1, key, wk): (0, 7, 1, 0, 0)}


def test_a_competitor_estimate_corrected_in_its_visit_counts_once_per_week(api, world):
    s1, a, cm = world.store_a1.id, world.region_a.id, world.competitor_model.id
    key = f"c{cm}"
    last, before = monday(ago(0)) - timedelta(weeks=1), monday(ago(0)) - timedelta(weeks=2)
    device = Device(api(world.rep_a1))
    visit = check_in_args(world.store_a1)

    def estimate(minutes_ago: int, week, units=None, band=None) -> dict:
        where = {"week_start": week.isoformat(), "reported_at": at(minutes_ago), "visit_id": visit["id"]}
        if band is not None:
            return competitor_sellout_body(s1, cm, None, band=band, **where)
        return competitor_sellout_body(s1, cm, units, **where)

    applied(
        device.push(
            [
                device.mutation("visit.check_in", visit),
                device.mutation("sellout.competitor", estimate(20, last, units=12)),
                device.mutation("sellout.competitor", estimate(18, last, band="21-50")),  # supersedes the 12
                device.mutation("sellout.competitor", estimate(19, before, units=8)),  # another week: its own
            ]
        )
    )
    got = assert_rebuild_agrees()
    assert got["store_sellout_weeks"] == {(s1, key, last): (0, 0, 0, 35, 1), (s1, key, before): (0, 0, 0, 8, 1)}
    # A band corrected back to a number, and a late older one of the earlier week: 35 → 9; 8 stays.
    applied(
        device.push(
            [
                device.mutation("sellout.competitor", estimate(10, last, units=9)),
                device.mutation("sellout.competitor", estimate(30, before, units=50)),
            ]
        )
    )
    got = assert_rebuild_agrees()
    assert got["store_sellout_weeks"] == {(s1, key, last): (0, 0, 0, 9, 1), (s1, key, before): (0, 0, 0, 8, 1)}
    assert got["sellout_cells"][(a, key, last)] == (0, 0, 0, 9, 1)
    assert got["sellout_cells"][(NATIONAL, key, before)] == (0, 0, 0, 8, 1)
