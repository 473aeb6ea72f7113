"""The pure alert rules (backend.channel.rules): weeks of cover low or high and stock-outs, around
each threshold and noise guard, with the defaults of backend/config.py written out here."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.channel import rules


@pytest.fixture(autouse=True)
def _app_context():
    """Pure functions: no app, no database (overrides the suite's autouse fixture)."""
    yield


CFG = {
    "CHANNEL_COVER_LOW_WEEKS": 2.0,
    "CHANNEL_COVER_HIGH_WEEKS": 12.0,
    "CHANNEL_COVER_MIN_WEEKLY": 2.0,
    "CHANNEL_COVER_MIN_STOCK": 30,
    "CHANNEL_STOCKOUT_MIN_REGION_UNITS": 3,
}


def test_cover_weeks():
    assert rules.cover_weeks(10, 4.0) == 2.5
    assert rules.cover_weeks(0, 4.0) == 0.0
    assert rules.cover_weeks(-3, 4.0) == 0.0  # cannot come from the rollups (sold ≤ shipped): a guard
    assert rules.cover_weeks(10, 0.0) is None


@pytest.mark.parametrize(
    ("stock", "weekly", "expected"),
    [
        # low: cover < 2 weeks with at least 2 units a week
        (7, 4.0, "cover_low"),  # 1.75 weeks
        (8, 4.0, None),  # exactly 2.0 weeks: not below
        (3, 2.0, "cover_low"),  # 1.5 weeks at exactly the minimum rate
        (1, 1.75, None),  # 0.57 weeks, but 1.75 units a week is noise
        (0, 2.0, "cover_low"),  # out of stock with sales: cover 0
        (0, 1.0, None),  # out of stock, too few sales to say
        (-4, 5.0, "cover_low"),  # negative stock (a guard: the rollups never give one) counts as 0
        (0, 0.0, None),  # nothing sold: no cover, no alert
        (500, 0.0, None),  # a lot of stock that does not sell: the aging list's business
        # high: cover > 12 weeks with at least 30 units
        (30, 2.0, "cover_high"),  # 15 weeks, exactly the minimum stock
        (29, 2.0, None),  # 14.5 weeks but only 29 units
        (48, 4.0, None),  # exactly 12.0 weeks: not above
        (49, 4.0, "cover_high"),  # 12.25 weeks
        (100, 0.25, "cover_high"),  # 400 weeks, slow seller: still an overstock
        (40, 4.0, None),  # 10 weeks: fine
    ],
)
def test_cover_alert_by_hand(stock, weekly, expected):
    assert rules.cover_alert(stock, weekly, CFG) == expected


def test_thresholds_come_from_the_config():
    strict = CFG | {"CHANNEL_COVER_LOW_WEEKS": 3.0, "CHANNEL_COVER_MIN_WEEKLY": 1.0}
    assert rules.cover_alert(8, 4.0, CFG) is None
    assert rules.cover_alert(8, 4.0, strict) == "cover_low"  # 2 < 3
    assert rules.cover_alert(1, 1.0, strict) == "cover_low"
    assert rules.cover_alert(30, 2.0, CFG | {"CHANNEL_COVER_MIN_STOCK": 31}) is None
    assert rules.stock_out_alert(0, 3, CFG | {"CHANNEL_STOCKOUT_MIN_REGION_UNITS": 4}) is False


@pytest.mark.parametrize(
    ("on_hand", "region_units", "expected"),
    [
        (0, 3, True),  # exactly the minimum
        (0, 2, False),  # the region hardly sells it
        (0, 0, False),
        (0, 250, True),
        (1, 250, False),  # one left is not out
    ],
)
def test_stock_out_by_hand(on_hand, region_units, expected):
    assert rules.stock_out_alert(on_hand, region_units, CFG) is expected


@given(
    stock=st.integers(min_value=-1000, max_value=100_000),
    weekly=st.floats(min_value=0, max_value=10_000, allow_nan=False),
)
def test_cover_alert_properties(stock, weekly):
    kind = rules.cover_alert(stock, weekly, CFG)
    cover = rules.cover_weeks(stock, weekly)
    if kind == "cover_low":
        assert cover is not None and cover < 2.0 and weekly >= 2.0
    elif kind == "cover_high":
        assert cover is not None and cover > 12.0 and stock >= 30
    else:
        # None: no sales, or cover within [2, 12], or a guard held it back.
        assert cover is None or 2.0 <= cover <= 12.0 or (cover < 2.0 and weekly < 2.0) or (cover > 12.0 and stock < 30)


@given(
    stock=st.integers(min_value=0, max_value=100_000),
    weekly=st.floats(min_value=0.01, max_value=10_000, allow_nan=False),
    extra=st.integers(min_value=1, max_value=1000),
)
def test_more_stock_never_turns_high_into_low(stock, weekly, extra):
    """Monotone: adding units at the same rate never makes a region lower on cover."""
    before, after = rules.cover_alert(stock, weekly, CFG), rules.cover_alert(stock + extra, weekly, CFG)
    if before == "cover_high":
        assert after == "cover_high"
    if after == "cover_low":
        assert before == "cover_low"


@given(on_hand=st.integers(min_value=0, max_value=100_000), units=st.integers(min_value=0, max_value=10**6))
def test_stock_out_needs_zero_and_sales(on_hand, units):
    assert rules.stock_out_alert(on_hand, units, CFG) == (on_hand == 0 and units >= 3)
