"""Training coverage and gaps, for HQ and admins (every region) and a region's manager (their
own; another region is "not found", as on the channel's screens). Reps and clerks: 403.

Both are grouped SQL queries (SQLite and PostgreSQL alike) over the stores in scope: active
stores that sell (a counter or a shop, not a service point).

Coverage, per topic current today and per region:
- stores_total: the stores in scope; stores_trained: those with at least one session on the
  topic (any day);
- promoters_total: the live contacts with role promoter at those stores; promoters_trained: those
  of them who attended a session on the topic;
- avg_score_pct: the mean, over every quizzed attendance on the topic at those stores, of
  score / quiz_size × 100, to one decimal (2/3 and 3/3 → 83.3); null when nobody was quizzed.

Gaps: a store where a model launched within TRAINING_NEW_MODEL_DAYS (launch_date from today − N
to today) is on the shelf — its latest shop stock count there is above 0, or a warranty card
(not voided) of it was registered there — and no session on a current topic of that model was
ever held there. One row per store and model; `topic_id` is the model's current topic (the
lowest id if several), null when HQ has none for it yet; `seen_on` the last day it was seen on
the shelf there (its latest count's business day if above 0, its latest card's purchase date).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from ..auth.models import User
from ..catalogue.models import Product
from ..channel.service import scope_regions
from ..core.timeutil import business_date, business_today, business_zone
from ..extensions import db
from ..org.models import Region, Territory
from ..sellout.models import ShopStockCount
from ..stores.models import ContactRole, Store, StoreContact, StoreKind, StoreStatus
from ..warranty.models import WarrantyCard
from .models import TrainingAttendance, TrainingSession, TrainingTopic

SELLING_KINDS = (StoreKind.COUNTER.value, StoreKind.SHOP.value)


def current_clause(day: date):
    """Topics current on `day`: active, and `day` within starts_on..ends_on (open ends)."""
    t = TrainingTopic
    return (
        t.active.is_(True)
        & ((t.starts_on.is_(None)) | (t.starts_on <= day))
        & ((t.ends_on.is_(None)) | (t.ends_on >= day))
    )


def _stores_in_scope(regions: list[int] | None):
    """select(store id, region id) of the active selling stores in these regions (None: all)."""
    stmt = (
        select(Store.id.label("store_id"), Territory.region_id.label("region_id"))
        .join(Territory, Territory.id == Store.territory_id)
        .where(Store.status == StoreStatus.ACTIVE.value, Store.kind.in_(SELLING_KINDS))
    )
    if regions is not None:
        stmt = stmt.where(Territory.region_id.in_(regions))
    return stmt.subquery("scope")


def _pct(total, count) -> float | None:
    return None if not count else round(float(total) / count, 1)


def coverage(actor: User, filters: dict) -> list[dict]:
    regions = scope_regions(actor, filters.get("region_id"))
    today = business_today()
    topic_stmt = select(TrainingTopic).where(current_clause(today)).order_by(TrainingTopic.code, TrainingTopic.id)
    if filters.get("topic_id") is not None:
        topic_stmt = topic_stmt.where(TrainingTopic.id == filters["topic_id"])
    current = list(db.session.scalars(topic_stmt))
    if not current:
        return []
    topic_ids = [t.id for t in current]
    scope = _stores_in_scope(regions)

    stores_by_region = dict(
        db.session.execute(select(scope.c.region_id, func.count()).group_by(scope.c.region_id)).all()
    )
    live_promoter = (StoreContact.role == ContactRole.PROMOTER.value) & StoreContact.deleted_at.is_(None)
    promoters_by_region = dict(
        db.session.execute(
            select(scope.c.region_id, func.count(StoreContact.id))
            .join(StoreContact, StoreContact.store_id == scope.c.store_id)
            .where(live_promoter)
            .group_by(scope.c.region_id)
        ).all()
    )
    s, a = TrainingSession, TrainingAttendance
    trained_stores = {
        (topic, region): n
        for topic, region, n in db.session.execute(
            select(s.topic_id, scope.c.region_id, func.count(func.distinct(s.store_id)))
            .join(scope, scope.c.store_id == s.store_id)
            .where(s.topic_id.in_(topic_ids))
            .group_by(s.topic_id, scope.c.region_id)
        )
    }
    trained_promoters = {
        (topic, region): n
        for topic, region, n in db.session.execute(
            select(s.topic_id, scope.c.region_id, func.count(func.distinct(a.contact_id)))
            .join(a, a.session_id == s.id)
            .join(scope, scope.c.store_id == s.store_id)
            .join(StoreContact, StoreContact.id == a.contact_id)
            .where(s.topic_id.in_(topic_ids), live_promoter)
            .group_by(s.topic_id, scope.c.region_id)
        )
    }
    pct = a.score * 100.0 / a.quiz_size
    quizzed = a.score.is_not(None) & (a.quiz_size > 0)
    scores = {
        (topic, region): (total or 0, n)
        for topic, region, total, n in db.session.execute(
            select(
                s.topic_id,
                scope.c.region_id,
                func.sum(case((quizzed, pct))),
                func.count(case((quizzed, a.id))),
            )
            .join(a, a.session_id == s.id)
            .join(scope, scope.c.store_id == s.store_id)
            .where(s.topic_id.in_(topic_ids))
            .group_by(s.topic_id, scope.c.region_id)
        )
    }
    region_ids = sorted(stores_by_region)
    names = (
        dict(db.session.execute(select(Region.id, Region.name).where(Region.id.in_(region_ids))).all())
        if region_ids
        else {}
    )
    out = []
    for t in current:
        rows = []
        for r in region_ids:
            total, n = scores.get((t.id, r), (0, 0))
            rows.append(
                {
                    "region_id": r,
                    "region_name": names.get(r),
                    "stores_total": stores_by_region.get(r, 0),
                    "stores_trained": trained_stores.get((t.id, r), 0),
                    "promoters_total": promoters_by_region.get(r, 0),
                    "promoters_trained": trained_promoters.get((t.id, r), 0),
                    "avg_score_pct": _pct(total, n),
                    "_score": (total, n),
                }
            )
        score_total = sum(x["_score"][0] for x in rows)
        score_n = sum(x["_score"][1] for x in rows)
        for x in rows:
            del x["_score"]
        out.append(
            {
                "topic_id": t.id,
                "code": t.code,
                "title": t.title,
                "title_en": t.title_en,
                "kind": t.kind,
                "product_id": t.product_id,
                "quiz_size": len(t.quiz or []),
                "stores_total": sum(x["stores_total"] for x in rows),
                "stores_trained": sum(x["stores_trained"] for x in rows),
                "promoters_total": sum(x["promoters_total"] for x in rows),
                "promoters_trained": sum(x["promoters_trained"] for x in rows),
                "avg_score_pct": _pct(score_total, score_n),
                "regions": rows,
            }
        )
    return out


def gaps(actor: User, filters: dict) -> list[dict]:
    regions = scope_regions(actor, filters.get("region_id"))
    today = business_today()
    first = today - timedelta(days=current_app.config["TRAINING_NEW_MODEL_DAYS"])
    new_models = {
        p.id: p
        for p in db.session.scalars(
            select(Product).where(Product.launch_date.is_not(None), Product.launch_date.between(first, today))
        )
    }
    if not new_models:
        return []
    product_ids = sorted(new_models)
    scope = _stores_in_scope(regions)

    # On the shelf: the latest count of the model at the store above 0…
    c = ShopStockCount
    rank = (
        func.row_number()
        .over(
            partition_by=(c.store_id, c.product_id), order_by=(c.counted_at.desc(), c.received_at.desc(), c.id.desc())
        )
        .label("rank")
    )
    ranked = (
        select(c.store_id, c.product_id, c.on_hand, c.counted_at, rank)
        .join(scope, scope.c.store_id == c.store_id)
        .where(c.product_id.in_(product_ids))
        .subquery()
    )
    seen: dict[tuple[int, int], object] = {}
    zone = None
    for store_id, product_id, counted_at in db.session.execute(
        select(ranked.c.store_id, ranked.c.product_id, ranked.c.counted_at).where(
            ranked.c.rank == 1, ranked.c.on_hand > 0
        )
    ):
        zone = zone or business_zone()
        seen[(store_id, product_id)] = business_date(counted_at, zone)
    # … or a card of it registered there.
    w = WarrantyCard
    for store_id, product_id, last in db.session.execute(
        select(w.store_id, w.product_id, func.max(w.purchase_date))
        .join(scope, scope.c.store_id == w.store_id)
        .where(w.product_id.in_(product_ids), w.voided_at.is_(None))
        .group_by(w.store_id, w.product_id)
    ):
        key = (store_id, product_id)
        seen[key] = max(seen[key], last) if key in seen else last
    if not seen:
        return []

    # Trained: a session at the store on a topic of the model current today.
    topics_of: dict[int, TrainingTopic] = {}
    current_ids: list[int] = []
    for t in db.session.scalars(
        select(TrainingTopic)
        .where(current_clause(today), TrainingTopic.product_id.in_(product_ids))
        .order_by(TrainingTopic.id)
    ):
        topics_of.setdefault(t.product_id, t)
        current_ids.append(t.id)
    trained: set[tuple[int, int]] = set()
    if current_ids:
        s = TrainingSession
        trained = {
            (store_id, product_id)
            for store_id, product_id in db.session.execute(
                select(s.store_id, TrainingTopic.product_id)
                .join(TrainingTopic, TrainingTopic.id == s.topic_id)
                .join(scope, scope.c.store_id == s.store_id)
                .where(s.topic_id.in_(current_ids))
                .distinct()
            )
        }
    missing = sorted(k for k in seen if k not in trained)
    if not missing:
        return []
    store_ids = sorted({k[0] for k in missing})
    stores = {
        sid: (name, region)
        for sid, name, region in db.session.execute(
            select(Store.id, Store.name, Territory.region_id)
            .join(Territory, Territory.id == Store.territory_id)
            .where(Store.id.in_(store_ids))
        )
    }
    out = []
    for store_id, product_id in missing:
        name, region = stores[store_id]
        product, topic = new_models[product_id], topics_of.get(product_id)
        out.append(
            {
                "store_id": store_id,
                "store_name": name,
                "region_id": region,
                "product_id": product_id,
                "model_code": product.model_code,
                "product_name": product.name,
                "product_name_en": product.name_en,
                "topic_id": topic.id if topic is not None else None,
                "topic_title": topic.title if topic is not None else None,
                "topic_title_en": topic.title_en if topic is not None else None,
                "seen_on": seen[(store_id, product_id)],
            }
        )
    out.sort(key=lambda r: (r["region_id"], r["store_name"], r["store_id"], r["model_code"]))
    return out
