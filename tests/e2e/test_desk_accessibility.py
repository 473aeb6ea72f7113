"""Lighthouse's accessibility category on the desk pages (issue 18): score 1.0, i.e. 100.

The built PWA and the backend are served as in the other e2e tests, on the demo's data (`flask
seed-demo`, small: a few days, a tenth of the stores, up to today) so the tables, the map and the
alerts have rows to check. Per role (the demo logins manager.gd, hq, admin) one Chromium with a
persistent profile — its default browser context, the one Lighthouse opens its tab in — and a
remote debugging port: Playwright signs in there (the session is in the origin's IndexedDB), then
Lighthouse (pwa/node_modules, pinned in pwa/package.json) connects to that port and takes one
snapshot per page in a user flow (pwa/scripts/lighthouse-a11y.mjs, desktop form factor, the page's
1366×900): no reload and no storage reset, which would lose the session. The three roles run at
once. A failing audit is printed with its elements.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backend.demo import seed as demo
from backend.warranty.service import business_today

from .conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "pwa" / "node_modules" / "lighthouse" / "package.json"
SCRIPT = ROOT / "pwa" / "scripts" / "lighthouse-a11y.mjs"
NODE = shutil.which("node")

# The main desk pages of each role (hash routes), and what shows once the page is there.
PAGES = {
    "manager.gd": [
        ("team today", "#/", "[data-testid=manager-screens]"),
        ("route review", "#/route", "[data-testid=route-review]"),
        ("coverage", "#/coverage", "[data-testid=manager-screens]"),
        ("plans", "#/plans", "[data-testid=planner]"),
        ("photos", "#/photos", "[data-testid=manager-screens]"),
        ("tasks", "#/tasks", "[data-testid=manager-screens]"),
    ],
    "hq": [
        ("imports", "#/", "[data-testid=imports-screen]"),
        ("market alerts", "#/market/alerts", "[data-testid=desk-nav]"),
        ("channel", "#/channel", "[data-testid=desk-nav]"),
        ("quality", "#/quality", "[data-testid=desk-nav]"),
    ],
    "admin": [
        ("users", "#/admin/users", "[data-testid=desk-nav]"),
        ("stores", "#/admin/stores", "[data-testid=desk-nav]"),
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_data(app):
    started = time.monotonic()
    demo.seed_demo(seed=3, echo=lambda _line: None, days=4, scale=0.1, today=business_today())
    print(f"demo seeded in {time.monotonic() - started:.1f} s")


def start_lighthouse(port: int, pages: list[tuple[str, str]]) -> subprocess.Popen:
    """Lighthouse's accessibility category of each (url, ready selector) in the Chromium listening on
    `port` (pwa/scripts/lighthouse-a11y.mjs), started: `results(process)` reads it."""
    cmd = [NODE, str(SCRIPT), str(port), json.dumps(pages)]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT / "pwa")


def results(process: subprocess.Popen) -> list[dict]:
    """[{url, score, failures}] of a Lighthouse run started by start_lighthouse."""
    try:
        out, err = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def described(failures: list[dict]) -> list[str]:
    """The failing audits, each with the elements Lighthouse names."""
    return [
        "\n".join(
            [f"{f['id']}: {f['title']}"]
            + [f"    {i['selector']} {i['snippet'][:120]}\n      {i['explanation']}".rstrip() for i in f["items"]]
        )
        for f in failures
    ]


def signed_in(browser, live_server, profile: Path, username: str):
    """A Chromium of its own (a persistent profile: its default context is where Lighthouse opens its
    tab) with `username` signed in, and its remote debugging port."""
    port = free_port()
    context = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        # Nothing off the app's origin resolves (the map tiles' host never does): no Playwright route
        # here, whose handler would wait for this thread while it waits for Lighthouse.
        args=[
            *CHROMIUM_ARGS,
            f"--remote-debugging-port={port}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ],
        headless=True,
        viewport={"width": 1366, "height": 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=live_server,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(demo.PASSWORD)
    page.locator("[data-testid=login-form] button[type=submit]").click()
    expect(page.locator("[data-testid=desk-nav]")).to_be_visible()
    return context, port


@pytest.mark.skipif(not NODE or not LIGHTHOUSE.is_file(), reason="Lighthouse needs node and `npm ci` in pwa/")
def test_the_desk_pages_score_100_in_lighthouse_accessibility(browser, live_server, demo_data, tmp_path):
    contexts, runs = [], {}
    problems = {}
    try:
        # The roles' browsers side by side, one Lighthouse run each at the same time (~1 min in all).
        for username, pages in PAGES.items():
            context, port = signed_in(browser, live_server, tmp_path / username, username)
            contexts.append(context)
            runs[username] = start_lighthouse(port, [(f"{live_server}/{route}", ready) for _n, route, ready in pages])
        started = time.monotonic()
        for username, process in runs.items():
            found = results(process)
            for (name, route, _ready), result in zip(PAGES[username], found, strict=True):
                print(f"{username} {name}: accessibility {result['score']}")
                if result["score"] != 1:
                    problems[f"{username} {name} ({route}): {result['score']}"] = described(result["failures"])
        print(f"Lighthouse: {time.monotonic() - started:.1f} s")
    finally:
        for process in runs.values():
            if process.poll() is None:
                process.kill()
        for context in contexts:
            context.close()
    assert not problems, "\n".join(f"{page}\n" + "\n".join(f) for page, f in problems.items())
