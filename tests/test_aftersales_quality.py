"""HQ's quality figures (aftersales/quality.py): returns, exchanges and repairs per 1,000 units
sold, per model, purchase week and region, the top fault codes, the early-life alert at its edge,
the CSV; scope per role, and bad queries refused. Every expected figure is computed by hand.

Cards and events are written as rows, with the values the aftersales service sets (an event
copies its card's store, region, product and purchase date; an exchange closes the old card and
registers a replacement whose card names it and inherits the purchase date)."""

from __future__ import annotations

import csv
import io
import os
import time
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.aftersales.models import FaultCode, QualityAlert, ServiceEvent
from backend.catalogue.models import Product
from backend.core.timeutil import business_today, utcnow
from backend.extensions import db
from backend.jobs import run_ready_jobs
from backend.jobs.models import OPEN_STATES, OutboxJob
from backend.sellout.rules import week_start
from tests.factories import N10_TAC, P30_TAC
from tests.factories import imei as make_imei

BASE = "/api/v1/quality"
# A fixed period for the figures: four purchase weeks of March 2026 (Mon 2 … Sun 29).
SINCE, UNTIL = date(2026, 3, 2), date(2026, 3, 29)
PERIOD = f"since={SINCE}&until={UNTIL}"

_serial = iter(range(1, 10**6))


@pytest.fixture
def faults():
    codes = [
        FaultCode(code="battery", name="电池", name_en="Battery", position=2),
        FaultCode(code="camera", name="摄像头", name_en="Camera", position=3),
        FaultCode(code="screen", name="屏幕", name_en="Screen", position=1),
        FaultCode(code="signal", name="信号", name_en=None, position=4),
        FaultCode(code="no_fault", name="无理由", name_en="No fault", is_fault=False, position=9),
    ]
    db.session.add_all(codes)
    db.session.commit()
    return {f.code: f for f in codes}


@pytest.fixture
def n10(world):
    product = Product(model_code="XL-N10", name="星澜 N10", name_en="Xinglan N10", tac_codes=[N10_TAC])
    db.session.add(product)
    db.session.commit()
    return product


def cards(world, store, product, purchase_date: date, n: int, **extra) -> list[uuid.UUID]:
    """`n` cards bought on `purchase_date` at `store` (ORM objects, one commit: the quality rollup
    counts them as the warranty service's would be); their ids."""
    tac = P30_TAC if product.id == world.product.id else N10_TAC
    clerk = world.clerk_b1 if store.id == world.store_b1.id else world.clerk_a1
    rows = []
    for _ in range(n):
        serial = next(_serial)
        rows.append(
            {
                "id": uuid.uuid4(),
                "imei": make_imei(tac, serial),
                "product_id": product.id,
                "serial_number": f"SN{serial}",
                "buyer_name": "王伟",
                "buyer_phone": "13800138000",
                "buyer_address": "",
                "invoice_number": f"INV{serial}",
                "purchase_date": purchase_date,
                "store_id": store.id,
                "registered_by": clerk.id,
                "registered_at": datetime.combine(purchase_date, datetime.min.time()) + timedelta(hours=4),
                "received_at": utcnow(),
                "revision": 1,
                "void_reason": "",
                **extra,
            }
        )
    from backend.warranty.models import WarrantyCard

    db.session.add_all([WarrantyCard(**row) for row in rows])
    db.session.commit()
    settle()
    return [r["id"] for r in rows]


def settle(timeout: float = 60.0) -> None:
    """Wait until no quality alert job is open (with a worker; without, run them now)."""
    names = ("backend.aftersales.quality_alerts:check_quality",)
    run_ready_jobs()  # those a commit outside a request recorded
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # read what the job committed
        left = db.session.scalar(
            select(OutboxJob.id).where(OutboxJob.name.in_(names), OutboxJob.state.in_(OPEN_STATES)).limit(1)
        )
        if left is None:
            return
        if not os.environ.get("REDIS_URL") or time.monotonic() > deadline:
            raise AssertionError("a quality alert job is still open")
        time.sleep(0.1)


def event(world, card_id, kind: str, fault: FaultCode, days_after: int = 2, **extra) -> None:
    """A service event of a card, as the service records it (the card's fields copied)."""
    from backend.warranty.models import WarrantyCard

    card = db.session.get(WarrantyCard, card_id)
    region = world.region_b if card.store_id == world.store_b1.id else world.region_a
    occurred = datetime.combine(card.purchase_date + timedelta(days=days_after), datetime.min.time()) + timedelta(
        hours=3
    )
    db.session.add(
        ServiceEvent(
            id=uuid.uuid4(),
            kind=kind,
            card_id=card.id,
            store_id=card.store_id,
            region_id=region.id,
            product_id=card.product_id,
            purchase_date=card.purchase_date,
            fault_code_id=fault.id,
            note="",
            occurred_at=occurred,
            occurred_on=occurred.date(),
            terms={},
            recorded_by=world.clerk_a1.id,
            **extra,
        )
    )
    if kind in ("return", "exchange"):
        card.closed_at = occurred
        card.closed_kind = "returned" if kind == "return" else "exchanged"
        card.revision += 1
    db.session.commit()
    settle()


def exchange(world, card_id, fault: FaultCode) -> uuid.UUID:
    """An exchange: the replacement's card (same purchase date, `replaces_card_id`), the event."""
    from backend.warranty.models import WarrantyCard

    old = db.session.get(WarrantyCard, card_id)
    store = db.session.get(type(world.store_a1), old.store_id)
    product = db.session.get(Product, old.product_id)
    (new_id,) = cards(world, store, product, old.purchase_date, 1, replaces_card_id=old.id)
    event(world, card_id, "exchange", fault, new_card_id=new_id)
    return new_id


def by_product(rows) -> dict[int, dict]:
    return {r["product_id"]: r for r in rows}


# --- per model -------------------------------------------------------------------------------------


def test_rates_per_model_per_1000_units_hand_computed(world, api, faults, n10):
    p30 = world.product
    # P30: 400 cards in the period (3 March and 20 March), at two stores of region A.
    ids = cards(world, world.store_a1, p30, date(2026, 3, 3), 300) + cards(
        world, world.store_a2, p30, date(2026, 3, 20), 100
    )
    # 2 returns, 1 exchange (its replacement's card is no new unit), 4 repairs.
    event(world, ids[0], "return", faults["screen"])
    event(world, ids[1], "return", faults["no_fault"])
    exchange(world, ids[2], faults["screen"])
    event(world, ids[3], "repair", faults["screen"])
    event(world, ids[4], "repair", faults["battery"])
    event(world, ids[5], "repair", faults["battery"])
    event(world, ids[300], "repair", faults["camera"])
    # Not counted: a card bought before the period (its return falls in it), and a voided card
    # with a repair (registered in error: no sale).
    (before,) = cards(world, world.store_a1, p30, SINCE - timedelta(days=1), 1)
    event(world, before, "return", faults["signal"], days_after=3)
    (voided,) = cards(world, world.store_a1, p30, date(2026, 3, 5), 1, voided_at=datetime(2026, 3, 6, 2))
    event(world, voided, "repair", faults["signal"])
    # N10: 200 cards in region B, 1 exchange: 5.0 per 1,000.
    n10_ids = cards(world, world.store_b1, n10, date(2026, 3, 29), 200)
    exchange(world, n10_ids[0], faults["signal"])
    # Bought the day after the period: not counted.
    cards(world, world.store_b1, n10, UNTIL + timedelta(days=1), 5)

    r = api(world.hq).get(f"{BASE}/models?{PERIOD}")
    assert r.status_code == 200, r.json
    rows = by_product(r.json)
    assert set(rows) == {p30.id, n10.id}
    p = rows[p30.id]
    assert (p["units_sold"], p["returns"], p["exchanges"], p["repairs"]) == (400, 2, 1, 4)
    # 2 / 400 × 1000 = 5.0; 1 / 400 × 1000 = 2.5; 4 / 400 × 1000 = 10.0
    assert (p["return_per_1000"], p["exchange_per_1000"], p["repair_per_1000"]) == (5.0, 2.5, 10.0)
    assert (p["model_code"], p["name"], p["name_en"]) == ("XL-P30", "星澜 P30", "星澜 P30")  # no name_en: name
    # screen 3 (return, exchange, repair), battery 2, then camera and no_fault 1 each: by code
    assert p["top_faults"] == [
        {"code": "screen", "name": "屏幕", "name_en": "Screen", "count": 3},
        {"code": "battery", "name": "电池", "name_en": "Battery", "count": 2},
        {"code": "camera", "name": "摄像头", "name_en": "Camera", "count": 1},
    ]
    n = rows[n10.id]
    assert (n["units_sold"], n["returns"], n["exchanges"], n["repairs"]) == (200, 0, 1, 0)
    assert (n["return_per_1000"], n["exchange_per_1000"], n["repair_per_1000"]) == (0.0, 5.0, 0.0)
    assert n["top_faults"] == [{"code": "signal", "name": "信号", "name_en": "信号", "count": 1}]
    assert n["name_en"] == "Xinglan N10"

    # One region: A has P30 only; B has N10 only.
    r = api(world.hq).get(f"{BASE}/models?{PERIOD}&region_id={world.region_b.id}")
    assert [(x["product_id"], x["units_sold"], x["exchanges"]) for x in r.json] == [(n10.id, 200, 1)]
    # A narrower period: only the 100 cards of 20 March (1 repair): 10.0 per 1,000.
    r = api(world.hq).get(f"{BASE}/models?since=2026-03-16&until=2026-03-22")
    (row,) = r.json
    assert (row["units_sold"], row["returns"], row["repairs"], row["repair_per_1000"]) == (100, 0, 1, 10.0)
    assert row["top_faults"] == [{"code": "camera", "name": "摄像头", "name_en": "Camera", "count": 1}]


def test_voided_cards_and_their_events_count_for_nothing(world, api, faults):
    """Cards registered in error sold nothing: no units, and their events are not counted."""
    ids = cards(world, world.store_a1, world.product, date(2026, 3, 3), 2, voided_at=datetime(2026, 3, 4))
    event(world, ids[0], "repair", faults["screen"])
    r = api(world.hq).get(f"{BASE}/models?{PERIOD}")
    assert r.status_code == 200
    assert r.json == []


# --- per week and per region -----------------------------------------------------------------------


def test_weekly_rows_every_week_oldest_first_with_zeros(world, api, faults):
    today = business_today()
    monday = week_start(today)
    p30 = world.product
    this_week = cards(world, world.store_a1, p30, monday, 40)  # this week's Monday
    two_ago = cards(world, world.store_a2, p30, monday - timedelta(days=8), 250)  # a Sunday, 2 weeks ago
    cards(world, world.store_b1, p30, monday - timedelta(days=14), 10)  # a Monday, 2 weeks ago
    cards(world, world.store_a1, p30, monday - timedelta(days=15), 7)  # the Sunday before: 3 weeks ago
    event(world, this_week[0], "return", faults["screen"], days_after=0)
    event(world, two_ago[0], "exchange", faults["screen"])
    event(world, two_ago[1], "repair", faults["battery"])
    event(world, two_ago[2], "repair", faults["battery"])

    r = api(world.hq).get(f"{BASE}/weekly?weeks=3&product_id={p30.id}")
    assert r.status_code == 200, r.json
    assert [w["week"] for w in r.json] == [
        (monday - timedelta(weeks=2)).isoformat(),
        (monday - timedelta(weeks=1)).isoformat(),
        monday.isoformat(),
    ]
    oldest, last, this = r.json
    # monday − 8 is the Sunday ending the week of monday − 14: 250 + 10 (region B) there;
    # monday − 15, the Sunday before, is 3 weeks ago: not in these 3 weeks.
    assert (oldest["units_sold"], oldest["exchanges"], oldest["repairs"]) == (260, 1, 2)
    assert oldest["exchange_per_1000"] == round(1000 / 260, 2) == 3.85
    assert oldest["repair_per_1000"] == round(2000 / 260, 2) == 7.69
    assert last == {
        "week": (monday - timedelta(weeks=1)).isoformat(),
        "units_sold": 0,
        "returns": 0,
        "exchanges": 0,
        "repairs": 0,
        "return_per_1000": None,
        "exchange_per_1000": None,
        "repair_per_1000": None,
    }
    assert (this["units_sold"], this["returns"], this["return_per_1000"]) == (40, 1, 25.0)

    # Region A only: the 10 cards of region B leave the oldest week.
    r = api(world.manager_a).get(f"{BASE}/weekly?weeks=3")
    assert [w["units_sold"] for w in r.json] == [250, 0, 40]
    # Default 12 weeks; the weeks sum to the models' default period (the same 12 weeks).
    weeks = api(world.hq).get(f"{BASE}/weekly").json
    assert len(weeks) == 12 and weeks[0]["week"] == (monday - timedelta(weeks=11)).isoformat()
    (model,) = api(world.hq).get(f"{BASE}/models").json
    assert model["units_sold"] == sum(w["units_sold"] for w in weeks) == 40 + 250 + 10 + 7
    assert model["repairs"] == sum(w["repairs"] for w in weeks) == 2


def test_regions_and_the_scope_of_each_role(world, api, faults):
    p30 = world.product
    a = cards(world, world.store_a1, p30, date(2026, 3, 10), 300)
    b = cards(world, world.store_b1, p30, date(2026, 3, 11), 100)
    event(world, a[0], "return", faults["screen"])
    event(world, b[0], "return", faults["screen"])
    event(world, b[1], "exchange", faults["battery"])

    r = api(world.hq).get(f"{BASE}/regions?{PERIOD}")
    assert r.status_code == 200, r.json
    rows = {x["region_id"]: x for x in r.json}
    assert set(rows) == {world.region_a.id, world.region_b.id}
    ra, rb = rows[world.region_a.id], rows[world.region_b.id]
    assert (ra["region_name"], ra["units_sold"], ra["returns"], ra["return_per_1000"]) == ("广东大区", 300, 1, 3.33)
    assert (rb["units_sold"], rb["returns"], rb["exchanges"]) == (100, 1, 1)
    assert (rb["return_per_1000"], rb["exchange_per_1000"]) == (10.0, 10.0)

    # A manager: their own region only, with or without asking for it; another region is not found.
    r = api(world.manager_a).get(f"{BASE}/regions?{PERIOD}")
    assert [x["region_id"] for x in r.json] == [world.region_a.id]
    r = api(world.manager_b).get(f"{BASE}/models?{PERIOD}")
    assert [(x["units_sold"], x["returns"], x["exchanges"]) for x in r.json] == [(100, 1, 1)]
    r = api(world.manager_a).get(f"{BASE}/models?{PERIOD}&region_id={world.region_b.id}")
    assert r.status_code == 404
    assert r.json["reason"] == "region.not_found"
    # Reps and clerks: no quality figures.
    for user in (world.rep_a1, world.clerk_a1):
        for path in ("models", "weekly", "regions", "alerts", "export.csv"):
            r = api(user).get(f"{BASE}/{path}")
            assert r.status_code == 403, (user.username, path)
            assert r.json["reason"] == "role.forbidden"
    assert api(world.admin).get(f"{BASE}/regions?{PERIOD}").status_code == 200


# --- the early-life alert --------------------------------------------------------------------------


@pytest.fixture
def alert_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "QUALITY_ALERT_WEEKS", 8)
    monkeypatch.setitem(app.config, "QUALITY_ALERT_RATE_PER_1000", 30.0)
    monkeypatch.setitem(app.config, "QUALITY_ALERT_MIN_UNITS", 50)


def test_alert_exactly_at_the_threshold_is_none_above_it_is_one(world, api, faults, alert_settings):
    today = business_today()
    p30 = world.product
    p30.launch_date = today - timedelta(days=10)
    db.session.commit()
    ids = cards(world, world.store_a1, p30, today - timedelta(days=9), 100)
    cards(world, world.store_a1, p30, today - timedelta(days=11), 50)  # before launch: not counted
    for i in range(3):
        event(world, ids[i], "return", faults["screen"], days_after=1)
    event(world, ids[3], "repair", faults["screen"], days_after=1)  # repairs are not in the alert
    # 3 / 100 × 1000 = 30.0: exactly the threshold, no alert (the jobs ran after each commit).
    r = api(world.hq).get(f"{BASE}/alerts")
    assert r.status_code == 200, r.json
    assert r.json == []
    assert db.session.scalar(select(func.count()).select_from(QualityAlert)) == 0

    event(world, ids[4], "exchange", faults["battery"], days_after=1)  # its commit asks for the job
    # 4 / 100 × 1000 = 40.0 > 30: raised, for every region together and for region A
    expected = {
        "product_id": p30.id,
        "model_code": "XL-P30",
        "name": "星澜 P30",
        "name_en": "星澜 P30",
        "launch_date": (today - timedelta(days=10)).isoformat(),
        "since": (today - timedelta(days=10)).isoformat(),
        "weeks": 2,  # day 10 on sale: its second week
        "units_sold": 100,
        "returns_exchanges": 4,
        "rate_per_1000": 40.0,
        "threshold_per_1000": 30.0,
        "acknowledged_at": None,
        "acknowledged_by": None,
    }
    (row,) = api(world.hq).get(f"{BASE}/alerts").json
    assert {k: row[k] for k in expected} == expected
    assert (row["region_id"], row["region_name"]) == (None, None)
    # Region B's manager: no units there, no alert; region A's sees region A's (the same figures).
    assert api(world.manager_b).get(f"{BASE}/alerts").json == []
    (mine,) = api(world.manager_a).get(f"{BASE}/alerts").json
    assert (mine["region_id"], mine["region_name"], mine["rate_per_1000"]) == (world.region_a.id, "广东大区", 40.0)
    assert mine["id"] != row["id"]
    assert [x["id"] for x in api(world.hq).get(f"{BASE}/alerts?region_id={world.region_a.id}").json] == [mine["id"]]


def test_alert_raised_once_per_model_scope_and_window_with_its_evidence(world, api, faults, alert_settings):
    today = business_today()
    world.product.launch_date = today - timedelta(days=3)
    db.session.commit()
    ids = cards(world, world.store_a1, world.product, today - timedelta(days=2), 50)
    for i in range(2):
        event(world, ids[i], "return", faults["screen"], days_after=0)  # 2 / 50 → 40.0: raised
    for i in range(2, 5):
        event(world, ids[i], "exchange", faults["screen"], days_after=0)  # worse: no second alert
    from backend.aftersales import quality_alerts

    assert quality_alerts.raise_all() == 0  # a run over everything finds them raised already
    rows = api(world.hq).get(f"{BASE}/alerts").json
    # The evidence of when it was raised: 2 of 50
    assert [(x["units_sold"], x["returns_exchanges"], x["rate_per_1000"]) for x in rows] == [(50, 2, 40.0)]
    scopes = db.session.execute(select(QualityAlert.scope_key, QualityAlert.region_id)).all()
    assert sorted(scopes) == [("all", None), (f"r{world.region_a.id}", world.region_a.id)]


def test_a_held_load_asks_for_no_quality_check(world, api, faults, alert_settings):
    """Inside `core.transaction.checks_held` (the demo seed's load: the quality rollup is rebuilt
    at its end) new cards ask for no check; after it, an event does again."""
    from backend.core.transaction import checks_held

    checks = select(func.count()).select_from(OutboxJob).where(OutboxJob.name.like("%:check_quality"))
    today = business_today()
    world.product.launch_date = today - timedelta(days=3)
    db.session.commit()
    with checks_held(db.session):
        ids = cards(world, world.store_a1, world.product, today - timedelta(days=2), 50)
    assert db.session.scalar(checks) == 0
    event(world, ids[0], "return", faults["screen"], days_after=0)
    assert db.session.scalar(checks) == 1


def test_alert_needs_the_minimum_units(world, api, faults, alert_settings):
    today = business_today()
    world.product.launch_date = today - timedelta(days=3)
    db.session.commit()
    ids = cards(world, world.store_a1, world.product, today - timedelta(days=2), 49)
    for i in range(10):
        event(world, ids[i], "return", faults["screen"], days_after=0)
    assert api(world.hq).get(f"{BASE}/alerts").json == []  # 49 < 50 units
    # The 50th unit (at another store of region A): its card's commit asks for the check.
    cards(world, world.store_a2, world.product, today, 1)
    r = api(world.hq).get(f"{BASE}/alerts")
    # 10 / 50 × 1000 = 200.0
    assert [(x["units_sold"], x["returns_exchanges"], x["rate_per_1000"]) for x in r.json] == [(50, 10, 200.0)]


def test_alert_only_within_the_first_weeks_from_launch_or_first_card(world, api, faults, n10, alert_settings):
    today = business_today()
    p30 = world.product
    # P30 launched 56 days ago: 8 weeks are over (days 0…55), no alert however bad.
    p30.launch_date = today - timedelta(days=56)
    db.session.commit()
    ids = cards(world, world.store_a1, p30, today - timedelta(days=50), 60)
    for i in range(30):
        event(world, ids[i], "return", faults["screen"])
    # N10 has no launch date: its window starts at its first card, 55 days ago (the last day in).
    n10_ids = cards(world, world.store_b1, n10, today - timedelta(days=55), 80)
    for i in range(3):
        event(world, n10_ids[i], "exchange", faults["signal"])
    r = api(world.hq).get(f"{BASE}/alerts")
    # 3 / 80 × 1000 = 37.5 > 30
    assert [(x["product_id"], x["launch_date"], x["since"], x["weeks"], x["rate_per_1000"]) for x in r.json] == [
        (n10.id, None, (today - timedelta(days=55)).isoformat(), 8, 37.5)
    ]
    # P30's launch corrected to 55 days ago: its next return raises its alert (31 / 60 → 516.67),
    # listed first (the worse rate).
    p30.launch_date = today - timedelta(days=55)
    db.session.commit()
    event(world, ids[30], "return", faults["screen"])
    r = api(world.hq).get(f"{BASE}/alerts")
    assert [(x["model_code"], x["rate_per_1000"]) for x in r.json] == [("XL-P30", 516.67), ("XL-N10", 37.5)]


def test_alert_threshold_from_the_settings(world, api, faults, app, monkeypatch, alert_settings):
    today = business_today()
    world.product.launch_date = today
    db.session.commit()
    ids = cards(world, world.store_a1, world.product, today, 50)
    event(world, ids[0], "return", faults["screen"], days_after=0)  # 1 / 50 → 20.0
    assert api(world.hq).get(f"{BASE}/alerts").json == []
    monkeypatch.setitem(app.config, "QUALITY_ALERT_RATE_PER_1000", 19.99)
    # The next check (run here, in this process's settings: a worker has its own) raises it.
    from backend.aftersales import quality_alerts

    assert quality_alerts.raise_all() == 2  # every region together, and region A
    (row,) = api(world.hq).get(f"{BASE}/alerts").json
    assert (row["rate_per_1000"], row["threshold_per_1000"], row["weeks"]) == (20.0, 19.99, 1)


def test_acknowledge_an_alert_by_hq_or_the_region_manager(world, api, faults, alert_settings):
    today = business_today()
    world.product.launch_date = today - timedelta(days=1)
    db.session.commit()
    ids = cards(world, world.store_a1, world.product, today, 50)
    event(world, ids[0], "return", faults["screen"], days_after=0)
    event(world, ids[1], "return", faults["screen"], days_after=0)  # 2 / 50 → 40.0
    (national,) = api(world.hq).get(f"{BASE}/alerts").json
    (regional,) = api(world.manager_a).get(f"{BASE}/alerts").json
    ack = f"{BASE}/alerts/{{}}/acknowledge"
    # Region B's manager does not see region A's alert, nor the national one; a rep may not.
    for client, alert_id, status in (
        (api(world.manager_b), regional["id"], 404),
        (api(world.manager_a), national["id"], 404),
        (api(world.rep_a1), regional["id"], 403),
        (api(world.hq), 999999, 404),
    ):
        r = client.post(ack.format(alert_id))
        assert r.status_code == status, r.json
        assert r.json["reason"] == {404: "alert.not_found", 403: r.json["reason"]}[status]
    r = api(world.manager_a).post(ack.format(regional["id"]))
    assert r.status_code == 200, r.json
    assert (r.json["id"], r.json["acknowledged_by"]) == (regional["id"], world.manager_a.id)
    assert r.json["acknowledged_at"] is not None
    r = api(world.hq).post(ack.format(regional["id"]))
    assert (r.status_code, r.json["reason"]) == (409, "alert.acknowledged")
    r = api(world.hq).post(ack.format(national["id"]))
    assert r.status_code == 200, r.json
    # Listed still (with who and when), or filtered out: the open ones only.
    assert [x["acknowledged_by"] for x in api(world.hq).get(f"{BASE}/alerts").json] == [world.hq.id]
    assert api(world.hq).get(f"{BASE}/alerts?acknowledged=false").json == []
    assert api(world.manager_a).get(f"{BASE}/alerts?acknowledged=false").json == []


# --- CSV -------------------------------------------------------------------------------------------


def test_csv_model_region_week_rows_with_bom_and_headers(world, api, faults, n10):
    p30 = world.product
    a = cards(world, world.store_a1, p30, date(2026, 3, 4), 200)  # week of 2 March
    cards(world, world.store_b1, p30, date(2026, 3, 8), 100)  # a Sunday: week of 2 March, region B
    cards(world, world.store_a2, n10, date(2026, 3, 9), 40)  # week of 9 March
    event(world, a[0], "return", faults["screen"])
    exchange(world, a[1], faults["camera"])

    r = api(world.hq).get(f"{BASE}/export.csv?{PERIOD}&lang=en")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    body = r.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Purchase week (Monday)", "Model ID", "Model"]
    data = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    got = [
        (
            d["Purchase week (Monday)"],
            d["Model"],
            d["Region"],
            d["Units sold (cards)"],
            d["Returns"],
            d["Exchanges"],
            d["Returns per 1,000"],
            d["Exchanges per 1,000"],
        )
        for d in data
    ]
    assert got == [
        ("2026-03-02", "XL-P30", "广东大区", "200", "1", "1", "5.0", "5.0"),
        ("2026-03-02", "XL-P30", "广西大区", "100", "0", "0", "0.0", "0.0"),
        ("2026-03-09", "XL-N10", "广东大区", "40", "0", "0", "0.0", "0.0"),
    ]
    # zh-CN headers; a manager's CSV holds their region only.
    r = api(world.manager_b).get(f"{BASE}/export.csv?{PERIOD}&lang=zh-CN")
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "购买周（周一）"
    assert [(row[2], row[6], row[7]) for row in rows[1:]] == [("XL-P30", "广西大区", "100")]


# --- through the service -------------------------------------------------------------------------


def test_events_recorded_by_the_service_count_as_the_rows_above(world, api, faults):
    """Cards registered and events recorded over REST (the aftersales service writes the rows):
    the replacement unit's card is no new unit, each event counts once against its purchase."""
    from tests.factories import iso
    from tests.warranty.helpers import card_body, register

    today = business_today()
    bought = today - timedelta(days=5)
    world.partner.repair_provider = True
    db.session.commit()
    clerk = api(world.clerk_a1)
    sold = [register(clerk, card_body(world, 700 + i, purchase_date=bought.isoformat())) for i in range(4)]
    occurred = iso(utcnow().replace(microsecond=0) - timedelta(hours=1))

    def post(kind, card, fault, **kw):
        body = {"id": str(uuid.uuid4()), "kind": kind, "card_id": card["id"], "fault_code": fault}
        r = clerk.post("/api/v1/service-events", json={**body, "occurred_at": occurred, **kw})
        assert r.status_code == 201, r.json

    post("return", sold[0], "screen")
    unit = {"id": str(uuid.uuid4()), "imei": make_imei(P30_TAC, 799), "product_id": world.product.id}
    post("exchange", sold[1], "battery", new_card={**unit, "serial_number": "SN-NEW-799"})
    post("repair", sold[2], "screen", repair_partner_id=world.partner.id)

    r = api(world.hq).get(f"{BASE}/models?since={bought}&until={bought}")
    (row,) = r.json
    # 4 units sold (the exchange's new card is the same sale); 1 / 4 × 1000 = 250.0 each
    assert (row["units_sold"], row["returns"], row["exchanges"], row["repairs"]) == (4, 1, 1, 1)
    assert (row["return_per_1000"], row["exchange_per_1000"], row["repair_per_1000"]) == (250.0, 250.0, 250.0)
    assert [(f["code"], f["count"]) for f in row["top_faults"]] == [("screen", 2), ("battery", 1)]
    (region,) = api(world.hq).get(f"{BASE}/regions?since={bought}&until={bought}").json
    assert (region["region_id"], region["units_sold"], region["returns"]) == (world.region_a.id, 4, 1)
    (week,) = [w for w in api(world.hq).get(f"{BASE}/weekly?weeks=2").json if w["units_sold"]]
    assert (week["week"], week["units_sold"], week["exchanges"]) == (week_start(bought).isoformat(), 4, 1)


# --- bad queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("models?since=2026-03-10&until=2026-03-09", 422, "range.until_before_since"),
        ("regions?since=2026-03-10&until=2026-03-09", 422, "range.until_before_since"),
        ("export.csv?since=2026-03-10&until=2026-03-09", 422, "range.until_before_since"),
        ("models?since=yesterday", 422, None),
        ("models?since=1999-12-31", 422, None),
        ("weekly?weeks=0", 422, None),
        ("weekly?weeks=105", 422, None),
        ("weekly?weeks=twelve", 422, None),
        ("weekly?product_id=999999", 404, "product.not_found"),
        ("regions?product_id=999999", 404, "product.not_found"),
        ("models?region_id=999999", 404, "region.not_found"),
        ("models?region_id=99999999999", 422, None),
        ("alerts?region_id=-1", 404, "region.not_found"),
        ("export.csv?lang=fr", 422, None),
    ],
)
def test_bad_queries_are_refused_with_a_4xx(world, api, path, status, reason):
    r = api(world.hq).get(f"{BASE}/{path}")
    assert r.status_code == status, r.get_data(as_text=True)
    if reason is not None:
        assert r.json["reason"] == reason
