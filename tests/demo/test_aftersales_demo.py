"""`flask seed-demo` gives the 三包 and training screens something to show (issue 17): the fault
codes, a service point per region and a repair provider, returns / exchanges / repair referrals
inside their windows over the demo's cards (each as the service records it: closed cards, freed
IMEIs, the replacement's inherited purchase date, the card's history), the P50's early-life
quality alert, and three current training topics with sessions, quiz scores, coverage and gaps —
read through the endpoints HQ's, the manager's, the clerk's and the rep's apps call.

The figures asserted are the demo's own rules (backend/demo/aftersales.py, training.py): the
P50's 20 returns and 30 exchanges per 1,000 cards, the flagship's P50 training."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.aftersales.models import FaultCode, ServiceEvent
from backend.auth.models import Role, User
from backend.catalogue.models import Product
from backend.core.timeutil import business_today
from backend.demo import seed as demo
from backend.extensions import db
from backend.org.models import Partner, Region, Territory
from backend.stores.models import Store, StoreContact, StoreKind
from backend.training.models import TrainingAttendance, TrainingSession, TrainingTopic
from backend.warranty import rules
from backend.warranty.models import Shipment, WarrantyCard, WarrantyCardRevision, WarrantyImei
from backend.warranty.rules import imei_problem, tac
from tests.conftest import empty_tables

from .test_channel_demo import get, pages
from .test_seed import login, quiet


def test_demo_aftersales_and_training_have_something_on_every_screen(client, full_demo):
    db.session.expire_all()
    check_aftersales_and_training(client, full_demo.summary)


def check_aftersales_and_training(client, summary: dict) -> None:
    today = business_today()
    products = {p.id: p for p in db.session.scalars(select(Product))}
    by_code = {p.model_code: p for p in products.values()}
    region_of = dict(
        db.session.execute(
            select(Store.id, Territory.region_id).join(Territory, Territory.id == Store.territory_id)
        ).all()
    )
    hq = login(client, "hq").json["token"]

    # -- the fault codes, in the clerk's order; "no fault" is the one that is not a fault
    faults = get(client, hq, "/api/v1/fault-codes").json
    assert [f["code"] for f in faults] == [
        "screen",
        "battery",
        "camera",
        "signal",
        "charging",
        "overheating",
        "software",
        "no_fault",
    ]
    assert [f["code"] for f in faults if not f["is_fault"]] == ["no_fault"]
    assert {f["name"] for f in faults} >= {"屏幕", "电池", "无理由"} and all(f["name_en"] for f in faults)

    # -- repair points: one active service point per region, and the repair provider
    clerk = db.session.scalar(select(User).where(User.username == "clerk.gz"))
    points = get(client, login(client, "clerk.gz").json["token"], "/api/v1/repair-points").json
    service_points = db.session.scalars(select(Store).where(Store.kind == StoreKind.SERVICE_POINT)).all()
    assert sorted(region_of[s.id] for s in service_points) == sorted(db.session.scalars(select(Region.id)))
    provider = db.session.scalars(select(Partner).where(Partner.repair_provider)).one()
    assert {(p["kind"], p["id"]) for p in points} == {("store", s.id) for s in service_points} | {
        ("partner", provider.id)
    }

    # -- events over the demo's cards, each inside its window, before today, at the selling store
    events = db.session.scalars(select(ServiceEvent)).all()
    kinds = {k: [e for e in events if e.kind == k] for k in ("return", "exchange", "repair")}
    assert summary.get("service_events", len(events)) == len(events)
    assert len(kinds["return"]) >= 40 and len(kinds["exchange"]) >= 40 and len(kinds["repair"]) >= 80
    clerk_of = {u.store_id: u.id for u in db.session.scalars(select(User).where(User.role == Role.CLERK))}
    fault_of = {f.id: f for f in db.session.scalars(select(FaultCode))}
    for e in events:
        card = db.session.get(WarrantyCard, e.card_id)
        product = products[card.product_id]
        t = rules.terms(card.purchase_date, product.return_days, product.exchange_days, product.repair_months)
        until = {"return": t.return_until, "exchange": t.exchange_until, "repair": t.repair_until}[e.kind]
        assert card.purchase_date <= e.occurred_on <= until and e.occurred_on < today, e.id
        assert (e.store_id, e.product_id, e.purchase_date) == (card.store_id, card.product_id, card.purchase_date)
        assert e.recorded_by == clerk_of[card.store_id] and e.region_id == region_of[card.store_id]
        assert fault_of[e.fault_code_id].is_fault and e.occurred_at <= e.received_at
        history = [
            r.kind
            for r in db.session.scalars(select(WarrantyCardRevision).where(WarrantyCardRevision.card_id == card.id))
        ]
        assert e.kind in history
        if e.kind == "repair":
            assert card.closed_at is None and (e.repair_store_id is None) != (e.repair_partner_id is None)
        else:
            assert card.closed_kind == {"return": "returned", "exchange": "exchanged"}[e.kind]
            assert db.session.scalar(select(func.count()).where(WarrantyImei.card_id == card.id)) == 0
    assert {e.repair_partner_id for e in kinds["repair"]} >= {None, provider.id}
    # An exchange's new card: the replacement unit (a valid IMEI of the model, shipped to the
    # store's region, nobody else's), the old card's buyer and purchase date, live.
    for e in kinds["exchange"]:
        old, new = db.session.get(WarrantyCard, e.card_id), db.session.get(WarrantyCard, e.new_card_id)
        assert new.replaces_card_id == old.id and new.closed_at is None and new.voided_at is None
        assert (new.purchase_date, new.buyer_name, new.buyer_phone, new.invoice_number, new.product_id) == (
            old.purchase_date,
            old.buyer_name,
            old.buyer_phone,
            old.invoice_number,
            old.product_id,
        )
        assert imei_problem(new.imei) is None and tac(new.imei) in products[new.product_id].tac_codes
        shipment = db.session.get(Shipment, new.imei)
        assert shipment.region_id == e.region_id and shipment.ship_date <= e.occurred_on
        assert db.session.scalar(select(WarrantyImei.card_id).where(WarrantyImei.imei == new.imei)) == new.id
    # … and the clerk sees their store's events, newest first.
    mine = pages(client, login(client, "clerk.gz").json["token"], "/api/v1/service-events")
    assert mine and {e["store_id"] for e in mine} == {clerk.store_id}
    assert len(mine) == sum(e.store_id == clerk.store_id for e in events)

    # -- quality: the P50's early-life alert, as computed by hand from the rows
    p50 = by_code["XL-P50"]
    units = db.session.scalar(
        select(func.count()).where(
            WarrantyCard.product_id == p50.id, WarrantyCard.voided_at.is_(None), WarrantyCard.replaces_card_id.is_(None)
        )
    )
    bad = sum(e.product_id == p50.id and e.kind != "repair" for e in events)
    assert units >= 50 and bad / units * 1000 > 30
    alerts = get(client, hq, "/api/v1/quality/alerts").json
    assert [a["model_code"] for a in alerts] == ["XL-P50"]
    assert (alerts[0]["units_sold"], alerts[0]["returns_exchanges"]) == (units, bad)
    assert alerts[0]["rate_per_1000"] > alerts[0]["threshold_per_1000"] == 30
    rows = get(client, hq, "/api/v1/quality/models").json
    p50_row = next(r for r in rows if r["product_id"] == p50.id)
    assert p50_row["top_faults"][0]["code"] == "screen"
    assert sum(r["returns"] for r in rows) > 0 and sum(r["exchanges"] for r in rows) > 0
    assert sum(r["repairs"] for r in rows) > 0

    # -- training: three current topics (two with a three-question quiz in both languages)
    rep = login(client, "rep.gz").json["token"]
    topics = get(client, rep, "/api/v1/training/topics?current=true").json
    assert len(topics) == 3
    quizzed = [t for t in topics if t["quiz"]]
    assert {t["product_id"] for t in quizzed} == {p50.id, by_code["XL-P30"].id}
    for t in quizzed:
        assert len(t["quiz"]) == 3 and all(
            q["question_en"] and len(q["choices_en"]) == len(q["choices"]) for q in t["quiz"]
        )
    assert [t["kind"] for t in topics if not t["quiz"]] == ["promotion"]
    # Sessions at the reps' visits, in several regions; each attendee is a contact of the store,
    # scored against the quiz.
    sessions = db.session.scalars(select(TrainingSession)).all()
    assert len({region_of[s.store_id] for s in sessions}) >= 4 and len({s.store_id for s in sessions}) >= 30
    quiz_of = {t.id: t.quiz for t in db.session.scalars(select(TrainingTopic))}
    store_of = dict(db.session.execute(select(StoreContact.id, StoreContact.store_id)).all())
    session_store = {s.id: s.store_id for s in sessions}
    session_topic = {s.id: s.topic_id for s in sessions}
    scores = []
    for a in db.session.scalars(select(TrainingAttendance)):
        assert store_of[a.contact_id] == session_store[a.session_id]
        quiz = quiz_of[session_topic[a.session_id]]
        if quiz:
            assert a.quiz_size == 3 and a.score == sum(x == q["answer"] for x, q in zip(a.answers, quiz, strict=True))
            scores.append(a.score)
        else:
            assert a.answers is None and a.score is None
    assert min(scores) < 3 == max(scores)
    # The flagship had its P50 training.
    assert any(
        s.store_id == clerk.store_id and s.topic_id in [t["id"] for t in quizzed if t["product_id"] == p50.id]
        for s in sessions
    )

    # -- coverage and gaps, HQ's and the manager's
    coverage = get(client, hq, "/api/v1/training/coverage").json
    assert len(coverage) == 3
    for row in coverage:
        assert 0 < row["stores_trained"] < row["stores_total"]
        assert 0 < row["promoters_trained"] <= row["promoters_total"]
        assert (row["avg_score_pct"] is None) == (row["code"] == "PROMO-PUSH")
    gaps = get(client, hq, "/api/v1/training/gaps").json
    assert gaps and {g["model_code"] for g in gaps} == {"XL-P50"}
    trained = {
        s.store_id for s in sessions if s.topic_id == next(t["id"] for t in quizzed if t["product_id"] == p50.id)
    }
    assert not {g["store_id"] for g in gaps} & trained
    manager = get(client, login(client, "manager.gd").json["token"], "/api/v1/training/coverage").json
    assert manager and all(r["region_id"] == region_of[clerk.store_id] for row in manager for r in row["regions"])


def test_demo_aftersales_same_seed_same_data():
    day = business_today()

    def snapshot():
        return (
            db.session.execute(
                select(ServiceEvent.id, ServiceEvent.kind, ServiceEvent.card_id).order_by(ServiceEvent.id)
            ).all(),
            db.session.execute(select(TrainingSession.id, TrainingSession.store_id).order_by(TrainingSession.id)).all(),
        )

    demo.seed_demo(seed=3, echo=quiet, days=6, scale=0.15, today=day)
    first = snapshot()
    assert first[0] and first[1]
    db.session.rollback()
    empty_tables()
    demo.seed_demo(seed=3, echo=quiet, days=6, scale=0.15, today=day)
    assert snapshot() == first
