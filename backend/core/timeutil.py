"""Times are stored as naive UTC in every database; these helpers keep that one convention."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_naive_utc(value: datetime) -> datetime:
    """Aware datetimes are converted to UTC; naive ones are taken to be UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def business_zone():
    """The zone whose calendar days the business counts in (purchase dates, a rep's day)."""
    return ZoneInfo(current_app.config["BUSINESS_TIMEZONE"])  # ZoneInfo caches by name


def business_today():
    return datetime.now(business_zone()).date()


def business_day_bounds(day) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in the business zone, as naive UTC."""
    start = datetime.combine(day, time(0), tzinfo=business_zone())
    return to_naive_utc(start), to_naive_utc(start + timedelta(days=1))


def business_date(value: datetime, zone=None):
    """The business-zone calendar day of a naive UTC time. Pass `zone` (from `business_zone()`)
    when converting many times: looking it up costs more than the conversion."""
    return value.replace(tzinfo=UTC).astimezone(zone or business_zone()).date()
