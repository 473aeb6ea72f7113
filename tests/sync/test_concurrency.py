"""Concurrent pushes, REST writes and pulls on PostgreSQL (SQLite has one writer at a time).

Eight clients push batches at once while a REST writer edits and moves stores, two threads push
the very same batches of one client in parallel (a retry racing the original), and three pulls
run throughout. Every thread has its own Flask test client, and every request runs in its own
app context with its own session. A push answered 503 (a deadlock between two pushes editing the
same stores, say) is retried as a phone would: nothing of it was applied.

Afterwards: every record exists exactly once (or its mutation was rejected, never both), every
client's last_mutation_id is its last id, each mutation was reported applied/rejected exactly
once across all answers, and each pull that ran alongside the writers — from a snapshot, or
from the very start of the change log — ends equal to a fresh snapshot after one last pull, and
saw every entity that was committed.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from backend.auth.models import User
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.intel.models import PriceObservation
from backend.stock.models import StockMovement
from backend.stores.models import StoreContact
from backend.sync.models import SyncClient
from backend.sync.service import _scope
from backend.visits.models import Visit
from sync_protocol import Clock, Cursor, encode_cursor
from tests.factories import ApiClient, iso
from tests.sync.helpers import Device, apply_changes, key, snapshot

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
)

BATCHES = 12
BATCH_SIZE = 5
TWIN_BATCHES = 8
PUSHERS = ["rep_a1", "rep_a1b", "rep_a2", "rep_b1", "manager_a", "manager_b", "rep_a1", "manager_a"]


def ago(minutes: int) -> str:
    return iso(utcnow().replace(microsecond=0) - timedelta(minutes=minutes))


class Pusher:
    """One client: its queued batches, and every answer it got."""

    def __init__(self, app, world, plain, username: str, stores: list, contacts: list[tuple[str, int]], seed: int):
        self.api = ApiClient(app.test_client(), world.users[username])  # token made in the main thread
        self.client_id = f"conc-{username}-{uuid.uuid4().hex[:6]}"
        self.clock = Clock(self.client_id)
        self.rng = random.Random(seed)
        self.plain = plain  # ids as plain values: threads must not touch the main thread's objects
        self.stores = stores
        self.contacts = contacts
        self.next_id = 1
        self.batches: list[list[dict]] = []
        self.results: list[dict] = []  # every result of every 200 answer
        self.retries = 0

    def make_batches(self, count: int) -> None:
        for _ in range(count):
            batch = []
            for _ in range(BATCH_SIZE):
                batch.append(self.mutation())
            self.batches.append(batch)

    def mutation(self) -> dict:
        store = self.rng.choice(self.stores)
        kind = self.rng.choice(["check_in", "move", "price", "store", "contact_new", "contact_edit"])
        if kind == "check_in":
            name, args = (
                "visit.check_in",
                {
                    "id": str(uuid.uuid4()),
                    "store_id": store.id,
                    "checked_in_at": ago(60),
                    "latitude": store.latitude,
                    "longitude": store.longitude,
                    "accuracy_m": 10,
                },
            )
        elif kind == "move":
            name, args = (
                "stock.move",
                {
                    "id": str(uuid.uuid4()),
                    "store_id": store.id,
                    "material_id": self.plain.material,
                    "kind": "delivered",
                    "quantity": self.rng.randint(1, 9),
                    "recorded_at": ago(30),
                },
            )
        elif kind == "price":
            name, args = (
                "price.observe",
                {
                    "id": str(uuid.uuid4()),
                    "store_id": store.id,
                    "competitor_model_id": self.plain.competitor_model,
                    "shelf_price": "2499.00",
                    "observed_at": ago(20),
                },
            )
        elif kind == "store":
            name, args = (
                "store.update",
                {
                    "store_id": store.id,
                    "fields": {self.rng.choice(["name", "address"]): f"{self.client_id} {self.next_id}"},
                },
            )
        elif kind == "contact_new":
            name, args = (
                "contact.upsert",
                {
                    "store_id": store.id,
                    "id": str(uuid.uuid4()),
                    "fields": {"name": f"新 {self.next_id}", "role": "promoter", "phone": "13800000000"},
                },
            )
        else:
            contact_id, store_id = self.rng.choice(self.contacts)
            name, args = "contact.upsert", {"store_id": store_id, "id": contact_id, "fields": {"phone": "13911112222"}}
        m = {"id": self.next_id, "name": name, "args": args, "hlc": self.clock.now().encode()}
        self.next_id += 1
        return m

    def push(self, batch: list[dict]) -> None:
        body = {"client_id": self.client_id, "protocol_version": 1, "app_version": "conc", "mutations": batch}
        for attempt in range(30):
            r = self.api.post("/api/v1/sync/push", json=body)
            if r.status_code == 503:  # transient (e.g. a deadlock victim): nothing applied, try again
                assert r.headers["Retry-After"]
                self.retries += 1
                time.sleep(0.01 * (attempt + 1))
                continue
            assert r.status_code == 200, r.json
            assert r.json["last_mutation_id"] >= batch[-1]["id"]
            self.results.extend(r.json["results"])
            return
        raise AssertionError(f"{self.client_id}: still 503 after 30 tries")

    def run(self) -> None:
        for batch in self.batches:
            self.push(batch)


class Puller:
    """Pulls over and over while the writers run; keeps the union of everything it was sent."""

    def __init__(self, app, user, cursor: str | None):
        self.api = ApiClient(app.test_client(), user)
        self.cursor = cursor
        self.replica: dict = {}
        self.pending: dict | None = None
        self.seen: set[tuple[str, str]] = set()
        self.pages = 0

    def pull_to_end(self) -> None:
        while True:
            params = {"limit": 25}
            if self.cursor:
                params["cursor"] = self.cursor
            r = self.api.get("/api/v1/sync/pull", query_string=params)
            assert r.status_code == 200, r.json
            page = r.json
            assert page["reset"] is False
            self.pages += 1
            self.seen.update(key(i) for i in page["changes"])
            if page["snapshot"]:
                if self.pending is None:
                    self.pending = {}
                apply_changes(self.pending, page["changes"])
                if not page["has_more"]:
                    self.replica, self.pending = self.pending, None
            else:
                if self.pending is not None:
                    self.replica, self.pending = self.pending, None
                apply_changes(self.replica, page["changes"])
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return

    def run(self, writers_done: threading.Event) -> None:
        while not writers_done.is_set():
            self.pull_to_end()
            time.sleep(0.001)


def run_threads(targets: list) -> tuple[list[threading.Thread], list[BaseException]]:
    errors: list[BaseException] = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # reported below
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guard(t)) for t in targets]
    for t in threads:
        t.start()
    return threads, errors


def test_concurrent_pushes_rest_writes_and_pulls(app, world, api):
    admin = api(world.admin)
    store = {
        name: SimpleNamespace(id=s.id, latitude=s.latitude, longitude=s.longitude)
        for name in ("store_a1", "store_a1b", "store_a2", "store_b1")
        for s in [getattr(world, name)]
    }
    plain = SimpleNamespace(
        material=world.material.id,
        competitor_model=world.competitor_model.id,
        terr_a1=world.terr_a1.id,
        terr_a2=world.terr_a2.id,
        **store,
    )
    contacts = []
    for s in store.values():
        cid = str(uuid.uuid4())
        r = admin.put(f"/api/v1/stores/{s.id}/contacts/{cid}", json={"name": "共享", "role": "owner"})
        assert r.status_code == 201
        contacts.append((cid, s.id))
    scope_stores = {
        "rep_a1": [plain.store_a1, plain.store_a1b],
        "rep_a1b": [plain.store_a1, plain.store_a1b],
        "rep_a2": [plain.store_a2],
        "rep_b1": [plain.store_b1],
        "manager_a": [plain.store_a1, plain.store_a1b, plain.store_a2],
        "manager_b": [plain.store_b1],
    }
    pushers = []
    for i, name in enumerate(PUSHERS):
        stores = scope_stores[name]
        own = [c for c in contacts if any(c[1] == s.id for s in stores)]
        pusher = Pusher(app, world, plain, name, stores, own or contacts, seed=i)
        pusher.make_batches(BATCHES)
        pushers.append(pusher)
    # The twins: one client, two threads sending the same batches at the same moment.
    twin = Pusher(
        app,
        world,
        plain,
        "rep_a1b",
        scope_stores["rep_a1b"],
        [c for c in contacts if c[1] in (plain.store_a1.id, plain.store_a1b.id)],
        99,
    )
    twin.make_batches(TWIN_BATCHES)
    twin_b = Pusher(app, world, plain, "rep_a1b", [], [], 0)
    twin_b.client_id, twin_b.clock = twin.client_id, twin.clock
    barrier = threading.Barrier(2)

    def twin_thread(p: Pusher):
        def run():
            for batch in twin.batches:
                barrier.wait(timeout=60)
                p.push(batch)

        return run

    # REST, alongside: a rep's visits, and an admin who edits stores and moves one back and forth.
    rest_rep = ApiClient(app.test_client(), world.rep_a1)
    rest_admin = ApiClient(app.test_client(), world.admin)
    rest_visits: list[str] = []

    def rest_writer():
        for i in range(12):
            vid = str(uuid.uuid4())
            body = {
                "id": vid,
                "store_id": plain.store_a1.id,
                "checked_in_at": ago(50),
                "latitude": plain.store_a1.latitude,
                "longitude": plain.store_a1.longitude,
                "accuracy_m": 5,
            }
            for _attempt in range(30):
                r = rest_rep.post("/api/v1/visits", json=body)
                if r.status_code != 503:
                    break
            assert r.status_code == 201, r.json
            rest_visits.append(vid)
            patch = (
                {"territory_id": plain.terr_a2 if i % 2 == 0 else plain.terr_a1}
                if i % 4 in (0, 1)
                else {"tier": "ABC"[i % 3]}
            )
            target = plain.store_a1b.id if "territory_id" in patch else plain.store_a2.id
            for _attempt in range(30):
                r = rest_admin.patch(f"/api/v1/stores/{target}", json=patch)
                if r.status_code != 503:
                    break
            assert r.status_code == 200, r.json

    hq_cursor_zero = encode_cursor(Cursor(0, _scope(world.hq), None))
    pullers = {
        "hq from a snapshot": Puller(app, world.hq, None),
        "hq from seq 0": Puller(app, world.hq, hq_cursor_zero),
        "rep_a1 from a snapshot": Puller(app, world.rep_a1, None),
    }
    users = {name: p.api.user.id for name, p in pullers.items()}
    db.session.commit()  # the main thread holds no transaction while the threads run
    db.session.close()

    writers_done = threading.Event()
    writer_threads, writer_errors = run_threads(
        [p.run for p in pushers] + [twin_thread(twin), twin_thread(twin_b), rest_writer]
    )
    puller_threads, puller_errors = run_threads([lambda p=p: p.run(writers_done) for p in pullers.values()])
    for t in writer_threads:
        t.join(timeout=300)
    writers_done.set()
    for t in puller_threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in writer_threads + puller_threads), "a thread hung"
    assert not writer_errors and not puller_errors, writer_errors + puller_errors

    # --- exactly once ------------------------------------------------------------------------------
    db.session.expire_all()
    outcome: dict[tuple[str, int], str] = {}
    errors: dict[tuple[str, int], dict] = {}
    for p in pushers + [twin]:
        results = p.results + (twin_b.results if p is twin else [])
        told = Counter(r["id"] for r in results if r["status"] != "duplicate")
        ids = [m["id"] for batch in p.batches for m in batch]
        assert sorted(told) == ids and set(told.values()) == {1}, p.client_id  # one real answer each
        for r in results:
            if r["status"] != "duplicate":
                outcome[(p.client_id, r["id"])] = r["status"]
                errors[(p.client_id, r["id"])] = r.get("error")
        last = db.session.scalar(select(SyncClient.last_mutation_id).where(SyncClient.client_id == p.client_id))
        assert last == ids[-1], p.client_id
    assert twin.results and twin_b.results

    queued = [(p.client_id, m) for p in pushers + [twin] for batch in p.batches for m in batch]
    creations = {"visit.check_in": Visit, "stock.move": StockMovement, "price.observe": PriceObservation}
    for name, model in creations.items():
        accepted = {
            uuid.UUID(m["args"]["id"])
            for cid, m in queued
            if m["name"] == name and outcome[(cid, m["id"])] in ("applied", "merged")
        }
        if name == "visit.check_in":
            accepted |= {uuid.UUID(v) for v in rest_visits}
        have = set(db.session.scalars(select(model.id)))
        assert have == accepted, (name, len(have), len(accepted))
    n_moves = sum(1 for cid, m in queued if m["name"] == "stock.move" and outcome[(cid, m["id"])] == "applied")
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == n_moves
    new_contacts = {
        uuid.UUID(m["args"]["id"])
        for cid, m in queued
        if m["name"] == "contact.upsert" and "name" in m["args"]["fields"] and outcome[(cid, m["id"])] == "applied"
    }
    assert set(db.session.scalars(select(StoreContact.id))) == new_contacts | {uuid.UUID(c) for c, _ in contacts}
    # Rejections only where the moving store was out of a rep's territory for a moment.
    rejected = [(cid, m) for cid, m in queued if outcome[(cid, m["id"])] == "rejected"]
    assert all(m["args"]["store_id"] == plain.store_a1b.id for _c, m in rejected), [
        (m["name"], m["args"]["store_id"], errors[(c, m["id"])])
        for c, m in rejected
        if m["args"]["store_id"] != plain.store_a1b.id
    ]

    # --- pulls miss nothing ---------------------------------------------------------------------------
    for name, puller in pullers.items():
        puller.pull_to_end()  # one last pull, now that the writers are done
        fresh = Puller(app, db.session.get(User, users[name]), None)
        fresh.pull_to_end()
        assert puller.replica.keys() == fresh.replica.keys(), (
            name,
            sorted(puller.replica.keys() ^ fresh.replica.keys()),
        )
        stale = [k for k in fresh.replica if puller.replica[k] != fresh.replica[k]]
        assert not stale, (name, stale[:5])
        assert set(fresh.replica) <= puller.seen, name
        assert puller.pages > 3, name
    # Everything created during the run reached the pulls that may see it.
    everything = pullers["hq from seq 0"].seen
    for cid, m in queued:
        if m["name"] in creations and outcome[(cid, m["id"])] == "applied":
            entity = {"visit.check_in": "visit", "stock.move": "stock_movement", "price.observe": "price_observation"}
            assert (entity[m["name"]], m["args"]["id"]) in everything
    by_entity = defaultdict(int)
    for entity, _id in pullers["hq from a snapshot"].seen:
        by_entity[entity] += 1
    assert by_entity["visit"] >= len(rest_visits)


def test_a_contact_added_while_its_store_moves_reaches_the_new_territory(app, world, api, monkeypatch):
    """The race behind a missed change: a store moves (A1 → A2) while a contact is added to it.
    The mover lists the store's contacts to log them in the new territory; the contact's own
    transaction logs it in the territory it reads for the store. One of the two must see the
    other: here the mover has listed the contacts (and not found the new one) just before the
    contact's transaction commits."""
    from backend.sync import changelog

    store_id, a2 = world.store_a1b.id, world.terr_a2.id
    rep_a2 = Device(api(world.rep_a2))
    _items, cursor, _ = rep_a2.pull_all()
    mover_api = ApiClient(app.test_client(), world.admin)
    adder_api = ApiClient(app.test_client(), world.rep_a1b)
    db.session.commit()
    db.session.close()

    mover_listed, mover_go = threading.Event(), threading.Event()
    real_rows = changelog._rows
    mover = None  # the thread that moves the store, set below

    def rows(session, pending):
        out = real_rows(session, pending)
        if threading.current_thread() is mover:
            mover_listed.set()
            assert mover_go.wait(30)
        return out

    monkeypatch.setattr(changelog, "_rows", rows)
    answers = {}
    contact_id = str(uuid.uuid4())

    def move():
        answers["move"] = mover_api.patch(f"/api/v1/stores/{store_id}", json={"territory_id": a2})

    def add():
        answers["add"] = adder_api.put(
            f"/api/v1/stores/{store_id}/contacts/{contact_id}", json={"name": "新来的", "role": "promoter"}
        )

    mover = threading.Thread(target=move)
    adder = threading.Thread(target=add)
    mover.start()
    assert mover_listed.wait(30)
    adder.start()
    adder.join(0.5)  # the contact commits now, unless the mover's lock holds it back
    mover_go.set()
    mover.join(30)
    adder.join(30)
    assert answers["move"].status_code == 200, answers["move"].json
    assert answers["add"].status_code == 201, answers["add"].json  # it read the store in A1, committed

    items, _cursor, _ = rep_a2.pull_all(cursor)
    ops = {key(i): i["op"] for i in items}
    assert ops[("store", str(store_id))] == "put"
    assert ops.get(("contact", contact_id)) == "put", ops
    assert ("contact", contact_id) in snapshot(rep_a2)
