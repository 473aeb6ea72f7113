"""Where a rep's first pull spends its time: per page, in total, and a cProfile of one run.

    python -m bench.pull_profile --keep bench/out/pull [--out bodies.json] [--profile 25]

bench/sync.py's organisation and history (9,225 stores, the rep in 中山 with 300 stores and 90
days of history) are built once into a database that is kept between runs, so that the output
of two versions of the code can be compared on the same data: a SQLite file in the `--keep`
directory, or, with BENCH_DATABASE_URL, that PostgreSQL database (its name must contain
"bench"; drop it with --drop when done). The rep's first pull is then followed to the end
through the Flask test client, with the default page size and with limit=5000; `--out` writes
every page's body (the default page size's run), one per line, for comparison (each body's
`server_hlc` reads the clock, so it differs from run to run: set it aside when comparing).
`--user manager` pulls the manager's region instead (about 90,000 items of every kind).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backend import create_app
from backend.auth.models import User
from backend.extensions import db

from . import common, sync

CLIENT_ID = "pull-profile-phone"
REPEATS = 9


def _app(keep: Path):
    pg_url = os.environ.get("BENCH_DATABASE_URL")
    if pg_url:
        url = make_url(pg_url)
        if "bench" not in (url.database or ""):
            raise SystemExit("BENCH_DATABASE_URL must name a database whose name contains 'bench'.")
        uri = url.render_as_string(hide_password=False)
    else:
        keep.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{keep / 'pull.db'}"
    os.environ["DATABASE_URL"] = uri
    os.environ["PHOTO_DIR"] = str(keep / "photos")
    return create_app({"SQLALCHEMY_DATABASE_URI": uri, "PHOTO_DIR": str(keep / "photos"), "REDIS_URL": None})


def _built(app) -> bool:
    with app.app_context():
        try:
            return bool(db.session.scalar(select(func.count()).select_from(User).where(User.username == "rep_ZS")))
        except Exception:  # no schema yet
            db.session.rollback()
            return False


def pull_pages(caller: common.Caller, limit: int | None) -> tuple[list[bytes], list[float]]:
    bodies, times = [], []
    cursor = None
    while True:
        params = {"client_id": CLIENT_ID}
        if limit is not None:
            params["limit"] = limit
        if cursor:
            params["cursor"] = cursor
        start = time.perf_counter()
        body = caller.get(f"{sync.PULL_URL}?{urlencode(params)}").get_data()
        times.append((time.perf_counter() - start) * 1000)
        bodies.append(body)
        page = json.loads(body)
        cursor = page["cursor"]
        if not page["has_more"]:
            return bodies, times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pull_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, required=True, help="directory of the SQLite file (and photos)")
    parser.add_argument("--out", type=Path, help="write the default page size's bodies here, one per line")
    parser.add_argument("--profile", type=int, default=0, help="print this many cProfile entries of one run")
    parser.add_argument("--user", default="rep_ZS", help="whose first pull (default rep_ZS, the rep in 中山)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timed runs of each (default {REPEATS})")
    parser.add_argument("--drop", action="store_true", help="drop the PostgreSQL database and exit")
    args = parser.parse_args(argv)
    pg_url = os.environ.get("BENCH_DATABASE_URL")
    if args.drop:
        if pg_url:
            common._pg_drop(make_url(pg_url))
        return
    if pg_url and not _pg_exists(make_url(pg_url)):
        common._pg_create(make_url(pg_url))
    app = _app(args.keep)
    common.log(f"database: {common.database_label()}")
    if not _built(app):
        with app.app_context():
            common._quiet_upgrade()
        sync.build(app, random.Random(11))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == args.user))
        caller = common.Caller(app, user)
    for label, limit in (("default limit", None), ("limit=5000", sync.MAX_LIMIT)):
        bodies, _ = pull_pages(caller, limit)  # warm-up
        if limit is None and args.out:
            args.out.write_bytes(b"\n".join(bodies) + b"\n")
        runs, cpu = [], []
        for _ in range(args.repeats):
            start = time.process_time()
            runs.append(pull_pages(caller, limit)[1])
            cpu.append((time.process_time() - start) * 1000)
        totals = [sum(t) for t in runs]
        per_page = [statistics.median(t[i] for t in runs) for i in range(len(runs[0]))]
        items = sum(len(json.loads(b)["changes"]) for b in bodies)
        common.log(
            f"{label}: {len(bodies)} pages, {items:,} items, {sum(len(b) for b in bodies) / 1024:,.0f} KB JSON; "
            f"total median {statistics.median(totals):.0f} ms (min {min(totals):.0f}, max {max(totals):.0f}), "
            f"CPU of this process median {statistics.median(cpu):.0f} ms; "
            "per page (median ms): " + " ".join(f"{t:.0f}" for t in per_page)
        )
        for i, b in enumerate(bodies):
            kinds: dict[str, int] = {}
            for item in json.loads(b)["changes"]:
                kinds[item["entity"]] = kinds.get(item["entity"], 0) + 1
            common.log(f"    page {i + 1}: {per_page[i]:.0f} ms, {len(b) / 1024:,.0f} KB, {kinds}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        pull_pages(caller, None)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
        common.log(out.getvalue())


def _pg_exists(url) -> bool:
    with common._pg_admin(url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone() is not None


if __name__ == "__main__":
    main()
