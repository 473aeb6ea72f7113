"""A store clerk's counter with no network, end to end: a real browser (Debian's Chromium) on a
phone viewport runs the built PWA against the real server. The clerk signs in, the network goes,
and she registers a warranty card (the IMEI typed, the live check digit check catching a typo
first) and sees it waiting in the store's list with its 三包 dates; a second card, for an IMEI
another store already registered, also waits. The network comes back: the first card reaches the
server exactly once and shows as synced, the second shows as refused with the server's reason."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from backend.extensions import db
from backend.sync.models import SyncRejection
from backend.warranty import rules
from backend.warranty.models import WarrantyCard
from tests.factories import imei as make_imei

from .conftest import login, shot, wait_for_service_worker

pytestmark = pytest.mark.slow

SYNC_TIMEOUT_MS = 30_000


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def sync_status(page):
    return page.locator("[data-testid=sync-status]")


def wait_synced(page, timeout=SYNC_TIMEOUT_MS):
    expect(sync_status(page)).to_have_attribute("data-state", "synced", timeout=timeout)


def card_item(page, imei: str):
    return page.locator(f"[data-testid=card-item][data-imei='{imei}']")


def fill_card(page, *, serial: str, buyer: str, phone: str, invoice: str, purchase_date: str) -> None:
    page.locator("[data-testid=card-serial_number]").fill(serial)
    page.locator("[data-testid=card-buyer_name]").fill(buyer)
    page.locator("[data-testid=card-buyer_phone]").fill(phone)
    page.locator("[data-testid=card-invoice_number]").fill(invoice)
    page.locator("[data-testid=card-purchase_date]").fill(purchase_date)


def test_clerk_registers_cards_offline(phone, e2e_world):
    world = e2e_world
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    bought = max(today - timedelta(days=3), world.product.launch_date)
    terms = rules.terms(bought)

    # Another store (not on this clerk's phone) already has a card for this IMEI.
    taken = make_imei(serial=777)
    db.session.add(
        WarrantyCard(
            id=uuid.uuid4(),
            imei=taken,
            product_id=world.product.id,
            serial_number="SN-B1-0777",
            buyer_name="王五",
            buyer_phone="13900000009",
            invoice_number="NN-0777",
            purchase_date=bought,
            store_id=world.store_b1.id,
            registered_by=world.clerk_b1.id,
            registered_at=datetime.utcnow() - timedelta(days=1),
        )
    )
    db.session.commit()

    context = phone()
    page = context.new_page()
    login(page, "clerk_a1")
    expect(page.locator("[data-testid=cards-screen]")).to_be_visible()
    wait_synced(page)
    wait_for_service_worker(page)
    expect(page.locator("[data-testid=cards-empty]")).to_be_visible()
    shot(page, "clerk-01-cards")

    context.set_offline(True)
    expect(sync_status(page)).to_have_attribute("data-state", "offline")

    # --- a card, the IMEI typed: the check digit is checked as the clerk types -------------------
    page.locator("[data-testid=register-card]").click()
    expect(page.locator("[data-testid=card-form]")).to_be_visible()
    good = make_imei(serial=1)
    typo = good[:-1] + str((int(good[-1]) + 1) % 10)
    imei_input = page.locator("[data-testid=card-imei]")
    check = page.locator("[data-testid=card-imei-check]")
    imei_input.press_sequentially(typo[:14])
    expect(check).to_have_attribute("data-valid", "")  # not judged before the 15th digit
    imei_input.press_sequentially(typo[14])
    expect(check).to_have_attribute("data-valid", "false")
    expect(check).to_contain_text("校验位")
    shot(page, "clerk-02-typo")
    imei_input.press("Backspace")
    imei_input.press_sequentially(good[14])
    expect(check).to_have_attribute("data-valid", "true")
    # The only model of the catalogue is chosen; its TAC matches.
    expect(page.locator("[data-testid=card-product_id]")).to_have_value(str(world.product.id))

    fill_card(
        page,
        serial="SN-P30-0001",
        buyer="张三",
        phone="138 1234 5678",
        invoice="INV-0001",
        purchase_date=bought.isoformat(),
    )
    preview = page.locator("[data-testid=card-terms-preview]")
    expect(preview.locator("[data-term=return]")).to_have_attribute("data-date", terms.return_until.isoformat())
    expect(preview.locator("[data-term=exchange]")).to_have_attribute("data-date", terms.exchange_until.isoformat())
    expect(preview.locator("[data-term=repair]")).to_have_attribute("data-date", terms.repair_until.isoformat())
    shot(page, "clerk-03-form")
    page.locator("[data-testid=card-save]").click()

    detail = page.locator("[data-testid=card-detail]")
    expect(detail).to_have_attribute("data-sync", "pending")
    expect(detail.locator("[data-testid=card-imei-title]")).to_have_text(good)
    expect(detail.locator("[data-field=buyer_phone]")).to_have_text("13812345678")

    # --- a second card, for the IMEI another store registered (this phone cannot know) --------
    page.locator("[data-testid=register-another]").click()
    expect(page.locator("[data-testid=card-form]")).to_be_visible()
    page.locator("[data-testid=card-imei]").fill(taken)
    expect(check).to_have_attribute("data-valid", "true")
    fill_card(
        page,
        serial="SN-P30-0777",
        buyer="李四",
        phone="13900000001",
        invoice="INV-0002",
        purchase_date=bought.isoformat(),
    )
    page.locator("[data-testid=card-save]").click()
    expect(page.locator("[data-testid=card-detail]")).to_have_attribute("data-sync", "pending")

    # Both wait in the store's list, newest first, with their 三包 dates; nothing reached the server.
    page.locator("[data-testid=nav-today]").click()
    items = page.locator("[data-testid=card-item]")
    expect(items).to_have_count(2)
    first = card_item(page, good)
    expect(first).to_have_attribute("data-sync", "pending")
    expect(first.locator("[data-testid=card-sync]")).to_have_text("待同步")
    expect(first.locator("[data-term=return]")).to_have_attribute("data-date", terms.return_until.isoformat())
    expect(first.locator("[data-term=repair]")).to_have_attribute("data-date", terms.repair_until.isoformat())
    expect(first).to_contain_text("张三")
    expect(card_item(page, taken)).to_have_attribute("data-sync", "pending")
    # The look-up filters as the clerk types.
    page.locator("[data-testid=card-search]").fill(good[:14])
    expect(items).to_have_count(1)
    page.locator("[data-testid=card-search]").fill("")
    expect(items).to_have_count(2)
    expect(sync_status(page)).to_have_attribute("data-pending", "2")
    shot(page, "clerk-04-pending")
    db.session.rollback()
    assert count(WarrantyCard) == 1

    # --- the network is back -------------------------------------------------------------------
    context.set_offline(False)
    expect(first).to_have_attribute("data-sync", "synced", timeout=SYNC_TIMEOUT_MS)
    wait_synced(page)
    expect(first.locator("[data-testid=card-sync]")).to_have_text("已同步")
    refused = card_item(page, taken)
    expect(refused).to_have_attribute("data-sync", "refused")
    # the server's reason in the clerk's language (card.imei_taken_elsewhere), not its English
    expect(refused.locator("[data-testid=card-refusal]")).to_contain_text(f"IMEI {taken} 已有保修卡（其他门店")
    expect(page.locator("[data-testid=cards-refused]")).to_be_visible()
    shot(page, "clerk-05-synced")

    # Exactly once on the server, as the clerk typed it (phone normalised), at her store.
    db.session.rollback()
    assert count(WarrantyCard, WarrantyCard.imei == good) == 1
    card = db.session.scalar(select(WarrantyCard).where(WarrantyCard.imei == good))
    assert card.store_id == world.store_a1.id
    assert card.registered_by == world.clerk_a1.id
    assert (card.serial_number, card.buyer_name, card.buyer_phone, card.invoice_number) == (
        "SN-P30-0001",
        "张三",
        "13812345678",
        "INV-0001",
    )
    assert card.purchase_date == bought
    assert card.product_id == world.product.id
    # The duplicate was refused, not stored: the other store's card is the only one for that IMEI.
    assert count(WarrantyCard, WarrantyCard.imei == taken) == 1
    assert count(SyncRejection) == 1

    # The refused card explains itself, and can be discarded.
    refused.click()
    detail = page.locator("[data-testid=card-detail]")
    expect(detail).to_have_attribute("data-sync", "refused")
    expect(detail.locator("[data-testid=card-refusal]")).to_contain_text("已有保修卡")
    page.once("dialog", lambda dialog: dialog.accept())
    detail.locator("[data-testid=card-discard]").click()
    expect(page.locator("[data-testid=cards-screen]")).to_be_visible()
    expect(items).to_have_count(1)
    expect(card_item(page, good)).to_have_attribute("data-sync", "synced")


PWA = Path(__file__).resolve().parents[2] / "pwa"
LABEL_JS = """
import { readFileSync, writeFileSync } from 'node:fs';
import { prepareZXingModule, writeBarcode } from 'zxing-wasm/writer';
const [text, out] = process.argv.slice(1);
const wasm = readFileSync('node_modules/zxing-wasm/dist/writer/zxing_writer.wasm');
const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength);
prepareZXingModule({ overrides: { wasmBinary } });
const label = await writeBarcode(text, { format: 'Code128', scale: 3 });
if (label.error) throw new Error(label.error);
writeFileSync(out, Buffer.from(await label.image.arrayBuffer()));
"""


def make_label(text: str, path: Path) -> str:
    """A PNG of an IMEI label's Code 128 barcode, drawn by ZXing's writer (from the PWA's
    node_modules: the app itself ships only the reader)."""
    node = shutil.which("node")
    if not node or not (PWA / "node_modules" / "zxing-wasm" / "dist" / "writer").is_dir():
        pytest.skip("node and pwa/node_modules are needed to draw a barcode label")
    subprocess.run([node, "--input-type=module", "-e", LABEL_JS, text, str(path)], cwd=PWA, check=True, timeout=60)
    return str(path)


def test_clerk_scans_a_label_offline(phone, e2e_world, live_server, tmp_path):
    """The barcode reader (ZXing's .wasm, bundled and precached) works with no network: a photo of
    the label fills the IMEI, and the model follows from its TAC. Nothing is fetched elsewhere."""
    world = e2e_world
    unit = make_imei(serial=42)
    label = make_label(f"IMEI:{unit}", tmp_path / "label.png")
    context = phone()
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    login(page, "clerk_a1")
    wait_synced(page)
    wait_for_service_worker(page)
    page.reload()  # now the service worker serves the app, from its precache
    expect(page.locator("[data-testid=cards-screen]")).to_be_visible()

    context.set_offline(True)
    page.locator("[data-testid=register-card]").click()
    page.locator("[data-testid=card-scan]").click()
    scanner = page.locator("[data-testid=scanner]")
    expect(scanner).to_be_visible()
    # Headless Chromium has no camera: the scanner says so and offers a photo of the label.
    expect(scanner).to_contain_text("拍摄标签照片")
    scanner.locator("[data-testid=scanner-photo]").set_input_files(label)
    expect(scanner).to_have_count(0, timeout=20_000)
    expect(page.locator("[data-testid=card-imei]")).to_have_value(unit)
    expect(page.locator("[data-testid=card-imei-check]")).to_have_attribute("data-valid", "true")
    expect(page.locator("[data-testid=card-product_id]")).to_have_value(str(world.product.id))
    shot(page, "clerk-06-scanned")
    assert hosts == {urlsplit(live_server).netloc}, hosts
