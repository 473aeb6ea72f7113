"""The channel at scale (issue 16): every channel screen from the rollups, under 300 ms p95.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/fieldsales_bench \\
        python -m bench.channel_scale [--scale 1.0] [--requests 30] [--keep | --reuse NAME]
            [--parts screens,exports,imports] [--import-rows N] [--import-days D] [--import-rounds N]
            [--vacuum-every S] [--drop-channel-indexes]

PostgreSQL only (the scale target is a production one). Building the world takes minutes at
--scale 1: `--keep` leaves its database in place, and `--reuse NAME` runs the timings on it
again (migrated to the head first, so an index added since applies; not rebuilt: each run's
imports add their units, with TACs of a new generation). Drop it when done. At --scale 1: 50,000 stores (bench/data.py's
organisation), our eight models of the demo seed, 10,000,000 shipped units over the last year
(HQ's sell-in, 80 % to a named partner) and 5,000,000 warranty cards on them (the older a unit,
the likelier it sold; sold 3–48 days after it shipped, at an active store of the region it was
shipped to), plus the field's sell-out records of the last eight weeks: three shop stock counts
per active store (2 % of them 0: stock-outs), declared sell-out at a third of the stores and
competitor estimates (units or a band). --scale multiplies every count (stores at least 2,000).

Everything is generated set-based in SQL (generate_series, random() after setseed, so the same
scale gives the same units; the cards' UUIDs come from gen_random_uuid()), with the tables'
secondary indexes dropped during the load and foreign keys not checked (the rows are made
consistent). IMEIs are valid: each production batch (TAC) of a model numbers its units and the
Luhn check digit is computed in SQL. Cards have no second IMEI and none is voided.

Then, each timed:
* `rebuild()` (backend/channel/rollup.py) builds the rollups from the raw rows; `raise_all()`
  (backend/channel/alerts.py) raises the alerts the data shows.
* Every channel endpoint through the Flask test client (HQ, and the manager of 广东 for the
  region-scoped ones), `--requests` times each with filters taken in turn (regions, models,
  partners, cohorts, stores): median and p95 against the 300 ms limit. The CSV exports are timed
  whole (all the rows streamed), apart: they are downloads, not screens.
* A shipment import of 1,000,000 rows (× scale, at least 10,000) through the real import job
  (POST /api/v1/shipment-imports; without REDIS_URL it runs inside the request), three times,
  each on a file of as many new units: as on the build before this issue (the channel's hooks
  switched off: the rollup's and the alerts' statement listeners removed; with
  `--drop-channel-indexes`, the shipments' cohort index the channel added dropped, and built
  again after; each batch's units inserted as before, an executemany of one row of
  parameters each, which the loader still does on SQLite; the units' parents checked by four
  foreign keys, a trigger call a row, as before migration d16v00000001: `parent_checks`; and
  the file read in turn with the loading, IMPORT_READ_AHEAD off, as the old loader's one thread
  did); with the hooks off (the
  batch inserted as one statement over arrays, `warranty.imports._insert_arrays`, the next
  batch read in a thread while one loads); and with the hooks on (each batch's cards read in
  its transaction, its units appended to channel_shipped_pending and folded into the rollups
  every CHANNEL_FOLD_UNITS units and at the import's end): rows/s of each, the last two as
  ratios to the first ("at least today's rate with the rollups maintained") and the third to
  the second (what the hooks cost), and a check that the cohorts gained exactly the units
  loaded. The files' ship dates are drawn over the
  last year (a backfill: each unit lands anywhere in the cohort index), or over the last
  `--import-days` (a routine file of recent shipments: the index grows at each cohort's end).
  Each import starts after a CHECKPOINT; `--import-rounds N` repeats the three in turn and
  prints each round's ratios and their medians (runs vary by a fifth from one to the next).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from backend.catalogue.models import CompetitorBrand, CompetitorModel, Product
from backend.demo.seed import COMPETITORS, OUR_PRODUCTS
from backend.extensions import db
from backend.org.models import Partner
from backend.warranty.models import SET_WISE_PARENTS, ImportStatus, Shipment, ShipmentImport, WarrantyCard
from backend.warranty.rules import luhn_check_digit

from . import common
from .common import Caller, analyze, log, note, record, scratch_app
from .data import build_org, make_user
from .scale import MODEL_WEIGHTS, make_readers, time_screens

LIMIT_MS = 300.0
SHIPMENTS = 10_000_000
CARDS = 5_000_000
STORES = 50_000
IMPORT_ROWS = 1_000_000
IMPORT_FILES = 3  # imports timed: as before the channel, hooks off, rollups maintained
DAYS = 365
REGION_WEIGHTS = {"GD": 5, "GX": 1.5, "FJ": 1.5, "HI": 0.7, "HN": 1.5}
BLOCKS = 100  # production batches the shipped units are dealt into (one TAC each)


def _luhn_sum_of_tac(tac: str) -> int:
    """The Luhn sum of a TAC's 8 digits where they sit in the 14-digit body (every second
    digit doubled, counting from the body's right end)."""
    total = 0
    for k, ch in enumerate(tac):
        d = int(ch)
        if k % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total


def _serial_luhn_sql(v: str) -> str:
    """SQL: the Luhn sum of the 6-digit serial `v` (an integer expression) at positions 9–14."""

    def digit(power: int) -> str:
        return f"(({v} / {10**power}) % 10)"

    def doubled(power: int) -> str:
        d = digit(power)
        return f"(2 * {d} - CASE WHEN {d} > 4 THEN 9 ELSE 0 END)"

    return " + ".join([digit(5), doubled(4), digit(3), doubled(2), digit(1), doubled(0)])


class World:
    def __init__(self):
        self.today: date = date.today()
        self.products: dict[str, int] = {}  # model code -> product id
        self.active: list[int] = []  # ids of the models on sale
        self.region_ids: dict[str, int] = {}
        self.partner_codes: dict[int, str] = {}
        self.import_tacs: dict[str, list[str]] = {}
        self.hq: Caller | None = None
        self.manager: Caller | None = None
        self.manager_region = 0
        self.shipments = 0
        self.cards = 0
        self.scale = 1.0


# --- the data ---------------------------------------------------------------------------------


def _products(w: World, n_units: int, n_import: int) -> list[tuple[int, str, int, int]]:
    """Our models with their TACs (the bulk batches "35<model><batch>", the import's as
    bench/warranty.py's); returns the blocks (block number, TAC, product id, days on sale)."""
    blocks = []
    per_model = {code: max(1, round(weight * BLOCKS)) for code, weight in MODEL_WEIGHTS.items()}
    for index, (code, name, days_ago, price, active) in enumerate(OUR_PRODUCTS):
        bulk = [f"35{index}{b:05d}" for b in range(per_model[code])]
        needed = MODEL_WEIGHTS[code] * n_import * 2 * 1.3  # two IMEI serials per unit there
        imports = [f"867{index + 10:02d}0{b:02d}" for b in range(1, max(2, math.ceil(needed / 10**6)) + 1)]
        product = Product(
            model_code=code,
            name=name,
            launch_date=w.today - timedelta(days=days_ago),
            list_price=Decimal(price),
            active=active,
            tac_codes=imports + bulk,
            repair_months=12,
        )
        db.session.add(product)
        db.session.flush()
        w.products[code] = product.id
        if active:
            w.active.append(product.id)
        w.import_tacs[code] = imports
        blocks += [(product.id, tac, min(DAYS, days_ago)) for tac in bulk]
    random.Random(7).shuffle(blocks)
    return [(g, tac, pid, days) for g, (pid, tac, days) in enumerate(blocks)]


def _competitors(w: World) -> list[int]:
    brands = {name: CompetitorBrand(name=name) for name in COMPETITORS}
    db.session.add_all(brands.values())
    db.session.flush()
    models = [
        CompetitorModel(
            brand_id=brands[brand].id,
            name=name,
            list_price=Decimal(price),
            launch_date=w.today - timedelta(days=days_ago),
        )
        for brand, rows in COMPETITORS.items()
        for name, days_ago, price in rows
    ]
    db.session.add_all(models)
    db.session.flush()
    return [m.id for m in models]


def _without_indexes(table, load) -> float:
    """Run `load()` with the table's secondary indexes dropped; returns the seconds spent
    building them again."""
    with db.engine.begin() as conn:
        for index in table.indexes:
            index.drop(conn)
    load()
    start = time.perf_counter()
    with db.engine.begin() as conn:
        for index in table.indexes:
            index.create(conn)
    return time.perf_counter() - start


def _replica(conn) -> None:
    """Skip the foreign-key triggers for these generated rows (the benchmark's user is the
    superuser postgres, as in bench/warranty.py)."""
    conn.exec_driver_sql("SET session_replication_role = replica")


def _load_shipments(w: World, blocks, n: int, import_id: int) -> None:
    block = max(1, math.ceil(n / len(blocks)))
    regions = sorted(w.region_ids.items())
    total = sum(REGION_WEIGHTS.get(code, 1) for code, _ in regions)
    cases, acc = [], 0.0
    for code, rid in regions[:-1]:
        acc += REGION_WEIGHTS.get(code, 1) / total
        cases.append(f"WHEN r_region < {acc:.6f} THEN {rid}")
    region_sql = f"CASE {' '.join(cases)} ELSE {regions[-1][1]} END"
    partners = sorted(w.partner_codes)
    partner_array = "ARRAY[" + ",".join(map(str, partners)) + "]::int[]"
    sql = f"""
        INSERT INTO shipments (imei, product_id, ship_date, region_id, partner_id, import_id, line)
        SELECT b.tac || lpad(s.v::text, 6, '0')
                 || ((10 - (b.tac_sum + {_serial_luhn_sql("s.v")}) % 10) % 10)::text,
               b.product_id,
               CAST(:today AS date) - floor(s.r_day * b.days)::int,
               {region_sql},
               CASE WHEN s.r_partner < 0.8 THEN ({partner_array})[1 + floor(s.r_pick * {len(partners)})::int] END,
               :import_id,
               s.k + 2
        FROM (
            SELECT k, k % {block} AS v, k / {block} AS g,
                   random() AS r_day, random() AS r_region, random() AS r_partner, random() AS r_pick
            FROM generate_series(0, {n - 1}) AS k
        ) AS s
        JOIN bench_blocks AS b ON b.g = s.g
    """
    with db.engine.begin() as conn:
        _replica(conn)
        conn.exec_driver_sql("CREATE TEMP TABLE bench_blocks (g int, tac text, tac_sum int, product_id int, days int)")
        conn.execute(
            text("INSERT INTO bench_blocks VALUES (:g, :tac, :tac_sum, :product_id, :days)"),
            [
                {"g": g, "tac": tac, "tac_sum": _luhn_sum_of_tac(tac), "product_id": pid, "days": days}
                for g, tac, pid, days in blocks
            ],
        )
        conn.exec_driver_sql("SELECT setseed(0.2026)")
        conn.execute(text(sql), {"today": w.today, "import_id": import_id})


def _sold_share(blocks, share: float) -> float:
    """The factor k such that P(sold) = min(0.95, k · age / 200) sells `share` of the units
    (ages uniform over each batch's days on sale, all batches the same size)."""

    def expected(k: float) -> float:
        total = 0.0
        for _g, _tac, _pid, days in blocks:
            total += sum(min(0.95, k * age / 200) for age in range(4, max(days, 5))) / max(days, 1)
        return total / len(blocks)

    lo, hi = 0.0, 50.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if expected(mid) < share else (lo, mid)
    return (lo + hi) / 2


def _load_cards(w: World, blocks, share: float, clerk_id: int) -> None:
    k = _sold_share(blocks, share)
    sql = """
        INSERT INTO warranty_cards (id, imei, imei2, product_id, serial_number, buyer_name, buyer_phone,
                                    buyer_address, invoice_number, purchase_date, store_id, registered_by,
                                    registered_at, received_at, revision, void_reason)
        SELECT gen_random_uuid(), p.imei, NULL, p.product_id, 'SN' || p.imei, '王伟', '13800138000', '',
               'INV' || p.imei, p.purchase_date, rs.store_id, :clerk,
               p.purchase_date + time '04:00', p.purchase_date + time '04:01', 1, ''
        FROM (
            SELECT s.imei, s.product_id, s.region_id,
                   LEAST(s.ship_date + 3 + floor(random() * 45)::int, CAST(:today AS date) - 1) AS purchase_date,
                   floor(random() * rc.n)::int AS idx
            FROM shipments AS s JOIN bench_region_counts AS rc ON rc.region_id = s.region_id
            WHERE s.ship_date <= CAST(:today AS date) - 4
              AND random() < LEAST(0.95, :k * (CAST(:today AS date) - s.ship_date) / 200.0)
        ) AS p
        JOIN bench_region_stores AS rs ON rs.region_id = p.region_id AND rs.idx = p.idx
    """
    with db.engine.begin() as conn:
        _replica(conn)
        conn.exec_driver_sql("""
            CREATE TEMP TABLE bench_region_stores AS
            SELECT t.region_id, s.id AS store_id,
                   row_number() OVER (PARTITION BY t.region_id ORDER BY s.id) - 1 AS idx
            FROM stores AS s JOIN territories AS t ON t.id = s.territory_id
            WHERE s.status = 'active'
        """)
        conn.exec_driver_sql(
            "CREATE TEMP TABLE bench_region_counts AS SELECT region_id, count(*) AS n "
            "FROM bench_region_stores GROUP BY region_id"
        )
        conn.exec_driver_sql("SELECT setseed(0.42)")
        conn.execute(text(sql), {"today": w.today, "k": k, "clerk": clerk_id})
        conn.exec_driver_sql("INSERT INTO warranty_imeis (imei, card_id) SELECT imei, id FROM warranty_cards")


def _load_field_records(w: World, rep_id: int, competitor_ids: list[int]) -> dict[str, int]:
    """The field's records of the last eight weeks, at the active stores."""
    ours = w.active
    ours_array = "ARRAY[" + ",".join(map(str, ours)) + "]::int[]"
    rivals_array = "ARRAY[" + ",".join(map(str, competitor_ids)) + "]::int[]"
    monday = w.today - timedelta(days=w.today.weekday())
    params = {"rep": rep_id, "today": w.today, "monday": monday}
    with db.engine.begin() as conn:
        _replica(conn)
        conn.exec_driver_sql("SELECT setseed(0.7)")
        conn.execute(
            text(f"""
            INSERT INTO shop_stock_counts (id, rep_id, received_at, store_id, visit_id, product_id, on_hand,
                                           demo_unit, counted_at)
            SELECT gen_random_uuid(), :rep, t.at, t.store_id, NULL, t.product_id,
                   CASE WHEN t.r_zero < 0.02 THEN 0 ELSE 1 + floor(t.r_units * 12)::int END, t.r_demo < 0.6, t.at
            FROM (
                SELECT s.id AS store_id, ({ours_array})[1 + floor(random() * {len(ours)})::int] AS product_id,
                       CAST(:today AS timestamp) - random() * interval '56 days' AS at,
                       random() AS r_zero, random() AS r_units, random() AS r_demo
                FROM stores AS s CROSS JOIN generate_series(1, 3)
                WHERE s.status = 'active'
            ) AS t
            """),
            params,
        )
        conn.execute(
            text(f"""
            INSERT INTO sellout_reports (id, rep_id, received_at, store_id, visit_id, product_id, units,
                                         period_start, period_end, source, reported_at)
            SELECT gen_random_uuid(), :rep, t.period_end + time '10:00', t.store_id, NULL, t.product_id,
                   floor(t.r_units * 15)::int, t.period_end - 6, t.period_end, 'promoter', t.period_end + time '10:00'
            FROM (
                SELECT s.id AS store_id, ({ours_array})[1 + floor(random() * {len(ours)})::int] AS product_id,
                       CAST(:today AS date) - 1 - 7 * w AS period_end, random() AS r_units
                FROM stores AS s CROSS JOIN generate_series(0, 7) AS w
                WHERE s.status = 'active' AND s.id % 3 = 0
            ) AS t
            """),
            params,
        )
        conn.execute(
            text(f"""
            INSERT INTO competitor_sellout (id, rep_id, received_at, store_id, visit_id, competitor_model_id,
                                            week_start, units, band, source, reported_at)
            SELECT gen_random_uuid(), :rep, t.week_start + 8, t.store_id, NULL, t.model_id, t.week_start,
                   CASE WHEN t.r_band >= 0.4 THEN floor(t.r_units * 30)::int END,
                   CASE WHEN t.r_band < 0.4 THEN (ARRAY['0','1-5','6-20','21-50','50+'])[1 + floor(t.r_units * 5)::int]
                   END,
                   'competitor_promoter', t.week_start + 8
            FROM (
                SELECT s.id AS store_id, ({rivals_array})[1 + floor(random() * {len(competitor_ids)})::int] AS model_id,
                       CAST(:monday AS date) - 7 * (1 + w) AS week_start, random() AS r_band, random() AS r_units
                FROM stores AS s CROSS JOIN generate_series(0, 7) AS w
                WHERE s.status = 'active' AND s.id % 3 = 1
            ) AS t
            """),
            params,
        )
        counts = {
            table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
            for table in ("shop_stock_counts", "sellout_reports", "competitor_sellout")
        }
    return counts


def build(app, scale: float, n_import: int) -> World:
    w = World()
    n_stores = max(2_000, round(STORES * scale))
    n_ship = max(10_000, round(SHIPMENTS * scale))
    n_cards = round(CARDS * scale)
    with app.app_context():
        from backend.channel.figures import business_today

        w.today = business_today()
        t = time.perf_counter()
        org = build_org(n_stores)
        w.region_ids = dict(org.region_ids)
        w.partner_codes = {p.id: p.code for p in db.session.scalars(select(Partner))}
        blocks = _products(w, n_ship, IMPORT_FILES * n_import)
        competitor_ids = _competitors(w)
        reps = []
        readers = make_readers(
            org, after_manager=lambda: reps.append(make_user("rep_GZ", "rep", territory_id=org.centre_territory("GZ")))
        )
        hq, manager, clerk, (rep,) = readers.hq, readers.manager, readers.clerk, reps
        w.manager_region = readers.manager_region
        imp = ShipmentImport(
            filename="bench-sell-in.csv",
            path="",
            sha256="0" * 64,
            total_bytes=0,
            status=ImportStatus.DONE,
            created_by=hq.id,
        )
        db.session.add(imp)
        db.session.commit()
        w.hq, w.manager = Caller(app, hq), Caller(app, manager)
        org_s = time.perf_counter() - t

        t = time.perf_counter()
        index_s = _without_indexes(Shipment.__table__, lambda: _load_shipments(w, blocks, n_ship, imp.id))
        ship_s = time.perf_counter() - t
        t = time.perf_counter()
        card_index_s = _without_indexes(
            WarrantyCard.__table__, lambda: _load_cards(w, blocks, n_cards / n_ship, clerk.id)
        )
        card_s = time.perf_counter() - t
        t = time.perf_counter()
        field = _load_field_records(w, rep.id, competitor_ids)
        field_s = time.perf_counter() - t
        t = time.perf_counter()
        analyze()
        analyze_s = time.perf_counter() - t
        w.shipments = db.session.scalar(select(func.count()).select_from(Shipment))
        w.cards = db.session.scalar(select(func.count()).select_from(WarrantyCard))
        _check_imeis()
        note(
            f"channel: {n_stores:,} stores, {w.shipments:,} shipments ({ship_s:.0f} s, of which {index_s:.0f} s "
            f"the index), {w.cards:,} cards ({card_s:.0f} s, of which {card_index_s:.0f} s the indexes), "
            f"{field['shop_stock_counts']:,} shop stock counts, {field['sellout_reports']:,} sell-out reports, "
            f"{field['competitor_sellout']:,} competitor estimates ({field_s:.0f} s); organisation {org_s:.0f} s, "
            f"VACUUM ANALYZE {analyze_s:.0f} s; database {_database_mb():,.0f} MB"
        )
    return w


def reused(app) -> World:
    """The world of a kept database (--reuse), read back from it: what build() returned."""
    from backend.auth.models import User
    from backend.channel.figures import business_today
    from backend.org.models import Region

    w = World()
    with app.app_context():
        w.today = business_today()
        for pid, code, active in db.session.execute(
            select(Product.id, Product.model_code, Product.active).order_by(Product.id)
        ):
            w.products[code] = pid
            if active:
                w.active.append(pid)
        w.region_ids = dict(db.session.execute(select(Region.code, Region.id)).all())
        w.partner_codes = dict(db.session.execute(select(Partner.id, Partner.code)).all())
        hq = db.session.scalar(select(User).where(User.username == "hq"))
        manager = db.session.scalar(select(User).where(User.username == "manager_GD"))
        if hq is None or manager is None:
            raise SystemExit("the reused database has no bench users hq and manager_GD: not a channel_scale world")
        w.manager_region = manager.region_id
        w.hq, w.manager = Caller(app, hq), Caller(app, manager)
        w.shipments = db.session.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'shipments'"))
        w.cards = db.session.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'warranty_cards'"))
        # The build's own units (its one import), not those later imports added.
        built = db.session.scalar(
            text("SELECT count(*) FROM shipments WHERE import_id = (SELECT min(id) FROM shipment_imports)")
        )
        w.scale = round(built / SHIPMENTS, 3)
    return w


def fresh_import_tacs(w: World, n_import: int) -> None:
    """A reused world's imports need units never shipped: each model gets import TACs no product
    has yet ("867<model><generation><batch>": generation 0 and batches from 01 at the build; then
    the next generation digit, and past 9 the next block of batch numbers), added to its product,
    as a production line would."""
    products = {p.model_code: p for p in db.session.scalars(select(Product))}
    used = {tac for p in products.values() for tac in p.tac_codes}
    wanted = {}
    for index, (code, _name, _days_ago, _price, _active) in enumerate(OUR_PRODUCTS):
        needed = MODEL_WEIGHTS[code] * n_import * IMPORT_FILES * 2 * 1.3  # two IMEI serials per unit
        wanted[code] = (index, max(2, math.ceil(needed / 10**6)))
    longest = max(k for _index, k in wanted.values())
    for block in range(0, 100 - longest, 20):
        for generation in range(10):

            def tacs(index: int, k: int, block=block, generation=generation) -> list[str]:
                return [f"867{index + 10:02d}{generation}{block + b:02d}" for b in range(1, k + 1)]

            if not any(set(tacs(index, k)) & used for index, k in wanted.values()):
                for code, (index, k) in wanted.items():
                    product = products[code]
                    product.tac_codes = list(product.tac_codes) + tacs(index, k)
                    w.import_tacs[code] = tacs(index, k)
                db.session.commit()
                return
    raise SystemExit("the reused database has used all its import TACs: build a new one")


def _check_imeis() -> None:
    """The SQL check digits are the Luhn ones (a sample)."""
    for (imei,) in db.session.execute(text("SELECT imei FROM shipments TABLESAMPLE SYSTEM (1) LIMIT 2000")):
        if imei[-1] != str(luhn_check_digit(imei[:-1])):
            raise RuntimeError(f"bad check digit generated: {imei}")


def _database_mb() -> float:
    return db.session.scalar(text("SELECT pg_database_size(current_database())")) / 2**20


# --- the rollups and the alerts -----------------------------------------------------------------


def rollups(app) -> None:
    from backend.channel.alerts import raise_all
    from backend.channel.rollup import rebuild

    with app.app_context():
        t = time.perf_counter()
        counts = rebuild()
        rebuild_s = time.perf_counter() - t
        record(
            "channel: rebuild() of the rollups",
            [rebuild_s * 1000],
            ", ".join(f"{table} {n:,} rows" for table, n in counts.items()),
        )
        analyze()
        t = time.perf_counter()
        raised = raise_all()
        record(
            "channel: raise_all() (cover and stock-out alerts)",
            [(time.perf_counter() - t) * 1000],
            f"{raised:,} raised",
        )
        analyze()


# --- the screens --------------------------------------------------------------------------------


def screens(app, w: World, n: int) -> None:
    products = list(w.products.values())
    regions = sorted(w.region_ids.values())
    partners = sorted(w.partner_codes)
    hq, manager = w.hq, w.manager
    with app.app_context():
        aging_cohorts = db.session.execute(
            text(
                "SELECT region_id, partner_id, product_id, ship_week FROM channel_cohorts "
                "WHERE shipped > sold AND ship_week < CAST(:cut AS date) ORDER BY random() LIMIT :n"
            ),
            {"cut": w.today - timedelta(days=120), "n": n},
        ).all()
        store_ids = list(
            db.session.scalars(
                text("SELECT DISTINCT store_id FROM shop_stock_counts WHERE on_hand = 0 LIMIT :n"), {"n": n}
            )
        )
        store_ids += list(
            db.session.scalars(
                text("SELECT id FROM stores WHERE status = 'active' ORDER BY random() LIMIT :n"), {"n": n}
            )
        )
    base = "/api/v1/channel"
    plans: dict[str, tuple[Caller, list[str]]] = {
        "stock by region (HQ)": (
            hq,
            [f"{base}/stock?group=region"] + [f"{base}/stock?group=region&product_id={p}" for p in products],
        ),
        "stock by partner (HQ)": (
            hq,
            [f"{base}/stock?group=partner&region_id={r}" for r in regions] + [f"{base}/stock?group=partner"],
        ),
        "stock (manager of 广东)": (
            manager,
            [f"{base}/stock?group=partner"] + [f"{base}/stock?group=region&product_id={p}" for p in products],
        ),
        "sell-through, 12 weeks": (
            hq,
            [f"{base}/sell-through?weeks=12"]
            + [f"{base}/sell-through?weeks=12&region_id={r}" for r in regions]
            + [f"{base}/sell-through?weeks=12&product_id={p}" for p in products],
        ),
        "aging": (
            hq,
            [f"{base}/aging"]
            + [f"{base}/aging?region_id={r}" for r in regions]
            + [f"{base}/aging?product_id={p}" for p in products],
        ),
        "aging: a cohort's IMEIs": (
            hq,
            [
                f"{base}/aging/imeis?region_id={r}&partner_id={pa}&product_id={p}&ship_week={wk.isoformat()}"
                for r, pa, p, wk in aging_cohorts
            ],
        ),
        "FIFO breaks": (hq, [f"{base}/fifo-breaks"] + [f"{base}/fifo-breaks?region_id={r}" for r in regions]),
        "disagreements, 8 weeks": (
            hq,
            [f"{base}/disagreements?weeks=8"] + [f"{base}/disagreements?weeks=8&region_id={r}" for r in regions],
        ),
        "alerts (HQ)": (
            hq,
            [
                f"{base}/alerts",
                f"{base}/alerts?kind=stock_out",
                f"{base}/alerts?kind=cover_low",
                f"{base}/alerts?kind=cover_high",
            ]
            + [f"{base}/alerts?region_id={r}" for r in regions],
        ),
        "alerts (manager of 广东)": (manager, [f"{base}/alerts", f"{base}/alerts?kind=stock_out"]),
        "a store's figures": (hq, [f"{base}/stores/{s}" for s in store_ids]),
    }
    del partners
    time_screens("channel", plans, n, LIMIT_MS)


def exports(w: World) -> None:
    """The CSV exports, whole (all the rows streamed), three times each after one untimed."""
    products = list(w.products.values())
    base = "/api/v1/channel"
    hq = w.hq
    for name, url in (
        ("stock.csv, all regions by partner", f"{base}/stock.csv?group=partner"),
        ("aging.csv, one region and model", f"{base}/aging.csv?region_id={w.manager_region}&product_id={products[1]}"),
    ):
        samples, sizes = [], []
        try:
            hq.get(url)
        except RuntimeError as exc:
            note(f"channel: {name}: {exc}")
            continue
        for _ in range(3):
            start = time.perf_counter()
            response = hq.get(url)
            body = response.get_data()
            samples.append((time.perf_counter() - start) * 1000)
            sizes.append(len(body))
        rows = body.count(b"\n") - 1
        record(f"channel: {name}", samples, f"{sizes[-1] / 2**20:,.1f} MB, {rows:,} rows, streamed")


# --- the shipment import, with and without the channel's hooks ----------------------------------


def _dealers(w: World, rng: random.Random) -> list:
    """Each model's dealer of new units under its import TACs (bench/warranty.py's): one per
    model for both files, so no unit is shipped twice."""
    from .warranty import Model

    return [
        Model(index, w.products[code], code, days_ago, w.import_tacs[code], rng)
        for index, (code, _name, days_ago, _price, _active) in enumerate(OUR_PRODUCTS)
    ]


def _import_csv(w: World, models: list, path: Path, n: int, rng: random.Random, span: int = DAYS) -> None:
    weights = [MODEL_WEIGHTS[m.code] for m in models]
    codes = {rid: code for code, rid in w.region_ids.items()}
    regions = sorted(codes)
    rweights = [REGION_WEIGHTS.get(codes[r], 1) for r in regions]
    partners = sorted(w.partner_codes.values())
    days = [(w.today - timedelta(days=d)).isoformat() for d in range(DAYS)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("imei,model,ship_date,region,partner\n")
        out = []
        for _ in range(n):
            m = rng.choices(models, weights)[0]
            imei, _imei2, _slot = m.unit()
            region = rng.choices(regions, rweights)[0]
            day = days[rng.randrange(min(span, m.launch_days))]
            partner = rng.choice(partners) if rng.random() < 0.8 else ""
            out.append(f"{imei},{m.code},{day},{codes[region]},{partner}\n")
            if len(out) >= 50_000:
                f.write("".join(out))
                out = []
        f.write("".join(out))


def _listeners() -> list:
    from backend.channel import alerts, rollup

    return [rollup._notice_shipments, alerts._notice_shipments]


ROLLUP_TABLES = ("channel_cohorts", "channel_sales", "channel_stock", "channel_weeks")


class Vacuum:
    """`--vacuum-every S`: VACUUM the channel rollup tables every S seconds while an import runs,
    as autovacuum would on a server that has it on (its naptime is a minute; these tables are
    small, and each import batch updates thousands of their rows). For a server run with
    autovacuum off, where the dead rows otherwise pile up for the whole import."""

    def __init__(self, app, every: float | None):
        self.app, self.every, self.runs = app, every, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True) if every else None

    def _loop(self) -> None:
        with self.app.app_context():
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                while not self.stop.wait(self.every):
                    conn.exec_driver_sql(f"VACUUM {', '.join(ROLLUP_TABLES)}")
                    self.runs += 1

    def __enter__(self):
        if self.thread is not None:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.thread is not None:
            self.stop.set()
            self.thread.join()


CHANNEL_INDEXES = ("ix_shipments_cohort",)  # the shipments' indexes the channel added (migrations d13a, d16t)


@contextmanager
def _before_the_channel(app, apply: bool) -> Iterator[None]:
    """`apply`: the shipments without the indexes the channel added (before it, the table had its
    primary key only), for the import 'as before the channel'; built again after it (timed, not
    counted in the import)."""
    if not apply:
        yield
        return
    with app.app_context():
        definitions = [
            d
            for name in CHANNEL_INDEXES
            if (d := db.session.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": name}))
        ]
        for name in CHANNEL_INDEXES:
            db.session.execute(text(f"DROP INDEX IF EXISTS {name}"))
        db.session.commit()
    try:
        yield
    finally:
        t = time.perf_counter()
        with app.app_context():
            for definition in definitions:
                db.session.execute(text(definition))
            db.session.commit()
        took = time.perf_counter() - t
        log(f"  {', '.join(CHANNEL_INDEXES)} built again after the import as before the channel ({took:.0f} s)")


PARENT_TRIGGERS = ("shipments_parents_exist_ins", "shipments_parents_exist_upd")  # migration d16v00000001


@contextmanager
def parent_checks(app, how: str) -> Iterator[None]:
    """The shipments' parents (import, product, region, partner) checked, for the block, `how`:
    "setwise" as the schema has it on PostgreSQL (a trigger per statement: nothing changes),
    "rows" as before migration d16v00000001 (four foreign keys, a trigger call per row: the
    set-wise triggers disabled, the keys added NOT VALID, which checks every new row as a
    validated key does), or "none" (the triggers disabled: the bound). Put back after."""
    if how == "setwise":
        yield
        return
    keys = [
        (f"bench_fk_shipments_{fk.parent.name}", fk.parent.name, fk.column.table.name)
        for fk in sorted(Shipment.__table__.foreign_keys, key=lambda fk: fk.parent.name)
        if fk.parent.name in SET_WISE_PARENTS
    ]
    with app.app_context():
        for trigger in PARENT_TRIGGERS:
            db.session.execute(text(f"ALTER TABLE shipments DISABLE TRIGGER {trigger}"))
        if how == "rows":
            for name, column, parent in keys:
                key = f"FOREIGN KEY ({column}) REFERENCES {parent} (id) NOT VALID"
                db.session.execute(text(f"ALTER TABLE shipments ADD CONSTRAINT {name} {key}"))
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            db.session.rollback()
            for name, _column, _parent in keys:
                db.session.execute(text(f"ALTER TABLE shipments DROP CONSTRAINT IF EXISTS {name}"))
            for trigger in PARENT_TRIGGERS:
                db.session.execute(text(f"ALTER TABLE shipments ENABLE TRIGGER {trigger}"))
            db.session.commit()


def imports(
    app,
    w: World,
    n: int,
    vacuum_every: float | None = None,
    drop_indexes: bool = False,
    span: int = DAYS,
    rounds: int = 1,
) -> None:
    """`rounds` rounds of the three imports, in turn; each import after a CHECKPOINT (so that
    none pays for another's dirty pages, nor meets a timed checkpoint's burst of full-page
    writes more than the others: one such burst moved a run by a fifth)."""
    from backend.warranty import imports as loader

    from .warranty import _describe_import, upload

    rng = random.Random(16)
    listeners = [fn for fn in _listeners() if event.contains(Session, "do_orm_execute", fn)]
    runs: dict[str, list] = {"rows": [], "off": [], "on": []}
    ratios = []
    gained_ok = True
    models = _dealers(w, rng)

    def checkpoint() -> None:
        with app.app_context():
            db.session.execute(text("CHECKPOINT"))
            db.session.commit()

    for turn in range(rounds):
        with tempfile.TemporaryDirectory(prefix="fieldsales-bench-channel-") as tmp:
            paths = [Path(tmp) / f"sell-in-{name}.csv" for name in ("rows", "off", "on")]
            t = time.perf_counter()
            for path in paths:
                _import_csv(w, models, path, n, rng, span)
            took = time.perf_counter() - t
            log(f"  three CSVs of {n:,} rows shipped over the last {span} days written in {took:.1f} s")
            for name, path in zip(("rows", "off"), paths[:2], strict=True):
                for fn in listeners:
                    event.remove(Session, "do_orm_execute", fn)
                arrays, read_ahead = loader._insert_arrays, app.config["IMPORT_READ_AHEAD"]
                if name == "rows":  # as before the channel: an INSERT of one row of parameters each, in turn
                    loader._insert_arrays = loader._insert_rows
                    app.config["IMPORT_READ_AHEAD"] = False
                try:
                    with (
                        _before_the_channel(app, drop_indexes and name == "rows"),
                        parent_checks(app, "rows" if name == "rows" else "setwise"),
                    ):
                        checkpoint()
                        with Vacuum(app, vacuum_every):
                            runs[name].append(upload(w.hq, path))
                finally:
                    loader._insert_arrays, app.config["IMPORT_READ_AHEAD"] = arrays, read_ahead
                    for fn in listeners:
                        event.listen(Session, "do_orm_execute", fn)
            with app.app_context():
                before = db.session.scalar(text("SELECT coalesce(sum(shipped), 0) FROM channel_cohorts"))
            checkpoint()
            with Vacuum(app, vacuum_every):
                on = upload(w.hq, paths[2])
            runs["on"].append(on)
            with app.app_context():
                after = db.session.scalar(text("SELECT coalesce(sum(shipped), 0) FROM channel_cohorts"))
            gained_ok = gained_ok and after - before == on.body["rows_loaded"]
            rate = {name: r[-1].body["rows_read"] / r[-1].clocks.wall for name, r in runs.items()}
            ratios.append((rate["on"] / rate["rows"], rate["on"] / rate["off"]))
            log(
                f"  round {turn + 1}: rows/s before the channel {rate['rows']:,.0f}, hooks off {rate['off']:,.0f}, "
                f"rollups maintained {rate['on']:,.0f}: {ratios[-1][0]:.0%} of the rate before the channel, "
                f"{ratios[-1][1]:.0%} of the rate without the hooks"
            )
    if vacuum_every:
        note(f"channel: the rollup tables were vacuumed every {vacuum_every:g} s during the imports")
    with app.app_context():
        autovacuum = db.session.scalar(text("SHOW autovacuum"))
    if autovacuum != "on" and not vacuum_every:
        note(
            "channel: autovacuum is off on this server: the rollup rows each import batch updates "
            "stay dead until the next VACUUM, so the import with the hooks pays for a growing table "
            "(--vacuum-every does autovacuum's work)"
        )
    names = ", ".join(f"{fn.__module__}.{fn.__name__}" for fn in listeners)
    note(f"channel: the imports 'hooks off' ran without the statement listeners {names}")

    def median_run(name: str):
        return sorted(runs[name], key=lambda r: r.clocks.wall)[len(runs[name]) // 2]

    def walls(name: str) -> list[float]:
        return [r.clocks.wall * 1000 for r in runs[name]]

    ship_dates = f"ship dates over {span} days"
    record(
        f"channel: import of {n:,} rows as before the channel (no hooks, an INSERT per row, read in turn, "
        "row foreign keys" + (", no cohort index" if drop_indexes else "") + f"; {ship_dates})",
        walls("rows"),
        "median run: " + _describe_import(median_run("rows")),
    )
    record(
        f"channel: import of {n:,} rows, channel hooks off ({ship_dates})",
        walls("off"),
        "median run: " + _describe_import(median_run("off")),
    )
    to_before = statistics.median(r[0] for r in ratios)
    to_off = statistics.median(r[1] for r in ratios)
    record(
        f"channel: import of {n:,} rows, rollups maintained ({ship_dates})",
        walls("on"),
        "median run: " + _describe_import(median_run("on")) + f"; rounds' median ratios: {to_before:.0%} of the "
        f"rate before the channel, {to_off:.0%} of the rate without the hooks (rounds: "
        + ", ".join(f"{a:.0%}/{b:.0%}" for a, b in ratios)
        + ")",
    )
    if gained_ok:
        note(f"channel: the cohorts gained exactly the units each import with the rollups maintained loaded ({n:,})")
    else:
        note("channel: the cohorts did NOT gain exactly the units an import with the rollups maintained loaded")


PARTS = ("screens", "exports", "imports")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.channel_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count (default 1: 10 M shipments)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per endpoint (default 30)")
    parser.add_argument(
        "--import-rows", type=int, default=None, help="rows of each import file (default 1000000 × scale, ≥ 10000)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database at the end (its name is printed) for --reuse"
    )
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        help="use the database NAME an earlier run kept (--keep) instead of building one: no build, no rebuild() "
        "of the rollups; migrated to the head first; kept again (drop it when done)",
    )
    parser.add_argument(
        "--import-days",
        type=int,
        default=DAYS,
        metavar="D",
        help=f"the import files' ship dates drawn over the last D days (default {DAYS}: a backfill of a year; "
        "e.g. 30: a month of recent shipments)",
    )
    parser.add_argument(
        "--import-rounds",
        type=int,
        default=1,
        metavar="N",
        help="rounds of the three imports, in turn (default 1); medians and each round's ratios are printed "
        "(each round adds 3 × the import's rows to the shipments)",
    )
    parser.add_argument(
        "--vacuum-every",
        type=float,
        metavar="S",
        help="VACUUM the channel rollup tables every S seconds during the imports (a server with autovacuum off)",
    )
    parser.add_argument(
        "--drop-channel-indexes",
        action="store_true",
        help="the import 'as before the channel' without the shipments' cohort index (dropped, built again after; "
        "the imports after it then insert into a freshly built index)",
    )
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"what to time after the build, comma-separated among {', '.join(PARTS)} (default all)",
    )
    args = parser.parse_args(argv)
    if not os.environ.get("BENCH_DATABASE_URL", "").startswith("postgresql"):
        raise SystemExit("bench.channel_scale runs on PostgreSQL only: set BENCH_DATABASE_URL")
    parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    if parts - set(PARTS):
        raise SystemExit(f"--parts: unknown {', '.join(sorted(parts - set(PARTS)))} (choose among {', '.join(PARTS)})")
    common.log(
        f"channel at scale {args.scale}: database {common.database_label()}"
        if not args.reuse
        else f"channel: reusing {args.reuse}"
    )
    start = time.perf_counter()
    with scratch_app("channel", keep=args.keep, reuse=args.reuse) as app:
        if args.reuse:
            w = reused(app)
            n_import = args.import_rows or max(10_000, round(IMPORT_ROWS * w.scale))
            common.note(f"channel: reused the kept database {args.reuse} (scale {w.scale:g}, rolled up before)")
        else:
            n_import = args.import_rows or max(10_000, round(IMPORT_ROWS * args.scale))
            w = build(app, args.scale, n_import)
            rollups(app)
        if "screens" in parts:
            screens(app, w, args.requests)
        if "exports" in parts:
            exports(w)
        if "imports" in parts:
            if args.reuse or args.import_rounds > 1:
                with app.app_context():
                    fresh_import_tacs(w, n_import * args.import_rounds)
            imports(
                app, w, n_import, args.vacuum_every, args.drop_channel_indexes, args.import_days, args.import_rounds
            )
    common.print_table(common.database_label(), time.perf_counter() - start)


if __name__ == "__main__":
    main()
