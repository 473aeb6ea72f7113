"""Training coverage and gaps, hand-computed on a small organisation: which stores' promoters were
trained on each current topic, their mean quiz score by region, and the stores with a new model
on the shelf and no training on it. HQ and admins read every region, a manager their own, reps
and clerks nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

from backend.catalogue.models import Product
from backend.core.timeutil import business_date, business_today, utcnow
from backend.extensions import db
from backend.sellout.models import ShopStockCount
from backend.stores.models import Store
from backend.training.models import TrainingAttendance, TrainingSession
from backend.warranty.models import WarrantyCard
from tests.factories import make_store
from tests.test_training_api import make_contact, make_topic

COVERAGE, GAPS = "/api/v1/training/coverage", "/api/v1/training/gaps"


def add_session(rep, store, topic, attendees, held_at=None) -> TrainingSession:
    """A session straight into the tables (the API's own rules are tested in test_training_api)."""
    held_at = held_at or utcnow().replace(microsecond=0) - timedelta(hours=2)
    session = TrainingSession(
        id=uuid.uuid4(),
        rep_id=rep.id,
        store_id=store.id,
        topic_id=topic.id,
        held_at=held_at,
        held_on=business_date(held_at),
        duration_minutes=30,
    )
    db.session.add(session)
    db.session.flush()
    for contact, score in attendees:
        db.session.add(
            TrainingAttendance(
                session_id=session.id,
                contact_id=contact.id,
                answers=None if score is None else [0] * 3,
                score=score,
                quiz_size=None if score is None else 3,
            )
        )
    db.session.commit()
    return session


def organisation(world):
    """Region A: stores a1, a1b, a2 (and a service point and a closed shop, which never count);
    region B: b1. Promoters: a1 小王 and 小李 (plus an owner and a removed promoter), a2 小孙,
    b1 小钱. Topic T (3-question quiz) trained at a1 (3/3, 2/3 and the owner not quizzed) and at
    b1 (1/3); topic P (a promotion, no quiz) nowhere; topic OLD (ended) at a2."""
    today = business_today()
    make_store("A1-SP", world.terr_a1, 23.1, 113.3, kind="service_point")
    make_store("A2-CLOSED", world.terr_a2, 23.1, 113.3, status="closed")
    db.session.commit()
    wang, li = make_contact(world.store_a1, "小王"), make_contact(world.store_a1, "小李")
    owner = make_contact(world.store_a1, "周老板", role="owner")
    make_contact(world.store_a1, "小孙旧", deleted=True)
    sun = make_contact(world.store_a2, "小孙")
    qian = make_contact(world.store_b1, "小钱")
    t = make_topic("T-P30", product_id=world.product.id)
    p = make_topic("T-PROMO", quiz_=[], kind="promotion")
    old = make_topic("T-OLD", ends_on=today - timedelta(days=1))
    add_session(world.rep_a1, world.store_a1, t, [(wang, 3), (li, 2), (owner, None)])
    add_session(world.rep_b1, world.store_b1, t, [(qian, 1)])
    add_session(world.rep_a2, world.store_a2, old, [(sun, 3)])
    return t, p


def by_topic(rows):
    return {r["code"]: r for r in rows}


def test_coverage_for_hq_and_a_manager(api, world):
    t, p = organisation(world)
    rows = api(world.hq).get(COVERAGE)
    assert rows.status_code == 200, rows.json
    got = by_topic(rows.json)
    assert sorted(got) == ["T-P30", "T-PROMO"]  # T-OLD is no longer current
    tp = got["T-P30"]
    # 4 selling active stores, 2 trained; 4 live promoters, 3 trained (the owner is no promoter);
    # scores 3/3, 2/3, 1/3 → (100 + 66.67 + 33.33) / 3 = 66.7.
    assert (tp["stores_total"], tp["stores_trained"], tp["promoters_total"], tp["promoters_trained"]) == (4, 2, 4, 3)
    assert tp["avg_score_pct"] == 66.7 and tp["quiz_size"] == 3 and tp["topic_id"] == t.id
    regions = {r["region_id"]: r for r in tp["regions"]}
    assert regions[world.region_a.id] == {
        "region_id": world.region_a.id,
        "region_name": "广东大区",
        "stores_total": 3,
        "stores_trained": 1,
        "promoters_total": 3,
        "promoters_trained": 2,
        "avg_score_pct": 83.3,  # 3/3 and 2/3
    }
    assert (regions[world.region_b.id]["stores_trained"], regions[world.region_b.id]["avg_score_pct"]) == (1, 33.3)
    promo = got["T-PROMO"]
    assert (promo["stores_total"], promo["stores_trained"], promo["avg_score_pct"], promo["quiz_size"]) == (
        4,
        0,
        None,
        0,
    )
    # A manager: their region only, the same figures as HQ's region row.
    mine = by_topic(api(world.manager_a).get(COVERAGE).json)["T-P30"]
    assert (mine["stores_total"], mine["stores_trained"], mine["promoters_trained"], mine["avg_score_pct"]) == (
        3, 1, 2, 83.3,
    )  # fmt: skip
    assert [r["region_id"] for r in mine["regions"]] == [world.region_a.id]
    r = api(world.manager_a).get(COVERAGE, query_string={"region_id": world.region_b.id})
    assert (r.status_code, r.json["reason"]) == (404, "region.not_found")
    # HQ narrowed to region B, and to one topic.
    b = api(world.hq).get(COVERAGE, query_string={"region_id": world.region_b.id, "topic_id": t.id}).json
    assert [(x["code"], x["stores_total"], x["stores_trained"], x["avg_score_pct"]) for x in b] == [
        ("T-P30", 1, 1, 33.3)
    ]
    for user in (world.rep_a1, world.clerk_a1):
        assert api(user).get(COVERAGE).status_code == 403
        assert api(user).get(GAPS).status_code == 403
    assert api(world.admin).get(COVERAGE).json == rows.json


def new_model(code: str, launched_days_ago: int) -> Product:
    product = Product(
        model_code=code, name=f"星澜 {code}", name_en=f"Xinglan {code}",
        launch_date=business_today() - timedelta(days=launched_days_ago),
    )  # fmt: skip
    db.session.add(product)
    db.session.commit()
    return product


def count(rep, store, product, on_hand, hours_ago) -> ShopStockCount:
    c = ShopStockCount(
        id=uuid.uuid4(),
        rep_id=rep.id,
        store_id=store.id,
        product_id=product.id,
        on_hand=on_hand,
        counted_at=utcnow().replace(microsecond=0) - timedelta(hours=hours_ago),
    )
    db.session.add(c)
    db.session.commit()
    return c


def card(store, product, purchase_date, clerk) -> None:
    db.session.add(
        WarrantyCard(
            id=uuid.uuid4(),
            imei="356938035643809",
            product_id=product.id,
            serial_number="SN1",
            buyer_name="张三",
            buyer_phone="13800138000",
            invoice_number="INV1",
            purchase_date=purchase_date,
            store_id=store.id,
            registered_by=clerk.id,
            registered_at=utcnow().replace(microsecond=0) - timedelta(days=1),
        )
    )
    db.session.commit()


def test_gaps_new_models_on_the_shelf_without_training(api, world):
    n1 = new_model("N1", 90)  # new with TRAINING_NEW_MODEL_DAYS = 90 (the edge)
    n2 = new_model("N2", 91)  # not new any more
    assert world.product.launch_date < business_today() - timedelta(days=91)  # P30: old
    rep = world.rep_a1
    latest = count(rep, world.store_a1, n1, 3, hours_ago=5)  # a1: N1 on the shelf
    count(rep, world.store_a1b, n1, 2, hours_ago=30)  # a1b: counted 2, then 0: not on the shelf
    count(rep, world.store_a1b, n1, 0, hours_ago=4)
    count(rep, world.store_a1, world.product, 9, hours_ago=5)  # an old model: never a gap
    sold = business_today() - timedelta(days=3)
    card(world.store_a2, n1, sold, world.clerk_a1)  # a2: a card of N1
    count(world.rep_b1, world.store_b1, n2, 5, hours_ago=5)  # b1: N2 is not new
    count(world.rep_b1, world.store_b1, n1, 1, hours_ago=5)  # b1: N1 on the shelf, but trained:
    topic = make_topic("T-N1", product_id=n1.id)
    add_session(world.rep_b1, world.store_b1, topic, [(make_contact(world.store_b1), 2)])

    rows = api(world.hq).get(GAPS)
    assert rows.status_code == 200, rows.json
    got = [(r["store_id"], r["model_code"], r["topic_id"], r["seen_on"]) for r in rows.json]
    # By region, then store name: 国美电器 北京路店 (a2) before 苏宁易购 天河城店 (a1).
    assert got == [
        (world.store_a2.id, "N1", topic.id, sold.isoformat()),
        (world.store_a1.id, "N1", topic.id, business_date(latest.counted_at).isoformat()),
    ]
    first = rows.json[1]
    assert (first["store_name"], first["region_id"], first["topic_title"], first["product_id"]) == (
        "苏宁易购 天河城店", world.region_a.id, "T-N1 培训", n1.id,
    )  # fmt: skip
    # The manager of region B sees none (b1 was trained); region A's sees both.
    assert api(world.manager_b).get(GAPS).json == []
    assert len(api(world.manager_a).get(GAPS).json) == 2
    assert api(world.hq).get(GAPS, query_string={"region_id": world.region_b.id}).json == []
    # A training at a1 on the model's current topic closes that gap.
    add_session(rep, world.store_a1, topic, [(make_contact(world.store_a1), None)])
    assert [r["store_id"] for r in api(world.hq).get(GAPS).json] == [world.store_a2.id]
    # A session on a topic of the model that is no longer current does not count (b1 is a gap
    # again); without a current topic the gap names none.
    topic.ends_on = business_today() - timedelta(days=1)
    db.session.commit()
    left = api(world.hq).get(GAPS).json
    assert [(r["store_id"], r["topic_id"]) for r in left] == [
        (world.store_a2.id, None),
        (world.store_a1.id, None),
        (world.store_b1.id, None),
    ]
    # A closed store is out of scope.
    db.session.get(Store, world.store_a2.id).status = "closed"
    db.session.commit()
    assert [r["store_id"] for r in api(world.hq).get(GAPS).json] == [world.store_a1.id, world.store_b1.id]


def test_with_a_shorter_new_model_window(app, api, world):
    n1 = new_model("N1", 30)
    count(world.rep_a1, world.store_a1, n1, 1, hours_ago=1)
    assert len(api(world.hq).get(GAPS).json) == 1
    app.config["TRAINING_NEW_MODEL_DAYS"] = 29
    try:
        assert api(world.hq).get(GAPS).json == []
    finally:
        app.config["TRAINING_NEW_MODEL_DAYS"] = 90
