"""A declared report whose period spans several ISO weeks is spread over them by days
(`rules.spread_over_weeks`, largest remainder), not lumped into the week its period ends: the
pure rule (hypothesis: every week of the period, none negative, the sum the report's, each week
within one unit of its exact share, a tie to the later week) and the rollups, by hand."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.channel import rules
from backend.channel.models import NATIONAL
from backend.extensions import db
from backend.sellout.models import SellOutReport
from tests.channel.helpers import ago, monday
from tests.channel.test_rollup import assert_rebuild_agrees

MON = date(2026, 11, 2)  # a Monday


@pytest.mark.parametrize(
    ("units", "start", "end", "expected"),
    [
        # One week: all of it there (as before).
        (5, MON + timedelta(days=1), MON + timedelta(days=3), [(MON, 5)]),
        # Sunday to Saturday: 1 day and 6 days of 10 → 1.43 and 8.57: 1 + 8, the unit left to
        # the larger remainder (4/7 > 3/7): 1 and 9.
        (10, MON - timedelta(days=1), MON + timedelta(days=5), [(MON - timedelta(days=7), 1), (MON, 9)]),
        # Sunday 1 to Saturday 21 (21 days: 1 + 7 + 7 + 6) of 12 → 0.57, 4, 4, 3.43: 0 + 4 + 4 + 3
        # = 11, the unit left to the largest remainder (12/21, the first week's).
        (
            12,
            MON - timedelta(days=1),
            MON + timedelta(days=19),
            [(MON - timedelta(days=7), 1), (MON, 4), (MON + timedelta(days=7), 4), (MON + timedelta(days=14), 3)],
        ),
        # Thursday to Wednesday (4 days + 3 days) of 7: exactly 4 and 3.
        (7, MON + timedelta(days=3), MON + timedelta(days=9), [(MON, 4), (MON + timedelta(days=7), 3)]),
        # A tie: Thursday to Sunday + Monday to Thursday (4 + 4 days) of 3 → 1.5 each: the
        # unit left goes to the later week.
        (3, MON + timedelta(days=3), MON + timedelta(days=10), [(MON, 1), (MON + timedelta(days=7), 2)]),
        # 0 units: every week of the period, at 0.
        (0, MON + timedelta(days=5), MON + timedelta(days=8), [(MON, 0), (MON + timedelta(days=7), 0)]),
    ],
)
def test_spread_by_hand(units, start, end, expected):
    assert rules.spread_over_weeks(units, start, end) == expected


@given(
    st.integers(0, 100_000),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(0, 91),  # a period is at most 92 days (sellout.rules.MAX_PERIOD_DAYS)
)
def test_spread_keeps_the_sum_and_each_week_within_a_unit_of_its_share(units, start, length):
    end = start + timedelta(days=length)
    spread = rules.spread_over_weeks(units, start, end)
    weeks = [week for week, _ in spread]
    assert weeks[0] == monday(start) and weeks[-1] == monday(end)
    assert all(b - a == timedelta(days=7) for a, b in zip(weeks, weeks[1:], strict=False))
    assert sum(n for _, n in spread) == units
    total = length + 1
    for week, n in spread:
        assert n >= 0
        days = (min(end, week + timedelta(days=6)) - max(start, week)).days + 1
        exact = units * days / total
        assert exact - 1 < n < exact + 1


def report(world, store, units: int, start: date, end: date) -> None:
    db.session.add(
        SellOutReport(
            id=uuid.uuid4(), rep_id=world.rep_a1.id, store_id=store.id, product_id=world.product.id, units=units,
            period_start=start, period_end=end, source="promoter", reported_at=datetime(2026, 1, 1),
        )
    )  # fmt: skip


def test_a_three_week_report_in_the_rollups(app, world):
    """14 units over 15 days: Sunday (1 day), a whole week (7), Monday to Sunday (7) → 0.93,
    6.53, 6.53 → 0 + 6 + 6 = 12, the 2 left to the two largest remainders (0.93 first, then the
    tie of 0.53 to the later week): 1, 6, 7. At store A2 (no clerk) the same units leave the
    channel of region A (no partner) in those weeks; at store A1 (a clerk registers its cards)
    the declared units are sell-out only. The report counts once, in its end week."""
    a, p = world.region_a.id, world.product.id
    end = monday(ago(14)) + timedelta(days=6)  # a Sunday two weeks ago or so
    start = end - timedelta(days=14)  # the Sunday two weeks before
    w1, w2, w3 = monday(start), monday(start) + timedelta(days=7), monday(end)
    assert [w1, w2, w3] == [w for w, _ in rules.spread_over_weeks(14, start, end)]
    report(world, world.store_a2, 14, start, end)
    report(world, world.store_a1, 14, start, end)
    db.session.commit()
    got = assert_rebuild_agrees()
    key, s1, s2 = f"p{p}", world.store_a1.id, world.store_a2.id
    assert got["store_sellout_weeks"] == {
        (s1, key, w1): (0, 1, 0, 0, 0),
        (s1, key, w2): (0, 6, 0, 0, 0),
        (s1, key, w3): (0, 7, 1, 0, 0),
        (s2, key, w1): (0, 1, 0, 0, 0),
        (s2, key, w2): (0, 6, 0, 0, 0),
        (s2, key, w3): (0, 7, 1, 0, 0),
    }
    assert got["sellout_cells"] == {
        (a, key, w1): (0, 2, 0, 0, 0),
        (a, key, w2): (0, 12, 0, 0, 0),
        (a, key, w3): (0, 14, 2, 0, 0),
        (NATIONAL, key, w1): (0, 2, 0, 0, 0),
        (NATIONAL, key, w2): (0, 12, 0, 0, 0),
        (NATIONAL, key, w3): (0, 14, 2, 0, 0),
    }
    # (shipped, sold), sold all declared: only store A2's, for no partner (it has none).
    assert got["channel_weeks"] == {(a, 0, p, w1): (0, 1), (a, 0, p, w2): (0, 6), (a, 0, p, w3): (0, 7)}
    assert got["channel_stock"] == {(a, 0, p): (0, 14)}
    assert got["channel_declared"] == {
        ("channel_stock", a, 0, p): 14,
        ("channel_weeks", a, 0, p, w1): 1,
        ("channel_weeks", a, 0, p, w2): 6,
        ("channel_weeks", a, 0, p, w3): 7,
    }
    assert got["channel_cohorts"] == {}
