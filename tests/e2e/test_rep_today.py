"""Today, end to end (issue 15): a real browser (Debian's Chromium) on a 393×851 phone runs the
built PWA against the real server.

Rep A1 has a plan for today (three stores of territory A1), has already visited one planned store
and one store outside the plan, and stands in store A1 (not planned). Today must

- not move while it loads: the layout shifts Chromium reports (PerformanceObserver 'layout-shift'
  entries without recent input, summed from the navigation until every section has loaded) stay
  at most 0.1 — Lighthouse measured 0.80 before;
- show first the store the phone stands in, with one "check in" button, which works offline;
- mark the planned stores visited today, count them ("已拜访 1/3"), list the unplanned visit too,
  and give each planned stop its distance from the phone;
- once a visit is open, offer to continue it (at its store) instead of a check-in elsewhere.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from backend.core.timeutil import business_day_bounds, business_today
from backend.extensions import db
from backend.stores.models import Store
from backend.visits.models import Visit
from tests.factories import ApiClient, make_store

from .conftest import login, shot, wait_for_service_worker, wait_until

pytestmark = pytest.mark.slow

SYNC_TIMEOUT_MS = 30_000
PHONE_393 = {"width": 393, "height": 851}
CLS_LIMIT = 0.1

# Installed before the app's scripts: sums the layout shifts from the navigation on.
CLS_OBSERVER = """
window.__cls = 0;
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.hadRecentInput) continue;
    window.__cls += e.value;
    window.__shifts.push({
      value: e.value,
      at: Math.round(e.startTime),
      nodes: (e.sources || []).map((s) =>
        s.node ? s.node.dataset?.testid || s.node.className || s.node.nodeName : '?'),
    });
  }
}).observe({ type: 'layout-shift', buffered: true });
"""


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def earlier_today(minutes_ago: int) -> tuple[datetime, datetime]:
    """A five-minute stay `minutes_ago` minutes ago, kept inside today's business day: shortly
    after the business zone's midnight the stay is squeezed into the minutes since it, in the same
    order (a stay further back starts earlier), so that Today still counts it."""
    now = datetime.now(UTC)
    day_start = business_day_bounds(business_today())[0].replace(tzinfo=UTC)
    start = now - timedelta(minutes=minutes_ago)
    if start - day_start >= timedelta(minutes=1):
        return start, start + timedelta(minutes=5)
    since_midnight = now - day_start
    start = day_start + since_midnight * (1 - minutes_ago / (minutes_ago + 60)) / 2
    return start, start + (now - start) / 4


def visit_today(app, rep, store, minutes_ago: int) -> None:
    """A visit of `rep` at `store` earlier today, checked in and out through the API."""
    client = ApiClient(app.test_client(), rep)
    visit_id = str(uuid.uuid4())
    start, end = earlier_today(minutes_ago)
    r = client.post(
        "/api/v1/visits",
        json={
            "id": visit_id,
            "store_id": store.id,
            "checked_in_at": iso(start),
            "latitude": store.latitude,
            "longitude": store.longitude,
            "accuracy_m": 10,
        },
    )
    assert r.status_code == 201, r.json
    r = client.post(f"/api/v1/visits/{visit_id}/check-out", json={"checked_out_at": iso(end)})
    assert r.status_code == 200, r.json


@pytest.fixture
def today_world(app, e2e_world):
    """Today's plan of rep A1: P1, P2 (east of store A1) and store A1b; P1 visited, and store U
    (not planned) visited too; the phone will stand in store A1 (not planned)."""
    world = e2e_world
    base = world.store_a1
    p1 = make_store("PL-1", world.terr_a1, base.latitude, base.longitude + 0.01, name="计划一店")
    p2 = make_store("PL-2", world.terr_a1, base.latitude, base.longitude + 0.02, name="计划二店")
    u = make_store("UN-1", world.terr_a1, base.latitude - 0.01, base.longitude, name="计划外门店")
    # More stores around, so that "nearby" has a full list to lay out.
    for i in range(8):
        make_store(f"NB-{i}", world.terr_a1, base.latitude + 0.003 * (i + 1), base.longitude - 0.004, name=f"附近 {i}")
    db.session.commit()
    manager = ApiClient(app.test_client(), world.manager_a)
    r = manager.post(
        "/api/v1/visit-plans",
        json={
            "id": str(uuid.uuid4()),
            "rep_id": world.rep_a1.id,
            "day": business_today().isoformat(),
            "store_ids": [p1.id, p2.id, world.store_a1b.id],
            "optimise": False,
        },
    )
    assert r.status_code == 201, r.json
    visit_today(app, world.rep_a1, p1, minutes_ago=90)
    visit_today(app, world.rep_a1, u, minutes_ago=40)
    return world, p1, p2, u


def open_today_measured(context):
    """A fresh page on Today (signed in already), with the layout-shift observer installed."""
    page = context.new_page()
    page.add_init_script(CLS_OBSERVER)
    page.goto("/#/")
    return page


def plan_rows(page):
    return page.locator("[data-testid=plan-row]")


def test_today_shows_the_store_here_first_without_layout_shift(app, phone, today_world):
    world, p1, p2, u = today_world
    context = phone(position=(world.store_a1.latitude, world.store_a1.longitude))
    setup = context.new_page()
    setup.add_init_script(CLS_OBSERVER)
    setup.set_viewport_size(PHONE_393)
    login(setup, "rep_a1")
    status = setup.locator("[data-testid=sync-status]")
    expect(status).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT_MS)
    wait_for_service_worker(setup)
    expect(plan_rows(setup)).to_have_count(4)
    # Signing in: Today waits for the first pull, then shows the plan and the stores together.
    first_cls = setup.evaluate("window.__cls")
    print(f"Today CLS after signing in {first_cls:.4f}: {setup.evaluate('window.__shifts')}")
    assert first_cls <= CLS_LIMIT, f"layout shift while signing in {first_cls:.3f} > {CLS_LIMIT}"
    setup.close()

    # Opening the app: measured from the navigation until every section has loaded.
    page = open_today_measured(context)
    page.set_viewport_size(PHONE_393)
    here = page.locator("[data-testid=here-card]")
    expect(here).to_be_visible()
    expect(plan_rows(page)).to_have_count(4)
    expect(page.locator("[data-testid=store-list] [data-testid=store-item]")).to_have_count(10)
    expect(page.locator("[data-testid=planned-tomorrow]")).to_have_count(0)
    expect(page.locator("[data-testid=sync-last]")).not_to_have_text("")
    page.wait_for_timeout(1000)  # anything arriving late would still shift
    cls = page.evaluate("window.__cls")
    shifts = page.evaluate("window.__shifts")
    print(f"Today CLS {cls:.4f}: {shifts}")
    assert cls <= CLS_LIMIT, f"Today's layout shift {cls:.3f} > {CLS_LIMIT}: {shifts}"

    # The store the phone stands in comes first, above the search, the plan and the rest.
    first = page.locator("main .today > *").first
    expect(first).to_have_attribute("data-testid", "here-card")
    expect(here).to_have_attribute("data-store-id", str(world.store_a1.id))
    expect(here).to_contain_text(world.store_a1.name)
    box = here.bounding_box()
    assert box and box["y"] + box["height"] <= PHONE_393["height"], box

    # Today's plan: visited marks for the planned store visited, the unplanned visit listed too,
    # the progress counting planned stores, and the distance to each stop.
    rows = plan_rows(page)
    expect(rows.nth(0)).to_have_attribute("data-store-id", str(p1.id))
    expect(rows.nth(0)).to_have_attribute("data-visited", "true")
    expect(rows.nth(1)).to_have_attribute("data-visited", "false")
    expect(rows.nth(2)).to_have_attribute("data-visited", "false")
    expect(rows.nth(3)).to_have_attribute("data-store-id", str(u.id))
    expect(rows.nth(3)).to_have_attribute("data-visited", "true")
    expect(rows.nth(3)).to_have_attribute("data-planned", "false")
    expect(page.locator("[data-testid=planned-progress]")).to_have_text("已拜访 1/3")
    expect(page.locator("[data-testid=unplanned-count]")).to_contain_text("1")
    expect(rows.nth(1).locator(".side")).to_have_text(re.compile(r"^2(\.0)? km$"))  # P2: 0.02° of longitude east
    expect(rows.nth(2).locator(".side")).to_have_text(re.compile(r"^2(\.0)? km$"))  # store A1b: 0.018° north
    shot(page, "today-zh-393")
    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, "today-zh-1280")
    page.set_viewport_size(PHONE_393)

    # One tap from Today to checked in, offline.
    context.set_offline(True)
    expect(page.locator("[data-testid=sync-status]")).to_have_attribute("data-state", "offline")
    page.locator("[data-testid=here-check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    expect(page.locator("[data-testid=visit-offsite]")).to_have_count(0)

    # Back on Today: the open visit is offered instead of another check-in, and store A1 counts
    # as visited today (outside the plan).
    page.goto("/#/")
    expect(here).to_be_visible()
    expect(here.locator("[data-testid=here-continue]")).to_be_visible()
    expect(page.locator("[data-testid=here-check-in]")).to_have_count(0)
    expect(page.locator(f"[data-testid=plan-row][data-store-id='{world.store_a1.id}']")).to_have_attribute(
        "data-visited", "true"
    )
    expect(page.locator("[data-testid=planned-progress]")).to_have_text("已拜访 1/3")

    # Walking to store A1b (2 km away) with the visit still open at A1: Today says where it is open.
    a1b = world.store_a1b
    context.set_geolocation({"latitude": a1b.latitude, "longitude": a1b.longitude, "accuracy": 12})
    page.reload()
    card = page.locator("[data-testid=open-visit]")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-store-id", str(world.store_a1.id))
    expect(card.locator("[data-testid=here-continue]")).to_contain_text(world.store_a1.name)
    shot(page, "today-zh-393-open-elsewhere")
    expect(page.locator("[data-testid=here-check-in]")).to_have_count(0)

    # Back online, the check-in reaches the server.
    context.set_offline(False)
    wait_until(
        lambda: db.session.scalar(select(func.count()).select_from(Visit).where(Visit.store_id == world.store_a1.id)),
        message="the check-in made offline on the server",
    )


def zone_on_another_day() -> str:
    """A time zone whose calendar day differs from the business day right now: 12 hours behind UTC
    (another day until 20:00 in Shanghai) or 14 hours ahead (another day from 18:00 there)."""
    today = business_today()
    for zone in ("Etc/GMT+12", "Pacific/Kiritimati"):
        if datetime.now(ZoneInfo(zone)).date() != today:
            return zone
    raise AssertionError("no zone on another day")  # the two cover every hour


def test_a_phone_set_to_another_zone_shows_the_plan_of_the_business_day(phone, today_world):
    """A rep's phone left on a zone whose day is not the business day's (back from abroad, or left
    on UTC around midnight in Shanghai): Today shows the server's plan of the business day and the
    visits made on it, not the plan of the phone's own day (none: Today showed no plan)."""
    world, p1, _p2, u = today_world
    zone = zone_on_another_day()
    context = phone(position=(world.store_a1.latitude, world.store_a1.longitude), timezone_id=zone)
    page = context.new_page()
    page.set_viewport_size(PHONE_393)
    login(page, "rep_a1")
    expect(page.locator("[data-testid=sync-status]")).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT_MS)
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == zone
    rows = plan_rows(page)
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_have_attribute("data-store-id", str(p1.id))
    expect(rows.nth(0)).to_have_attribute("data-visited", "true")
    expect(rows.nth(3)).to_have_attribute("data-store-id", str(u.id))
    expect(page.locator("[data-testid=planned-progress]")).to_have_text("已拜访 1/3")
    expect(page.locator("[data-testid=planned-tomorrow]")).to_have_count(0)


def test_the_here_card_follows_the_rep_when_the_app_comes_back_to_the_foreground(phone, today_world):
    """A rep pockets the phone at one store and takes it out at the next: Today takes the position
    again (the bench found the card still offering the store 2 km behind)."""
    world, *_ = today_world
    context = phone(position=(world.store_a1.latitude, world.store_a1.longitude))
    page = context.new_page()
    page.set_viewport_size(PHONE_393)
    login(page, "rep_a1")
    expect(page.locator("[data-testid=sync-status]")).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT_MS)
    here = page.locator("[data-testid=here-card]")
    expect(here).to_have_attribute("data-store-id", str(world.store_a1.id))

    def back_in_the_foreground():
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    a1b = world.store_a1b  # 2 km north
    context.set_geolocation({"latitude": a1b.latitude, "longitude": a1b.longitude, "accuracy": 12})
    back_in_the_foreground()
    expect(here).to_have_attribute("data-store-id", str(a1b.id))
    expect(here).to_contain_text(a1b.name)

    context.set_geolocation({"latitude": a1b.latitude - 0.05, "longitude": a1b.longitude, "accuracy": 12})
    back_in_the_foreground()
    expect(page.locator("[data-testid=here-none]")).to_contain_text("签到范围内没有门店")
    expect(page.locator("[data-testid=here-check-in]")).to_have_count(0)


def test_today_says_no_store_is_in_range_and_looks_the_same_in_english(phone, today_world):
    world, *_ = today_world
    # 5 km south of everything.
    context = phone(position=(world.store_a1.latitude - 0.05, world.store_a1.longitude), locale="en-GB")
    page = context.new_page()
    page.set_viewport_size(PHONE_393)
    page.goto("/")
    page.get_by_role("button", name="English").click()
    login(page, "rep_a1")
    expect(page.locator("[data-testid=sync-status]")).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT_MS)
    expect(page.locator("[data-testid=here-none]")).to_contain_text("No store within check-in range")
    expect(page.locator("[data-testid=here-check-in]")).to_have_count(0)
    expect(plan_rows(page)).to_have_count(4)
    expect(page.locator("[data-testid=planned-progress]")).to_have_text("1 of 3 visited")
    expect(page.locator("[data-testid=sync-last]")).to_contain_text("Synced")
    shot(page, "today-en-393")
    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, "today-en-1280")


def test_the_position_is_asked_for_on_a_tap_the_first_time(phone, e2e_world):
    world = e2e_world
    context = phone(position=(world.store_a1.latitude, world.store_a1.longitude))
    page = context.new_page()
    login(page, "rep_a1")
    expect(page.locator("[data-testid=here-card]")).to_be_visible()
    # A phone that has not answered the browser's question yet: Today does not ask on its own.
    context.clear_permissions()
    page.reload()
    none = page.locator("[data-testid=here-none]")
    expect(none).to_contain_text("重新定位")
    expect(page.locator("[data-testid=store-list] [data-testid=store-item]").first).to_be_visible()
    expect(page.locator("[data-testid=here-check-in]")).to_have_count(0)
    shot(page, "today-zh-393-ask-position")
    # The rep taps "locate" and allows it: the store they stand in comes first, one tap from check-in.
    context.grant_permissions(["geolocation"])
    page.locator("[data-testid=here-locate]").click()
    expect(page.locator("[data-testid=here-card]")).to_have_attribute("data-store-id", str(world.store_a1.id))
    expect(page.locator("[data-testid=here-check-in]")).to_be_visible()


def test_the_sync_status_shows_refused_entries_instead_of_synced(phone, e2e_world):
    world = e2e_world
    context = phone(position=(world.store_a1.latitude, world.store_a1.longitude))
    page = context.new_page()
    login(page, "rep_a1")
    status = page.locator("[data-testid=sync-status]")
    expect(status).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT_MS)
    expect(status).to_have_text("已同步")
    expect(page.locator("[data-testid=sync-last]")).to_have_text("刚刚同步")

    # Offline, a check-in at store A1; meanwhile the store leaves the rep's territory.
    context.set_offline(True)
    page.locator("[data-testid=here-check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    db.session.get(Store, world.store_a1.id).territory_id = world.terr_a2.id
    db.session.commit()
    context.set_offline(False)

    # Refused: the status says so (never 已同步 beside it), and leads to the outbox.
    expect(status).to_have_attribute("data-shown", "refused", timeout=SYNC_TIMEOUT_MS)
    expect(status).to_have_attribute("data-state", "synced")
    expect(status).to_have_text("1 条被拒绝")
    expect(page.get_by_text("已同步", exact=True)).to_have_count(0)
    status.click()
    expect(page.locator("[data-testid=outbox-rejected] [data-testid=outbox-entry]")).to_have_count(1)
