"""The pure market rules (backend.market.rules): periods, medians, drops, and when a drop is an
alert, on crafted series: a real drop with enough observations fires; noise does not."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.market import rules


@pytest.fixture(autouse=True)
def _app_context():
    """Pure functions: no app, no database (overrides the suite's autouse fixture)."""
    yield


D = Decimal
THRESHOLDS = {"min_drop_pct": 8.0, "min_obs_week": 4, "min_obs_day": 8}  # the defaults (backend/config.py)


def alert(previous, current, period=rules.WEEK, **kw) -> bool:
    return rules.is_alert(previous, current, period, **(THRESHOLDS | kw))


def test_periods():
    thursday = date(2026, 3, 5)
    assert rules.period_start(thursday, rules.DAY) == thursday
    assert rules.period_start(thursday, rules.WEEK) == date(2026, 3, 2)  # its ISO week's Monday
    assert rules.period_start(date(2026, 3, 2), rules.WEEK) == date(2026, 3, 2)
    assert rules.period_start(date(2026, 3, 8), rules.WEEK) == date(2026, 3, 2)  # Sunday
    assert rules.period_start(date(2026, 3, 9), rules.WEEK) == date(2026, 3, 9)
    assert rules.period_start(date(2027, 1, 1), rules.WEEK) == date(2026, 12, 28)  # across a year
    assert rules.previous_start(date(2026, 3, 2), rules.WEEK) == date(2026, 2, 23)
    assert rules.previous_start(date(2026, 3, 1), rules.DAY) == date(2026, 2, 28)
    assert rules.period_length(rules.WEEK) == timedelta(days=7)


def test_median():
    assert rules.median([D("2699"), D("2399"), D("2499")]) == D("2499.00")
    assert rules.median([D("2650"), D("2700"), D("2699"), D("2699")]) == D("2699.00")
    assert rules.median([D("2399"), D("2480"), D("2420"), D("2450")]) == D("2435.00")
    assert rules.median([D("1.00"), D("1.01")]) == D("1.01")  # 1.005 rounds half up
    assert rules.median([D("1.00"), D("1.03")]) == D("1.02")  # 1.015
    assert rules.median([D("5")]) == D("5.00")
    assert str(rules.median([D("2999")])) == "2999.00"
    with pytest.raises(ValueError):
        rules.median([])


def test_drop_pct():
    assert rules.drop_pct(D("100"), D("92")) == 8.0
    assert rules.drop_pct(D("2699"), D("2435")) == pytest.approx(9.7814, abs=1e-4)
    assert rules.drop_pct(D("100"), D("110")) == -10.0  # a rise
    assert rules.drop_pct(D("0"), D("10")) == 0.0
    assert rules.drop_pct(D("100"), D("100")) == 0.0


def test_a_real_weekly_drop_fires():
    assert alert((D("2699"), 4), (D("2435"), 4))
    assert alert((D("2699"), 40), (D("2435"), 12))
    assert alert((D("100"), 4), (D("92"), 4))  # exactly the threshold
    assert alert((D("100"), 4), (D("50"), 4))


def test_noise_does_not_fire():
    assert not alert((D("100"), 4), (D("92.01"), 4))  # just under 8 %
    assert not alert((D("2699"), 4), (D("2599"), 4))  # 3.7 %
    assert not alert((D("2435"), 4), (D("2699"), 4))  # a rise
    assert not alert((D("2699"), 4), (D("2699"), 4))
    assert not alert((D("2699"), 3), (D("2435"), 4))  # too few before
    assert not alert((D("2699"), 4), (D("2435"), 3))  # too few after
    assert not alert((D("2699"), 1), (D("999"), 1))  # one odd price is not a trend
    assert not alert(None, (D("2435"), 9))
    assert not alert((D("2699"), 9), None)
    assert not alert((D("0"), 9), (D("0"), 9))


def test_day_over_day_needs_denser_observations():
    assert not alert((D("2699"), 4), (D("2435"), 4), rules.DAY)
    assert not alert((D("2699"), 8), (D("2435"), 7), rules.DAY)
    assert alert((D("2699"), 8), (D("2435"), 8), rules.DAY)
    assert alert((D("2699"), 4), (D("2435"), 4), rules.WEEK)


def test_thresholds_are_configurable():
    assert alert((D("100"), 2), (D("95"), 2), min_drop_pct=5, min_obs_week=2)
    assert not alert((D("100"), 2), (D("96"), 2), min_drop_pct=5, min_obs_week=2)
    assert not alert((D("100"), 2), (D("95"), 2), min_drop_pct=5, min_obs_week=3)


def alerts_in(series: list[tuple[str, int]], period=rules.WEEK) -> list[int]:
    """Indices of the periods where a drop from the one before fires."""
    cells = [(D(m), n) for m, n in series]
    return [i for i in range(1, len(cells)) if alert(cells[i - 1], cells[i], period)]


def test_a_crafted_weekly_series_fires_once_at_the_drop():
    series = [
        ("2699", 6),
        ("2690", 5),  # -0.3 %
        ("2650", 7),  # -1.5 %
        ("2430", 6),  # -8.3 %: the drop
        ("2420", 5),  # stays down
        ("2150", 2),  # -11 % on two observations: not enough to tell
        ("2440", 6),  # back up
        ("2400", 4),
    ]
    assert alerts_in(series) == [3]


def test_a_slow_slide_never_fires():
    """5 % a week for ten weeks halves the price without any week-over-week alert."""
    price, series = D("3000"), []
    for _ in range(10):
        series.append((str(price), 10))
        price = (price * D("0.95")).quantize(D("0.01"))
    assert alerts_in(series) == []


prices = st.decimals(min_value=D("100"), max_value=D("20000"), places=2)


@given(prices, st.floats(min_value=-0.5, max_value=0.079), st.integers(4, 50), st.integers(4, 50))
def test_anything_short_of_the_threshold_is_noise(previous, change, n_before, n_after):
    current = (previous * (1 - D(str(change)))).quantize(D("0.01"))
    if rules.drop_pct(previous, current) < 8:
        assert not alert((previous, n_before), (current, n_after))


@given(prices, st.floats(min_value=0.08, max_value=0.9), st.integers(0, 50), st.integers(0, 50))
def test_a_drop_fires_exactly_when_both_periods_are_observed_enough(previous, fall, n_before, n_after):
    current = (previous * (1 - D(str(fall)))).quantize(D("0.01"))
    big_enough = rules.drop_pct(previous, current) >= 8
    assert alert((previous, n_before), (current, n_after)) == (big_enough and n_before >= 4 and n_after >= 4)
    assert alert((previous, n_before), (current, n_after), rules.DAY) == (big_enough and n_before >= 8 and n_after >= 8)
