"""Where a shipment import's time goes: python -m bench.import_phases --reuse NAME [--rows N] [--modes M,M]
[--explain]

On a channel world kept by `python -m bench.channel_scale --keep` (PostgreSQL), one import of N
new units (ship dates over the last `--days`, 30 by default; rollups maintained) per mode, in turn: `ahead`
(IMPORT_READ_AHEAD on: the next batch read and checked in a thread while one loads) or `turn`
(off). For each: rows/s end to end, the loader's own time in its batches (`_commit_batch`:
statements, its Python, the commits), and each kind of statement's total time and count
(SQLAlchemy's cursor events: the server's time plus the driver's). Each import starts after a
CHECKPOINT. The world keeps the units loaded (drop it when done).

Modes `setwise` and `nofk` (read ahead) weigh the shipments' four foreign keys (import, product,
region, partner), which PostgreSQL checks by a trigger call per row: for that import only, the
constraints are dropped and, for `setwise`, replaced by one statement-level trigger that checks
the same parents set-wise (the distinct ids of the statement's new rows, from its transition
table, each parent locked FOR KEY SHARE as a foreign key's check locks it, an unknown one raising
foreign_key_violation); `nofk` checks nothing (the bound). The constraints are put back after
the import (ADD … NOT VALID, then VALIDATE). Only the child side is stood in for: deletes of
parents are not checked meanwhile. These modes measure a proposal on a bench database; the
schema (migrations/) keeps its foreign keys.

`--explain`: the shipments' INSERT of each import's second batch is first run, as sent, under
EXPLAIN (ANALYZE) in a savepoint rolled back at once, then for real: the server's time in the
INSERT itself (heap and both indexes) and in each foreign key's trigger (one call a row), as
PostgreSQL's executor measured them (its per-row timing adds a little to each). That batch's
rehearsal is left out of the loader's time and the statements' totals.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
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


_SETWISE = """
CREATE OR REPLACE FUNCTION bench_shipments_parents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM shipment_imports WHERE id IN (SELECT import_id FROM new_rows) FOR KEY SHARE;
    PERFORM 1 FROM products WHERE id IN (SELECT product_id FROM new_rows) FOR KEY SHARE;
    PERFORM 1 FROM regions WHERE id IN (SELECT region_id FROM new_rows) FOR KEY SHARE;
    PERFORM 1 FROM partners WHERE id IN (SELECT partner_id FROM new_rows) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT import_id FROM new_rows) n
               WHERE NOT EXISTS (SELECT 1 FROM shipment_imports p WHERE p.id = n.import_id))
       OR EXISTS (SELECT 1 FROM (SELECT DISTINCT product_id FROM new_rows) n
                  WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = n.product_id))
       OR EXISTS (SELECT 1 FROM (SELECT DISTINCT region_id FROM new_rows) n
                  WHERE NOT EXISTS (SELECT 1 FROM regions p WHERE p.id = n.region_id))
       OR EXISTS (SELECT 1 FROM (SELECT DISTINCT partner_id FROM new_rows WHERE partner_id IS NOT NULL) n
                  WHERE NOT EXISTS (SELECT 1 FROM partners p WHERE p.id = n.partner_id)) THEN
        RAISE foreign_key_violation USING MESSAGE = 'shipments name a parent that does not exist';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bench_shipments_parents AFTER INSERT ON shipments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bench_shipments_parents();
"""


@contextmanager
def _parent_checks(app, mode: str) -> Iterator[None]:
    """The shipments' foreign keys as they are (`ahead`, `turn`), replaced by one set-wise check
    per statement (`setwise`), or dropped (`nofk`) for the block; put back after."""
    if mode not in ("setwise", "nofk"):
        yield
        return
    with app.app_context():
        keys = db.session.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'shipments'::regclass AND contype = 'f' ORDER BY conname"
            )
        ).all()
        for name, _definition in keys:
            db.session.execute(text(f'ALTER TABLE shipments DROP CONSTRAINT "{name}"'))
        if mode == "setwise":
            db.session.execute(text(_SETWISE))
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            _put_back(keys)


def _put_back(keys: list) -> None:
    """The foreign keys back as they were (checked again: ADD … NOT VALID, then VALIDATE)."""
    db.session.rollback()
    db.session.execute(text("DROP TRIGGER IF EXISTS bench_shipments_parents ON shipments"))
    db.session.execute(text("DROP FUNCTION IF EXISTS bench_shipments_parents()"))
    for name, definition in keys:
        db.session.execute(text(f'ALTER TABLE shipments ADD CONSTRAINT "{name}" {definition} NOT VALID'))
    db.session.commit()
    for name, _definition in keys:
        db.session.execute(text(f'ALTER TABLE shipments VALIDATE CONSTRAINT "{name}"'))
    db.session.commit()


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
        f"{in_triggers:.0f} ms ({in_triggers / total:.0%}) in the foreign keys' triggers"
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
        help="imports in turn, comma-separated: ahead, turn, setwise, nofk (default ahead,turn; see above)",
    )
    parser.add_argument("--days", type=int, default=30, help="ship dates over the last D days (default 30)")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each import's second INSERT (rolled back) first"
    )
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(modes) - {"ahead", "turn", "setwise", "nofk"}:
        raise SystemExit("--modes: ahead, turn, setwise or nofk, comma-separated")
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
                    with _parent_checks(app, mode):
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
