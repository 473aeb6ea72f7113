"""Where a shipment import's time goes: python -m bench.import_phases --reuse NAME [--rows N] [--modes M,M]
[--explain]

On a channel world kept by `python -m bench.channel_scale --keep` (PostgreSQL), one import of N
new units (ship dates over the last `--days`, 30 by default; rollups maintained) per mode, in
turn: `ahead` (IMPORT_READ_AHEAD on: the next batch read and checked in a thread while one
loads) or `turn` (off). For each: rows/s end to end, the loader's own time in its batches (`_commit_batch`:
statements, its Python, the commits), and each kind of statement's total time and count
(SQLAlchemy's cursor events: the server's time plus the driver's). Each import starts after a
CHECKPOINT. The world keeps the units loaded (drop it when done).

Modes `rowfks` and `nofk` (read ahead) weigh how the shipments' four parents (import, product,
region, partner) are checked. The schema checks them with one statement-level trigger per
INSERT (migration d16v00000001); `rowfks` checks them as before it, with four foreign keys (a
trigger call per row), and `nofk` not at all (the bound): `channel_scale.parent_checks` disables
the triggers and adds the keys for that import only, and puts the schema back after.

`--explain`: the shipments' INSERT of each import's second batch is first run, as sent, under
EXPLAIN (ANALYZE) in a savepoint rolled back at once, then for real: the server's time in the
INSERT itself (heap and both indexes) and in the parents' checks (the set-wise trigger, once;
or each foreign key's, a call a row), as PostgreSQL's executor measured them (its per-row
timing adds a little to each). That batch's rehearsal is left out of the loader's time and the
statements' totals.
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


def _explainer(plans: list, batch: int = 2) -> tuple:
    """A `before_cursor_execute` listener that rehearses the `batch`-th INSERT into shipments
    under EXPLAIN (ANALYZE, FORMAT JSON) in a savepoint, rolled back, and keeps its plan; and the
    seconds the rehearsals took (to leave out of the loader's time)."""
    seen = [0]
    spent = [0.0]

    def before(_conn, cursor, statement, parameters, _context, _executemany):
        if not statement.lstrip().startswith("INSERT INTO shipments"):
            return
        seen[0] += 1
        if seen[0] != batch:
            return
        started = time.perf_counter()
        cursor.execute("SAVEPOINT bench_explain")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        plans.append(cursor.fetchone()[0][0])
        cursor.execute("ROLLBACK TO SAVEPOINT bench_explain")
        spent[0] += time.perf_counter() - started

    def reset() -> None:
        seen[0] = 0

    return before, reset, spent


def _describe_plan(plan: dict) -> list[str]:
    """The rehearsed INSERT's figures: rows, the executor's time, the triggers' and the rest."""
    rows = plan["Plan"].get("Plans", [{}])[0].get("Actual Rows", 0)
    triggers = plan.get("Triggers", [])
    in_triggers = sum(t["Time"] for t in triggers)
    total = plan["Execution Time"]
    lines = [
        f"  EXPLAIN ANALYZE of the second batch's INSERT ({rows:,} rows): {total:.0f} ms, of which "
        f"{in_triggers:.0f} ms ({in_triggers / total:.0%}) in the parents' checks (triggers)"
    ]
    for t in sorted(triggers, key=lambda t: -t["Time"]):
        name = t.get("Constraint Name") or t["Trigger Name"]
        lines.append(f"    {t['Time']:7.1f} ms {t['Calls']:6d} calls  {name}")
    return lines


def main(argv: list[str] | None = None) -> None:
    from backend.warranty import imports as loader

    parser = argparse.ArgumentParser(prog="python -m bench.import_phases", description=__doc__.split("\n")[0])
    parser.add_argument("--reuse", metavar="NAME", required=True, help="a database kept by bench.channel_scale")
    parser.add_argument("--rows", type=int, default=300_000, help="rows of each import (default 300000)")
    parser.add_argument(
        "--modes",
        default="ahead,turn",
        help="imports in turn, comma-separated: ahead, turn, rowfks, nofk (default ahead,turn; see above)",
    )
    parser.add_argument("--days", type=int, default=30, help="ship dates over the last D days (default 30)")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each import's second INSERT (rolled back) first"
    )
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(modes) - {"ahead", "turn", "rowfks", "nofk"}:
        raise SystemExit("--modes: ahead, turn, rowfks or nofk, comma-separated")
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
        plans: list[dict] = []
        explain, explain_reset, explain_spent = _explainer(plans)
        with app.app_context():
            cs.fresh_import_tacs(w, args.rows * len(modes))
            if args.explain:  # first: the statement timer then times the real INSERT alone
                event.listen(db.engine, "before_cursor_execute", explain)
            event.listen(db.engine, "before_cursor_execute", before)
            event.listen(db.engine, "after_cursor_execute", after)
        rng = random.Random(7)
        models = cs._dealers(w, rng)
        loader._commit_batch = timed
        try:
            for mode in modes:
                app.config["IMPORT_READ_AHEAD"] = mode != "turn"
                totals.clear()
                in_batches[0] = 0.0
                explain_reset()
                explain_spent[0] = 0.0
                plans.clear()
                with tempfile.TemporaryDirectory(prefix="fieldsales-bench-phases-") as tmp:
                    path = Path(tmp) / "sell-in.csv"
                    cs._import_csv(w, models, path, args.rows, rng, args.days)
                    with cs.parent_checks(app, {"rowfks": "rows", "nofk": "none"}.get(mode, "setwise")):
                        with app.app_context():
                            db.session.execute(text("CHECKPOINT"))
                            db.session.commit()
                        run = upload(w.hq, path)
                common.log(f"{mode}: {_describe_import(run)}")
                common.log(f"  the loader's time in its batches: {in_batches[0] - explain_spent[0]:.1f} s")
                for plan in plans:
                    for line in _describe_plan(plan):
                        common.log(line)
                for kind, (count, seconds) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:12]:
                    common.log(f"  {seconds:7.2f} s {count:6d}  {kind}")
        finally:
            loader._commit_batch = commit_batch


if __name__ == "__main__":
    main()
