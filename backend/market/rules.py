"""Pure rules of the market dashboards: periods, medians, and when a price drop is an alert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

DAY, WEEK = "day", "week"
PERIODS = (DAY, WEEK)
CENT = Decimal("0.01")


def period_start(day: date, period: str) -> date:
    """The first day of the period holding `day`: itself, or the Monday of its ISO week."""
    return day if period == DAY else day - timedelta(days=day.weekday())


def period_length(period: str) -> timedelta:
    return timedelta(days=1 if period == DAY else 7)


def previous_start(start: date, period: str) -> date:
    return start - period_length(period)


def median(values: Sequence[Decimal]) -> Decimal:
    """The middle value (the mean of the two middle ones for an even count), to the cent."""
    if not values:
        raise ValueError("median of nothing")
    ordered = sorted(values)
    mid = len(ordered) // 2
    value = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def drop_pct(previous_median: Decimal, current_median: Decimal) -> float:
    """How far the median fell, in percent of the earlier one (negative: it rose)."""
    if previous_median <= 0:
        return 0.0
    return float((previous_median - current_median) / previous_median * 100)


def is_alert(
    previous: tuple[Decimal, int] | None,
    current: tuple[Decimal, int] | None,
    period: str,
    min_drop_pct: float,
    min_obs_week: int,
    min_obs_day: int,
) -> bool:
    """A drop worth an alert: both periods have enough observations to be more than noise (a
    day needs more than a week: day over day is for densely observed models), and the median
    fell by at least `min_drop_pct`."""
    if previous is None or current is None:
        return False
    needed = min_obs_day if period == DAY else min_obs_week
    if previous[1] < needed or current[1] < needed:
        return False
    return drop_pct(previous[0], current[0]) >= min_drop_pct
