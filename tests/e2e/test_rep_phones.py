"""The visit's phones step (issue 16: 手机库存与销量), end to end: a real browser on a phone viewport,
the built PWA, the real server. Offline, the rep opens the step (folded: a visit that skips it
costs no tap), taps "out of stock" on our P30, types the units the promoter says were sold since
the last report and taps a band for a competitor's sales this week; back online, the outbox
drains and the server holds exactly those three records, once. Then the stock-out alert the
count raises reaches the rep's Today card (entity `channel_alert`), naming the store and the
model, and leads to the store."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.channel.alerts import stock_out_alerts
from backend.channel.models import ChannelAlert, SellOutCell, StoreSellOutWeek
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.intel.models import PriceObservation
from backend.sellout.models import CompetitorSellOut, SellOutReport, ShopStockCount
from backend.visits.models import Visit

from .conftest import login, shot, wait_until
from .test_rep_visit import SYNC_TIMEOUT_MS, open_step, sync_status, wait_synced

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the phones' time zone (conftest: timezone_id)


def phone_today() -> date:
    return datetime.now(SHANGHAI).date()


def screen(page, testid: str, name: str) -> None:
    """With E2E_SCREENSHOTS=<dir>: what the phone shows (393×851) with `testid` at the top."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.locator(f"[data-testid={testid}]").evaluate("el => { el.scrollIntoView(); window.scrollBy(0, -120); }")
        page.screenshot(path=str(Path(folder) / f"{name}-phone.png"))


@pytest.fixture
def phones_world(e2e_world):
    """rep_a1 priced OPPO Reno 12 at store A1 last week: the price grid lists it for A1, and so
    does the phones step's competitor grid."""
    world = e2e_world
    db.session.add(
        PriceObservation(
            id=uuid.uuid4(),
            rep_id=world.rep_a1.id,
            store_id=world.store_a1.id,
            competitor_model_id=world.competitor_model.id,
            shelf_price=Decimal("2599.00"),
            promo_text="",
            observed_at=utcnow() - timedelta(days=7),
        )
    )
    db.session.commit()
    return world


def check_in(page, store) -> str:
    page.goto(f"/#/store/{store.id}")
    page.locator("[data-testid=check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    return page.locator("[data-testid=visit-screen]").get_attribute("data-visit-id")


def records_of(visit_id: str):
    vid = uuid.UUID(visit_id)
    return [
        db.session.scalars(select(model).where(model.visit_id == vid)).all()
        for model in (ShopStockCount, SellOutReport, CompetitorSellOut)
    ]


def record_phones(page, world) -> None:
    """Out of stock of P30, 6 sold since the last report (promoter), Reno 12 "6-20" this week."""
    step = open_step(page, "step-phones")
    pid, cid = world.product.id, world.competitor_model.id
    stock = step.locator(f"[data-testid=phone-stock-row][data-product-id='{pid}']")
    sold = step.locator(f"[data-testid=phone-sold-row][data-product-id='{pid}']")
    rival = step.locator(f"[data-testid=phone-rival-row][data-model-id='{cid}']")
    expect(stock).to_have_attribute("data-recorded", "false")
    # A count typed, then "out of stock" tapped at once: the tap decides, one count of 0 (leaving
    # the field for the button records nothing of its own).
    stock.locator("[data-testid=phone-stock-input]").fill("3")
    stock.locator("[data-testid=phone-out]").click()
    expect(stock).to_have_attribute("data-recorded", "true")
    expect(stock.locator("[data-testid=phone-out]")).to_have_attribute("aria-pressed", "true")
    expect(stock.locator("[data-testid=phone-stock-input]")).to_have_value("0")
    # No earlier report of P30 here: the period is the last 7 days, today and the 6 before it.
    expect(sold).to_have_attribute("data-since", (phone_today() - timedelta(days=6)).isoformat())
    assert step.locator("[data-testid=phone-sold-source]").input_value() == "promoter"
    field = sold.locator("[data-testid=phone-sold-input]")
    assert field.get_attribute("inputmode") == "numeric"
    field.fill("6")
    field.press("Enter")
    expect(sold).to_have_attribute("data-recorded", "true")
    # A number typed, then a band tapped instead: the band is the one estimate.
    rival.locator("[data-testid=phone-rival-input]").fill("12")
    rival.locator("[data-band='6-20']").click()
    expect(rival).to_have_attribute("data-recorded", "true")
    expect(rival.locator("[data-band='6-20']")).to_have_attribute("aria-pressed", "true")
    for row in (stock, sold, rival):
        assert row.bounding_box()["height"] >= 44


def test_offline_phones_step_syncs_exactly_once(phone, phones_world):
    world = phones_world
    page = phone().new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    page.context.set_offline(True)
    expect(sync_status(page)).to_have_attribute("data-state", "offline")

    visit_id = check_in(page, world.store_a1)
    step = page.locator("[data-testid=step-phones]")
    # Folded: the visit shows the step's title only, until the rep opens it.
    assert step.get_attribute("open") is None
    expect(step.locator("summary")).to_contain_text("手机库存与销量")
    record_phones(page, world)
    page.wait_for_timeout(2500)  # past the typing pause: nothing more records itself
    expect(step.locator("summary .tag-ok")).to_be_visible()
    # Recorded on the phone, waiting for the sync: each row says so.
    expect(step.locator("[data-testid=phone-waiting]")).to_have_count(3)
    expect(page.locator("[data-testid=checkout-summary] [data-summary=phones]")).to_have_text("3")
    shot(page, "phones-01-zh-recorded")
    screen(page, "step-phones", "phones-01-zh-recorded")

    db.session.rollback()
    assert db.session.get(Visit, uuid.UUID(visit_id)) is None  # offline: nothing reached the server

    page.goto("/#/outbox")
    entries = page.locator("[data-testid=outbox-pending] [data-testid=outbox-entry]")
    expect(entries).to_have_count(4)  # check-in + 3
    expect(entries.nth(1)).to_contain_text("缺货")
    expect(entries.nth(2)).to_contain_text("售出 6 台")
    expect(entries.nth(3)).to_contain_text("6-20")
    page.context.set_offline(False)
    expect(page.locator("[data-testid=outbox-empty]")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    wait_synced(page)

    counts, reports, estimates = wait_until(
        lambda: all(records_of(visit_id)) and records_of(visit_id), message="the three records"
    )
    today = phone_today()
    assert [(c.store_id, c.product_id, c.on_hand, c.demo_unit, c.rep_id) for c in counts] == [
        (world.store_a1.id, world.product.id, 0, None, world.rep_a1.id)
    ]
    assert [(r.product_id, r.units, r.period_start, r.period_end, r.source) for r in reports] == [
        (world.product.id, 6, today - timedelta(days=6), today, "promoter")
    ]
    assert [(e.competitor_model_id, e.week_start, e.units, e.band, e.source) for e in estimates] == [
        (world.competitor_model.id, today - timedelta(days=today.weekday()), None, "6-20", "promoter")
    ]

    # Pulled back, the step shows them as recorded (synced, not pending) after a reload.
    page.goto(f"/#/visit/{visit_id}")
    step = open_step(page, "step-phones")
    expect(step.locator("[data-testid=phone-stock-row][data-recorded=true]")).to_have_count(1)
    expect(step.locator("[data-testid=phone-rival-row][data-recorded=true]")).to_have_count(1)
    expect(step.locator("[data-testid=phone-sold-row][data-recorded=true]")).to_have_count(1)
    expect(step.locator("[data-testid=phone-waiting]")).to_have_count(0)


def seed_region_sales(world, units_a_week: int = 5) -> None:
    """P30 sold in region A over the last 4 complete weeks: the region sells it. The region's
    cells (the screens' figures) and a store-week of the store (what a stock-out's "the region
    sells it" reads since alerts.region_units: cards where a clerk registers them, else the
    declared units — both 5 here, so either way 5 a week)."""
    this_week = phone_today() - timedelta(days=phone_today().weekday())
    for i in range(1, 5):
        week = this_week - timedelta(weeks=i)
        db.session.add(
            SellOutCell(
                region_id=world.region_a.id,
                model_key=f"p{world.product.id}",
                week_start=week,
                card_units=units_a_week,
            )
        )
        db.session.add(
            StoreSellOutWeek(
                store_id=world.store_a1.id,
                model_key=f"p{world.product.id}",
                week_start=week,
                card_units=units_a_week,
                declared_units=units_a_week,
                declared_reports=1,
            )
        )
    db.session.commit()


# What the card and the step say in each language (the store's and the model's names are Chinese).
LANGUAGES = {
    "zh-CN": {
        "step": "手机库存与销量",
        "alert": "{store}：星澜 P30 缺货，本区域在售 — 补货",
        "sales": "本区域每周售出 5 台",
    },
    "en-US": {
        "step": "Phones: stock & sales",
        "alert": "{store}: 星澜 P30 out of stock, selling in the region — restock",
        "sales": "The region sells 5 a week",
    },
}


@pytest.mark.parametrize("locale", LANGUAGES)
def test_stock_out_reaches_today(phone, phones_world, locale):
    """The stock-out syncs, the alert job runs, the next pull brings the alert to Today: in either
    language, naming the store and the model, the region's weekly sales (4 weeks of 5 cards: 5)."""
    words = LANGUAGES[locale]
    world = phones_world
    seed_region_sales(world)
    page = phone(locale=locale).new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    expect(page.locator("[data-testid=stock-outs]")).to_have_count(0)  # none yet: nothing drawn
    check_in(page, world.store_a1)
    step = page.locator("[data-testid=step-phones]")
    expect(step.locator("summary")).to_contain_text(words["step"])
    record_phones(page, world)
    # A demo phone on the counter, said after the count: the count again with the answer.
    demo = step.locator(f"[data-testid=phone-stock-row][data-product-id='{world.product.id}'] [data-testid=phone-demo]")
    demo.click()
    expect(demo).to_have_attribute("aria-pressed", "true")
    screen(page, "step-phones", f"phones-02-{locale}-recorded")
    wait_synced(page)
    counts = wait_until(
        lambda: (
            (rows := db.session.scalars(select(ShopStockCount).order_by(ShopStockCount.counted_at)).all())
            and len(rows) == 2
            and rows
        ),
        message="the two counts",
    )
    assert [(c.on_hand, c.demo_unit) for c in counts] == [(0, None), (0, True)]

    # The alert job's work (check_store_stock), run here rather than waiting for its delay; it is
    # idempotent, so the job the push asked for adds nothing when it runs too.
    stock_out_alerts(world.store_a1.id)
    db.session.commit()
    alerts = wait_until(
        lambda: db.session.scalars(select(ChannelAlert).where(ChannelAlert.store_id == world.store_a1.id)).all(),
        message="the stock-out alert",
    )
    assert [(a.kind, a.product_id) for a in alerts] == [("stock_out", world.product.id)]

    # The next sync brings it: the sync bar's "sync now" (a pull started before the alert was
    # committed brings nothing, so ask again until it comes, as a rep would).
    page.goto("/#/today")
    card = page.locator("[data-testid=stock-outs]")
    sync_now = page.locator("[data-testid=sync-last] + button")
    for attempt in range(6):
        wait_synced(page)
        sync_now.click()
        try:
            expect(card).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            if attempt == 5:
                raise
    item = card.locator("[data-testid=stock-out]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(words["alert"].format(store=world.store_a1.name))
    expect(item).to_contain_text(words["sales"])
    shot(page, f"phones-03-{locale}-today")
    screen(page, "stock-outs", f"phones-03-{locale}-today")
    item.click()
    expect(page).to_have_url(f"{page.url.split('#')[0]}#/store/{world.store_a1.id}")
