"""Promoters' training: HQ's three current topics and the sessions reps gave at their visits.

- Topics: the P50 (launched ten days ago) and the P30, each product knowledge with a three-question
  quiz in Chinese and English, and a store push promotion (trade-in and interest-free instalments)
  without a quiz. Each is current around the demo's today.
- Sessions: at some visits of the demo's reps (the ones still working) to active stores, the rep
  trained the store's promoter, often with its manager or owner: about two stores in five on the
  P50 at their first visit since its topic began, one in ten of their visits on the P30 and on the promotion
  (until the store had it).
  The flagship of rep.gz's territory (clerk.gz's store) always had its P50 training. Attendees
  answered the quiz mostly right (four answers in five), so scores differ by store and region.
- The rest of the stores selling the P50 (its cards or a shelf count) have no P50 training yet:
  the coverage screen's gaps.

Sessions go through `backend.training.service.record_session`, as the rep's phone does (the
visit, the store, the contacts and the quiz are checked and scored the same way). The module
draws from a generator of its own (`aftersales.own_rng`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from ..auth.models import Role, User
from ..catalogue.models import Product
from ..extensions import db
from ..stores.models import ContactRole, StoreContact, StoreStatus
from ..training import service
from ..training.models import TopicKind, TrainingTopic
from .aftersales import own_rng
from .context import CST, Context

P50_QUIZ = [
    {
        "question": "P50 主摄像头的像素是多少？",
        "question_en": "What is the resolution of the P50's main camera?",
        "choices": ["4800万", "5000万", "1亿", "2亿"],
        "choices_en": ["48 MP", "50 MP", "100 MP", "200 MP"],
        "answer": 1,
    },
    {
        "question": "P50 支持的最大有线快充功率是？",
        "question_en": "The P50's fastest wired charging is…",
        "choices": ["33W", "66W", "100W"],
        "choices_en": ["33 W", "66 W", "100 W"],
        "answer": 2,
    },
    {
        "question": "向顾客介绍 P50 时，第一卖点应讲哪一项？",
        "question_en": "Which selling point comes first when presenting the P50?",
        "choices": ["影像（夜景人像）", "价格最低", "内存最大"],
        "choices_en": ["Imaging (night portraits)", "Lowest price", "Largest memory"],
        "answer": 0,
    },
]
P30_QUIZ = [
    {
        "question": "P30 与 P30 Pro 的主要区别是？",
        "question_en": "The main difference between the P30 and the P30 Pro is…",
        "choices": ["长焦镜头", "屏幕尺寸", "电池容量完全相同"],
        "choices_en": ["The telephoto lens", "The screen size", "Exactly the same battery"],
        "answer": 0,
    },
    {
        "question": "P30 的三包换货期是购买后多少天内？",
        "question_en": "Within how many days of purchase may a P30 be exchanged under 三包?",
        "choices": ["7天", "15天", "30天"],
        "choices_en": ["7 days", "15 days", "30 days"],
        "answer": 1,
    },
    {
        "question": "顾客拿竞品同价位机型比较时，应强调 P30 的？",
        "question_en": "When a buyer compares a rival at the same price, stress the P30's…",
        "choices": ["续航与快充", "品牌历史", "包装颜色", "赠品数量"],
        "choices_en": ["Battery life and fast charging", "Brand history", "Box colour", "Number of gifts"],
        "answer": 0,
    },
]
TRAINING_NOTES = ("", "", "", "导购对新品卖点掌握较好。", "现场演示夜景拍照，效果不错。", "新导购，下次复训。")
# Of every ten answers, how many are right (the rest pick another choice).
RIGHT = 0.8


def make_training(ctx: Context) -> None:
    """The topics, then the sessions at the reps' visits."""
    rng = own_rng(ctx, "training")
    products = {p.model_code: p for p in db.session.scalars(select(Product))}
    p50, p30 = products["XL-P50"], products["XL-P30"]
    today = ctx.today
    topics = [
        TrainingTopic(
            code="P50-LAUNCH",
            title="星澜 P50 新品知识",
            title_en="Xinglan P50: product knowledge",
            kind=TopicKind.PRODUCT,
            product_id=p50.id,
            starts_on=p50.launch_date - timedelta(days=7),
            ends_on=p50.launch_date + timedelta(days=90),
            quiz=P50_QUIZ,
        ),
        TrainingTopic(
            code="P30-SELL",
            title="P30 卖点与竞品应对",
            title_en="P30: selling points and answering rivals",
            kind=TopicKind.PRODUCT,
            product_id=p30.id,
            starts_on=today - timedelta(days=45),
            ends_on=today + timedelta(days=45),
            quiz=P30_QUIZ,
        ),
        TrainingTopic(
            code="PROMO-PUSH",
            title="门店冲量促销政策（以旧换新 + 分期免息）",
            title_en="Store push promotion (trade-in + interest-free instalments)",
            kind=TopicKind.PROMOTION,
            starts_on=today - timedelta(days=20),
            ends_on=today + timedelta(days=10),
            quiz=[],
        ),
    ]
    db.session.add_all(topics)
    db.session.flush()
    p50_topic, p30_topic, promo = topics

    contacts: dict[int, list[StoreContact]] = defaultdict(list)
    for c in db.session.scalars(
        select(StoreContact).where(StoreContact.deleted_at.is_(None)).order_by(StoreContact.store_id, StoreContact.id)
    ):
        contacts[c.store_id].append(c)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.role == Role.REP, User.active))}
    flagship = next(store.id for clerk, store in ctx.clerk_stores if clerk.username == "clerk.gz")
    visits = [
        v
        for rep in ctx.reps
        if rep.user_id in users and rep.left_on is None
        for v in ctx.visits_by_rep.get(rep.user_id, [])
        if v["_store"].status == StoreStatus.ACTIVE and contacts.get(v["store_id"])
    ]
    visits.sort(key=lambda v: (v["checked_in_at"], str(v["id"])))
    # The flagship's P50 training: at its latest visit since the topic began.
    at_flagship = [v for v in visits if v["store_id"] == flagship and _day(v) >= p50_topic.starts_on]
    forced = at_flagship[-1]["id"] if at_flagship else None
    trained: set[tuple[int, int]] = set()  # (store, topic)
    offered: set[tuple[int, int]] = set()  # the P50's first visit since the topic began
    sessions = attendances = 0
    for visit in visits:
        store_id, day = visit["store_id"], _day(visit)
        plan = []
        for topic, chance in ((p50_topic, 0.4), (p30_topic, 0.1), (promo, 0.1)):
            if (store_id, topic.id) in trained or not (topic.starts_on <= day <= topic.ends_on):
                continue
            if topic is p50_topic:
                if visit["id"] == forced:
                    plan.append(topic)
                    continue
                if (store_id, topic.id) in offered or store_id == flagship:
                    continue
                offered.add((store_id, topic.id))
            if rng.random() < chance:
                plan.append(topic)
        at = visit["checked_in_at"] + timedelta(minutes=rng.randint(4, 9))
        for topic in plan:
            people = [c for c in contacts[store_id] if c.role == ContactRole.PROMOTER]
            people += [c for c in contacts[store_id] if c.role != ContactRole.PROMOTER and rng.random() < 0.5]
            if not people:
                people = contacts[store_id][:1]
            minutes = rng.choice((10, 15, 15, 20, 20, 25, 30))
            data = {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "store_id": store_id,
                "visit_id": visit["id"],
                "topic_id": topic.id,
                "held_at": at,
                "duration_minutes": minutes,
                "note": rng.choice(TRAINING_NOTES),
                "attendees": [{"contact_id": c.id, "answers": _answers(rng, topic.quiz)} for c in people],
            }
            session, _created = service.record_session(users[visit["rep_id"]], data)
            session.received_at = max(visit["received_at"], at) + timedelta(minutes=minutes)
            trained.add((store_id, topic.id))
            sessions += 1
            attendances += len(people)
            at += timedelta(minutes=minutes)
    db.session.flush()
    ctx.summary["training_topics"] = len(topics)
    ctx.summary["training_sessions"] = sessions
    ctx.summary["training_attendance"] = attendances


def _day(visit: dict):
    return (visit["checked_in_at"] + CST).date()


def _answers(rng, quiz: list[dict]) -> list[int] | None:
    if not quiz:
        return None
    out = []
    for q in quiz:
        if rng.random() < RIGHT:
            out.append(q["answer"])
        else:
            out.append(rng.choice([i for i in range(len(q["choices"])) if i != q["answer"]]))
    return out
