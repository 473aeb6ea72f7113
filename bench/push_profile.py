"""Where a sync push's time and SQL go: 1,000 mixed mutations in batches of 200, statements by kind.

    python -m bench.push_profile [--mutations 1000] [--batch 200] [--stores 600] [--repeat 1] [--profile [N]]
                                 [--profile-out FILE]

A small organisation (bench/data.py), the demo's catalogue and one rep; a new phone queues the
rep's mixed mutations as the app does (bench/sync.py: visits with display checks, prices, stock
movements, check-outs, now and then intel, a store correction, a contact) and pushes them through
the Flask test client, in batches. A `before_cursor_execute` listener counts every statement the
pushes send, grouped by kind (SAVEPOINT / RELEASE / ROLLBACK TO, SELECT / INSERT / UPDATE /
DELETE per table, the rest by their first word), apart for the push requests themselves and for
the jobs they dispatch after the commit (in-process here, as without Redis: the price rollup).
Prints statements per mutation by kind and the wall time of the pushes and of the jobs.

`--profile` runs the last push of --mutations under cProfile (the standard library's; the web
worker's Python CPU is what is left to cut) and prints the N functions (30 by default) with the
most time of their own and the N with the most time inside them; its wall time is then not
counted in the median (the profiler slows the code it watches).

SQLite in a temporary directory by default; BENCH_DATABASE_URL names a PostgreSQL database to
create, use and drop (its name should say "bench"), as for `python -m bench.run`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import random
import re
import statistics
import time
from collections import Counter
from contextlib import contextmanager

from sqlalchemy import event, select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.jobs import outbox
from backend.org.models import Territory

from .common import Caller, analyze, database_label, log, scratch_app
from .data import build_org, make_user
from .sync import Catalogue, Phone, _contacts, _mix, push, queue

_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def kind_of(statement: str) -> str:
    """'SELECT stores', 'INSERT visits', 'SAVEPOINT', 'RELEASE'… for one SQL statement."""
    text = statement.lstrip().lstrip("(").lstrip()
    verb = text.split(None, 1)[0].upper() if text else "?"
    if verb == "ROLLBACK" and "SAVEPOINT" in text.upper():
        return "ROLLBACK TO SAVEPOINT"
    if verb in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
        if verb == "SELECT" and "pg_advisory" in text:
            return "SELECT pg_advisory_xact_lock"
        match = _TABLE.search(text)
        return f"{verb} {match.group(1) if match else '?'}"
    return verb


class Counts:
    """Statements by phase ('push', 'jobs') and kind, from a `before_cursor_execute` listener."""

    def __init__(self) -> None:
        self.phase = "push"
        self.by_phase: dict[str, Counter] = {"push": Counter(), "jobs": Counter()}

    def listen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.by_phase[self.phase][kind_of(statement)] += 1

    @contextmanager
    def as_phase(self, phase: str):
        previous, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = previous


def report(label: str, counter: Counter, n_mutations: int, seconds: float) -> None:
    total = sum(counter.values())
    log(f"  {label}: {total:,} statements, {total / n_mutations:.2f} per mutation, {seconds * 1000:,.0f} ms")
    for kind, count in counter.most_common():
        log(f"    {count / n_mutations:7.3f}/mutation  {count:6,}  {kind}")


def run(
    n_mutations: int, batch: int, n_stores: int, repeat: int = 1, profile: int = 0, profile_out: str | None = None
) -> None:
    log(f"push profile: {n_mutations:,} mutations in batches of {batch}; database: {database_label()}")
    rng = random.Random(13)
    with scratch_app("push-profile") as app:
        with app.app_context():
            org = build_org(n_stores)
            for stores in org.stores_by_territory.values():
                stores.sort()
            cat = Catalogue()
            contacts = _contacts(org, rng, utcnow())
            territory_id = max(org.stores_by_territory, key=lambda t: len(org.stores_by_territory[t]))
            rep = make_user("rep_push", "rep", territory_id=territory_id)
            region_id = db.session.scalar(select(Territory.region_id).where(Territory.id == territory_id))
            make_user("manager_push", "manager", region_id=region_id)
            db.session.commit()
            api = Caller(app, rep)
            analyze()
        stores = org.stores_by_territory[territory_id]
        seen: dict = {}
        warm = Phone("warmup", seen)
        push(api, warm, queue(warm, 50, stores, contacts, cat, rng))  # schemas, caches, first connection

        with app.app_context():
            engine = db.engine
        walls, pushes_s, jobs_s = [], [], []
        for run_no in range(repeat):
            counts = Counts()
            phone = Phone(f"profile-{run_no}", seen)
            mutations = queue(phone, n_mutations, stores, contacts, cat, rng)
            if run_no == 0:
                log(f"  {len(stores)} stores in the rep's territory; mix: {_mix(mutations)}")
            wall, job_seconds = _timed_pushes(api, phone, mutations, batch, counts, engine)
            walls.append(wall)
            pushes_s.append(wall - job_seconds)
            jobs_s.append(job_seconds)
        # The jobs run at the end of each request, inside the wall time measured: they are taken out.
        report("push requests", counts.by_phase["push"], n_mutations, statistics.median(pushes_s))
        report("jobs they dispatched (price rollup)", counts.by_phase["jobs"], n_mutations, statistics.median(jobs_s))
        spread = ", ".join(f"{w * 1000:,.0f}" for w in walls)
        log(
            f"  wall time of the {math.ceil(n_mutations / batch)} pushes, jobs included: median "
            f"{statistics.median(walls) * 1000:,.0f} ms of {repeat} run(s) ({spread} ms); statements from the last run"
        )
        if profile:
            phone = Phone("profile-cprofile", seen)
            mutations = queue(phone, n_mutations, stores, contacts, cat, rng)
            profiler = cProfile.Profile()
            profiler.enable()
            wall, _ = _timed_pushes(api, phone, mutations, batch, Counts(), engine)
            profiler.disable()
            _print_profile(profiler, profile, wall)
            if profile_out:
                profiler.dump_stats(profile_out)
                log(f"  profile saved to {profile_out} (python -m pstats {profile_out})")


def _print_profile(profiler: cProfile.Profile, top: int, wall: float) -> None:
    log(f"  profile of one more push of the mutations (cProfile; {wall * 1000:,.0f} ms under the profiler):")
    for sort, title in (("tottime", "own time"), ("cumulative", "time inside")):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(sort).print_stats(top)
        text = out.getvalue()
        log(f"  -- by {title} --")
        log(text[text.index("   ncalls") :].rstrip())


def _timed_pushes(api, phone, mutations: list[dict], batch: int, counts: Counts, engine) -> tuple[float, float]:
    """Push `mutations` in batches, counting statements; (wall seconds, seconds of the jobs)."""
    dispatch = outbox.dispatch
    job_seconds = 0.0

    def timed_dispatch(ids):
        nonlocal job_seconds
        start = time.perf_counter()
        with counts.as_phase("jobs"):
            dispatch(ids)
        job_seconds += time.perf_counter() - start

    event.listen(engine, "before_cursor_execute", counts.listen)
    outbox.dispatch = timed_dispatch
    try:
        start = time.perf_counter()
        for i in range(0, len(mutations), batch):
            push(api, phone, mutations[i : i + batch])
        wall = time.perf_counter() - start
    finally:
        outbox.dispatch = dispatch
        event.remove(engine, "before_cursor_execute", counts.listen)
    return wall, job_seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.push_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--mutations", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--stores", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=1, help="pushes of --mutations, each from a new phone (median)")
    parser.add_argument(
        "--profile", type=int, nargs="?", const=30, default=0, help="one more push under cProfile: top N functions"
    )
    parser.add_argument("--profile-out", default=None, help="also save the cProfile stats to this file (pstats)")
    args = parser.parse_args(argv)
    run(args.mutations, args.batch, args.stores, args.repeat, args.profile, args.profile_out)


if __name__ == "__main__":
    main()
