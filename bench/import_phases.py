"""Where a shipment import's time goes: python -m bench.import_phases --reuse NAME [--rows N] [--modes M,M]

On a channel world kept by `python -m bench.channel_scale --keep` (PostgreSQL), one import of N
new units (ship dates over the last 30 days, rollups maintained) per mode, in turn: `ahead`
(IMPORT_READ_AHEAD on: the next batch read and checked in a thread while one loads) or `turn`
(off). For each: rows/s end to end, the loader's own time in its batches (`_commit_batch`:
statements, its Python, the commits), and each kind of statement's total time and count
(SQLAlchemy's cursor events: the server's time plus the driver's). Each import starts after a
CHECKPOINT. The world keeps the units loaded (drop it when done).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import event, text

from backend.extensions import db

from . import channel_scale as cs
from . import common
from .common import scratch_app
from .warranty import _describe_import, upload


def _statement_timer(totals: dict) -> tuple:
    def before(conn, _cursor, _statement, _parameters, _context, _executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, _cursor, statement, _parameters, _context, _executemany):
        kind = " ".join(statement.split()[:4])[:60]
        totals[kind][0] += 1
        totals[kind][1] += time.perf_counter() - conn.info.pop("bench_started")

    return before, after


def main(argv: list[str] | None = None) -> None:
    from backend.warranty import imports as loader

    parser = argparse.ArgumentParser(prog="python -m bench.import_phases", description=__doc__.split("\n")[0])
    parser.add_argument("--reuse", metavar="NAME", required=True, help="a database kept by bench.channel_scale")
    parser.add_argument("--rows", type=int, default=300_000, help="rows of each import (default 300000)")
    parser.add_argument("--modes", default="ahead,turn", help="imports in turn: ahead or turn (default ahead,turn)")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(modes) - {"ahead", "turn"}:
        raise SystemExit("--modes: ahead or turn, comma-separated")
    if not os.environ.get("BENCH_DATABASE_URL", "").startswith("postgresql"):
        raise SystemExit("bench.import_phases runs on PostgreSQL only: set BENCH_DATABASE_URL")
    totals: dict[str, list] = defaultdict(lambda: [0, 0.0])
    in_batches = [0.0]
    commit_batch = loader._commit_batch

    def timed(batch_loader, batch) -> None:
        started = time.perf_counter()
        try:
            commit_batch(batch_loader, batch)
        finally:
            in_batches[0] += time.perf_counter() - started

    with scratch_app("channel", keep=True, reuse=args.reuse) as app:
        w = cs.reused(app)
        before, after = _statement_timer(totals)
        with app.app_context():
            cs.fresh_import_tacs(w, args.rows * len(modes))
            event.listen(db.engine, "before_cursor_execute", before)
            event.listen(db.engine, "after_cursor_execute", after)
        rng = random.Random(7)
        models = cs._dealers(w, rng)
        loader._commit_batch = timed
        try:
            for mode in modes:
                app.config["IMPORT_READ_AHEAD"] = mode == "ahead"
                totals.clear()
                in_batches[0] = 0.0
                with tempfile.TemporaryDirectory(prefix="fieldsales-bench-phases-") as tmp:
                    path = Path(tmp) / "sell-in.csv"
                    cs._import_csv(w, models, path, args.rows, rng, 30)
                    with app.app_context():
                        db.session.execute(text("CHECKPOINT"))
                        db.session.commit()
                    run = upload(w.hq, path)
                common.log(f"{mode}: {_describe_import(run)}")
                common.log(f"  the loader's time in its batches: {in_batches[0]:.1f} s")
                for kind, (count, seconds) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:12]:
                    common.log(f"  {seconds:7.2f} s {count:6d}  {kind}")
        finally:
            loader._commit_batch = commit_batch


if __name__ == "__main__":
    main()
