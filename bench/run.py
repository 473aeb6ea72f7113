"""Run the benchmarks and print a table of figures (nothing is asserted).

    python -m bench.run [--stores 50000] [--visits 200000] [--only nearby,list,photo,sync,warranty,dashboards]

SQLite in a temporary directory by default; set BENCH_DATABASE_URL to a PostgreSQL URL
(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/fieldsales_bench) to run on PostgreSQL:
that database is created for each benchmark and dropped after it.

The warranty benchmark takes its sizes from the environment (BENCH_WARRANTY_CARDS,
BENCH_IMPORT_ROWS, …: see bench/warranty.py), and so does the dashboards one (BENCH_STORES,
BENCH_PRICE_OBS, …: see bench/dashboards.py).

The PWA's quality bars (Lighthouse in mobile mode, the first page's JavaScript, offline reload
to usable) have their own script, which serves the built app and drives Debian's Chromium:
`python -m bench.pwa_quality` (Lighthouse is installed apart, in bench/lighthouse/).

The memory of photo uploads (the web worker's and the processing job's peak resident memory for 8
concurrent worst-case uploads per format) is measured against a real gunicorn by another script:
`python -m bench.photo_upload_rss`.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from . import common

BENCHMARKS = ("nearby", "list", "photo", "sync", "warranty", "dashboards")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=50_000, help="stores to create (default 50000)")
    parser.add_argument("--visits", type=int, default=200_000, help="visits for the list benchmark (default 200000)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated: " + ",".join(BENCHMARKS))
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    common.log(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"database: {common.database_label()}"
    )
    start = time.perf_counter()
    if "nearby" in chosen:
        from . import nearby

        nearby.run(args.stores)
    if "list" in chosen:
        from . import listing

        listing.run(args.stores, args.visits)
    if "photo" in chosen:
        from . import photo

        photo.run()
    if "sync" in chosen:
        from . import sync

        sync.run()
    if "warranty" in chosen:
        from . import warranty

        warranty.run()
    if "dashboards" in chosen:
        from . import dashboards

        dashboards.run()
    common.print_table(common.database_label(), time.perf_counter() - start)


if __name__ == "__main__":
    main()
