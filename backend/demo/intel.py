"""Competitive intelligence: the prices reps observe during visits, and their store intel reports.

Prices (`record_prices`, called during each visit by `visits`): two to four models per visit,
mostly competitors' and often one of ours, the popular ones more often. A shelf price follows the
model's list price, the region's price level, the model's drift down over the month and, in one
region late in the month, a sharp cut (all set up by `catalogue`), the store's own bias (independent
shops sell a little cheaper) and a little noise, rounded the Chinese way (ending in 9); now and
then with a promotion.

Intel reports (`make_intel`): zero to two per territory, pending review — new stores and
openings seen on the way to a visit, moves, renovations, closings and new competitor counters
learnt in the store, plus two "new" stores that are in fact known ones, with the duplicate
candidates the API would find, for managers to spot.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert

from ..extensions import db
from ..intel.models import IntelDuplicateCandidate, IntelKind, IntelReport, IntelStatus
from ..intel.service import duplicate_candidates
from ..stores.models import StoreStatus
from .aftersales import own_rng
from .catalogue import COMPETITORS
from .context import CST, Context, ModelInfo, RepInfo, StoreInfo
from .geography import offset_point
from .stores import INDEPENDENT_SHOPS

PROMO_TEXTS = ("以旧换新至高补贴300元", "12期免息", "赠原装蓝牙耳机", "学生专享优惠", "赠碎屏险一年", "会员积分双倍")
# What new shops seen on the way are called: independents' names and other brands' shops.
NEW_SHOP_NAMES = (*INDEPENDENT_SHOPS, "OPPO专卖店", "vivo专卖店", "华为授权体验店", "小米之家")

# How often reps report each kind of intel, relatively.
INTEL_KINDS = (
    (IntelKind.NEW_STORE, 3),
    (IntelKind.OPENING, 2),
    (IntelKind.MOVING, 1),
    (IntelKind.RENOVATION, 1),
    (IntelKind.CLOSING, 2),
    (IntelKind.NEW_COMPETITOR_COUNTER, 3),
)


def _retail_price(value: float) -> int:
    """Chinese shelf prices end in 9: 2999, 2949, 1299, 799."""
    step = 50 if value >= 1000 else 10
    return max(step - 1, int(round(value / step)) * step - 1)


def _price(ctx: Context, m: ModelInfo, store: StoreInfo, day: date) -> int:
    """Model `m`'s shelf price at `store` on `day`."""
    rng = ctx.rng
    frac = (day - ctx.start).days / max(1, ctx.days)
    value = m.list_price * ctx.region_factor[(m.key, store.region_id)] * (1 - m.drift * frac)
    cut = ctx.price_cuts.get((m.key, store.region_id))
    if cut and day >= cut[0]:
        value *= cut[1]
    return _retail_price(value * (1 + store.price_bias + rng.gauss(0, 0.006)))


def record_prices(ctx: Context, rep: RepInfo, store: StoreInfo, vid: uuid.UUID, at: datetime, sync) -> None:
    """The shelf prices (and promotions) a rep notes at a store during visit `vid`."""
    rng = ctx.rng
    day = (at + CST).date()
    available = [m for m in ctx.models if m.launched <= day]
    own = [m for m in available if m.product_id]
    theirs = [m for m in available if m.competitor_model_id]
    picks: list[ModelInfo] = []
    if own and rng.random() < 0.8:
        picks.append(rng.choices(own, weights=[m.weight for m in own])[0])
    wanted = min(rng.randint(2, 4), len(picks) + len(theirs))
    while len(picks) < wanted:
        m = rng.choices(theirs, weights=[m.weight for m in theirs])[0]
        if m not in picks:
            picks.append(m)
    for m in picks:
        shelf = _price(ctx, m, store, day)
        promo_price, promo_text = None, ""
        r = rng.random()
        if r < (0.12 if m.product_id else 0.18):
            off = rng.choice((50, 100, 100, 200, 300, 500))
            if off < shelf * 0.2:
                promo_price = Decimal(shelf - off)
                promo_text = f"限时直降{off}元"
        elif r < 0.28:
            promo_text = rng.choice(PROMO_TEXTS)
        observed = at + timedelta(seconds=rng.randint(0, 300))
        ctx.prices.append(
            {
                "id": ctx.uuid(),
                "rep_id": rep.user_id,
                "store_id": store.id,
                "visit_id": vid,
                "product_id": m.product_id,
                "competitor_model_id": m.competitor_model_id,
                "shelf_price": Decimal(shelf),
                "promo_price": promo_price,
                "promo_text": promo_text,
                "observed_at": observed,
                "received_at": sync(observed),
            }
        )


def make_intel(ctx: Context) -> None:
    """Reps' store intel reports of the month, pending review, and the duplicate candidates."""
    rng = ctx.rng
    reports: list[dict] = []
    by_territory: dict[int, list[tuple[RepInfo, dict]]] = {}
    for rep in ctx.reps:
        for v in ctx.visits_by_rep.get(rep.user_id, []):
            by_territory.setdefault(rep.territory_id, []).append((rep, v))
    rspec_of = {t.id: (spec, rspec) for t, spec, _, rspec in ctx.territories}
    for territory_id, visits in by_territory.items():
        tspec, rspec = rspec_of[territory_id]
        for _ in range(rng.choice((0, 1, 1, 2))):
            rep, visit = rng.choice(visits)
            store: StoreInfo = visit["_store"]
            kind = ctx.weighted(INTEL_KINDS)
            if kind in (IntelKind.NEW_STORE, IntelKind.OPENING) or store.status != StoreStatus.ACTIVE:
                # Seen on the way to the visit, within a few hundred metres of the store.
                at = visit["checked_in_at"] - timedelta(minutes=rng.uniform(3, 25))
                lat, lon = offset_point(store.lat, store.lon, rng.uniform(150, 800), rng.uniform(0, 2 * math.pi))
                shop = rng.choice(NEW_SHOP_NAMES)
                name = f"{shop} {store.area.name}新店"
                street = rng.choice(store.area.streets)
                address = f"{rspec.province}{tspec.city}{store.area.district}{street}{rng.randint(1, 420)}号"
                if kind == IntelKind.OPENING:
                    notes = "围挡已拆，预计下周开业，正在招导购员。"
                elif shop in INDEPENDENT_SHOPS:
                    kind, notes = IntelKind.NEW_STORE, "新开手机店，主营OPPO/vivo，老板愿意谈星澜专柜。"
                else:
                    kind, notes = (
                        IntelKind.NEW_STORE,
                        f"{shop}新店已营业，离{store.name}不到一公里，开业促销力度大。",
                    )
                store_id = None
            else:
                # Learnt in the store during the visit.
                at = visit["checked_in_at"] + timedelta(minutes=rng.uniform(2, 15))
                lat, lon = offset_point(store.lat, store.lon, rng.uniform(5, 60), rng.uniform(0, 2 * math.pi))
                name, address, store_id = store.name, "", store.id
                brand = rng.choice(list(COMPETITORS))
                notes = {
                    IntelKind.MOVING: f"店长说月底搬到{rng.choice(store.area.streets)}{rng.randint(1, 420)}号。",
                    IntelKind.RENOVATION: "门店装修，预计停业两周，柜台暂存仓库。",
                    IntelKind.CLOSING: "租约到期不再续租，本月底闭店，需回收物料和演示机。",
                    IntelKind.NEW_COMPETITOR_COUNTER: f"店内新开{brand}专柜，位置在入口，我们的柜台被挪到里侧。",
                }[kind]
                if kind == IntelKind.NEW_COMPETITOR_COUNTER:
                    name = f"{brand}专柜 @ {store.name}"
            reports.append(_report(ctx, rep, kind, name, address, lat, lon, store_id, territory_id, notes, at, visit))
    # Two reports of "new" stores that are in fact known ones, for managers to spot.
    known = [
        (rep, v)
        for rep in ctx.reps
        for v in ctx.visits_by_rep.get(rep.user_id, [])
        if v["_store"].fmt == "chain" and v["_store"].status == StoreStatus.ACTIVE
    ]
    duplicates = []
    for rep, visit in rng.sample(known, min(2, len(known))):
        store: StoreInfo = visit["_store"]
        lat, lon = offset_point(store.lat, store.lon, rng.uniform(15, 60), rng.uniform(0, 2 * math.pi))
        at = visit["checked_in_at"] - timedelta(minutes=rng.uniform(3, 20))
        report = _report(
            ctx,
            rep,
            IntelKind.NEW_STORE,
            store.name.replace(" ", ""),
            "",
            lat,
            lon,
            None,
            rep.territory_id,
            "路过看到一家门店，系统里没搜到，请核实。",
            at,
            visit,
        )
        reports.append(report)
        duplicates.append(report)
    # And one the name check alone misses: a shop of another name reported a few metres from a
    # known store of the first rep's region (manager.gd's), within DUPLICATE_STORE_RADIUS_M.
    # A generator of its own, so the rest of the demo draws what it drew before.
    near_rng = own_rng(ctx, "intel-near")
    region = ctx.reps[0].region_id if ctx.reps else None
    nearby = [(rep, v) for rep, v in known if rep.region_id == region]
    if nearby:
        rep, visit = near_rng.choice(nearby)
        store = visit["_store"]
        lat, lon = offset_point(store.lat, store.lon, near_rng.uniform(8, 20), near_rng.uniform(0, 2 * math.pi))
        at = visit["checked_in_at"] + timedelta(minutes=near_rng.uniform(20, 40))
        shop = near_rng.choice(INDEPENDENT_SHOPS)
        report = _report(
            ctx,
            rep,
            IntelKind.NEW_STORE,
            shop,
            "",
            lat,
            lon,
            None,
            rep.territory_id,
            "隔壁新开了一家手机店，招牌和系统里的都不一样，请核实。",
            at,
            visit,
        )
        reports.append(report)
        duplicates.append(report)
    db.session.execute(insert(IntelReport), reports)
    candidates = []
    for report in duplicates:
        for rank, (sid, d, sim) in enumerate(
            duplicate_candidates(report["name"], report["latitude"], report["longitude"])
        ):
            candidates.append(
                {"report_id": report["id"], "store_id": sid, "distance_m": d, "name_similarity": sim, "rank": rank}
            )
    if candidates:
        db.session.execute(insert(IntelDuplicateCandidate), candidates)
    ctx.summary["intel_reports"] = len(reports)


def _report(ctx: Context, rep, kind, name, address, lat, lon, store_id, territory_id, notes, at, visit) -> dict:
    at = at.replace(microsecond=0)
    return {
        "id": ctx.uuid(),
        "rep_id": rep.user_id,
        "kind": kind,
        "name": name,
        "address": address,
        "latitude": lat,
        "longitude": lon,
        "accuracy_m": round(ctx.rng.uniform(6, 35), 1),
        "store_id": store_id,
        "territory_id": territory_id,
        "notes": notes,
        "status": IntelStatus.PENDING,
        "reported_at": at,
        "received_at": min(ctx.now, max(at, visit["received_at"]) + timedelta(minutes=ctx.rng.uniform(0.2, 30))),
    }
