"""HQ's quality figures at volume (issue 17): every /quality endpoint, p95 against 300 ms.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/fieldsales_bench \\
        python -m bench.quality_scale [--scale 1.0] [--requests 30]

PostgreSQL only (as bench/channel_scale.py). At --scale 1: 5,000 stores (bench/data.py's
organisation), our eight models of the demo seed, 200,000 warranty cards bought over the last
year (each model only since its launch, in the shares of bench/channel_scale.py, at a random
active store) and service events on 3 % of them — the newest model (launched 10 days ago) 6 %,
so its early-life alert is raised: 35 % returns within 7 days of purchase, 25 % exchanges within
15 (each with its replacement unit's card: `replaces_card_id`, the purchase date inherited), 40 %
repair referrals within the year, to a repair-provider partner; fault codes skewed (screen and
battery commonest). Returned and exchanged cards are closed, as the service closes them. The IMEIs
are unique 15-digit numbers, not Luhn-valid (nothing here reads them). --scale multiplies the cards
and the stores (stores at least 1,000).

Everything is generated set-based in SQL (generate_series, random() after setseed); the quality
rollup is rebuilt from those rows (timed, as `flask rebuild-quality`) and the alerts raised. Then every
quality endpoint through the Flask test client, `--requests` times each with its filters taken in
turn (regions, models; as HQ and as the manager of 广东): median and p95 against the 300 ms limit
the issue asks of HQ's screens; the CSV exports timed whole.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text

from backend.aftersales import quality_alerts, quality_rollup
from backend.catalogue.models import Product
from backend.demo.seed import OUR_PRODUCTS
from backend.extensions import db
from backend.org.models import Partner

from . import common
from .common import Caller, analyze, log, note, record, scratch_app
from .data import build_org
from .scale import MODEL_WEIGHTS, make_readers, time_screens

LIMIT_MS = 300.0
CARDS = 200_000
STORES = 5_000
EVENT_SHARE = 0.03
NEW_MODEL_SHARE = 0.06  # the newest model's events: a bad launch, for the alert
DAYS = 365
FAULTS = (  # code, name, name_en, is_fault, share of the events
    ("screen", "屏幕故障", "Screen", True, 0.30),
    ("battery", "电池故障", "Battery", True, 0.20),
    ("camera", "摄像头故障", "Camera", True, 0.10),
    ("signal", "信号问题", "Signal", True, 0.10),
    ("charging", "充电故障", "Charging", True, 0.10),
    ("overheating", "发热严重", "Overheating", True, 0.07),
    ("software", "系统软件问题", "Software", True, 0.08),
    ("no_fault", "无理由退货", "No fault", False, 0.05),
)


class World:
    def __init__(self):
        self.today = date.today()
        self.products: dict[str, int] = {}
        self.region_ids: dict[str, int] = {}
        self.hq: Caller | None = None
        self.manager: Caller | None = None
        self.manager_region = 0
        self.cards = 0
        self.events: dict[str, int] = {}


def _pick(column: str, choices: list[tuple[object, float]]) -> str:
    """SQL: a CASE that picks among `choices` (value, weight) by the uniform `column`."""
    total = sum(w for _, w in choices)
    cases, acc = [], 0.0
    for value, weight in choices[:-1]:
        acc += weight / total
        cases.append(f"WHEN {column} < {acc:.6f} THEN {value}")
    return f"CASE {' '.join(cases)} ELSE {choices[-1][0]} END"


def _load(w: World, n_cards: int, clerk_id: int, repair_partner: int) -> None:
    from backend.aftersales.models import FaultCode

    faults = []
    for position, (code, name, name_en, is_fault, share) in enumerate(FAULTS):
        fault = FaultCode(code=code, name=name, name_en=name_en, is_fault=is_fault, position=position)
        db.session.add(fault)
        db.session.flush()
        faults.append((fault.id, share))
    db.session.commit()
    days = {code: min(DAYS, days_ago + 1) for code, _n, days_ago, _p, _a in OUR_PRODUCTS}
    model_sql = _pick("u.r_model", [(w.products[c], wt) for c, wt in MODEL_WEIGHTS.items()])
    days_sql = _pick("u.r_model", [(days[c], wt) for c, wt in MODEL_WEIGHTS.items()])
    fault_sql = _pick("e.r_fault", faults)
    newest = w.products["XL-P50"]
    params = {"today": w.today, "clerk": clerk_id}
    with db.engine.begin() as conn:
        conn.exec_driver_sql("SET session_replication_role = replica")  # no FK triggers (consistent rows)
        conn.exec_driver_sql("""
            CREATE TEMP TABLE bench_stores AS
            SELECT s.id AS store_id, t.region_id, row_number() OVER (ORDER BY s.id) - 1 AS idx
            FROM stores AS s JOIN territories AS t ON t.id = s.territory_id
            WHERE s.status = 'active'
        """)
        n_stores = conn.exec_driver_sql("SELECT count(*) FROM bench_stores").scalar()
        conn.exec_driver_sql("SELECT setseed(0.17)")
        conn.execute(
            text(f"""
            INSERT INTO warranty_cards (id, imei, product_id, serial_number, buyer_name, buyer_phone,
                                        buyer_address, invoice_number, purchase_date, store_id, registered_by,
                                        registered_at, received_at, revision, void_reason)
            SELECT gen_random_uuid(), '35' || lpad(t.k::text, 13, '0'), t.product_id, 'SN' || t.k, '王伟',
                   '13800138000', '', 'INV' || t.k, t.purchase_date, s.store_id, :clerk,
                   t.purchase_date + time '04:00', t.purchase_date + time '04:01', 1, ''
            FROM (
                SELECT u.k, {model_sql} AS product_id,
                       CAST(:today AS date) - floor(u.r_day * {days_sql})::int AS purchase_date,
                       floor(u.r_store * {n_stores})::int AS idx
                FROM (SELECT k, random() AS r_model, random() AS r_day, random() AS r_store
                      FROM generate_series(1, {n_cards}) AS k) AS u
            ) AS t
            JOIN bench_stores AS s ON s.idx = t.idx
            """),
            params,
        )
        # 3 % of the cards (6 % of the newest model's) have an event, each kind within its term.
        conn.execute(
            text(f"""
            INSERT INTO service_events (id, kind, card_id, store_id, region_id, product_id, purchase_date,
                                        fault_code_id, note, occurred_at, occurred_on, new_card_id,
                                        repair_partner_id, terms, recorded_by, received_at)
            SELECT gen_random_uuid(), e.kind, e.id, e.store_id, e.region_id, e.product_id, e.purchase_date,
                   {fault_sql}, '', e.occurred_on + time '03:00', e.occurred_on,
                   CASE WHEN e.kind = 'exchange' THEN gen_random_uuid() END,
                   CASE WHEN e.kind = 'repair' THEN {repair_partner} END,
                   '{{}}', :clerk, e.occurred_on + time '03:05'
            FROM (
                SELECT c.id, c.store_id, s.region_id, c.product_id, c.purchase_date, c.kind, c.r_fault,
                       LEAST(CAST(:today AS date),
                             c.purchase_date + floor(c.r_when * CASE c.kind WHEN 'return' THEN 8
                                                                     WHEN 'exchange' THEN 16 ELSE 365 END)::int)
                           AS occurred_on
                FROM (
                    SELECT c.*, random() AS r_when, random() AS r_fault,
                           CASE WHEN random() < 0.35 THEN 'return'
                                WHEN random() < 0.25 / 0.65 THEN 'exchange' ELSE 'repair' END AS kind
                    FROM warranty_cards AS c
                    WHERE random() < CASE WHEN c.product_id = {newest} THEN {NEW_MODEL_SHARE} ELSE {EVENT_SHARE} END
                ) AS c
                JOIN bench_stores AS s ON s.store_id = c.store_id
            ) AS e
            """),
            params,
        )
        # The exchanges' replacement units: a card each, the purchase date and buyer inherited.
        conn.execute(
            text("""
            INSERT INTO warranty_cards (id, imei, product_id, serial_number, buyer_name, buyer_phone,
                                        buyer_address, invoice_number, purchase_date, store_id, registered_by,
                                        registered_at, received_at, revision, void_reason, replaces_card_id)
            SELECT e.new_card_id, '36' || lpad((row_number() OVER (ORDER BY e.id))::text, 13, '0'), c.product_id,
                   'SNX' || c.serial_number, c.buyer_name, c.buyer_phone, c.buyer_address, c.invoice_number,
                   c.purchase_date, c.store_id, :clerk, e.occurred_at, e.received_at, 1, '', c.id
            FROM service_events AS e JOIN warranty_cards AS c ON c.id = e.card_id
            WHERE e.kind = 'exchange'
            """),
            params,
        )
        conn.exec_driver_sql("""
            UPDATE warranty_cards AS c
            SET closed_at = e.received_at, revision = 2,
                closed_kind = CASE e.kind WHEN 'return' THEN 'returned' ELSE 'exchanged' END
            FROM service_events AS e
            WHERE e.card_id = c.id AND e.kind IN ('return', 'exchange')
        """)
        conn.exec_driver_sql(
            "INSERT INTO warranty_imeis (imei, card_id) SELECT imei, id FROM warranty_cards WHERE closed_at IS NULL"
        )
    w.cards = db.session.scalar(text("SELECT count(*) FROM warranty_cards"))
    w.events = dict(db.session.execute(text("SELECT kind, count(*) FROM service_events GROUP BY kind")).all())


def build(app, scale: float) -> World:
    w = World()
    n_stores = max(1_000, round(STORES * scale))
    n_cards = round(CARDS * scale)
    with app.app_context():
        from backend.core.timeutil import business_today

        w.today = business_today()
        t = time.perf_counter()
        org = build_org(n_stores)
        w.region_ids = dict(org.region_ids)
        for index, (code, name, days_ago, price, active) in enumerate(OUR_PRODUCTS):
            product = Product(
                model_code=code,
                name=name,
                launch_date=w.today - timedelta(days=days_ago),
                list_price=Decimal(price),
                active=active,
                tac_codes=[f"3599{index:04d}"],
            )
            db.session.add(product)
            db.session.flush()
            w.products[code] = product.id
        repair_partner = Partner(code="RP01", name="星澜授权维修中心", kind="service", repair_provider=True)
        db.session.add(repair_partner)
        readers = make_readers(org)
        w.manager_region = readers.manager_region
        db.session.commit()
        w.hq, w.manager = Caller(app, readers.hq), Caller(app, readers.manager)
        _load(w, n_cards, readers.clerk.id, repair_partner.id)
        # The bulk rows bypass the rollup's increments: rebuild it (as `flask rebuild-quality`),
        # then raise the alerts it shows (the job's evaluation, every model at once).
        started = time.perf_counter()
        counts = quality_rollup.rebuild()
        rebuilt = time.perf_counter() - started
        raised = quality_alerts.raise_all(w.today)
        note(
            f"quality: rollup rebuilt in {rebuilt:.1f} s ("
            + ", ".join(f"{n:,} {table}" for table, n in counts.items())
            + f"); {raised} alerts raised"
        )
        analyze()
        note(
            f"quality: {n_stores:,} stores, {w.cards:,} cards (with the exchanges' replacements), events "
            + ", ".join(f"{kind} {n:,}" for kind, n in sorted(w.events.items()))
            + f"; generated in {time.perf_counter() - t:.0f} s"
        )
    return w


def screens(app, w: World, n: int) -> None:
    products = list(w.products.values())
    regions = sorted(w.region_ids.values())
    year = f"since={w.today - timedelta(days=364)}&until={w.today}"
    base = "/api/v1/quality"
    plans: dict[str, tuple[Caller, list[str]]] = {
        "models, 12 weeks (HQ)": (w.hq, [f"{base}/models"] + [f"{base}/models?region_id={r}" for r in regions]),
        "models, a year (HQ)": (
            w.hq,
            [f"{base}/models?{year}"] + [f"{base}/models?{year}&region_id={r}" for r in regions],
        ),
        "models (manager of 广东)": (w.manager, [f"{base}/models", f"{base}/models?{year}"]),
        "weekly, 12 weeks": (
            w.hq,
            [f"{base}/weekly"]
            + [f"{base}/weekly?product_id={p}" for p in products]
            + [f"{base}/weekly?region_id={r}" for r in regions],
        ),
        "weekly, 52 weeks": (
            w.hq,
            [f"{base}/weekly?weeks=52"] + [f"{base}/weekly?weeks=52&product_id={p}" for p in products],
        ),
        "regions, 12 weeks": (w.hq, [f"{base}/regions"] + [f"{base}/regions?product_id={p}" for p in products]),
        "regions, a year": (
            w.hq,
            [f"{base}/regions?{year}"] + [f"{base}/regions?{year}&product_id={p}" for p in products],
        ),
        "alerts (HQ)": (w.hq, [f"{base}/alerts"] + [f"{base}/alerts?region_id={r}" for r in regions]),
        "alerts (manager of 广东)": (w.manager, [f"{base}/alerts"]),
    }
    time_screens("quality", plans, n, LIMIT_MS)
    alerts = w.hq.get(f"{base}/alerts").get_json()
    note("quality: alerts raised: " + (", ".join(f"{a['model_code']} {a['rate_per_1000']}" for a in alerts) or "none"))
    for name, url in (
        ("export.csv, 12 weeks", f"{base}/export.csv"),
        ("export.csv, a year", f"{base}/export.csv?{year}"),
    ):
        samples = []
        for _ in range(max(3, n // 5)):
            start = time.perf_counter()
            body = w.hq.get(url).get_data()
            samples.append((time.perf_counter() - start) * 1000)
        rows = body.count(b"\n") - 1
        record(f"quality: {name}", samples, f"{rows:,} rows, {len(body) / 1024:,.0f} KB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.quality_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the cards and stores (1: 200,000 cards)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per endpoint (default 30)")
    args = parser.parse_args(argv)
    if not os.environ.get("BENCH_DATABASE_URL", "").startswith("postgresql"):
        raise SystemExit("bench.quality_scale runs on PostgreSQL only: set BENCH_DATABASE_URL")
    log(f"quality at scale {args.scale}: database {common.database_label()}")
    start = time.perf_counter()
    with scratch_app("quality") as app:
        w = build(app, args.scale)
        screens(app, w, args.requests)
    common.print_table(common.database_label(), time.perf_counter() - start)


if __name__ == "__main__":
    main()
