"""What the scale benchmarks of HQ's screens share (`bench/channel_scale.py`,
`bench/quality_scale.py`): our models' shares of the units, the readers the screens are asked
as, and the timed requests of each screen against the 300 ms limit."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select

from backend.auth.models import User
from backend.extensions import db
from backend.stores.models import Store

from .common import Caller, note, record
from .data import make_user

MODEL_WEIGHTS = {  # share of the units shipped (and sold), by model (as bench/warranty.py)
    "XL-P50": 0.02,
    "XL-P30": 0.22,
    "XL-P30PRO": 0.12,
    "XL-F1": 0.03,
    "XL-N10": 0.13,
    "XL-A7": 0.18,
    "XL-A5": 0.20,
    "XL-P20": 0.10,
}


@dataclass
class Readers:
    hq: User
    manager: User  # the manager of 广东 (GD)
    manager_region: int
    clerk: User  # a clerk at the first active store (the cards' registering user)


def make_readers(org, after_manager=None) -> Readers:
    """HQ, the manager of 广东 and a clerk at the first active store (flushed, not committed).
    `after_manager()`: users to make between the manager and the clerk (the channel's rep), so
    each benchmark's users keep their ids."""
    hq = make_user("hq", "hq")
    region = org.region_ids["GD"]
    manager = make_user("manager_GD", "manager", region_id=region)
    if after_manager is not None:
        after_manager()
    some_store = db.session.scalar(select(func.min(Store.id)).where(Store.status == "active"))
    clerk = make_user("clerk_bench", "clerk", store_id=some_store)
    return Readers(hq, manager, region, clerk)


def cycle(items: list, n: int) -> list:
    """`n` items taken in turn from `items` (none if there are none)."""
    return [items[i % len(items)] for i in range(n)] if items else []


def time_screens(label: str, plans: dict[str, tuple[Caller, list[str]]], n: int, limit_ms: float) -> None:
    """Each plan's URLs asked `n` times in turn after one warm-up, recorded as "<label>: <name>"
    with its p95 against `limit_ms`; a plan with nothing to ask for, or whose warm-up fails, is
    noted and skipped (the others are timed)."""
    for name, (caller, urls) in plans.items():
        if not urls:
            note(f"{label}: {name}: nothing to ask for")
            continue
        urls = cycle(urls, n)
        try:
            caller.get(urls[0])  # warm-up
        except RuntimeError as exc:  # an endpoint missing or failing: say so, time the others
            note(f"{label}: {name}: {exc}")
            continue
        samples = []
        for url in urls:
            start = time.perf_counter()
            caller.get(url)
            samples.append((time.perf_counter() - start) * 1000)
        result = record(f"{label}: {name}", samples, "")
        result.notes = f"p95 {'within' if result.p95_ms < limit_ms else 'OVER'} the {limit_ms:.0f} ms limit"
        if result.p95_ms >= limit_ms:
            note(f"{label}: {name} p95 {result.p95_ms:.0f} ms is over {limit_ms:.0f} ms")
