"""Offline sync: pushes of 1,000 and 10,000 mixed mutations, a rep's first pull, an incremental pull.

The organisation of bench/data.py at 9,225 stores, so that a one-territory city such as 中山
or 珠海 has about 300 stores; one rep per territory (and a second one in 中山), each with 90
days of history: about six visits a day, each with a display check (and a photo), two or three
prices, one or two stock movements, now and then an intel report. Contacts for every store. The
change log holds a row per field record of the last 30 days (the default retention), as a live
server's would. All bulk-inserted.

* Push: the rep in 珠海 queues visits as the app does (check-in, display check, prices, stock
  movements, check-out; now and then an intel report, a store correction with the field clocks
  the phone last saw, a new or edited contact), every record with a fresh UUID. One
  POST /api/v1/sync/push of 1,000 mutations (three times, each from a new phone) and one of
  10,000; every result must be `applied`.
* First pull: the rep in 中山 with no cursor, following has_more to the end, with the default
  page size (500) and with limit=5000: items, pages, wall time, and the gzipped size of all the
  response bodies (gzip.compress of each JSON body, as a server or proxy would send it).
* Incremental pull: the rep's other phone pushes 50 mutations, a manager and a colleague make a
  few REST edits; then a pull from the cursor of the completed first pull, and one more with
  nothing new.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy import select

from backend.catalogue.models import CompetitorBrand, CompetitorModel, Product
from backend.core.timeutil import utcnow
from backend.demo.seed import COMPETITORS, OUR_PRODUCTS, checklist_items, promo_materials
from backend.extensions import db
from backend.intel.models import IntelReport, PriceObservation
from backend.merge.clock import ORIGIN
from backend.org.models import Territory
from backend.photos.models import PhotoLink
from backend.stock.models import StockMovement
from backend.stores.models import StoreContact
from backend.sync.models import SyncChange
from backend.visits.models import DisplayCheck, Visit
from sync_protocol import Clock

from .common import Caller, analyze, insert_in_chunks, log, note, record, scratch_app, timed
from .data import build_org, make_user

N_STORES = 9_225  # 2/61.5 of them: 300 stores in each one-territory city of weight 2 (中山, 珠海…)
PULL_TERRITORY = "ZS"  # 中山: the rep whose first pull is timed
PUSH_TERRITORY = "ZH"  # 珠海: the rep whose pushes are timed
HISTORY_DAYS = 90
RETENTION_DAYS = 30  # SYNC_CHANGE_RETENTION_DAYS: the change log a live server keeps
PUSH_SIZES = ((1_000, 3), (10_000, 1))  # (mutations, pushes, each from a new phone)
INCREMENTAL_MUTATIONS = 50
PULL_REPEATS = 5
INCREMENTAL_REPEATS = 10
MAX_LIMIT = 5000

PUSH_URL = "/api/v1/sync/push"
PULL_URL = "/api/v1/sync/pull"


# --- reference data -------------------------------------------------------------------------


class Catalogue:
    """Products, competitors' models, promo materials and the VI checklist of the demo seed."""

    def __init__(self) -> None:
        products = [
            Product(model_code=code, name=name, list_price=Decimal(price), active=active)
            for code, name, _days, price, active in OUR_PRODUCTS
        ]
        brands = {name: CompetitorBrand(name=name) for name in COMPETITORS}
        db.session.add_all([*products, *brands.values()])
        db.session.flush()
        cmodels = [
            CompetitorModel(brand_id=brands[brand].id, name=name, list_price=Decimal(price))
            for brand, models in COMPETITORS.items()
            for name, _days, price in models
        ]
        materials = promo_materials()
        items = checklist_items()
        db.session.add_all([*cmodels, *materials, *items])
        db.session.commit()
        # (product_id, competitor_model_id, list price)
        self.models = [(p.id, None, int(p.list_price)) for p in products if p.active]
        self.models += [(None, m.id, int(m.list_price)) for m in cmodels]
        self.material_ids = [m.id for m in materials]
        self.items = [(i.id, i.answer_type, i.target, i.weight) for i in items if i.active]

    def answers(self, rng: random.Random) -> list[dict]:
        """A check's answers; a failed one says why, as items whose `on_fail` asks it must."""
        out = []
        for item_id, atype, target, _weight in self.items:
            if atype == "yes_no":
                value = rng.random() < 0.8
                passed = value
            else:
                value = max(0, int(target or 0) + rng.choice((-1, 0, 0, 1)))
                passed = value >= (target or 0)
            out.append(
                {"item_id": item_id, "value": value}
                if passed
                else {"item_id": item_id, "value": value, "reason": "店方整改中"}
            )
        return out

    def score(self, answers: list[dict]) -> float:
        weights = {item_id: (atype, target, weight) for item_id, atype, target, weight in self.items}
        total = passed = 0
        for a in answers:
            atype, target, weight = weights[a["item_id"]]
            ok = a["value"] if atype == "yes_no" else a["value"] >= (target or 0)
            total += weight
            passed += weight if ok else 0
        return round(100.0 * passed / total, 1)

    def price(self, rng: random.Random) -> tuple[int | None, int | None, Decimal, Decimal | None]:
        product_id, cmodel_id, list_price = rng.choice(self.models)
        shelf = Decimal(round(list_price * rng.uniform(0.85, 1.0))).quantize(Decimal("1.00"))
        promo = (shelf - rng.choice((100, 200, 300))).quantize(Decimal("1.00")) if rng.random() < 0.2 else None
        return product_id, cmodel_id, shelf, promo


CONTACT_NAMES = "王芳 李娜 张伟 刘洋 陈静 杨丽 黄敏 赵磊 周婷 吴霞 徐强 孙悦 马超 朱琳 胡斌 郭佳".split()


def _phone_number(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _contacts(org, rng: random.Random, now: datetime) -> dict[int, list[uuid.UUID]]:
    """One or two contacts per store (a few removed: tombstones); returns live ids by store."""
    rows, live = [], {}
    for territory_id in sorted(org.stores_by_territory):
        for store_id, _lat, _lon in org.stores_by_territory[territory_id]:
            for role in ("promoter", "store_manager")[: rng.choice((1, 2, 2))]:
                cid = uuid.UUID(int=rng.getrandbits(128), version=4)
                deleted = rng.random() < 0.05
                rows.append(
                    {
                        "id": cid,
                        "store_id": store_id,
                        "name": rng.choice(CONTACT_NAMES),
                        "role": role,
                        "phone": _phone_number(rng),
                        "updated_at": now - timedelta(days=rng.randrange(30, 400)),
                        "updated_by": None,
                        "deleted_at": now - timedelta(days=rng.randrange(1, 30)) if deleted else None,
                        "field_clock": {},
                    }
                )
                if not deleted:
                    live.setdefault(store_id, []).append(cid)
    insert_in_chunks(StoreContact, rows)
    return live


# --- 90 days of history ---------------------------------------------------------------------


def _history(reps: list[tuple[int, int]], org, region_of: dict, cat: Catalogue, rng: random.Random, now: datetime):
    """Bulk-insert 90 days of field records for each (rep, territory), and the change-log rows
    of the last 30 days. Returns the number of rows by table."""
    rows: dict[type, list[dict]] = {m: [] for m in (Visit, DisplayCheck, PriceObservation, StockMovement, IntelReport)}
    links: list[dict] = []
    changes: list[tuple[datetime, dict]] = []
    log_since = now - timedelta(days=RETENTION_DAYS)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def add(model, row: dict, entity: str, territory_id: int, store_id: int | None) -> None:
        rows[model].append(row)
        if row["received_at"] >= log_since:
            change = {
                "entity": entity,
                "entity_id": str(row["id"]),
                "audience": "record",
                "territory_id": territory_id,
                "region_id": region_of[territory_id],
                "store_id": store_id,
                "rep_id": row["rep_id"],
                "changed_at": row["received_at"],
            }
            changes.append((row["received_at"], change))

    for rep_id, territory_id in reps:
        stores = org.stores_by_territory[territory_id]
        for day in range(HISTORY_DAYS, 0, -1):
            # Working hours 09:30-19:00 China time = 01:30-11:00 UTC (times are naive UTC).
            t = (now - timedelta(days=day)).replace(hour=1, minute=30, second=0) + timedelta(minutes=rng.randrange(30))
            for store_id, lat, lon in rng.sample(stores, rng.choice((5, 6, 6, 7))):
                vid = new_id()
                minutes = rng.randrange(20, 50)
                out = t + timedelta(minutes=minutes)
                received = out + timedelta(minutes=rng.randrange(1, 120))  # synced later that day
                common = {"rep_id": rep_id, "received_at": received, "store_id": store_id}
                add(
                    Visit,
                    common
                    | {
                        "id": vid,
                        "checked_in_at": t,
                        "check_in_latitude": lat + rng.gauss(0, 0.0002),
                        "check_in_longitude": lon + rng.gauss(0, 0.0002),
                        "check_in_accuracy_m": round(rng.uniform(5, 40), 1),
                        "check_in_distance_m": round(abs(rng.gauss(0, 25)), 1),
                        "off_site": False,
                        "checked_out_at": out,
                        "check_out_latitude": lat,
                        "check_out_longitude": lon,
                        "check_out_accuracy_m": 12.0,
                        "check_out_distance_m": 8.0,
                        "check_out_received_at": received,
                        "notes": "",
                    },
                    "visit",
                    territory_id,
                    store_id,
                )
                answers = cat.answers(rng)
                check_id = new_id()
                add(
                    DisplayCheck,
                    common
                    | {
                        "id": check_id,
                        "visit_id": vid,
                        "checked_at": t + timedelta(minutes=5),
                        "answers": answers,
                        "score": cat.score(answers),
                        "notes": "",
                    },
                    "display_check",
                    territory_id,
                    store_id,
                )
                links.append({"photo_id": new_id(), "record_type": "display_check", "record_id": check_id})
                for _ in range(rng.choice((2, 3))):
                    product_id, cmodel_id, shelf, promo = cat.price(rng)
                    add(
                        PriceObservation,
                        common
                        | {
                            "id": new_id(),
                            "visit_id": vid,
                            "product_id": product_id,
                            "competitor_model_id": cmodel_id,
                            "shelf_price": shelf,
                            "promo_price": promo,
                            "promo_text": "以旧换新立减" if promo is not None else "",
                            "observed_at": t + timedelta(minutes=10),
                        },
                        "price_observation",
                        territory_id,
                        store_id,
                    )
                for _ in range(rng.choice((1, 2))):
                    add(
                        StockMovement,
                        common
                        | {
                            "id": new_id(),
                            "material_id": rng.choice(cat.material_ids),
                            "visit_id": vid,
                            "kind": rng.choice(("delivered", "used", "used", "counted")),
                            "quantity": rng.randrange(1, 20),
                            "recorded_at": t + timedelta(minutes=15),
                            "note": "",
                        },
                        "stock_movement",
                        territory_id,
                        store_id,
                    )
                if rng.random() < 0.03:
                    add(
                        IntelReport,
                        {
                            "id": new_id(),
                            "rep_id": rep_id,
                            "received_at": received,
                            "kind": rng.choice(("renovation", "moving", "closing")),
                            "name": "门店装修中",
                            "address": "",
                            "latitude": lat,
                            "longitude": lon,
                            "accuracy_m": 15.0,
                            "store_id": store_id,
                            "territory_id": territory_id,
                            "notes": "",
                            "status": "pending",
                            "reported_at": t + timedelta(minutes=18),
                        },
                        "intel_report",
                        territory_id,
                        store_id,
                    )
                t = out + timedelta(minutes=rng.randrange(15, 45))
    for model, model_rows in rows.items():
        insert_in_chunks(model, model_rows)
    insert_in_chunks(PhotoLink, links)
    changes.sort(key=lambda c: c[0])
    insert_in_chunks(SyncChange, [c for _, c in changes])
    counts = {model.__tablename__: len(model_rows) for model, model_rows in rows.items()}
    return counts | {"photo_links": len(links), "sync_changes": len(changes)}


# --- a phone --------------------------------------------------------------------------------


def _iso(dt: datetime) -> str:
    return dt.isoformat() + "Z"


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


class Phone:
    """One installation of the app: its client id, HLC clock and mutation counter.

    `seen` is what the rep's phones last pulled of the field clocks of stores and contacts
    ((entity, id) -> {field: hlc}), shared by the rep's phones, so an edit's `base` names the
    value the rep saw and nothing is reported as a conflict.
    """

    def __init__(self, name: str, seen: dict):
        self.client_id = f"bench-{name}-{uuid.uuid4().hex[:8]}"
        self.clock = Clock(self.client_id)
        self.next_id = 1
        self.seen = seen
        self.undo: dict[int, list[tuple[dict, str, str | None]]] = {}  # mutation id -> what it changed in seen

    def mutation(self, name: str, args: dict) -> dict:
        m = {"id": self.next_id, "name": name, "args": args, "hlc": self.clock.now().encode()}
        self.next_id += 1
        return m

    def edit(self, name: str, entity: str, key, args: dict, changed: dict) -> dict:
        """A store or contact edit with `base` = the field clocks last seen; remembers its own."""
        known = self.seen.setdefault((entity, str(key)), {})
        m = self.mutation(name, args | {"fields": changed, "base": {f: known.get(f, ORIGIN) for f in changed}})
        self.undo[m["id"]] = [(known, f, known.get(f)) for f in changed]
        for f in changed:
            known[f] = m["hlc"]
        return m

    def drop(self, mutations: list[dict]) -> None:
        """Forget mutations made but never sent (the last ones): ids and what they taught `seen`."""
        for m in reversed(mutations):
            for known, f, previous in reversed(self.undo.pop(m["id"], [])):
                if previous is None:
                    known.pop(f, None)
                else:
                    known[f] = previous
        if mutations:
            self.next_id = mutations[0]["id"]

    def body(self, mutations: list[dict]) -> bytes:
        return _json(
            {"client_id": self.client_id, "protocol_version": 1, "app_version": "bench", "mutations": mutations}
        )


def _visit_mutations(
    phone: Phone, stores: list, contacts: dict, cat: Catalogue, rng: random.Random, t: datetime
) -> list[dict]:
    """What the app queues for one visit that starts at `t`."""
    store_id, lat, lon = rng.choice(stores)
    vid = str(uuid.uuid4())
    at = _iso
    out = [
        phone.mutation(
            "visit.check_in",
            {
                "id": vid,
                "store_id": store_id,
                "checked_in_at": at(t),
                "latitude": round(lat + rng.gauss(0, 0.0002), 6),
                "longitude": round(lon + rng.gauss(0, 0.0002), 6),
                "accuracy_m": round(rng.uniform(5, 40), 1),
            },
        ),
        phone.mutation(
            "display.check",
            {
                "id": str(uuid.uuid4()),
                "visit_id": vid,
                "checked_at": at(t + timedelta(minutes=4)),
                "answers": cat.answers(rng),
                "notes": "",
            },
        ),
    ]
    for _ in range(rng.choice((2, 3))):
        product_id, cmodel_id, shelf, promo = cat.price(rng)
        args = {
            "id": str(uuid.uuid4()),
            "store_id": store_id,
            "visit_id": vid,
            "shelf_price": str(shelf),
            "observed_at": at(t + timedelta(minutes=8)),
        }
        args |= {"product_id": product_id} if product_id is not None else {"competitor_model_id": cmodel_id}
        if promo is not None:
            args |= {"promo_price": str(promo), "promo_text": "以旧换新立减"}
        out.append(phone.mutation("price.observe", args))
    for _ in range(rng.choice((1, 2))):
        out.append(
            phone.mutation(
                "stock.move",
                {
                    "id": str(uuid.uuid4()),
                    "store_id": store_id,
                    "material_id": rng.choice(cat.material_ids),
                    "visit_id": vid,
                    "kind": rng.choice(("delivered", "used", "used", "counted")),
                    "quantity": rng.randrange(1, 20),
                    "recorded_at": at(t + timedelta(minutes=12)),
                },
            )
        )
    r = rng.random()
    if r < 0.05:
        out.append(
            phone.mutation(
                "intel.report",
                {
                    "id": str(uuid.uuid4()),
                    "kind": "renovation",
                    "name": "门店装修中",
                    "latitude": lat,
                    "longitude": lon,
                    "accuracy_m": 15,
                    "store_id": store_id,
                    "reported_at": at(t + timedelta(minutes=14)),
                },
            )
        )
    elif r < 0.07:  # a new counter of a competitor nearby: checked against known stores
        out.append(
            phone.mutation(
                "intel.report",
                {
                    "id": str(uuid.uuid4()),
                    "kind": "new_competitor_counter",
                    "name": "华为授权体验店",
                    "latitude": round(lat + 0.0003, 6),
                    "longitude": round(lon + 0.0003, 6),
                    "accuracy_m": 20,
                    "reported_at": at(t + timedelta(minutes=14)),
                },
            )
        )
    if rng.random() < 0.06:  # a correction of the store's details
        changed = (
            {"address": f"中山路{rng.randrange(1, 999)}号"}
            if rng.random() < 0.5
            else {"latitude": round(lat + rng.gauss(0, 0.00005), 6), "longitude": round(lon + rng.gauss(0, 0.00005), 6)}
        )
        out.append(phone.edit("store.update", "store", store_id, {"store_id": store_id}, changed))
    if rng.random() < 0.08:  # a new promoter
        fields = {"name": rng.choice(CONTACT_NAMES), "role": "promoter", "phone": _phone_number(rng)}
        cid = str(uuid.uuid4())
        out.append(phone.edit("contact.upsert", "contact", cid, {"store_id": store_id, "id": cid}, fields))
    elif contacts.get(store_id) and rng.random() < 0.06:  # a known contact's new phone number
        cid = str(rng.choice(contacts[store_id]))
        args = {"store_id": store_id, "id": cid}
        out.append(phone.edit("contact.upsert", "contact", cid, args, {"phone": _phone_number(rng)}))
    out.append(
        phone.mutation(
            "visit.check_out",
            {
                "visit_id": vid,
                "checked_out_at": at(t + timedelta(minutes=25)),
                "latitude": lat,
                "longitude": lon,
                "accuracy_m": 12,
            },
        )
    )
    return out


def queue(phone: Phone, n: int, stores: list, contacts: dict, cat: Catalogue, rng: random.Random) -> list[dict]:
    """`n` mutations: visits half an hour apart (the last may be cut short), all in the past."""
    visits = math.ceil(n / 6)  # at least 6 mutations a visit: the last one ends an hour ago or earlier
    start = utcnow().replace(microsecond=0) - timedelta(hours=1, minutes=30 * visits)
    out: list[dict] = []
    t = start
    while len(out) < n:
        out.extend(_visit_mutations(phone, stores, contacts, cat, rng, t))
        t += timedelta(minutes=30)
    phone.drop(out[n:])  # the end of the last visit
    return out[:n]


def _mix(mutations: list[dict]) -> str:
    counts: dict[str, int] = {}
    for m in mutations:
        counts[m["name"]] = counts.get(m["name"], 0) + 1
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda kv: -kv[1]))


def push(caller: Caller, phone: Phone, mutations: list[dict]) -> dict:
    response = caller.post(PUSH_URL, phone.body(mutations))
    if response.status_code != 200:
        raise RuntimeError(f"push -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
    body = response.get_json()
    bad = [r for r in body["results"] if r["status"] != "applied"]
    if bad or len(body["results"]) != len(mutations):
        first = bad[0] if bad else body["results"][-1:]
        raise RuntimeError(f"push: {len(bad)} of {len(mutations)} not applied; first: {first}")
    return body


# --- pull -----------------------------------------------------------------------------------


class PullRun:
    """One pull followed to the end (has_more false): items, pages, bodies."""

    def __init__(self) -> None:
        self.items = 0
        self.pages = 0
        self.bodies: list[bytes] = []
        self.cursor: str | None = None
        self.snapshot = False
        self.kinds: dict[str, int] = {}

    @property
    def raw_bytes(self) -> int:
        return sum(len(b) for b in self.bodies)

    @property
    def gzip_bytes(self) -> int:
        return sum(len(gzip.compress(b)) for b in self.bodies)

    def describe(self) -> str:
        return (
            f"{self.items:,} items in {self.pages} page{'s' if self.pages != 1 else ''}, "
            f"{self.raw_bytes / 1024:,.0f} KB JSON, {self.gzip_bytes / 1024:,.0f} KB gzipped"
        )


def pull_all(caller: Caller, client_id: str, cursor: str | None, limit: int | None) -> PullRun:
    run = PullRun()
    while True:
        params = {"client_id": client_id}
        if limit is not None:
            params["limit"] = limit
        if cursor:
            params["cursor"] = cursor
        body = caller.get(f"{PULL_URL}?{urlencode(params)}").get_data()
        page = json.loads(body)
        run.bodies.append(body)
        run.pages += 1
        run.items += len(page["changes"])
        run.snapshot = run.snapshot or page["snapshot"]
        for item in page["changes"]:
            run.kinds[item["entity"]] = run.kinds.get(item["entity"], 0) + 1
        cursor = page["cursor"]
        if not page["has_more"]:
            run.cursor = cursor
            return run


# --- the benchmark --------------------------------------------------------------------------


@dataclass
class World:
    cat: Catalogue
    contacts: dict[int, list[uuid.UUID]]  # live contact ids by store
    pull_stores: list  # (id, lat, lon) of the pulling rep's territory
    push_stores: list
    pull_api: Caller  # the rep whose first pull is timed
    push_api: Caller  # the rep whose pushes are timed
    colleague_api: Caller  # a second rep in the pulling rep's territory
    manager_api: Caller  # their manager


def build(app, rng: random.Random) -> World:
    """The organisation, catalogue, contacts and history (see the module docstring)."""
    with app.app_context():
        start = time.perf_counter()
        now = utcnow().replace(microsecond=0)
        org = build_org(N_STORES)
        for stores in org.stores_by_territory.values():
            stores.sort()  # the same data on SQLite and PostgreSQL, whatever order the rows came in
        cat = Catalogue()
        region_of = {t.id: t.region_id for t in db.session.scalars(select(Territory))}
        code_of = {tid: code for code, tid in org.territory_ids.items()}
        reps = {
            code_of[tid]: make_user(f"rep_{code_of[tid]}", "rep", territory_id=tid)
            for tid in sorted(org.stores_by_territory)
        }
        pull_tid, push_tid = org.territory_ids[PULL_TERRITORY], org.territory_ids[PUSH_TERRITORY]
        colleague = make_user(f"rep_{PULL_TERRITORY}_2", "rep", territory_id=pull_tid)
        manager = make_user("manager", "manager", region_id=region_of[pull_tid])
        db.session.commit()
        contacts = _contacts(org, rng, now)
        history = [(u.id, u.territory_id) for u in reps.values()] + [(colleague.id, pull_tid)]
        counts = _history(history, org, region_of, cat, rng, now)
        analyze()
        pull_stores, push_stores = org.stores_by_territory[pull_tid], org.stores_by_territory[push_tid]
        note(
            f"sync: {org.store_count:,} stores ({len(pull_stores)} in {PULL_TERRITORY}, {len(push_stores)} in "
            f"{PUSH_TERRITORY}), {sum(len(c) for c in contacts.values()):,} live contacts, "
            + ", ".join(f"{n:,} {table}" for table, n in counts.items())
            + f" for {len(history)} reps; built in {time.perf_counter() - start:.1f} s"
        )
        return World(
            cat,
            contacts,
            pull_stores,
            push_stores,
            pull_api=Caller(app, reps[PULL_TERRITORY]),
            push_api=Caller(app, reps[PUSH_TERRITORY]),
            colleague_api=Caller(app, colleague),
            manager_api=Caller(app, manager),
        )


def run() -> None:
    log(f"sync: {N_STORES:,} stores, one rep per territory with {HISTORY_DAYS} days of history")
    rng = random.Random(11)
    with scratch_app("sync") as app:
        w = build(app, rng)
        cat, contacts, pull_stores, push_stores = w.cat, w.contacts, w.pull_stores, w.push_stores
        push_api, pull_api, colleague_api, manager_api = w.push_api, w.pull_api, w.colleague_api, w.manager_api

        # -- push
        seen: dict = {}
        warm = Phone("warmup", seen)
        push(push_api, warm, queue(warm, 100, push_stores, contacts, cat, rng))
        for n, repeats in PUSH_SIZES:
            samples, cpu, mixes = [], [], []
            for i in range(repeats):
                phone = Phone(f"push{n}-{i}", seen)
                mutations = queue(phone, n, push_stores, contacts, cat, rng)
                mixes.append(mutations)
                t, c = time.perf_counter(), time.process_time()
                push(push_api, phone, mutations)
                samples.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
            rates = sorted(n / (ms / 1000) for ms in samples)
            spread = f" (slowest {rates[0]:,.0f})" if repeats > 1 else ""
            record(
                f"sync push {n:,} mutations",
                samples,
                f"{n * 1000 / statistics.median(samples):,.0f} mutations/s{spread}, all applied; "
                f"CPU of this process {statistics.median(cpu):,.0f} ms; {_mix(mixes[0])}",
            )

        # -- first pull
        phone_a = Phone("pull-a", {})
        for label, limit in (("default limit", None), (f"limit={MAX_LIMIT}", MAX_LIMIT)):
            samples, first = timed(lambda limit=limit: pull_all(pull_api, phone_a.client_id, None, limit), PULL_REPEATS)
            assert first.snapshot
            record(f"sync first pull, {label}", samples, first.describe())
        log("    items: " + ", ".join(f"{k} {v:,}" for k, v in first.kinds.items()))
        cursor = first.cursor

        # -- incremental pull: the rep's other phone pushes, a manager and a colleague edit
        phone_b = Phone("pull-b", {})
        mutations = queue(phone_b, INCREMENTAL_MUTATIONS, pull_stores, contacts, cat, rng)
        push(pull_api, phone_b, mutations)
        store_id = pull_stores[0][0]
        edits = [
            manager_api.patch(f"/api/v1/stores/{store_id}", _json({"tier": "A", "name": "中山旗舰店"})),
            colleague_api.put(
                f"/api/v1/stores/{pull_stores[1][0]}/contacts/{uuid.uuid4()}",
                _json({"name": "林晓", "role": "promoter", "phone": "13800138000"}),
            ),
            colleague_api.post(
                "/api/v1/visits",
                _json(
                    {
                        "id": str(uuid.uuid4()),
                        "store_id": pull_stores[2][0],
                        "checked_in_at": _iso(utcnow().replace(microsecond=0) - timedelta(minutes=5)),
                        "latitude": pull_stores[2][1],
                        "longitude": pull_stores[2][2],
                        "accuracy_m": 10,
                    }
                ),
            ),
        ]
        for r in edits:
            if r.status_code not in (200, 201):
                raise RuntimeError(f"REST edit -> {r.status_code}: {r.get_data(as_text=True)[:300]}")
        samples, inc = timed(lambda: pull_all(pull_api, phone_a.client_id, cursor, None), INCREMENTAL_REPEATS, warmup=2)
        assert not inc.snapshot
        record(
            "sync incremental pull",
            samples,
            f"after {INCREMENTAL_MUTATIONS} mutations from another phone and {len(edits)} REST edits: "
            + inc.describe(),
        )
        samples, idle = timed(lambda: pull_all(pull_api, phone_a.client_id, inc.cursor, None), INCREMENTAL_REPEATS)
        record("sync pull, nothing new", samples, idle.describe())
