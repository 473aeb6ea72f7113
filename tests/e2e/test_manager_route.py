"""A regional manager reviews a rep's route, end to end: a real browser (Debian's Chromium) on a
desktop viewport runs the built PWA against the real server. Rep A1's day is recorded through the
API (three visits, one checked in 400 m from its store, an idle gap, a plan); the manager of
region A signs in, opens the route review for that rep and day, and sees the map (Leaflet, with
the numbered check-in markers, the route line and the dashed line of the off-site check-in) and
the timeline: the visits in order with check-in / check-out times, time on site, travel from the
previous visit, the idle gap and the off-site check-in highlighted with its distance. No map tile
is ever fetched (every request off the app's origin fails, as offline): the page must not need
them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, ApiClient
from tests.routes.helpers import check_in, check_out, days_ago, local, plan_body, point_at, position

from .conftest import TIMEOUT_MS, login, shot

pytestmark = pytest.mark.slow

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}


def km_or_m(metres: float) -> str:
    """fmt.distance in English: '724 m', '2.3 km'."""
    if metres < 1000:
        return f"{round(metres)} m"
    return f"{metres / 1000:.1f} km".replace(".0 km", " km")


@pytest.fixture
def desktop(browser, live_server):
    contexts = []

    def make(locale="en-GB"):
        context = browser.new_context(
            **DESKTOP, base_url=live_server, locale=locale, timezone_id="Asia/Shanghai", service_workers="allow"
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", lambda msg: print(f"[browser {msg.type}] {msg.text}"))
        context.on("weberror", lambda err: print(f"[browser error] {err.error}"))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def rep_day(app, world):
    """Rep A1's day (yesterday, Shanghai): A1-001 09:00–09:40; A1-002 10:00–10:25 checked in 400 m
    south of the store (off site); A1-001 again 12:00–12:20, after an idle gap of 95 minutes; the
    manager's plan of that day: A1-002 then A1-001. Returns the day and the server's route."""
    day = days_ago(1)
    rep = ApiClient(app.test_client(), world.rep_a1)
    a1, a1b = world.store_a1, world.store_a1b
    v1 = check_in(rep, a1, local(day, 9, 0), point_at(position(a1), 10, 90), accuracy=12)
    check_out(rep, v1, local(day, 9, 40))
    v2 = check_in(rep, a1b, local(day, 10, 0), point_at(position(a1b), 400, 180), accuracy=20)
    check_out(rep, v2, local(day, 10, 25))
    v3 = check_in(rep, a1, local(day, 12, 0), accuracy=10)
    check_out(rep, v3, local(day, 12, 0) + timedelta(minutes=20))
    manager = ApiClient(app.test_client(), world.manager_a)
    r = manager.post("/api/v1/visit-plans", json=plan_body(day, [a1b, a1], rep_id=world.rep_a1.id, optimise=False))
    assert r.status_code == 201, r.json
    r = manager.get("/api/v1/routes", query_string={"rep_id": world.rep_a1.id, "day": day.isoformat()})
    assert r.status_code == 200, r.json
    route = r.json
    assert [v["off_site"] for v in route["visits"]] == [False, True, False]
    assert [v["idle"] for v in route["visits"]] == [False, False, True]
    return day, route


def test_a_manager_reviews_a_reps_day_on_the_map_and_the_timeline(app, e2e_world, desktop, live_server):
    world = e2e_world
    day, route = rep_day(app, world)
    visits = route["visits"]

    context = desktop()
    # No tile server (nor anything else off the app's origin) is reachable: tests run offline.
    tile_requests = []

    def no_internet(r):
        tile_requests.append(r.request.url)
        r.abort()

    context.route(lambda url: not url.startswith(live_server), no_internet)
    page = context.new_page()
    login(page, world.manager_a.username, PASSWORD)
    expect(page.locator("[data-testid=manager-screens]")).to_be_visible()

    page.goto(f"/#/route/{world.rep_a1.id}/{day.isoformat()}")
    review = page.locator("[data-testid=route-review]")
    expect(review).to_be_visible()
    expect(page.locator("[data-testid=rep-select]")).to_have_value(str(world.rep_a1.id))
    expect(page.locator("[data-testid=route-day]")).to_have_value(day.isoformat())

    # The map: Leaflet's container with a numbered marker per visit (the off-site one in the
    # warning colour), the route through the check-ins and a dashed line to the off-site store.
    the_map = page.locator("[data-testid=map]")
    expect(the_map.locator(".leaflet-container")).to_be_visible()
    markers = the_map.locator("[data-testid=map-visit]")
    expect(markers).to_have_count(3)
    expect(markers).to_have_text(["1", "2", "3"])
    expect(the_map.locator("[data-testid=map-visit][data-marker-id=visit-2]")).to_have_attribute("data-tone", "err")
    expect(the_map.locator("[data-testid=map-visit][data-marker-id=visit-1]")).to_have_attribute("data-tone", "brand")
    expect(the_map.locator("path.route-line")).to_have_count(1)
    offsite_line = the_map.locator("path.offsite-line")
    expect(offsite_line).to_have_count(1)
    assert offsite_line.get_attribute("stroke-dasharray")
    expect(the_map.locator("path.map-dot")).to_have_count(2)  # the two stores visited
    # The markers are really drawn on the map pane (positioned, with a size), tiles or not.
    box = markers.nth(1).bounding_box()
    map_box = the_map.bounding_box()
    assert box and map_box and box["width"] > 10
    assert map_box["x"] <= box["x"] <= map_box["x"] + map_box["width"]
    assert map_box["y"] <= box["y"] <= map_box["y"] + map_box["height"]

    # The timeline: the visits in order, time on site, travel from the previous visit.
    rows = page.locator("[data-testid=timeline-visit]")
    expect(rows).to_have_count(3)
    expect(rows.locator("[data-testid=visit-store]")).to_have_text(
        [world.store_a1.name, world.store_a1b.name, world.store_a1.name]
    )
    expect(rows.locator("[data-testid=visit-in]")).to_have_text(["09:00", "10:00", "12:00"])
    expect(rows.locator("[data-testid=visit-out]")).to_have_text(["09:40", "10:25", "12:20"])
    expect(rows.locator("[data-testid=visit-onsite]")).to_have_text(["40 min", "25 min", "20 min"])
    expect(rows.locator("[data-testid=visit-travel]")).to_have_text(
        ["–", km_or_m(visits[1]["travel_m"]), km_or_m(visits[2]["travel_m"])]
    )
    # The off-site check-in is highlighted, with its distance from the store.
    expect(page.locator("[data-testid=timeline-visit][data-off-site=true]")).to_have_count(1)
    offsite = rows.nth(1)
    expect(offsite).to_have_attribute("data-off-site", "true")
    expect(offsite).to_have_class(re.compile(r"\bmgr-offsite\b"))
    expect(offsite.locator("[data-testid=offsite-tag]")).to_have_text(
        f"Off site: {km_or_m(visits[1]['distance_m'])} from the store"
    )
    expect(rows.nth(0).locator("[data-testid=offsite-tag]")).to_have_count(0)
    # The gaps between visits; the 95-minute one is idle.
    gaps = page.locator("[data-testid=timeline-gap]")
    expect(gaps).to_have_count(2)
    expect(gaps.nth(0)).to_have_attribute("data-idle", "false")
    expect(gaps.nth(1)).to_have_attribute("data-idle", "true")
    expect(gaps.nth(1)).to_contain_text("1 h 35 min")

    # The day's totals and the plan against the visits.
    totals = page.locator("[data-testid=route-totals]")

    def total(key):
        return totals.locator(f"[data-testid=total-{key}] .mgr-stat-value")

    expect(total("visits")).to_have_text("3")
    expect(total("travel")).to_have_text(km_or_m(route["totals"]["travel_m"]))
    expect(total("onsite")).to_have_text("1 h 25 min")
    expect(total("idle")).to_have_text("1 h 35 min")
    expect(total("offsite")).to_have_text("1")
    expect(total("plan")).to_have_text("2/2")
    expect(page.locator("[data-testid=plan-stop]")).to_have_count(2)
    shot(page, "manager-route")

    # Choosing a visit in the timeline highlights its marker on the map.
    offsite.click()
    expect(the_map.locator("[data-marker-id=visit-2].mapview-selected")).to_have_count(1)

    # The previous day has no visits: an empty timeline, the map still there.
    page.locator("[data-testid=prev-day]").click()
    expect(page.locator("[data-testid=route-day]")).to_have_value((day - timedelta(days=1)).isoformat())
    expect(page.locator("[data-testid=route-empty]")).to_be_visible()
    expect(the_map.locator("[data-testid=map-visit]")).to_have_count(0)

    # With a tile server configured (conftest.SERVER_SETTINGS), its tiles were asked for and all
    # failed (no internet); the markers, lines and timeline above were there all the same.
    if the_map.get_attribute("data-tiles") == "yes":
        assert tile_requests, "the map asked for no tiles"
    assert all(not url.startswith(live_server) for url in tile_requests)
