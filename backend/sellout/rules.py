"""The pure rules of sell-out capture: no Flask, no database, so they can be tested exhaustively
(tests/sellout/test_rules.py) and stated once for the server, the PWA and the protocol's vectors.

A check returns why it refuses, as (English sentence, reason code, field) like
`warranty.rules.imei_fault`, or None: the service raises it as an `InvalidInput` naming the
field, so REST and sync refuse alike (backend/core/reasons.py lists the codes).
"""

from __future__ import annotations

from datetime import date, timedelta

from .models import BAND_UNITS, Band

MAX_PERIOD_DAYS = 92
"""The longest declared sell-out period: a quarter. A store asked "since when?" answers in
weeks or months; a longer span is a typo in a date, and would smear one figure over a year of
weekly rollups."""

FUTURE_DAYS = 1
"""A period may end tomorrow at most: the phone's calendar day may be ahead of the business
zone's by one (a rep near midnight, a phone in another zone), never by more."""


def week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def is_week_start(day: date) -> bool:
    return day.weekday() == 0


def band_units(band: str) -> int:
    """The units a band counts for in the rollups (`BAND_UNITS`); a KeyError for a non-band."""
    return BAND_UNITS[Band(band)]


def estimate_units(units: int | None, band: str | None) -> int:
    """The units a competitor estimate counts for: its number, else its band's units."""
    return units if units is not None else band_units(band)


Fault = tuple[str, str, str]
"""(English sentence, reason code, field)"""


def check_period(start: date, end: date, today: date) -> Fault | None:
    """Why a declared sell-out period is refused, or None. Both ends are inclusive; `today` is
    the business zone's."""
    if end < start:
        return "period_end is before period_start.", "sellout.period_order", "period_end"
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        return f"A period is at most {MAX_PERIOD_DAYS} days.", "sellout.period_too_long", "period_start"
    if end > today + timedelta(days=FUTURE_DAYS):
        return "period_end is in the future.", "sellout.period_future", "period_end"
    return None


def check_estimate(units: int | None, band: str | None) -> Fault | None:
    """A competitor estimate is a number of units or a band: exactly one."""
    if (units is None) == (band is None):
        return "Give exactly one of units or band.", "sellout.units_and_band", "units"
    return None


def check_week(day: date, today: date) -> Fault | None:
    """A competitor estimate's week: a Monday, of a week that has begun. `today` is the business
    zone's; a phone's day may be one ahead (FUTURE_DAYS), so on a Sunday night the next week is
    taken too: an estimate of a week to come would fill rollup cells no sale can be in yet."""
    if not is_week_start(day):
        return "week_start must be a Monday (the first day of an ISO week).", "sellout.week_not_monday", "week_start"
    if day > week_start(today + timedelta(days=FUTURE_DAYS)):
        return "week_start is a week that has not begun.", "sellout.week_future", "week_start"
    return None
