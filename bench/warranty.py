"""Warranty cards: registrations through sync, IMEI look-up among 2 million cards, a shipment import.

One scratch database: the organisation of bench/data.py at 10,000 stores, our eight models of the
demo seed (two TACs each, more when the sizes below need them), a clerk at every store that is
not closed, and 2,000,000 warranty cards bulk-loaded (COPY on PostgreSQL, the driver's
executemany on SQLite; the table's secondary indexes dropped during the load and built again
after, foreign keys not checked for these generated rows). Cards follow the stores' sales (a few
stores sell much more than most) and each model's days on sale; 85 % are dual-SIM (a second
IMEI), 0.1 % were voided by HQ. IMEIs are Luhn-valid and distinct: each production batch (TAC)
numbers its units, a dual-SIM unit gets two consecutive serials, and units are dealt out in a
scrambled order. The change log (pull) is not filled for these cards.

* Shipment import: a CSV of 1,000,000 shipped units (columns imei, model, ship_date, region,
  partner) with 0.5 % bad rows of eleven kinds (check digit, length, letters, unknown model, the
  IMEI of another model, unreadable or future date, unknown region or partner, too few columns,
  the same IMEI again with other details), a few exact duplicate lines, and 2,000 units that
  already have a card (90 % of them sold in another region than shipped to: diversion flags; a
  tenth listed by their second IMEI). Uploaded with POST /api/v1/shipment-imports (multipart);
  without REDIS_URL the job runs in-process inside that request, so the request's wall time is
  the import's end to end. Then the same file again: all unchanged or bad, nothing loaded. Peak
  RSS is the process's (the benchmark and the app are one process): freed memory is given back
  and the kernel's peak mark reset (/proc/self/clear_refs) before each upload.
* Registrations through sync: 20 clerks at 20 stores, each pushing 5 batches of 50
  `warranty.register` mutations (a counter coming back online), taking turns, through
  POST /api/v1/sync/push: registrations/s and the push latency. The units were in the import
  (5 % of them shipped to another region: flags raised on registration).
* IMEI look-up: GET /api/v1/warranty-cards?imei=… for HQ, the manager of 广东 and clerks, 200
  each: by first and second IMEI, and misses. The clerks are at the stores of 20 randomly picked
  cards (so busy counters, which look up more, come up more often), each looking up its own
  store's cards; one more clerk is at the store with the most cards.

Before each timed phase the dirty pages are written out (os.sync), so the phase before's writes are
not paid in it. Wall times come with this process's CPU time and the time it waited for a CPU
taken by other processes (/proc/self/schedstat): on a busy machine the wall times stretch.

Sizes can be changed through the environment:
  BENCH_WARRANTY_CARDS    cards bulk-loaded (default 2000000)
  BENCH_IMPORT_ROWS       rows of the shipment CSV (default 1000000)
  BENCH_WARRANTY_CLERKS   clerks pushing registrations (default 20)
  BENCH_WARRANTY_PUSHES   pushes per clerk (default 5)
  BENCH_WARRANTY_BATCH    mutations per push (default 50)
  BENCH_WARRANTY_LOOKUPS  look-ups per kind (default 200)
"""

from __future__ import annotations

import ctypes
import gc
import math
import os
import random
import resource
import statistics
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, text

from backend.auth.models import User
from backend.catalogue.models import Product
from backend.demo.seed import OUR_PRODUCTS
from backend.extensions import db
from backend.org.models import Partner, Region, Territory
from backend.stores.models import Store
from backend.warranty.models import DiversionFlag, ShipmentImportError, WarrantyCard
from backend.warranty.rules import luhn_check_digit

from .common import Caller, analyze, insert_in_chunks, log, note, record, scratch_app, total_of
from .data import build_org, make_user
from .sync import Phone, _iso, push


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


N_CARDS = _env_int("BENCH_WARRANTY_CARDS", 2_000_000)
N_IMPORT = _env_int("BENCH_IMPORT_ROWS", 1_000_000)
N_CLERKS = _env_int("BENCH_WARRANTY_CLERKS", 20)
N_PUSHES = _env_int("BENCH_WARRANTY_PUSHES", 5)
BATCH = _env_int("BENCH_WARRANTY_BATCH", 50)
N_LOOKUPS = _env_int("BENCH_WARRANTY_LOOKUPS", 200)

N_STORES = 10_000
DUAL_SIM = 0.85
VOIDED = 0.001
MATCHED_CARDS = 2_000  # import rows for units that already have a card
MATCHED_DIVERTED = 0.9  # of those, shipped to another region than the card's store
SYNC_DIVERTED = 0.05  # registrations through sync of units shipped to another region
BAD_SHARE = 0.005
EXACT_DUPLICATES = 0.0003
SALES_DAYS = 400  # cards were bought over the last 400 days (or since the launch)
MODEL_WEIGHTS = {  # share of the cards (and shipments) by model
    "XL-P50": 0.02,
    "XL-P30": 0.22,
    "XL-P30PRO": 0.12,
    "XL-F1": 0.03,
    "XL-N10": 0.13,
    "XL-A7": 0.18,
    "XL-A5": 0.20,
    "XL-P20": 0.10,
}
UNITS_PER_TAC = 500_000  # dual-SIM units: serials 2u and 2u + 1

CARD_COLUMNS = (
    "id",
    "imei",
    "imei2",
    "product_id",
    "serial_number",
    "buyer_name",
    "buyer_phone",
    "buyer_address",
    "invoice_number",
    "purchase_date",
    "store_id",
    "registered_by",
    "registered_at",
    "received_at",
    "revision",
    "corrected_at",
    "voided_at",
    "voided_by",
    "void_reason",
)
CARDS_URL = "/api/v1/warranty-cards"
IMPORTS_URL = "/api/v1/shipment-imports"

FAMILY = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 罗 高 梁 郑 谢 宋 唐 许 韩 冯 邓 曹".split()
GIVEN = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 晓东 子涵 浩然 一诺 欣怡".split()


# --- IMEIs ----------------------------------------------------------------------------------


def _luhn_part(value: int, first_position: int) -> int:
    """The Luhn sum of the 3 digits of `value` at positions first_position.. (0 = rightmost of the body)."""
    total = 0
    for i in range(3):
        d = value // 10**i % 10
        if (first_position + i) % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total


_LO = [_luhn_part(x, 0) for x in range(1000)]
_HI = [_luhn_part(x, 3) for x in range(1000)]


class Model:
    """One of our models and its production batches (TACs); deals out distinct units."""

    def __init__(self, index: int, product_id: int, code: str, launch_days: int, tacs: list[str], rng):
        self.index, self.product_id, self.code, self.launch_days, self.tacs = index, product_id, code, launch_days, tacs
        # The Luhn sum of each TAC where it sits in the 14-digit body (positions 13..6 from the right).
        self.tac_sums = []
        for tac in tacs:
            total = 0
            for k, ch in enumerate(tac):
                d = int(ch)
                if (13 - k) % 2 == 0:
                    d = d * 2 - 9 if d > 4 else d * 2
                total += d
            self.tac_sums.append(total)
        self.slots = len(tacs) * UNITS_PER_TAC
        self.step = rng.randrange(self.slots // 3, self.slots // 2) | 1
        while math.gcd(self.step, self.slots) != 1:
            self.step += 2
        self.offset = rng.randrange(self.slots)
        self.dealt = 0

    def imei(self, batch: int, serial: int) -> str:
        check = (10 - (self.tac_sums[batch] + _HI[serial // 1000] + _LO[serial % 1000]) % 10) % 10
        return f"{self.tacs[batch]}{serial:06d}{check}"

    def unit(self) -> tuple[str, str, int]:
        """A unit never dealt before: (IMEI, second IMEI, slot)."""
        if self.dealt >= self.slots:
            raise RuntimeError(f"{self.code}: all {self.slots:,} units dealt; add TACs")
        slot = (self.offset + self.step * self.dealt) % self.slots
        self.dealt += 1
        batch, u = divmod(slot, UNITS_PER_TAC)
        return self.imei(batch, 2 * u), self.imei(batch, 2 * u + 1), slot


def _check_imeis(models: list[Model], rng: random.Random) -> None:
    for _ in range(2000):
        m = rng.choice(models)
        batch, serial = rng.randrange(len(m.tacs)), rng.randrange(10**6)
        body = f"{m.tacs[batch]}{serial:06d}"
        assert m.imei(batch, serial) == body + str(luhn_check_digit(body)), body


# --- the world ------------------------------------------------------------------------------


@dataclass
class SampleCard:
    imei: str
    imei2: str | None
    store_id: int
    model: int
    purchase_days_ago: int


@dataclass
class World:
    models: list[Model]
    region_codes: dict[int, str]  # region id -> code
    partner_codes: list[str]
    store_region: dict[int, int]  # store id -> region id
    clerk_of: dict[int, int]  # store id -> clerk's user id
    sample: list[SampleCard]  # live cards picked at random while loading
    hq: Caller
    manager: Caller
    manager_region: int
    card_count: int = 0
    extra_notes: list[str] = field(default_factory=list)


def _shanghai_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["BUSINESS_TIMEZONE"])).date()


def _products(today: date, rng: random.Random) -> list[Model]:
    """Our models as the demo seeds them (two TACs each: 867 + model number + batch), with more
    batches when the benchmark's sizes need more units."""
    total_units = N_CARDS + N_IMPORT + N_CLERKS * N_PUSHES * BATCH * 2 + 10_000
    out = []
    for index, (code, name, days_ago, price, active) in enumerate(OUR_PRODUCTS):
        needed = MODEL_WEIGHTS[code] * total_units * 1.2
        batches = max(2, math.ceil(needed / UNITS_PER_TAC))
        tacs = [f"867{index + 10:02d}0{batch:02d}" for batch in range(1, batches + 1)]
        product = Product(
            model_code=code,
            name=name,
            launch_date=today - timedelta(days=days_ago),
            list_price=Decimal(price),
            active=active,
            tac_codes=tacs,
            repair_months=24 if code == "XL-F1" else 12,
        )
        db.session.add(product)
        db.session.flush()
        out.append(Model(index, product.id, code, days_ago, tacs, rng))
    db.session.commit()
    return out


def _clerks(org) -> dict[int, int]:
    """A clerk at every store that is not closed; returns store id -> user id."""
    open_stores = sorted(db.session.execute(select(Store.id).where(Store.status != "closed")).scalars())
    rows = [
        {
            "username": f"clerk_{sid}",
            "display_name": f"店员{sid}",
            "password_hash": "!bench",
            "role": "clerk",
            "store_id": sid,
        }
        for sid in open_stores
    ]
    insert_in_chunks(User, rows)
    return dict(db.session.execute(select(User.store_id, User.id).where(User.role == "clerk")).all())


def _card_rows(w: World, n: int, hq_id: int, today: date, rng: random.Random):
    """Yield `n` cards as tuples of CARD_COLUMNS (strings as SQLAlchemy stores them on SQLite,
    which PostgreSQL's COPY reads as well), in increasing id order."""
    stores = sorted(w.clerk_of)
    weights = [rng.lognormvariate(0, 1) for _ in stores]
    cum, acc = [], 0.0
    for wt in weights:
        acc += wt
        cum.append(acc)
    models = w.models
    model_cum, acc = [], 0.0
    for m in models:
        acc += MODEL_WEIGHTS[m.code]
        model_cum.append(acc)
    names = [f + g for f in FAMILY for g in GIVEN]
    cities = "广州 深圳 东莞 佛山 南宁 福州 厦门 海口 长沙 桂林".split()
    roads = "中山 解放 人民 建设 天河 北京 滨江 环市 新华 和平 东风 五一 学院 文化".split()
    addresses = [
        f"{c}市{r}路{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2808)}"
        for c in cities
        for r in roads
        for _ in range(20)
    ]
    day_str = [(today - timedelta(days=d)).isoformat() for d in range(SALES_DAYS + 2)]
    # 00:00 in Shanghai of each day, as naive UTC (the app stores UTC).
    day_start = [
        datetime.combine(today - timedelta(days=d), datetime.min.time()) - timedelta(hours=8)
        for d in range(SALES_DAYS + 2)
    ]
    sample_p = min(1.0, 20_000 / max(n, 1))
    span = 2**128 // max(n, 1)
    clerk_of, sample = w.clerk_of, w.sample
    rnd, bits100 = rng.random, rng.getrandbits
    n_names, n_addresses = len(names), len(addresses)
    version = ~(0xF000 << 64) & ~(0xC << 60)
    version_set = (0x4000 << 64) | (0x8 << 60)
    second, micro = timedelta(seconds=1), timedelta(microseconds=1)
    invoice = 0
    chunk = 20_000
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        store_pick = rng.choices(stores, cum_weights=cum, k=size)
        model_pick = rng.choices(models, cum_weights=model_cum, k=size)
        for j in range(size):
            # Increasing random-looking UUIDs (version 4 bits set): the primary key is appended to.
            bits = ((start + j) * span + bits100(100)) & version | version_set
            store_id, m = store_pick[j], model_pick[j]
            imei, imei2, slot = m.unit()
            if rnd() >= DUAL_SIM:
                imei2 = None
            days_ago = 1 + int(rnd() * min(SALES_DAYS, m.launch_days))
            registered = day_start[days_ago] + second * (36_000 + int(rnd() * 43_200))
            delay = 2 + int(rnd() * 28) if rnd() < 0.9 else 600 + int(rnd() * 35_400)
            received = registered + second * delay + micro * int(rnd() * 1_000_000)
            voided = rnd() < VOIDED
            invoice += 1
            if not voided and rnd() < sample_p:
                sample.append(SampleCard(imei, imei2, store_id, m.index, days_ago))
            yield (
                f"{bits:032x}",
                imei,
                imei2,
                m.product_id,
                f"{m.code[3:]}{slot:09d}",
                names[int(rnd() * n_names)],
                f"1{'3456789'[int(rnd() * 7)]}{int(rnd() * 1e9):09d}",
                addresses[int(rnd() * n_addresses)] if rnd() < 0.7 else "",
                f"{store_id:05d}{invoice:010d}",
                day_str[days_ago],
                store_id,
                clerk_of[store_id],
                registered.isoformat(" ", "microseconds"),
                received.isoformat(" ", "microseconds"),
                2 if voided else 1,
                None,
                (received + timedelta(days=3)).isoformat(" ", "microseconds") if voided else None,
                hq_id if voided else None,
                "登记错误" if voided else "",
            )


def _check_storage_format(row: tuple) -> None:
    """The strings we write are those SQLAlchemy itself would bind for these columns on SQLite."""
    table = WarrantyCard.__table__
    dialect = db.engine.dialect
    values = {
        "id": uuid.UUID(row[0]),
        "purchase_date": date.fromisoformat(row[9]),
        "registered_at": datetime.fromisoformat(row[12]),
    }
    for name, value in values.items():
        proc = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        stored = proc(value) if proc else value
        assert stored == row[CARD_COLUMNS.index(name)], (name, stored)


def _load_cards(rows) -> float:
    """Bulk-load the cards with the table's secondary indexes dropped and foreign keys not checked
    (the rows are made consistent), then build the indexes again. Returns the seconds spent
    building the indexes."""
    table = WarrantyCard.__table__
    with db.engine.begin() as conn:
        for index in table.indexes:
            index.drop(conn)
    raw = db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        cols = ", ".join(CARD_COLUMNS)
        if db.engine.dialect.name == "postgresql":
            import psycopg

            with driver.cursor() as cur:
                # The foreign-key triggers would look up a store, a product and two users per row
                # (skipping them takes a superuser, as the benchmark's postgres user is).
                try:
                    cur.execute("SET session_replication_role = replica")
                    replica = True
                except psycopg.Error:
                    driver.rollback()
                    replica = False
                with cur.copy(f"COPY warranty_cards ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                if replica:
                    cur.execute("RESET session_replication_role")
            driver.commit()
        else:
            driver.commit()  # no transaction open: the PRAGMAs below apply
            cur = driver.cursor()
            sync_before = cur.execute("PRAGMA synchronous").fetchone()[0]
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA foreign_keys=OFF")
            sql = f"INSERT INTO warranty_cards ({cols}) VALUES ({', '.join('?' * len(CARD_COLUMNS))})"
            first = True
            batch: list[tuple] = []
            for row in rows:
                if first:
                    _check_storage_format(row)
                    first = False
                batch.append(row)
                if len(batch) >= 50_000:
                    cur.executemany(sql, batch)
                    driver.commit()
                    batch = []
            if batch:
                cur.executemany(sql, batch)
            driver.commit()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA synchronous={sync_before}")
            cur.close()
    finally:
        raw.close()
    start = time.perf_counter()
    with db.engine.begin() as conn:
        for index in table.indexes:
            index.create(conn)
    return time.perf_counter() - start


def _database_size() -> str:
    if db.engine.dialect.name == "postgresql":
        table, total = db.session.execute(
            text("SELECT pg_total_relation_size('warranty_cards'), pg_database_size(current_database())")
        ).one()
        return f"warranty_cards with its indexes {table / 2**20:,.0f} MB, database {total / 2**20:,.0f} MB"
    db.session.commit()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, page_size = (
            conn.exec_driver_sql("PRAGMA page_count").scalar(),
            conn.exec_driver_sql("PRAGMA page_size").scalar(),
        )
    return f"database file {pages * page_size / 2**20:,.0f} MB"


def build(app, rng: random.Random) -> World:
    with app.app_context():
        start = time.perf_counter()
        today = _shanghai_today()
        org = build_org(N_STORES)
        models = _products(today, rng)
        _check_imeis(models, rng)
        region_codes = {r.id: r.code for r in db.session.scalars(select(Region))}
        partner_codes = sorted(db.session.scalars(select(Partner.code)))
        territory_region = {t.id: t.region_id for t in db.session.scalars(select(Territory))}
        store_region = {
            sid: territory_region[tid] for sid, tid in db.session.execute(select(Store.id, Store.territory_id))
        }
        clerk_of = _clerks(org)
        hq = make_user("hq", "hq")
        gd = next(i for i, c in region_codes.items() if c == "GD")
        manager = make_user("manager_GD", "manager", region_id=gd)
        db.session.commit()
        w = World(
            models=models,
            region_codes=region_codes,
            partner_codes=partner_codes,
            store_region=store_region,
            clerk_of=clerk_of,
            sample=[],
            hq=Caller(app, hq),
            manager=Caller(app, manager),
            manager_region=gd,
        )
        org_s = time.perf_counter() - start
        t = time.perf_counter()
        index_s = _load_cards(_card_rows(w, N_CARDS, hq.id, today, rng))
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        analyze()
        analyze_s = time.perf_counter() - t
        w.card_count = db.session.scalar(select(func.count()).select_from(WarrantyCard))
        size = _database_size()
        note(
            f"warranty: {w.card_count:,} cards at {len(clerk_of):,} stores ({N_STORES:,} stores), "
            f"{sum(len(m.tacs) for m in models)} TACs of {len(models)} models; cards loaded in {load_s:.1f} s "
            f"({w.card_count / load_s:,.0f} cards/s, of which {index_s:.1f} s building the 4 secondary indexes)"
            + (f", VACUUM ANALYZE {analyze_s:.1f} s" if db.engine.dialect.name == "postgresql" else "")
            + f", organisation and users {org_s:.1f} s; {size}"
        )
        return w


# --- the shipment CSV -----------------------------------------------------------------------


@dataclass
class SyncUnit:
    imei: str
    imei2: str | None
    model: int
    diverted: bool


@dataclass
class CsvPlan:
    path: Path
    rows: int = 0
    bad: Counter = field(default_factory=Counter)
    exact_duplicates: int = 0
    flags_expected: int = 0
    sync_units: dict[int, list[SyncUnit]] = field(default_factory=dict)  # store id -> units
    size: int = 0

    @property
    def bad_total(self) -> int:
        return sum(self.bad.values())


BAD_KINDS = (
    "check digit",
    "14 digits",
    "letters",
    "unknown model",
    "another model's IMEI",
    "unreadable date",
    "future date",
    "unknown region",
    "unknown partner",
    "too few columns",
    "same IMEI, other details",
)


def write_csv(w: World, path: Path, n: int, sync_stores: list[int], today: date, rng: random.Random) -> CsvPlan:
    """The logistics export: mostly units not sold yet, with the special rows at random lines."""
    plan = CsvPlan(path)
    models = w.models
    model_cum, acc = [], 0.0
    for m in models:
        acc += MODEL_WEIGHTS[m.code]
        model_cum.append(acc)
    regions = sorted(w.region_codes)
    region_weights = {"GD": 5, "GX": 1.5, "FJ": 1.5, "HI": 0.7, "HN": 1.5}
    region_cum, acc = [], 0.0
    for r in regions:
        acc += region_weights.get(w.region_codes[r], 1)
        region_cum.append(acc)
    partners = w.partner_codes
    ship_day = [(today - timedelta(days=d)).isoformat() for d in range(SALES_DAYS + 40)]

    def other_region(region: int) -> int:
        return rng.choice([r for r in regions if r != region])

    def line(imei: str, model: Model, days_ago: int, region: int, partner: str) -> str:
        return f"{imei},{model.code},{ship_day[days_ago]},{w.region_codes[region]},{partner}\n"

    def partner() -> str:
        return rng.choice(partners) if rng.random() < 0.8 else ""

    special: dict[int, str] = {}
    taken = set()

    def free_line() -> int:
        while True:
            i = rng.randrange(n)
            if i not in taken:
                taken.add(i)
                return i

    # Units that already have a card (registered before logistics' file came).
    matched = rng.sample(w.sample, k=min(MATCHED_CARDS, len(w.sample), n // 50))
    for card in matched:
        model = models[card.model]
        card_region = w.store_region[card.store_id]
        diverted = rng.random() < MATCHED_DIVERTED
        region = other_region(card_region) if diverted else card_region
        imei = card.imei2 if card.imei2 and rng.random() < 0.1 else card.imei
        special[free_line()] = line(imei, model, card.purchase_days_ago + rng.randrange(3, 30), region, partner())
        plan.flags_expected += diverted
    # Units the clerks of the sync benchmark will register.
    for store_id in sync_stores:
        units = plan.sync_units[store_id] = []
        for _ in range(N_PUSHES * BATCH):
            model = rng.choices(models, cum_weights=model_cum)[0]
            imei, imei2, _slot = model.unit()
            dual = rng.random() < DUAL_SIM
            diverted = rng.random() < SYNC_DIVERTED
            store_region = w.store_region[store_id]
            region = other_region(store_region) if diverted else store_region
            units.append(SyncUnit(imei, imei2 if dual else None, model.index, diverted))
            special[free_line()] = line(imei, model, rng.randrange(3, 40), region, partner())
    # Bad rows.
    n_bad = round(n * BAD_SHARE)
    for k in range(n_bad):
        kind = BAD_KINDS[k % len(BAD_KINDS)]
        if kind == "same IMEI, other details":
            continue  # made from an earlier line while writing
        model = rng.choices(models, cum_weights=model_cum)[0]
        imei, _imei2, _slot = model.unit()
        region = rng.choices(regions, cum_weights=region_cum)[0]
        days = rng.randrange(1, 120)
        row = line(imei, model, days, region, partner())
        if kind == "check digit":
            row = line(imei[:-1] + str((int(imei[-1]) + rng.randrange(1, 10)) % 10), model, days, region, "")
        elif kind == "14 digits":
            row = line(imei[:-1], model, days, region, "")
        elif kind == "letters":
            row = line(imei[:7] + "O" + imei[8:], model, days, region, "")
        elif kind == "unknown model":
            row = row.replace(model.code, "XL-Q99", 1)
        elif kind == "another model's IMEI":
            row = row.replace(model.code, models[(model.index + 1) % len(models)].code, 1)
        elif kind == "unreadable date":
            row = row.replace(ship_day[days], f"{ship_day[days][8:10]}.{ship_day[days][5:7]}.{ship_day[days][:4]}")
        elif kind == "future date":
            row = row.replace(ship_day[days], (today + timedelta(days=rng.randrange(2, 30))).isoformat())
        elif kind == "unknown region":
            row = f"{imei},{model.code},{ship_day[days]},XZ,\n"
        elif kind == "unknown partner":
            row = f"{imei},{model.code},{ship_day[days]},{w.region_codes[region]},P99\n"
        elif kind == "too few columns":
            row = f"{imei},{model.code},{ship_day[days]}\n"
        special[free_line()] = row
        plan.bad[kind] += 1
    n_dup_other = sum(1 for k in range(n_bad) if BAD_KINDS[k % len(BAD_KINDS)] == "same IMEI, other details")
    dup_other = set(rng.sample([i for i in range(n // 10, n) if i not in taken], k=n_dup_other))
    exact = set(
        rng.sample(
            [i for i in range(n // 10, n) if i not in taken and i not in dup_other], k=round(n * EXACT_DUPLICATES)
        )
    )

    recent: list[tuple[str, Model, int, int, str]] = []  # earlier normal rows, for duplicates
    out: list[str] = []
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("imei,model,ship_date,region,partner\n")
        for i in range(n):
            if i in special:
                out.append(special[i])
            elif i in dup_other:
                imei, model, days, region, p = rng.choice(recent)
                out.append(line(imei, model, days, other_region(region), p))
                plan.bad["same IMEI, other details"] += 1
            elif i in exact:
                imei, model, days, region, p = rng.choice(recent)
                out.append(line(imei, model, days, region, p))
                plan.exact_duplicates += 1
            else:
                model = rng.choices(models, cum_weights=model_cum)[0]
                imei, _imei2, _slot = model.unit()
                region = rng.choices(regions, cum_weights=region_cum)[0]
                row = (imei, model, rng.randrange(1, 120), region, partner())
                if len(recent) < 20_000:
                    recent.append(row)
                elif rng.random() < 0.01:
                    recent[rng.randrange(len(recent))] = row
                out.append(line(*row))
            if len(out) >= 50_000:
                f.write("".join(out))
                out = []
        f.write("".join(out))
    plan.rows = n
    plan.size = path.stat().st_size
    return plan


# --- measurements ---------------------------------------------------------------------------


def _rss_mb(field_name: str) -> float | None:
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith(field_name + ":"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Give back freed memory, then reset the kernel's peak-RSS mark (VmHWM) to the current RSS."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _queue_wait_s() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (other processes' load)."""
    try:
        return int(Path("/proc/self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class Clocks:
    """Wall time, this process's CPU time and its wait for a CPU over a block."""

    def __enter__(self):
        os.sync()  # the writes of the phase before are not flushed on this phase's time
        self.t, self.c, self.q = time.perf_counter(), time.process_time(), _queue_wait_s()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t
        self.cpu = time.process_time() - self.c
        self.queued = _queue_wait_s() - self.q

    def describe(self) -> str:
        return f"CPU of this process {self.cpu:.1f} s, waiting for a CPU {self.queued:.1f} s"


@dataclass
class ImportRun:
    clocks: Clocks
    job_s: float
    body: dict
    rss_before: float | None
    peak: float | None


def upload(caller: Caller, path: Path) -> ImportRun:
    reset = _reset_peak()
    rss_before = _rss_mb("VmRSS")
    with Clocks() as clocks, open(path, "rb") as fh:
        response = caller.client.post(
            IMPORTS_URL,
            headers=caller.headers,
            data={"file": (fh, path.name)},
            content_type="multipart/form-data",
        )
    if response.status_code != 202:
        raise RuntimeError(f"upload -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
    body = caller.get(f"{IMPORTS_URL}/{response.get_json()['id']}").get_json()
    if body["status"] != "done":
        raise RuntimeError(f"import {body['id']}: {body['status']} {body['error']}")
    started = datetime.fromisoformat(body["started_at"].replace("Z", "+00:00"))
    finished = datetime.fromisoformat(body["finished_at"].replace("Z", "+00:00"))
    peak = _rss_mb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return ImportRun(clocks, (finished - started).total_seconds(), body, rss_before, peak)


def _describe_import(run: ImportRun) -> str:
    b, c = run.body, run.clocks
    rss = ""
    if run.peak is not None and run.rss_before is not None:
        rss = f"; peak RSS {run.peak:,.0f} MB ({run.rss_before:,.0f} MB before the upload)"
    return (
        f"{b['rows_read'] / c.wall:,.0f} rows/s end to end ({c.wall:.1f} s; the job {run.job_s:.1f} s; "
        f"{c.describe()}): read {b['rows_read']:,}, loaded {b['rows_loaded']:,}, "
        f"unchanged {b['rows_unchanged']:,}, bad {b['rows_bad']:,}, flags raised {b['flags_raised']:,}" + rss
    )


def _registration(phone: Phone, unit: SyncUnit, model: Model, at: datetime, rng: random.Random) -> dict:
    local = at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Asia/Shanghai"))
    number = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    r = rng.random()
    if r < 0.6:
        phone_number = number
    elif r < 0.8:
        phone_number = f"{number[:3]} {number[3:7]} {number[7:]}"
    elif r < 0.95:
        phone_number = f"+86 {number[:3]}-{number[3:7]}-{number[7:]}"
    else:
        phone_number = f"+44 7700 9{rng.randrange(10**5):05d}"
    args = {
        "id": str(uuid.uuid4()),
        "imei": unit.imei,
        "product_id": model.product_id,
        "serial_number": f"{model.code[3:]}-{unit.imei[8:14]}",
        "buyer_name": rng.choice(FAMILY) + rng.choice(GIVEN),
        "buyer_phone": phone_number,
        "buyer_address": f"广州市天河路{rng.randint(1, 999)}号" if rng.random() < 0.7 else "",
        "invoice_number": f"FP{rng.randrange(10**10):010d}",
        "purchase_date": local.date().isoformat(),
        "registered_at": _iso(at),
    }
    if unit.imei2:
        args["imei2"] = unit.imei2
    return phone.mutation("warranty.register", args)


def sync_registrations(app, w: World, plan: CsvPlan, rng: random.Random) -> None:
    stores = list(plan.sync_units)
    warm_store, stores = stores[0], stores[1:]
    with app.app_context():
        callers = {sid: Caller(app, db.session.get(User, w.clerk_of[sid])) for sid in [warm_store, *stores]}
    phones = {sid: Phone(f"clerk{sid}", {}) for sid in callers}
    # Each counter's queue: registrations over the last hours, oldest first, 5 minutes apart.
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    queues = {}
    for sid in callers:
        units = plan.sync_units[sid][: BATCH if sid == warm_store else N_PUSHES * BATCH]
        queues[sid] = [
            _registration(phones[sid], u, w.models[u.model], now - timedelta(minutes=5 * (len(units) - k) + 1), rng)
            for k, u in enumerate(units)
        ]
    push(callers[warm_store], phones[warm_store], queues[warm_store])
    samples = []
    with Clocks() as clocks:
        for p in range(N_PUSHES):
            for sid in stores:
                t = time.perf_counter()
                push(callers[sid], phones[sid], queues[sid][p * BATCH : (p + 1) * BATCH])
                samples.append((time.perf_counter() - t) * 1000)
    n = len(samples) * BATCH
    with app.app_context():
        ids = [uuid.UUID(m["args"]["id"]) for sid in stores for m in queues[sid]]
        flags = sum(
            db.session.scalar(
                select(func.count()).select_from(DiversionFlag).where(DiversionFlag.card_id.in_(ids[i : i + 1000]))
            )
            for i in range(0, len(ids), 1000)
        )
    expected = sum(u.diverted for sid in stores for u in plan.sync_units[sid])
    record(
        f"warranty: sync push of {BATCH} warranty.register",
        samples,
        f"{len(stores)} clerks at {len(stores)} stores × {N_PUSHES} pushes, taking turns: {n:,} registrations "
        f"in {clocks.wall:.1f} s = {n / clocks.wall:,.0f} registrations/s, all applied ({clocks.describe()}); "
        f"{flags} diversion flags raised ({expected} expected)",
    )


def _lookup(caller: Caller, imei: str, expect: int) -> float:
    t = time.perf_counter()
    response = caller.get(f"{CARDS_URL}?imei={imei}")
    ms = (time.perf_counter() - t) * 1000
    got = total_of(response)
    if got != expect:
        raise RuntimeError(f"look-up of {imei}: {got} cards, expected {expect}")
    return ms


def lookups(app, w: World, rng: random.Random) -> None:
    """Look-ups by HQ, a manager and clerks, taking turns. The clerks are at the stores of
    randomly picked cards (so busy counters, which look up more, come up more often), each
    looking up its own store's cards; one more clerk is at the store with the most cards."""
    live = w.sample  # live cards only
    hits = rng.sample(live, k=min(N_LOOKUPS, len(live)))
    dual = [c for c in live if c.imei2]
    dual = rng.sample(dual, k=min(N_LOOKUPS, len(dual)))
    regional = [c for c in live if w.store_region[c.store_id] == w.manager_region]
    regional = rng.sample(regional, k=min(N_LOOKUPS, len(regional)))
    misses = [rng.choice(w.models).unit()[0] for _ in range(N_LOOKUPS)]  # valid IMEIs of unsold units
    with app.app_context():
        clerk_stores: list[int] = []
        for c in rng.sample(live, k=len(live)):
            if c.store_id not in clerk_stores:
                clerk_stores.append(c.store_id)
            if len(clerk_stores) == 20:
                break
        sizes = dict(
            db.session.execute(
                select(WarrantyCard.store_id, func.count())
                .where(WarrantyCard.store_id.in_(clerk_stores))
                .group_by(WarrantyCard.store_id)
            ).all()
        )
        busiest, busiest_size = db.session.execute(
            select(WarrantyCard.store_id, func.count()).group_by(WarrantyCard.store_id).order_by(func.count().desc())
        ).first()

        def own_cards(sid: int, k: int) -> list[tuple[Caller, str, str | None]]:
            caller = Caller(app, db.session.get(User, w.clerk_of[sid]))
            cards = db.session.execute(
                select(WarrantyCard.imei, WarrantyCard.imei2).where(
                    WarrantyCard.store_id == sid, WarrantyCard.voided_at.is_(None)
                )
            ).all()
            return [(caller, imei, imei2) for imei, imei2 in rng.sample(cards, k=min(len(cards), k))]

        own = [x for sid in clerk_stores for x in own_cards(sid, math.ceil(N_LOOKUPS / len(clerk_stores)))]
        own = own[:N_LOOKUPS]
        top = own_cards(busiest, N_LOOKUPS)
    store_of = {uid: sid for sid, uid in w.clerk_of.items()}
    others = [
        (caller, rng.choice([c for c in hits if c.store_id != store_of[caller.user_id]]).imei) for caller, _i, _j in own
    ]
    runs = {
        "HQ, by IMEI": [(w.hq, c.imei, 1) for c in hits],
        "HQ, by second IMEI": [(w.hq, c.imei2, 1) for c in dual],
        "HQ, no such card": [(w.hq, imei, 0) for imei in misses],
        "manager (region), by IMEI": [(w.manager, c.imei, 1) for c in regional],
        "clerk, own store's card": [(caller, imei, 1) for caller, imei, _ in own],
        "clerk, own card by second IMEI": [(caller, imei2, 1) for caller, _imei, imei2 in own if imei2],
        "clerk, another store's card": [(caller, imei, 0) for caller, imei in others],
        "clerk, no such card": [(own[k % len(own)][0], imei, 0) for k, imei in enumerate(misses)],
        f"clerk at the busiest store ({busiest_size:,} cards)": [(caller, imei, 1) for caller, imei, _ in top],
    }
    samples: dict[str, list[float]] = {name: [] for name in runs}
    os.sync()
    for calls in runs.values():  # one untimed look-up of each kind first
        _lookup(*calls[-1])
    for k in range(max(len(calls) for calls in runs.values())):  # taking turns
        for name, calls in runs.items():
            if k < len(calls):
                samples[name].append(_lookup(*calls[k]))
    counts = sorted(sizes.values())
    for name, ms in samples.items():
        extra = ""
        if name.startswith("clerk,"):
            median = statistics.median(counts)
            extra = f"; clerks at {len(counts)} stores with {counts[0]:,}–{counts[-1]:,} cards (median {median:,.0f})"
        record(f"warranty: IMEI look-up, {name}", ms, f"{w.card_count:,} cards" + extra)


def _error_kinds(import_id: int) -> str:
    reasons: Counter = Counter()
    rows = db.session.execute(select(ShipmentImportError.reason).where(ShipmentImportError.import_id == import_id))
    for (reason,) in rows:
        if reason.startswith("Expected"):
            kind = "columns"
        elif reason.startswith("IMEI "):
            kind = "IMEI again, other details"
        else:
            kind = reason.split(":")[0]
        reasons[kind] += 1
    return ", ".join(f"{k} {v:,}" for k, v in reasons.most_common())


def run() -> None:
    log(
        f"warranty: {N_CARDS:,} cards, a {N_IMPORT:,}-row shipment import, "
        f"{N_CLERKS} clerks × {N_PUSHES} pushes of {BATCH} registrations"
    )
    rng = random.Random(2026)
    start_wait = _queue_wait_s()
    with scratch_app("warranty") as app, tempfile.TemporaryDirectory(prefix="fieldsales-bench-csv-") as tmp:
        w = build(app, rng)

        # -- the CSV
        with app.app_context():
            today = _shanghai_today()
        sync_stores = rng.sample(sorted(w.clerk_of), k=N_CLERKS + 1)
        t = time.perf_counter()
        plan = write_csv(w, Path(tmp) / "shipments.csv", N_IMPORT, sync_stores, today, rng)
        log(
            f"  CSV: {plan.rows:,} rows, {plan.size / 2**20:,.1f} MB in {time.perf_counter() - t:.1f} s; "
            f"{plan.bad_total:,} bad ({', '.join(f'{k} {v}' for k, v in plan.bad.items())}), "
            f"{plan.exact_duplicates} exact duplicates, {plan.flags_expected} flags expected"
        )

        # -- the import, then the same file again
        first = upload(w.hq, plan.path)
        log(f"  import: {_describe_import(first)}")
        with app.app_context():
            kinds = _error_kinds(first.body["id"])
        second = upload(w.hq, plan.path)
        log(f"  re-import: {_describe_import(second)}")

        # -- registrations through sync (units of the import), then look-ups
        sync_registrations(app, w, plan, rng)
        lookups(app, w, rng)

        # The imports are recorded last: the table follows the order of the module docstring.
        expected = (
            f"expected loaded {plan.rows - plan.bad_total - plan.exact_duplicates:,}, "
            f"unchanged {plan.exact_duplicates}, bad {plan.bad_total:,}, flags {plan.flags_expected:,}"
        )
        record(
            f"warranty: shipment import, {plan.rows:,} rows ({plan.size / 2**20:,.0f} MB)",
            [first.clocks.wall * 1000],
            f"{_describe_import(first)} ({expected}); bad rows kept by kind: {kinds}",
        )
        record(
            "warranty: the same file again",
            [second.clocks.wall * 1000],
            _describe_import(second)
            + (f"; duplicate_of import {second.body['duplicate_of']}" if second.body["duplicate_of"] else ""),
        )
        if second.body["rows_loaded"] != 0:
            note(f"warranty: the re-import loaded {second.body['rows_loaded']:,} rows (expected none)")
    waited = _queue_wait_s() - start_wait
    if waited > 5:
        note(
            f"warranty: this process waited {waited:,.0f} s in all for a CPU taken by other processes: "
            "wall times are longer than on an idle machine (CPU times are given beside them)"
        )
