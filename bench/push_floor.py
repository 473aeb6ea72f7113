"""The floor of a sync push in this stack: what gunicorn, Python and the database cost for the
least work any exactly-once push must do, with nothing of the project's code.

`bench.push_peer --floor` runs it beside the project and pouchdb-server, on the same mutation
bodies, batches and client, and prints its rate, batch latency and server CPU like theirs. Its
point is the question issue 13 raises: can *any* Flask-free, ORM-free, validation-free server in
this stack (gunicorn sync workers, CPython, psycopg 3 / sqlite3) reach 3× pouchdb-server's rate on
this machine? The project does strictly more work than the floor for each push, so where the
floor misses the target, so must any implementation of the project.

What the floor does per POST /api/v1/sync/push (a WSGI callable, `application`, under gunicorn
with the project's settings and worker count):

* checks the bearer token against the one `/api/v1/auth/login` handed out (a string compare: no
  database read, where the project reads the token's row and its user);
* parses the JSON body (the standard library's `json`, as the project's Flask does);
* in one transaction: inserts every mutation as one row (client id, mutation id, name, args as
  JSON text, HLC) with `ON CONFLICT DO NOTHING` on (client id, mutation id) — the exactly-once
  guarantee's idempotency key — and one change-log row per mutation it applied (a serial sequence
  number, the mutation's name and its args: what a pull would read); then commits;
* answers `{"results": [{"id", "status": "applied" | "duplicate"}]}`.

No validation, no scope rule, no normalised rows, no rollup, no job: the project does all of
these. On PostgreSQL each table is loaded with one INSERT … SELECT of arrays unnested in step
(one statement per table per batch, the cheapest way psycopg 3 has short of COPY, which cannot
say ON CONFLICT). On SQLite one INSERT per row (the standard library's sqlite3; SQLite has no
round trips to save), in the project's journal mode: WAL, with SQLite's default synchronous
FULL, so every commit waits for the disk, as the project's do.

Its database: FLOOR_DATABASE_URL (postgresql+psycopg://… or sqlite:///…), made fresh and
dropped after by `floor_database`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_PG_TABLES = (
    "CREATE TABLE IF NOT EXISTS floor_mutations (client_id text NOT NULL, mutation_id bigint NOT NULL, "
    "name text NOT NULL, args jsonb NOT NULL, hlc text NOT NULL, PRIMARY KEY (client_id, mutation_id))",
    "CREATE TABLE IF NOT EXISTS floor_changes (seq bigserial PRIMARY KEY, client_id text NOT NULL, "
    "name text NOT NULL, args jsonb NOT NULL)",
)
_SQLITE_TABLES = (
    "CREATE TABLE IF NOT EXISTS floor_mutations (client_id TEXT NOT NULL, mutation_id INTEGER NOT NULL, "
    "name TEXT NOT NULL, args TEXT NOT NULL, hlc TEXT NOT NULL, PRIMARY KEY (client_id, mutation_id))",
    "CREATE TABLE IF NOT EXISTS floor_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, "
    "name TEXT NOT NULL, args TEXT NOT NULL)",
)
_PG_INSERT = (
    "INSERT INTO floor_mutations (client_id, mutation_id, name, args, hlc) "
    "SELECT %s, m.id, m.name, m.args, m.hlc FROM unnest(%s::bigint[], %s::text[], %s::jsonb[], %s::text[]) "
    "AS m (id, name, args, hlc) ON CONFLICT DO NOTHING RETURNING mutation_id"
)
_PG_CHANGES = (
    "INSERT INTO floor_changes (client_id, name, args) SELECT %s, c.name, c.args "
    "FROM unnest(%s::text[], %s::jsonb[]) AS c (name, args)"
)


def _plain(url: str) -> str:
    """A SQLAlchemy URL's libpq form (postgresql+psycopg://… → postgresql://…)."""
    return "postgresql://" + url.split("://", 1)[1]


def create_tables(url: str) -> None:
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(_plain(url), autocommit=True) as conn:
            for ddl in _PG_TABLES:
                conn.execute(ddl)
    else:
        with contextlib.closing(sqlite3.connect(url.split("///", 1)[1])) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            for ddl in _SQLITE_TABLES:
                conn.execute(ddl)
            conn.commit()


class _Store:
    """One connection per gunicorn worker, opened on its first request."""

    def __init__(self, url: str):
        self.url = url
        self.conn = None

    def apply(self, client_id: str, mutations: list[dict]) -> set[int]:
        """Stores the batch; returns the mutation ids applied now (the others were already)."""
        if self.url.startswith("postgresql"):
            return self._apply_pg(client_id, mutations)
        return self._apply_sqlite(client_id, mutations)

    def _apply_pg(self, client_id: str, mutations: list[dict]) -> set[int]:
        import psycopg

        if self.conn is None:
            self.conn = psycopg.connect(_plain(self.url))
        ids = [m["id"] for m in mutations]
        names = [m["name"] for m in mutations]
        args = [json.dumps(m["args"], ensure_ascii=False) for m in mutations]
        hlcs = [m["hlc"] for m in mutations]
        with self.conn.transaction():
            applied = {row[0] for row in self.conn.execute(_PG_INSERT, (client_id, ids, names, args, hlcs))}
            fresh = [i for i, mid in enumerate(ids) if mid in applied]
            if fresh:
                self.conn.execute(_PG_CHANGES, (client_id, [names[i] for i in fresh], [args[i] for i in fresh]))
        return applied

    def _apply_sqlite(self, client_id: str, mutations: list[dict]) -> set[int]:
        if self.conn is None:
            self.conn = sqlite3.connect(self.url.split("///", 1)[1], isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
        conn = self.conn
        applied: set[int] = set()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for m in mutations:
                args = json.dumps(m["args"], ensure_ascii=False)
                cur = conn.execute(
                    "INSERT INTO floor_mutations (client_id, mutation_id, name, args, hlc) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (client_id, m["id"], m["name"], args, m["hlc"]),
                )
                if cur.rowcount == 1:
                    applied.add(m["id"])
                    conn.execute(
                        "INSERT INTO floor_changes (client_id, name, args) VALUES (?, ?, ?)",
                        (client_id, m["name"], args),
                    )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return applied


@dataclass
class _State:
    store: _Store
    token: str


def make_app(url: str, token: str):
    """The floor's WSGI callable."""
    state = _State(_Store(url), token)

    def answer(start_response, status: str, body: dict | None = None):
        data = json.dumps(body or {}).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def app(environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/api/v1/health":
            return answer(start_response, "200 OK", {"status": "ok"})
        if path == "/api/v1/auth/login" and method == "POST":
            return answer(start_response, "200 OK", {"token": state.token})
        if path != "/api/v1/sync/push" or method != "POST":
            return answer(start_response, "404 Not Found")
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {state.token}":
            return answer(start_response, "401 Unauthorized")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length))
        mutations = body["mutations"]
        applied = state.store.apply(body["client_id"], mutations)
        results = [{"id": m["id"], "status": "applied" if m["id"] in applied else "duplicate"} for m in mutations]
        return answer(start_response, "200 OK", {"results": results})

    return app


def _application():
    url = os.environ.get("FLOOR_DATABASE_URL")
    return make_app(url, os.environ.get("FLOOR_TOKEN", "floor")) if url else None


application = _application()
"""gunicorn's target: `gunicorn bench.push_floor:application` with FLOOR_DATABASE_URL set."""


@contextlib.contextmanager
def floor_database(kind: str, pg_base: str, out: Path) -> Iterator[str]:
    """A fresh database for the floor (PostgreSQL: created on `pg_base`'s server and dropped after;
    SQLite: a file in `out`, removed after); yields its URL."""
    if kind == "pg":
        import psycopg

        name = f"fieldsales_bench_floor_{os.getpid()}"
        admin = _plain(pg_base) + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{pg_base}/{name}"
        try:
            create_tables(url)
            yield url
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = out / f"floor-{os.getpid()}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        try:
            create_tables(url)
            yield url
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


def new_token() -> str:
    return secrets.token_urlsafe(24)
