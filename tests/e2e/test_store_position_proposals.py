"""A regional manager decides reps' moves of stores, end to end: two reps of territory A1 move a
store each 45 km and 3 km over the API (beyond STORE_MOVE_APPROVAL_M, so the stores stay where
they are and the moves wait); the manager of region A signs in (a real Chromium on a desktop
viewport, the built PWA, the real server), opens "Store moves", sees both with the rep, the
distance and the rep's note, the selected one on the map (store → new position), approves one
(the store moves) and rejects the other (it stays). Nothing off the app's origin is reachable."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic
from playwright.sync_api import expect

from backend.extensions import db
from backend.stores.models import Store
from tests.factories import PASSWORD, ApiClient

from .conftest import TIMEOUT_MS, login, shot, wait_until

pytestmark = pytest.mark.slow

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}


def at(store, metres, bearing=45.0):
    p = geodesic(meters=metres).destination((store.latitude, store.longitude), bearing)
    return p.latitude, p.longitude


def move(app, user, store, metres, note):
    there = at(store, metres)
    body = {"latitude": there[0], "longitude": there[1], "position_note": note}
    r = ApiClient(app.test_client(), user).patch(f"/api/v1/stores/{store.id}", json=body)
    assert r.status_code == 200 and r.json["pending_position"], r.json
    return r.json["pending_position"], there


def position_of(store_id):
    db.session.rollback()
    store = db.session.get(Store, store_id)
    return store.latitude, store.longitude


def test_a_manager_approves_one_store_move_and_rejects_another(app, e2e_world, browser, live_server):
    world = e2e_world
    a1_before = (world.store_a1.latitude, world.store_a1.longitude)
    a1b_before = (world.store_a1b.latitude, world.store_a1b.longitude)
    far, _ = move(app, world.rep_a1, world.store_a1, 45_000, "GPS 说在这里")
    near, near_point = move(app, world.rep_a1b, world.store_a1b, 3_000, "门店搬到对面商场")

    context = browser.new_context(
        **DESKTOP, base_url=live_server, locale="en-GB", timezone_id="Asia/Shanghai", service_workers="allow"
    )
    try:
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", lambda msg: print(f"[browser {msg.type}] {msg.text}"))
        context.route(lambda url: not url.startswith(live_server), lambda r: r.abort())
        page = context.new_page()
        login(page, world.manager_a.username, PASSWORD)
        expect(page.locator("[data-testid=manager-screens]")).to_be_visible()
        page.locator("[data-testid=mgr-nav-moves]").click()

        moves = page.locator("[data-testid=moves]")
        expect(moves).to_be_visible()
        rows = moves.locator("[data-testid=move-row]")
        expect(rows).to_have_count(2)
        # Newest first: rep A1b's 3 km move, then rep A1's 45 km one, with store names and reps.
        expect(rows.nth(0)).to_have_attribute("data-proposal-id", str(near["id"]))
        expect(rows.nth(0)).to_contain_text(world.store_a1b.name)
        expect(rows.nth(0)).to_contain_text("门店搬到对面商场")
        expect(rows.nth(0)).to_contain_text("3 km")
        expect(rows.nth(1)).to_contain_text(world.store_a1.name)
        expect(rows.nth(1)).to_contain_text("45 km")
        expect(rows.nth(1)).to_contain_text(world.rep_a1.display_name)

        # The 3 km move: on the map, then approved with a note.
        rows.nth(0).click()
        review = page.locator("[data-testid=move-review]")
        expect(review).to_have_attribute("data-proposal-id", str(near["id"]))
        expect(review.locator("[data-testid=move-from]")).to_have_count(1)
        expect(review.locator("[data-testid=move-to]")).to_have_count(1)
        expect(review.locator("[data-testid=move-distance]")).to_have_text("3 km")
        shot(page, "manager-store-moves")
        review.locator("[data-testid=move-note]").fill("电话核实过")
        review.locator("[data-testid=move-approve]").click()
        expect(rows).to_have_count(1)
        wait_until(lambda: position_of(world.store_a1b.id) != a1b_before, message="the store to move")
        assert position_of(world.store_a1b.id) == pytest.approx(near_point)

        # The 45 km move: rejected; the store stays.
        rows.nth(0).click()
        expect(review).to_have_attribute("data-proposal-id", str(far["id"]))
        review.locator("[data-testid=move-reject]").click()
        expect(moves.locator("[data-testid=move-row]")).to_have_count(0)
        expect(moves).to_contain_text("No store moves waiting.")

        # Both decisions are listed with their outcome.
        moves.locator("[data-filter=all]").click()
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("Approved")
        expect(rows.nth(1)).to_contain_text("Rejected")
    finally:
        context.close()

    assert position_of(world.store_a1.id) == a1_before
    r = ApiClient(app.test_client(), world.admin).get(f"/api/v1/stores/{world.store_a1b.id}/history")
    assert {h["field"] for h in r.json if h["proposal_id"] == near["id"]} == {"latitude", "longitude"}
