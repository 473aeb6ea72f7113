"""The channel screens, end to end: a real browser (Debian's Chromium) on a desktop viewport runs
the built PWA against the real server, on data that came in as it does in production — HQ's
shipment CSV through the import job, the clerk's warranty cards through the API — and the
rollups the server keeps from them.

The data (figures worked out by hand):
- region A (GD), partner 苏宁易购: 6 units of P30 shipped 120 days ago (older than the default
  aging of 90 days) and 4 shipped 20 days ago; region B (GX): 3 units shipped 10 days ago.
- the clerk of store A1 (region A) registers 4 cards last Friday (inside the last 4 complete
  weeks): 1 unit of the old shipment, 3 of the new one.
So region A: shipped 10, sold 4, stock 6, sell-out 4 units / 4 weeks = 1 a week, 6 weeks of cover
(in range: green), 5 aging units (the old shipment's 6 − 1); region B: shipped 3, sold 0, stock 3,
no sell-out (cover unknown), nothing aging.

HQ opens the channel: the regions' table shows those figures, the map a circle per region; a click
on region A opens its partners; the aging tab lists the one old cohort with 5 unsold units, and
opening it lists exactly the 5 unsold IMEIs; its CSV keeps the IMEIs as text; the sell-through
tab charts the model's weeks with last week's 4 cards in the table. The manager of
region B sees region B's stock only, and no aging (region A's).

Then the rep of store A1 counts 0 P30 there (the region sold 4 last week, at least the default 3
a stock-out needs): the server raises a stock-out alert; region A's manager sees it counted on
their Channel tab and listed; HQ sees its count on the nav, lists it
with the store, the count of 0 and the region's channel stock (6), and acknowledges it; the count
goes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.channel.models import ChannelAlert
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.warranty.service import business_today
from tests.factories import P30_TAC, PASSWORD, ApiClient, iso
from tests.factories import imei as make_imei
from tests.warranty.helpers import card_body, csv_bytes, register, run_import, shipment_row

from .conftest import TIMEOUT_MS, login, shot, wait_until

pytestmark = pytest.mark.slow

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
OLD = [make_imei(P30_TAC, n) for n in range(1, 7)]  # region A, 120 days ago
NEW = [make_imei(P30_TAC, n) for n in range(11, 15)]  # region A, 20 days ago
GX = [make_imei(P30_TAC, n) for n in range(21, 24)]  # region B, 10 days ago
SOLD = [OLD[0], NEW[0], NEW[1], NEW[2]]


def arrange_channel(app, world, *, wait_figures: bool = True):
    """Ship through the import job, sell through the card API; wait for the server's figures."""
    client = app.test_client()
    hq, clerk = ApiClient(client, world.hq), ApiClient(client, world.clerk_a1)
    today = business_today()
    day = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731
    code = world.partner.code
    rows = [shipment_row(i, ship_date=day(120), region=world.region_a.code, partner=code) for i in OLD]
    rows += [shipment_row(i, ship_date=day(20), region=world.region_a.code, partner=code) for i in NEW]
    rows += [shipment_row(i, ship_date=day(10), region=world.region_b.code, partner=code) for i in GX]
    done = run_import(hq, csv_bytes(*rows))
    assert done["status"] == "done", done
    last_friday = today - timedelta(days=today.weekday() + 3)
    for n, imei in enumerate(SOLD):
        register(clerk, {**card_body(world, 100 + n), "imei": imei, "purchase_date": last_friday.isoformat()})

    def figures():
        r = hq.get("/api/v1/channel/stock", query_string={"group": "region", "page_size": 100})
        assert r.status_code == 200, r.json
        by_region = {row["region_id"]: row for row in r.json}
        a, b = by_region.get(world.region_a.id), by_region.get(world.region_b.id)
        return a and b and (a["shipped"], a["sold"], b["shipped"]) == (10, 4, 3) and (a, b)

    return wait_until(figures, message="the channel rollups of the shipments and cards") if wait_figures else None


def desk(browser, live_server, locale="zh-CN"):
    context = browser.new_context(
        **DESKTOP, base_url=live_server, locale=locale, timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.on("console", lambda msg: print(f"[browser {msg.type}] {msg.text}"))
    context.on("weberror", lambda err: print(f"[browser error] {err.error}"))
    return context


def stock_row(page, region_id, product_id, partner_id=None):
    sel = f"[data-testid=stock-row][data-region='{region_id}'][data-product='{product_id}']"
    if partner_id is not None:
        sel += f"[data-partner='{partner_id}']"
    return page.locator(sel)


def test_hq_channel_stock_aging_and_a_managers_region(app, browser, live_server, e2e_world):
    world = e2e_world
    product = world.product
    a, b = arrange_channel(app, world)
    # The server's figures are the hand-computed ones.
    assert (a["stock"], a["weekly_sales"], a["cover_weeks"], a["aging_units"]) == (6, 1.0, 6.0, 5)
    assert (b["stock"], b["weekly_sales"], b["cover_weeks"], b["aging_units"]) == (3, 0.0, None, 0)

    context = desk(browser, live_server)
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("input[name=username]").fill("hq")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("[data-testid=login-form] button[type=submit]").click()
        expect(page.locator("[data-testid=imports-screen]")).to_be_visible()

        # --- stock and cover by region ------------------------------------------------------------
        page.locator("[data-testid=hq-nav-channel]").click()
        screen = page.locator("[data-testid=channel-stock]")
        expect(screen).to_have_attribute("data-group", "region")
        row_a = stock_row(page, world.region_a.id, product.id)
        expect(row_a).to_have_count(1)
        expect(row_a.locator("[data-testid=stock-shipped]")).to_have_text("10")
        expect(row_a.locator("[data-testid=stock-sold]")).to_have_text("4")
        expect(row_a.locator("[data-testid=stock-stock]")).to_have_text("6")
        expect(row_a.locator("[data-testid=stock-weekly]")).to_have_text("1")
        expect(row_a.locator("[data-testid=cover]")).to_have_text("6")
        expect(row_a.locator("[data-testid=cover]")).to_have_attribute("data-tone", "ok")
        expect(row_a.locator("[data-testid=stock-aging]")).to_have_text("5")
        row_b = stock_row(page, world.region_b.id, product.id)
        expect(row_b.locator("[data-testid=stock-stock]")).to_have_text("3")
        expect(row_b.locator("[data-testid=cover]")).to_have_text("–")
        expect(row_b.locator("[data-testid=cover]")).to_have_attribute("data-tone", "none")
        expect(page.locator("[data-testid=stock-row]")).to_have_count(2)
        shot(page, "channel-01-stock")

        # The map: a circle per region, their totals from /channel/stock/regions.
        expect(page.locator("[data-testid=channel-map-card] path.channel-region-circle")).to_have_count(2)

        # The server's CSV of the table, through a signed link the browser's download manager
        # follows (no Blob in the page): UTF-8 with a BOM, both regions.
        with page.expect_download() as download:
            page.locator("[data-testid=stock-csv]").click()
        assert "/api/v1/channel/stock.csv?" in download.value.url and "dl=" in download.value.url
        assert download.value.suggested_filename.startswith("channel-stock-")
        raw = open(download.value.path(), "rb").read()
        assert raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        assert world.region_a.name in text and world.region_b.name in text

        # --- region A's partners ------------------------------------------------------------------
        row_a.locator("button.link").click()
        expect(screen).to_have_attribute("data-group", "partner")
        expect(screen).to_have_attribute("data-region", str(world.region_a.id))
        partner_row = stock_row(page, world.region_a.id, product.id, world.partner.id)
        expect(partner_row).to_have_count(1)
        expect(partner_row).to_contain_text(world.partner.name)
        expect(partner_row.locator("[data-testid=stock-stock]")).to_have_text("6")
        expect(page.locator("[data-testid=stock-row]")).to_have_count(1)
        page.locator("[data-testid=stock-all-regions]").click()
        expect(screen).to_have_attribute("data-group", "region")

        # --- aging: the old cohort, its unsold IMEIs ----------------------------------------------
        page.locator("[data-testid=channel-tab-aging]").click()
        cohorts = page.locator("[data-testid=aging-row]")
        expect(cohorts).to_have_count(1)
        expect(cohorts.first).to_contain_text(world.region_a.name)
        expect(cohorts.first).to_contain_text(world.partner.name)
        expect(cohorts.first.locator("[data-testid=aging-unsold]")).to_have_text("5")
        cohorts.first.locator("[data-testid=aging-expand]").click()
        imeis = page.locator("[data-testid=aging-imei]")
        expect(imeis).to_have_count(5)
        shown = sorted(imeis.nth(i).get_attribute("data-imei") for i in range(5))
        assert shown == sorted(OLD[1:])  # the old shipment's units but the one sold
        shot(page, "channel-02-aging")

        with page.expect_download() as download:
            page.locator("[data-testid=aging-csv]").click()
        text = open(download.value.path(), "rb").read().decode("utf-8-sig")
        for imei in OLD[1:]:
            assert f'"=""{imei}"""' in text  # kept as text for spreadsheets
        assert OLD[0] not in text and NEW[0] not in text

        # By partner: units shipped to no named partner — none aging; the list and its CSV agree.
        partner = page.locator("[data-testid=filter-partner]")
        expect(partner.locator(f"option[value='{world.partner.id}']")).to_have_count(1)
        partner.select_option("0")
        expect(page.locator("[data-testid=aging-empty]")).to_be_visible()
        with page.expect_download() as download:
            page.locator("[data-testid=aging-csv]").click()
        assert "partner_id=0" in download.value.url
        text = open(download.value.path(), "rb").read().decode("utf-8-sig")
        assert not any(imei in text for imei in OLD)
        partner.select_option(str(world.partner.id))
        expect(cohorts).to_have_count(1)
        partner.select_option("")

        # --- sell-through: last week's 4 cards, on the chart and in the table ---------------------
        page.locator("[data-testid=channel-tab-sell-through]").click()
        expect(page.locator("[data-testid=filter-product]")).to_have_value(str(product.id))
        today = business_today()
        last_week = (today - timedelta(days=today.weekday() + 7)).isoformat()
        week_row = page.locator(f"[data-testid=sell-through-row][data-week='{last_week}'][data-model='p{product.id}']")
        expect(week_row.locator("[data-testid=st-card]")).to_have_text("4")
        expect(week_row.locator("[data-testid=st-declared]")).to_have_text("0")  # no store declared anything
        chart = page.locator("[data-testid=volume-chart]")
        expect(chart).to_have_attribute("data-ready", "true")
        expect(chart.locator("canvas")).to_have_count(1)
        expect(chart.locator(".u-legend")).to_contain_text(product.name)
        shot(page, "channel-03-sell-through")
    finally:
        context.close()

    # --- the manager of region B: region B only ----------------------------------------------------
    context = desk(browser, live_server)
    try:
        page = context.new_page()
        login(page, world.manager_b.username)
        page.goto("/#/channel")
        screen = page.locator("[data-testid=channel-stock]")
        expect(screen).to_have_attribute("data-region", str(world.region_b.id))
        rows = page.locator("[data-testid=stock-row]")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-region", str(world.region_b.id))
        expect(rows.first.locator("[data-testid=stock-stock]")).to_have_text("3")
        # Above the partners, the region's own row per model: the figures cover alerts are raised on.
        region_rows = page.locator("[data-testid=stock-region-row]")
        expect(region_rows).to_have_count(1)
        expect(region_rows.first).to_have_attribute("data-region", str(world.region_b.id))
        expect(region_rows.first.locator("[data-testid=stock-stock]")).to_have_text("3")
        expect(page.locator("[data-testid=filter-region]")).to_have_count(0)  # no other region to pick
        shot(page, "channel-04-manager")
        page.locator("[data-testid=channel-tab-aging]").click()
        expect(page.locator("[data-testid=aging-empty]")).to_be_visible()  # region A's cohort is not theirs
        expect(page.locator("[data-testid=aging-row]")).to_have_count(0)
    finally:
        context.close()


def hq_desk_login(page) -> None:
    page.goto("/")
    page.locator("input[name=username]").fill("hq")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("[data-testid=login-form] button[type=submit]").click()
    expect(page.locator("[data-testid=imports-screen]")).to_be_visible()


def test_hq_channel_stock_out_alert(app, browser, live_server, e2e_world):
    world = e2e_world
    arrange_channel(app, world, wait_figures=False)
    rep = ApiClient(app.test_client(), world.rep_a1)
    count_id = str(uuid.uuid4())
    r = rep.post(
        "/api/v1/shop-stock-counts",
        json={
            "id": count_id,
            "store_id": world.store_a1.id,
            "product_id": world.product.id,
            "on_hand": 0,
            "counted_at": iso(utcnow().replace(microsecond=0) - timedelta(minutes=2)),
        },
    )
    assert r.status_code == 201, r.get_json()
    alert = wait_until(
        lambda: db.session.scalar(select(ChannelAlert).where(ChannelAlert.store_id == world.store_a1.id)),
        message="the stock-out alert",
    )
    assert alert.kind == "stock_out" and alert.product_id == world.product.id

    # Region A's manager sees it counted on their Channel tab and listed there.
    context = desk(browser, live_server)
    try:
        page = context.new_page()
        login(page, world.manager_a.username)
        expect(page.locator("[data-testid=mgr-channel-alert-count]")).to_have_text("1")
        page.goto("/#/channel/alerts")
        expect(page.locator("[data-testid=channel-alert-row]")).to_have_count(1)
        expect(page.locator("[data-testid=channel-alert-row]").first).to_contain_text(world.store_a1.name)
    finally:
        context.close()

    context = desk(browser, live_server, locale="en")
    try:
        page = context.new_page()
        hq_desk_login(page)
        expect(page.locator("[data-testid=hq-nav-channel] [data-testid=channel-alert-count]")).to_have_text("1")
        page.locator("[data-testid=hq-nav-channel]").click()
        expect(page.locator("[data-testid=channel-tab-alert-count]")).to_have_text("1")
        page.locator("[data-testid=channel-tab-alerts]").click()
        rows = page.locator("[data-testid=channel-alert-row]")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-alert-id", str(alert.id))
        expect(rows.first).to_have_attribute("data-kind", "stock_out")
        expect(rows.first).to_contain_text("Stock-out")
        expect(rows.first).to_contain_text(world.store_a1.name)
        expect(rows.first).to_contain_text(world.region_a.name)
        # The evidence: the store counted 0; the region's channel stock is 6 (10 shipped − 4 sold), its
        # sell-out 1 a week.
        expect(rows.first.locator("[data-testid=alert-counted-zero]")).to_be_visible()
        expect(rows.first.locator("[data-testid=alert-stock]")).to_have_text("6")
        shot(page, "channel-05-alerts")
        rows.first.locator("[data-testid=channel-alert-ack]").click()
        expect(page.locator("[data-testid=channel-alerts-empty]")).to_be_visible()  # open ones only
        expect(page.locator("[data-testid=channel-alert-count]")).to_have_count(0)
        wait_until(
            lambda: db.session.scalar(select(ChannelAlert.acknowledged_at).where(ChannelAlert.id == alert.id)),
            message="the alert to be acknowledged",
        )
        # Every alert, acknowledged ones too: it is there, marked.
        page.locator("[data-testid=alert-acknowledged] [data-acknowledged='']").click()
        expect(rows).to_have_count(1)
        expect(rows.first.locator("[data-testid=channel-alert-ack]")).to_have_count(0)
        expect(rows.first).to_contain_text("Acknowledged")
    finally:
        context.close()


NO_MODELS = {
    "zh-CN": ("本品型号列表加载失败。", "重试"),
    "en-US": ("The list of our models could not be loaded.", "Retry"),
}


@pytest.mark.parametrize("locale", NO_MODELS)
def test_sell_through_says_when_the_model_list_failed(app, browser, live_server, e2e_world, locale):
    """/products failing left sell-through on "Loading…" forever: it says the list failed, in
    either language, and its retry picks a model once the list comes."""
    message, retry = NO_MODELS[locale]
    context = desk(browser, live_server, locale)
    try:
        page = context.new_page()
        failing = {"on": True}

        def products(route):
            if failing["on"]:
                route.fulfill(status=500, content_type="application/json", body='{"message": "down"}')
            else:
                route.continue_()

        page.route("**/api/v1/products*", products)
        hq_desk_login(page)
        page.goto("/#/channel/sell-through")
        box = page.locator("[data-testid=sell-through-no-models]")
        expect(box).to_have_attribute("data-state", "error")
        expect(box).to_contain_text(message)
        expect(page.locator("[data-testid=volume-empty]")).to_have_count(0)  # no endless "Loading…"
        expect(page.locator("[data-testid=sell-through-retry]")).to_have_text(retry)
        failing["on"] = False
        page.locator("[data-testid=sell-through-retry]").click()
        expect(box).to_have_count(0)
        expect(page.locator("[data-testid=filter-product]")).not_to_have_value("")
        expect(page.locator("[data-testid=volume-card]")).to_be_visible()
    finally:
        context.close()
