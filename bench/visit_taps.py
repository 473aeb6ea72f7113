"""Taps and time of a rep's visits, counted on the real PWA (issue 15: the visit in 20 taps).

    python -m bench.visit_taps [--dist pwa/dist] [--shots DIR]

A scripted rep drives the built app (pwa/dist, or --dist) in Debian's Chromium through Playwright
on a phone: 393×851 CSS pixels, touch, zh-CN, offline after signing in and the first sync, the
phone's position set at the store of the visit. The server is the real app on a scratch database
(SQLite in a temporary directory, or BENCH_DATABASE_URL) with a week of the demo seed at 0.3
scale (`seed_demo(seed=1, days=7, scale=0.3)`, the rep `rep.gz` of 广州天河片区), in a thread of
this process.

Counting: every click, check and photo pick (set_input_files: the camera tile) is one tap, and
typing counts one key per character typed (a Chinese character too, though a pinyin keyboard
needs more) and the keyboard's Enter. Tapping into a field before typing is a tap. Clearing a
prefilled field before typing a new value is not counted (part of that field's tap); neither is
scrolling. The timing model is 400 ms per tap and 80 ms per key: the rep waits that long after
each tap and between keys, so "elapsed" is the real time of the flow — the model's part plus
the app's own work (saving to IndexedDB, rendering, waiting for what the rep waits for) — and
"modelled" is taps × 0.4 s + keys × 0.08 s.

Each step takes the fastest path a rep would take through the UI the build has: with issue 15's
UI, the "here" card's check-in on Today, "all compliant" in the checklist (then the "no" and its
reason), the entry grids (tap a row's field, type, the keyboard's Enter records it and moves to
the next row — no tap when that is the next row wanted; "same as last time" for unchanged
prices); with the UI before it, the store list and the store's check-in, one answer per item, a
chip + quantity + save per material, brand + model + price + save per price. So the script
measures either (`--dist` a build of an older commit; `git archive <commit>` and `npx vite build`
there measures that commit alone, without the working tree's edits).

Flows (the issue's), in this order, each starting on Today:
- routine: at store A: open the store and check in; the checklist all fine with one photo; 2
  promo materials counted; 3 competitor prices and 1 own price, new values typed; check out.
- full: at store B: the routine, plus one checklist item answered "no" with a reason (an item
  whose on_fail asks for one, 价签 VI-PRICE in the demo; where the UI has no reason field, in the
  check's notes), a new-store intel report with a photo, and a visit note.
- repeat: at store A again: the routine with every price the same as last time (the routine's).
  "Same as last time" records every grid row with a last price at the store, so the server may
  hold more prices than the four: each must then be the rep's last price of that model there.
Between flows the rep travels: the page is reloaded at the next store (offline, from the
service worker), as a page keeps a position fix up to 30 s old.
Store A and B are the rep's stores with the most recent prices and promo stock; the prices taken
are the three competitor models and the own model last observed there, the materials the two
last counted there.

After each flow the phone goes online, the outbox drains, and the script checks that the server
holds exactly that visit's entries (visit checked out, display check answers and photo, stock
movements, price observations, intel report and photo, notes) and no refused entry — so a flow
that did not record what it claims fails loudly instead of counting.

Limits (the issue): routine ≤ 20 taps, full ≤ 30, repeat ≤ 12. The table says which are met;
the script exits 0 either way (a benchmark), and prints where each flow's taps go, step by step.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from . import common

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMIUM_ARGS = common.CHROMIUM, common.CHROMIUM_ARGS
PHONE = {
    "viewport": {"width": 393, "height": 851},
    "device_scale_factor": 2.75,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "permissions": ["geolocation"],
    "service_workers": "allow",
}
REP, PASSWORD = "rep.gz", "demo1234"
TAP_MS = 400
KEY_MS = 80
LIMITS = {"routine": 20, "full": 30, "repeat": 12}
TIMEOUT_MS = 20_000
SYNC_TIMEOUT_S = 60

log = common.log


# --- the counting rep -----------------------------------------------------------------------


@dataclass
class Tally:
    taps: int = 0
    keys: int = 0
    elapsed_s: float = 0.0


@dataclass
class Flow:
    name: str
    steps: dict[str, Tally] = field(default_factory=dict)
    elapsed_s: float = 0.0
    checked: str = ""

    @property
    def taps(self) -> int:
        return sum(s.taps for s in self.steps.values())

    @property
    def keys(self) -> int:
        return sum(s.keys for s in self.steps.values())

    @property
    def modelled_s(self) -> float:
        return (self.taps * TAP_MS + self.keys * KEY_MS) / 1000


class Rep:
    """Drives the page as a rep's fingers: every tap and key is counted against the current step
    and followed by the model's time (400 ms a tap, 80 ms a key)."""

    def __init__(self, page, flow: Flow):
        self.page = page
        self.flow = flow
        self.current = Tally()  # taps outside a step are not expected; they would not be shown

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        before = self.current
        self.current = self.flow.steps.setdefault(name, Tally())
        start = time.perf_counter()
        try:
            yield
        finally:
            self.current.elapsed_s += time.perf_counter() - start
            self.current = before

    def _tapped(self) -> None:
        self.current.taps += 1
        self.page.wait_for_timeout(TAP_MS)

    def tap(self, locator) -> None:
        locator.click()
        self._tapped()

    def check(self, locator) -> None:
        locator.check()
        self._tapped()

    def photo(self, input_locator, path: str) -> None:
        """Tap the camera tile and take a photo (one tap: the camera app's shutter is not ours)."""
        input_locator.set_input_files(path)
        self._tapped()

    def type(self, locator, text: str, tap: bool = True) -> None:
        """Tap into the field (unless it has the focus already), then type `text` key by key."""
        if tap:
            self.tap(locator)
        locator.fill("")  # a prefilled value goes (not counted: see the module's docstring)
        locator.press_sequentially(text, delay=KEY_MS)
        self.current.keys += len(text)


# --- the world: server, data, expectations --------------------------------------------------


@dataclass
class PriceEntry:
    label: str  # the brand chip ("本品牌" for our own) and model chip
    brand: str | None  # competitor brand name; None: our own
    model: str
    product_id: int | None
    competitor_model_id: int | None
    last: Decimal  # the last shelf price seen at the store
    new: Decimal  # what the rep records


@dataclass
class Material:
    id: int
    name: str
    quantity: int


@dataclass
class StoreCase:
    id: int
    name: str
    latitude: float
    longitude: float
    prices: list[PriceEntry]
    materials: list[Material]


@dataclass
class World:
    url: str
    app: object
    rep_id: int
    checklist: list[dict]  # {id, code, label_zh, answer_type, target}
    store_a: StoreCase
    store_b: StoreCase
    routine_done: bool = False


def clear_the_day(rep) -> None:
    """The demo's day so far (backend/demo/day_so_far.py) leaves the rep checked in at a store, and
    its tasks wait at some of the rep's stores: the flows measure a visit started with no visit
    open, at stores with no task (a task adds its own step). So today's open visit is checked out
    and the open tasks of the rep's territory are cancelled before the phone syncs."""
    from sqlalchemy import select

    from backend.core.timeutil import utcnow
    from backend.extensions import db
    from backend.stores.models import Store
    from backend.tasks.models import Task, TaskStatus
    from backend.visits.models import Visit

    now = utcnow()
    for visit in db.session.scalars(select(Visit).where(Visit.rep_id == rep.id, Visit.checked_out_at.is_(None))):
        visit.checked_out_at = now
    stores = select(Store.id).where(Store.territory_id == rep.territory_id)
    for task in db.session.scalars(select(Task).where(Task.store_id.in_(stores), Task.status == TaskStatus.OPEN)):
        task.status = TaskStatus.CANCELLED
        task.cancelled_at = now
    db.session.commit()


def pick_stores(rep) -> tuple[StoreCase, StoreCase]:
    """The rep's two stores with the most competitor models, own models and materials on record."""
    from sqlalchemy import select

    from backend.catalogue.models import CompetitorBrand, CompetitorModel, Product, PromoMaterial
    from backend.extensions import db
    from backend.intel.models import PriceObservation
    from backend.stock.models import StockMovement
    from backend.stores.models import Store

    stores = db.session.scalars(
        select(Store).where(Store.territory_id == rep.territory_id, Store.status == "active").order_by(Store.id)
    ).all()
    scored = []
    for s in stores:
        obs = db.session.scalars(
            select(PriceObservation)
            .where(PriceObservation.store_id == s.id)
            .order_by(PriceObservation.observed_at.desc(), PriceObservation.id)
        ).all()
        latest: dict[tuple, PriceObservation] = {}
        for o in obs:
            latest.setdefault((o.product_id, o.competitor_model_id), o)
        competitors = [o for o in latest.values() if o.competitor_model_id is not None]
        own = [o for o in latest.values() if o.product_id is not None]
        movements = db.session.scalars(
            select(StockMovement)
            .where(StockMovement.store_id == s.id)
            .order_by(StockMovement.recorded_at.desc(), StockMovement.id)
        ).all()
        materials = list(dict.fromkeys(m.material_id for m in movements))
        if len(competitors) >= 3 and own and len(materials) >= 2:
            scored.append((len(materials), len(latest), s, competitors[:3] + own[:1], materials[:2]))
    if len(scored) < 2:
        raise SystemExit(
            f"The demo seed gave the rep {len(scored)} store(s) with 3 competitor prices, 1 own and 2 materials"
        )
    scored.sort(key=lambda x: (-x[0], -x[1], x[2].id))
    cases = []
    for i, (_, _, s, observations, material_ids) in enumerate(scored[:2]):
        prices = []
        for o in observations:
            if o.product_id is not None:
                product = db.session.get(Product, o.product_id)
                brand, model = None, product.name
            else:
                cm = db.session.get(CompetitorModel, o.competitor_model_id)
                brand, model = db.session.get(CompetitorBrand, cm.brand_id).name, cm.name
            last = Decimal(o.shelf_price)
            prices.append(
                PriceEntry(
                    label=f"{brand or '本品牌'} {model}",
                    brand=brand,
                    model=model,
                    product_id=o.product_id,
                    competitor_model_id=o.competitor_model_id,
                    last=last,
                    new=last - (100 if i == 0 else 50),
                )
            )
        materials = []
        for j, mid in enumerate(material_ids):
            material = db.session.get(PromoMaterial, mid)
            materials.append(Material(mid, material.name, 12 + j * 3 + i))
        cases.append(StoreCase(s.id, s.name, s.latitude, s.longitude, prices, materials))
    return cases[0], cases[1]


@contextlib.contextmanager
def serve(dist: Path) -> Iterator[World]:
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from backend.auth.models import User
    from backend.catalogue.models import ChecklistItem
    from backend.demo.seed import seed_demo
    from backend.extensions import db

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with common.scratch_app("visit-taps") as app:
        app.config["PWA_DIST"] = str(dist)
        with app.app_context():
            counts = seed_demo(seed=1, echo=lambda message: None, days=7, scale=0.3)
            rep = db.session.scalar(select(User).where(User.username == REP))
            clear_the_day(rep)
            items = db.session.scalars(
                select(ChecklistItem).where(ChecklistItem.active.is_(True)).order_by(ChecklistItem.sort_order)
            ).all()
            checklist = [
                {
                    "id": i.id,
                    "code": i.code,
                    "label_zh": i.label_zh,
                    "answer_type": i.answer_type,
                    "target": i.target,
                    **{k: getattr(i, k) for k in ("on_fail",) if hasattr(i, k)},
                }
                for i in items
            ]
            store_a, store_b = pick_stores(rep)
            rep_id = rep.id
        log("Demo seed (seed=1, days=7, scale=0.3): " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="visit-taps-server", daemon=True)
        thread.start()
        try:
            yield World(f"http://127.0.0.1:{server.server_port}", app, rep_id, checklist, store_a, store_b)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


def make_jpeg(path: Path) -> str:
    """A shelf photo as a phone camera gives it (a JPEG with some structure)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 900), (225, 228, 232))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1200, 100):
        draw.rectangle([i + 10, 200, i + 80, 700], fill=(20 + i % 200, 90, 160))
    image.save(path, "JPEG", quality=85)
    return str(path)


# --- the flows ---------------------------------------------------------------------------
#
# Each step takes the fastest path a rep would take through the UI in front of it: the entry
# grids, the here-card and "all compliant" when the build has them (issue 15's UI), else the
# forms of the UI before it (brand → model → price → save, one chip and save per material).


def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def present(locator) -> bool:
    return locator.count() > 0


def focused(locator) -> bool:
    return bool(locator.evaluate("el => el === document.activeElement"))


def open_step(rep: Rep, testid: str):
    step = rep.page.locator(f"[data-testid={testid}]")
    if step.get_attribute("open") is None:
        rep.tap(step.locator("summary"))
    return step


def here_check_in(page, store: StoreCase):
    return page.locator(f"[data-testid=here-card][data-store-id='{store.id}'] [data-testid=here-check-in]")


def wait_for_today(page, store: StoreCase) -> None:
    """Today has settled (not counted): the store shows where the rep would tap it."""
    page.locator("[data-testid=store-search]").wait_for()
    if present(page.locator("[data-testid=here-card], [data-testid=here-none]")):
        here_check_in(page, store).wait_for()
    else:
        page.locator(f"[data-testid=store-item][data-store-id='{store.id}']").first.wait_for()


def open_and_check_in(rep: Rep, store: StoreCase) -> str:
    page = rep.page
    with rep.step("open store + check in"):
        here = here_check_in(page, store)
        if present(here):  # the store the phone stands in, first on Today
            rep.tap(here)
        else:
            rep.tap(page.locator(f"[data-testid=store-item][data-store-id='{store.id}']").first)
            rep.tap(page.locator("[data-testid=check-in]"))
        screen = page.locator("[data-testid=visit-screen]")
        screen.wait_for()
    return screen.get_attribute("data-visit-id")


def checklist(rep: Rep, world: World, photo: str, no_item: dict | None = None, reason: str = "") -> None:
    with rep.step("checklist"):
        display = open_step(rep, "step-display")
        all_ok = display.locator("[data-testid=checklist-all-ok]")
        one_tap = present(all_ok)
        if one_tap:
            rep.tap(all_ok)
        for item in world.checklist:
            row = display.locator(f"[data-testid=checklist-item][data-item-code='{item['code']}']")
            if no_item is not None and item["id"] == no_item["id"]:
                rep.tap(row.get_by_role("button", name="否", exact=True))
            elif one_tap:
                continue
            elif item["answer_type"] == "number":
                rep.type(row.locator("input"), str(int(item["target"] or 1)))
            else:
                rep.tap(row.get_by_role("button", name="是", exact=True))
        if reason:
            row = display.locator(f"[data-testid=checklist-item][data-item-code='{no_item['code']}']")
            asked = row.locator("[data-testid=checklist-reason]")
            if present(asked):  # the item asks for its reason
                rep.type(asked, reason)
            else:  # no place for it: the check's notes
                rep.type(display.locator("[data-testid=display-form] textarea"), reason)
        rep.photo(display.locator("[data-testid=display-photo-input]"), photo)
        expect()(display.locator("img[data-photo-id]")).to_have_count(1)
        rep.tap(display.locator("[data-testid=save-display]"))
        expect()(display.locator("[data-testid=saved-entry]")).to_have_count(1)


def type_in_row(rep: Rep, field, text: str) -> None:
    """A grid row: tap its field (unless Enter on the row above put the cursor there already),
    type, then the keyboard's Enter ("next": records the row and moves on; one key)."""
    rep.type(field, text, tap=not focused(field))
    field.press("Enter")
    rep.current.keys += 1
    rep.page.wait_for_timeout(KEY_MS)


def materials(rep: Rep, store: StoreCase) -> None:
    with rep.step("materials"):
        stock = open_step(rep, "step-stock")
        grid = stock.locator("[data-testid=stock-grid]")
        if present(grid):
            for m in store.materials:
                row = grid.locator(f"[data-testid=stock-row][data-material-id='{m.id}']")
                if not present(row):  # not in the store's ledger: add it
                    rep.tap(grid.locator("[data-testid=stock-add-material]"))
                    rep.tap(grid.locator("[data-testid=stock-materials] button").filter(has_text=m.name).first)
                type_in_row(rep, row.locator("[data-testid=stock-input]"), str(m.quantity))
                expect()(row).to_have_attribute("data-recorded", "true")
            return
        for n, m in enumerate(store.materials, start=1):
            rep.tap(stock.locator("[data-testid=stock-form] button.chip").filter(has_text=m.name).first)
            rep.type(stock.locator("[data-testid=stock-quantity]"), str(m.quantity))
            rep.tap(stock.locator("[data-testid=save-stock]"))
            expect()(stock.locator("[data-testid=saved-entry]")).to_have_count(n)


def model_key(p: PriceEntry) -> str:
    return f"p:{p.product_id}" if p.product_id is not None else f"c:{p.competitor_model_id}"


def prices(rep: Rep, store: StoreCase, same_as_last: bool) -> None:
    with rep.step("prices"):
        step = open_step(rep, "step-prices")
        grid = step.locator("[data-testid=price-grid]")
        if present(grid):
            expect()(grid).to_have_attribute("data-loaded", "true")
            rows = {
                p.label: grid.locator(f"[data-testid=price-row][data-model-key='{model_key(p)}']") for p in store.prices
            }
            if same_as_last:
                for p in store.prices:  # the rep sees last time's price in each row
                    expect()(rows[p.label].locator("[data-testid=price-input]")).to_have_attribute(
                        "placeholder", money(p.last)
                    )
                rep.tap(grid.locator("[data-testid=price-same-as-last]"))
            else:
                for p in store.prices:
                    if not present(rows[p.label]):  # not in the grid: brand → model
                        rep.tap(grid.locator("[data-testid=price-add-model]"))
                        rep.tap(grid.locator("[data-testid=price-brands] button").filter(has_text=p.brand).first)
                        rep.tap(grid.get_by_role("button", name=p.model, exact=True))
                    type_in_row(rep, rows[p.label].locator("[data-testid=price-input]"), money(p.new))
            for p in store.prices:
                expect()(rows[p.label]).to_have_attribute("data-recorded", "true")
            return
        for n, p in enumerate(store.prices, start=1):
            brand = "本品牌" if p.brand is None else p.brand
            rep.tap(step.locator("[data-testid=price-brands] button").filter(has_text=brand).first)
            rep.tap(step.get_by_role("button", name=p.model, exact=True))
            shelf = step.locator("[data-testid=price-shelf]")
            if same_as_last:
                expect()(shelf).to_have_value(money(p.last))
            else:
                rep.type(shelf, money(p.new))
            rep.tap(step.locator("[data-testid=save-price]"))
            expect()(step.locator("[data-testid=saved-entry]")).to_have_count(n)


def intel(rep: Rep, name: str, photo: str) -> None:
    with rep.step("new-store intel"):
        step = open_step(rep, "step-intel")
        rep.type(step.locator("[data-testid=intel-name]"), name)
        rep.photo(step.locator("[data-testid=intel-photo-input]"), photo)
        expect()(step.locator("img[data-photo-id]")).to_have_count(1)
        rep.tap(step.locator("[data-testid=save-intel]"))
        expect()(step.locator("[data-testid=saved-entry]")).to_have_count(1)


def check_out(rep: Rep, note: str = "") -> None:
    page = rep.page
    if note:
        with rep.step("note"):
            rep.type(page.locator("[data-testid=visit-notes]"), note)
    with rep.step("check out"):
        rep.tap(page.locator("[data-testid=check-out]"))
        page.locator("[data-testid=visit-finished]").wait_for()


def money(value: Decimal) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}"


# --- expectations, checked on the server -----------------------------------------------------


@dataclass
class Expected:
    store: StoreCase
    answers: dict[int, object]
    reason: str  # the failed item's reason: with its answer, or in the check's notes
    prices: dict[tuple, Decimal]
    stock: list[tuple[int, str, int]]
    notes: str = ""
    intel_name: str = ""
    # "Same as last time" may record more rows than the flow's prices: each must be the store's
    # last price of its model (the rep's own, as on the phone).
    also_last: dict[tuple, Decimal] = field(default_factory=dict)


def last_prices(world: World, store: StoreCase) -> dict[tuple, Decimal]:
    """The rep's latest shelf price per model at the store, on the server."""
    from sqlalchemy import select

    from backend.extensions import db
    from backend.intel.models import PriceObservation

    out: dict[tuple, Decimal] = {}
    with world.app.app_context():
        rows = db.session.scalars(
            select(PriceObservation)
            .where(PriceObservation.store_id == store.id, PriceObservation.rep_id == world.rep_id)
            .order_by(PriceObservation.observed_at.desc())
        )
        for o in rows:
            out.setdefault((o.product_id, o.competitor_model_id), Decimal(o.shelf_price))
    return out


def intel_ids(world: World) -> set:
    from sqlalchemy import select

    from backend.extensions import db
    from backend.intel.models import IntelReport

    with world.app.app_context():
        return set(db.session.scalars(select(IntelReport.id).where(IntelReport.rep_id == world.rep_id)))


def check_server(world: World, visit_id: str, want: Expected, known_intel: set) -> str:
    """The server holds exactly this visit's entries (waits for the photos' own lane)."""
    import uuid

    from sqlalchemy import func, select

    from backend.extensions import db
    from backend.intel.models import IntelReport, PriceObservation
    from backend.photos.models import PhotoLink
    from backend.stock.models import StockMovement
    from backend.sync.models import SyncRejection
    from backend.visits.models import DisplayCheck, Visit

    vid = uuid.UUID(visit_id)
    deadline = time.monotonic() + SYNC_TIMEOUT_S
    while True:
        with world.app.app_context():
            visit = db.session.get(Visit, vid)
            checks = db.session.scalars(select(DisplayCheck).where(DisplayCheck.visit_id == vid)).all()
            reports = [
                r
                for r in db.session.scalars(select(IntelReport).where(IntelReport.rep_id == world.rep_id))
                if r.id not in known_intel
            ]
            links = {
                r.id: db.session.scalar(select(func.count()).select_from(PhotoLink).where(PhotoLink.record_id == r.id))
                for r in [*checks, *reports]
            }
            movements = db.session.scalars(
                select(StockMovement).where(StockMovement.visit_id == vid).order_by(StockMovement.recorded_at)
            ).all()
            observations = db.session.scalars(select(PriceObservation).where(PriceObservation.visit_id == vid)).all()
            rejected = db.session.scalar(select(func.count()).select_from(SyncRejection))
            problems = []
            if visit is None or visit.checked_out_at is None:
                problems.append("visit missing or not checked out")
            else:
                if visit.store_id != want.store.id:
                    problems.append(f"visit at store {visit.store_id}, not {want.store.id}")
                if visit.off_site:
                    problems.append("visit off site")
                if (visit.notes or "") != want.notes:
                    problems.append(f"visit notes {visit.notes!r}")
            if len(checks) != 1:
                problems.append(f"{len(checks)} display checks")
            else:
                got = {a["item_id"]: a["value"] for a in checks[0].answers}
                if got != want.answers:
                    problems.append(f"answers {got} != {want.answers}")
                reasons = [a.get("reason") for a in checks[0].answers if a.get("reason")]
                if want.reason and want.reason not in [*reasons, checks[0].notes or ""]:
                    problems.append(
                        f"no reason {want.reason!r}: answers {checks[0].answers}, notes {checks[0].notes!r}"
                    )
                if links[checks[0].id] != 1:
                    problems.append(f"display check photos {links[checks[0].id]}")
            got_stock = sorted((m.material_id, m.kind, m.quantity) for m in movements)
            if got_stock != sorted(want.stock):
                problems.append(f"stock {got_stock} != {sorted(want.stock)}")
            got_prices = {(o.product_id, o.competitor_model_id): Decimal(o.shelf_price) for o in observations}
            required = {k: got_prices.get(k) for k in want.prices}
            extra = {k: v for k, v in got_prices.items() if k not in want.prices}
            if len(observations) != len(got_prices) or required != want.prices:
                problems.append(f"prices {got_prices} != {want.prices}")
            elif any(want.also_last.get(k) != v for k, v in extra.items()):
                problems.append(f"prices other than the flow's and not last time's: {extra}")
            if want.intel_name:
                if [(r.kind, r.name) for r in reports] != [("new_store", want.intel_name)]:
                    problems.append(f"intel {[(r.kind, r.name) for r in reports]}")
                elif links[reports[0].id] != 1:
                    problems.append(f"intel photos {links[reports[0].id]}")
            elif reports:
                problems.append(f"{len(reports)} unexpected intel reports")
            if rejected:
                problems.append(f"{rejected} refused entries")
        if not problems:
            parts = [
                "visit",
                f"check ({len(want.answers)} answers, 1 photo)",
                f"{len(movements)} stock",
                f"{len(want.prices)} prices" + (f" (+{len(extra)} other rows, same as last time)" if extra else ""),
            ]
            if want.intel_name:
                parts.append("intel + photo")
            if want.notes:
                parts.append("note")
            return "server has " + ", ".join(parts)
        if time.monotonic() > deadline:
            raise SystemExit("The server does not hold what the flow recorded: " + "; ".join(problems))
        time.sleep(0.5)


def go_online_and_drain(page) -> None:
    page.context.set_offline(False)
    status = page.locator("[data-testid=sync-status]")
    expect()(status).to_have_attribute("data-pending", "0", timeout=SYNC_TIMEOUT_S * 1000)
    expect()(status).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT_S * 1000)


def go_offline(page) -> None:
    page.context.set_offline(True)
    expect()(page.locator("[data-testid=sync-status]")).to_have_attribute("data-state", "offline")


# --- running ----------------------------------------------------------------------------------


def run_flow(
    page, world: World, name: str, store: StoreCase, body: Callable[[Rep], tuple[str, Expected]], shots: Path | None
) -> Flow:
    flow = Flow(name)
    context = page.context
    context.set_geolocation({"latitude": store.latitude, "longitude": store.longitude, "accuracy": 12.0})
    try:
        # The rep travels to the store and opens the app there: a fresh page (offline, from the
        # service worker), so the position is the store's (a page keeps a fix up to 30 s old).
        page.goto(world.url + "/#/")
        page.reload()
        wait_for_today(page, store)
        known_intel = intel_ids(world)
        rep = Rep(page, flow)
        start = time.perf_counter()
        visit_id, want = body(rep)
        flow.elapsed_s = time.perf_counter() - start
    except Exception:
        if shots:  # where the rep got stuck
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{name}-stuck.png"), full_page=True)
            log(f"  {name}: stuck; screenshot {shots / f'{name}-stuck.png'}")
        raise
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{name}-end.png"), full_page=True)
    go_online_and_drain(page)
    flow.checked = check_server(world, visit_id, want, known_intel)
    go_offline(page)
    log(f"  {name}: {flow.taps} taps, {flow.keys} keys, {flow.elapsed_s:.1f} s; {flow.checked}")
    return flow


def all_fine(world: World, no_item: dict | None = None) -> dict[int, object]:
    out: dict[int, object] = {}
    for item in world.checklist:
        if item["answer_type"] == "number":
            out[item["id"]] = int(item["target"] or 1)
        else:
            out[item["id"]] = not (no_item is not None and item["id"] == no_item["id"])
    return out


def routine_body(world: World, photo: str):
    store = world.store_a

    def body(rep: Rep):
        visit_id = open_and_check_in(rep, store)
        checklist(rep, world, photo)
        materials(rep, store)
        prices(rep, store, same_as_last=False)
        check_out(rep)
        return visit_id, Expected(
            store,
            all_fine(world),
            "",
            {(p.product_id, p.competitor_model_id): p.new for p in store.prices},
            [(m.id, "counted", m.quantity) for m in store.materials],
        )

    return body


def full_body(world: World, photo: str):
    store = world.store_b
    # A yes/no item whose "no" asks for a reason (issue 15's on_fail), else 价签 (VI-PRICE).
    yes_no = [i for i in world.checklist if i["answer_type"] != "number"]
    no_item = next(
        (i for i in yes_no if i.get("on_fail") == "reason"),
        next((i for i in yes_no if i["code"] == "VI-PRICE"), yes_no[0]),
    )
    reason = "价签未更新"
    note = "店长要新海报"
    intel_name = "荣耀 体育西新店"

    def body(rep: Rep):
        visit_id = open_and_check_in(rep, store)
        checklist(rep, world, photo, no_item=no_item, reason=reason)
        materials(rep, store)
        prices(rep, store, same_as_last=False)
        intel(rep, intel_name, photo)
        check_out(rep, note)
        return visit_id, Expected(
            store,
            all_fine(world, no_item),
            reason,
            {(p.product_id, p.competitor_model_id): p.new for p in store.prices},
            [(m.id, "counted", m.quantity) for m in store.materials],
            notes=note,
            intel_name=intel_name,
        )

    return body


def repeat_body(world: World, photo: str):
    store = world.store_a
    # Last time's prices are the routine visit's (when it ran): the rep finds them unchanged.
    if world.routine_done:
        for p in store.prices:
            p.last = p.new
    also_last = last_prices(world, store)

    def body(rep: Rep):
        visit_id = open_and_check_in(rep, store)
        checklist(rep, world, photo)
        materials(rep, store)
        prices(rep, store, same_as_last=True)
        check_out(rep)
        return visit_id, Expected(
            store,
            all_fine(world),
            "",
            {(p.product_id, p.competitor_model_id): p.last for p in store.prices},
            [(m.id, "counted", m.quantity) for m in store.materials],
            also_last=also_last,
        )

    return body


def print_report(flows: list[Flow]) -> None:
    headers = ("flow", "taps", "keys", "modelled s", "elapsed s", "limit", "taps/limit", "result")
    rows = []
    for f in flows:
        limit = LIMITS[f.name]
        rows.append(
            (
                f.name,
                str(f.taps),
                str(f.keys),
                f"{f.modelled_s:.1f}",
                f"{f.elapsed_s:.1f}",
                f"≤ {limit}",
                f"{f.taps / limit:.2f}",
                "MET" if f.taps <= limit else "NOT MET",
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells):
        padded = (c.ljust(w) if i in (0, 7) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "  ".join(padded).rstrip()

    log("")
    log("Taps of a rep's visits (393×851 phone, zh-CN, offline; 400 ms a tap, 80 ms a key)")
    log(line(headers))
    log(line(["-" * w for w in widths]))
    for r in rows:
        log(line(r))
    missed = [f for f in flows if f.taps > LIMITS[f.name]]
    if missed:
        log("Limits NOT met: " + ", ".join(f"{f.name} {f.taps} taps > {LIMITS[f.name]}" for f in missed))
    else:
        log("Every limit met")
    log("")
    log("Where the taps go, step by step (taps, keys, elapsed seconds):")
    for f in flows:
        parts = "; ".join(f"{name} {t.taps} t, {t.keys} k, {t.elapsed_s:.1f} s" for name, t in f.steps.items())
        log(f"  {f.name} ({f.taps} taps): {parts}")
    for f in flows:
        log(f"  {f.name}: {f.checked}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.visit_taps", description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "pwa" / "dist", help="the built PWA (default pwa/dist)")
    parser.add_argument("--shots", type=Path, help="save a screenshot at the end of each flow here")
    parser.add_argument("--only", default="routine,full,repeat", help="comma-separated flows (repeat needs routine)")
    args = parser.parse_args(argv)
    chosen = [x.strip() for x in args.only.split(",") if x.strip()]
    version = common.chromium_version()
    dist = args.dist.resolve()
    if not (dist / "index.html").is_file():
        log(f"{dist} is missing: npx vite build")
        subprocess.run(["npx", "vite", "build"], cwd=ROOT / "pwa", check=True)
    from playwright.sync_api import sync_playwright

    expect().set_options(timeout=TIMEOUT_MS)
    start = time.perf_counter()
    names = sorted(p.name for p in (dist / "assets").glob("index-*.js"))
    log(f"{version}; database: {common.database_label()}; PWA: {dist} ({', '.join(names)})")
    load_before = os.getloadavg()[0]
    flows: list[Flow] = []
    with tempfile.TemporaryDirectory(prefix="fieldsales-visit-taps-") as tmp, serve(dist) as world:
        photo = make_jpeg(Path(tmp) / "shelf.jpg")
        log(
            f"Store A (routine, repeat): {world.store_a.name} #{world.store_a.id}; "
            f"store B (full): {world.store_b.name} #{world.store_b.id}"
        )
        for s in (world.store_a, world.store_b):
            log(
                f"  #{s.id}: prices "
                + ", ".join(f"{p.label} {money(p.last)}→{money(p.new)}" for p in s.prices)
                + "; materials "
                + ", ".join(f"{m.name} ×{m.quantity}" for m in s.materials)
            )
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                context = browser.new_context(
                    **PHONE,
                    geolocation={"latitude": world.store_a.latitude, "longitude": world.store_a.longitude},
                )
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                page.goto(world.url + "/")
                page.locator("input[name=username]").fill(REP)
                page.locator("input[name=password]").fill(PASSWORD)
                page.locator("[data-testid=login-form] button[type=submit]").click()
                page.locator("[data-testid=sync-status][data-state=synced]").wait_for()
                page.wait_for_function(
                    "async () => (await navigator.serviceWorker.ready).active?.state === 'activated'"
                )
                go_offline(page)
                bodies = {"routine": routine_body, "full": full_body, "repeat": repeat_body}
                stores = {"routine": world.store_a, "full": world.store_b, "repeat": world.store_a}
                for name in ("routine", "full", "repeat"):
                    if name in chosen:
                        flows.append(run_flow(page, world, name, stores[name], bodies[name](world, photo), args.shots))
                        world.routine_done = world.routine_done or name == "routine"
            finally:
                browser.close()
    print_report(flows)
    log(
        f"Host: {os.cpu_count()} CPUs, load average {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the "
        "end (taps and keys do not depend on it; elapsed seconds do)"
    )
    log(f"Total run time: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
