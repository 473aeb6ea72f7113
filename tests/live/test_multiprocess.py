"""Sync guarantees through a real multi-process server (gunicorn, three workers).

With one clock per process, a REST edit answered by a process that had not seen a fast phone
clock lost the merge silently (200, value unchanged) in about half of the calls, and resolving a
conflict with the value that lost changed nothing. The clock tests run against a server whose
every request is answered by a process that never answered another (`fresh_process_server`).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.intel.models import PriceObservation
from backend.visits.models import Visit
from sync_protocol import HLC, Clock
from tests.factories import iso

ROUNDS = 12


def _ahead(seconds: int, node: str) -> str:
    """An HLC from a phone whose clock runs `seconds` fast (inside the allowed drift)."""
    return HLC(int(time.time() * 1000) + seconds * 1000, 0, node).encode()


def _push(http, client_id: str, mutations: list[dict]) -> dict:
    body = {"client_id": client_id, "protocol_version": 1, "app_version": "live", "mutations": mutations}
    for _ in range(30):
        r = http.post("/api/v1/sync/push", json=body)
        if r.status_code == 503:  # nothing applied: retry as the phone would
            time.sleep(0.05)
            continue
        assert r.status_code == 200, r.text
        return r.json()
    raise AssertionError("push still 503 after 30 tries")


def test_rest_edit_after_a_fast_phone_clock_sticks_on_every_process(http_fresh, world):
    rep, manager = http_fresh(world.rep_a1), http_fresh(world.manager_a)
    store_id = world.store_a1.id
    client_id = f"fast-{uuid.uuid4().hex[:8]}"
    for i in range(ROUNDS):
        out = _push(
            rep,
            client_id,
            [
                {
                    "id": i + 1,
                    "name": "store.update",
                    "args": {"store_id": store_id, "fields": {"name": f"phone {i}"}},
                    "hlc": _ahead(180, client_id),
                }
            ],
        )
        assert out["results"][0]["status"] in ("applied", "merged"), out
        r = manager.patch(f"/api/v1/stores/{store_id}", json={"name": f"desk {i}"})
        assert r.status_code == 200, r.text
        assert r.json()["name"] == f"desk {i}", f"round {i}: the REST edit lost to the phone's clock"
        assert manager.get(f"/api/v1/stores/{store_id}").json()["name"] == f"desk {i}"


def test_resolving_with_the_lost_value_applies_it_on_every_process(http_fresh, world):
    rep_fast, rep_slow = http_fresh(world.rep_a1), http_fresh(world.rep_a1)
    manager = http_fresh(world.manager_a)
    store_id = world.store_a1.id
    fast_id, slow_id = f"fast-{uuid.uuid4().hex[:8]}", f"slow-{uuid.uuid4().hex[:8]}"
    for i in range(ROUNDS):
        # Two phones edit the address without seeing each other's edit; the fast clock wins.
        for http_, client_id, value, hlc in (
            (rep_fast, fast_id, f"fast {i}", _ahead(200, fast_id)),
            (rep_slow, slow_id, f"slow {i}", _ahead(0, slow_id)),
        ):
            _push(
                http_,
                client_id,
                [
                    {
                        "id": i + 1,
                        "name": "store.update",
                        "args": {"store_id": store_id, "fields": {"address": value}, "base": {}},
                        "hlc": hlc,
                    }
                ],
            )
        conflicts = manager.get(
            "/api/v1/sync/conflicts", params={"entity": "store", "entity_id": str(store_id), "resolved": "false"}
        ).json()
        lost = [c for c in conflicts if c["lost_value"] == f"slow {i}"]
        assert len(lost) == 1, conflicts
        r = manager.post(f"/api/v1/sync/conflicts/{lost[0]['id']}/resolve", json={"use": "lost"})
        assert r.status_code == 200, r.text
        assert manager.get(f"/api/v1/stores/{store_id}").json()["address"] == f"slow {i}", (
            f"round {i}: resolving with the value that lost changed nothing"
        )


def test_concurrent_pushes_retries_and_pulls_apply_each_mutation_once(http, world):
    """Six phones push at once (each batch also sent twice in parallel, as a retry racing the
    original would be), while a manager pulls: every mutation is applied exactly once, every
    client ends at its last id, and the manager's replica ends equal to a fresh snapshot."""
    stores = [world.store_a1, world.store_a1b]
    store_ids = [s.id for s in stores]
    positions = {s.id: (s.latitude, s.longitude) for s in stores}
    model_id = world.competitor_model.id
    pushers = [(http(world.rep_a1), f"p{n}-{uuid.uuid4().hex[:6]}") for n in range(3)]
    pushers += [(http(world.rep_a1b), f"q{n}-{uuid.uuid4().hex[:6]}") for n in range(3)]
    when = iso(utcnow().replace(microsecond=0) - timedelta(minutes=30))
    batches: dict[str, list[list[dict]]] = {}
    for n, (_h, client_id) in enumerate(pushers):
        clock, next_id, mine = Clock(client_id), 1, []
        for b in range(4):
            batch = []
            for k in range(5):
                store_id = store_ids[(n + b + k) % len(store_ids)]
                if k % 2:
                    name, args = (
                        "price.observe",
                        {
                            "id": str(uuid.uuid4()),
                            "store_id": store_id,
                            "competitor_model_id": model_id,
                            "shelf_price": "2499.00",
                            "observed_at": when,
                        },
                    )
                else:
                    lat, lon = positions[store_id]
                    name, args = (
                        "visit.check_in",
                        {
                            "id": str(uuid.uuid4()),
                            "store_id": store_id,
                            "checked_in_at": when,
                            "latitude": lat,
                            "longitude": lon,
                            "accuracy_m": 10,
                        },
                    )
                batch.append({"id": next_id, "name": name, "args": args, "hlc": clock.now().encode()})
                next_id += 1
            mine.append(batch)
        batches[client_id] = mine

    outcomes: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run(h, client_id):
        try:
            for batch in batches[client_id]:
                answers: list[dict] = []

                def send(batch=batch, answers=answers):
                    answers.append(_push(h, client_id, batch))

                twins = [threading.Thread(target=send) for _ in range(2)]
                for t in twins:
                    t.start()
                for t in twins:
                    t.join()
                with lock:
                    for answer in answers:
                        for result in answer["results"]:
                            outcomes.append((client_id, result["id"], result["status"]))
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=p) for p in pushers]
    for t in threads:
        t.start()
    manager = http(world.manager_a)
    seen: set[tuple[str, str]] = set()
    cursor, pages = None, 0

    def pull_page(limit: int) -> dict:
        nonlocal cursor, pages
        r = manager.get("/api/v1/sync/pull", params={"limit": limit} | ({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        page = r.json()
        seen.update((c["entity"], c["id"]) for c in page["changes"] if c.get("op", "put") == "put")
        cursor, pages = page["cursor"], pages + 1
        return page

    while any(t.is_alive() for t in threads) or pages == 0:
        pull_page(50)
    for t in threads:
        t.join()
    assert not errors, errors
    while pull_page(200)["has_more"]:  # the pull that ran alongside, continued to the end
        pass

    # Each mutation applied exactly once across the twin answers; the other answer: duplicate.
    by_mutation = Counter((c, i) for c, i, s in outcomes if s == "applied")
    expected = {(c, m["id"]) for c, bs in batches.items() for b in bs for m in b}
    assert set(by_mutation) == expected
    assert set(by_mutation.values()) == {1}
    assert {s for _c, _i, s in outcomes} <= {"applied", "duplicate"}
    db.session.expire_all()
    visit_ids = [m["args"]["id"] for bs in batches.values() for b in bs for m in b if m["name"] == "visit.check_in"]
    price_ids = [m["args"]["id"] for bs in batches.values() for b in bs for m in b if m["name"] == "price.observe"]
    assert db.session.scalar(select(func.count()).select_from(Visit)) == len(visit_ids)
    assert db.session.scalar(select(func.count()).select_from(PriceObservation)) == len(price_ids)
    for h, client_id in pushers:
        r = h.get("/api/v1/sync/pull", params={"client_id": client_id, "limit": 1})
        assert r.json()["last_mutation_id"] == 20
    fresh: set[tuple[str, str]] = set()
    fresh_cursor = None
    while True:
        params = {"limit": 500} | ({"cursor": fresh_cursor} if fresh_cursor else {})
        page = manager.get("/api/v1/sync/pull", params=params).json()
        fresh.update((c["entity"], c["id"]) for c in page["changes"] if c.get("op", "put") == "put")
        fresh_cursor = page["cursor"]
        if not page["has_more"]:
            break
    pushed = {("visit", v) for v in visit_ids} | {("price_observation", p) for p in price_ids}
    assert pushed <= seen, f"the pull that ran alongside missed {sorted(pushed - seen)[:5]}"
    assert pushed <= fresh, sorted(pushed - fresh)[:5]
