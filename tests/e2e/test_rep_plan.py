"""A rep plans tomorrow on the phone, end to end: a real browser (Debian's Chromium) on a phone
viewport runs the built PWA against the real server. Rep A1 signs in and syncs, loses the network,
and meanwhile the manager plans the same day on the desk (another plan id). Offline, the rep opens
"Plan a day" from Today, picks three stores out of order, keeps "Order for me" on with the day
starting here, and saves: Today shows the plan at once, in the order picked, waiting to sync. With
the network back the server holds one plan for (rep, day) — the manager's id, the rep's stops in
the order that shortens the day — and Today shows that plan, and only it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.core.timeutil import business_today
from backend.extensions import db
from backend.routes.models import VisitPlan
from tests.factories import ApiClient, make_store

from .conftest import login, shot, wait_for_service_worker, wait_until

pytestmark = pytest.mark.slow

SYNC_TIMEOUT_MS = 30_000

# Every visit_plan row on the phone (IndexedDB `fieldsales`, table `entities`).
PHONE_PLANS = """async () => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('fieldsales');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const rows = await new Promise((resolve, reject) => {
    const r = db.transaction('entities').objectStore('entities').index('entity').getAll('visit_plan');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.close();
  return rows.filter((row) => !row.deleted).map((row) => ({id: row.id, day: row.data.day, pending: !!row.pending}));
}"""


def planned_ids(page, testid):
    items = page.locator(f"[data-testid={testid}] [data-testid=store-item]")
    return [int(x) for x in items.evaluate_all("els => els.map(e => e.dataset.storeId)")]


def server_plan(rep, day):
    db.session.rollback()
    return db.session.scalar(select(VisitPlan).where(VisitPlan.rep_id == rep.id, VisitPlan.day == day))


def test_a_rep_plans_tomorrow_offline_and_gets_the_servers_order(app, phone, e2e_world):
    world = e2e_world
    rep = world.rep_a1
    base = world.store_a1
    # Three more stores of territory A1 due east of store A1 (where the phone is), ~1 km apart.
    s1, s2, s3 = (
        make_store(f"ST-{i}", world.terr_a1, base.latitude, base.longitude + 0.01 * i, name=f"Street {i}")
        for i in (1, 2, 3)
    )
    db.session.commit()
    tomorrow = business_today() + timedelta(days=1)

    context = phone()
    page = context.new_page()
    login(page, "rep_a1")
    status = page.locator("[data-testid=sync-status]")
    expect(status).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT_MS)
    wait_for_service_worker(page)
    expect(page.locator("[data-testid=planned-tomorrow]")).to_have_count(0)

    context.set_offline(True)
    expect(status).to_have_attribute("data-state", "offline")
    # Meanwhile, on the desk: the manager plans the rep's tomorrow (the phone cannot know).
    manager = ApiClient(app.test_client(), world.manager_a)
    desk_id = str(uuid.uuid4())
    body = {
        "id": desk_id,
        "rep_id": rep.id,
        "day": tomorrow.isoformat(),
        "store_ids": [world.store_a1b.id],
        "optimise": False,
    }
    r = manager.post("/api/v1/visit-plans", json=body)
    assert r.status_code == 201, r.json

    # Plan a day, offline: tomorrow by default, nearest stores first.
    page.locator("[data-testid=plan-day-link]").click()
    expect(page.locator("[data-testid=plan-day]")).to_be_visible()
    expect(page.locator("[data-testid=plan-day-tomorrow]")).to_have_attribute("aria-pressed", "true")
    candidates = page.locator("[data-testid=plan-candidate]")
    expect(candidates.first).to_have_attribute("data-store-id", str(base.id))
    for store in (s3, s1, s2):
        page.locator(f"[data-testid=plan-candidate][data-store-id='{store.id}']").click()
    picked = page.locator("[data-testid=plan-picked-store]")
    expect(picked).to_have_count(3)
    assert [int(x) for x in picked.evaluate_all("els => els.map(e => e.dataset.storeId)")] == [s3.id, s1.id, s2.id]
    expect(page.locator("[data-testid=plan-optimise]")).to_be_checked()
    page.locator("[data-testid=plan-from-here]").check()
    page.locator("[data-testid=plan-note]").fill("先去 Street 3 取物料")
    shot(page, "plan-01-picked")
    page.locator("[data-testid=plan-save]").click()

    # Back on Today: the plan at once, in the order picked, waiting to sync.
    tomorrow_card = page.locator("[data-testid=planned-tomorrow]")
    expect(tomorrow_card).to_be_visible()
    expect(page.locator("[data-testid=plan-pending]")).to_be_visible()
    assert planned_ids(page, "planned-tomorrow") == [s3.id, s1.id, s2.id]
    expect(status).to_have_attribute("data-pending", "1")
    shot(page, "plan-02-today-offline")
    plan = server_plan(rep, tomorrow)
    assert (str(plan.id), plan.store_ids) == (desk_id, [world.store_a1b.id])  # only the manager's so far

    # The network is back: the server replaces the day's stops and orders them from here.
    context.set_offline(False)
    expect(status).to_have_attribute("data-pending", "0", timeout=SYNC_TIMEOUT_MS)
    expect(status).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT_MS)
    plan = wait_until(
        lambda: (p := server_plan(rep, tomorrow)) is not None and p.store_ids != [world.store_a1b.id] and p,
        message="the rep's plan on the server",
    )
    assert str(plan.id) == desk_id  # the plan keeps the id of its first save
    assert plan.picked_store_ids == [s3.id, s1.id, s2.id]
    assert plan.store_ids == [s1.id, s2.id, s3.id]
    assert plan.distance_planned_m < plan.distance_picked_m
    assert (plan.start_latitude, plan.start_longitude) == pytest.approx((base.latitude, base.longitude))
    assert plan.note == "先去 Street 3 取物料"
    assert plan.updated_by == rep.id

    # Today shows the server's plan — ordered, synced — and only it.
    expect(page.locator("[data-testid=plan-pending]")).to_have_count(0, timeout=SYNC_TIMEOUT_MS)
    expect(tomorrow_card).to_have_attribute("data-plan-id", desk_id)
    assert planned_ids(page, "planned-tomorrow") == [s1.id, s2.id, s3.id]
    expect(tomorrow_card).to_have_count(1)
    assert page.evaluate(PHONE_PLANS) == [{"id": desk_id, "day": tomorrow.isoformat(), "pending": False}]
    shot(page, "plan-03-today-synced")

    # Editing starts from that plan.
    page.locator("[data-testid=edit-plan-tomorrow]").click()
    expect(page.locator("[data-testid=plan-from-saved]")).to_be_visible()
    expect(page.locator("[data-testid=plan-picked-store]")).to_have_count(3)
    ids = page.locator("[data-testid=plan-picked-store]").evaluate_all("els => els.map(e => e.dataset.storeId)")
    assert [int(x) for x in ids] == [s1.id, s2.id, s3.id]
