"""A simulation of offline devices syncing over a bad network, against the real app.

Three devices — rep_a1's phone, rep_a1b's phone (same territory: they share stores) and
manager_a's tablet — make random offline edits, pushes and pulls in random interleavings, while
the network drops requests, drops responses and delivers requests twice, the server now and then
fails a push half-way (a transient database error), and an admin edits and moves stores and
prunes the change log behind the devices' backs. Each device keeps

* a replica built ONLY from pulls: (entity, id) → {"data", "clock"}, replaced whole when the
  server answers `reset` and the new snapshot completes (SPEC I.4);
* an outbox of queued mutations, with consecutive ids and HLCs from its own clock (skewed by
  up to a minute and a half, and advanced by every `server_hlc` it receives), from which it drops
  mutations only when a push response acknowledges them (SPEC I.3, client rules).

At the end every outbox is flushed and every device pulls to the end over a reliable network.
Then:

(a) each device's replica equals a fresh snapshot of its scope — data and field clocks, every
    field: nothing in these entities is computed at read time from other rows that change
    without a change-log row (the one such field, an intel report's `duplicate_candidates`, is
    only filled for reports without a store, which the simulation does not make), so no field
    needs to be ignored;
(b) every mutation ever queued was processed exactly once: either it is recorded as rejected
    with a reason (one `sync_rejections` row, never two) and left no trace, or it took effect —
    its record exists (one row per UUID; the stock ledger has exactly one row per accepted
    movement and nothing else), its check-out is on the visit, and every store and contact field
    holds the value of the accepted edit with the greatest HLC, with that HLC in its clock
    (last-writer-wins, whatever order the edits arrived in); and what each device was told agrees
    with that.

Seeds are fixed so a failure replays exactly; the file stays well under a minute on SQLite.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.intel.models import IntelReport, PriceObservation
from backend.stock.models import StockMovement
from backend.stores.models import Store, StoreContact
from backend.sync import mutations as sync_mutations
from backend.sync.models import SyncChange, SyncClient, SyncRejection
from backend.sync.service import prune_changes
from backend.visits.models import DisplayCheck, Visit
from sync_protocol import HLC, Clock
from tests.factories import ApiClient, iso
from tests.sync.helpers import apply_changes, now_ms

SEEDS = [11, 23, 37, 41, 59, 73, 89, 97]
STEPS = 120  # about 40 operations per device

P_DROP_REQUEST = 0.12
P_DROP_RESPONSE = 0.12
P_DUPLICATE = 0.10
P_SERVER_FAILS = 0.05

REP_FIELDS = {"name": None, "address": None, "kind": ["counter", "shop"]}
MANAGER_FIELDS = REP_FIELDS | {"tier": ["A", "B", "C"]}
CONTACT_ROLES = ["promoter", "store_manager", "owner", "other"]

CREATES = {
    "visit.check_in": Visit,
    "display.check": DisplayCheck,
    "stock.move": StockMovement,
    "price.observe": PriceObservation,
    "intel.report": IntelReport,
}


@dataclass
class Queued:
    """A mutation as the device queued it, and what the device was told about it."""

    client_id: str
    body: dict
    seen: list[str] = field(default_factory=list)  # statuses in the push responses it saw


class SimDevice:
    def __init__(self, name: str, client: ApiClient, rng: random.Random, skew_ms: int):
        self.name = name
        self.api = client
        self.rng = rng
        self.client_id = f"{name}-{uuid.uuid4().hex[:8]}"
        self.clock = Clock(self.client_id, now_ms=lambda: now_ms() + skew_ms)
        self.next_id = 1
        self.outbox: list[Queued] = []
        self.cursor: str | None = None
        self.replica: dict = {}
        self.pending: dict | None = None  # a snapshot being received, replaces the replica when done
        self.my_visits: list[str] = []  # visits this device checked in (for check-outs, display checks)
        self.checked_out: set[str] = set()
        self.my_contacts: dict[str, int] = {}  # contact id → store id, created on this device

    # --- queueing ---------------------------------------------------------------------------

    def queue(self, name: str, args: dict, ledger: list[Queued]) -> None:
        m = {"id": self.next_id, "name": name, "args": args, "hlc": self.clock.now().encode()}
        self.next_id += 1
        q = Queued(self.client_id, m)
        self.outbox.append(q)
        ledger.append(q)

    def stores(self) -> list[int]:
        return sorted(int(i) for (e, i) in self.replica if e == "store")

    def contacts(self) -> list[tuple[str, int]]:
        known = {i: v["data"]["store_id"] for (e, i), v in self.replica.items() if e == "contact"}
        known.update(self.my_contacts)
        return sorted(known.items())

    def clock_of(self, entity: str, entity_id) -> dict:
        item = self.replica.get((entity, str(entity_id)))
        return dict(item["clock"] or {}) if item else {}

    # --- the network --------------------------------------------------------------------------

    def _deliver(self, send, reliable: bool):
        """Send through the faulty network: None when the device gets no answer."""
        if reliable:
            return send()
        roll = self.rng.random()
        if roll < P_DROP_REQUEST:
            return None  # never reached the server
        if roll < P_DROP_REQUEST + P_DROP_RESPONSE:
            send()  # the server did it; the answer is lost in a lift
            return None
        if roll < P_DROP_REQUEST + P_DROP_RESPONSE + P_DUPLICATE:
            first, second = send(), send()  # delivered twice; either answer may arrive
            return self.rng.choice([first, second])
        return send()

    def push(self, reliable: bool = False) -> None:
        if not self.outbox:
            return
        size = len(self.outbox) if reliable else self.rng.randint(1, len(self.outbox))
        batch = self.outbox[:size]
        body = {
            "client_id": self.client_id,
            "protocol_version": 1,
            "app_version": "sim",
            "mutations": [q.body for q in batch],
        }

        def send():
            return self.api.post("/api/v1/sync/push", json=body)

        if not reliable and self.rng.random() < P_SERVER_FAILS:
            with server_fails_at(self.rng.randrange(size)):
                resp = send()
            assert resp.status_code in (200, 503), resp.json  # 200 when it failed on a duplicate
        else:
            resp = self._deliver(send, reliable)
        if resp is None or resp.status_code == 503:
            if resp is not None:
                assert resp.headers["Retry-After"]
            return  # keep everything, retry later
        assert resp.status_code == 200, resp.json
        self.clock.update(HLC.parse(resp.json["server_hlc"]))
        by_id = {r["id"]: r for r in resp.json["results"]}
        assert sorted(by_id) == [q.body["id"] for q in batch]
        for q in batch:
            result = by_id[q.body["id"]]
            q.seen.append(result["status"])
            if result["status"] == "rejected":
                assert result["error"]["code"] and result["error"]["message"], result
        acknowledged = resp.json["last_mutation_id"]
        assert acknowledged >= batch[-1].body["id"]
        self.outbox = [q for q in self.outbox if q.body["id"] > acknowledged]

    def pull(self, reliable: bool = False, pages: int | None = None) -> None:
        """Follow has_more (to the end, or for a few pages) through the network."""
        done = 0
        while pages is None or done < pages:
            params = {"client_id": self.client_id, "limit": 7}
            if self.cursor:
                params["cursor"] = self.cursor

            def send(params=params):
                return self.api.get("/api/v1/sync/pull", query_string=params)

            resp = self._deliver(send, reliable)
            done += 1
            if resp is None:
                if reliable:  # pragma: no cover
                    raise AssertionError("a reliable pull got no answer")
                return
            assert resp.status_code == 200, resp.json
            page = resp.json
            self.clock.update(HLC.parse(page["server_hlc"]))
            self._store_page(page)
            if not page["has_more"]:
                return

    def _store_page(self, page: dict) -> None:
        """Apply one page and keep its cursor, as one local transaction (SPEC I.4)."""
        if page["reset"]:
            self.pending = {}  # a fresh snapshot: it replaces everything once complete
        if page["snapshot"]:
            if self.pending is None:
                self.pending = {}  # the first snapshot of a new device
            apply_changes(self.pending, page["changes"])
            if not page["has_more"]:
                self.replica, self.pending = self.pending, None
        else:
            if self.pending is not None:  # the snapshot completed with the previous page
                self.replica, self.pending = self.pending, None
            apply_changes(self.replica, page["changes"])
        self.cursor = page["cursor"]


@contextmanager
def server_fails_at(k: int):
    """Make the k-th mutation handler call of the next request raise a transient DB error."""
    calls = {"n": 0}
    original = dict(sync_mutations.HANDLERS)

    def wrap(handler):
        def failing(actor, args, m):
            calls["n"] += 1
            if calls["n"] > k:
                raise OperationalError("UPDATE …", {}, Exception("could not serialize access"))
            return handler(actor, args, m)

        return failing

    sync_mutations.HANDLERS.update({name: wrap(h) for name, h in original.items()})
    try:
        yield
    finally:
        sync_mutations.HANDLERS.update(original)


# --- the random operations -----------------------------------------------------------------------------


def minutes_ago(m: int) -> str:
    return iso(utcnow().replace(microsecond=0) - timedelta(minutes=m))


class Simulation:
    def __init__(self, seed: int, app, world, api):
        self.rng = random.Random(seed)
        self.world = world
        self.admin = api(world.admin)
        self.all_stores = [world.store_a1.id, world.store_a1b.id, world.store_a2.id, world.store_b1.id]
        self.ledger: list[Queued] = []
        self.devices = [
            SimDevice("rep-a1", api(world.rep_a1), self.rng, self.rng.randint(-90_000, 30_000)),
            SimDevice("rep-a1b", api(world.rep_a1b), self.rng, self.rng.randint(-90_000, 30_000)),
            SimDevice("mgr-a", api(world.manager_a), self.rng, self.rng.randint(-90_000, 30_000)),
        ]
        self.roles = {"rep-a1": "rep", "rep-a1b": "rep", "mgr-a": "manager"}
        self.counter = 0

    def store_for(self, d: SimDevice) -> int:
        mine = d.stores()
        if not mine or self.rng.random() < 0.1:
            return self.rng.choice(self.all_stores)  # out of scope, or moved: the server refuses
        return self.rng.choice(mine)

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.02:
            self.admin_edit()
        elif roll < 0.03:
            self.admin_move()
        elif roll < 0.04:
            self.admin_prune()
        else:
            d = self.rng.choice(self.devices)
            ops = [
                (self.check_in, 10),
                (self.check_out, 5),
                (self.display_check, 3),
                (self.stock_move, 10),
                (self.price, 5),
                (self.intel, 2),
                (self.store_update, 12),
                (self.contact_create, 5),
                (self.contact_edit, 8),
                (self.contact_delete, 3),
                (lambda d: d.push(), 16),
                (lambda d: d.pull(pages=self.rng.choice([1, 2, None])), 12),
            ]
            op = self.rng.choices([o for o, _ in ops], weights=[w for _, w in ops])[0]
            op(d)

    # device operations: each queues one mutation

    def check_in(self, d: SimDevice) -> None:
        visit_id = str(uuid.uuid4())
        store_id = self.store_for(d)
        store = db.session.get(Store, store_id)
        args = {
            "id": visit_id,
            "store_id": store_id,
            "checked_in_at": minutes_ago(60),
            "latitude": store.latitude,
            "longitude": store.longitude,
            "accuracy_m": 20,
        }
        d.queue("visit.check_in", args, self.ledger)
        d.my_visits.append(visit_id)

    def check_out(self, d: SimDevice) -> None:
        open_visits = [v for v in d.my_visits if v not in d.checked_out]
        if not open_visits:
            return self.check_in(d)
        visit_id = self.rng.choice(open_visits)
        d.checked_out.add(visit_id)
        d.queue("visit.check_out", {"visit_id": visit_id, "checked_out_at": minutes_ago(20)}, self.ledger)

    def display_check(self, d: SimDevice) -> None:
        if not d.my_visits:
            return self.check_in(d)
        args = {
            "id": str(uuid.uuid4()),
            "visit_id": self.rng.choice(d.my_visits),
            "checked_at": minutes_ago(40),
            "answers": [{"item_id": self.world.number_item.id, "value": self.rng.randint(0, 4)}],
        }
        d.queue("display.check", args, self.ledger)

    def stock_move(self, d: SimDevice) -> None:
        kind = self.rng.choice(["delivered", "used", "returned", "counted"])
        args = {
            "id": str(uuid.uuid4()),
            "store_id": self.store_for(d),
            "material_id": self.world.material.id,
            "kind": kind,
            "quantity": self.rng.randint(0 if kind == "counted" else 1, 30),
            "recorded_at": minutes_ago(self.rng.randint(1, 50)),
        }
        d.queue("stock.move", args, self.ledger)

    def price(self, d: SimDevice) -> None:
        args = {
            "id": str(uuid.uuid4()),
            "store_id": self.store_for(d),
            "competitor_model_id": self.world.competitor_model.id,
            "shelf_price": f"{self.rng.randint(1999, 2999)}.00",
            "observed_at": minutes_ago(30),
        }
        d.queue("price.observe", args, self.ledger)

    def intel(self, d: SimDevice) -> None:
        store_id = self.store_for(d)
        store = db.session.get(Store, store_id)
        args = {
            "id": str(uuid.uuid4()),
            "kind": self.rng.choice(["renovation", "closing", "new_competitor_counter"]),
            "name": self.unique("情报"),
            "latitude": store.latitude,
            "longitude": store.longitude,
            "store_id": store_id,  # with a store: no duplicate candidates (see the module docstring)
            "reported_at": minutes_ago(25),
        }
        d.queue("intel.report", args, self.ledger)

    def store_update(self, d: SimDevice) -> None:
        store_id = self.store_for(d)
        allowed = MANAGER_FIELDS if self.roles[d.name] == "manager" else REP_FIELDS
        names = self.rng.sample(sorted(allowed), self.rng.randint(1, 2))
        fields = {f: self.rng.choice(allowed[f]) if allowed[f] else self.unique(f"{d.name} {f} ") for f in names}
        seen = d.clock_of("store", store_id)
        base = {f: seen[f] for f in names if f in seen}
        d.queue("store.update", {"store_id": store_id, "fields": fields, "base": base}, self.ledger)

    def contact_create(self, d: SimDevice) -> None:
        contact_id, store_id = str(uuid.uuid4()), self.store_for(d)
        fields = {
            "name": self.unique("联系人"),
            "role": self.rng.choice(CONTACT_ROLES),
            "phone": f"138{self.rng.randint(0, 99_999_999):08d}",
        }
        d.queue("contact.upsert", {"store_id": store_id, "id": contact_id, "fields": fields}, self.ledger)
        d.my_contacts[contact_id] = store_id

    def contact_edit(self, d: SimDevice) -> None:
        known = d.contacts()
        if not known:
            return self.contact_create(d)
        contact_id, store_id = self.rng.choice(known)
        f = self.rng.choice(["name", "role", "phone"])  # one field: an edit never creates (see oracle)
        value = {
            "name": self.unique("改名"),
            "role": self.rng.choice(CONTACT_ROLES),
            "phone": f"139{self.rng.randint(0, 99_999_999):08d}",
        }[f]
        seen = d.clock_of("contact", contact_id)
        args = {"store_id": store_id, "id": contact_id, "fields": {f: value}}
        if f in seen:
            args["base"] = {f: seen[f]}
        d.queue("contact.upsert", args, self.ledger)

    def contact_delete(self, d: SimDevice) -> None:
        known = d.contacts()
        if not known:
            return self.contact_create(d)
        contact_id, store_id = self.rng.choice(known)
        d.my_contacts.pop(contact_id, None)
        d.queue("contact.delete", {"store_id": store_id, "id": contact_id}, self.ledger)

    # the admin, through REST: fields the devices do not edit, so the oracle stays simple

    def admin_edit(self) -> None:
        store_id = self.rng.choice(self.all_stores)
        status = self.rng.choice(["prospect", "active", "closed"])
        r = self.admin.patch(f"/api/v1/stores/{store_id}", json={"status": status})
        assert r.status_code == 200, r.json

    def admin_move(self) -> None:
        """Move store A1-002 between the two territories of region A: it leaves and re-enters
        the reps' scope, never the manager's."""
        store = db.session.get(Store, self.world.store_a1b.id)
        target = self.world.terr_a2.id if store.territory_id == self.world.terr_a1.id else self.world.terr_a1.id
        r = self.admin.patch(f"/api/v1/stores/{store.id}", json={"territory_id": target})
        assert r.status_code == 200, r.json

    def admin_prune(self) -> None:
        db.session.execute(update(SyncChange).values(changed_at=utcnow() - timedelta(days=1)))
        db.session.commit()
        prune_changes(older_than_days=0)

    # --- the end ------------------------------------------------------------------------------------

    def finish(self) -> None:
        for d in self.devices:
            for _ in range(50):
                if not d.outbox:
                    break
                d.push(reliable=True)
            assert d.outbox == [], d.name
        for d in self.devices:
            d.pull(reliable=True)
            assert d.pending is None, d.name


def test_devices_converge_and_every_mutation_counts_once(app, world, api, seed):
    sim = Simulation(seed, app, world, api)
    for _ in range(STEPS):
        sim.step()
    sim.finish()
    db.session.expire_all()

    # (a) every replica is exactly its scope's current state
    for d in sim.devices:
        fresh = SimDevice(d.name, d.api, random.Random(0), 0)
        fresh.pull(reliable=True)
        assert d.replica.keys() == fresh.replica.keys(), (d.name, sorted(d.replica.keys() ^ fresh.replica.keys()))
        for k, item in fresh.replica.items():
            assert d.replica[k] == item, (d.name, k, d.replica[k], item)

    check_exactly_once(sim)


@pytest.fixture(params=SEEDS)
def seed(request) -> int:
    return request.param


def check_exactly_once(sim: Simulation) -> None:
    ledger = sim.ledger
    rejections = Counter((r.client_id, r.mutation_id) for r in db.session.scalars(select(SyncRejection)))
    assert max(rejections.values(), default=1) == 1, "a mutation was rejected twice"
    reasons = {(r.client_id, r.mutation_id): r.error for r in db.session.scalars(select(SyncRejection))}
    for d in sim.devices:
        last = db.session.scalar(select(SyncClient.last_mutation_id).where(SyncClient.client_id == d.client_id))
        assert last == d.next_id - 1, d.name

    rejected = set()
    for q in ledger:
        k = (q.client_id, q.body["id"])
        told = [s for s in q.seen if s != "duplicate"]
        assert len(told) <= 1, (q.body, q.seen)  # the real outcome is given once, at most
        if k in rejections:
            rejected.add(k)
            assert reasons[k]["code"] and reasons[k]["message"]
            assert told in ([], ["rejected"]), (q.body, q.seen)
        else:
            assert told in ([], ["applied"], ["merged"]), (q.body, q.seen, reasons.get(k))
    accepted = [q for q in ledger if (q.client_id, q.body["id"]) not in rejected]
    counts = Counter(q.body["name"] for q in ledger)
    assert counts["visit.check_in"] and counts["stock.move"] and counts["store.update"] and counts["contact.upsert"]
    assert rejected and accepted  # both outcomes occur (the seeds are chosen so)

    # Records: one row per accepted creation, none for a rejected one, nothing else.
    for name, model in CREATES.items():
        wanted = {uuid.UUID(q.body["args"]["id"]) for q in accepted if q.body["name"] == name}
        refused = {uuid.UUID(q.body["args"]["id"]) for q in ledger if q.body["name"] == name} - wanted
        have = set(db.session.scalars(select(model.id)))
        assert have == wanted, (name, have ^ wanted)
        assert not have & refused
    moves = [q.body["args"] for q in accepted if q.body["name"] == "stock.move"]
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == len(moves)
    for args in moves:
        row = db.session.get(StockMovement, uuid.UUID(args["id"]))
        assert (row.store_id, row.kind, row.quantity) == (args["store_id"], args["kind"], args["quantity"])

    # Check-outs: on the visit iff accepted.
    for q in ledger:
        if q.body["name"] != "visit.check_out":
            continue
        visit = db.session.get(Visit, uuid.UUID(q.body["args"]["visit_id"]))
        if q in accepted:
            assert visit is not None and visit.checked_out_at is not None
        else:
            assert visit is None or visit.checked_out_at is None, q.body

    # Stores and contacts: every field holds the accepted edit with the greatest HLC.
    expect: dict[tuple, dict[str, tuple[str, object]]] = defaultdict(dict)
    for q in accepted:
        name, args, hlc = q.body["name"], q.body["args"], q.body["hlc"]
        if name == "store.update":
            target = ("store", str(args["store_id"]))
        elif name == "contact.upsert":
            target = ("contact", args["id"])
        else:
            continue
        for f, value in args["fields"].items():
            if f not in expect[target] or hlc > expect[target][f][0]:
                expect[target][f] = (hlc, value)
    deleted = {q.body["args"]["id"] for q in accepted if q.body["name"] == "contact.delete"}
    for (entity, entity_id), fields in expect.items():
        row = (
            db.session.get(Store, int(entity_id))
            if entity == "store"
            else db.session.get(StoreContact, uuid.UUID(entity_id))
        )
        assert row is not None, (entity, entity_id)
        for f, (hlc, value) in fields.items():
            assert getattr(row, f) == value, (entity, entity_id, f)
            assert row.field_clock[f]["hlc"] == hlc, (entity, entity_id, f)
    for contact in db.session.scalars(select(StoreContact)):
        assert (contact.deleted_at is not None) == (str(contact.id) in deleted), contact.id
        assert ("contact", str(contact.id)) in expect  # made by an accepted upsert, not by anything else
