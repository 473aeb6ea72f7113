"""An administrator's desk screens for users and master data, end to end: a real browser (Debian's
Chromium) at 1366×900 runs the built PWA against the real server.

- In Chinese, the admin adds a rep in territory A1 (GZ-TH): the rep signs in on a phone and gets
  the rep's app. A second user under the taken username rep_a1 is refused by the server (409
  user.username_taken) and the form says so next to the username, in Chinese. The admin
  deactivates the new rep: their phone's session ends and signing in again is refused. Another rep
  is moved to territory A2, the form saying what becomes of their plans and visits; a store is
  renamed on the stores page.
- In English, the admin adds a product with a TAC and a rival model (a TAC of another model is refused at the TAC
  field, in English, and a mistyped one before sending); the same duplicate username says so in
  English; a generated password reset is shown once and works for signing in.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from tests.factories import P30_TAC, PASSWORD, ApiClient

from .conftest import TIMEOUT_MS, login, shot

pytestmark = pytest.mark.slow

DESK = {"viewport": {"width": 1366, "height": 900}}


def desk(browser, live_server, locale):
    context = browser.new_context(**DESK, base_url=live_server, locale=locale, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    context.on("console", lambda msg: print(f"[browser {msg.type}] {msg.text}"))
    context.on("weberror", lambda err: print(f"[browser error] {err.error}"))
    return context


def submit_login(page, username, password=PASSWORD):
    page.goto("/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("[data-testid=login-form] button[type=submit]").click()


def sign_in_desk(page, username="admin"):
    submit_login(page, username)
    expect(page.locator("[data-testid=imports-screen]")).to_be_visible()


def add_user(page, username, display_name, territory_id, password):
    page.locator("[data-testid=admin-new]").click()
    form = page.locator("[data-testid=admin-form]")
    form.locator("[data-testid=admin-username]").fill(username)
    form.locator("[data-testid=admin-display_name]").fill(display_name)
    form.locator("[data-testid=admin-role]").select_option("rep")
    form.locator("[data-testid=admin-territory_id]").select_option(str(territory_id))
    form.locator("[data-testid=admin-password]").fill(password)
    form.locator("[data-testid=admin-save]").click()
    return form


def row(page, name):
    return page.locator(f"[data-testid=admin-row][data-name='{name}']")


def test_admin_adds_a_rep_who_signs_in_then_deactivates_them(app, browser, live_server, e2e_world, phone):
    world = e2e_world
    context = desk(browser, live_server, "zh-CN")
    try:
        page = context.new_page()
        sign_in_desk(page)
        page.locator("[data-testid=hq-nav-admin-users]").click()
        expect(page.locator("[data-testid=admin-users]")).to_be_visible()
        expect(row(page, "rep_a1")).to_be_visible()

        # The obvious checks happen before sending: a short password, said at the field.
        form = add_user(page, "wang_fang", "王芳", world.terr_a1.id, "short")
        expect(form.locator("[data-testid=admin-field-error][data-field=password]")).to_have_text("✗ 至少 8 个字符。")
        form.locator("[data-testid=admin-password]").fill("chushi-mima-8")
        form.locator("[data-testid=admin-save]").click()
        expect(page.locator("[data-testid=admin-done]")).to_have_text("已添加 wang_fang。")
        new_row = row(page, "wang_fang")
        expect(new_row).to_contain_text("业务代表")
        expect(new_row).to_contain_text("GZ-TH · 天河片区")

        # The server refuses a taken username: said next to the username, in Chinese.
        form = add_user(page, "rep_a1", "重名", world.terr_a1.id, "long enough")
        error = form.locator("[data-testid=admin-field-error][data-field=username]")
        expect(error).to_have_text("✗ 用户名 rep_a1 已被使用。")
        expect(form.locator("[data-testid=admin-username]")).to_have_attribute("aria-invalid", "true")
        shot(page, "admin-users-duplicate-zh")
        form.locator("[data-testid=admin-cancel]").click()

        # The new rep signs in on their phone and gets the rep's app.
        rep_phone = phone(locale="zh-CN").new_page()
        login(rep_phone, "wang_fang", "chushi-mima-8")
        expect(rep_phone.locator("[data-testid=sync-status]")).to_be_visible()

        # Deactivated: their session ends and signing in again is refused.
        new_row.locator("[data-testid=admin-toggle]").click()
        expect(page.locator("[data-testid=admin-done]")).to_contain_text("wang_fang 已停用")
        expect(new_row).to_contain_text("停用")
        shot(page, "admin-users-zh")
        again = phone(locale="zh-CN").new_page()
        submit_login(again, "wang_fang", "chushi-mima-8")
        expect(again.locator("[data-testid=login-error]")).to_have_text("用户名或密码错误。")
        admin = ApiClient(app.test_client(), world.admin)
        me = admin.get("/api/v1/users?q=wang_fang").json[0]
        assert me["active"] is False and me["territory_id"] == world.terr_a1.id

        # Moving a rep to another territory: the form says what becomes of their plans and visits.
        row(page, "rep_a1b").locator("[data-testid=admin-edit]").click()
        form = page.locator("[data-testid=admin-form]")
        expect(form.locator("[data-testid=admin-form-note]")).to_have_count(0)
        form.locator("[data-testid=admin-territory_id]").select_option(str(world.terr_a2.id))
        expect(form.locator("[data-testid=admin-form-note]")).to_contain_text("下次同步时")
        shot(page, "admin-users-move-zh")
        form.locator("[data-testid=admin-save]").click()
        expect(row(page, "rep_a1b")).to_contain_text("GZ-YX · 越秀片区")
        db.session.rollback()
        assert admin.get(f"/api/v1/users/{world.rep_a1b.id}").json["territory_id"] == world.terr_a2.id

        # The stores page lists the stores with their territory; a store is renamed.
        page.locator("[data-testid=hq-nav-admin-stores]").click()
        store_row = row(page, world.store_a2.name)
        expect(store_row).to_contain_text("GZ-YX · 越秀片区")
        store_row.locator("[data-testid=admin-edit]").click()
        page.locator("[data-testid=admin-name]").fill("国美电器 北京路旗舰店")
        page.locator("[data-testid=admin-save]").click()
        expect(page.locator("[data-testid=admin-done]")).to_have_text("已保存 国美电器 北京路旗舰店。")
        shot(page, "admin-stores-zh")
        db.session.rollback()  # see what the server committed since
        assert admin.get(f"/api/v1/stores/{world.store_a2.id}").json["name"] == "国美电器 北京路旗舰店"
    finally:
        context.close()


def test_admin_adds_a_product_with_a_tac_and_resets_a_password_in_english(app, browser, live_server, e2e_world):
    world = e2e_world
    context = desk(browser, live_server, "en")
    try:
        page = context.new_page()
        sign_in_desk(page)
        page.locator("[data-testid=hq-nav-admin-products]").click()
        expect(page.locator("[data-testid=admin-products]")).to_be_visible()
        expect(row(page, "XL-P30")).to_contain_text(P30_TAC)

        page.locator("[data-testid=admin-new]").click()
        form = page.locator("[data-testid=admin-form]")
        form.locator("[data-testid=admin-model_code]").fill("XL-P40")
        form.locator("[data-testid=admin-name]").fill("星澜 P40")
        form.locator("[data-testid=admin-name_en]").fill("Xinglan P40")
        form.locator("[data-testid=admin-list_price]").fill("3299")
        form.locator("[data-testid=admin-rival_model_ids]").select_option([str(world.competitor_model.id)])
        tacs = form.locator("[data-testid=admin-tac_codes]")
        tacs.fill("8691234")  # 7 digits: caught before sending
        form.locator("[data-testid=admin-save]").click()
        tac_error = form.locator("[data-testid=admin-field-error][data-field=tac_codes]")
        expect(tac_error).to_have_text("✗ 8691234 is not a TAC: a TAC is the first 8 digits of an IMEI.")
        tacs.fill(f"86912345\n{P30_TAC}")  # the second is XL-P30's: the server refuses it
        form.locator("[data-testid=admin-save]").click()
        expect(tac_error).to_have_text(f"✗ TAC {P30_TAC} is already listed for XL-P30.")
        shot(page, "admin-products-tac-taken-en")
        tacs.fill("86912345")
        form.locator("[data-testid=admin-save]").click()
        expect(page.locator("[data-testid=admin-done]")).to_have_text("XL-P40 added.")
        expect(row(page, "XL-P40")).to_contain_text("86912345")
        expect(row(page, "XL-P40")).to_contain_text("return 7 d · exchange 15 d · repair 12 mo")
        shot(page, "admin-products-en")
        admin = ApiClient(app.test_client(), world.admin)
        product = admin.get("/api/v1/products?q=XL-P40").json[0]
        assert product["tac_codes"] == ["86912345"] and product["list_price"] == "3299.00"
        assert product["rival_model_ids"] == [world.competitor_model.id]

        # The duplicate username, in English.
        page.locator("[data-testid=hq-nav-admin-users]").click()
        form = add_user(page, "rep_a1", "Same name", world.terr_a1.id, "long enough")
        expect(form.locator("[data-testid=admin-field-error][data-field=username]")).to_have_text(
            "✗ The username rep_a1 is taken."
        )
        shot(page, "admin-users-duplicate-en")
        form.locator("[data-testid=admin-cancel]").click()

        # A generated password, shown once, signs the rep in; the old one no longer does.
        row(page, "rep_a2").locator("[data-testid=admin-reset]").click()
        page.locator("[data-testid=admin-reset-submit]").click()
        made = page.locator("[data-testid=admin-generated-password]").inner_text().strip()
        assert len(made) == 12
        shot(page, "admin-reset-en")
        client = app.test_client()
        assert client.post("/api/v1/auth/login", json={"username": "rep_a2", "password": PASSWORD}).status_code == 401
        assert client.post("/api/v1/auth/login", json={"username": "rep_a2", "password": made}).status_code == 200
    finally:
        context.close()


def test_hq_has_no_admin_pages_in_the_nav_and_reads_master_data_only(browser, live_server, e2e_world):
    """HQ may read master data (the API's rule) but changes none: no admin entries in the nav, and
    an admin page opened by its address lists without add or edit."""
    context = desk(browser, live_server, "zh-CN")
    try:
        page = context.new_page()
        sign_in_desk(page, "hq")
        expect(page.locator("[data-testid=hq-nav-admin-users]")).to_have_count(0)
        page.goto("/#/admin/products")
        expect(row(page, "XL-P30")).to_be_visible()
        expect(page.locator("[data-testid=admin-read-only]")).to_be_visible()
        expect(page.locator("[data-testid=admin-new]")).to_have_count(0)
        expect(page.locator("[data-testid=admin-edit]")).to_have_count(0)
    finally:
        context.close()
