"""The visit's price grid (issue 15), end to end: a real browser on a phone viewport, the built PWA,
the real server. The grid lists our range and the competitor models the rep saw at this store or
in its territory, each with its last price at this store as a placeholder. Offline, the rep types
two prices and taps "same as last time" (与上次相同) once; back online, the server holds exactly
those three observations. A row typed again is a correction: one more observation, the later one."""

from __future__ import annotations

import os
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.catalogue.models import CompetitorModel
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.intel.models import PriceObservation
from backend.visits.models import Visit

from .conftest import login, shot, wait_until
from .test_rep_visit import SYNC_TIMEOUT_MS, sync_status, wait_synced

pytestmark = pytest.mark.slow


def observe(world, store, shelf: str, days_ago: int, *, product=None, cmodel=None) -> PriceObservation:
    """A price rep_a1 recorded before (it reaches the phone by pull)."""
    obs = PriceObservation(
        id=uuid.uuid4(),
        rep_id=world.rep_a1.id,
        store_id=store.id,
        product_id=product.id if product else None,
        competitor_model_id=cmodel.id if cmodel else None,
        shelf_price=Decimal(shelf),
        promo_text="",
        observed_at=utcnow() - timedelta(days=days_ago),
    )
    db.session.add(obs)
    return obs


@pytest.fixture
def grid_world(e2e_world):
    """At store A1 last week: our P30 at 2,899 and OPPO Reno 12 at 2,599. At A1-002 (same
    territory) five days ago: OPPO Find X8 at 1,999, not yet seen at A1. In another territory:
    OPPO A3, which A1's grid does not list."""
    world = e2e_world
    find_x8 = CompetitorModel(brand_id=world.brand.id, name="Find X8", list_price=Decimal("2099.00"))
    a3 = CompetitorModel(brand_id=world.brand.id, name="A3", list_price=Decimal("1299.00"))
    db.session.add_all([find_x8, a3])
    db.session.flush()
    observe(world, world.store_a1, "2899.00", 7, product=world.product)
    observe(world, world.store_a1, "2599.00", 7, cmodel=world.competitor_model)
    observe(world, world.store_a1b, "1999.00", 5, cmodel=find_x8)
    observe(world, world.store_a2, "1199.00", 3, cmodel=a3)
    db.session.commit()
    world.find_x8, world.a3 = find_x8, a3
    return world


def screen(page, name: str) -> None:
    """With E2E_SCREENSHOTS=<dir>: what the phone shows (393×851) with the price grid in view."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        # The step's top just under the sticky app bar and sync bar.
        page.locator("[data-testid=step-prices]").evaluate("el => { el.scrollIntoView(); window.scrollBy(0, -120); }")
        page.screenshot(path=str(Path(folder) / f"{name}-phone.png"))


def row(page, key: str):
    return page.locator(f"[data-testid=price-grid] [data-testid=price-row][data-model-key='{key}']")


def check_in(page, store) -> str:
    page.goto(f"/#/store/{store.id}")
    page.locator("[data-testid=check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    return page.locator("[data-testid=visit-screen]").get_attribute("data-visit-id")


def type_price(page, key: str, price: str) -> None:
    field = row(page, key).locator("[data-testid=price-input]")
    field.fill(price)
    field.press("Enter")
    expect(row(page, key)).to_have_attribute("data-recorded", "true")


def prices_of(visit_id: str) -> dict:
    rows = db.session.scalars(select(PriceObservation).where(PriceObservation.visit_id == uuid.UUID(visit_id))).all()
    return {(p.product_id, p.competitor_model_id): str(p.shelf_price) for p in rows}, len(rows)


def test_offline_grid_two_typed_rows_and_same_as_last(phone, grid_world):
    world = grid_world
    page = phone().new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    page.context.set_offline(True)
    expect(sync_status(page)).to_have_attribute("data-state", "offline")

    visit_id = check_in(page, world.store_a1)
    grid = page.locator("[data-testid=price-grid]")
    # Open without a tap: our range, then the competitors priced here; Find X8 (seen only at the
    # store next door) folded under "seen nearby"; A3 (another territory) not listed.
    expect(grid).to_be_visible()
    p30, reno, x8 = f"p:{world.product.id}", f"c:{world.competitor_model.id}", f"c:{world.find_x8.id}"
    keys = grid.locator("[data-testid=price-row]")
    expect(keys).to_have_count(2)
    assert [keys.nth(i).get_attribute("data-model-key") for i in range(2)] == [p30, reno]
    nearby = grid.locator("[data-testid=price-nearby-toggle]")
    expect(nearby).to_contain_text(re.compile(r"[(（]1[)）]"))
    nearby.click()
    expect(keys).to_have_count(3)
    assert keys.nth(2).get_attribute("data-model-key") == x8
    # The last price at this store is the placeholder; Find X8 shows the nearby store's as a hint.
    expect(row(page, p30).locator("[data-testid=price-input]")).to_have_attribute("placeholder", "2899")
    expect(row(page, reno).locator("[data-testid=price-input]")).to_have_attribute("placeholder", "2599")
    expect(row(page, x8)).to_contain_text("1,999")
    for key in (p30, reno, x8):
        expect(row(page, key)).to_have_attribute("data-recorded", "false")
        box = row(page, key).bounding_box()
        assert box["height"] >= 44
    field = row(page, p30).locator("[data-testid=price-input]")
    assert field.get_attribute("inputmode") == "decimal"
    same = page.locator("[data-testid=price-same-as-last]")
    expect(same).to_contain_text("(2)")  # P30 and Reno 12 have a last price here
    shot(page, "grid-01-zh-before")
    screen(page, "grid-01-zh-before")

    # Two rows typed (no save tap), then "same as last time" for the rest.
    type_price(page, p30, "2,999")
    type_price(page, x8, "1899")
    expect(same).to_contain_text("(1)")
    same.click()
    expect(row(page, reno)).to_have_attribute("data-recorded", "true")
    expect(same).to_be_disabled()
    expect(row(page, p30).locator("[data-testid=price-input]")).to_have_value("2999")
    expect(row(page, reno).locator("[data-testid=price-input]")).to_have_value("2599")
    page.wait_for_timeout(2500)  # past the typing pause: nothing more records itself
    # The check-out summary counts the three prices too.
    expect(page.locator("[data-testid=checkout-summary] [data-summary=prices]")).to_have_text("3")
    shot(page, "grid-02-zh-recorded")
    screen(page, "grid-02-zh-recorded")

    db.session.rollback()
    assert db.session.get(Visit, uuid.UUID(visit_id)) is None  # offline: nothing reached the server

    page.goto("/#/outbox")
    expect(page.locator("[data-testid=outbox-pending] [data-testid=outbox-entry]")).to_have_count(4)  # check-in + 3
    page.context.set_offline(False)
    expect(page.locator("[data-testid=outbox-empty]")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    wait_synced(page)

    got = wait_until(lambda: prices_of(visit_id)[1] == 3 and prices_of(visit_id), message="the three prices")
    assert got == (
        {
            (world.product.id, None): "2999.00",
            (None, world.find_x8.id): "1899.00",
            (None, world.competitor_model.id): "2599.00",
        },
        3,
    )


def test_grid_in_english_and_a_corrected_row(phone, grid_world):
    """English mode; a row typed again records a correction (one more observation, later): the
    grid shows the new price, "same as last time" never records a row already recorded; a price
    typed and left alone records itself after a short pause."""
    world = grid_world
    page = phone(locale="en-US").new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    visit_id = check_in(page, world.store_a1)
    p30, reno = f"p:{world.product.id}", f"c:{world.competitor_model.id}"
    expect(page.locator("[data-testid=price-same-as-last]")).to_contain_text("Same as last time")
    shot(page, "grid-03-en-before")
    screen(page, "grid-03-en-before")

    type_price(page, reno, "2499")
    type_price(page, reno, "2399")  # a slip corrected
    expect(row(page, reno)).to_contain_text("Recorded")
    page.locator("[data-testid=price-same-as-last]").click()
    expect(row(page, p30)).to_have_attribute("data-recorded", "true")
    expect(page.locator("[data-testid=price-same-as-last]")).to_be_disabled()
    expect(row(page, reno).locator("[data-testid=price-input]")).to_have_value("2399")
    # A price typed and left alone (no Enter, the field still focused) records itself after a pause.
    x8 = f"c:{world.find_x8.id}"
    page.locator("[data-testid=price-nearby-toggle]").click()
    row(page, x8).locator("[data-testid=price-input]").fill("1949")
    expect(row(page, x8).locator("[data-testid=price-input]")).to_be_focused()
    expect(row(page, x8)).to_have_attribute("data-recorded", "true", timeout=5_000)
    shot(page, "grid-04-en-recorded")
    screen(page, "grid-04-en-recorded")

    wait_synced(page)
    got = wait_until(lambda: prices_of(visit_id)[1] == 4 and prices_of(visit_id), message="the prices")
    prices, n = got
    assert prices[(world.product.id, None)] == "2899.00"
    assert prices[(None, world.find_x8.id)] == "1949.00"
    later = db.session.scalars(
        select(PriceObservation)
        .where(
            PriceObservation.visit_id == uuid.UUID(visit_id),
            PriceObservation.competitor_model_id == world.competitor_model.id,
        )
        .order_by(PriceObservation.observed_at)
    ).all()
    assert [str(p.shelf_price) for p in later] == ["2499.00", "2399.00"]


def test_a_typed_price_is_kept_by_same_as_last_and_recorded_when_the_rep_leaves(phone, grid_world):
    """Review findings: a price typed (no Enter) and then "same as last time" tapped must stay
    the typed one (the tap records it by leaving the field; "same as last" used to record the
    last price after it, and the later entry counts); a price typed just before leaving the
    screen, within the pause, is recorded rather than dropped with its timer."""
    world = grid_world
    page = phone().new_page()
    page.set_viewport_size({"width": 393, "height": 851})
    login(page, "rep_a1")
    wait_synced(page)
    page.context.set_offline(True)
    visit_id = check_in(page, world.store_a1)
    p30, reno, x8 = f"p:{world.product.id}", f"c:{world.competitor_model.id}", f"c:{world.find_x8.id}"

    row(page, reno).locator("[data-testid=price-input]").fill("2555")  # last time 2599; no Enter
    page.locator("[data-testid=price-same-as-last]").click()
    expect(row(page, p30)).to_have_attribute("data-recorded", "true")
    expect(row(page, reno)).to_have_attribute("data-recorded", "true")

    page.locator("[data-testid=price-nearby-toggle]").click()
    row(page, x8).locator("[data-testid=price-input]").fill("1888")
    page.evaluate("location.hash = '#/'")  # away at once, well within the 2 s pause
    expect(page.locator("[data-testid=visit-screen]")).to_have_count(0)

    page.context.set_offline(False)
    wait_synced(page)
    got = wait_until(lambda: prices_of(visit_id)[1] >= 3 and prices_of(visit_id), message="the prices")
    assert got == (
        {
            (world.product.id, None): "2899.00",
            (None, world.competitor_model.id): "2555.00",
            (None, world.find_x8.id): "1888.00",
        },
        3,
    )
