"""三包 at the counter, end to end: Debian's Chromium on a 393×851 phone runs the built PWA against
the real server. A clerk with no network exchanges a phone: she scans the replacement unit's label
(a typed typo caught by the live check digit first), the new card appears at once with the old card's
purchase date and 三包 dates, the old one reads 已换货; back online it syncs, and the server holds
exactly one event, the new card with the inherited purchase date and the old card closed. A return
out of its window is refused on the phone before anything is queued, with the rule and the date;
a "no fault" return the company's policy forbids is refused by the server and the phone says why.
In English: a repair referral to a repair point fetched while online, recorded offline."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from backend.aftersales.models import FaultCode, ServiceEvent
from backend.extensions import db
from backend.org.models import Partner, Territory
from backend.sync.models import SyncRejection
from backend.warranty import rules
from backend.warranty.models import WarrantyCard
from tests.factories import imei as make_imei
from tests.factories import make_store

from .conftest import login, shot, wait_for_service_worker
from .test_clerk_offline import make_label
from .test_touch_targets import offenders

pytestmark = pytest.mark.slow

SYNC_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 393, "height": 851}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def sync_status(page):
    return page.locator("[data-testid=sync-status]")


def wait_synced(page, timeout=SYNC_TIMEOUT_MS):
    expect(sync_status(page)).to_have_attribute("data-state", "synced", timeout=timeout)


def card_item(page, imei: str):
    return page.locator(f"[data-testid=card-item][data-imei='{imei}']")


def zh_day(d) -> str:
    """A day as the PWA writes it in zh-CN (Intl: year numeric, month short, day numeric)."""
    return f"{d.year}年{d.month}月{d.day}日"


def en_day(d) -> str:
    return d.strftime("%b ") + str(d.day) + d.strftime(", %Y")


def today_cn():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def add_fault_codes():
    db.session.add_all(
        [
            FaultCode(code="screen", name="屏幕故障", name_en="Screen fault", is_fault=True, position=1),
            FaultCode(code="battery", name="电池故障", name_en="Battery fault", is_fault=True, position=2),
            FaultCode(code="no_fault", name="无故障（无理由）", name_en="No fault", is_fault=False, position=9),
            FaultCode(code="retired", name="停用代码", name_en="Retired", is_fault=True, position=0, active=False),
        ]
    )


def add_card(world, serial: int, bought, buyer="张三") -> WarrantyCard:
    card = WarrantyCard(
        id=uuid.uuid4(),
        imei=make_imei(serial=serial),
        product_id=world.product.id,
        serial_number=f"SN-P30-{serial:04d}",
        buyer_name=buyer,
        buyer_phone="13812345678",
        buyer_address="广州市天河区天河路 208 号",
        invoice_number=f"INV-{serial:04d}",
        purchase_date=bought,
        store_id=world.store_a1.id,
        registered_by=world.clerk_a1.id,
        registered_at=datetime.utcnow() - timedelta(days=(today_cn() - bought).days),
    )
    db.session.add(card)
    return card


def go(page, route: str) -> None:
    """Open a route of the app by its address (no reload: offline too)."""
    page.evaluate("(h) => { location.hash = h; }", f"#{route}")


def open_clerk(phone, locale="zh-CN", reload=False):
    """A clerk's phone, signed in and synced; `reload`: the app served by its service worker (the
    barcode reader's .wasm from the precache: the scanner works offline)."""
    context = phone(locale=locale)
    page = context.new_page()
    page.set_viewport_size(VIEWPORT)
    login(page, "clerk_a1")
    expect(page.locator("[data-testid=cards-screen]")).to_be_visible()
    wait_synced(page)
    wait_for_service_worker(page)
    if reload:
        page.reload()
        expect(page.locator("[data-testid=cards-screen]")).to_be_visible()
        wait_synced(page)
    return context, page


def test_clerk_exchanges_a_phone_offline(phone, e2e_world, tmp_path):
    world = e2e_world
    today = today_cn()
    bought = max(today - timedelta(days=5), world.product.launch_date)
    terms = rules.terms(bought)
    add_fault_codes()
    old = add_card(world, 1, bought)
    db.session.commit()
    old_id, old_imei = old.id, old.imei

    new_imei = make_imei(serial=2)
    label = make_label(f"IMEI:{new_imei}", tmp_path / "label.png")
    context, page = open_clerk(phone, reload=True)
    context.set_offline(True)
    expect(sync_status(page)).to_have_attribute("data-state", "offline")

    # --- the card's page: its standing, dates, and what it allows today ------------------------
    card_item(page, old_imei).click()
    detail = page.locator("[data-testid=card-detail]")
    expect(detail).to_have_attribute("data-card-id", str(old_id))
    service = detail.locator("[data-testid=card-service]")
    for kind, until in (("return", terms.return_until), ("exchange", terms.exchange_until)):
        expect(service.locator(f"[data-testid=service-{kind}]")).to_have_attribute("data-allowed", "true")
        expect(service.locator(f"[data-testid=service-{kind}-why]")).to_contain_text(zh_day(until))
    expect(service.locator("[data-testid=service-repair-why]")).to_have_text(
        f"保修期内，截至 {zh_day(terms.repair_until)}。"
    )
    expect(detail.locator("[data-testid=service-events-none]")).to_be_visible()
    shot(page, "service-01-card-zh")
    touch = offenders(page, "card")

    # --- the exchange: fault, the new unit's IMEI (typed with a typo, then scanned), serial ---------
    service.locator("[data-testid=service-exchange]").click()
    form = page.locator("[data-testid=service-form]")
    expect(form).to_have_attribute("data-kind", "exchange")
    faults = form.locator("[data-testid=service-fault]")
    # the active fault codes, by position; "no fault" is for returns only, the retired one never
    expect(faults).to_have_text(["屏幕故障", "电池故障"])
    # the old model is chosen
    expect(form.locator("[data-testid=service-product_id]")).to_have_value(str(world.product.id))
    typo = new_imei[:-1] + str((int(new_imei[-1]) + 1) % 10)
    imei_input = form.locator("[data-testid=service-imei]")
    check = form.locator("[data-testid=service-imei-check]")
    imei_input.press_sequentially(typo)
    expect(check).to_have_attribute("data-valid", "false")
    expect(check).to_contain_text("校验位")
    # the returned phone itself is no replacement
    imei_input.fill(old_imei)
    expect(check).to_have_attribute("data-valid", "false")
    expect(check).to_contain_text("这是退回的原机")
    # The new unit's label scanned (headless Chromium has no camera: a photo of the label).
    imei_input.fill("")
    form.locator("[data-testid=service-scan]").click()
    scanner = page.locator("[data-testid=scanner]")
    expect(scanner).to_be_visible()
    scanner.locator("[data-testid=scanner-photo]").set_input_files(label)
    expect(scanner).to_have_count(0, timeout=20_000)
    expect(imei_input).to_have_value(new_imei)
    expect(check).to_have_attribute("data-valid", "true")
    # Confirming with nothing picked says what is missing and queues nothing.
    form.locator("[data-testid=service-save]").click()
    expect(form.locator("[data-testid=service-fault-problem]")).to_be_visible()
    expect(form.locator("[data-testid=service-serial_number-problem]")).to_be_visible()
    faults.filter(has_text="屏幕故障").click()
    expect(faults.filter(has_text="屏幕故障")).to_have_attribute("aria-pressed", "true")
    form.locator("[data-testid=service-serial_number]").fill("SN-P30-0002")
    form.locator("[data-testid=service-note]").fill("屏幕闪烁")
    shot(page, "service-02-exchange-form-zh")
    touch += offenders(page, "exchange form")
    form.locator("[data-testid=service-save]").click()

    # --- the new card at once: the old purchase date and 三包 dates, linked to the old card ---------
    detail = page.locator("[data-testid=card-detail]")
    expect(detail.locator("[data-testid=card-imei-title]")).to_have_text(new_imei)
    new_id = detail.get_attribute("data-card-id")
    assert new_id and new_id != str(old_id)
    expect(detail).to_have_attribute("data-sync", "pending")
    expect(detail.locator("[data-field=purchase_date]")).to_have_text(zh_day(bought))
    expect(detail.locator("[data-field=buyer_name]")).to_have_text("张三")
    for kind, until in (
        ("return", terms.return_until),
        ("exchange", terms.exchange_until),
        ("repair", terms.repair_until),
    ):
        expect(detail.locator(f"[data-testid=card-terms] [data-term={kind}]")).to_have_attribute(
            "data-date", until.isoformat()
        )
    expect(detail.locator("[data-testid=card-replaces]")).to_contain_text(old_imei)
    made = detail.locator("[data-testid=service-event]")
    expect(made).to_have_count(1)
    expect(made).to_have_attribute("data-kind", "exchange")
    expect(made).to_contain_text("屏幕故障")
    shot(page, "service-03-new-card-zh")
    touch += offenders(page, "new card")
    assert touch == [], "controls smaller than 44×44 px:\n" + "\n".join(touch)

    # The store's list: the new card (a replacement) and the old one, exchanged; nothing on the server.
    page.locator("[data-testid=nav-today]").click()
    expect(page.locator("[data-testid=card-item]")).to_have_count(2)
    fresh = card_item(page, new_imei)
    expect(fresh.locator("[data-testid=card-replacement]")).to_have_text("换货新机")
    expect(fresh.locator("[data-term=return]")).to_have_attribute("data-date", terms.return_until.isoformat())
    expect(card_item(page, old_imei).locator("[data-testid=card-standing]")).to_have_text("已换货")
    expect(card_item(page, old_imei)).to_have_attribute("data-sync", "pending")
    db.session.rollback()
    assert count(ServiceEvent) == 0
    assert count(WarrantyCard) == 1

    # Nothing lost on a reload while offline (the app from the service worker, the records from
    # IndexedDB): the same two cards, the exchange still waiting, the new card with the old dates.
    page.reload()
    expect(page.locator("[data-testid=cards-screen]")).to_be_visible()
    expect(sync_status(page)).to_have_attribute("data-state", "offline")
    expect(page.locator("[data-testid=card-item]")).to_have_count(2)
    fresh = card_item(page, new_imei)
    expect(fresh).to_have_attribute("data-sync", "pending")
    expect(fresh.locator("[data-term=return]")).to_have_attribute("data-date", terms.return_until.isoformat())
    expect(card_item(page, old_imei).locator("[data-testid=card-standing]")).to_have_text("已换货")
    fresh.click()
    detail = page.locator("[data-testid=card-detail]")
    expect(detail).to_have_attribute("data-card-id", new_id)
    expect(detail.locator("[data-testid=card-replaces]")).to_contain_text(old_imei)
    expect(detail.locator("[data-testid=service-event]")).to_have_attribute("data-sync", "pending")
    # Its correction keeps the inherited purchase date (the server refuses to move it).
    detail.locator("[data-testid=card-correct]").click()
    bought_field = page.locator("[data-testid=card-purchase_date]")
    expect(bought_field).to_have_value(bought.isoformat())
    expect(bought_field).to_have_attribute("readonly", "")
    expect(page.locator("[data-testid=card-purchase_date-inherited]")).to_have_text(
        f"换货新机沿用原机的购机日期（{zh_day(bought)}），不能修改。"
    )
    page.locator("[data-testid=nav-today]").click()
    fresh = card_item(page, new_imei)

    # --- back online: exactly once on the server --------------------------------------------------
    context.set_offline(False)
    expect(fresh).to_have_attribute("data-sync", "synced", timeout=SYNC_TIMEOUT_MS)
    wait_synced(page)
    expect(card_item(page, old_imei)).to_have_attribute("data-sync", "synced")
    shot(page, "service-04-synced-zh")
    db.session.rollback()
    assert count(ServiceEvent) == 1
    event = db.session.scalar(select(ServiceEvent))
    assert (event.kind, event.card_id, str(event.new_card_id)) == ("exchange", old_id, new_id)
    assert event.fault_code_id == db.session.scalar(select(FaultCode.id).where(FaultCode.code == "screen"))
    assert event.note == "屏幕闪烁"
    assert event.occurred_on == today
    assert count(WarrantyCard) == 2
    new_card = db.session.get(WarrantyCard, uuid.UUID(new_id))
    assert (new_card.imei, new_card.serial_number, new_card.product_id) == (new_imei, "SN-P30-0002", world.product.id)
    assert new_card.purchase_date == bought  # inherited: 三包 is not restarted
    assert new_card.replaces_card_id == old_id
    assert (new_card.buyer_name, new_card.invoice_number) == ("张三", "INV-0001")
    assert new_card.closed_kind is None
    old_card = db.session.get(WarrantyCard, old_id)
    assert old_card.closed_kind == "exchanged" and old_card.closed_at is not None
    assert count(SyncRejection) == 0

    # The new card, as the server sent it back, still shows the inherited dates.
    fresh.click()
    detail = page.locator("[data-testid=card-detail]")
    expect(detail).to_have_attribute("data-sync", "synced")
    expect(detail.locator("[data-field=purchase_date]")).to_have_text(zh_day(bought))
    expect(detail.locator("[data-testid=card-terms] [data-term=repair]")).to_have_attribute(
        "data-date", terms.repair_until.isoformat()
    )
    expect(detail.locator("[data-testid=service-event]")).to_have_attribute("data-sync", "synced")
    # The old card allows nothing more, and says so.
    detail.locator("[data-testid=card-replaces] a").click()
    detail = page.locator("[data-testid=card-detail]")
    expect(detail).to_have_attribute("data-card-id", str(old_id))
    expect(detail.locator("[data-testid=card-standing]")).to_have_text("已换货")
    for kind in ("return", "exchange", "repair"):
        expect(detail.locator(f"[data-testid=service-{kind}]")).to_be_disabled()
    expect(detail.locator("[data-testid=service-closed-why]")).to_have_text("已换货：请在新机的保修卡上办理。")
    expect(detail.locator("[data-testid=card-replaced-by]")).to_contain_text(new_imei)
    expect(detail.locator("[data-testid=service-new-card]")).to_contain_text(new_imei)
    shot(page, "service-05-old-card-zh")


def test_return_out_of_window_and_refused_by_policy(phone, e2e_world):
    world = e2e_world
    today = today_cn()
    add_fault_codes()
    late_bought = today - timedelta(days=8)  # day 8: the return ended yesterday
    late = add_card(world, 11, late_bought, buyer="李四")
    recent = add_card(world, 12, today - timedelta(days=2), buyer="王五")
    db.session.commit()
    late_id, late_imei, recent_id, recent_imei = late.id, late.imei, recent.id, recent.imei
    return_until = rules.terms(late_bought).return_until

    context, page = open_clerk(phone)
    context.set_offline(True)

    # --- day 8: the return button is disabled with the rule and its last day ----------------------
    card_item(page, late_imei).click()
    detail = page.locator("[data-testid=card-detail]")
    expect(detail.locator("[data-testid=service-return]")).to_be_disabled()
    expect(detail.locator("[data-testid=service-return-why]")).to_have_text(
        f"退货期已过（截至 {zh_day(return_until)}）。"
    )
    expect(detail.locator("[data-testid=service-return-why]")).to_have_attribute(
        "data-reason", "service.return_expired"
    )
    expect(detail.locator("[data-testid=service-exchange]")).to_have_attribute("data-allowed", "true")
    # Opened by its address all the same, the return form refuses and offers nothing to confirm.
    go(page, f"/card/{late_id}/return")
    form = page.locator("[data-testid=service-form]")
    expect(form.locator("[data-testid=service-window]")).to_have_attribute("data-allowed", "false")
    expect(form.locator("[data-testid=service-window]")).to_contain_text(zh_day(return_until))
    expect(form.locator("[data-testid=service-save]")).to_have_count(0)
    shot(page, "service-06-return-expired-zh")

    # --- a "no fault" return: queued (the phone cannot know the policy), refused by the server -----
    go(page, f"/card/{recent_id}/return")
    form = page.locator("[data-testid=service-form]")
    expect(form.locator("[data-testid=service-fault]")).to_have_text(["屏幕故障", "电池故障", "无故障（无理由）"])
    form.locator("[data-testid=service-fault][data-code=no_fault]").click()
    form.locator("[data-testid=service-save]").click()
    detail = page.locator("[data-testid=card-detail]")
    expect(detail).to_have_attribute("data-card-id", str(recent_id))
    expect(detail.locator("[data-testid=card-standing]")).to_have_text("已退货")  # at once
    expect(detail).to_have_attribute("data-sync", "pending")
    expect(detail.locator("[data-testid=service-event]")).to_have_attribute("data-sync", "pending")
    db.session.rollback()
    assert count(ServiceEvent) == 0

    context.set_offline(False)
    expect(detail).to_have_attribute("data-sync", "refused", timeout=SYNC_TIMEOUT_MS)
    refusal = "按现行政策不接受无故障（无理由）退货"
    expect(detail.locator("[data-testid=card-refusal]")).to_contain_text("服务器拒绝了这次退货。")
    expect(detail.locator("[data-testid=card-refusal]")).to_contain_text(refusal)
    event = detail.locator("[data-testid=service-event]")
    expect(event).to_have_attribute("data-sync", "refused")
    # said once, on the card (the history marks the event refused)
    expect(event.locator("[data-testid=card-sync]")).to_have_text("被拒绝")
    expect(detail.locator("[data-testid=service-event-refusal]")).to_have_count(0)
    # The server's card is live: once pulled, the card reads returnable again.
    expect(detail.locator("[data-testid=card-standing]")).to_have_text("可退货", timeout=SYNC_TIMEOUT_MS)
    shot(page, "service-07-refused-zh")
    db.session.rollback()
    assert count(ServiceEvent) == 0
    assert db.session.get(WarrantyCard, recent_id).closed_kind is None
    assert count(SyncRejection) == 1

    # Discarded, the refusal is gone; the card can be returned with a fault.
    page.once("dialog", lambda dialog: dialog.accept())
    detail.locator("[data-testid=card-discard]").click()
    expect(detail.locator("[data-testid=service-event]")).to_have_count(0)
    expect(detail).to_have_attribute("data-sync", "synced")
    detail.locator("[data-testid=service-return]").click()
    form = page.locator("[data-testid=service-form]")
    form.locator("[data-testid=service-fault][data-code=battery]").click()
    form.locator("[data-testid=service-save]").click()
    detail = page.locator("[data-testid=card-detail]")
    expect(detail).to_have_attribute("data-sync", "synced", timeout=SYNC_TIMEOUT_MS)
    expect(detail.locator("[data-testid=card-standing]")).to_have_text("已退货")
    db.session.rollback()
    assert count(ServiceEvent, ServiceEvent.kind == "return", ServiceEvent.card_id == recent_id) == 1
    assert db.session.get(WarrantyCard, recent_id).closed_kind == "returned"
    assert db.session.get(WarrantyCard, late_id).closed_kind is None
    assert recent_imei  # the returned unit's IMEI is free again (the server's tests cover it)


def test_repair_referral_in_english(phone, e2e_world):
    world = e2e_world
    today = today_cn()
    bought = max(today - timedelta(days=40), world.product.launch_date)
    terms = rules.terms(bought)
    add_fault_codes()
    card = add_card(world, 21, bought)
    territory = db.session.get(Territory, world.store_a1.territory_id)
    point = make_store(
        "SP-01", territory, 23.13, 113.33, kind="service_point", name="天河服务网点", address="天河路 1 号"
    )
    provider = Partner(code="RP-01", name="粤修科技", kind="local_distributor", repair_provider=True)
    db.session.add(provider)
    db.session.commit()
    card_id, card_imei, point_id = card.id, card.imei, point.id

    context, page = open_clerk(phone, locale="en-US")
    card_item(page, card_imei).click()
    detail = page.locator("[data-testid=card-detail]")
    if (today - bought).days > 15:
        expect(detail.locator("[data-testid=service-return-why]")).to_have_text(
            f"Return period over (ended {en_day(terms.return_until)})."
        )
        expect(detail.locator("[data-testid=service-exchange]")).to_be_disabled()
    expect(detail.locator("[data-testid=service-repair-why]")).to_have_text(
        f"Repair under warranty until {en_day(terms.repair_until)}."
    )
    shot(page, "service-08-card-en")

    # Online, the repair form fetches the repair points; offline they are still there.
    detail.locator("[data-testid=service-repair]").click()
    form = page.locator("[data-testid=service-form]")
    points = form.locator("[data-testid=service-repair-point]")
    expect(points).to_have_count(2)
    expect(points.nth(0)).to_contain_text("天河服务网点")
    expect(points.nth(0)).to_contain_text("Service point")
    expect(points.nth(1)).to_contain_text("Repair provider")
    page.locator("[data-testid=nav-today]").click()
    context.set_offline(True)
    expect(sync_status(page)).to_have_attribute("data-state", "offline")
    go(page, f"/card/{card_id}/repair")
    form = page.locator("[data-testid=service-form]")
    expect(form.locator("[data-testid=service-fault]")).to_have_text(["Screen fault", "Battery fault"])
    form.locator("[data-testid=service-fault][data-code=battery]").click()
    form.locator("[data-testid=service-save]").click()
    expect(form.locator("[data-testid=service-point-problem]")).to_have_text("✗ Pick the repair point.")
    form.locator(f"[data-testid=service-repair-point][data-key='store:{point_id}']").click()
    shot(page, "service-09-repair-form-en")
    touch = offenders(page, "repair form")
    assert touch == [], "controls smaller than 44×44 px:\n" + "\n".join(touch)
    form.locator("[data-testid=service-save]").click()
    detail = page.locator("[data-testid=card-detail]")
    event = detail.locator("[data-testid=service-event]")
    expect(event).to_have_attribute("data-kind", "repair")
    expect(event).to_contain_text("to 天河服务网点")
    expect(event).to_contain_text("Battery fault")
    # A repair leaves the card live.
    expect(detail.locator("[data-testid=service-repair]")).to_have_attribute("data-allowed", "true")

    context.set_offline(False)
    expect(event).to_have_attribute("data-sync", "synced", timeout=SYNC_TIMEOUT_MS)
    shot(page, "service-10-repaired-en")
    db.session.rollback()
    ev = db.session.scalar(select(ServiceEvent))
    assert (ev.kind, ev.card_id, ev.repair_store_id, ev.repair_partner_id) == ("repair", card_id, point_id, None)
    assert db.session.get(WarrantyCard, card_id).closed_kind is None


def test_exchange_form_in_english(phone, e2e_world):
    """The card's page and the exchange form in English (screenshots), nothing recorded."""
    world = e2e_world
    bought = max(today_cn() - timedelta(days=3), world.product.launch_date)
    add_fault_codes()
    card = add_card(world, 31, bought)
    db.session.commit()
    context, page = open_clerk(phone, locale="en-US")
    card_item(page, card.imei).click()
    detail = page.locator("[data-testid=card-detail]")
    expect(detail.locator("[data-testid=service-exchange]")).to_have_text("Exchange (换货)")
    detail.locator("[data-testid=service-exchange]").click()
    form = page.locator("[data-testid=service-form]")
    expect(form.locator("[data-testid=service-save]")).to_have_text("Confirm the exchange")
    form.locator("[data-testid=service-fault][data-code=screen]").click()
    form.locator("[data-testid=service-imei]").fill(make_imei(serial=32))
    expect(form.locator("[data-testid=service-imei-check]")).to_have_attribute("data-valid", "true")
    shot(page, "service-11-exchange-form-en")
