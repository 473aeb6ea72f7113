"""The app works under its Content-Security-Policy, end to end: a real browser (Debian's Chromium)
runs the built PWA against the real server, which sends the policy (backend/core/security_headers.py)
on every response. A rep, a clerk, a manager and HQ go through their main screens: the rep's day,
plan, store, a visit with a photo (its preview is a blob: URL), outbox and settings; the clerk's
cards and the barcode scanner reading a label photo (ZXing's .wasm, compiled under
'wasm-unsafe-eval'); the manager's route review (Leaflet with tiles, markers and lines),
coverage, plans, new-store reports and conflicts; HQ's imports, diversion, card look-up, price
trends (uPlot), alerts, promotions and store changes (a map). Swagger UI at /api/docs renders under
its own policy. The browser reports no violation anywhere (the `securitypolicyviolation` events of
each page and the console's "Content Security Policy" messages), and each page's response
carries the policy, so that nothing passes for want of a policy.

The map tiles come from a tile server configured for the e2e tests (MAP_TILE_URL with a `{s}`
subdomain, on a host that does not exist: conftest.SERVER_SETTINGS, which either server has): the
browser's requests to it are answered with a drawn tile, so the tiles show only if the policy
derived from MAP_TILE_URL lets the browser ask for them. Every other request off the app's origin
fails, as with no internet."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.factories import PASSWORD, ApiClient
from tests.factories import imei as make_imei
from tests.routes.helpers import check_in, check_out, days_ago, local, point_at, position

from .conftest import PHONE, SERVER_SETTINGS, TILE_HOST, TILE_URL, TIMEOUT_MS, login, shot

pytestmark = pytest.mark.slow

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}

# Every CSP violation of a document, kept in the page (read before it is left).
COLLECT = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push({
    directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample, page: location.href,
  });
});
"""


def tile_png() -> bytes:
    """A 256 px map tile: land, a grid and a road (so that a screenshot shows the tiles)."""
    image = Image.new("RGB", (256, 256), (242, 239, 233))
    draw = ImageDraw.Draw(image)
    for i in range(0, 256, 64):
        draw.line([(i, 0), (i, 255)], fill=(214, 208, 196), width=1)
        draw.line([(0, i), (255, i)], fill=(214, 208, 196), width=1)
    draw.line([(0, 200), (255, 40)], fill=(247, 250, 191), width=10)
    draw.line([(0, 200), (255, 40)], fill=(200, 190, 140), width=2)
    draw.rectangle([150, 150, 230, 220], fill=(205, 235, 176))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class Browsing:
    """A browser context (phone or desk, a language) that records CSP violations and answers the
    test tile server; everything else off the app's origin is aborted."""

    def __init__(self, browser, live_server, *, device: dict, locale: str, position=None):
        self.live_server = live_server
        self.console: list[str] = []
        self.violations: list[dict] = []
        self.tiles: list[str] = []
        self.blocked: list[str] = []
        extra = {}
        if position:
            extra = {
                "geolocation": {"latitude": position[0], "longitude": position[1], "accuracy": 12.0},
                "permissions": ["geolocation"],
            }
        self.context = browser.new_context(
            **device,
            base_url=live_server,
            locale=locale,
            timezone_id="Asia/Shanghai",
            service_workers="allow",
            **extra,
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(COLLECT)
        self.context.on("console", self._console)
        self.context.on("weberror", lambda err: print(f"[browser error] {err.error}"))
        self.context.route(lambda url: not url.startswith(live_server), self._off_origin)
        self._tile = tile_png()
        self.page = self.context.new_page()

    def _console(self, msg):
        print(f"[browser {msg.type}] {msg.text}")
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.console.append(msg.text)

    def _off_origin(self, route):
        url = route.request.url
        if (urlsplit(url).hostname or "").endswith("." + TILE_HOST):
            self.tiles.append(url)
            route.fulfill(
                status=200, body=self._tile, content_type="image/png", headers={"Access-Control-Allow-Origin": "*"}
            )
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path: str) -> str:
        """Load a document (collecting the previous one's violations first); returns its policy."""
        self.collect()
        response = self.page.goto(path)
        assert response is not None and response.ok, (path, response and response.status)
        policy = response.headers.get("content-security-policy")
        assert policy, f"{path} came without a Content-Security-Policy"
        return policy

    def collect(self) -> None:
        try:
            found = self.page.evaluate("() => (window.__cspViolations || []).splice(0)")
        except Exception:  # no document yet
            return
        self.violations.extend(found)

    def assert_clean(self) -> None:
        self.collect()
        assert not self.violations, self.violations
        assert not self.console, self.console

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def browsing(browser, live_server):
    """`browsing(device=PHONE|DESKTOP, locale=…)`; the installation's tiles are the test server's
    (TILE_HOST: never resolves, only the context's route answers it)."""
    assert SERVER_SETTINGS["MAP_TILE_URL"] == TILE_URL
    opened = []

    def make(device=PHONE, locale="zh-CN", position=None):
        b = Browsing(browser, live_server, device=device, locale=locale, position=position)
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.close()


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def assert_app_policy(policy: str) -> None:
    d = directives(policy)
    assert d["script-src"] == ["'self'", "'wasm-unsafe-eval'"], policy
    assert d["frame-ancestors"] == ["'none'"] and d["object-src"] == ["'none'"], policy
    assert f"https://*.{TILE_HOST}" in d["img-src"], policy


def go(page, hash_route: str, testid: str):
    page.evaluate("(h) => { location.hash = h }", hash_route)
    screen = page.locator(f"[data-testid={testid}]")
    expect(screen.first).to_be_visible()
    return screen


def test_the_collector_sees_a_violation(browsing):
    """The checks below are not vacuous: the page reports what the policy refuses."""
    b = browsing()
    assert_app_policy(b.open("/"))
    b.page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.__ran = 1';
            document.body.append(s);
        }"""
    )
    assert b.page.evaluate("() => window.__ran") is None
    b.page.evaluate(
        "() => { const i = new Image(); i.src = 'https://elsewhere.example.test/x.png'; document.body.append(i); }"
    )
    b.page.wait_for_function("() => window.__cspViolations.length >= 2")
    b.collect()
    assert {v["directive"] for v in b.violations} == {"script-src-elem", "img-src"}, b.violations
    assert not b.blocked  # refused by the browser before any request


def test_a_rep_works_under_the_csp(browsing, e2e_world, tmp_path):
    world = e2e_world
    b = browsing(position=position(world.store_a1))
    page = b.page
    assert_app_policy(b.open("/"))
    login(page, "rep_a1")
    expect(page.locator(f"[data-testid=store-item][data-store-id='{world.store_a1.id}']")).to_be_visible()
    go(page, "#/plan", "plan-day")
    go(page, "#/outbox", "outbox-screen")
    go(page, "#/settings", "settings-screen")
    go(page, f"#/store/{world.store_a1.id}", "store-screen")
    # A visit with a photo: its preview is a blob: URL of the picture on the phone.
    page.locator("[data-testid=check-in]").click()
    expect(page.locator("[data-testid=visit-screen]")).to_be_visible()
    step = page.locator("[data-testid=step-display]")
    if step.get_attribute("open") is None:
        step.locator("summary").click()
    photo = tmp_path / "shelf.jpg"
    Image.new("RGB", (640, 480), (30, 120, 200)).save(photo, "JPEG")
    step.locator("[data-testid=display-photo-input]").set_input_files(str(photo))
    preview = step.locator("img[data-photo-id]")
    expect(preview).to_have_count(1)
    assert preview.get_attribute("src").startswith("blob:")
    page.wait_for_function(
        """() => {
            const i = document.querySelector('img[data-photo-id]');
            return i && i.complete && i.naturalWidth > 0;
        }"""
    )
    b.assert_clean()


def test_a_clerk_scans_under_the_csp(browsing, e2e_world, tmp_path):
    from .test_clerk_offline import make_label  # skips without node and pwa/node_modules

    b = browsing()
    page = b.page
    assert_app_policy(b.open("/"))
    login(page, "clerk_a1")
    expect(page.locator("[data-testid=cards-screen]")).to_be_visible()
    page.locator("[data-testid=register-card]").click()
    page.locator("[data-testid=card-scan]").click()
    scanner = page.locator("[data-testid=scanner]")
    expect(scanner).to_be_visible()
    # No camera in headless Chromium: a photo of the label, read by ZXing's .wasm.
    unit = make_imei(serial=42)
    scanner.locator("[data-testid=scanner-photo]").set_input_files(make_label(f"IMEI:{unit}", tmp_path / "label.png"))
    expect(scanner).to_have_count(0, timeout=20_000)
    expect(page.locator("[data-testid=card-imei]")).to_have_value(unit)
    b.assert_clean()


def rep_day(app, world):
    """Rep A1's day yesterday: three visits, the second checked in 400 m from its store."""
    day = days_ago(1)
    rep = ApiClient(app.test_client(), world.rep_a1)
    a1, a1b = world.store_a1, world.store_a1b
    v1 = check_in(rep, a1, local(day, 9, 0), point_at(position(a1), 10, 90), accuracy=12)
    check_out(rep, v1, local(day, 9, 40))
    v2 = check_in(rep, a1b, local(day, 10, 0), point_at(position(a1b), 400, 180), accuracy=20)
    check_out(rep, v2, local(day, 10, 25))
    v3 = check_in(rep, a1, local(day, 12, 0), accuracy=10)
    check_out(rep, v3, local(day, 12, 0) + timedelta(minutes=20))
    return day


def open_route_review(b, world, day):
    page = b.page
    assert_app_policy(b.open("/"))
    login(page, world.manager_a.username)
    expect(page.locator("[data-testid=manager-screens]")).to_be_visible()
    go(page, f"#/route/{world.rep_a1.id}/{day.isoformat()}", "route-review")
    the_map = page.locator("[data-testid=map]")
    expect(the_map.locator(".leaflet-container")).to_be_visible()
    expect(the_map).to_have_attribute("data-tiles", "yes")
    expect(the_map.locator("[data-testid=map-visit]")).to_have_count(3)
    expect(the_map.locator("path.route-line")).to_have_count(1)
    # The tiles were asked for from the configured server and drawn (Leaflet marks them loaded).
    expect(the_map.locator("img.leaflet-tile-loaded").first).to_be_visible()
    assert b.tiles and all(urlsplit(u).hostname.endswith("." + TILE_HOST) for u in b.tiles)
    # Leaflet's stylesheet applies (a same-origin file): the container is positioned, panes stacked.
    assert the_map.locator(".leaflet-container").evaluate("e => getComputedStyle(e).overflow") == "hidden"
    return the_map


@pytest.mark.parametrize("size", ["phone", "desk"])
@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_route_map_renders_under_the_csp(app, browsing, e2e_world, size, locale):
    world = e2e_world
    day = rep_day(app, world)
    b = browsing(device=PHONE if size == "phone" else DESKTOP, locale=locale)
    open_route_review(b, world, day)
    b.page.wait_for_load_state("networkidle")
    shot(b.page, f"csp-map-{size}-{locale[:2]}")
    b.assert_clean()


def test_a_manager_works_under_the_csp(app, browsing, e2e_world):
    world = e2e_world
    day = rep_day(app, world)
    b = browsing(device=DESKTOP, locale="en-GB")
    page = b.page
    open_route_review(b, world, day)
    go(page, "#/coverage", "coverage")
    go(page, "#/plans", "plans")
    go(page, "#/reports", "reports")
    go(page, "#/conflicts", "conflicts")
    go(page, "#/today", "store-list")
    b.assert_clean()


def test_hq_works_under_the_csp(browsing, e2e_world):
    b = browsing(device=DESKTOP, locale="zh-CN")
    page = b.page
    assert_app_policy(b.open("/"))
    page.locator("input[name=username]").fill("hq")  # HQ's screens have no sync bar: not login()
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("[data-testid=login-form] button[type=submit]").click()
    expect(page.locator("[data-testid=imports-screen]")).to_be_visible()
    go(page, "#/diversion", "diversion-screen")
    go(page, "#/cards", "hq-cards-screen")
    go(page, "#/market/trends", "trends-screen")
    go(page, "#/market/alerts", "alerts-screen")
    go(page, "#/market/promotions", "promotions-screen")
    go(page, "#/market/stores", "store-changes-screen")
    expect(page.locator("[data-testid=map] .leaflet-container")).to_be_visible()
    go(page, "#/settings", "settings-screen")
    b.assert_clean()


def test_swagger_ui_works_under_its_policy(browsing):
    b = browsing(device=DESKTOP, locale="en-GB")
    policy = directives(b.open("/api/docs"))
    assert any(v.startswith("'sha256-") for v in policy["script-src"]), policy
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"], policy
    expect(b.page.locator(".swagger-ui .info .title")).to_contain_text("Field Sales API")
    expect(b.page.locator(".swagger-ui .opblock").first).to_be_visible()
    b.page.locator(".swagger-ui .opblock-summary").first.click()
    expect(b.page.locator(".swagger-ui .opblock-body").first).to_be_visible()
    b.assert_clean()
    assert not b.blocked, b.blocked  # Swagger UI is served from the app: nothing from a CDN
