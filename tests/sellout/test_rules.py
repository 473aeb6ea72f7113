"""The pure rules of sell-out capture (backend/sellout/rules.py), by example and by property."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.core.reasons import REASONS
from backend.sellout import rules
from backend.sellout.models import BAND_UNITS, Band

VECTORS = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "sellout_rules.json").read_text())
"""Hand-computed cases shared with the PWA's port (pwa/src/db/sellout.js)."""

TODAY = date(2026, 12, 5)  # a Saturday

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def test_week_start_by_hand():
    # 2026-12-05 is a Saturday; its ISO week began on Monday 2026-11-30.
    assert rules.week_start(date(2026, 12, 5)) == date(2026, 11, 30)
    assert rules.week_start(date(2026, 11, 30)) == date(2026, 11, 30)
    assert rules.week_start(date(2026, 12, 6)) == date(2026, 11, 30)  # Sunday: same week
    assert rules.week_start(date(2026, 12, 7)) == date(2026, 12, 7)
    assert rules.week_start(date(2027, 1, 1)) == date(2026, 12, 28)  # across a year's end


@given(days, days)
def test_week_of_an_estimate_properties(day, today):
    fault = rules.check_week(day, today)
    ok = day.weekday() == 0 and day <= rules.week_start(today + timedelta(days=1))
    assert (fault is None) == ok
    if fault is not None:
        assert fault[2] == "week_start"


@given(days)
def test_week_start_is_the_monday_at_most_six_days_before(day):
    start = rules.week_start(day)
    assert start.weekday() == 0 and rules.is_week_start(start)
    assert 0 <= (day - start).days <= 6
    assert start.isocalendar()[:2] == day.isocalendar()[:2]
    assert rules.week_start(start) == start
    fault = rules.check_week(day, day)
    assert (fault is None) == (day == start)
    if fault is not None:
        assert fault[1:] == ("sellout.week_not_monday", "week_start")


def test_week_not_monday_reason():
    assert rules.check_week(date(2026, 11, 30), TODAY) is None
    assert rules.check_week(date(2026, 12, 1), TODAY)[1] == "sellout.week_not_monday"


@pytest.mark.parametrize(
    ("week", "today", "reason"),
    [
        (date(2026, 11, 30), date(2026, 12, 5), None),  # this week (Saturday)
        (date(2026, 11, 23), date(2026, 12, 5), None),  # last week
        (date(2026, 12, 7), date(2026, 12, 5), "sellout.week_future"),  # next week, on a Saturday
        (date(2026, 12, 7), date(2026, 12, 6), None),  # next week, on a Sunday: a phone a day ahead
        (date(2026, 12, 14), date(2026, 12, 6), "sellout.week_future"),
        (date(2026, 12, 8), date(2026, 12, 6), "sellout.week_not_monday"),  # a Tuesday: not a Monday first
    ],
)
def test_week_of_an_estimate_has_begun(week, today, reason):
    fault = rules.check_week(week, today)
    assert (fault and fault[1]) == reason


def test_band_units_by_hand():
    assert [rules.band_units(b) for b in ("0", "1-5", "6-20", "21-50", "50+")] == [0, 3, 13, 35, 60]
    with pytest.raises(ValueError):
        rules.band_units("lots")


@given(st.sampled_from(list(Band)))
def test_a_band_counts_for_a_number_inside_it(band):
    units = rules.band_units(band.value)
    low, _, high = band.value.partition("-")
    low = int(low.rstrip("+"))
    assert units >= low
    if high:
        assert units <= int(high)
    assert units == BAND_UNITS[band]


@given(st.one_of(st.none(), st.integers(0, 100_000)), st.one_of(st.none(), st.sampled_from([b.value for b in Band])))
def test_exactly_one_of_units_or_band(units, band):
    fault = rules.check_estimate(units, band)
    if (units is None) != (band is None):
        assert fault is None
        assert rules.estimate_units(units, band) == (units if units is not None else BAND_UNITS[Band(band)])
    else:
        assert fault[1:] == ("sellout.units_and_band", "units")


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (date(2026, 11, 28), date(2026, 12, 4), None),  # the week before yesterday
        (date(2026, 12, 5), date(2026, 12, 5), None),  # today alone
        (date(2026, 12, 6), date(2026, 12, 6), None),  # tomorrow: a phone one day ahead
        (date(2026, 12, 7), date(2026, 12, 7), "sellout.period_future"),
        (date(2026, 12, 4), date(2026, 12, 3), "sellout.period_order"),
        (date(2026, 9, 4), date(2026, 12, 4), None),  # 92 days, both ends counted
        (date(2026, 9, 3), date(2026, 12, 4), "sellout.period_too_long"),  # 93 days
    ],
)
def test_check_period_by_hand(start, end, reason):
    fault = rules.check_period(start, end, TODAY)
    assert (fault and fault[1]) == reason


@given(days, days, days)
def test_check_period_properties(start, end, today):
    fault = rules.check_period(start, end, today)
    ok = start <= end and (end - start).days < rules.MAX_PERIOD_DAYS and end <= today + timedelta(days=1)
    assert (fault is None) == ok
    if end < start:
        assert fault[1:] == ("sellout.period_order", "period_end")


# --- the shared vectors ------------------------------------------------------------------------------


def _reason(fault):
    return None if fault is None else fault[1]


def test_vectors_week_start():
    for day, monday in VECTORS["week_start"]:
        assert rules.week_start(date.fromisoformat(day)).isoformat() == monday, day


def test_vectors_band_units():
    assert [b for b, _u in VECTORS["band_units"]] == [b.value for b in Band]  # every band, in order
    for band, units in VECTORS["band_units"]:
        assert rules.band_units(band) == units, band


def test_vectors_week_estimate_and_period():
    for case in VECTORS["week"]:
        week, today = date.fromisoformat(case["week_start"]), date.fromisoformat(case["today"])
        assert _reason(rules.check_week(week, today)) == case["reason"], case
    for case in VECTORS["estimate"]:
        assert _reason(rules.check_estimate(case["units"], case["band"])) == case["reason"], case
    for case in VECTORS["period"]:
        start, end, today = (date.fromisoformat(case[k]) for k in ("start", "end", "today"))
        assert _reason(rules.check_period(start, end, today)) == case["reason"], case
    reasons = {c["reason"] for name in ("week", "estimate", "period") for c in VECTORS[name]}
    # Every reason the pure rules give has a vector (the others need the database: unknown models, not found).
    database = {"sellout.unknown_product", "sellout.unknown_competitor_model", "sellout.not_found"}
    assert reasons == {None, *(r for r in REASONS if r.startswith("sellout.") and r not in database)}
