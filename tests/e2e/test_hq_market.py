"""HQ's competitive intelligence, end to end: a real browser (Debian's Chromium) on a desktop
viewport runs the built PWA against the real server.

A rep records, through the API, the prices of the competitor model at two stores of region A over
two consecutive past ISO weeks (Asia/Shanghai): 4 observations at a median of 2,699 the first
week, 5 at a median of 2,399 the next (one of them a promotion, one with a photo of the price
tag), and our own model at 2,999. The rollup job raises one price-drop alert (−11.1 %). HQ signs
in and sees the number of unacknowledged alerts in the nav, opens the price trends (our model next
to its rival) and sees the uPlot chart drawn and the right medians in the table, exports the table
to CSV, opens the alert list and the alert with its evidence (both weeks' observations and the
photo thumbnail), and acknowledges it; the count goes away. The promotion shows among the
promotions seen, and a store closing reported by the rep on the store-changes map and list."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from backend.extensions import db
from backend.market.models import PriceAlert
from backend.photos.models import Photo
from tests.factories import PASSWORD, ApiClient

from .conftest import TIMEOUT_MS, shot, wait_until

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")
DESKTOP = {"viewport": {"width": 1366, "height": 900}}

PREVIOUS_WEEK = ["2649.00", "2699.00", "2699.00", "2749.00"]  # median 2,699.00
CURRENT_WEEK = ["2349.00", "2399.00", "2449.00", "2499.00"]  # + 2,599 with a promo at 2,399: median 2,399.00


def jpeg_bytes() -> bytes:
    image = Image.new("RGB", (800, 600), (230, 232, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle([100, 150, 700, 450], fill=(200, 40, 40))
    draw.text((120, 170), "Reno 12  2399", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def utc_iso(day, hour: int, minute: int = 0) -> str:
    local = datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)
    return local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def observe(rep: ApiClient, store, when: str, shelf: str, *, model=None, product=None, promo=None, text="", photos=()):
    body = {
        "id": str(uuid.uuid4()),
        "store_id": store.id,
        "shelf_price": shelf,
        "promo_price": promo,
        "promo_text": text,
        "observed_at": when,
        "photo_ids": list(photos),
    }
    if model is not None:
        body["competitor_model_id"] = model.id
    else:
        body["product_id"] = product.id
    r = rep.post("/api/v1/price-observations", json=body)
    assert r.status_code == 201, r.get_json()
    return body["id"]


def arrange_prices(app, world):
    """Two past weeks of prices in region A; returns (previous Monday, current Monday, photo id)."""
    today = datetime.now(SHANGHAI).date()
    this_monday = today - timedelta(days=today.weekday())
    previous, current = this_monday - timedelta(days=14), this_monday - timedelta(days=7)
    client = app.test_client()
    rep = ApiClient(client, world.rep_a1)
    stores = [world.store_a1, world.store_a1b]
    cmodel = world.competitor_model

    # The photo of a price tag, uploaded first (the phone's photo lane), then referred to.
    data = jpeg_bytes()
    photo_id = str(uuid.uuid4())
    r = rep.put(
        f"/api/v1/photos/{photo_id}?sha256={hashlib.sha256(data).hexdigest()}", data=data, content_type="image/jpeg"
    )
    assert r.status_code == 201, r.get_json()

    # The later week first, so that the alert fires when the earlier week has its 4th
    # observation, with every observation of both weeks counted.
    for i, shelf in enumerate(CURRENT_WEEK):
        day = current + timedelta(days=i)
        observe(rep, stores[i % 2], utc_iso(day, 10 + i), shelf, model=cmodel, photos=[photo_id] if i == 1 else [])
    promo_at = utc_iso(current + timedelta(days=4), 15)
    observe(rep, stores[0], promo_at, "2599.00", model=cmodel, promo="2399.00", text="直降200")
    for i, shelf in enumerate(PREVIOUS_WEEK):
        observe(rep, stores[i % 2], utc_iso(previous + timedelta(days=i), 11 + i), shelf, model=cmodel)
    for monday in (previous, current):
        for i in range(2):
            observe(rep, stores[i], utc_iso(monday + timedelta(days=2), 16 + i), "2999.00", product=world.product)

    # A store closing seen on the way (for the store-changes map).
    r = rep.post(
        "/api/v1/intel-reports",
        json={
            "id": str(uuid.uuid4()),
            "kind": "closing",
            "name": "某品牌 体育西路店",
            "address": "体育西路 101 号",
            "latitude": world.store_a1b.latitude + 0.002,
            "longitude": world.store_a1b.longitude + 0.002,
            "reported_at": utc_iso(current + timedelta(days=1), 12),
        },
    )
    assert r.status_code == 201, r.get_json()
    return previous, current, photo_id


def hq_login(page) -> None:
    page.goto("/")
    page.locator("input[name=username]").fill("hq")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("[data-testid=login-form] button[type=submit]").click()
    expect(page.locator("[data-testid=imports-screen]")).to_be_visible()


def test_hq_price_trends_and_alert(app, browser, live_server, e2e_world, tmp_path):
    world = e2e_world
    cmodel, product = world.competitor_model, world.product
    product.rival_model_ids = [cmodel.id]  # the trends open on our model next to its rival
    db.session.commit()

    previous, current, photo_id = arrange_prices(app, world)
    drop = select(PriceAlert).where(
        PriceAlert.competitor_model_id == cmodel.id, PriceAlert.region_id == world.region_a.id
    )
    alert = wait_until(lambda: db.session.scalar(drop), message="the price-drop alert")
    assert (alert.period, alert.previous_start, alert.period_start) == ("week", previous, current)
    assert (alert.previous_median, alert.current_median) == (Decimal("2699.00"), Decimal("2399.00"))
    assert (alert.previous_n, alert.current_n) == (4, 5)
    wait_until(
        lambda: db.session.scalar(select(Photo.status).where(Photo.id == uuid.UUID(photo_id))) == "ready",
        message="the photo to be processed",
    )

    context = browser.new_context(
        **DESKTOP, base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.on("console", lambda msg: print(f"[browser {msg.type}] {msg.text}"))
    context.on("weberror", lambda err: print(f"[browser error] {err.error}"))
    try:
        page = context.new_page()
        hq_login(page)
        # The nav (and the home screen) say how many alerts nobody acknowledged yet.
        expect(page.locator("[data-testid=hq-alert-count]")).to_have_text("1")
        expect(page.locator("[data-testid=hq-alert-banner]")).to_be_visible()
        shot(page, "hq-01-home")

        # --- price trends: our model next to its rival, in region A -------------------------------
        page.locator("[data-testid=hq-nav-trends]").click()
        expect(page.locator("[data-testid=trends-screen]")).to_be_visible()
        expect(page.locator("[data-testid=filter-product]")).to_have_value(str(product.id))
        expect(page.locator("[data-testid=filter-rivals]")).to_be_checked()
        page.locator("[data-testid=filter-region]").select_option(str(world.region_a.id))
        card = page.locator("[data-testid=trend-chart-card]")
        expect(card).to_have_attribute("data-region", str(world.region_a.id))  # region A's answer is in
        chart = card.locator("[data-testid=price-chart]")
        expect(chart).to_have_attribute("data-ready", "true")  # and drawn
        expect(chart.locator("canvas")).to_have_count(1)
        box = chart.locator("canvas").bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150
        # uPlot's legend: the period, our model (★) and the rival.
        expect(chart.locator(".u-legend .u-series")).to_have_count(3)
        expect(chart.locator(".u-legend")).to_contain_text(f"★ {product.name}")
        expect(chart.locator(".u-legend")).to_contain_text(cmodel.name)

        def median(period_start, key):
            row = page.locator(f"[data-testid=trend-row][data-period='{period_start}'][data-model='{key}']")
            return row.locator("[data-testid=trend-median]")

        rival, ours = f"c{cmodel.id}", f"p{product.id}"
        expect(page.locator("[data-testid=trend-row]")).to_have_count(4)
        expect(median(previous.isoformat(), rival)).to_have_text("¥2,699.00")
        expect(median(current.isoformat(), rival)).to_have_text("¥2,399.00")
        expect(median(previous.isoformat(), ours)).to_have_text("¥2,999.00")
        expect(median(current.isoformat(), ours)).to_have_text("¥2,999.00")
        current_row = median(current.isoformat(), rival).locator("xpath=..")
        expect(current_row.locator("td.num").nth(3)).to_have_text("5")  # observations
        expect(current_row.locator("td.num").nth(4)).to_have_text("1")  # with a promotion
        shot(page, "hq-02-trends")

        # The table exports to CSV: UTF-8 with a BOM, the medians as the server sent them.
        with page.expect_download() as download:
            page.locator("[data-testid=trends-screen] [data-testid=export-csv]").click()
        path = download.value.path()
        raw = open(path, "rb").read()
        assert raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        assert download.value.suggested_filename.startswith("price-trends-")
        assert f"{current.isoformat()}," in text and ",2399.00,2349.00,2499.00,5,1" in text
        assert f"{previous.isoformat()}," in text and ",2699.00,2649.00,2749.00,4,0" in text

        # --- the alert: listed, opened with its evidence, acknowledged ----------------------------
        page.locator("[data-testid=hq-nav-alerts]").click()
        rows = page.locator("[data-testid=alert-row]")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-alert-id", str(alert.id))
        expect(rows.first).to_contain_text(cmodel.name)
        expect(rows.first).to_contain_text("11.1")
        shot(page, "hq-03-alerts")
        rows.first.locator("a").click()
        detail = page.locator("[data-testid=alert-detail]")
        expect(detail).to_have_attribute("data-alert-id", str(alert.id))
        expect(page.locator("[data-testid=alert-before]")).to_have_text("¥2,699.00")
        expect(page.locator("[data-testid=alert-after]")).to_have_text("¥2,399.00")
        expect(page.locator("[data-testid=alert-drop]")).to_contain_text("11.1")
        expect(page.locator("[data-testid=evidence-before] [data-testid=evidence-row]")).to_have_count(4)
        after = page.locator("[data-testid=evidence-after] [data-testid=evidence-row]")
        expect(after).to_have_count(5)
        expect(page.locator("[data-testid=evidence-after]")).to_contain_text("直降200")
        expect(page.locator("[data-testid=evidence-after]")).to_contain_text(world.store_a1b.name)
        # The photo of the price tag, fetched with the bearer token.
        thumb = page.locator("[data-testid=evidence-photo]")
        expect(thumb).to_have_count(1)
        expect(thumb).to_have_attribute("data-loaded", "true")
        # data-loaded says the blob arrived; the <img> (loading=lazy) decodes it a moment later.
        thumb.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.locator("img").element_handle())
        shot(page, "hq-04-alert")

        page.locator("[data-testid=alert-acknowledge]").click()
        expect(page.locator("[data-testid=alert-acknowledged]")).to_be_visible()
        expect(page.locator("[data-testid=hq-alert-count]")).to_have_count(0)
        wait_until(
            lambda: db.session.scalar(select(PriceAlert.acknowledged_at).where(PriceAlert.id == alert.id)),
            message="the alert to be acknowledged",
        )
        assert db.session.get(PriceAlert, alert.id).acknowledged_by == world.hq.id
        page.locator("[data-testid=alert-detail] a[href='#/market/alerts']").click()
        expect(page.locator("[data-testid=alerts-empty]")).to_be_visible()  # no unacknowledged one left
        shot(page, "hq-05-acknowledged")

        # --- promotions seen, store changes on the map --------------------------------------------
        page.locator("[data-testid=hq-nav-activity]").click()
        promos = page.locator("[data-testid=promotion-row]")
        expect(promos).to_have_count(1)
        expect(promos.first).to_contain_text("直降200")
        expect(promos.first).to_contain_text("¥2,399.00")
        page.locator("[data-testid=market-tab-stores]").click()
        expect(page.locator("[data-testid=store-change-row]")).to_have_count(1)
        expect(page.locator("[data-testid=map]")).to_be_visible()
        expect(page.locator("[data-testid=map] .store-change-marker")).to_have_count(1)
        shot(page, "hq-06-stores")
    finally:
        context.close()
