"""HQ's shipment imports say why a row was not loaded in the UI's language: each row's reason
code and params (backend/core/reasons.py) through the PWA's templates (i18n/reasons.js), the
server's English text only for a code the app does not know."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import P30_TAC, PASSWORD, ApiClient
from tests.factories import imei as make_imei
from tests.warranty.helpers import csv_bytes, run_import, shipment_row

from .conftest import TIMEOUT_MS, shot

pytestmark = pytest.mark.slow

DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def test_import_errors_in_chinese_and_in_english(app, browser, live_server, e2e_world):
    hq = ApiClient(app.test_client(), e2e_world.hq)
    good = make_imei(P30_TAC, 1)
    data = csv_bytes(
        shipment_row(good),  # line 2: loaded
        shipment_row(make_imei(P30_TAC, 2), model="XL-Q99"),  # 3: unknown model
        shipment_row(make_imei(P30_TAC, 3), ship_date="2026-13-01"),  # 4: not a date
        shipment_row(make_imei(P30_TAC, 4), region="ZZ"),  # 5: unknown region
    )
    imp = run_import(hq, data, "发货.csv")
    assert (imp["status"], imp["rows_loaded"], imp["rows_bad"]) == ("done", 1, 3), imp

    context = browser.new_context(**DESKTOP, base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("input[name=username]").fill("hq")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("[data-testid=login-form] button[type=submit]").click()
        page.locator(f"[data-testid=import-row][data-import-id='{imp['id']}']").click()
        rows = page.locator("[data-testid=import-error-row] td:nth-child(2)")
        expect(rows).to_have_text(
            ["未知的型号编码 XL-Q99。", "发货日期 2026-13-01 不是日期（YYYY-MM-DD）。", "未知的大区编码 ZZ。"]
        )
        shot(page, "hq-imports-errors-zh")

        page.evaluate("localStorage.setItem('fieldsales.lang', 'en')")
        page.reload()
        page.locator(f"[data-testid=import-row][data-import-id='{imp['id']}']").click()
        expect(rows).to_have_text(
            [
                "Unknown model code XL-Q99.",
                "Ship date 2026-13-01 is not a date (YYYY-MM-DD).",
                "Unknown region code ZZ.",
            ]
        )
        shot(page, "hq-imports-errors-en")
    finally:
        context.close()


def test_the_upload_notice_stops_saying_importing_once_the_import_is_done(app, browser, live_server, e2e_world):
    """The notice under the form said "正在导入 …" (being imported) after the list showed the import
    done; it now follows the import: busy while queued or running, then what was loaded."""
    data = csv_bytes(shipment_row(make_imei(P30_TAC, 11)), shipment_row(make_imei(P30_TAC, 12), region="ZZ"))
    context = browser.new_context(**DESKTOP, base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("input[name=username]").fill("hq")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("[data-testid=login-form] button[type=submit]").click()
        page.locator("[data-testid=import-file]").set_input_files(
            {"name": "到货.csv", "mimeType": "text/csv", "buffer": data}
        )
        page.locator("[data-testid=import-submit]").click()
        notice = page.locator("[data-testid=import-notice]")
        expect(notice).to_be_visible()
        expect(page.locator("[data-testid=import-row][data-status=done]")).to_have_count(1)
        expect(notice).to_have_attribute("data-busy", "false")
        expect(notice).not_to_contain_text("正在导入")
        expect(notice).to_have_text("到货.csv 导入完成：载入 1 行，未变 0 行，错误 1 行。")
        shot(page, "hq-imports-notice-done-zh")
    finally:
        context.close()
