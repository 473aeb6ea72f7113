"""New-store review (issue 18): a report filed 13 m from a known store under another name shows
that store as a possible duplicate, with its distance and why (very close), under a heading that
says the rule — any known store within DUPLICATE_STORE_RADIUS_M, or a similar name within
INTEL_DUPLICATE_RADIUS_M — instead of "within 100 m (0)". Desk viewport, Chinese and English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from geopy.distance import geodesic
from playwright.sync_api import expect

from backend.core.timeutil import utcnow
from tests.factories import PASSWORD, TIANHE, ApiClient, iso, new_id

from .conftest import TIMEOUT_MS, login, shot

pytestmark = pytest.mark.slow

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}
TEXTS = {
    "zh-CN": ("疑似重复（1）：30 米内的任何已有门店，或 100 米内名称相似的门店", "距离很近", "13 m", "1 家疑似"),
    "en": (
        "Possible duplicates (1): any known store within 30 m, or a similar name within 100 m",
        "very close",
        "13 m",
        "1 possible",
    ),
}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_report_13_m_from_a_store_with_another_name_shows_it_as_a_candidate(
    app, browser, live_server, e2e_world, lang
):
    world = e2e_world
    here = geodesic(meters=13).destination(TIANHE, 90)
    body = {
        "id": new_id(),
        "kind": "new_store",
        "name": "华为授权体验店",
        "latitude": here.latitude,
        "longitude": here.longitude,
        "reported_at": iso(utcnow() - timedelta(hours=1)),
    }
    r = ApiClient(app.test_client(), world.rep_a1).post("/api/v1/intel-reports", json=body)
    assert r.status_code == 201 and [c["store_id"] for c in r.json["duplicate_candidates"]] == [world.store_a1.id]

    context = browser.new_context(**DESKTOP, base_url=live_server, locale=lang, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/")
        page.evaluate(f"localStorage.setItem('fieldsales.lang', '{lang}')")
        login(page, world.manager_a.username, PASSWORD)
        page.goto("/#/reports")
        heading, why, metres, count = TEXTS[lang]
        row = page.locator(f"[data-testid=report-row][data-report-id='{body['id']}']")
        expect(row.locator("[data-testid=report-candidates]")).to_have_text(count)
        row.click()
        review = page.locator(f"[data-testid=report-review][data-report-id='{body['id']}']")
        expect(review.locator("[data-testid=candidates-heading]")).to_have_text(heading)
        candidate = review.locator(f"[data-testid=candidate][data-store-id='{world.store_a1.id}']")
        expect(candidate).to_contain_text(world.store_a1.name)
        expect(candidate).to_contain_text(metres)
        expect(candidate.locator("[data-testid=candidate-why]")).to_have_text(why)
        shot(page, f"manager-duplicate-review-{lang}")
    finally:
        context.close()
