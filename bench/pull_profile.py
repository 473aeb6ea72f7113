"""A rep's first pull against issue 13's limits (under 0.2 s, under 300 KB on the wire): time,
bytes on the wire as each way of serving it compresses them, per page, and a cProfile of one run.

    python -m bench.pull_profile --keep bench/out/pull [--pages] [--out bodies.json] [--profile 25]

bench/sync.py's organisation and history (9,225 stores, the rep in 中山 with 300 stores and 90
days of history) are built once into a database that is kept between runs, so that the output
of two versions of the code can be compared on the same data: a SQLite file in the `--keep`
directory, or, with BENCH_DATABASE_URL, that PostgreSQL database (its name must contain
"bench"; drop it with --drop when done). The rep's first pull is then followed to the end
through the Flask test client, with the page size the PWA asks for (pwa/src/sync/engine.js) and
with limit=5000 (`--limit` to choose), each three ways: as a browser asks over HTTPS (the app
answers brotli), over plain HTTP (the app's gzip), and plain from the app with nginx's gzip at
docs/nginx.conf's level (as with COMPRESS_RESPONSES=0 behind nginx; its compression time is
added). Time is the app's whole work, compression included, summed over the pages (no network);
wire is every answer's status line, headers and body. The table ends with PASS/FAIL against
both limits. `--out` writes every page's JSON (first page size, plain), one per line, for
comparison (each body's `server_hlc` reads the clock, so it differs from run to run: set it
aside when comparing). `--user manager` pulls the manager's region instead (about 90,000 items
of every kind).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import json
import os
import pstats
import random
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import brotli
from backports import zstd
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backend import create_app
from backend.auth.models import User
from backend.config import ROOT
from backend.extensions import db

from . import common, sync

CLIENT_ID = "pull-profile-phone"
REPEATS = 9

TIME_LIMIT_MS = 200
WIRE_LIMIT_KB = 300
"""Issue 13: a rep's first pull (300 stores, 90 days) under 0.2 s and under 300 KB on the wire."""

BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends over HTTPS
PLAIN_HTTP = "gzip, deflate"  # what browsers send over plain HTTP
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}
NGINX_CONF = ROOT / "docs" / "nginx.conf"
PWA_ENGINE = ROOT / "pwa" / "src" / "sync" / "engine.js"


def pwa_pull_limit() -> int:
    """The page size the PWA asks for (pwa/src/sync/engine.js's PULL_LIMIT)."""
    found = re.search(r"^export const PULL_LIMIT = (\d+);", PWA_ENGINE.read_text(), re.M)
    if not found:
        raise SystemExit(f"{PWA_ENGINE}: no PULL_LIMIT")
    return int(found.group(1))


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


@dataclass
class Page:
    head: bytes  # the status line and headers as an HTTP/1.1 server sends them
    body: bytes  # as sent (encoded when the answer has a Content-Encoding)
    json: bytes  # decoded
    encoding: str | None
    ms: float


def pull_pages(caller: common.Caller, limit: int | None, accept: str | None) -> list[Page]:
    """The whole first pull, page by page, asking with this Accept-Encoding (None: none)."""
    pages: list[Page] = []
    cursor = None
    headers = dict(caller.headers)
    if accept is not None:
        headers["Accept-Encoding"] = accept
    while True:
        params = {"client_id": CLIENT_ID}
        if limit is not None:
            params["limit"] = limit
        if cursor:
            params["cursor"] = cursor
        start = time.perf_counter()
        response = caller.client.get(f"{sync.PULL_URL}?{urlencode(params)}", headers=headers)
        body = response.get_data()
        ms = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"pull -> {response.status_code}: {body[:300]!r}")
        encoding = response.headers.get("Content-Encoding")
        plain = DECODE[encoding](body) if encoding else body
        head = f"HTTP/1.1 {response.status}\r\n".encode() + b"".join(
            f"{k}: {v}\r\n".encode() for k, v in response.headers.items()
        )
        pages.append(Page(head + b"\r\n", body, plain, encoding, ms))
        page = json.loads(plain)
        cursor = page["cursor"]
        if not page["has_more"]:
            return pages


def nginx_gzip() -> tuple[int, int]:
    """docs/nginx.conf's gzip_comp_level and gzip_min_length: what nginx does to the answers the
    app sends plain (COMPRESS_RESPONSES=0)."""
    conf = NGINX_CONF.read_text()
    level = re.search(r"^\s*gzip_comp_level\s+(\d+)\s*;", conf, re.M)
    minimum = re.search(r"^\s*gzip_min_length\s+(\d+)\s*;", conf, re.M)
    if not level or not minimum:
        raise SystemExit(f"{NGINX_CONF}: no gzip_comp_level or gzip_min_length")
    return int(level.group(1)), int(minimum.group(1))


@dataclass
class Way:
    """One way the first pull reaches the phone."""

    label: str
    limit: int
    accept: str | None  # what the client sends
    nginx: bool = False  # the app sends it plain, nginx gzips it (docs/nginx.conf)


def ways(limits: list[int], pwa_limit: int) -> list[Way]:
    out = []
    for limit in limits:
        size = f"limit={limit}" + (" (the PWA's)" if limit == pwa_limit else "")
        out += [
            Way(f"{size}, HTTPS (browser: br)", limit, BROWSER),
            Way(f"{size}, plain HTTP (gzip)", limit, PLAIN_HTTP),
            Way(f"{size}, app plain + nginx gzip", limit, None, nginx=True),
        ]
    return out


def measure(caller: common.Caller, way: Way, repeats: int, gzip_level: int, gzip_min: int) -> dict:
    pages = pull_pages(caller, way.limit, way.accept)  # warm-up, and the bodies
    totals, cpu = [], []
    for _ in range(repeats):
        start = time.process_time()
        totals.append(sum(p.ms for p in pull_pages(caller, way.limit, way.accept)))
        cpu.append((time.process_time() - start) * 1000)
    wire, nginx_ms = 0, 0.0
    for p in pages:
        body = p.body
        if way.nginx and len(p.json) >= gzip_min:
            start = time.perf_counter()
            body = gzip.compress(p.json, compresslevel=gzip_level, mtime=0)
            nginx_ms += (time.perf_counter() - start) * 1000
            p.head = p.head[:-2] + b"Content-Encoding: gzip\r\n\r\n"  # and Content-Length changes by a digit or two
        wire += len(p.head) + len(body)
    return {
        "pages": pages,
        "json": sum(len(p.json) for p in pages),
        "wire": wire,
        "encodings": sorted({p.encoding or "none" for p in pages}),
        "median": statistics.median(totals),
        "min": min(totals),
        "max": max(totals),
        "cpu": statistics.median(cpu),
        "per_page": [p.ms for p in pages],
        "nginx_ms": nginx_ms,
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pull_profile", description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, required=True, help="directory of the SQLite file (and photos)")
    parser.add_argument("--out", type=Path, help="write the default page size's bodies here, one per line")
    parser.add_argument("--profile", type=int, default=0, help="print this many cProfile entries of one run")
    parser.add_argument("--user", default="rep_ZS", help="whose first pull (default rep_ZS, the rep in 中山)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timed runs of each (default {REPEATS})")
    parser.add_argument(
        "--limit",
        type=int,
        action="append",
        help=f"page size(s) to measure (repeatable; default: the PWA's and {sync.MAX_LIMIT})",
    )
    parser.add_argument("--pages", action="store_true", help="print each page's time, size and kinds")
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
    gzip_level, gzip_min = nginx_gzip()
    compress = "on" if app.config["COMPRESS_RESPONSES"] else "off (COMPRESS_RESPONSES=0)"
    common.log(
        f"compression: the app's own {compress}: {', '.join(app.config['COMPRESS_ALGORITHM'])} by the client's "
        f"Accept-Encoding (br {app.config['COMPRESS_BR_LEVEL']}, zstd {app.config['COMPRESS_ZSTD_LEVEL']}, "
        f"gzip {app.config['COMPRESS_LEVEL']}; Flask-Compress, also under `make run`'s Werkzeug); "
        f"nginx: gzip {gzip_level} from {gzip_min} bytes ({NGINX_CONF.relative_to(ROOT)}), "
        "only on answers the app sent plain"
    )
    pwa_limit = pwa_pull_limit()
    limits = args.limit or list(dict.fromkeys([pwa_limit, sync.MAX_LIMIT]))
    results = []
    for way in ways(limits, pwa_limit):
        r = measure(caller, way, args.repeats, gzip_level, gzip_min)
        results.append((way, r))
        if way.limit == limits[0] and way.accept is None and args.out:
            args.out.write_bytes(b"\n".join(p.json for p in r["pages"]) + b"\n")
        if args.pages:
            common.log(f"{way.label}: per page (ms of the warm-up run)")
            for i, p in enumerate(r["pages"]):
                kinds: dict[str, int] = {}
                for item in json.loads(p.json)["changes"]:
                    kinds[item["entity"]] = kinds.get(item["entity"], 0) + 1
                common.log(
                    f"    page {i + 1}: {p.ms:.0f} ms, {len(p.json) / 1024:,.0f} KB JSON, "
                    f"{(len(p.head) + len(p.body)) / 1024:,.0f} KB sent, {kinds}"
                )
    items = sum(len(json.loads(p.json)["changes"]) for p in results[0][1]["pages"])
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    common.log(
        f"\nfirst pull of {args.user}: {items:,} items; medians of {args.repeats} runs through the Flask test "
        "client (the app's whole work, compression included; no network). Wire: every answer's status line, "
        f"headers and body. Limits (issue 13): time < {TIME_LIMIT_MS} ms (median, and fastest run: min), "
        f"wire < {WIRE_LIMIT_KB} KB. "
        f"Load average at the end {load} on {os.cpu_count()} CPUs (time is wall-clock: a busy machine inflates it; "
        "CPU ms is this process's, the database server's excluded)."
    )
    headers = ("how", "pages", "JSON KB", "encoding", "wire KB", "wire")
    headers += ("time ms", "(min–max)", "CPU ms", "time", "min")
    rows = []
    for way, r in results:
        ms = r["median"] + r["nginx_ms"]
        rows.append(
            (
                way.label,
                str(len(r["pages"])),
                f"{r['json'] / 1024:,.0f}",
                "gzip " + str(gzip_level) + " (nginx)" if way.nginx else "/".join(r["encodings"]),
                f"{r['wire'] / 1024:,.0f}",
                verdict(r["wire"] < WIRE_LIMIT_KB * 1024),
                f"{ms:,.0f}" + (f" (+{r['nginx_ms']:.0f} nginx)" if way.nginx else ""),
                f"{r['min'] + r['nginx_ms']:,.0f}–{r['max'] + r['nginx_ms']:,.0f}",
                f"{r['cpu']:,.0f}",
                verdict(ms < TIME_LIMIT_MS),
                verdict(r["min"] + r["nginx_ms"] < TIME_LIMIT_MS),
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    for row in (headers, *rows):
        cells = zip(row, widths, strict=True)
        common.log("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells)))
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        pull_pages(caller, limits[0], BROWSER)
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
