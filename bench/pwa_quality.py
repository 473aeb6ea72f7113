"""The PWA's quality bars, measured on the real app: Lighthouse scores of the rep's pages in
mobile mode, the JavaScript the first page loads (gzipped), and the time from reload to usable
while offline.

    python -m bench.pwa_quality [--lighthouse-runs 3] [--runs 10] [--reports DIR]
                                [--only lighthouse,js,offline]

Needs Debian's Chromium (/usr/bin/chromium, or CHROMIUM=…) and node; builds pwa/dist when it is
missing (`make pwa`) and installs Lighthouse in its own npm project, bench/lighthouse/ (exact
version in its package.json and package-lock.json: `npm ci || npm install` there), so that the
app's own install stays light. Lighthouse 12.8.2 is the last release that runs on node 20 (13
needs node ≥ 22.19); Lighthouse 12 no longer has the pwa category. (package.json overrides
third-party-web to 0.27.0, the version Lighthouse asks for: its @paulirish/trace_engine asks for
"latest", which `npm ci` resolves again against the registry and then refuses the lock file.)
No browser is ever downloaded: Lighthouse runs Debian's Chromium through CHROME_PATH,
Playwright through executable_path.

The app is served as in tests/e2e: a throwaway database (SQLite in a temporary directory, or
BENCH_DATABASE_URL), migrated, with a week of the demo seed at 0.3 scale (`seed_demo(seed=1,
days=7, scale=0.3)`: the rep `rep.gz` of 广州天河片区, password demo1234), on a free 127.0.0.1
port in a thread of this process (werkzeug, as `flask run`; it sends no Content-Encoding).

1. Lighthouse, mobile (its defaults: Moto G Power-sized screen, simulated slow 4G and 4x CPU
   slowdown), categories performance, accessibility and best-practices (and pwa, when the
   installed Lighthouse still offers it), on the login page `/` with a fresh profile (first
   visit), and on the signed-in rep's Today `/#/`, a store `/#/store/<id>`, a visit
   `/#/visit/<id>` (checked in at that store while signing in, left open) and the Outbox
   `/#/outbox`. For those, Playwright signs in once in a persistent Chromium profile (the app
   keeps its session in IndexedDB); Lighthouse then runs with that profile (`--user-data-dir`
   in --chrome-flags) and `--disable-storage-reset`: a rep's repeat visit, the app shell coming
   from the service worker. Each page `--lighthouse-runs` times, the pages taking turns; the
   median score counts (Lighthouse's own advice: scores vary from run to run). The metrics and
   the audits scoring under 0.9 are printed from the run with the median performance score;
   the Lighthouse commands are printed too (`--reports DIR` keeps the HTML and JSON reports).
2. The JavaScript the first page loads: a fresh phone context opens `/`; every script response
   the page receives, gzip-compressed (gzip.compress, level 9), summed. Cross-checked against
   pwa/dist/assets (each .js file gzipped); the service worker's own scripts are listed apart
   (they run off the page, in the worker).
3. Time from reload to usable while offline: a phone context signs in, waits until the service
   worker controls the page, goes offline, then reloads `--runs` times (after one untimed
   reload) and measures until the Today screen's search input and first store row are shown
   and enabled (checked at every animation frame): wall time from page.reload() and the page's
   own clock (from navigation start). Again with Chromium's 4x CPU slowdown (Lighthouse's
   mobile setting) for a mid-range phone.

Bars (issue 15): performance ≥ 95, accessibility 100, best practices ≥ 96 and cumulative layout
shift ≤ 0.05 (Lighthouse's CLS metric, median of the runs) on every page (Login, Today, Store,
Visit, Outbox); the first page's JavaScript ≤ 100 kB gzipped (100,000 bytes). The offline reload has no bar: its
figures are reported. Everything started is stopped and every temporary directory removed.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import common

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE_DIR = Path(__file__).resolve().parent / "lighthouse"
LIGHTHOUSE_BIN = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = common.CHROMIUM
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)
PLAYWRIGHT_ARGS = common.CHROMIUM_ARGS  # the same switches as tests/e2e/conftest.py
# A rep's phone (tests/e2e/conftest.py): 390×844 CSS pixels, touch; in 广州天河 (天河城).
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "geolocation": {"latitude": 23.1322, "longitude": 113.3232, "accuracy": 15.0},
    "permissions": ["geolocation"],
    "service_workers": "allow",
}
REP, PASSWORD = "rep.gz", "demo1234"
TIMEOUT_MS = 30_000
LIGHTHOUSE_TIMEOUT_S = 150
CATEGORIES = ("performance", "accessibility", "best-practices", "pwa")
BARS = {"performance": 95, "accessibility": 100, "best-practices": 96}
CLS_BAR = 0.05
JS_BAR_BYTES = 100_000
METRICS = (
    ("first-contentful-paint", "FCP"),
    ("largest-contentful-paint", "LCP"),
    ("total-blocking-time", "TBT"),
    ("cumulative-layout-shift", "CLS"),
    ("speed-index", "SI"),
)
# The Today screen is usable: its search input and a first store row are on screen and enabled.
USABLE_JS = """() => {
    const shown = (el) => {
        if (!el || el.disabled) return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    const input = document.querySelector('[data-testid=store-search]');
    const row = document.querySelector('[data-testid=store-item]');
    return shown(input) && shown(row) ? performance.now() : false;
}"""
SW_ACTIVE_JS = """async () => {
    const registration = await navigator.serviceWorker.ready;
    return !!(registration.active && registration.active.state === 'activated');
}"""

log = common.log


# --- results ------------------------------------------------------------------------------


@dataclass
class Row:
    page: str
    figure: str
    value: str
    bar: str = ""
    ok: bool | None = None  # None: no bar


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # printed under the table
    commands: list[str] = field(default_factory=list)

    def add(self, page: str, figure: str, value: str, bar: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(page, figure, value, bar, ok))

    def print(self, elapsed_s: float) -> None:
        headers = ("page", "figure", "value", "bar", "result")
        cells = [
            (r.page, r.figure, r.value, r.bar, "" if r.ok is None else ("PASS" if r.ok else "MISS")) for r in self.rows
        ]
        widths = [max([common._width(h)] + [common._width(c[i]) for c in cells]) for i, h in enumerate(headers)]

        def line(row):
            out = []
            for i, cell in enumerate(row):
                pad = " " * (widths[i] - common._width(cell))
                out.append(pad + cell if i == 2 else cell + pad)
            return "  ".join(out).rstrip()

        log("")
        log("PWA quality bars")
        log(line(headers))
        log(line(["-" * w for w in widths]))
        for row in cells:
            log(line(row))
        misses = [r for r in self.rows if r.ok is False]
        log(f"{len(misses)} bar(s) missed" if misses else "Every bar met")
        for message in self.details:
            log(message)
        if self.commands:
            log("")
            log(
                "Lighthouse commands run (the server and profiles were this run's and are gone; "
                "`python -m bench.pwa_quality` does it all again):"
            )
            for command in self.commands:
                log(f"  {command}")
        log(f"Total run time: {elapsed_s:.1f} s")


# --- setup: the PWA build, Lighthouse, the server ------------------------------------------


def ensure_pwa_built() -> Path:
    dist = ROOT / "pwa" / "dist"
    if not (dist / "index.html").is_file() or not (dist / "sw.js").is_file():
        log("pwa/dist is missing: make pwa")
        subprocess.run(["make", "pwa"], cwd=ROOT, check=True)
    return dist


def dist_identity(dist: Path) -> str:
    """The build's content-hashed script names (which build was measured)."""
    names = sorted(p.name for p in (dist / "assets").glob("*.js"))
    return ", ".join(names) or "no scripts"


def ensure_lighthouse() -> str:
    """Install bench/lighthouse (when its lock file changed) and return Lighthouse's version."""
    lock = LIGHTHOUSE_DIR / "package-lock.json"
    installed = LIGHTHOUSE_DIR / "node_modules" / ".package-lock.json"
    if not LIGHTHOUSE_BIN.exists() or not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        log("Installing Lighthouse in bench/lighthouse (npm ci || npm install)")
        subprocess.run(
            "npm ci --no-audit --no-fund || npm install --no-audit --no-fund",
            shell=True,
            cwd=LIGHTHOUSE_DIR,
            check=True,
        )
    out = subprocess.run([str(LIGHTHOUSE_BIN), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def lighthouse_categories() -> list[str]:
    """The categories of CATEGORIES the installed Lighthouse offers (pwa went in Lighthouse 12)."""
    script = "import('lighthouse').then(m => console.log(JSON.stringify(Object.keys(m.defaultConfig.categories))))"
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=LIGHTHOUSE_DIR, capture_output=True, text=True, check=True
    )
    offered = json.loads(out.stdout.strip().splitlines()[-1])
    return [c for c in CATEGORIES if c in offered]


@dataclass
class Served:
    url: str
    store_count: int


@contextlib.contextmanager
def serve_app() -> Iterator[Served]:
    """The real app on a scratch database with the demo seed, on a free 127.0.0.1 port."""
    from werkzeug.serving import make_server

    from backend.demo.seed import seed_demo

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with common.scratch_app("pwa") as app:
        with app.app_context():
            counts = seed_demo(seed=1, echo=lambda message: None, days=7, scale=0.3)
        log("Demo seed (seed=1, days=7, scale=0.3): " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="pwa-quality-server", daemon=True)
        thread.start()
        try:
            yield Served(f"http://127.0.0.1:{server.server_port}", counts.get("stores", 0))
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


# --- browsers -----------------------------------------------------------------------------


def login(page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.locator("input[name=username]").fill(REP)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("[data-testid=login-form] button[type=submit]").click()
    page.locator("[data-testid=sync-status][data-state=synced]").wait_for(timeout=TIMEOUT_MS)
    page.locator("[data-testid=store-item]").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(SW_ACTIVE_JS, timeout=TIMEOUT_MS)


def first_page_js(browser, base_url: str, dist: Path, report: Report) -> None:
    """The scripts a fresh phone receives opening `/`, gzipped; and dist/assets for cross-check."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        responses = []
        page.on("response", lambda response: responses.append(response))
        page.goto(base_url + "/", wait_until="load")
        page.locator("[data-testid=login-form]").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_load_state("networkidle")
        scripts = []
        for response in responses:
            if response.request.resource_type != "script" or response.status != 200:
                continue
            body = response.body()
            encoding = response.headers.get("content-encoding", "none")
            scripts.append((response.url.removeprefix(base_url), len(body), len(gzip.compress(body)), encoding))
    finally:
        context.close()

    raw = sum(s[1] for s in scripts)
    gz = sum(s[2] for s in scripts)
    report.add("/ (first load)", "JavaScript, gzipped", f"{gz / 1000:.1f} kB", "≤ 100 kB", gz <= JS_BAR_BYTES)
    report.add("/ (first load)", "JavaScript, as sent", f"{raw / 1000:.1f} kB")
    lines = [f"* JavaScript of the first page ({len(scripts)} script responses of a fresh load of /):"]
    for url, size, zipped, encoding in scripts:
        lines.append(f"    {url}: {size:,} B as sent (Content-Encoding: {encoding}), {zipped:,} B gzipped")
    if all(s[3] in ("none", "identity") for s in scripts):
        lines.append(
            f"    The server sends them uncompressed: {raw / 1000:.1f} kB on the wire "
            "(werkzeug, as `make run`; a gzip/brotli-compressing front would send the gzipped size)."
        )
    # Cross-check: the build's assets; the entry and what index.html preloads are what / loads.
    index_html = (dist / "index.html").read_text()
    referenced = set(re.findall(r'(?:src|href)="/?(assets/[^"]+\.js)"', index_html))
    lines.append("  Cross-check, pwa/dist (each file gzipped, level 9):")
    total_ref = total_all = 0
    for path in sorted((dist / "assets").glob("*.js")):
        data = path.read_bytes()
        zipped = len(gzip.compress(data))
        rel = f"assets/{path.name}"
        mark = "in index.html" if rel in referenced else "not in index.html: a dynamic import, or unused"
        total_all += zipped
        if rel in referenced:
            total_ref += zipped
        lines.append(f"    {rel}: {len(data):,} B, {zipped:,} B gzipped — {mark}")
    lines.append(
        f"    all of dist/assets/*.js: {total_all:,} B gzipped (index.html's own: {total_ref:,} B); "
        f"the page received {gz:,} B"
    )
    sw_files = [dist / "sw.js", dist / "sw-sync.js", *sorted(dist.glob("workbox-*.js"))]
    sw_total = sum(len(gzip.compress(p.read_bytes())) for p in sw_files if p.is_file())
    names = ", ".join(p.name for p in sw_files if p.is_file())
    lines.append(f"    service worker scripts ({names}): {sw_total:,} B gzipped, run in the worker, not the page")
    report.details.extend(lines)


def offline_reload(browser, base_url: str, runs: int, report: Report) -> None:
    """Sign in, let the service worker take control, go offline, reload until Today is usable."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        login(page, base_url)
        page.reload()
        page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=TIMEOUT_MS)
        page.locator("[data-testid=store-item]").first.wait_for()
        context.set_offline(True)
        cdp = context.new_cdp_session(page)
        for rate, label in ((1, "no CPU slowdown"), (4, "4x CPU slowdown")):
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            wall, in_page = [], []
            for i in range(runs + 1):
                start = time.perf_counter()
                page.reload(wait_until="commit")
                at = page.wait_for_function(USABLE_JS, polling="raf", timeout=TIMEOUT_MS).json_value()
                elapsed = (time.perf_counter() - start) * 1000
                if i:  # the first reload is a warm-up
                    wall.append(elapsed)
                    in_page.append(at)
            # The app knows it is offline (the engine's status, from IndexedDB and navigator.onLine).
            page.locator("[data-testid=sync-status][data-state=offline]").wait_for()
            report.add(
                "Today, offline reload",
                f"reload → usable, {label}",
                f"median {statistics.median(wall):.0f} ms, p95 {common.p95(wall):.0f} ms",
                f"no bar (n={runs})",
            )
            report.add(
                "Today, offline reload",
                f"navigation start → usable, {label}",
                f"median {statistics.median(in_page):.0f} ms, p95 {common.p95(in_page):.0f} ms",
                f"no bar (n={runs})",
            )
            log(
                f"  offline reload → usable ({label}): wall median {statistics.median(wall):.0f} ms "
                f"(p95 {common.p95(wall):.0f}); in page median {statistics.median(in_page):.0f} ms"
            )
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        # Usable, not only shown: the search filters the local stores with no network.
        rows = page.locator("[data-testid=store-item]")
        name = rows.first.locator(".title").inner_text()
        page.locator("[data-testid=store-search]").fill(name)
        page.wait_for_function(
            "(name) => [...document.querySelectorAll('[data-testid=store-item] .title')]"
            ".every((el) => el.textContent.includes(name))",
            arg=name,
        )
    finally:
        context.close()


def signed_in_profile(playwright, base_url: str, profile: Path) -> tuple[str, str]:
    """Sign the rep in in a persistent Chromium profile and check in at a store of theirs (the
    visit stays open); returns the store's id and the visit's."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=PLAYWRIGHT_ARGS, headless=True, **PHONE
    )
    try:
        context.set_default_timeout(TIMEOUT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        login(page, base_url)
        page.reload()
        page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=TIMEOUT_MS)
        store_id = page.locator("[data-testid=store-item]").first.get_attribute("data-store-id")
        page.goto(f"{base_url}/#/store/{store_id}")
        page.locator("[data-testid=store-screen]").wait_for()
        page.locator("[data-testid=check-in]").click()
        checkin_anyway = page.locator("[data-testid=checkin-anyway]")
        visit = page.locator("[data-testid=visit-screen]")
        checkin_anyway.or_(visit).first.wait_for()
        if checkin_anyway.is_visible():  # the phone's position is not at that store
            checkin_anyway.click()
        visit.wait_for()
        visit_id = visit.get_attribute("data-visit-id")
        page.locator("[data-testid=sync-status][data-state=synced]").wait_for(timeout=TIMEOUT_MS)
        page.goto(f"{base_url}/#/outbox")
        page.locator("[data-testid=outbox-screen]").wait_for()
        return store_id, visit_id
    finally:
        context.close()


# --- Lighthouse ---------------------------------------------------------------------------


def kill_processes_using(directory: Path) -> None:
    """Stop the processes whose command line names `directory` (Chromiums on our profiles:
    Lighthouse's launcher starts Chrome detached, so killing Lighthouse does not stop it)."""
    needle = str(directory).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        if sig == signal.SIGTERM and pids:
            time.sleep(1)


def run_lighthouse(
    url: str,
    slug: str,
    out_dir: Path,
    profile: Path,
    categories: list[str],
    keep_storage: bool,
    report: Report,
    show: bool = True,
) -> dict:
    flags = f"{CHROME_FLAGS} --user-data-dir={profile}"
    args = [
        str(LIGHTHOUSE_BIN),
        url,
        "--output=json",
        "--output=html",
        f"--output-path={out_dir / slug}",
        f"--only-categories={','.join(categories)}",
        f"--chrome-flags={flags}",
        "--quiet",
    ]
    if keep_storage:
        args.append("--disable-storage-reset")
    # chrome-launcher's own scratch directory goes under ours (removed at the end, whatever happens).
    node_tmp = profile.parent / "node-tmp"
    node_tmp.mkdir(exist_ok=True)
    env = {**os.environ, "CHROME_PATH": CHROMIUM, "TMPDIR": str(node_tmp)}
    shown = [a.replace(str(LIGHTHOUSE_BIN), "bench/lighthouse/node_modules/.bin/lighthouse") for a in args]
    if show:
        report.commands.append(f"CHROME_PATH={CHROMIUM} " + shlex.join(shown))
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        env=env,
        cwd=LIGHTHOUSE_DIR,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=LIGHTHOUSE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Lighthouse on {url} took more than {LIGHTHOUSE_TIMEOUT_S} s") from None
    finally:  # also on Ctrl-C: Lighthouse is in its own session, the terminal's signal missed it
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)  # Lighthouse then stops its Chrome
            try:
                proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
        kill_processes_using(profile)
    if proc.returncode != 0:
        raise RuntimeError(f"Lighthouse on {url} failed ({proc.returncode}):\n{stderr[-3000:]}{stdout[-1000:]}")
    result = json.loads((out_dir / f"{slug}.report.json").read_text())
    scores = ", ".join(f"{cat} {_score(result, cat)}" for cat in categories)
    index = result.get("environment", {}).get("benchmarkIndex")
    log(f"  Lighthouse {slug}: {scores} ({time.perf_counter() - start:.0f} s, benchmarkIndex {index:.0f})")
    return result


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def _item_texts(item: dict) -> list[str]:
    """What a Lighthouse details item names: an element (with axe's explanation), a URL, a message."""
    if item.get("type") == "table":  # nested tables (e.g. the LCP element and its phases)
        return [text for sub in item.get("items") or [] if isinstance(sub, dict) for text in _item_texts(sub)]
    node = item.get("node") if isinstance(item.get("node"), dict) else None
    if node:
        text = _flat(node.get("snippet") or node.get("selector") or "")
        label = _flat(node.get("nodeLabel") or "")
        out = f"{text} ({label[:60]})" if label and label not in text else text
        if isinstance(item.get("score"), float):
            out += f" — shift score {item['score']:.3f}"
        explanation = [ln.strip() for ln in (node.get("explanation") or "").splitlines()[1:] if ln.strip()]
        return [out] + ([f"  {explanation[0]}"] if explanation else [])
    for key in ("description", "source", "url", "label", "phase"):
        value = item.get(key)
        if isinstance(value, dict):
            value = value.get("url") or value.get("value") or json.dumps(value)[:160]
        if value:
            extra = f" ({item['percent']})" if key == "phase" and item.get("percent") else ""
            return [_flat(value) + extra]
    return [json.dumps(item, ensure_ascii=False)[:160]]


def _score(result: dict, cat: str) -> int | None:
    score = result["categories"].get(cat, {}).get("score")
    return None if score is None else round(score * 100)


def summarize(page: str, results: list[dict], categories: list[str], report: Report) -> None:
    """Median score of each category over the runs (PASS/MISS on it); the details (metrics,
    audits scoring under 0.9) from the run with the median performance score."""
    ordered = sorted(results, key=lambda r: _score(r, "performance") or 0)
    median_run = ordered[(len(ordered) - 1) // 2]
    for cat in categories:
        if cat not in median_run["categories"]:
            continue
        scores = [_score(r, cat) for r in results]
        known = [x for x in scores if x is not None]
        median = statistics.median_low(known) if known else None
        value = "error" if median is None else str(median)
        if len(results) > 1:
            value += f" ({min(known)}–{max(known)})" if known and min(known) != max(known) else ""
        bar = BARS.get(cat)
        ok = None if bar is None else (median is not None and median >= bar)
        title = median_run["categories"][cat]["title"]
        if len(results) > 1:
            title += f", median of {len(results)}"
        report.add(page, title, value, f"≥ {bar}" if bar else "", ok)
    shifts = [r["audits"]["cumulative-layout-shift"].get("numericValue") for r in results]
    shifts = [x for x in shifts if x is not None]
    if shifts:
        cls = statistics.median_low(shifts)
        spread = f" ({min(shifts):.3f}–{max(shifts):.3f})" if len(shifts) > 1 and min(shifts) != max(shifts) else ""
        title = "Cumulative layout shift" + (f", median of {len(shifts)}" if len(shifts) > 1 else "")
        report.add(page, title, f"{cls:.3f}{spread}", f"≤ {CLS_BAR}", cls <= CLS_BAR)
    audits = median_run["audits"]
    cats = median_run["categories"]
    metrics = ", ".join(f"{short} {audits[key].get('displayValue', '?')}" for key, short in METRICS if key in audits)
    lines = [f"* {page} (run with the median performance score): {metrics}"]
    for warning in median_run.get("runWarnings") or []:
        lines.append(f"    Lighthouse warning: {_flat(warning)}")
    for cat in categories:
        if cat not in cats:
            continue
        failing = []
        for ref in cats[cat]["auditRefs"]:
            audit = audits.get(ref["id"])
            if not audit or audit.get("score") is None:
                continue
            if audit.get("scoreDisplayMode") in ("notApplicable", "manual", "informative", "error"):
                continue
            if ref.get("group") == "hidden" or audit["score"] >= 0.9:
                continue
            if ref.get("weight", 0) == 0 and cat != "performance":
                continue
            failing.append((ref.get("weight", 0), audit))
        failing.sort(key=lambda f: (-f[0], f[1]["score"]))
        for weight, audit in failing:
            display = f" — {audit['displayValue']}" if audit.get("displayValue") else ""
            lines.append(
                f"    [{cat}] {audit['id']} (score {audit['score']:.2f}, weight {weight}): {audit['title']}{display}"
            )
            if cat == "performance" and weight > 0:
                continue  # a metric: its value says it all
            texts = [t for item in (audit.get("details") or {}).get("items") or [] for t in _item_texts(item)]
            lines.extend(f"        {text[:220]}" for text in texts[:6])
            if len(texts) > 6:
                lines.append(f"        … {len(texts) - 6} more")
    report.details.extend(lines)


def lighthouse(playwright_factory, base_url: str, runs: int, tmp: Path, reports: Path | None, report: Report) -> None:
    version = ensure_lighthouse()
    categories = lighthouse_categories()
    log(f"Lighthouse {version} (categories {', '.join(categories)}; {runs} run(s) a page), Chromium {CHROMIUM}")
    out_dir = reports or (tmp / "reports")
    out_dir.mkdir(parents=True, exist_ok=True)
    signed_in = tmp / "profile-signed-in"
    with playwright_factory() as pw:
        store_id, visit_id = signed_in_profile(pw, base_url, signed_in)
    pages = [
        ("Login /", "login", f"{base_url}/", tmp / "profile-fresh", False),
        ("Today /#/", "today", f"{base_url}/#/", signed_in, True),
        ("Store /#/store/…", "store", f"{base_url}/#/store/{store_id}", signed_in, True),
        ("Visit /#/visit/…", "visit", f"{base_url}/#/visit/{visit_id}", signed_in, True),
        ("Outbox /#/outbox", "outbox", f"{base_url}/#/outbox", signed_in, True),
    ]
    results: dict[str, list[dict]] = {slug: [] for _, slug, *_ in pages}
    for i in range(runs):  # the pages take turns
        for _label, slug, url, profile, keep in pages:
            profile.mkdir(parents=True, exist_ok=True)
            name = slug if runs == 1 else f"{slug}-{i + 1}"
            results[slug].append(run_lighthouse(url, name, out_dir, profile, categories, keep, report, i == 0))
    for label, slug, *_ in pages:
        summarize(label, results[slug], categories, report)
    indexes = [r.get("environment", {}).get("benchmarkIndex") or 0 for rs in results.values() for r in rs]
    report.details.append(
        f"* Lighthouse's benchmarkIndex of this host: {min(indexes):.0f}–{max(indexes):.0f} "
        "(its CPU-throttling calibration assumes about 1000 or more; a busy host scores lower and "
        "its pages' main-thread times, hence TBT, grow)"
    )
    if reports:
        report.details.append(f"* Lighthouse reports (HTML and JSON): {reports}")


# --- main ---------------------------------------------------------------------------------


PARTS = ("lighthouse", "js", "offline")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pwa_quality", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed offline reloads (default 10)")
    parser.add_argument(
        "--lighthouse-runs", type=int, default=3, help="Lighthouse runs a page, the median counts (default 3)"
    )
    parser.add_argument("--reports", type=Path, help="keep the Lighthouse reports (HTML, JSON) in this directory")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated: lighthouse,js,offline")
    args = parser.parse_args(argv)
    chosen = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    version = common.chromium_version()
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    report = Report()
    dist = ensure_pwa_built()
    log(f"{version}; {os.cpu_count()} CPUs; database: {common.database_label()}")
    build = dist_identity(dist)
    load_before = os.getloadavg()
    log(f"pwa/dist: {build}; load average {load_before[0]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="fieldsales-pwa-quality-"))
    try:
        with serve_app() as served:
            log(f"Serving the app at {served.url}")
            if "lighthouse" in chosen:
                lighthouse(sync_playwright, served.url, args.lighthouse_runs, tmp, args.reports, report)
            if "js" in chosen or "offline" in chosen:
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(executable_path=CHROMIUM, args=PLAYWRIGHT_ARGS, headless=True)
                    try:
                        if "js" in chosen:
                            first_page_js(browser, served.url, dist, report)
                        if "offline" in chosen:
                            offline_reload(browser, served.url, args.runs, report)
                    finally:
                        browser.close()
    finally:
        kill_processes_using(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()
    report.details.append(
        f"* Host: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} at the start, {load_after[0]:.2f} "
        "at the end (timings and Lighthouse's performance scores are only comparable on a quiet host)"
    )
    if dist_identity(dist) != build:
        report.details.append(
            f"* WARNING: pwa/dist changed during the run ({build} → {dist_identity(dist)}): "
            "the figures mix two builds; run again"
        )
    report.print(time.perf_counter() - start)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # everything started is stopped, temporary directories removed
        raise SystemExit("interrupted") from None
