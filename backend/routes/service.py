"""Route review, coverage, visit plans and plan compliance, for managers (and reps for their own)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, func, select, true

from ..auth.models import Role, User
from ..core.auth import check_role
from ..core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..core.timeutil import business_date, business_day_bounds, business_today, business_zone, utcnow
from ..extensions import db
from ..stores.models import Store, StoreStatus
from ..stores.service import region_territories, store_scope
from ..visits.models import Visit
from . import geometry
from .models import VisitPlan

MAX_STOPS = 40
PLANNERS = (Role.REP, Role.MANAGER, Role.ADMIN)
REVIEWERS = (Role.REP, Role.MANAGER, Role.HQ, Role.ADMIN)


# --- whose reps ------------------------------------------------------------------------------------


def reps_scope(actor: User) -> ColumnElement[bool]:
    """The reps whose routes and plans `actor` may see: a rep themself, a manager their region's,
    HQ and admins all."""
    check_role(actor, *REVIEWERS)
    if actor.role == Role.REP:
        return User.id == actor.id
    if actor.role == Role.MANAGER:
        return User.territory_id.in_(region_territories(actor.region_id))
    return true()


def visible_rep(actor: User, rep_id: int) -> User:
    rep = db.session.scalar(select(User).where(User.id == rep_id, User.role == Role.REP, reps_scope(actor)))
    if rep is None:
        raise NotFound(f"No rep {rep_id}.", field="rep_id", reason="rep.not_found", params={"rep_id": rep_id})
    return rep


def reps_query(actor: User, territory_id: int | None = None):
    """The reps `actor` may review, by name (a select, for paging)."""
    stmt = select(User).where(User.role == Role.REP, reps_scope(actor)).order_by(User.display_name, User.id)
    if territory_id is not None:
        stmt = stmt.where(User.territory_id == territory_id)
    return stmt


def reps(actor: User, territory_id: int | None = None) -> list[User]:
    return list(db.session.scalars(reps_query(actor, territory_id)))


# --- route review ------------------------------------------------------------------------------------


def day_route(actor: User, rep_id: int, day: date) -> dict:
    """A rep's visits of a day in order, with time on site, travel, gaps and off-site check-ins."""
    rep = visible_rep(actor, rep_id)
    start, end = business_day_bounds(day)
    rows = db.session.execute(
        select(Visit, Store)
        .join(Store, Store.id == Visit.store_id)
        .where(Visit.rep_id == rep.id, Visit.checked_in_at >= start, Visit.checked_in_at < end)
        .order_by(Visit.checked_in_at, Visit.id)
    ).all()
    stops = [
        geometry.Stop(
            v.checked_in_at,
            (v.check_in_latitude, v.check_in_longitude),
            v.checked_out_at,
            (v.check_out_latitude, v.check_out_longitude) if v.check_out_latitude is not None else None,
        )
        for v, _s in rows
    ]
    summary = geometry.route(stops, current_app.config["ROUTE_IDLE_MINUTES"])
    visits = []
    for (v, s), leg in zip(rows, summary.legs, strict=True):
        visits.append(
            {
                "visit_id": v.id,
                "store_id": s.id,
                "store_name": s.name,
                "store_latitude": s.latitude,
                "store_longitude": s.longitude,
                "checked_in_at": v.checked_in_at,
                "checked_out_at": v.checked_out_at,
                "latitude": v.check_in_latitude,
                "longitude": v.check_in_longitude,
                "accuracy_m": v.check_in_accuracy_m,
                "distance_m": v.check_in_distance_m,
                "off_site": v.off_site,
                "minutes_on_site": _round(leg.minutes_on_site),
                "travel_m": _round(leg.travel_m),
                "gap_minutes": _round(leg.gap_minutes),
                "idle": leg.idle,
            }
        )
    plan = db.session.scalar(select(VisitPlan).where(VisitPlan.rep_id == rep.id, VisitPlan.day == day))
    visited = {v["store_id"] for v in visits}
    return {
        "rep_id": rep.id,
        "rep_name": rep.display_name,
        "day": day,
        "visits": visits,
        "totals": {
            "visits": len(visits),
            "travel_m": round(summary.travel_m, 1),
            "on_site_minutes": round(summary.on_site_minutes, 1),
            "idle_minutes": round(summary.idle_minutes, 1),
            "off_site": sum(1 for v in visits if v["off_site"]),
            "first_check_in": summary.first_check_in,
            "last_check_out": summary.last_check_out,
        },
        "plan": None
        if plan is None
        else {
            "id": plan.id,
            "store_ids": plan.store_ids,
            "visited_store_ids": [sid for sid in plan.store_ids if sid in visited],
        },
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- coverage --------------------------------------------------------------------------------------


def _coverage_stores(actor: User, filters: dict):
    check_role(actor, Role.MANAGER, Role.HQ, Role.ADMIN, Role.REP)
    stmt = select(Store).where(store_scope(actor), Store.status == StoreStatus.ACTIVE)
    if filters.get("territory_id") is not None:
        stmt = stmt.where(Store.territory_id == filters["territory_id"])
    if filters.get("region_id") is not None:
        stmt = stmt.where(Store.territory_id.in_(region_territories(filters["region_id"])))
    if filters.get("rep_id") is not None:
        rep = visible_rep(actor, filters["rep_id"])
        stmt = stmt.where(Store.territory_id == rep.territory_id)
    if filters.get("tier") is not None:
        stmt = stmt.where(Store.tier == filters["tier"])
    return stmt


def _last_visits(since):
    return (
        select(Visit.store_id, func.max(Visit.checked_in_at).label("last_visit_at"))
        .where(Visit.checked_in_at >= since)
        .group_by(Visit.store_id)
        .subquery()
    )


def unvisited_query(actor: User, filters: dict):
    """Active stores in scope that nobody visited in the last `days` days, longest-waiting first."""
    since = utcnow() - timedelta(days=filters["days"])
    stores = _coverage_stores(actor, filters).subquery()
    visited = select(Visit.id).where(Visit.store_id == stores.c.id, Visit.checked_in_at >= since)
    # Per store, on the (store_id, checked_in_at) index: only the unvisited stores pay for it.
    last = (
        select(func.max(Visit.checked_in_at))
        .where(Visit.store_id == stores.c.id)
        .correlate(stores)
        .scalar_subquery()
        .label("last_visit_at")
    )
    return select(stores, last).where(~visited.exists()).order_by(last.is_not(None), last, stores.c.name, stores.c.id)


def coverage_by_tier(actor: User, filters: dict) -> list[dict]:
    since = utcnow() - timedelta(days=filters["days"])
    recent = _last_visits(since)
    stores = _coverage_stores(actor, filters).subquery()
    rows = db.session.execute(
        select(
            stores.c.tier,
            func.count(stores.c.id),
            func.count(recent.c.store_id),
        )
        .outerjoin(recent, recent.c.store_id == stores.c.id)
        .group_by(stores.c.tier)
        .order_by(stores.c.tier)
    )
    return [
        {"tier": tier, "stores": total, "visited": visited, "not_visited": total - visited}
        for tier, total, visited in rows
    ]


def rep_activity(actor: User, filters: dict) -> list[dict]:
    """Per rep in scope over [since, until] (days): visits, days in the field, visits per day,
    average minutes on site, off-site check-ins."""
    since, until = filters["since"], filters["until"]
    if until < since:
        raise InvalidInput(
            "`until` is before `since`.", field="until", location="query", reason="range.until_before_since"
        )
    if (until - since).days > 92:
        raise InvalidInput(
            "Ask for at most 92 days at a time.",
            field="until",
            location="query",
            reason="range.too_long",
            params={"max_days": 92},
        )
    start, _ = business_day_bounds(since)
    _, end = business_day_bounds(until)
    people = reps(actor, filters.get("territory_id"))
    if not people:
        return []
    by_rep: dict[int, dict] = {
        r.id: {"rep_id": r.id, "rep_name": r.display_name, "territory_id": r.territory_id, "active": r.active}
        for r in people
    }
    rows = db.session.execute(
        select(Visit.rep_id, Visit.checked_in_at, Visit.checked_out_at, Visit.off_site).where(
            Visit.rep_id.in_(list(by_rep)), Visit.checked_in_at >= start, Visit.checked_in_at < end
        )
    )
    tally = {rid: {"visits": 0, "days": set(), "minutes": 0.0, "timed": 0, "off_site": 0} for rid in by_rep}
    zone = business_zone()
    for rep_id, cin, cout, off_site in rows:
        t = tally[rep_id]
        t["visits"] += 1
        t["days"].add(business_date(cin, zone))
        t["off_site"] += bool(off_site)
        if cout is not None and cout >= cin:
            t["minutes"] += (cout - cin).total_seconds() / 60
            t["timed"] += 1
    out = []
    for rid, row in by_rep.items():
        t = tally[rid]
        days = len(t["days"])
        out.append(
            row
            | {
                "visits": t["visits"],
                "days_in_field": days,
                "visits_per_day": round(t["visits"] / days, 2) if days else 0.0,
                "avg_minutes_on_site": round(t["minutes"] / t["timed"], 1) if t["timed"] else None,
                "off_site": t["off_site"],
            }
        )
    return out


# --- visit plans -----------------------------------------------------------------------------------


def propose_order(actor: User, store_ids: list[int], start: tuple[float, float] | None) -> dict:
    """The order of `store_ids` that shortens the day (no saving): see `geometry.best_order`."""
    check_role(actor, *PLANNERS)
    stores = _plan_stores(actor, store_ids, rep=None)
    points = [(s.latitude, s.longitude) for s in stores]
    order = geometry.best_order(start, points)
    picked = geometry.path_length(start, points, range(len(points)))
    planned = geometry.path_length(start, points, order)
    return {
        "store_ids": [stores[i].id for i in order],
        "picked_store_ids": [s.id for s in stores],
        "distance_picked_m": round(picked, 1),
        "distance_planned_m": round(planned, 1),
        "saved_m": round(picked - planned, 1),
    }


def _plan_stores(actor: User, store_ids: list[int], rep: User | None) -> list[Store]:
    if not store_ids:
        raise InvalidInput("Pick at least one store.", field="store_ids", reason="plan.no_stores")
    if len(store_ids) > MAX_STOPS:
        raise InvalidInput(
            f"A day's plan has at most {MAX_STOPS} stores.",
            field="store_ids",
            reason="plan.too_many_stores",
            params={"max": MAX_STOPS},
        )
    if len(set(store_ids)) != len(store_ids):
        raise InvalidInput("A store is in the plan twice.", field="store_ids", reason="plan.store_twice")
    stmt = select(Store).where(Store.id.in_(store_ids), store_scope(actor))
    if rep is not None:
        stmt = stmt.where(Store.territory_id == rep.territory_id)
    found = {s.id: s for s in db.session.scalars(stmt)}
    missing = [sid for sid in store_ids if sid not in found]
    if missing:
        whose = "the rep's territory" if rep is not None else "your scope"
        raise InvalidInput(
            f"Not in {whose}: store {', '.join(map(str, missing))}.",
            field="store_ids",
            reason="plan.stores_outside_territory" if rep is not None else "plan.stores_outside",
            params={"store_ids": missing},
        )
    return [found[sid] for sid in store_ids]


def save_plan(actor: User, data: dict, *, ask: bool = False) -> tuple[VisitPlan, bool]:
    """Create or replace the plan of (rep, day). With `optimise` (the default) the stops are put
    in the proposed order; the order picked and both distances are kept.

    With `ask` (REST: a planner at a desk) a save over a different plan of that (rep, day) is
    refused (409 `plan.exists`, with what would change) unless `replaces` is that plan's
    `updated_at` — the plan the planner edited or was shown. Saving the same content again is no
    conflict. The sync mutation does not ask: the phone plans a day starting from the plan it
    has (last received wins, SPEC)."""
    check_role(actor, *PLANNERS)
    rep_id = data.get("rep_id") or (actor.id if actor.role == Role.REP else None)
    if rep_id is None:
        raise InvalidInput("Say whose plan this is (rep_id).", field="rep_id", reason="plan.whose")
    if actor.role == Role.REP and rep_id != actor.id:
        raise Forbidden("A rep plans their own days only.", reason="plan.own_days_only")
    rep = visible_rep(actor, rep_id) if actor.role != Role.ADMIN else _any_rep(rep_id)
    if data["day"] < business_today() - timedelta(days=1):
        raise InvalidInput("A plan's day may be at most one day in the past.", field="day", reason="plan.day_past")
    has_start = data.get("start_latitude") is not None and data.get("start_longitude") is not None
    start = (data["start_latitude"], data["start_longitude"]) if has_start else None
    stores = _plan_stores(actor, data["store_ids"], rep)
    points = [(s.latitude, s.longitude) for s in stores]
    order = geometry.best_order(start, points) if data.get("optimise", True) else list(range(len(points)))
    values = {
        "store_ids": [stores[i].id for i in order],
        "picked_store_ids": [s.id for s in stores],
        "start_latitude": start[0] if start else None,
        "start_longitude": start[1] if start else None,
        "distance_picked_m": round(geometry.path_length(start, points, range(len(points))), 1),
        "distance_planned_m": round(geometry.path_length(start, points, order), 1),
        "note": data.get("note") or "",
        "updated_by": actor.id,
        "updated_at": utcnow(),
    }
    plan = db.session.scalar(select(VisitPlan).where(VisitPlan.rep_id == rep.id, VisitPlan.day == data["day"]))
    if plan is None:
        other = db.session.get(VisitPlan, data["id"])
        if other is not None:
            raise Conflict(f"Plan {data['id']} is another rep's or day's plan.", field="id", reason="plan.id_taken")
        plan = VisitPlan(id=data["id"], rep_id=rep.id, day=data["day"], created_by=actor.id, **values)
        db.session.add(plan)
        db.session.flush()
        return plan, True
    if ask:
        _check_replace(plan, values, data.get("replaces"))
    for key, value in values.items():
        setattr(plan, key, value)
    db.session.flush()
    return plan, False


_CONTENT = ("store_ids", "picked_store_ids", "start_latitude", "start_longitude", "note")


def plan_change(old_ids: list[int], new_ids: list[int]) -> dict:
    """What replacing the stops `old_ids` by `new_ids` changes: stores added and removed (in
    their plan's order), kept (in the new order), and whether the kept ones change order."""
    old_set, new_set = set(old_ids), set(new_ids)
    kept = [sid for sid in new_ids if sid in old_set]
    return {
        "added": [sid for sid in new_ids if sid not in old_set],
        "removed": [sid for sid in old_ids if sid not in new_set],
        "kept": kept,
        "order_changed": kept != [sid for sid in old_ids if sid in new_set],
    }


def _check_replace(plan: VisitPlan, values: dict, replaces) -> None:
    """Refuse to replace `plan` by `values` unless the planner saw it (`replaces` is its
    `updated_at`) or nothing would change."""
    if all(getattr(plan, key) == values[key] for key in _CONTENT):
        return
    if replaces is not None and replaces == plan.updated_at:
        return
    who = db.session.get(User, plan.updated_by)
    change = plan_change(plan.store_ids, values["store_ids"])
    raise Conflict(
        f"{plan.day} already has a plan for this rep ({len(plan.store_ids)} stores, saved by "
        f"{who.display_name if who else plan.updated_by} at {plan.updated_at.isoformat()} UTC); "
        "send its updated_at as `replaces` to replace it.",
        field="replaces",
        reason="plan.exists",
        params={
            "plan_id": str(plan.id),
            "updated_at": plan.updated_at.replace(tzinfo=UTC).isoformat(),
            "updated_by": plan.updated_by,
            "updated_by_name": who.display_name if who else "",
            "stores": len(plan.store_ids),
            **change,
            "note_changed": (plan.note or "") != values["note"],
        },
    )


def _any_rep(rep_id: int) -> User:
    rep = db.session.get(User, rep_id)
    if rep is None or rep.role != Role.REP:
        raise NotFound(f"No rep {rep_id}.", field="rep_id", reason="rep.not_found", params={"rep_id": rep_id})
    return rep


def plans_query(actor: User, filters: dict):
    stmt = select(VisitPlan).join(User, User.id == VisitPlan.rep_id).where(reps_scope(actor))
    if filters.get("rep_id") is not None:
        stmt = stmt.where(VisitPlan.rep_id == filters["rep_id"])
    if filters.get("since") is not None:
        stmt = stmt.where(VisitPlan.day >= filters["since"])
    if filters.get("until") is not None:
        stmt = stmt.where(VisitPlan.day <= filters["until"])
    return stmt.order_by(VisitPlan.day.desc(), VisitPlan.rep_id)


def visible_plan(actor: User, plan_id: uuid.UUID) -> VisitPlan:
    plan = db.session.scalar(plans_query(actor, {}).where(VisitPlan.id == plan_id))
    if plan is None:
        raise NotFound(f"No visit plan {plan_id}.", reason="plan.not_found")
    return plan


def delete_plan(actor: User, plan_id: uuid.UUID) -> None:
    check_role(actor, *PLANNERS)
    plan = visible_plan(actor, plan_id)
    if actor.role == Role.REP and plan.rep_id != actor.id:
        raise Forbidden("A rep plans their own days only.", reason="plan.own_days_only")
    db.session.delete(plan)
    db.session.flush()


def compliance(actor: User, filters: dict) -> list[dict]:
    """Per rep and ISO week in [since, until]: planned stops, those visited on their day, the
    share, and visits made outside the plan on planned days."""
    since, until = filters["since"], filters["until"]
    if until < since or (until - since).days > 92:
        raise InvalidInput(
            "Give `since` ≤ `until`, at most 92 days apart.",
            field="until",
            location="query",
            reason="range.too_long",
            params={"max_days": 92},
        )
    people = {r.id: r for r in reps(actor, filters.get("territory_id"))}
    if not people:
        return []
    plans = db.session.execute(
        select(VisitPlan.rep_id, VisitPlan.day, VisitPlan.store_ids).where(
            VisitPlan.rep_id.in_(list(people)), VisitPlan.day >= since, VisitPlan.day <= until
        )
    ).all()
    zone = business_zone()
    start, _ = business_day_bounds(since)
    _, end = business_day_bounds(until)
    visited: dict[tuple[int, date], set[int]] = {}
    for rep_id, store_id, cin in db.session.execute(
        select(Visit.rep_id, Visit.store_id, Visit.checked_in_at).where(
            Visit.rep_id.in_(list(people)), Visit.checked_in_at >= start, Visit.checked_in_at < end
        )
    ):
        visited.setdefault((rep_id, business_date(cin, zone)), set()).add(store_id)
    weeks: dict[tuple[int, str], dict] = {}
    for plan in plans:
        iso = plan.day.isocalendar()
        key = (plan.rep_id, f"{iso.year}-W{iso.week:02d}")
        row = weeks.setdefault(
            key,
            {
                "rep_id": plan.rep_id,
                "rep_name": people[plan.rep_id].display_name,
                "week": key[1],
                "planned": 0,
                "visited": 0,
                "unplanned_visits": 0,
            },
        )
        seen = visited.get((plan.rep_id, plan.day), set())
        planned = set(plan.store_ids)
        row["planned"] += len(planned)
        row["visited"] += len(planned & seen)
        row["unplanned_visits"] += len(seen - planned)
    out = []
    for row in sorted(weeks.values(), key=lambda r: (r["week"], r["rep_name"])):
        row["compliance"] = round(row["visited"] / row["planned"], 3) if row["planned"] else None
        out.append(row)
    return out


def territory_of_rep(rep_id: int) -> int | None:
    return db.session.scalar(select(User.territory_id).where(User.id == rep_id))
