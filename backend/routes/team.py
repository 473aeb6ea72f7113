"""Team today: each rep of a region with their day so far, for the manager's landing page.

Per rep: visits done against the day's plan, the store they are at (a visit checked in and not
out) or the last one, off-site check-ins, idle gaps, when their phone last synced and the last
position the day gave. The day is a BUSINESS_TIMEZONE calendar day; a manager sees their own
region, HQ and admins the region they name.

Working hours, for idle gaps: a rep's working time starts at their first check-in of the day (the
time before it is not theirs to explain) and, for the time after their last check-out, ends at
`WORKDAY_END` local time or now, whichever is earlier. So a gap is either between two visits
(a check-out, or a check-in never checked out, and the next check-in) or, today only, since the
last check-out while the rep is not at a store. A gap longer than TEAM_IDLE_GAP_MINUTES is idle.

The whole region is answered with a constant number of queries (reps, plans, visits, last syncs),
whatever the number of reps: `_day_of` is pure and works on the rows already read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import select

from ..auth.models import Role, User
from ..core.auth import check_role
from ..core.errors import InvalidInput, NotFound
from ..core.timeutil import business_date, business_day_bounds, business_zone, to_naive_utc, utcnow
from ..extensions import db
from ..org.models import Region, Territory
from ..stores.models import Store
from ..visits.models import Visit
from .models import VisitPlan

READERS = (Role.MANAGER, Role.HQ, Role.ADMIN)

WORKDAY_END = time(19, 0)
"""Local time after which the time since a rep's last check-out is no longer an idle gap."""


# --- the last sync time, handed down by the sync package ------------------------------------------
#
# Sync clients (backend/sync/models.py) sit a layer above the domains, so this module cannot
# import them: `backend.sync.init_app` hands down the function that reads them instead
# (docs/ARCHITECTURE.md: "the one above hands it down").

LastSyncSource = Callable[[list[int]], dict[int, datetime]]
_last_sync_source: list[LastSyncSource] = []


def use_last_sync_source(source: LastSyncSource) -> None:
    """Register `source(user_ids) -> {user_id: last push or pull, naive UTC}` (one query)."""
    _last_sync_source[:] = [source]


def _last_syncs(user_ids: list[int]) -> dict[int, datetime]:
    if not user_ids or not _last_sync_source:
        return {}
    return _last_sync_source[0](user_ids)


# --- one rep's day (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitRow:
    """What the team view reads of a visit."""

    visit_id: object
    store_id: int
    store_name: str
    checked_in_at: datetime
    check_in: tuple[float, float]
    off_site: bool
    checked_out_at: datetime | None = None
    check_out: tuple[float, float] | None = None


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def idle_gaps(visits: list[VisitRow], idle_after: float, until: datetime | None) -> list[dict]:
    """The gaps longer than `idle_after` minutes in a day's visits (sorted by check-in): from a
    visit's check-out (its check-in when never checked out) to the next check-in, and — when
    `until` is given (today, within working hours) and the last visit is checked out — from that
    check-out to `until`, marked `ongoing`."""
    gaps: list[dict] = []
    for previous, current in zip(visits, visits[1:], strict=False):
        left = previous.checked_out_at or previous.checked_in_at
        minutes = _minutes(left, current.checked_in_at)
        if minutes > idle_after:
            gaps.append({"from": left, "to": current.checked_in_at, "minutes": round(minutes, 1), "ongoing": False})
    if visits and until is not None:
        last = visits[-1]
        if last.checked_out_at is not None and _minutes(last.checked_out_at, until) > idle_after:
            minutes = _minutes(last.checked_out_at, until)
            gaps.append({"from": last.checked_out_at, "to": until, "minutes": round(minutes, 1), "ongoing": True})
    return gaps


def _brief(v: VisitRow) -> dict:
    return {
        "visit_id": v.visit_id,
        "store_id": v.store_id,
        "store_name": v.store_name,
        "checked_in_at": v.checked_in_at,
        "checked_out_at": v.checked_out_at,
        "off_site": v.off_site,
    }


def last_position(visits: Iterable[VisitRow]) -> dict | None:
    """The latest check-in or check-out position of the visits, or None."""
    best: dict | None = None
    for v in visits:
        events = [("check_in", v.checked_in_at, v.check_in)]
        if v.checked_out_at is not None and v.check_out is not None:
            events.append(("check_out", v.checked_out_at, v.check_out))
        for kind, at, (lat, lon) in events:
            if best is None or at >= best["at"]:
                best = {
                    "latitude": lat,
                    "longitude": lon,
                    "at": at,
                    "kind": kind,
                    "store_id": v.store_id,
                    "store_name": v.store_name,
                }
    return best


def day_of(
    visits: list[VisitRow],
    plan_store_ids: list[int] | None,
    *,
    idle_after: float,
    until: datetime | None,
    last_sync_at: datetime | None,
    now: datetime,
    unsynced_after: float,
) -> dict:
    """One rep's day so far from their visits of the day, sorted by check-in here.

    `until`: the end of the trailing gap (now or the end of working hours, today), None for a
    day that is over. `unsynced`: the phone has not synced for longer than `unsynced_after`
    minutes, or never has."""
    visits = sorted(visits, key=lambda v: (v.checked_in_at, str(v.visit_id)))
    latest = visits[-1] if visits else None
    open_visit = latest if latest is not None and latest.checked_out_at is None else None
    earlier = visits[:-1] if open_visit is not None else visits
    planned = list(plan_store_ids or [])
    visited = {v.store_id for v in visits}
    return {
        "planned": {
            "count": len(planned),
            "store_ids": planned,
            "visited_store_ids": [sid for sid in planned if sid in visited],
        },
        "done": len(visits),
        "open_visit": _brief(open_visit) if open_visit is not None else None,
        "last_visit": _brief(earlier[-1]) if earlier else None,
        "off_site": sum(1 for v in visits if v.off_site),
        "first_check_in": visits[0].checked_in_at if visits else None,
        "idle_gaps": idle_gaps(visits, idle_after, until if open_visit is None else None),
        "last_sync_at": last_sync_at,
        "unsynced": last_sync_at is None or _minutes(last_sync_at, now) > unsynced_after,
        "last_position": last_position(visits),
    }


def trailing_until(day: date, today: date, now: datetime) -> datetime | None:
    """The end of today's trailing gap: now, but not past WORKDAY_END; None for another day."""
    if day != today:
        return None
    end = to_naive_utc(datetime.combine(day, WORKDAY_END, tzinfo=business_zone()))
    return min(now, end)


# --- the region's team -----------------------------------------------------------------------------


def _region(actor: User, region_id: int | None) -> Region:
    """The region `actor` looks at: a manager their own (another is not found), HQ and admins
    the one they name."""
    check_role(actor, *READERS)
    if actor.role == Role.MANAGER:
        if region_id not in (None, actor.region_id):
            raise _no_region(region_id)
        region_id = actor.region_id
    elif region_id is None:
        raise InvalidInput(
            "Name the region (region_id).", field="region_id", location="query", reason="team.region_required"
        )
    region = db.session.get(Region, region_id) if region_id is not None else None
    if region is None:
        raise _no_region(region_id)
    return region


def _no_region(region_id: int | None) -> NotFound:
    return NotFound(
        f"No region {region_id}.", field="region_id", reason="region.not_found", params={"region_id": region_id}
    )


def team_today(actor: User, day: date | None = None, region_id: int | None = None, now: datetime | None = None) -> dict:
    """The active reps of a region with their day so far (see the module's docstring). `now`
    (naive UTC) is the clock's time unless given (tests)."""
    region = _region(actor, region_id)
    now = now or utcnow()
    zone = business_zone()
    today = business_date(now, zone)
    day = day or today
    config = current_app.config
    idle_after = config["TEAM_IDLE_GAP_MINUTES"]
    unsynced_after = config["TEAM_UNSYNCED_WARN_MINUTES"]
    reps = db.session.execute(
        select(User.id, User.display_name, Territory.id, Territory.name)
        .join(Territory, Territory.id == User.territory_id)
        .where(User.role == Role.REP, User.active.is_(True), Territory.region_id == region.id)
        .order_by(User.display_name, User.id)
    ).all()
    rep_ids = [r[0] for r in reps]
    plans: dict[int, list[int]] = {}
    visits: dict[int, list[VisitRow]] = {rid: [] for rid in rep_ids}
    if rep_ids:
        plans = dict(
            db.session.execute(
                select(VisitPlan.rep_id, VisitPlan.store_ids).where(VisitPlan.rep_id.in_(rep_ids), VisitPlan.day == day)
            ).all()
        )
        start, end = business_day_bounds(day)
        for (
            rep_id,
            visit_id,
            store_id,
            store_name,
            cin,
            cin_lat,
            cin_lon,
            off_site,
            cout,
            out_lat,
            out_lon,
        ) in db.session.execute(
            select(
                Visit.rep_id,
                Visit.id,
                Visit.store_id,
                Store.name,
                Visit.checked_in_at,
                Visit.check_in_latitude,
                Visit.check_in_longitude,
                Visit.off_site,
                Visit.checked_out_at,
                Visit.check_out_latitude,
                Visit.check_out_longitude,
            )
            .join(Store, Store.id == Visit.store_id)
            .where(Visit.rep_id.in_(rep_ids), Visit.checked_in_at >= start, Visit.checked_in_at < end)
        ):
            out_pos = (out_lat, out_lon) if out_lat is not None and out_lon is not None else None
            visits[rep_id].append(
                VisitRow(visit_id, store_id, store_name, cin, (cin_lat, cin_lon), off_site, cout, out_pos)
            )
    syncs = _last_syncs(rep_ids)
    until = trailing_until(day, today, now)
    return {
        "day": day,
        "today": today,
        "generated_at": now,
        "region": {"id": region.id, "name": region.name},
        "idle_gap_minutes": idle_after,
        "unsynced_warn_minutes": unsynced_after,
        "reps": [
            {
                "rep_id": rep_id,
                "name": name,
                "territory_id": territory_id,
                "territory_name": territory_name,
            }
            | day_of(
                visits[rep_id],
                plans.get(rep_id),
                idle_after=idle_after,
                until=until,
                last_sync_at=syncs.get(rep_id),
                now=now,
                unsynced_after=unsynced_after,
            )
            for rep_id, name, territory_id, territory_name in reps
        ],
    }
