"""A month of field history: every rep's working days, their store rounds and what they record.

For each rep, each working day of the last `days` days (no Sundays; now and then a day of
training or off; none after a leaver's last day): a round of 3–8 stores of their beat (fewer on
Saturdays), starting at the most overdue one and going on to nearby overdue ones, with travel
time through city traffic and a lunch break, from about 9:00 until 18:30 China time. Each visit
checks in near the store (5% off-site: from the car park, the previous store, home…), usually
checks out, and at active stores records a display check (here), prices (`intel.record_prices`)
and promo stock (`stock.record_stock`) in the visit's minutes. The server receives each record
according to the day's coverage (`_sync_plan`): mostly within minutes, some hours later, or all
in the evening.

Which stores are overdue: a tier A store should go at most 5 days without a visit, B 9, C 16,
a prospect 20. The stores in nobody's beat (see `auth._beats`) are the coverage gaps managers'
coverage view should find.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import insert

from ..catalogue.models import AnswerType, OnFail
from ..core.geo import distance_m
from ..extensions import db
from ..intel.models import PriceObservation
from ..stock.models import StockMovement
from ..stores.models import StoreStatus, StoreTier
from ..visits.models import DisplayCheck, Visit
from ..visits.service import answer_passes, offsite_threshold_m, weighted_score
from .context import Context, RepInfo, StoreInfo
from .geography import approx_m, offset_point
from .intel import record_prices
from .stock import record_stock

VISIT_NOTES = (
    "店长反馈P30近两周走量不错，P50咨询多但缺货。",
    "导购员新人，已现场培训P50卖点。",
    "竞品在门口做促销活动，客流被分流。",
    "演示机一台黑屏，已登记返修。",
    "已更换P50新品海报，旧海报回收。",
    "店内周末有商场活动，建议加派促销员。",
    "柜台位置被调整到角落，需与店长沟通恢复。",
    "赠品耳机库存不足，申请补货。",
    "价签与系统价格不一致，已现场更正。",
    "老板有意扩大星澜专柜面积。",
)
# Why an item failed, for items whose `on_fail` asks for a reason (demo/catalogue.py ON_FAIL).
FAIL_REASONS = ("店方装修中", "已报修，等待更换", "演示机送修", "店员未及时更新，已提醒")
CHECK_NOTES = ("灯箱一侧不亮，已报修。", "海报褪色，下次带新海报。", "演示机防盗线损坏。", "竞品物料摆到了我们柜台上。")

# Days a store of each tier should go without a visit, at most (prospects: rarely).
VISIT_INTERVAL = {StoreTier.A: 5, StoreTier.B: 9, StoreTier.C: 16}
PROSPECT_INTERVAL = 20


def make_history(ctx: Context) -> None:
    """Every rep's month, then the visits, display checks, prices and stock movements in bulk."""
    for rep in ctx.reps:
        _rep_month(ctx, rep)
    db.session.execute(insert(Visit), ctx.visits)
    db.session.execute(insert(DisplayCheck), ctx.checks)
    db.session.execute(insert(PriceObservation), ctx.prices)
    db.session.execute(insert(StockMovement), ctx.movements)
    ctx.summary |= {
        "visits": len(ctx.visits),
        "display_checks": len(ctx.checks),
        "price_observations": len(ctx.prices),
        "stock_movements": len(ctx.movements),
    }


def _rep_month(ctx: Context, rep: RepInfo) -> None:
    """One rep's working days of the month, store round by store round."""
    rng = ctx.rng
    # When each store of the beat was last visited, before the month began.
    last: dict[int, date] = {}
    for s in rep.beat:
        interval = PROSPECT_INTERVAL if s.status == StoreStatus.PROSPECT else VISIT_INTERVAL[s.tier]
        last[s.id] = ctx.start - timedelta(days=rng.randint(0, interval))
    speed_m_per_min = rng.uniform(250, 380)  # 15–23 km/h through city traffic
    for offset in range(ctx.days, 0, -1):
        day = ctx.today - timedelta(days=offset)
        if day.weekday() == 6 or (rep.left_on and day > rep.left_on):
            continue
        if rng.random() < 0.04:  # training, a sales meeting, a day off
            continue
        n = rng.randint(3, 5) if day.weekday() == 5 else rng.randint(4, 8)
        route = _route(ctx, rep, day, last, n)
        sync = _sync_plan(ctx, day)
        t = ctx.local(day, 9, rng.randint(0, 40))
        lunch = False
        prev: StoreInfo | None = None
        for store in route:
            if prev is not None:
                t += timedelta(minutes=approx_m(prev.pos, store.pos) / speed_m_per_min + rng.uniform(4, 12))
            if not lunch and t >= ctx.local(day, 12, 0):
                t += timedelta(minutes=rng.uniform(40, 75))
                lunch = True
            if t >= ctx.local(day, 18, 30):
                break
            minutes_on_site = rng.uniform(15, 60)
            _visit(ctx, rep, store, t, minutes_on_site, sync)
            last[store.id] = day
            t += timedelta(minutes=minutes_on_site)
            prev = store


def _route(ctx: Context, rep: RepInfo, day: date, last: dict[int, date], n: int) -> list[StoreInfo]:
    """Today's stores: start at the most overdue one, then go on to nearby overdue ones."""

    def urgency(s: StoreInfo) -> float:
        interval = PROSPECT_INTERVAL if s.status == StoreStatus.PROSPECT else VISIT_INTERVAL[s.tier]
        return min(3.0, (day - last[s.id]).days / interval)

    left = list(rep.beat)
    if not left:
        return []
    current = max(left, key=lambda s: urgency(s) + ctx.rng.random() * 0.6)
    route = [current]
    left.remove(current)
    while left and len(route) < n:
        current = min(left, key=lambda s: (approx_m(current.pos, s.pos) + 300) / (0.15 + urgency(s)))
        route.append(current)
        left.remove(current)
    return route


def _sync_plan(ctx: Context, day: date) -> Callable[[datetime], datetime]:
    """When the server got a record made at device time t: mostly within minutes; on a day
    of poor coverage some hours later; on an offline day in the evening, all at once."""
    rng = ctx.rng
    mode = rng.random()
    evening = ctx.local(day, 19, 0) + timedelta(minutes=rng.uniform(0, 180))
    latest = ctx.now - timedelta(minutes=1)

    def received(t: datetime) -> datetime:
        if mode < 0.85:
            at = t + timedelta(minutes=rng.uniform(0.2, 8))
        elif mode < 0.95:
            at = t + timedelta(minutes=rng.uniform(10, 240))
        else:
            at = max(evening, t + timedelta(minutes=5))
        return max(t, min(at, latest))

    return received


def _visit(ctx: Context, rep: RepInfo, store: StoreInfo, t: datetime, minutes: float, sync) -> None:
    """A visit (check-in, usually check-out) and, at an active store, what the rep records there."""
    rng = ctx.rng
    vid = ctx.uuid()
    accuracy = round(min(50.0, max(5.0, rng.lognormvariate(math.log(14), 0.5))), 1)
    off_site = rng.random() < 0.05
    if off_site:  # checked in from the car park, the previous store, home…
        metres = rng.uniform(300, 2000)
    else:
        metres = rng.uniform(30, 120) if rng.random() < 0.85 else rng.uniform(3, 30)
    lat, lon = offset_point(store.lat, store.lon, metres, rng.uniform(0, 2 * math.pi))
    distance = round(distance_m((lat, lon), store.pos), 1)
    checked_in = t.replace(microsecond=0)
    row = {
        "id": vid,
        "rep_id": rep.user_id,
        "store_id": store.id,
        "checked_in_at": checked_in,
        "check_in_latitude": lat,
        "check_in_longitude": lon,
        "check_in_accuracy_m": accuracy,
        "check_in_distance_m": distance,
        "off_site": distance > offsite_threshold_m(accuracy),
        "received_at": sync(checked_in),
        "notes": rng.choice(VISIT_NOTES) if rng.random() < 0.15 else "",
        "checked_out_at": None,
        "check_out_latitude": None,
        "check_out_longitude": None,
        "check_out_accuracy_m": None,
        "check_out_distance_m": None,
        "check_out_received_at": None,
    }
    if rng.random() > 0.01:  # now and then a rep forgets to check out
        out_at = (t + timedelta(minutes=minutes)).replace(microsecond=0)
        out_m = rng.uniform(300, 1500) if off_site and rng.random() < 0.5 else rng.uniform(3, 90)
        out_lat, out_lon = offset_point(store.lat, store.lon, out_m, rng.uniform(0, 2 * math.pi))
        row |= {
            "checked_out_at": out_at,
            "check_out_latitude": out_lat,
            "check_out_longitude": out_lon,
            "check_out_accuracy_m": round(min(50.0, max(5.0, rng.lognormvariate(math.log(14), 0.5))), 1),
            "check_out_distance_m": round(distance_m((out_lat, out_lon), store.pos), 1),
            "check_out_received_at": sync(out_at),
        }
    ctx.visits.append(row)
    ctx.visits_by_rep.setdefault(rep.user_id, []).append(row | {"_store": store})

    def during() -> datetime:
        return (t + timedelta(minutes=rng.uniform(2, max(3.0, minutes - 2)))).replace(microsecond=0)

    if store.status == StoreStatus.ACTIVE and rng.random() < (0.95 if store.fmt == "ours" else 0.8):
        _display_check(ctx, rep, store, vid, during(), sync)
    if store.status == StoreStatus.ACTIVE and rng.random() < 0.75:
        record_prices(ctx, rep, store, vid, during(), sync)
    if store.status == StoreStatus.ACTIVE and rng.random() < 0.5:
        record_stock(ctx, rep, store, vid, during(), sync)


def _display_check(ctx: Context, rep: RepInfo, store: StoreInfo, vid: uuid.UUID, at: datetime, sync) -> None:
    """Answers that pass as often as the store is well kept (each item with its own bias)."""
    rng = ctx.rng
    q = min(0.99, max(0.2, store.quality + rng.gauss(0, 0.05)))
    answers = []
    for item in ctx.active_items:
        if item.answer_type == AnswerType.YES_NO:
            value: bool | int = rng.random() < q + ctx.check_bias[item.id]
        else:
            target = item.target or 0
            value = max(0, round(rng.gauss(target * (0.45 + 0.65 * q), 0.8)))
        answer: dict = {"item_id": item.id, "value": value}
        if item.on_fail != OnFail.NONE and not answer_passes(item.answer_type, item.target, value):
            answer["reason"] = rng.choice(FAIL_REASONS)  # the demo's checks carry no photos
        answers.append(answer)
    ctx.checks.append(
        {
            "id": ctx.uuid(),
            "rep_id": rep.user_id,
            "visit_id": vid,
            "store_id": store.id,
            "checked_at": at,
            "answers": answers,
            "score": score(ctx, answers),
            "notes": rng.choice(CHECK_NOTES) if rng.random() < 0.08 else "",
            "received_at": sync(at),
        }
    )


def score(ctx: Context, answers: list[dict]) -> float:
    """The rule of `backend.visits.service.score_answers`, on items already in memory."""
    items = {i.id: i for i in ctx.active_items}
    return weighted_score(
        (
            items[a["item_id"]].weight,
            answer_passes(items[a["item_id"]].answer_type, items[a["item_id"]].target, a["value"]),
        )
        for a in answers
    )
