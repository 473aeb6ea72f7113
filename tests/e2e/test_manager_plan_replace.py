"""Saving a plan over a day that has one asks first (issue 18: a manager's save silently replaced
the rep's six-store plan). The manager of region A plans rep A1's tomorrow in the browser while a
six-store plan is already there: the planner shows who saved it and the stores the new plan adds,
removes and keeps, by name; Cancel keeps the old plan, Replace saves the new one. Desk viewport,
Chinese, then English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.core.timeutil import business_today
from backend.extensions import db
from tests.factories import PASSWORD, ApiClient
from tests.routes.helpers import plan_body, street

from .conftest import TIMEOUT_MS, login, shot

pytestmark = pytest.mark.slow

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}


@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
def test_saving_over_a_six_store_plan_asks_and_shows_the_change(app, browser, live_server, e2e_world, locale):
    world = e2e_world
    stores = street(world, 7, step_deg=0.002)
    db.session.commit()
    day = business_today() + timedelta(days=1)
    rep = ApiClient(app.test_client(), world.rep_a1)
    six = rep.post("/api/v1/visit-plans", json=plan_body(day, stores[:6], optimise=False))
    assert six.status_code == 201, six.json

    context = browser.new_context(**DESKTOP, base_url=live_server, locale=locale, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/")
        page.evaluate(f"localStorage.setItem('fieldsales.lang', '{'zh-CN' if locale == 'zh-CN' else 'en'}')")
        login(page, world.manager_a.username, PASSWORD)
        page.goto("/#/plans")
        planner = page.locator("[data-testid=planner]")
        planner.locator("[data-testid=plan-rep]").select_option(str(world.rep_a1.id))
        planner.locator("[data-testid=plan-day]").fill(day.isoformat())
        # The new plan: store 7 (new), stores 1 and 2 (kept); 3–6 dropped.
        for s in (stores[6], stores[0], stores[1]):
            planner.locator(f"[data-testid=pick-store][data-store-id='{s.id}']").check()
        planner.locator("[data-testid=save-plan]").click()

        dialog = page.locator("[data-testid=plan-replace]")
        expect(dialog).to_be_visible()
        expect(dialog.locator("[data-testid=plan-replace-who]")).to_contain_text(world.rep_a1.display_name)
        expect(dialog.locator("[data-testid=replace-added] li")).to_have_text([stores[6].name])
        expect(dialog.locator("[data-testid=replace-removed] li")).to_have_text([s.name for s in stores[2:6]])
        expect(dialog.locator("[data-testid=replace-kept] li")).to_have_count(2)
        expect(dialog.locator("[data-testid=plan-replace-confirm]")).to_be_focused()
        box = dialog.locator("[data-testid=plan-replace-confirm]").bounding_box()
        assert box["height"] >= 36, box
        shot(page, f"manager-plan-replace-{locale}")

        # Cancel: nothing saved.
        dialog.locator("[data-testid=plan-replace-cancel]").click()
        expect(dialog).to_have_count(0)
        r = rep.get(f"/api/v1/visit-plans/{six.json['id']}")
        assert r.json["store_ids"] == [s.id for s in stores[:6]]

        # Save again, Replace: the new plan is the day's.
        planner.locator("[data-testid=save-plan]").click()
        dialog.locator("[data-testid=plan-replace-confirm]").click()
        expect(page.locator("[data-testid=plan-saved]")).to_be_visible()
        expect(dialog).to_have_count(0)
        r = rep.get(f"/api/v1/visit-plans/{six.json['id']}")
        assert sorted(r.json["store_ids"]) == sorted(s.id for s in (stores[6], stores[0], stores[1]))
        assert r.json["updated_by"] == world.manager_a.id
    finally:
        context.close()
