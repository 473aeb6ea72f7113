"""The administrator's partners page, end to end (issue 17's repair providers): a real browser
(Debian's Chromium) at 1366×900 runs the built PWA against the real server.

- In Chinese, the admin adds a partner that repairs phones (a local distributor buying from
  苏宁易购): the clerks' repair points (GET /repair-points) then list it; deactivated, it leaves
  them again.
- In English, the admin marks the existing partner 苏宁易购 as a repair provider by editing it
  (the clerks' repair points list it), and making it buy from its own customer is refused by the
  server at the "Buys from" field, in English.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import ApiClient

from .conftest import shot, sign_in

pytestmark = pytest.mark.slow


def row(page, code):
    return page.locator(f"[data-testid=admin-row][data-name='{code}']")


def repair_partners(app, world) -> list[str]:
    """The partners a clerk is offered as repair points, by name."""
    points = ApiClient(app.test_client(), world.clerk_a1).get("/api/v1/repair-points").json
    return [p["name"] for p in points if p["kind"] == "partner"]


def open_partners(page):
    sign_in(page, "admin")
    page.locator("[data-testid=hq-nav-admin-partners]").click()
    expect(page.locator("[data-testid=admin-partners]")).to_be_visible()


def test_admin_adds_a_repair_provider_that_clerks_are_offered(app, context_of, e2e_world):
    world = e2e_world
    assert repair_partners(app, world) == []
    page = context_of("zh-CN").new_page()
    open_partners(page)
    expect(row(page, "SN")).to_contain_text("苏宁易购")
    expect(row(page, "SN")).to_contain_text("连锁卖场")
    expect(row(page, "SN").locator("[data-testid=admin-repair-provider]")).to_have_count(0)

    page.locator("[data-testid=admin-new]").click()
    form = page.locator("[data-testid=admin-form]")
    form.locator("[data-testid=admin-code]").fill("GZ-FIX")
    form.locator("[data-testid=admin-name]").fill("天河手机维修中心")
    form.locator("[data-testid=admin-kind]").select_option("local_distributor")
    form.locator("[data-testid=admin-parent_id]").select_option(str(world.partner.id))
    form.locator("[data-testid=admin-repair_provider]").check()
    form.locator("[data-testid=admin-save]").click()
    expect(page.locator("[data-testid=admin-done]")).to_have_text("已添加 GZ-FIX。")
    added = row(page, "GZ-FIX")
    expect(added).to_contain_text("地包商")
    expect(added).to_contain_text("SN · 苏宁易购")
    expect(added.locator("[data-testid=admin-repair-provider]")).to_have_text("承接维修")
    shot(page, "admin-partners-zh")
    assert repair_partners(app, world) == ["天河手机维修中心"]

    # Deactivated, it is no longer offered.
    added.locator("[data-testid=admin-edit]").click()
    form = page.locator("[data-testid=admin-form]")
    form.locator("[data-testid=admin-active]").uncheck()
    form.locator("[data-testid=admin-save]").click()
    expect(page.locator("[data-testid=admin-done]")).to_have_text("已保存 GZ-FIX。")
    assert repair_partners(app, world) == []


def test_admin_marks_a_partner_as_repair_provider_in_english(app, context_of, e2e_world):
    world = e2e_world
    admin = ApiClient(app.test_client(), world.admin)
    child = admin.post(
        "/api/v1/partners",
        json={"code": "NN-01", "name": "南宁地包", "kind": "local_distributor", "parent_id": world.partner.id},
    ).json
    page = context_of("en-GB").new_page()
    open_partners(page)
    page.locator("[data-testid=admin-filter-repair_provider]").select_option("true")
    expect(page.locator("[data-testid=admin-row]")).to_have_count(0)
    page.locator("[data-testid=admin-filter-repair_provider]").select_option("")
    expect(row(page, "NN-01")).to_contain_text("Local distributor")

    row(page, "SN").locator("[data-testid=admin-edit]").click()
    form = page.locator("[data-testid=admin-form]")
    expect(form.locator("[data-testid=admin-repair_provider]")).not_to_be_checked()
    form.locator("[data-testid=admin-repair_provider]").check()
    # Buying from itself or from its own customer would be a loop the server refuses: neither is
    # offered (NN-01 buys from SN; the partners' list is loaded: the row names SN).
    expect(row(page, "NN-01")).to_contain_text("SN · 苏宁易购")
    options = form.locator("[data-testid=admin-parent_id] option")
    expect(options).to_have_count(1)  # "none" only
    expect(form.locator(f"[data-testid=admin-parent_id] option[value='{child['id']}']")).to_have_count(0)
    expect(form.locator(f"[data-testid=admin-parent_id] option[value='{world.partner.id}']")).to_have_count(0)
    shot(page, "admin-partners-form-en")
    assert repair_partners(app, world) == []
    form.locator("[data-testid=admin-save]").click()
    expect(page.locator("[data-testid=admin-done]")).to_have_text("SN saved.")
    expect(row(page, "SN").locator("[data-testid=admin-repair-provider]")).to_have_text("Repairs")
    shot(page, "admin-partners-en")
    assert repair_partners(app, world) == ["苏宁易购"]
