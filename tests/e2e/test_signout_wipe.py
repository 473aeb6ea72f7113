"""Signing out leaves nothing of the user on the phone, end to end in Debian's Chromium.

What is on the phone is read from the page itself: every IndexedDB database the origin has
(`indexedDB.databases()`, each opened and every store's rows read), Cache Storage (`caches.keys()`
and each cache's requests) and Web Storage. Every "nothing is left" is measured against a "before"
that held the user's data: the rows pulled from the server (a rep's contact, visit and price, a
clerk's warranty card with the buyer's phone and address), the session and its token, an entry
waiting in the outbox with its photo's blob. The app caches no API answer and keeps nothing in Web
Storage by itself, so the test puts some there as a future runtime cache or a screen's draft would
(`plant`): the wipe must remove them too, and keep the precached app shell and the language.

Then another user signs in on the same browser (after a sign-out, and after the first user's
session expired), and that user's local database holds none of the first user's rows."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select, update

from backend.auth.models import AuthToken
from backend.core.timeutil import utcnow
from backend.extensions import db
from tests.factories import PASSWORD, ApiClient, iso, new_id
from tests.warranty.helpers import card_body

from .conftest import login, wait_for_service_worker

pytestmark = pytest.mark.slow

SYNC_TIMEOUT_MS = 30_000
LANG_KEY = "fieldsales.lang"
# The business time zone (pwa/src/warranty/zone.js): the server's public setting, kept for the next
# user's offline days like the language.
ZONE_KEY = "fs.businessTimezone"
PLANTED = "planted-user-data-7f3a"  # what the test puts in Cache Storage and Web Storage

# Everything on the phone, as JSON: {databases: {name: {store: {count, blobs, text}}}, caches:
# {name: [url]}, localStorage: {key: value}, sessionStorage: {key: value}}.
SNAPSHOT_JS = """async () => {
  const blobs = (v) => v instanceof Blob ? 1 : v && typeof v === 'object'
    ? Object.values(v).reduce((n, x) => n + blobs(x), 0) : 0;
  const replacer = (k, v) => v instanceof Blob ? {blob: v.size} : v;
  const out = {databases: {}, caches: {}, localStorage: {}, sessionStorage: {}};
  for (const info of await indexedDB.databases()) {
    const idb = await new Promise((resolve, reject) => {
      const req = indexedDB.open(info.name);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    idb.onversionchange = () => idb.close(); // never block the app's own delete
    const stores = {};
    try {
      for (const name of Array.from(idb.objectStoreNames)) {
        const rows = await new Promise((resolve, reject) => {
          const req = idb.transaction(name, 'readonly').objectStore(name).getAll();
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        stores[name] = {count: rows.length, blobs: blobs(rows), text: JSON.stringify(rows, replacer)};
      }
    } finally {
      idb.close();
    }
    out.databases[info.name] = stores;
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    out.caches[name] = (await cache.keys()).map((r) => r.url);
  }
  for (const [target, storage] of [[out.localStorage, localStorage], [out.sessionStorage, sessionStorage]]) {
    for (let i = 0; i < storage.length; i++) target[storage.key(i)] = storage.getItem(storage.key(i));
  }
  return JSON.stringify(out);
}"""

PLANT_JS = """async ([marker, langKey]) => {
  const answer = () =>
    new Response(JSON.stringify({buyer_phone: marker}), {headers: {'Content-Type': 'application/json'}});
  const runtime = await caches.open('api-runtime');
  await runtime.put('/api/v1/warranty-cards?page=1', answer());
  const precache = (await caches.keys()).find((name) => name.includes('precache'));
  await (await caches.open(precache)).put('/api/v1/auth/me', answer());
  localStorage.setItem('fieldsales.draft', marker);
  localStorage.setItem(langKey, 'zh-CN');
  sessionStorage.setItem('fieldsales.form', marker);
}"""


def snapshot(page) -> dict:
    return json.loads(page.evaluate(SNAPSHOT_JS))


def rows(snap) -> int:
    return sum(store["count"] for stores in snap["databases"].values() for store in stores.values())


def stored_text(snap) -> str:
    """Everything in IndexedDB, Cache Storage URLs and Web Storage, as one string to search."""
    return json.dumps(snap, ensure_ascii=False)


def app_rows(snap, store: str) -> list:
    return json.loads(snap["databases"]["fieldsales"][store]["text"])


def entities(snap, entity: str) -> list:
    return [row for row in app_rows(snap, "entities") if row["entity"] == entity]


def precache_urls(snap) -> list[str]:
    return [url for name, urls in snap["caches"].items() if "precache" in name for url in urls]


def assert_nothing_left(snap, *markers: str) -> None:
    """No row in any database, no API answer cached, no Web Storage key but the language and the
    business time zone."""
    counts = {db_name: {s: v["count"] for s, v in stores.items()} for db_name, stores in snap["databases"].items()}
    assert rows(snap) == 0, counts
    assert all(v["blobs"] == 0 for stores in snap["databases"].values() for v in stores.values())
    cached = [url for urls in snap["caches"].values() for url in urls]
    assert [url for url in cached if "/api/" in url] == []
    assert set(snap["caches"]) == {name for name in snap["caches"] if "precache" in name}, snap["caches"].keys()
    assert set(snap["localStorage"]) <= {LANG_KEY, ZONE_KEY}, snap["localStorage"]
    assert snap["sessionStorage"] == {}
    text = stored_text(snap)
    for marker in (PLANTED, *markers):
        assert marker not in text, marker
    # The app shell stays precached: the app still opens with no network.
    assert any(urlsplit(url).path == "/index.html" for url in precache_urls(snap))


def active_tokens(user) -> int:
    db.session.rollback()  # see what the server's threads committed
    return len(
        db.session.scalars(
            select(AuthToken.id).where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
        ).all()
    )


def wait_synced(page, timeout=SYNC_TIMEOUT_MS):
    expect(page.locator("[data-testid=sync-status]")).to_have_attribute("data-state", "synced", timeout=timeout)


def record_dialogs(page) -> list[str]:
    """Accept every confirm() of the page; returns the list of their messages."""
    messages: list[str] = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return messages


def sign_out(page) -> None:
    page.goto("/#/settings")
    page.locator("[data-testid=logout]").click()
    expect(page.locator("[data-testid=login-form]")).to_be_visible(timeout=SYNC_TIMEOUT_MS)


def make_jpeg(path) -> str:
    image = Image.new("RGB", (800, 600), (225, 228, 232))
    draw = ImageDraw.Draw(image)
    for i in range(0, 800, 100):
        draw.rectangle([i + 10, 150, i + 80, 500], fill=(20 + i % 200, 90, 160))
    image.save(path, "JPEG", quality=85)
    return str(path)


def seed_rep(app, world, rep) -> dict:
    """A contact, a visit and a price of the rep's store A1b on the server: what the phone pulls
    (the visit checked out: the phone then checks in at store A1, which it refuses while a visit
    is open)."""
    client = ApiClient(app.test_client(), rep)
    store = world.store_a1b
    contact_id, visit_id, price_id = new_id(), new_id(), new_id()
    r = client.put(
        f"/api/v1/stores/{store.id}/contacts/{contact_id}",
        json={"name": "王店长", "role": "store_manager", "phone": "13900005678"},
    )
    assert r.status_code == 201, r.json
    at = utcnow() - timedelta(hours=2)
    r = client.post(
        "/api/v1/visits",
        json={
            "id": visit_id,
            "store_id": store.id,
            "checked_in_at": iso(at),
            "latitude": store.latitude,
            "longitude": store.longitude,
            "accuracy_m": 15,
            "notes": "昨日巡店备注",
        },
    )
    assert r.status_code == 201, r.json
    r = client.post(f"/api/v1/visits/{visit_id}/check-out", json={"checked_out_at": iso(at + timedelta(minutes=30))})
    assert r.status_code == 200, r.json
    r = client.post(
        "/api/v1/price-observations",
        json={
            "id": price_id,
            "store_id": store.id,
            "visit_id": visit_id,
            "competitor_model_id": world.competitor_model.id,
            "shelf_price": "2588.00",
            "observed_at": iso(at + timedelta(minutes=10)),
        },
    )
    assert r.status_code == 201, r.json
    return {"contact": contact_id, "visit": visit_id, "price": price_id, "phone": "13900005678"}


def record_display_check_with_photo(page, world, photo: str) -> None:
    """Check in at store A1 and save a display check with a photo (offline: it all waits)."""
    page.goto(f"/#/store/{world.store_a1.id}")
    page.locator("[data-testid=check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    display = page.locator("[data-testid=step-display]")
    if display.get_attribute("open") is None:
        display.locator("summary").click()
    display.locator("[data-item-code=LOGO] button", has_text="是").click()
    display.locator("[data-testid=display-photo-input]").set_input_files(photo)
    expect(display.locator("img[data-photo-id]")).to_have_count(1)
    display.locator("[data-testid=save-display]").click()
    expect(display.locator("[data-testid=saved-entry]")).to_have_count(1)


def test_rep_sign_out_offline_removes_everything_and_the_next_rep_starts_empty(phone, app, e2e_world, tmp_path):
    world = e2e_world
    a = seed_rep(app, world, world.rep_a1)
    context = phone()
    page = context.new_page()
    dialogs = record_dialogs(page)
    login(page, "rep_a1")
    wait_synced(page)
    wait_for_service_worker(page)
    # The app open in a second tab too: it holds the database open.
    tab = context.new_page()
    tab.goto("/")
    tab.locator("[data-testid=sync-status]").wait_for()

    # Offline: an entry with a photo waits in the outbox, its blob in IndexedDB.
    context.set_offline(True)
    record_display_check_with_photo(page, world, make_jpeg(tmp_path / "shelf.jpg"))
    page.evaluate(PLANT_JS, [PLANTED, LANG_KEY])

    before = snapshot(page)
    assert [row["id"] for row in entities(before, "contact")] == [a["contact"]]
    assert a["visit"] in [row["id"] for row in entities(before, "visit")]
    assert [row["id"] for row in entities(before, "price_observation")] == [a["price"]]
    assert a["phone"] in stored_text(before)
    assert len(app_rows(before, "outbox")) >= 2  # the check-in and the display check
    assert before["databases"]["fieldsales"]["photos"]["blobs"] == 1
    session = {row["key"]: row["value"] for row in app_rows(before, "meta")}["session"]
    token = session["token"]
    assert token and session["user"]["username"] == "rep_a1"
    assert PLANTED in stored_text(before)
    assert any(urlsplit(url).path == "/index.html" for url in precache_urls(before))

    # Sign out, offline, with unsent entries: the app warns (and the rep accepts).
    sign_out(page)
    assert len(dialogs) == 1 and "未上传" in dialogs[0], dialogs
    after = snapshot(page)
    assert_nothing_left(after, token, a["contact"], a["visit"], a["price"], a["phone"], "rep_a1")
    assert after["localStorage"] == {LANG_KEY: "zh-CN", ZONE_KEY: "Asia/Shanghai"}
    # The other tab let go of the database and is signed out as well.
    expect(tab.locator("[data-testid=login-form]")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    assert rows(snapshot(tab)) == 0
    # The app shell is still there: the app opens with no network.
    page.reload()
    expect(page.locator("[data-testid=login-form]")).to_be_visible()

    # Another rep signs in on the same phone: only that rep's data arrives.
    context.set_offline(False)
    tab.close()
    login(page, "rep_b1")
    wait_synced(page)
    b = snapshot(page)
    stores = {row["id"] for row in entities(b, "store")}
    assert str(world.store_b1.id) in stores and str(world.store_a1.id) not in stores
    assert entities(b, "contact") == entities(b, "visit") == entities(b, "price_observation") == []
    assert app_rows(b, "outbox") == [] and app_rows(b, "photos") == []
    text = stored_text(b)
    for marker in (token, a["contact"], a["visit"], a["price"], a["phone"], "rep_a1", PLANTED):
        assert marker not in text, marker


def test_clerk_sign_out_removes_the_buyers_data_and_the_next_clerk_starts_empty(phone, app, e2e_world):
    world = e2e_world
    card = card_body(world, serial=41, buyer_name="张三丰", buyer_address="广州市天河区天河路208号")
    r = ApiClient(app.test_client(), world.clerk_a1).post("/api/v1/warranty-cards", json=card)
    assert r.status_code == 201, r.json
    context = phone()
    page = context.new_page()
    dialogs = record_dialogs(page)
    login(page, "clerk_a1")
    wait_synced(page)
    wait_for_service_worker(page)
    expect(page.locator(f"[data-testid=card-item][data-imei='{card['imei']}']")).to_be_visible()
    page.evaluate(PLANT_JS, [PLANTED, LANG_KEY])

    before = snapshot(page)
    [stored] = entities(before, "warranty_card")
    assert stored["data"]["buyer_phone"] == "13812345678"
    assert stored["data"]["buyer_address"] == "广州市天河区天河路208号"
    token = {row["key"]: row["value"] for row in app_rows(before, "meta")}["session"]["token"]
    assert token
    active = active_tokens(world.clerk_a1)  # the app's and the seeding client's

    # Online, nothing unsent: no question asked; the server forgets the token too.
    sign_out(page)
    assert dialogs == []
    after = snapshot(page)
    assert_nothing_left(after, token, card["id"], card["imei"], "13812345678", "天河路208号", "张三丰", "clerk_a1")
    db.session.rollback()
    assert active_tokens(world.clerk_a1) == active - 1

    # The other store's clerk signs in on this phone: none of store A1's buyers.
    login(page, "clerk_b1")
    wait_synced(page)
    expect(page.locator("[data-testid=cards-empty]")).to_be_visible()
    b = snapshot(page)
    assert entities(b, "warranty_card") == []
    assert rows(b) > 0  # clerk B's own data did arrive
    text = stored_text(b)
    for marker in (token, card["id"], card["imei"], "13812345678", "天河路208号", "张三丰", "clerk_a1"):
        assert marker not in text, marker


def test_another_rep_signing_in_after_the_session_expired_starts_empty(phone, app, e2e_world):
    world = e2e_world
    a = seed_rep(app, world, world.rep_a1)
    context = phone()
    page = context.new_page()
    login(page, "rep_a1")
    wait_synced(page)
    page.evaluate(PLANT_JS, [PLANTED, LANG_KEY])
    before = snapshot(page)
    assert [row["id"] for row in entities(before, "contact")] == [a["contact"]]
    assert PLANTED in stored_text(before)

    # Rep A's session expires; the app asks to sign in again, and rep B does.
    db.session.execute(
        update(AuthToken).where(AuthToken.user_id == world.rep_a1.id).values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    page.reload()
    banner = page.locator("[role=alert]", has=page.locator("button"))
    expect(banner).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    banner.locator("button").click()
    page.locator("input[name=username]").fill("rep_b1")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("[data-testid=login-form] button[type=submit]").click()
    wait_synced(page)
    b = snapshot(page)
    stores = {row["id"] for row in entities(b, "store")}
    assert str(world.store_b1.id) in stores and str(world.store_a1.id) not in stores
    assert entities(b, "contact") == entities(b, "visit") == entities(b, "price_observation") == []
    text = stored_text(b)
    for marker in (a["contact"], a["visit"], a["price"], a["phone"], "rep_a1", PLANTED):
        assert marker not in text, marker
