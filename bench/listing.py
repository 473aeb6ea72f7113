"""Paginated lists: GET /api/v1/stores (50,000 stores) and GET /api/v1/visits (200,000 visits).

Stores: the first page, a middle page, a text search, a territory filter, and a rep's list
(territory-scoped). Visits: HQ (every visit), a regional manager and one rep, newest first.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from datetime import timedelta
from urllib.parse import quote

from backend.auth.models import User
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.visits.models import Visit

from .common import Caller, analyze, insert_in_chunks, log, note, record, scratch_app, timed, total_of
from .data import build_org, make_user

PAGE_SIZE = 50
REPS = 300
REPEATS = 20


def _visit_rows(org, rep_territory: dict[int, int], n_visits: int, rng: random.Random) -> list[dict]:
    """About six months of visits: each rep at the stores of their territory, in working hours."""
    now = utcnow().replace(microsecond=0)
    reps = list(rep_territory)
    rows = []
    for _ in range(n_visits):
        rep_id = rng.choice(reps)
        store_id, lat, lon = rng.choice(org.stores_by_territory[rep_territory[rep_id]])
        day = now - timedelta(days=rng.randrange(1, 181))
        checked_in = day.replace(hour=rng.randrange(9, 20), minute=rng.randrange(60), second=rng.randrange(60))
        # Usually within a few tens of metres; now and then from across the street or farther.
        spread = 40 if rng.random() < 0.95 else rng.uniform(150, 2000)
        dy, dx = rng.gauss(0, spread), rng.gauss(0, spread)
        distance = round(math.hypot(dx, dy), 1)
        accuracy = round(rng.uniform(5, 60), 1)
        checked_out = checked_in + timedelta(minutes=rng.randrange(8, 90)) if rng.random() < 0.96 else None
        rows.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "received_at": checked_in + timedelta(seconds=rng.randrange(1, 3600)),
                "rep_id": rep_id,
                "store_id": store_id,
                "checked_in_at": checked_in,
                "check_in_latitude": lat + dy / 110_574,
                "check_in_longitude": lon + dx / (111_320 * math.cos(math.radians(lat))),
                "check_in_accuracy_m": accuracy,
                "check_in_distance_m": distance,
                "off_site": distance > 150 + accuracy,
                "checked_out_at": checked_out,
                "check_out_latitude": lat if checked_out else None,
                "check_out_longitude": lon if checked_out else None,
                "check_out_accuracy_m": accuracy if checked_out else None,
                "check_out_distance_m": 12.0 if checked_out else None,
                "check_out_received_at": checked_out + timedelta(seconds=30) if checked_out else None,
                "notes": "",
            }
        )
    return rows


def run(n_stores: int, n_visits: int) -> None:
    log(f"list: {n_stores:,} stores, {n_visits:,} visits by {REPS} reps")
    rng = random.Random(7)
    with scratch_app("list") as app:
        with app.app_context():
            start = time.perf_counter()
            org = build_org(n_stores)
            hq = make_user("hq", "hq")
            manager = make_user("manager_gd", "manager", region_id=org.region_ids["GD"])
            # Reps in proportion to each territory's stores, at least one per territory.
            territories = sorted(org.stores_by_territory, key=lambda t: -len(org.stores_by_territory[t]))
            placement = list(territories)
            weights = [len(org.stores_by_territory[t]) for t in territories]
            placement += rng.choices(territories, weights=weights, k=REPS - len(placement))
            rep_territory = {}
            for i, territory_id in enumerate(placement):
                rep_territory[make_user(f"rep{i:03d}", "rep", territory_id=territory_id).id] = territory_id
            db.session.commit()
            busiest_rep = next(iter(rep_territory))  # the rep placed first, in the biggest territory
            note(f"list: {org.store_count:,} stores inserted in {time.perf_counter() - start:.1f} s")
            t = time.perf_counter()
            rows = _visit_rows(org, rep_territory, n_visits, rng)
            insert_in_chunks(Visit, rows, chunk=20_000)
            del rows
            analyze()
            note(f"list: {n_visits:,} visits generated and inserted in {time.perf_counter() - t:.1f} s")
            territory = territories[0]
            rep_user = db.session.get(User, busiest_rep)
            hq_api, manager_api, rep_api = Caller(app, hq), Caller(app, manager), Caller(app, rep_user)

        def case(name: str, caller: Caller, url: str) -> None:
            samples, response = timed(lambda: caller.get(url), REPEATS, warmup=2)
            record(name, samples, f"{total_of(response)} rows match, page of {len(response.json)}")

        stores = f"/api/v1/stores?page_size={PAGE_SIZE}"
        middle = max(1, math.ceil(n_stores / PAGE_SIZE) // 2)
        case("stores list hq page 1", hq_api, f"{stores}&page=1")
        case(f"stores list hq page {middle}", hq_api, f"{stores}&page={middle}")
        case("stores list hq q=苏宁 page 1", hq_api, f"{stores}&page=1&q={quote('苏宁')}")
        case("stores list hq territory page 1", hq_api, f"{stores}&page=1&territory_id={territory}")
        case("stores list rep page 1", rep_api, f"{stores}&page=1")
        case("stores list manager page 1", manager_api, f"{stores}&page=1")

        visits = f"/api/v1/visits?page_size={PAGE_SIZE}"
        case("visits list hq page 1", hq_api, f"{visits}&page=1")
        deep = max(1, min(100, math.ceil(n_visits / PAGE_SIZE) // 2))
        case(f"visits list hq page {deep}", hq_api, f"{visits}&page={deep}")
        case("visits list manager page 1", manager_api, f"{visits}&page=1")
        case("visits list rep page 1", rep_api, f"{visits}&page=1")
