"""End-to-end fixtures: the real app (built PWA + Flask API) served by a real HTTP server on the
test database, and Debian's Chromium driven by Playwright as a rep's phone.

The server is a thread of the test process by default. With `E2E_SERVER=production` (.ci/run's
PostgreSQL + Redis stage) it is the production shape instead: gunicorn as `make serve` runs it
(`-c backend/gunicorn_conf.py`, sync worker processes) behind nginx configured by
docs/nginx.conf (tests/servers.py), with the session's rq worker running the jobs when REDIS_URL
is set. Either way the tests read and write the same database as the server; what a test needs
the server to be configured with is in SERVER_SETTINGS, which both modes apply.

The browser is never downloaded (`playwright install` cannot work here): `make test` installs the
distribution's chromium when /usr/bin/chromium is missing and builds pwa/dist before pytest.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from backend.extensions import db
from tests import servers
from tests.factories import PASSWORD, build_world

E2E_SERVER = os.environ.get("E2E_SERVER") or "in-process"
if E2E_SERVER not in ("in-process", "production"):
    raise pytest.UsageError(f"E2E_SERVER={E2E_SERVER!r}: `production`, or unset for the in-process server")
PRODUCTION = E2E_SERVER == "production"

# The map tiles come from a tile server of the tests' own (tests/e2e/test_csp.py answers the
# browser's requests to it; other tests abort them): `{s}` subdomains of a host that never resolves.
TILE_HOST = "tiles.example.test"
TILE_URL = "https://{s}." + TILE_HOST + "/{z}/{x}/{y}.png"
# The server's settings for the e2e tests, as the environment gives them (strings): the production
# server's environment; the in-process app's config during each e2e test (the app object is shared
# with the rest of the suite, which keeps the defaults). Only settings read per request, then.
SERVER_SETTINGS = {"MAP_TILE_URL": TILE_URL}
# The production server's environment besides: nginx in front (docs/nginx.conf sets
# X-Forwarded-For and -Proto for exactly one proxy), and 3 gunicorn workers instead of
# gunicorn_conf.py's 2 x CPUs + 1 (WEB_CONCURRENCY, its override): less memory next to Chromium,
# and still several processes, any of which may answer a request.
PRODUCTION_ENV = {"TRUSTED_PROXY_HOPS": "1", "WEB_CONCURRENCY": "3"}

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A rep's phone: 390×844 CSS pixels, touch.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
TIMEOUT_MS = 15_000
# Assertions wait as long as actions: a role's screens are a lazy-loaded chunk (with Leaflet or
# uPlot), and on a busy CI machine their first load can take longer than expect()'s 5 s default.
try:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
except ImportError:  # the e2e tests skip without Playwright
    pass


@pytest.fixture(scope="session")
def served_dist(app, tmp_path_factory) -> Path:
    """The built PWA the live server serves: pwa/dist (PWA_DIST) in the test process; for the
    production server a copy of it made at the start of the session (PWA_DIST in its
    environment), which a rebuild of pwa/dist during the run leaves alone."""
    dist = Path(app.config["PWA_DIST"])
    if not (dist / "index.html").is_file() or not (dist / "sw.js").is_file():
        pytest.fail(f"The PWA is not built ({dist}): run `make pwa` (make test does) before the e2e tests.")
    if not PRODUCTION:
        return dist
    copy = tmp_path_factory.mktemp("pwa") / "dist"
    shutil.copytree(dist, copy)
    return copy


@pytest.fixture(scope="session")
def live_server(app, rq_worker, served_dist, tmp_path_factory):
    """The application's base URL on a free 127.0.0.1 port, on the test session's database: a
    thread of the test process, or with E2E_SERVER=production nginx (docs/nginx.conf) in front of
    gunicorn (backend/gunicorn_conf.py), each its own process (logs in pytest's temporary
    directories, e2e-gunicorn*/ and e2e-nginx*/)."""
    if PRODUCTION:
        if not servers.nginx_installed():
            pytest.fail(f"E2E_SERVER=production needs nginx at {servers.NGINX} (`make test` installs Debian's nginx)")
        env = {**PRODUCTION_ENV, **SERVER_SETTINGS, "PWA_DIST": str(served_dist)}
        gunicorn = servers.gunicorn(tmp_path_factory.mktemp("e2e-gunicorn"), "-c", servers.GUNICORN_CONF, env=env)
        with gunicorn as upstream, servers.nginx(upstream, tmp_path_factory.mktemp("e2e-nginx")) as base:
            yield base
        return
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _server_settings(app, monkeypatch):
    """SERVER_SETTINGS for the in-process server (the production server has them from the start)."""
    if not PRODUCTION:
        for name, value in SERVER_SETTINGS.items():
            monkeypatch.setitem(app.config, name, value)


@pytest.fixture
def deployable_dist(app, served_dist, tmp_path, monkeypatch) -> Path:
    """A built PWA that the live server serves during the test and that the test may change, as a
    deployment of a new version would; the server serves what it served before afterwards."""
    if not PRODUCTION:
        dist = tmp_path / "dist"
        shutil.copytree(served_dist, dist)
        monkeypatch.setitem(app.config, "PWA_DIST", str(dist))
        yield dist
        return
    # The production server's PWA_DIST is fixed in its environment: its copy is changed in place.
    before = tmp_path / "dist-before"
    shutil.copytree(served_dist, before)
    try:
        yield served_dist
    finally:
        shutil.rmtree(served_dist)
        shutil.copytree(before, served_dist)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(
            f"end-to-end tests skipped: no Chromium at {CHROMIUM} (`make test` and .ci/run install Debian's chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def e2e_world(app):
    """tests/factories.build_world: stores in Guangzhou and Nanning, users of every role with
    factories.PASSWORD, a checklist, a product, a competitor brand and model, a promo material."""
    return build_world()


@pytest.fixture
def phone(browser, live_server, e2e_world):
    """`phone(position=(lat, lon), locale=…, timezone_id=…)` → a fresh browser context (a phone with
    the app's origin never seen, set to `timezone_id`, Shanghai's by default) with geolocation
    granted; all are closed at the end of the test."""
    contexts = []

    def make(position=None, accuracy=12.0, locale="zh-CN", timezone_id="Asia/Shanghai"):
        lat, lon = position or (e2e_world.store_a1.latitude, e2e_world.store_a1.longitude)
        context = browser.new_context(
            **PHONE,
            base_url=live_server,
            locale=locale,
            timezone_id=timezone_id,
            geolocation={"latitude": lat, "longitude": lon, "accuracy": accuracy},
            permissions=["geolocation"],
            service_workers="allow",
        )
        context.set_default_timeout(TIMEOUT_MS)
        # The browser's console and page errors, printed with the test's output when it fails.
        context.on("console", lambda msg: print(f"[browser {msg.type}] {msg.text}"))
        context.on("weberror", lambda err: print(f"[browser error] {err.error}"))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def login(page, username: str, password: str = PASSWORD) -> None:
    """Open the app and sign in; returns once the rep's home screen shows."""
    page.goto("/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("[data-testid=login-form] button[type=submit]").click()
    page.locator("[data-testid=sync-status]").wait_for()


def wait_for_service_worker(page) -> None:
    """Wait until the service worker is active (the app shell is precached)."""
    page.wait_for_function(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            return !!(registration.active && registration.active.state === 'activated');
        }""",
        timeout=TIMEOUT_MS,
    )


def shot(page, name: str) -> None:
    """With E2E_SCREENSHOTS=<dir>, save a full-page screenshot (to look at the phone screens)."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.2, message: str = "condition"):
    """Poll `predicate()` (server-side checks) until it is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # see what the server committed since
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(interval)


# Desk pages (manager, HQ, admin) at 1366 × 900.
DESK = {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1}


@pytest.fixture
def context_of(browser, live_server):
    """`make(locale, device)`: a browser context on the live server, the desk's 1366 × 900 unless
    `device` says otherwise, in Shanghai's time zone, with nothing off the app's origin."""
    contexts = []

    def make(locale="en-GB", device=None):
        context = browser.new_context(
            **(device or DESK),
            base_url=live_server,
            locale=locale,
            timezone_id="Asia/Shanghai",
            service_workers="allow",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", lambda msg: print(f"[browser {msg.type}] {msg.text}"))
        context.on("weberror", lambda err: print(f"[browser error] {err.error}"))
        # No map tiles nor anything else off the app's origin.
        context.route(lambda url: not url.startswith(live_server), lambda r: r.abort())
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def sign_in(page, username: str) -> None:
    """Sign in from the login screen (returns at once: the desk shows no sync status to wait for)."""
    page.goto("/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("[data-testid=login-form] button[type=submit]").click()
