"""The quality and training-coverage screens, end to end: a real browser (Debian's Chromium) on a
desk (1280×800) runs the built PWA against the real server, on rows written as the services
write them (warranty cards, 三包 service events, training topics, sessions with attendance and
quiz scores, a shop stock count).

The data (figures worked out by hand):
- a new model XL-P40, launched 21 days ago: 60 cards bought last week's Monday — 40 at store A1
  (region A), 20 at B1 (region B). Region A: 3 returns (screen, screen, battery) and 1 exchange
  (screen); region B: 1 return (battery) and 1 repair (camera). So P40: 60 units, 4 returns = 66.7
  per 1,000, 1 exchange = 16.7, 1 repair = 16.7; top faults screen 3, battery 2, camera 1; returns
  and exchanges (4 + 1) / 60 × 1000 = 83.3 per 1,000 > the default threshold 30 with 60 ≥ 50
  units, in its first 8 weeks: an early-life alert. Region A: 40 units, 75 / 25 / 0 per 1,000;
  region B: 20 units, 50 / 0 / 50.
- the old model XL-P30 (launched in March): 10 cards at A1 the same day, no event: 0 per 1,000, no
  alert.
- training topics, both current: T1 "P40 卖点" (the P40's, a 3-question quiz) and T2, a promotion
  without quiz. Active stores: A1, A1b, A2 (region A) and B1 (region B) = 4; promoters: 2 at A1,
  1 at A2, 1 at B1 = 4 (A1b has a store manager only). T1 trained at A1 (promoters scoring 2/3 and
  3/3) and at B1 (1/3): stores 2 / 4, promoters 3 / 4, average (66.7 + 100 + 33.3) / 3 = 66.7%;
  region A 1 / 3 stores at 83.3%, region B 1 / 1 at 33.3%. T2 at A2 (its promoter): 1 / 4 stores,
  1 / 4 promoters, no quiz.
- the gaps: the P40 is on the shelf at A1 and B1 (cards) and A2 (a count of 3); A1 and B1 had T1;
  A2 had T2 only: one gap, A2 / P40.

HQ sees all of it in zh-CN and in English; region B's manager sees region B's quality figures
only; region A's manager sees the A2 gap and opens the store from it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.aftersales.models import FaultCode, QualityAlert, ServiceEvent
from backend.catalogue.models import Product
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.sellout.models import ShopStockCount
from backend.stores.models import StoreContact
from backend.training.models import TrainingAttendance, TrainingSession, TrainingTopic
from backend.warranty.models import WarrantyCard
from backend.warranty.service import business_today
from tests.factories import PASSWORD
from tests.factories import imei as make_imei

from .conftest import TIMEOUT_MS, login, shot

pytestmark = pytest.mark.slow

DESK = {"viewport": {"width": 1280, "height": 800}}
P40_TAC = "86099990"

FAULTS = [
    ("screen", "屏幕", "Screen"),
    ("battery", "电池", "Battery"),
    ("camera", "摄像头", "Camera"),
    ("no_fault", "无理由", "No fault"),
]
QUIZ = [
    {"question": f"问题{i}", "question_en": f"Question {i}", "choices": ["甲", "乙", "丙"], "answer": 0}
    for i in range(1, 4)
]


def desk(browser, live_server, locale="zh-CN"):
    context = browser.new_context(
        **DESK, base_url=live_server, locale=locale, timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.on("console", lambda msg: print(f"[browser {msg.type}] {msg.text}"))
    context.on("weberror", lambda err: print(f"[browser error] {err.error}"))
    return context


def noon(day):
    """Noon in Shanghai of `day` as the naive UTC the models keep (04:00 UTC)."""
    return datetime.combine(day, time(4, 0))


def arrange(world):
    """The rows the services write, as the module docstring counts them."""
    today = business_today()
    bought = today - timedelta(days=today.weekday() + 7)  # last week's Monday
    p40 = Product(
        model_code="XL-P40",
        name="星澜 P40",
        name_en="Xinglan P40",
        launch_date=today - timedelta(days=21),
        list_price=Decimal("3499.00"),
        tac_codes=[P40_TAC],
    )
    codes = {
        c: FaultCode(code=c, name=n, name_en=e, is_fault=c != "no_fault", position=i)
        for i, (c, n, e) in enumerate(FAULTS)
    }
    db.session.add_all([p40, *codes.values()])
    db.session.flush()

    def card(product, store, clerk, n, tac):
        c = WarrantyCard(
            id=uuid.uuid4(),
            imei=make_imei(tac, n),
            product_id=product.id,
            serial_number=f"SN{n:08d}",
            buyer_name="张三丰",
            buyer_phone="138 1234 5678",
            invoice_number=f"FP-{n:06d}",
            purchase_date=bought,
            store_id=store.id,
            registered_by=clerk.id,
            registered_at=noon(bought),
        )
        db.session.add(c)
        return c

    a_cards = [card(p40, world.store_a1, world.clerk_a1, n, P40_TAC) for n in range(1, 41)]
    b_cards = [card(p40, world.store_b1, world.clerk_b1, n, P40_TAC) for n in range(41, 61)]
    for n in range(61, 71):
        card(world.product, world.store_a1, world.clerk_a1, n, "86012345")
    db.session.flush()

    def event(kind, c, region, clerk, fault):
        occurred = noon(bought + timedelta(days=2))
        terms = {
            "return_until": (bought + timedelta(days=7)).isoformat(),
            "exchange_until": (bought + timedelta(days=15)).isoformat(),
            "repair_until": bought.replace(year=bought.year + 1).isoformat(),
        }
        if kind in ("return", "exchange"):
            c.closed_at = occurred
            c.closed_kind = "returned" if kind == "return" else "exchanged"
        db.session.add(
            ServiceEvent(
                id=uuid.uuid4(),
                kind=kind,
                card_id=c.id,
                store_id=c.store_id,
                region_id=region.id,
                product_id=c.product_id,
                purchase_date=c.purchase_date,
                fault_code_id=codes[fault].id,
                occurred_at=occurred,
                occurred_on=occurred.date(),
                repair_partner_id=world.partner.id if kind == "repair" else None,
                terms=terms,
                recorded_by=clerk.id,
            )
        )

    event("return", a_cards[0], world.region_a, world.clerk_a1, "screen")
    event("return", a_cards[1], world.region_a, world.clerk_a1, "screen")
    event("return", a_cards[2], world.region_a, world.clerk_a1, "battery")
    event("exchange", a_cards[3], world.region_a, world.clerk_a1, "screen")
    event("return", b_cards[0], world.region_b, world.clerk_b1, "battery")
    event("repair", b_cards[1], world.region_b, world.clerk_b1, "camera")

    # --- training -----------------------------------------------------------------------------
    t1 = TrainingTopic(
        code="P40-SELL",
        title="P40 卖点",
        title_en="P40 selling points",
        kind="product",
        product_id=p40.id,
        starts_on=today - timedelta(days=20),
        ends_on=today + timedelta(days=40),
        quiz=QUIZ,
    )
    t2 = TrainingTopic(
        code="PROMO-1212",
        title="双十二促销政策",
        title_en="Double 12 promotion",
        kind="promotion",
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=10),
        quiz=[],
    )
    db.session.add_all([t1, t2])

    def contact(store, name, role="promoter"):
        c = StoreContact(id=uuid.uuid4(), store_id=store.id, name=name, role=role, phone="")
        db.session.add(c)
        return c

    p1, p2 = contact(world.store_a1, "李导购"), contact(world.store_a1, "王导购")
    p3, p4 = contact(world.store_a2, "赵导购"), contact(world.store_b1, "陈导购")
    contact(world.store_a1b, "刘店长", "store_manager")
    db.session.flush()

    def session(topic, store, rep, attendees):
        held = noon(today - timedelta(days=3))
        s = TrainingSession(
            id=uuid.uuid4(),
            rep_id=rep.id,
            store_id=store.id,
            topic_id=topic.id,
            held_at=held,
            held_on=held.date(),
            duration_minutes=30,
        )
        db.session.add(s)
        db.session.flush()
        for person, answers in attendees:
            score = None if answers is None else sum(1 for i, a in enumerate(answers) if a == QUIZ[i]["answer"])
            db.session.add(
                TrainingAttendance(
                    session_id=s.id,
                    contact_id=person.id,
                    answers=answers,
                    score=score,
                    quiz_size=None if answers is None else len(QUIZ),
                )
            )

    session(t1, world.store_a1, world.rep_a1, [(p1, [0, 0, 1]), (p2, [0, 0, 0])])  # 2/3, 3/3
    session(t1, world.store_b1, world.rep_b1, [(p4, [0, 2, 1])])  # 1/3
    session(t2, world.store_a2, world.rep_a2, [(p3, None)])
    counted = utcnow().replace(microsecond=0) - timedelta(days=2)
    db.session.add(
        ShopStockCount(
            id=uuid.uuid4(),
            rep_id=world.rep_a2.id,
            store_id=world.store_a2.id,
            product_id=p40.id,
            on_hand=3,
            counted_at=counted,
        )
    )
    db.session.commit()
    settle_quality_alerts()
    return p40, t1, t2, bought


def settle_quality_alerts(timeout: float = 60.0) -> None:
    """The early-life alert is raised by a job the commit asked for (aftersales/quality_alerts.py):
    dispatch it (a request's end would) and wait until it has run (with a worker; without one it
    ran here)."""
    from time import monotonic, sleep

    from sqlalchemy import select

    from backend.jobs import run_ready_jobs
    from backend.jobs.models import OPEN_STATES, OutboxJob

    run_ready_jobs()
    deadline = monotonic() + timeout
    name = "backend.aftersales.quality_alerts:check_quality"
    while True:
        db.session.rollback()
        if (
            db.session.scalar(select(OutboxJob.id).where(OutboxJob.name == name, OutboxJob.state.in_(OPEN_STATES)))
            is None
        ):
            return
        assert monotonic() < deadline, "the quality alert job is still open"
        sleep(0.1)


def hq_login(page):
    page.goto("/")
    page.locator("input[name=username]").fill("hq")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("[data-testid=login-form] button[type=submit]").click()
    expect(page.locator("[data-testid=imports-screen]")).to_be_visible()


TEXT = {
    "zh-CN": {
        "faults": "屏幕 3 · 电池 2 · 摄像头 1",
        "noQuiz": "无测验",
        "topic": "P40 卖点",
        "nav": ("质量", "培训覆盖"),
        "gapsNone": "没有缺口",
        "noneOpen": "没有待确认的早期质量预警。",
        "acked": "已于",
    },
    "en": {
        "faults": "Screen 3 · Battery 2 · Camera 1",
        "noQuiz": "no quiz",
        "topic": "P40 selling points",
        "nav": ("Quality", "Training"),
        "gapsNone": "No gaps",
        "noneOpen": "No early-life alert waits to be acknowledged.",
        "acked": "Acknowledged",
    },
}


def cells(row, **expected):
    for testid, text in expected.items():
        expect(row.locator(f"[data-testid={testid.replace('_', '-')}]")).to_have_text(text)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_hq_quality_and_training_coverage(app, browser, live_server, e2e_world, locale):
    world = e2e_world
    p40, t1, t2, bought = arrange(world)
    text = TEXT[locale]
    context = desk(browser, live_server, locale)
    try:
        page = context.new_page()
        hq_login(page)
        expect(page.locator("[data-testid=hq-nav-quality]")).to_have_text(text["nav"][0])
        expect(page.locator("[data-testid=hq-nav-training]")).to_have_text(text["nav"][1])

        # --- quality by model ---------------------------------------------------------------------
        page.locator("[data-testid=hq-nav-quality]").click()
        alerts = page.locator("[data-testid=quality-alert]")
        expect(alerts).to_have_count(1)
        expect(alerts.first).to_have_attribute("data-product", str(p40.id))
        expect(alerts.first).to_contain_text("XL-P40")
        expect(alerts.first).to_contain_text("83.3")  # (4 + 1) / 60 × 1000
        rows = page.locator("[data-testid=quality-row]")
        expect(rows).to_have_count(2)
        expect(rows.first).to_have_attribute("data-product", str(p40.id))  # 60 units before 10
        p40_row = page.locator(f"[data-testid=quality-row][data-product='{p40.id}']")
        cells(p40_row, q_units="60", q_returns="4", q_return_rate="66.7", q_exchanges="1", q_exchange_rate="16.7")
        cells(p40_row, q_repairs="1", q_repair_rate="16.7", q_faults=text["faults"])
        expect(p40_row.locator("[data-testid=q-alert-tag]")).to_be_visible()
        p30_row = page.locator(f"[data-testid=quality-row][data-product='{world.product.id}']")
        cells(p30_row, q_units="10", q_returns="0", q_return_rate="0", q_repair_rate="0", q_faults="–")
        expect(p30_row.locator("[data-testid=q-alert-tag]")).to_have_count(0)

        # The alerted model opens first: its purchase week and its regions.
        detail = page.locator("[data-testid=quality-detail]")
        expect(detail).to_have_attribute("data-product", str(p40.id))
        week = page.locator(f"[data-testid=quality-week-row][data-week='{bought.isoformat()}']")
        cells(week, q_units="60", q_returns="4", q_return_rate="66.7", q_repairs="1")
        chart = page.locator("[data-testid=quality-chart]")
        expect(chart).to_have_attribute("data-ready", "true")
        expect(chart.locator("canvas")).to_have_count(1)
        region_a = page.locator(f"[data-testid=quality-region-row][data-region='{world.region_a.id}']")
        cells(region_a, q_units="40", q_returns="3", q_return_rate="75", q_exchange_rate="25", q_repair_rate="0")
        region_b = page.locator(f"[data-testid=quality-region-row][data-region='{world.region_b.id}']")
        cells(region_b, q_units="20", q_returns="1", q_return_rate="50", q_exchange_rate="0", q_repair_rate="50")
        shot(page, f"quality-01-hq-{locale}")

        # Ordered by return rate; the old model's row opens its own detail.
        page.locator("[data-testid=quality-sort] [data-sort=return]").click()
        expect(rows.first).to_have_attribute("data-product", str(p40.id))
        p30_row.click()
        expect(detail).to_have_attribute("data-product", str(world.product.id))
        expect(page.locator("[data-testid=quality-chart]")).to_have_attribute("data-ready", "true")
        alerts.first.locator("[data-testid=quality-alert-open]").click()  # the alert opens its model
        expect(detail).to_have_attribute("data-product", str(p40.id))

        # The server's CSV (fetched with the token): UTF-8 with a BOM, the model in it.
        with page.expect_download() as download:
            page.locator("[data-testid=quality-csv]").click()
        raw = open(download.value.path(), "rb").read()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert "XL-P40" in raw.decode("utf-8-sig")

        # HQ acknowledges the alert: stored with who and when, gone from the open ones (the tag too),
        # shown as acknowledged under "all".
        stored = db.session.scalars(select(QualityAlert).where(QualityAlert.product_id == p40.id)).one()
        assert stored.acknowledged_at is None
        alerts.first.locator("[data-testid=quality-alert-ack]").click()
        expect(alerts).to_have_count(0)
        expect(page.locator("[data-testid=quality-alerts-none]")).to_have_text(text["noneOpen"])
        expect(p40_row.locator("[data-testid=q-alert-tag]")).to_have_count(0)
        db.session.rollback()
        db.session.refresh(stored)
        assert stored.acknowledged_at is not None
        assert stored.acknowledged_by == world.hq.id
        page.locator("[data-testid=quality-alerts-which] [data-acknowledged='']").click()
        expect(alerts).to_have_count(1)
        expect(alerts.first).to_have_attribute("data-acknowledged", "true")
        expect(alerts.first.locator("[data-testid=quality-alert-acked]")).to_contain_text(text["acked"])
        expect(alerts.first.locator("[data-testid=quality-alert-ack]")).to_have_count(0)
        expect(p40_row.locator("[data-testid=q-alert-tag]")).to_have_count(0)  # tagged while open only
        shot(page, f"quality-01b-acknowledged-{locale}")

        # Region B only: its 20 units, 1 return, 1 repair.
        page.locator("[data-testid=filter-region]").select_option(str(world.region_b.id))
        cells(p40_row, q_units="20", q_returns="1", q_return_rate="50", q_repair_rate="50")
        expect(page.locator(f"[data-testid=quality-row][data-product='{world.product.id}']")).to_have_count(0)

        # --- training coverage --------------------------------------------------------------------
        page.locator("[data-testid=hq-nav-training]").click()
        cov = page.locator("[data-testid=coverage-row]")
        expect(cov).to_have_count(2)
        expect(cov.first).to_have_attribute("data-topic", str(t2.id))  # 1 / 4 stores: least covered first
        row1 = page.locator(f"[data-testid=coverage-row][data-topic='{t1.id}']")
        expect(row1).to_contain_text(text["topic"])
        expect(row1.locator("[data-testid=cov-stores]")).to_have_attribute("data-part", "2")
        expect(row1.locator("[data-testid=cov-stores]")).to_have_attribute("data-total", "4")
        expect(row1.locator("[data-testid=cov-stores]")).to_contain_text("2 / 4")
        expect(row1.locator("[data-testid=cov-promoters]")).to_contain_text("3 / 4")
        expect(row1.locator("[data-testid=cov-score]")).to_have_text("66.7%")
        row2 = page.locator(f"[data-testid=coverage-row][data-topic='{t2.id}']")
        expect(row2.locator("[data-testid=cov-stores]")).to_contain_text("1 / 4")
        expect(row2.locator("[data-testid=cov-promoters]")).to_contain_text("1 / 4")
        expect(row2.locator("[data-testid=cov-score]")).to_have_text(text["noQuiz"])
        row1.locator("[data-testid=coverage-expand]").click()
        ra = page.locator(f"[data-testid=coverage-region-row][data-region='{world.region_a.id}']")
        expect(ra.locator("[data-testid=cov-region-stores]")).to_contain_text("1 / 3")
        expect(ra.locator("[data-testid=cov-region-score]")).to_have_text("83.3%")
        rb = page.locator(f"[data-testid=coverage-region-row][data-region='{world.region_b.id}']")
        expect(rb.locator("[data-testid=cov-region-stores]")).to_contain_text("1 / 1")
        expect(rb.locator("[data-testid=cov-region-score]")).to_have_text("33.3%")

        gaps = page.locator("[data-testid=gap-row]")
        expect(gaps).to_have_count(1)
        expect(gaps.first).to_have_attribute("data-store", str(world.store_a2.id))
        expect(gaps.first).to_have_attribute("data-product", str(p40.id))
        expect(gaps.first).to_contain_text(world.store_a2.name)
        expect(gaps.first).to_contain_text("XL-P40")
        expect(gaps.first).to_contain_text(text["topic"])
        expect(gaps.first.locator("[data-testid=gap-store-link]")).to_have_count(0)  # HQ's desk has no store page
        with page.expect_download() as download:
            page.locator("[data-testid=gaps-csv]").click()
        lines = open(download.value.path(), "rb").read().decode("utf-8-sig").splitlines()
        assert len(lines) == 2 and world.store_a2.name in lines[1] and "XL-P40" in lines[1], lines
        shot(page, f"quality-02-training-hq-{locale}")
    finally:
        context.close()


def test_managers_see_their_region(app, browser, live_server, e2e_world):
    world = e2e_world
    p40, t1, _t2, _bought = arrange(world)

    # Region B's manager: region B's quality figures only, no region filter.
    context = desk(browser, live_server)
    try:
        page = context.new_page()
        login(page, world.manager_b.username)
        page.goto("/#/quality")
        row = page.locator(f"[data-testid=quality-row][data-product='{p40.id}']")
        cells(row, q_units="20", q_returns="1", q_return_rate="50", q_exchanges="0", q_repair_rate="50")
        expect(page.locator("[data-testid=filter-region]")).to_have_count(0)
        expect(page.locator("[data-testid=quality-chart]")).to_have_attribute("data-ready", "true")
        shot(page, "quality-03-manager-b")
        page.locator("[data-testid=mgr-nav-training]").click()
        row1 = page.locator(f"[data-testid=coverage-row][data-topic='{t1.id}']")
        expect(row1.locator("[data-testid=cov-stores]")).to_contain_text("1 / 1")
        expect(row1.locator("[data-testid=cov-score]")).to_have_text("33.3%")
        expect(page.locator("[data-testid=gaps-none]")).to_contain_text(TEXT["zh-CN"]["gapsNone"])
    finally:
        context.close()

    # Region A's manager: the A2 gap, which opens the store.
    context = desk(browser, live_server, "en")
    try:
        page = context.new_page()
        login(page, world.manager_a.username)
        page.goto("/#/training")
        # Region A: T1 at A1 of its 3 stores, 2 of its 3 promoters, (2/3 + 3/3) / 2 = 83.3%.
        row1 = page.locator(f"[data-testid=coverage-row][data-topic='{t1.id}']")
        expect(row1.locator("[data-testid=cov-stores]")).to_contain_text("1 / 3")
        expect(row1.locator("[data-testid=cov-promoters]")).to_contain_text("2 / 3")
        expect(row1.locator("[data-testid=cov-score]")).to_have_text("83.3%")
        expect(page.locator("[data-testid=coverage-expand]")).to_have_count(0)  # one region: no breakdown
        gaps = page.locator("[data-testid=gap-row]")
        expect(gaps).to_have_count(1)
        expect(gaps.first).to_have_attribute("data-store", str(world.store_a2.id))
        shot(page, "quality-04-manager-a-training")
        gaps.first.locator("[data-testid=gap-store-link]").click()
        expect(page).to_have_url(f"{page.url.split('#')[0]}#/store/{world.store_a2.id}")
        expect(page.locator("body")).to_contain_text(world.store_a2.name)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("locale", "message", "backwards"),
    [("zh-CN", "重试", "结束日期早于开始日期。"), ("en", "Retry", "The end date is before the start date.")],
)
def test_quality_says_when_the_server_fails(app, browser, live_server, e2e_world, locale, message, backwards):
    """A failing model list is said with a retry (never an endless "Loading…"), in either language;
    the retry shows the table once the server answers. A period that ends before it starts is the
    server's refusal, said in the user's language."""
    context = desk(browser, live_server, locale)
    try:
        page = context.new_page()
        failing = {"on": True}

        def models(route):
            if failing["on"]:
                route.fulfill(status=503, content_type="application/json", body='{"message": "down"}')
            else:
                route.continue_()

        page.route("**/api/v1/quality/models*", models)
        hq_login(page)
        page.goto("/#/quality")
        banner = page.locator("[data-testid=quality-screen] .banner-err")
        expect(banner).to_be_visible()
        expect(banner.locator("button")).to_have_text(message)
        expect(page.locator("[data-testid=quality-empty]")).to_have_count(0)  # no "Loading…", no "nothing sold"
        failing["on"] = False
        banner.locator("button").click()
        expect(page.locator("[data-testid=quality-screen] .banner-err")).to_have_count(0)
        expect(page.locator("[data-testid=quality-empty]")).to_be_visible()  # no cards: said plainly

        page.locator("[data-testid=filter-since]").fill("2099-01-01")
        expect(page.locator("[data-testid=quality-screen] .banner-err").first).to_contain_text(backwards)
        expect(page.locator("[data-testid=quality-empty]")).to_have_count(0)
    finally:
        context.close()
