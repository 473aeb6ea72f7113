"""A rep's day, end to end: a real browser (Debian's Chromium) on a phone viewport runs the built
PWA against the real server. The rep signs in, loses the network, does a whole visit, reloads the
app with no network (service worker + IndexedDB), gets the network back and watches the outbox
drain; the server then holds every record exactly once and the processed photo, and a second
phone of the same rep receives the visit by pull. A refused entry shows the server's reason."""

from __future__ import annotations

import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import func, select

from backend.extensions import db
from backend.intel.models import IntelReport, PriceObservation
from backend.photos.models import Photo, PhotoLink
from backend.stock.models import StockMovement
from backend.stores.models import Store
from backend.sync.models import SyncRejection
from backend.visits.models import DisplayCheck, Visit

from .conftest import login, shot, wait_for_service_worker, wait_until

pytestmark = pytest.mark.slow

SYNC_TIMEOUT_MS = 30_000


def make_jpeg(path, size=(1200, 900)) -> str:
    """A shelf photo, as a phone camera would give it (a JPEG with some structure)."""
    image = Image.new("RGB", size, (225, 228, 232))
    draw = ImageDraw.Draw(image)
    for i in range(0, size[0], 100):
        draw.rectangle([i + 10, 200, i + 80, 700], fill=(20 + i % 200, 90, 160))
    draw.text((40, 40), "XINGLAN P30", fill=(10, 10, 10))
    image.save(path, "JPEG", quality=85)
    return str(path)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def sync_status(page):
    return page.locator("[data-testid=sync-status]")


def wait_synced(page, timeout=SYNC_TIMEOUT_MS):
    expect(sync_status(page)).to_have_attribute("data-state", "synced", timeout=timeout)


def open_step(page, testid):
    step = page.locator(f"[data-testid={testid}]")
    if step.get_attribute("open") is None:
        step.locator("summary").click()
    return step


def do_visit(page, world, photo_path):
    """Check in at store A1 and record everything a visit has; each step is saved at once."""
    # The search finds a store by the pinyin of its name too (迪信通 体育西店), offline or not.
    for text in ("tiyuxi", "tyx"):
        page.locator("[data-testid=store-search]").fill(text)
        expect(page.locator("[data-testid=store-item]")).to_have_count(1)
        expect(page.locator(f"[data-testid=store-item][data-store-id='{world.store_a1b.id}']")).to_be_visible()
    page.locator("[data-testid=store-search]").fill("天河城")
    expect(page.locator("[data-testid=store-item]")).to_have_count(1)
    page.locator(f"[data-testid=store-item][data-store-id='{world.store_a1.id}']").click()
    expect(page.locator("[data-testid=store-screen] h1")).to_have_text(world.store_a1.name)
    shot(page, "02-store")
    page.locator("[data-testid=check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    expect(page.locator("[data-testid=visit-offsite]")).to_have_count(0)

    # Display check: a yes/no item, a number item and a photo.
    display = open_step(page, "step-display")
    display.locator("[data-item-code=LOGO] button", has_text="是").click()
    display.locator("[data-item-code=DEMO] input").fill("2")
    display.locator("[data-testid=display-photo-input]").set_input_files(photo_path)
    expect(display.locator("img[data-photo-id]")).to_have_count(1)
    display.locator("[data-testid=save-display]").click()
    shot(page, "03-display-saved")
    expect(display.locator("[data-testid=saved-entry]")).to_have_count(1)

    # Promo material, in its grid (open by default): a count typed in the material's row, then a
    # delivery (another movement kind); each records itself, no save tap.
    stock = page.locator("[data-testid=step-stock]")
    row = stock.locator(f"[data-testid=stock-row][data-material-id='{world.material.id}']")
    row.locator("[data-testid=stock-input]").fill("14")
    row.locator("[data-testid=stock-input]").press("Enter")
    expect(row).to_have_attribute("data-recorded", "true")
    stock.locator("[data-testid=stock-kinds] button[data-kind=delivered]").click()
    row.locator("[data-testid=stock-input]").fill("5")
    row.locator("[data-testid=stock-input]").press("Enter")
    expect(row).to_contain_text("+5")

    # Two prices in the price grid: our own model (in the grid, with a promotion behind its
    # "⋯"), then a competitor's model not in the grid yet (brand → model adds its row).
    prices = page.locator("[data-testid=step-prices]")
    own = prices.locator(f"[data-testid=price-row][data-model-key='p:{world.product.id}']")
    own.locator("[data-testid=price-input]").fill("2999")
    own.locator("[data-testid=price-more-toggle]").click()
    own.locator("[data-testid=price-promo]").fill("2799")
    own.locator("[data-testid=price-promo-save]").click()
    expect(own).to_have_attribute("data-recorded", "true")
    expect(own).to_contain_text(re.compile(r"2,799|2799"))
    prices.locator("[data-testid=price-add-model]").click()
    prices.locator("[data-testid=price-brands] button", has_text=world.brand.name).click()
    prices.locator("[data-testid=price-models] button", has_text=world.competitor_model.name).click()
    competitor = prices.locator(f"[data-testid=price-row][data-model-key='c:{world.competitor_model.id}']")
    expect(competitor.locator("[data-testid=price-input]")).to_be_focused()
    competitor.locator("[data-testid=price-input]").fill("2599")
    competitor.locator("[data-testid=price-input]").press("Enter")
    expect(competitor).to_have_attribute("data-recorded", "true")
    shot(page, "04-prices")

    # A new store seen on the way.
    intel = open_step(page, "step-intel")
    intel.locator("[data-testid=intel-name]").fill("荣耀 天河新店")
    intel.locator("[data-testid=intel-address]").fill("天河路 385 号")
    intel.locator("[data-testid=save-intel]").click()
    expect(intel.locator("[data-testid=saved-entry]")).to_have_count(1)

    page.locator("[data-testid=visit-notes]").fill("店长反馈演示机需要更新")
    page.locator("[data-testid=check-out]").click()
    expect(page.locator("[data-testid=visit-finished]")).to_be_visible()
    shot(page, "05-visit-finished")


def test_offline_visit_syncs_exactly_once(phone, e2e_world, tmp_path):
    world = e2e_world
    photo = make_jpeg(tmp_path / "shelf.jpg")
    context = phone()
    page = context.new_page()
    login(page, "rep_a1")
    wait_synced(page)
    expect(page.locator(f"[data-testid=store-item][data-store-id='{world.store_a1.id}']")).to_be_visible()
    wait_for_service_worker(page)
    shot(page, "01-today")

    context.set_offline(True)
    expect(sync_status(page)).to_have_attribute("data-state", "offline")
    do_visit(page, world, photo)

    # Nothing reached the server: the phone is offline.
    db.session.rollback()
    assert count(Visit) == 0

    # The app opens again with no network: the shell from the service worker, data and session
    # from IndexedDB, the queued entries still there.
    page.reload()
    expect(sync_status(page)).to_have_attribute("data-state", "offline")
    page.goto("/#/outbox")
    pending = page.locator("[data-testid=outbox-pending] [data-testid=outbox-entry]")
    expect(pending).to_have_count(8)  # check-in, display check, 2 stock, 2 prices, intel, check-out
    expect(sync_status(page)).to_have_attribute("data-pending", "8")
    shot(page, "06-outbox-offline")

    # The network is back: the outbox drains by itself.
    context.set_offline(False)
    expect(page.locator("[data-testid=outbox-empty]")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    wait_synced(page)

    # Each record exactly once on the server.
    rep = world.rep_a1
    assert count(Visit, Visit.rep_id == rep.id) == 1
    visit = db.session.scalar(select(Visit))
    assert visit.store_id == world.store_a1.id
    assert visit.checked_out_at is not None
    assert visit.off_site is False
    assert visit.notes == "店长反馈演示机需要更新"
    assert count(DisplayCheck, DisplayCheck.visit_id == visit.id) == 1
    check = db.session.scalar(select(DisplayCheck))
    assert sorted((a["item_id"], a["value"]) for a in check.answers) == sorted(
        [(world.yes_item.id, True), (world.number_item.id, 2)]
    )
    movements = db.session.scalars(select(StockMovement).order_by(StockMovement.recorded_at)).all()
    assert [(m.kind, m.quantity, str(m.visit_id)) for m in movements] == [
        ("counted", 14, str(visit.id)),
        ("delivered", 5, str(visit.id)),
    ]
    prices = {(p.product_id, p.competitor_model_id): p for p in db.session.scalars(select(PriceObservation)).all()}
    assert len(prices) == count(PriceObservation) == 2
    assert str(prices[(None, world.competitor_model.id)].shelf_price) == "2599.00"
    own = prices[(world.product.id, None)]
    assert (str(own.shelf_price), str(own.promo_price)) == ("2999.00", "2799.00")
    assert count(IntelReport) == 1
    report = db.session.scalar(select(IntelReport))
    assert (report.kind, report.name, report.rep_id) == ("new_store", "荣耀 天河新店", rep.id)

    # The photo arrived in its own lane, attached to the display check, and was processed.
    link = db.session.scalar(select(PhotoLink).where(PhotoLink.record_id == check.id))
    assert link is not None
    wait_until(
        lambda: db.session.scalar(select(Photo.status).where(Photo.id == link.photo_id)) == "ready",
        message="the photo to be processed",
    )
    assert count(Photo) == 1
    assert count(SyncRejection) == 0

    # A second phone of the same rep receives the visit by pull.
    other = phone().new_page()
    login(other, "rep_a1")
    wait_synced(other)
    other.goto(f"/#/store/{world.store_a1.id}")
    last_visit = other.locator("[data-testid=last-visit]")
    expect(last_visit).not_to_contain_text("尚未拜访")
    expect(last_visit).to_contain_text("店长反馈演示机需要更新")
    expect(other.locator("[data-testid=store-screen]")).to_contain_text(re.compile(r"2,599\.00|2599\.00"))


def record_price(page, world, shelf: str):
    """A competitor's price typed in the visit's price grid (its row added by brand → model)."""
    prices = page.locator("[data-testid=step-prices]")
    row = prices.locator(f"[data-testid=price-row][data-model-key='c:{world.competitor_model.id}']")
    if row.count() == 0:
        prices.locator("[data-testid=price-add-model]").click()
        prices.locator("[data-testid=price-brands] button", has_text=world.brand.name).click()
        prices.locator("[data-testid=price-models] button", has_text=world.competitor_model.name).click()
    row.locator("[data-testid=price-input]").fill(shelf)
    row.locator("[data-testid=price-input]").press("Enter")
    expect(row).to_have_attribute("data-recorded", "true")


def test_refused_entries_show_the_reason_and_can_be_corrected(phone, e2e_world):
    world = e2e_world
    far_store = world.store_a1b  # 2 km north of where the phone is
    context = phone()
    page = context.new_page()
    login(page, "rep_a1")
    wait_synced(page)
    context.set_offline(True)

    page.goto(f"/#/store/{far_store.id}")
    page.locator("[data-testid=check-in]").click()
    # Far from the store: a clear warning first, then the rep may still check in.
    expect(page.locator("[data-testid=checkin-far]")).to_be_visible()
    shot(page, "07-checkin-far")
    page.locator("[data-testid=checkin-anyway]").click()
    expect(page.locator("[data-testid=visit-offsite]")).to_be_visible()
    record_price(page, world, "2499")
    # One visit at a time: checked out here before the store next door offers its check-in.
    page.locator("[data-testid=check-out]").click()
    expect(page.locator("[data-testid=visit-finished]")).to_be_visible()

    # At the store next door, a slip of the finger: a price the server will refuse as invalid.
    page.goto(f"/#/store/{world.store_a1.id}")
    page.locator("[data-testid=check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    record_price(page, world, "99999999")

    # Meanwhile the far store moves to another territory: the rep no longer has access to it.
    db.session.get(Store, far_store.id).territory_id = world.terr_a2.id
    db.session.commit()

    context.set_offline(False)
    page.goto("/#/outbox")
    rejected = page.locator("[data-testid=outbox-rejected] [data-testid=outbox-entry]")
    # check-in, price and check-out at the far store, the typo
    expect(rejected).to_have_count(4, timeout=SYNC_TIMEOUT_MS)
    lost = rejected.filter(has_text="2,499")
    typo = rejected.filter(has_text="99,999,999")
    # The server's reasons, said in the UI's language (their codes and params: i18n/reasons.js).
    expect(lost.locator("[data-testid=outbox-reason]")).to_contain_text("找不到这家门店")
    expect(typo.locator("[data-testid=outbox-reason]")).to_contain_text("字段 标价（¥） 的值无效")
    expect(rejected.locator("[data-testid=outbox-reason]", has_text="No store")).to_have_count(0)
    expect(page.locator("[data-testid=sync-rejected]")).to_be_visible()
    shot(page, "08-outbox-rejected")
    # and in English
    page.evaluate("localStorage.setItem('fieldsales.lang', 'en')")
    page.reload()
    expect(lost.locator("[data-testid=outbox-reason]")).to_contain_text("This store is not on the server")
    expect(typo.locator("[data-testid=outbox-reason]")).to_contain_text("The value of Shelf price (¥) is not valid.")
    shot(page, "08-outbox-rejected-en")
    page.evaluate("localStorage.setItem('fieldsales.lang', 'zh-CN')")
    page.reload()
    expect(lost.locator("[data-testid=outbox-reason]")).to_contain_text("找不到这家门店")
    db.session.rollback()
    assert count(SyncRejection) == 4
    assert count(PriceObservation) == 0
    assert count(Visit) == 1  # the check-in next door went through

    # The typo is corrected and sent again: it reaches the server.
    typo.locator("[data-testid=outbox-fix]").click()
    typo.locator("input[data-field=shelf_price]").fill("2999")
    typo.locator("[data-testid=outbox-resend]").click()
    expect(rejected).to_have_count(3)
    wait_synced(page)
    price = wait_until(lambda: db.session.scalar(select(PriceObservation)), message="the corrected price")
    assert (price.store_id, str(price.shelf_price)) == (world.store_a1.id, "2999.00")

    # A refused entry can be discarded.
    page.once("dialog", lambda dialog: dialog.accept())
    lost.locator("[data-testid=outbox-discard]").click()
    expect(rejected).to_have_count(2)  # the far store's check-in and check-out

    # Signing out with entries that never reached the server asks first.
    page.goto("/#/settings")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.locator("[data-testid=logout]").click()
    assert questions and "2" in questions[0]
    expect(page.locator("[data-testid=settings-screen]")).to_be_visible()


def test_new_version_waits_for_the_user(phone, deployable_dist):
    """A deployed new version installs in the background and is offered ("update available");
    it replaces the running app only when the rep accepts, never in the middle of a visit."""
    dist = deployable_dist
    page = phone().new_page()
    page.goto("/")
    wait_for_service_worker(page)
    expect(page.locator("[data-testid=login-form]")).to_be_visible()
    expect(page.locator("[data-testid=update-prompt]")).to_have_count(0)

    # Deploy "a new version": the service worker script changes.
    sw = dist / "sw.js"
    sw.write_text(sw.read_text() + "\n// next release\n")
    page.reload()
    prompt = page.locator("[data-testid=update-prompt]")
    expect(prompt).to_be_visible()
    shot(page, "09-update-prompt")
    prompt.locator("button.btn-primary").click()
    page.wait_for_load_state()
    expect(page.locator("[data-testid=login-form]")).to_be_visible()
    expect(page.locator("[data-testid=update-prompt]")).to_have_count(0, timeout=5000)


def test_sign_in_in_either_language(phone, e2e_world):
    page = phone(locale="en-GB").new_page()
    api = []
    page.on("response", lambda r: api.append(r) if "/api/" in r.url else None)
    page.goto("/")
    form = page.locator("[data-testid=login-form]")
    expect(form.locator("h2")).to_have_text("Sign in")  # from the browser's language
    page.get_by_role("button", name="简体中文").click()
    expect(form.locator("h2")).to_have_text("登录")
    page.locator("input[name=username]").fill("rep_a1")
    page.locator("input[name=password]").fill("wrong password")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=login-error]")).to_have_text("用户名或密码错误。")
    page.get_by_role("button", name="English").click()
    login(page, "rep_a1")
    wait_synced(page)
    expect(page.locator("[data-testid=sync-status]")).to_have_text("Synced")
    # JSON comes compressed to a browser that accepts it (the app's own compression, passed
    # through nginx unchanged in production): the first sync pull, a sign-in's largest answer,
    # is over the 500-byte minimum. Chromium offers br and zstd on localhost too (a secure
    # context), and the app prefers br.
    pulls = [r for r in api if "/api/v1/sync/pull" in r.url and len(r.body()) >= 1024]
    assert pulls, [r.url for r in api]
    for r in pulls:
        offered = r.request.all_headers()["accept-encoding"]
        assert "br" in offered, offered
        headers = r.all_headers()
        assert (r.status, headers["content-type"], headers.get("content-encoding")) == (
            200,
            "application/json",
            "br",
        ), (r.url, headers)
    # The choice sticks across reloads.
    page.reload()
    expect(page.locator("[data-testid=nav-today]")).to_contain_text("Today")
