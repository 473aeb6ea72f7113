"""Shared pieces of the benchmarks: a throwaway database and app, timing, the results table.

Every benchmark gets its own scratch database: a SQLite file in a temporary directory, or,
when BENCH_DATABASE_URL names a PostgreSQL database, that database, created before the
benchmark and dropped after it. The schema comes from the Alembic migrations, as in
production.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import math
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

# Nothing the benchmarks do may land in the project's instance/ directory; set this before
# backend.config is imported (its Config class reads the environment once, at import).
if "INSTANCE_DIR" not in os.environ:
    os.environ["INSTANCE_DIR"] = tempfile.mkdtemp(prefix="fieldsales-bench-instance-")
    atexit.register(shutil.rmtree, os.environ["INSTANCE_DIR"], ignore_errors=True)

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend import create_app
from backend.extensions import db

# A database we created carries this comment, so a leftover from an interrupted run may be
# dropped and recreated while a database that happens to have the same name is never touched.
_PG_MARK = "fieldsales bench scratch database"


# --- results ------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    n: int
    median_ms: float
    p95_ms: float
    notes: str = ""


RESULTS: list[Result] = []
NOTES: list[str] = []  # findings printed under the table


def note(message: str) -> None:
    NOTES.append(message)
    log(f"  note: {message}")


def p95(samples: list[float]) -> float:
    """95th percentile by nearest rank (with few samples that is the largest or next to it)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def record(name: str, samples_ms: list[float], notes: str = "") -> Result:
    result = Result(name, len(samples_ms), statistics.median(samples_ms), p95(samples_ms), notes)
    RESULTS.append(result)
    log(f"  {name}: median {result.median_ms:.1f} ms, p95 {result.p95_ms:.1f} ms (n={result.n}) {notes}")
    return result


def timed(fn: Callable[[], object], n: int, warmup: int = 1) -> tuple[list[float], object]:
    """Call `fn` `warmup` times untimed, then `n` times; the durations in ms and the last value."""
    value = None
    for _ in range(warmup):
        value = fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        value = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples, value


def in_turns(fns: dict[str, Callable[[], object]], n: int) -> dict[str, list[float]]:
    """Time several functions `n` times each, taking turns (one warm-up call each first)."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(n):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - start) * 1000)
    return samples


# Debian's Chromium, driven by Playwright with executable_path (a browser download fails here),
# with the switches tests/e2e/conftest.py launches it with.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_version() -> str:
    """The browser's version line; stops the benchmark with a hint when there is none."""
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"No Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM=…)")
    return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()


def log(message: str) -> None:
    print(message, flush=True)


def _width(cell: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in cell)


def print_table(database: str, elapsed_s: float) -> None:
    headers = ("benchmark", "n", "median ms", "p95 ms", "notes")
    rows = [(r.name, str(r.n), f"{r.median_ms:.1f}", f"{r.p95_ms:.1f}", r.notes) for r in RESULTS]
    widths = [max(_width(h), *(_width(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    widths[-1] = len(headers[-1])  # notes run on, unpadded

    def line(cells):
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - _width(cell))
            if i == len(cells) - 1:
                out.append(cell)
            elif i in (1, 2, 3):
                out.append(pad + cell)
            else:
                out.append(cell + pad)
        return "  ".join(out).rstrip()

    log("")
    log(f"Database: {database}")
    log(line(headers))
    log(line(["-" * w for w in widths]))
    for row in rows:
        log(line(row))
    for message in NOTES:
        log(f"* {message}")
    log(f"Total run time: {elapsed_s:.1f} s")


# --- scratch database and app ---------------------------------------------------------------


def database_label() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return f"PostgreSQL {make_url(url).render_as_string(hide_password=True)}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version} (file in a temporary directory, WAL)"


def _pg_admin(url):
    import psycopg

    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname="postgres",
        autocommit=True,
    )


def _pg_create(url) -> None:
    from psycopg import sql

    name = url.database
    with _pg_admin(url) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if row is not None:
            if row[0] != _PG_MARK:
                raise SystemExit(
                    f"Database {name!r} already exists and was not made by the benchmarks; "
                    "choose another name in BENCH_DATABASE_URL."
                )
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(_PG_MARK)))


def _pg_drop(url) -> None:
    from psycopg import sql

    with _pg_admin(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(url.database)))


def _quiet_upgrade() -> None:
    """flask_migrate.upgrade() without Alembic's INFO lines (its env.py sets up logging)."""
    from flask_migrate import upgrade

    sink = io.StringIO()
    with contextlib.redirect_stderr(sink):
        upgrade()
    # The handler env.py installed points at our sink now: send later warnings to stderr again.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) is sink:
            handler.setStream(sys.stderr)


def _pg_check_ours(url) -> None:
    """Stops unless the database exists and was made by the benchmarks (carries the mark)."""
    with _pg_admin(url) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (url.database,)
        ).fetchone()
    if row is None or row[0] != _PG_MARK:
        raise SystemExit(f"No benchmark database {url.database!r} to reuse (kept by an earlier run with --keep)")


@contextlib.contextmanager
def scratch_app(label: str, *, keep: bool = False, reuse: str | None = None) -> Iterator[Flask]:
    """An app on a fresh, migrated database; removes it all after.

    Yields outside any app context: the benchmarks set up data and call services inside
    `with app.app_context()`, but send requests from outside one, so that each request gets
    its own app context and database session as it would in production.

    PostgreSQL only: `keep` leaves the database in place at the end (its name is printed);
    `reuse` names such a kept database (made by the benchmarks) to use instead of a fresh one:
    it is migrated to the head (a migration added since applies) and kept again.
    """
    pg_url = os.environ.get("BENCH_DATABASE_URL")
    if (keep or reuse) and not pg_url:
        raise SystemExit("keeping or reusing a benchmark database needs BENCH_DATABASE_URL (PostgreSQL)")
    if reuse:
        pg_url = make_url(pg_url).set(database=reuse).render_as_string(hide_password=False)
        _pg_check_ours(make_url(pg_url))
        keep = True
    elif pg_url:
        _pg_create(make_url(pg_url))
    tmp = Path(tempfile.mkdtemp(prefix=f"fieldsales-bench-{label}-"))
    try:
        uri = make_url(pg_url).render_as_string(hide_password=False) if pg_url else f"sqlite:///{tmp / 'bench.db'}"
        photo_dir = tmp / "photos"
        # Like tests/conftest.py: the configuration goes through the environment too.
        os.environ["DATABASE_URL"] = uri
        os.environ["PHOTO_DIR"] = str(photo_dir)
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "PHOTO_DIR": str(photo_dir), "REDIS_URL": None})
        try:
            with app.app_context():
                _quiet_upgrade()
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        if pg_url and keep:
            log(f"kept the database {make_url(pg_url).database} (reuse it with --reuse, drop it when done)")
        elif pg_url:
            _pg_drop(make_url(pg_url))
        shutil.rmtree(tmp, ignore_errors=True)


def analyze() -> None:
    """Refresh planner statistics as autovacuum would have done on a live PostgreSQL. (SQLite is
    left as the app leaves it: the app never runs ANALYZE.)"""
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def insert_in_chunks(model, rows: list[dict], chunk: int = 10_000) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), chunk):
        db.session.execute(insert(model), rows[start : start + chunk])
    db.session.commit()


# --- API access ---------------------------------------------------------------------------


class Caller:
    """A test client that sends one user's bearer token (made directly, as the tests do)."""

    def __init__(self, app: Flask, user):
        from backend.auth.models import AuthToken, hash_token
        from backend.core.timeutil import utcnow

        token = secrets.token_urlsafe(24)
        expires = utcnow() + timedelta(days=1)
        db.session.add(AuthToken(token_hash=hash_token(token), user_id=user.id, expires_at=expires))
        db.session.commit()
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.user_id = user.id

    def get(self, url: str):
        response = self.client.get(url, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
        return response

    def put(self, url: str, data: bytes, content_type: str = "application/json"):
        return self.client.put(url, headers=self.headers, data=data, content_type=content_type)

    def post(self, url: str, data: bytes, content_type: str = "application/json"):
        return self.client.post(url, headers=self.headers, data=data, content_type=content_type)

    def patch(self, url: str, data: bytes, content_type: str = "application/json"):
        return self.client.patch(url, headers=self.headers, data=data, content_type=content_type)


def total_of(response) -> int:
    import json

    return json.loads(response.headers["X-Pagination"])["total"]
