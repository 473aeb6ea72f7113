"""Team today, the manager's landing page (issue 18), end to end in Debian's Chromium at 1366×900:
the manager signs in and lands on their team's day — their region's reps only, the one at a store
now (synced by their phone) on the map, the others flagged as never synced and listed as without a
position; yesterday's day shows the rep who visited then; a click on a rep opens their route review
for that day. Also usable on a manager's phone (390×844).

E2E_SCREENSHOTS=<dir> saves the screens (desk and phone, Chinese and English).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.core.timeutil import business_day_bounds, utcnow
from tests.factories import ApiClient, iso
from tests.routes.helpers import check_in, check_out, days_ago, local
from tests.sync.helpers import Device, check_in_args

from .conftest import PHONE, shot, sign_in

pytestmark = pytest.mark.slow


def a_day_in_the_region(app, world) -> None:
    """rep_a1: at A1-001 since 10 minutes ago, checked in by their phone's sync (so synced now);
    rep_a1b: one visit yesterday 10:00–10:30, never synced; rep_a2: nothing; rep_b1 (another
    region): a visit today."""
    device = Device(ApiClient(app.test_client(), world.rep_a1))
    # 10 minutes ago, but today even just after midnight in Shanghai
    started = max(utcnow().replace(microsecond=0) - timedelta(minutes=10), business_day_bounds(days_ago(0))[0])
    r = device.push([device.mutation("visit.check_in", check_in_args(world.store_a1, checked_in_at=iso(started)))])
    assert r.status_code == 200 and r.json["results"][0]["status"] == "applied", r.json
    yesterday = days_ago(1)
    other = ApiClient(app.test_client(), world.rep_a1b)
    v = check_in(other, world.store_a1b, local(yesterday, 10, 0))
    check_out(other, v, local(yesterday, 10, 30))
    check_in(ApiClient(app.test_client(), world.rep_b1), world.store_b1, started)


def names(page) -> list[str]:
    return page.locator("[data-testid=team-rep-name]").all_inner_texts()


def rep_row(page, rep):
    return page.locator(f"[data-testid=team-rep][data-rep-id='{rep.id}']")


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_manager_lands_on_their_teams_day_and_opens_a_reps_route(app, e2e_world, context_of, locale):
    world = e2e_world
    a_day_in_the_region(app, world)
    lang = "zh" if locale == "zh-CN" else "en"
    page = context_of(locale).new_page()
    sign_in(page, world.manager_a.username)

    expect(page.locator("[data-testid=team-today]")).to_be_visible()
    expect(page.locator("[data-testid=mgr-nav-team]")).to_have_attribute("aria-current", "page")
    expect(page.locator("[data-testid=team-rep]")).to_have_count(3)
    assert sorted(names(page)) == ["Rep A1", "Rep A1B", "Rep A2"]  # not Rep B1, of another region
    # Needs attention first: the two phones that never synced, the synced rep at a store last.
    assert names(page)[-1] == "Rep A1"
    a1 = rep_row(page, world.rep_a1)
    expect(a1.locator("[data-testid=team-where]")).to_have_attribute("data-kind", "at")
    expect(a1.locator("[data-testid=team-where]")).to_contain_text(world.store_a1.name)
    expect(a1.locator("[data-testid=team-unsynced]")).to_have_count(0)
    expect(rep_row(page, world.rep_a2).locator("[data-testid=team-unsynced]")).to_be_visible()
    expect(rep_row(page, world.rep_a2).locator("[data-testid=team-where]")).to_have_attribute("data-kind", "none")
    # The map: the one rep with a position today, by name; the others said to have none.
    expect(page.locator(".leaflet-container [data-testid=team-marker]")).to_have_count(1)
    # Its name beside it, and no other name. (Not a count of 1: a marker redrawn while the map's
    # zoom animates can leave Leaflet's previous copy of the same name in place for a while; CI
    # saw two "Rep A1" for 15 s once, on a loaded machine.)
    names_on_map = page.locator(".leaflet-tooltip.mapview-name")
    expect(names_on_map.first).to_have_text("Rep A1")
    expect(names_on_map.filter(has_not_text="Rep A1")).to_have_count(0)
    expect(page.locator("[data-testid=team-no-position]")).to_contain_text("Rep A1B")
    expect(page.locator("[data-testid=team-no-position]")).to_contain_text("Rep A2")
    # The list beside the map at 1366 px, both in the window.
    lst = page.locator(".team-list-card").bounding_box()
    the_map = page.locator(".team-map-card").bounding_box()
    assert the_map["x"] >= lst["x"] + lst["width"] - 1 and abs(the_map["y"] - lst["y"]) < 5, (lst, the_map)
    assert the_map["x"] + the_map["width"] <= 1366
    # Its zoom buttons are touch targets like the rest (Leaflet's own are 30 x 30 px).
    for button in page.locator(".leaflet-control-zoom a").all():
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    link = a1.locator("[data-testid=team-route-link]").bounding_box()
    assert link["height"] >= 44 and link["width"] >= 44
    shot(page, f"team-today-desk-{lang}")

    # Yesterday: rep_a1b's visit.
    page.locator("[data-testid=team-day] button").first.click()
    row = rep_row(page, world.rep_a1b)
    expect(row.locator("[data-testid=team-where]")).to_have_attribute("data-kind", "left")
    expect(row.locator("[data-testid=team-where]")).to_contain_text(world.store_a1b.name)
    shot(page, f"team-yesterday-desk-{lang}")

    # One click to that rep's route of that day.
    row.locator("[data-testid=team-route-link]").click()
    expect(page.locator("[data-testid=route-review]")).to_be_visible()
    assert page.evaluate("location.hash") == f"#/route/{world.rep_a1b.id}/{days_ago(1).isoformat()}"
    expect(page.locator("[data-testid=timeline-visit]")).to_have_count(1)
    expect(page.locator("[data-testid=mgr-nav-route]")).to_have_attribute("aria-current", "page")


@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
def test_team_today_on_a_managers_phone(app, e2e_world, context_of, locale):
    world = e2e_world
    a_day_in_the_region(app, world)
    page = context_of(locale, PHONE).new_page()
    sign_in(page, world.manager_a.username)
    expect(page.locator("[data-testid=team-rep]")).to_have_count(3)
    expect(page.locator(".leaflet-container [data-testid=team-marker]")).to_have_count(1)
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    link = rep_row(page, world.rep_a1).locator("[data-testid=team-route-link]").bounding_box()
    assert link["height"] >= 44 and link["x"] + link["width"] <= 390
    shot(page, f"team-today-phone-{'zh' if locale == 'zh-CN' else 'en'}")
