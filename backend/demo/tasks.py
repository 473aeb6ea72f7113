"""Tasks for reps, relative to the day the demo is seeded: what manager.gd's desk and rep.gz's
phone show under 任务.

- manager.gd (广东大区) assigned tasks at the stores of the region's reps' beats, rep.gz's first:
  - open, due in the coming days: fix the display (with a photo), deliver posters (a promo
    material), check a competitor's shelf price, train the promoters on the P50 (its topic),
    collect old posters;
  - overdue: due one to three days ago and still open (assigned a week ago);
  - done at past demo visits of the store's rep (the rep's own visit there, a note, and the photo
    of that visit's display check when the demo's photos exist — the same photo, the rep's own);
  - one cancelled.
- HQ's campaign 双十一 P50 陈列 over ten active A-tier stores of every region, due in a week, a
  few of them already done at their latest visit.

Rows are inserted directly (as they would stand after the days they describe: an overdue task was
assigned while its day was ahead). Draws from a generator of its own (`aftersales.own_rng`), so
the rest of the demo is unchanged.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..auth.models import Role, User
from ..catalogue.models import CompetitorModel, PromoMaterial
from ..extensions import db
from ..photos.models import PhotoLink
from ..stores.models import StoreStatus
from ..tasks.models import Task, TaskKind, TaskStatus
from ..tasks.service import campaign_task_id
from ..training.models import TrainingTopic
from ..visits.models import DisplayCheck
from .aftersales import own_rng
from .context import Context, RepInfo, StoreInfo

REGION = "GD"
CAMPAIGN = "双十一 P50 陈列"
CAMPAIGN_STORES = 10
CAMPAIGN_DONE = 3  # of them done already, at a visit since the launch

# (kind, title, note, due in days from today; negative: overdue)
OPEN = [
    (TaskKind.DISPLAY, "整改 P50 展台", "按新版陈列图摆放，真机全部通电", 2),
    (TaskKind.MATERIAL, "送 P50 海报两张", "橱窗一张、收银台一张", 3),
    (TaskKind.PRICE, "核对竞品标价", "看看是否跟进降价", 1),
    (TaskKind.TRAINING, "给导购做 P50 培训", "至少两位导购参加，做完小测验", 4),
    (TaskKind.OTHER, "收回过期的 P30 促销物料", "", 5),
    (TaskKind.DISPLAY, "补齐价签", "每台真机都要有价签", 2),
]
OVERDUE = [
    (TaskKind.DISPLAY, "清理柜台杂物、擦亮展台", "", -1),
    (TaskKind.PRICE, "核对竞品标价", "店长说对面在降价", -2),
    (TaskKind.MATERIAL, "送台卡", "", -3),
]
DONE = [
    (TaskKind.DISPLAY, "整改 P30 展台", "已按陈列图整改，拍照为证"),
    (TaskKind.OTHER, "确认门店营业时间", "周末营业到 22:00"),
    (TaskKind.MATERIAL, "送 P50 海报", "已张贴在橱窗"),
]


def make_tasks(ctx: Context) -> None:
    rng = own_rng(ctx, "tasks")
    users = {u.username: u for u in db.session.scalars(select(User).where(User.role.in_((Role.MANAGER, Role.HQ))))}
    manager, hq = users.get("manager.gd"), users.get("hq")
    if manager is None or hq is None:
        return
    region_id = next(r.id for r, _spec in ctx.regions if r.code == REGION)
    reps = [r for r in ctx.reps if r.region_id == region_id and not r.left_on and r.beat]
    rep_names = {u.id: u.username for u in db.session.scalars(select(User).where(User.role == Role.REP))}
    reps.sort(key=lambda r: (rep_names.get(r.user_id) != "rep.gz", r.user_id))
    if not reps:
        return
    refs = {
        "material_id": db.session.scalars(select(PromoMaterial.id).order_by(PromoMaterial.id)).first(),
        "competitor_model_id": db.session.scalars(select(CompetitorModel.id).order_by(CompetitorModel.id)).first(),
        "topic_id": db.session.scalar(select(TrainingTopic.id).where(TrainingTopic.code == "P50-LAUNCH"))
        or db.session.scalars(select(TrainingTopic.id).order_by(TrainingTopic.id)).first(),
    }
    today = ctx.today
    rows: list[dict] = []
    photo_links: list[dict] = []

    def task(store: StoreInfo, kind, title, note, due: date, creator: User, created: datetime, **kw) -> dict:
        row = {
            "id": kw.pop("id", None) or ctx_uuid(rng),
            "store_id": store.id,
            "region_id": store.region_id,
            "assignee_id": kw.pop("assignee_id", None),
            "kind": kind,
            "title": title,
            "note": note,
            "due_on": due,
            "needs_photo": kind == TaskKind.DISPLAY,
            "topic_id": refs["topic_id"] if kind == TaskKind.TRAINING else None,
            "material_id": refs["material_id"] if kind == TaskKind.MATERIAL else None,
            "product_id": None,
            "competitor_model_id": refs["competitor_model_id"] if kind == TaskKind.PRICE else None,
            "campaign": kw.pop("campaign", None),
            "status": TaskStatus.OPEN,
            "created_by": creator.id,
            "created_at": created,
            "updated_at": created,
            "cancelled_at": None,
            "cancelled_by": None,
            "completion_id": None,
            "done_at": None,
            "done_by": None,
            "done_visit_id": None,
            "done_note": "",
        }
        if row["kind"] == TaskKind.TRAINING and row["topic_id"] is None:
            row["kind"] = TaskKind.OTHER
        if row["kind"] == TaskKind.MATERIAL and row["material_id"] is None:
            row["kind"] = TaskKind.OTHER
        if row["kind"] == TaskKind.PRICE and row["competitor_model_id"] is None:
            row["kind"] = TaskKind.OTHER
        rows.append(row)
        return row

    def done_at_visit(row: dict, rep: RepInfo, visit: dict, note: str) -> None:
        at = visit["checked_out_at"] or visit["checked_in_at"] + timedelta(minutes=20)
        row |= {
            "status": TaskStatus.DONE,
            "completion_id": ctx_uuid(rng),
            "done_at": at - timedelta(minutes=rng.randint(2, 10)),
            "done_by": rep.user_id,
            "done_visit_id": visit["id"],
            "done_note": note,
            "updated_at": at,
        }
        photo = _photo_of_visit(visit["id"])
        if photo is not None:
            photo_links.append({"photo_id": photo, "record_type": "task", "record_id": row["id"]})

    def assigned(days_ago: int) -> datetime:
        return ctx.local(today - timedelta(days=days_ago), rng.randint(9, 17), rng.randint(0, 59))

    # Open and overdue: round the region's reps (rep.gz first), a store of the rep's beat each.
    plan = [(o, 0) for o in OPEN] + [(o, 1) for o in OVERDUE]
    for n, ((kind, title, note, due_in), late) in enumerate(plan):
        rep = reps[n % len(reps)] if n % 3 else reps[0]
        store = rng.choice([s for s in rep.beat if s.status == StoreStatus.ACTIVE] or rep.beat)
        created = assigned(7 if late else rng.randint(0, 2))
        task(store, kind, title, note, today + timedelta(days=due_in), manager, created, assignee_id=rep.user_id)

    # Done at a past visit of the store's rep (the last four days), with that visit's photo.
    for n, (kind, title, note) in enumerate(DONE):
        rep = reps[n % len(reps)] if n else reps[0]
        visit = _recent_visit(ctx, rep, today, photo_first=kind == TaskKind.DISPLAY)
        if visit is None:
            continue
        store = visit["_store"]
        row = task(store, kind, title, "", visit["checked_in_at"].date() + timedelta(days=1), manager, assigned(6))
        done_at_visit(row, rep, visit, note)

    # One cancelled (the store closed its counter for renovation).
    rep = reps[-1]
    store = rng.choice(rep.beat)
    row = task(store, TaskKind.OTHER, "盘点旧机库存", "", today + timedelta(days=3), manager, assigned(3))
    row |= {"status": TaskStatus.CANCELLED, "cancelled_at": assigned(1), "cancelled_by": manager.id}

    # HQ's campaign: ten active A-tier stores, spread over the regions; a few done already.
    launched = assigned(5)
    tier_a = [s for s in ctx.stores if s.tier == "A" and s.status == StoreStatus.ACTIVE]
    rng.shuffle(tier_a)
    # A few stores visited since the launch come first: their task is done at that visit.
    visited = {
        v["store_id"]
        for vs in ctx.visits_by_rep.values()
        for v in vs
        if v["checked_out_at"] is not None and v["checked_in_at"] >= launched
    }
    picked: list[StoreInfo] = [s for s in tier_a if s.id in visited][:CAMPAIGN_DONE]
    by_region: dict[int, list[StoreInfo]] = {}
    for s in tier_a:
        if s not in picked:
            by_region.setdefault(s.region_id, []).append(s)
    while len(picked) < CAMPAIGN_STORES and any(by_region.values()):
        for stores in by_region.values():
            if stores and len(picked) < CAMPAIGN_STORES:
                picked.append(stores.pop())
    first = {s.id for s in picked[:CAMPAIGN_DONE]}
    for store in sorted(picked, key=lambda s: s.id):
        row = task(
            store,
            TaskKind.DISPLAY,
            "双十一 P50 陈列",
            "按总部陈列指引布置双十一主题陈列，完成后拍照",
            today + timedelta(days=7),
            hq,
            launched,
            id=campaign_task_id(CAMPAIGN, store.id),
            campaign=CAMPAIGN,
        )
        if store.id in first:
            for rep in ctx.reps:
                visit = _recent_visit(ctx, rep, today, store_id=store.id, since=launched)
                if visit is not None:
                    done_at_visit(row, rep, visit, "已布置")
                    break

    if rows:
        db.session.execute(Task.__table__.insert(), rows)
    if photo_links:
        db.session.execute(PhotoLink.__table__.insert(), photo_links)
    ctx.summary["tasks"] = len(rows)
    ctx.summary["tasks_overdue"] = sum(
        1 for r in rows if r["status"] == TaskStatus.OPEN and r["due_on"] < today and r["campaign"] is None
    )


def ctx_uuid(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _recent_visit(
    ctx: Context,
    rep: RepInfo,
    today: date,
    *,
    store_id: int | None = None,
    since: datetime | None = None,
    photo_first: bool = False,
) -> dict | None:
    """The rep's latest checked-out visit of the last four days (at `store_id`, after `since`),
    one whose display check has a photo first when asked."""
    earliest = ctx.local(today - timedelta(days=4), 0)
    visits = [
        v
        for v in ctx.visits_by_rep.get(rep.user_id, [])
        if v["checked_out_at"] is not None
        and v["checked_in_at"] >= (since or earliest)
        and (store_id is None or v["store_id"] == store_id)
    ]
    visits.sort(key=lambda v: v["checked_in_at"], reverse=True)
    if photo_first:
        for v in visits:
            if _photo_of_visit(v["id"]) is not None:
                return v
    return visits[0] if visits else None


def _photo_of_visit(visit_id: uuid.UUID) -> uuid.UUID | None:
    """A photo of the visit's display check (the demo's photos, when they exist)."""
    return db.session.scalar(
        select(PhotoLink.photo_id)
        .join(DisplayCheck, DisplayCheck.id == PhotoLink.record_id)
        .where(PhotoLink.record_type == "display_check", DisplayCheck.visit_id == visit_id)
        .order_by(PhotoLink.photo_id)
        .limit(1)
    )
