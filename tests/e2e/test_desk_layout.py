"""The desk layout of the manager's and HQ's screens (issue 18), end to end in Debian's Chromium:

- at 1366×900 the manager and HQ get the side navigation (screens/desk/DeskNav.js) on the left, the
  whole height of the window; no phone bottom bar; the content over 1000 px wide; the route review's
  map beside the timeline, the window's height, covered by nothing; one h1 per page;
- the keyboard: the first Tab reaches "Skip to content" (Enter puts the focus on <main>), the next
  ones the navigation's links, the current page marked with aria-current;
- the plan's ↑ ↓ × are 44 × 44 px;
- below 1024 px (a manager's phone, 390×844) the navigation is a row of tabs and the bottom bar is
  there; a rep's phone has the bottom bar and no desk navigation.

E2E_SCREENSHOTS=<dir> saves the screens (manager and HQ desk in Chinese and English, a manager's phone).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import ApiClient
from tests.routes.helpers import check_in, check_out, days_ago, local

from .conftest import PHONE, login, shot, sign_in

pytestmark = pytest.mark.slow


def focused(page) -> dict:
    return page.evaluate(
        """() => { const el = document.activeElement;
            return { tag: el.tagName, testid: el.getAttribute('data-testid'), id: el.id,
                     inNav: !!el.closest('[data-testid=desk-nav]') }; }"""
    )


def assert_desk(page, nav_prefix: str) -> None:
    """The side navigation, no bottom bar, the content using the width, one h1."""
    nav = page.locator("[data-testid=desk-nav]")
    expect(nav).to_be_visible()
    box = nav.bounding_box()
    assert box["x"] == 0 and 180 <= box["width"] <= 300, box
    assert box["height"] >= 900 - 60, box  # the window's height under the slim top bar
    expect(page.locator(".navbar")).to_be_hidden()
    main = page.locator("main#main").bounding_box()
    assert main["width"] > 1000 and main["x"] >= box["x"] + box["width"] - 1, main
    expect(page.locator("h1")).to_have_count(1)
    # a list of links, the current page marked
    links = nav.locator("ul > li > a")
    assert links.count() >= 5
    expect(nav.locator("a[aria-current=page]")).to_have_count(1)
    for i in range(links.count()):
        assert (links.nth(i).get_attribute("data-testid") or "").startswith(f"{nav_prefix}-")
        assert links.nth(i).bounding_box()["height"] >= 44


def assert_keyboard(page) -> None:
    """Tab from the top: the skip link first, then the navigation; Enter on the skip link → <main>."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.locator("body").focus()
    page.keyboard.press("Tab")
    assert focused(page)["testid"] == "skip-link"
    expect(page.locator("[data-testid=skip-link]")).to_be_in_viewport()
    page.keyboard.press("Tab")
    assert focused(page)["inNav"], focused(page)
    page.keyboard.press("Tab")
    assert focused(page)["inNav"], focused(page)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page)["testid"] == "skip-link"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_managers_desk(app, e2e_world, context_of, locale):
    world = e2e_world
    day = days_ago(1)
    rep = ApiClient(app.test_client(), world.rep_a1)
    v = check_in(rep, world.store_a1, local(day, 9, 0), accuracy=12)
    check_out(rep, v, local(day, 9, 40))

    page = context_of(locale).new_page()
    sign_in(page, world.manager_a.username)
    expect(page.locator("[data-testid=manager-screens]")).to_be_visible()
    lang = "zh" if locale == "zh-CN" else "en"

    page.goto(f"/#/route/{world.rep_a1.id}/{day.isoformat()}")
    expect(page.locator("[data-testid=route-review]")).to_be_visible()
    the_map = page.locator("[data-testid=map]")
    expect(the_map.locator(".leaflet-container")).to_be_visible()
    assert_desk(page, "mgr-nav")
    # the field screens in a group of their own, after the manager's pages
    expect(page.locator(".desk-nav-group-field a")).to_have_count(3)
    expect(page.locator("[data-testid=mgr-nav-field]")).to_be_visible()
    expect(page.locator("[data-testid=mgr-nav-outbox]")).to_be_visible()
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, f"desk-manager-route-{lang}")
    # the map beside the timeline, the window's height (once the page scrolls past the day's
    # figures over it), and nothing over it
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_timeout(200)
    map_box = the_map.bounding_box()
    side = page.locator(".mgr-route-side").bounding_box()
    assert side["x"] >= map_box["x"] + map_box["width"] - 1, (map_box, side)
    assert map_box["height"] >= 600 and map_box["y"] >= 48 and map_box["y"] + map_box["height"] <= 900, map_box
    for fx, fy in ((0.5, 0.5), (0.5, 0.95), (0.05, 0.95), (0.95, 0.95)):
        x, y = map_box["x"] + map_box["width"] * fx, map_box["y"] + map_box["height"] * fy
        inside = page.evaluate("([x, y]) => !!document.elementFromPoint(x, y)?.closest('[data-testid=map]')", [x, y])
        assert inside, f"the map is covered at {fx}, {fy}"
    assert_keyboard(page)

    # the plans: ↑ ↓ × are touch targets
    page.locator("[data-testid=mgr-nav-plans]").click()
    expect(page.locator("[data-testid=mgr-nav-plans]")).to_have_attribute("aria-current", "page")
    page.locator("[data-testid=plan-rep]").select_option(str(world.rep_a1.id))
    picks = page.locator("[data-testid=pick-store]")
    expect(picks.first).to_be_visible()
    picks.nth(0).check()
    picks.nth(1).check()
    buttons = page.locator("[data-testid=picked] button")
    expect(buttons).to_have_count(6)
    for i in range(6):
        b = buttons.nth(i).bounding_box()
        assert b["width"] >= 44 and b["height"] >= 44, b
    shot(page, f"desk-manager-plans-{lang}")

    # the field screens keep the side navigation at the desk
    page.locator("[data-testid=mgr-nav-field]").click()
    expect(page.locator("[data-testid=mgr-nav-field]")).to_have_attribute("aria-current", "page")
    expect(page.locator("[data-testid=desk-nav]")).to_be_visible()
    expect(page.locator(".navbar")).to_be_hidden()


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_hq_desk(e2e_world, context_of, locale):
    page = context_of(locale).new_page()
    sign_in(page, "hq")
    expect(page.locator("[data-testid=imports-screen]")).to_be_visible()
    assert_desk(page, "hq-nav")
    expect(page.locator("[data-testid=hq-nav-imports]")).to_have_attribute("aria-current", "page")
    # the h1 names the page
    expect(page.locator("h1")).to_have_text(page.locator("[data-testid=hq-nav-imports]").inner_text())
    shot(page, f"desk-hq-imports-{'zh' if locale == 'zh-CN' else 'en'}")
    assert_keyboard(page)
    page.locator("[data-testid=hq-nav-alerts]").click()
    expect(page.locator("[data-testid=hq-nav-alerts]")).to_have_attribute("aria-current", "page")
    expect(page.locator("h1")).to_have_text(page.locator("[data-testid=hq-nav-alerts]").inner_text())
    assert_desk(page, "hq-nav")
    shot(page, f"desk-hq-alerts-{'zh' if locale == 'zh-CN' else 'en'}")


def test_an_admin_gets_the_hq_desk(e2e_world, context_of):
    page = context_of().new_page()
    sign_in(page, "admin")
    expect(page.locator("[data-testid=imports-screen]")).to_be_visible()
    assert_desk(page, "hq-nav")


def test_below_1024_px_tabs_and_the_phones_bottom_bar(e2e_world, context_of):
    world = e2e_world
    # a manager's phone: the bottom bar, the manager's pages as tabs (no field group: the bar has it)
    page = context_of("zh-CN", PHONE).new_page()
    sign_in(page, world.manager_a.username)
    expect(page.locator("[data-testid=manager-screens]")).to_be_visible()
    expect(page.locator(".navbar")).to_be_visible()
    nav = page.locator("[data-testid=desk-nav]")
    expect(nav).to_be_visible()
    assert nav.bounding_box()["width"] >= 380  # across the page, not a side column
    expect(page.locator("[data-testid=mgr-nav-outbox]")).to_be_hidden()
    shot(page, "desk-manager-phone-zh")
    # on the field screens, the phone layout as it was
    page.locator("[data-testid=nav-field]").click()
    expect(nav).to_be_hidden()
    expect(page.locator(".navbar")).to_be_visible()

    # a rep's phone: the bottom bar, no desk navigation
    rep = context_of("zh-CN", PHONE).new_page()
    login(rep, world.rep_a1.username)
    expect(rep.locator(".navbar")).to_be_visible()
    expect(rep.locator("[data-testid=desk-nav]")).to_have_count(0)
    expect(rep.locator("[data-testid=skip-link]")).to_have_count(0)
