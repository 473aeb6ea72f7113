"""Today, as the demo is run: the field day so far in 广东大区 (manager.gd's team), and the reps' phones.

The month of history (`visits`) stops yesterday; a manager opening the desk in the morning of a
demo would see an empty day. This step adds the day so far — up to the moment `flask seed-demo`
runs, on the business day (BUSINESS_TIMEZONE) of that moment — for the reps of 广东大区:

- rep.gz follows manager.gd's plan for today (`routes`): the first stops done, checked in at the
  next one and not out yet (an open visit);
- another rep checked in once from the car park (off-site);
- another has an idle gap longer than TEAM_IDLE_GAP_MINUTES between two visits;
- another's phone last synced long ago (longer than TEAM_UNSYNCED_WARN_MINUTES): visits over
  that long ago, received then, nothing since;
- the others made one to three visits.

Visits are laid out backwards from the moment of the run (the open one a quarter of an hour ago),
so each has already happened; a visit that would fall before the day began is left out (a run
just after midnight has a short day). Finished visits at active stores carry a display check.

Every rep's phone is a `sync_clients` row with its last push and pull: after their last visit's
upload, long ago for the rep whose phone went quiet. A run given a fixed `today` other than the
current date (tests of the seed's determinism) adds no "today": it depends on the clock.

Draws from a generator of its own (see `aftersales.own_rng`) except the display checks, which
use the run's (`visits._display_check`); it is the last step that draws.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import insert, select

from ..auth.models import User
from ..core.geo import distance_m
from ..core.timeutil import business_date, business_day_bounds, business_zone
from ..extensions import db
from ..routes.models import VisitPlan
from ..stores.models import StoreStatus
from ..sync.models import SyncClient
from ..visits.models import DisplayCheck, Visit
from ..visits.service import offsite_threshold_m
from .aftersales import own_rng
from .context import Context, RepInfo, StoreInfo
from .geography import approx_m, offset_point
from .visits import _display_check

REGION = "GD"
YOUNG_DAY_HOURS = 9  # before this hour of the business day, the day so far cannot hold every role
APP_VERSION = "demo"


def make_today(ctx: Context) -> None:
    """The day so far of 广东大区's reps, and every rep's phone's last sync."""
    if ctx.today != business_date(ctx.now, business_zone()):
        return
    rng = own_rng(ctx, "today")
    now = ctx.now.replace(microsecond=0)
    day = ctx.today
    day_start, _ = business_day_bounds(day)
    cfg = current_app.config
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([r.user_id for r in ctx.reps])))}
    region_id = next(r.id for r, _spec in ctx.regions if r.code == REGION)
    team = [r for r in ctx.reps if r.region_id == region_id and not r.left_on and r.beat]
    team.sort(key=lambda r: (users[r.user_id].username != "rep.gz", r.user_id))
    visits: list[dict] = []
    checks_before = len(ctx.checks)
    quiet: set[int] = set()
    for i, rep in enumerate(team):
        role = ("open", "off_site", "idle", "quiet")[i] if i < 4 else "plain"
        stores = _stores_of_today(ctx, rng, rep, users[rep.user_id], day, 4 if role == "open" else rng.randint(2, 3))
        mine = _lay_out(
            rng, stores, now, day_start, role, cfg["TEAM_IDLE_GAP_MINUTES"], cfg["TEAM_UNSYNCED_WARN_MINUTES"]
        )
        for n, (store, cin, cout) in enumerate(mine):
            visits.append(_visit(ctx, rng, rep, store, cin, cout, off_site=role == "off_site" and n == 1, now=now))
        if role == "quiet":
            quiet.add(rep.user_id)
    if visits:
        db.session.execute(insert(Visit), visits)
    if len(ctx.checks) > checks_before:
        db.session.execute(insert(DisplayCheck), ctx.checks[checks_before:])
    _phones(ctx, rng, now, visits, quiet, cfg["TEAM_UNSYNCED_WARN_MINUTES"])
    ctx.summary["visits"] = ctx.summary.get("visits", 0) + len(visits)
    ctx.summary["display_checks"] = ctx.summary.get("display_checks", 0) + len(ctx.checks) - checks_before
    ctx.summary |= {"visits_today": len(visits), "sync_clients": len(ctx.reps)}
    hours = (now - day_start).total_seconds() / 3600
    if hours < YOUNG_DAY_HOURS:
        # Run at night, the day so far is short: say so, or Team today looks broken.
        local = now.replace(tzinfo=UTC).astimezone(business_zone())
        ctx.echo(
            f"  It is {local:%H:%M} in {cfg['BUSINESS_TIMEZONE']}: visits so far today: {len(visits)}. "
            f"Team today shows every case (open, off-site, idle, quiet) when seeded after {YOUNG_DAY_HOURS:02d}:00."
        )


def _stores_of_today(ctx: Context, rng: random.Random, rep: RepInfo, user: User, day, n: int) -> list[StoreInfo]:
    """rep.gz follows today's plan when there is one; the others go round nearby stores of their beat."""
    by_id = {s.id: s for s in rep.beat} | {s.id: s for s in ctx.stores_by_territory.get(rep.territory_id, [])}
    plan = db.session.scalar(select(VisitPlan).where(VisitPlan.rep_id == user.id, VisitPlan.day == day))
    if plan is not None:
        planned = [by_id[sid] for sid in plan.store_ids if sid in by_id]
        if len(planned) >= n:
            return planned[:n]
    active = [s for s in rep.beat if s.status == StoreStatus.ACTIVE] or list(rep.beat)
    current = rng.choice(active)
    route = [current]
    left = [s for s in active if s is not current]
    while left and len(route) < n:
        current = min(left, key=lambda s: approx_m(current.pos, s.pos))
        route.append(current)
        left.remove(current)
    return route


def _lay_out(
    rng: random.Random,
    stores: list[StoreInfo],
    now: datetime,
    day_start: datetime,
    role: str,
    idle: int,
    quiet_for: int,
):
    """(store, check-in, check-out or None) in order, laid out backwards from `now`: the last
    visit open for `open`, else finished a while ago; an idle gap before the last visit for `idle`;
    all over more than `quiet_for` minutes ago for `quiet`. Visits before `day_start` are left out."""
    if role == "open":
        cin = now - timedelta(minutes=rng.uniform(10, 20))
        out: list = [(stores[-1], cin, None)]
    else:
        ago = timedelta(minutes=quiet_for + rng.uniform(20, 60) if role == "quiet" else rng.uniform(20, 60))
        end = now - ago
        minutes = rng.uniform(20, 45)
        out = [(stores[-1], end - timedelta(minutes=minutes), end)]
    for k, store in enumerate(reversed(stores[:-1])):
        gap = idle + rng.uniform(25, 50) if role == "idle" and k == 0 else rng.uniform(8, 25)
        cout = out[0][1] - timedelta(minutes=gap)
        cin = cout - timedelta(minutes=rng.uniform(20, 45))
        out.insert(0, (store, cin, cout))
    return [
        (s, cin.replace(microsecond=0), cout.replace(microsecond=0) if cout else None)
        for s, cin, cout in out
        if cin >= day_start
    ]


def _visit(ctx, rng, rep: RepInfo, store: StoreInfo, cin: datetime, cout, *, off_site: bool, now: datetime) -> dict:
    metres = rng.uniform(400, 900) if off_site else rng.uniform(8, 60)
    lat, lon = offset_point(store.lat, store.lon, metres, rng.uniform(0, 2 * math.pi))
    accuracy = round(rng.uniform(8, 25), 1)
    distance = round(distance_m((lat, lon), store.pos), 1)

    def received(t: datetime) -> datetime:
        return min(now, t + timedelta(minutes=rng.uniform(0.2, 3))).replace(microsecond=0)

    row = {
        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
        "rep_id": rep.user_id,
        "store_id": store.id,
        "checked_in_at": cin,
        "check_in_latitude": lat,
        "check_in_longitude": lon,
        "check_in_accuracy_m": accuracy,
        "check_in_distance_m": distance,
        "off_site": distance > offsite_threshold_m(accuracy),
        "received_at": received(cin),
        "notes": "",
        "checked_out_at": None,
        "check_out_latitude": None,
        "check_out_longitude": None,
        "check_out_accuracy_m": None,
        "check_out_distance_m": None,
        "check_out_received_at": None,
    }
    if cout is not None:
        out_lat, out_lon = offset_point(store.lat, store.lon, rng.uniform(5, 50), rng.uniform(0, 2 * math.pi))
        row |= {
            "checked_out_at": cout,
            "check_out_latitude": out_lat,
            "check_out_longitude": out_lon,
            "check_out_accuracy_m": round(rng.uniform(8, 25), 1),
            "check_out_distance_m": round(distance_m((out_lat, out_lon), store.pos), 1),
            "check_out_received_at": received(cout),
        }
        if store.status == StoreStatus.ACTIVE:
            at = cin + timedelta(minutes=rng.uniform(2, max(3.0, (cout - cin).total_seconds() / 60 - 2)))
            _display_check(ctx, rep, store, row["id"], at.replace(microsecond=0), received)
    ctx.visits.append(row)
    ctx.visits_by_rep.setdefault(rep.user_id, []).append(row | {"_store": store})
    return row


def _phones(ctx: Context, rng: random.Random, now: datetime, today: list[dict], quiet: set[int], warn: int) -> None:
    """One phone per rep: last push at their last upload (today's or the history's), the last pull
    a little later; the quiet rep's phone has not been heard of for longer than `warn` minutes."""
    last: dict[int, datetime] = {}
    for v in ctx.visits:
        for at in (v["received_at"], v.get("check_out_received_at")):
            if at is not None and at > last.get(v["rep_id"], datetime.min):
                last[v["rep_id"]] = at
    rows = []
    for rep in ctx.reps:
        push = last.get(rep.user_id)
        if rep.user_id in quiet:
            push = min(push or now, now - timedelta(minutes=warn + rng.uniform(60, 120)))
        pull = None if push is None else min(now, push + timedelta(minutes=rng.uniform(0.5, 5)))
        rows.append(
            {
                "client_id": f"demo-{rep.user_id}-{rng.getrandbits(48):012x}",
                "user_id": rep.user_id,
                "last_mutation_id": 0,
                "app_version": APP_VERSION,
                "created_at": ctx.now - timedelta(days=ctx.days),
                "last_push_at": push.replace(microsecond=0) if push else None,
                "last_pull_at": pull.replace(microsecond=0) if pull else None,
            }
        )
    db.session.execute(insert(SyncClient), rows)
