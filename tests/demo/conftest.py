"""The full demo (`flask seed-demo`: thirty days, every store) takes a minute or two to seed, and
four tests read it. It is seeded once per session, at `flask seed-demo`'s own seed, and kept aside
— on SQLite a copy of the database file (SQLite's backup API), on PostgreSQL a copy of every table
in a schema of its own — with the photo files it wrote. Each test that asks for `full_demo` gets
it back into the emptied tables, so it reads exactly what the seed wrote, and whatever it writes
(logins, a phone's pull) is emptied after it as after any test: no test sees another's writes.

If the business day turns between the seed and a test (the demo's "today so far" and its weeks
are the day's), the demo is seeded again."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from backend.core.timeutil import business_today, utcnow
from backend.demo import seed as demo
from backend.extensions import db
from tests.conftest import _wait_for_jobs, empty_tables

DEMO_SEED = 2026  # `flask seed-demo`'s default: the tests read what a newcomer's first demo shows
SCHEMA = "demo_snapshot"  # PostgreSQL: where the seeded tables are kept


@dataclass
class FullDemo:
    """What the seed returned and echoed; the rows themselves are in the database."""

    summary: dict[str, int]
    lines: list[str]
    seeded_at: datetime  # naive UTC, just before the seed read the clock


@dataclass
class _Snapshot:
    day: date
    seeded_at: datetime
    summary: dict[str, int]
    lines: list[str]
    photos: Path
    sqlite_file: Path | None = None
    sequences: list[tuple[str, int | None]] = field(default_factory=list)


class _Keeper:
    def __init__(self, directory: Path):
        self.dir = directory
        self.snapshot: _Snapshot | None = None

    def restore(self) -> FullDemo:
        if self.snapshot is None or self.snapshot.day != business_today():
            self._take()
        s = self.snapshot
        db.session.rollback()
        db.session.remove()
        empty_tables()
        if s.sqlite_file is not None:
            _sqlite_copy(s.sqlite_file, _sqlite_path())
        else:
            _pg_restore(s.sequences)
        photo_dir = Path(os.environ["PHOTO_DIR"])
        shutil.rmtree(photo_dir, ignore_errors=True)
        shutil.copytree(s.photos, photo_dir)
        db.session.expire_all()
        return FullDemo(summary=dict(s.summary), lines=list(s.lines), seeded_at=s.seeded_at)

    def _take(self) -> None:
        self.drop()
        db.session.rollback()
        empty_tables()
        lines: list[str] = []
        day, seeded_at = business_today(), utcnow()
        summary = demo.seed_demo(seed=DEMO_SEED, echo=lines.append)
        db.session.remove()
        _wait_for_jobs()
        photos = self.dir / "photos"
        shutil.copytree(os.environ["PHOTO_DIR"], photos)
        snapshot = _Snapshot(day=day, seeded_at=seeded_at, summary=summary, lines=lines, photos=photos)
        if db.engine.dialect.name == "sqlite":
            snapshot.sqlite_file = self.dir / "demo.db"
            _sqlite_copy(_sqlite_path(), snapshot.sqlite_file)
        else:
            snapshot.sequences = _pg_take()
        self.snapshot = snapshot
        empty_tables()

    def drop(self) -> None:
        if self.snapshot is None:
            return
        if self.snapshot.sqlite_file is None:
            with db.engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.snapshot = None


def _sqlite_path() -> Path:
    return Path(db.engine.url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """The whole database file, page by page (WAL included), by SQLite's backup API; the app's
    pooled connections are closed first and open the new content afterwards."""
    db.engine.dispose()
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _tables() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables]


def _pg_take() -> list[tuple[str, int | None]]:
    """Every table's rows into the schema SCHEMA; returns the id sequences' positions."""
    with db.engine.begin() as conn:
        generated = conn.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND (is_generated = 'ALWAYS' OR identity_generation = 'ALWAYS')"
            )
        ).all()
        # INSERT … SELECT * below writes every column: a generated one would refuse it.
        assert not generated, f"the demo snapshot cannot copy generated columns: {generated}"
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"))
        for name in _tables():
            conn.execute(text(f'CREATE UNLOGGED TABLE {SCHEMA}."{name}" AS TABLE public."{name}"'))
        return [
            (f"public.{row.sequencename}", row.last_value)
            for row in conn.execute(
                text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
            )
        ]


def _pg_restore(sequences: list[tuple[str, int | None]]) -> None:
    """The kept rows back into the emptied tables, triggers and foreign-key checks off while they
    go in (they were checked when the seed wrote them), and each id sequence where the seed left
    it: rows the test adds get new ids as after the seed."""
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for name in _tables():
            conn.execute(text(f'INSERT INTO public."{name}" SELECT * FROM {SCHEMA}."{name}"'))
        for sequence, last_value in sequences:
            if last_value is None:
                conn.execute(text("SELECT setval(:s, 1, false)"), {"s": sequence})
            else:
                conn.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": last_value})


@pytest.fixture(scope="session")
def _demo_keeper(app):
    keeper = _Keeper(Path(tempfile.mkdtemp(prefix="fieldsales-demo-")))
    yield keeper
    with app.app_context():
        keeper.drop()
    shutil.rmtree(keeper.dir, ignore_errors=True)


@pytest.fixture
def full_demo(_demo_keeper) -> FullDemo:
    """The full demo at DEMO_SEED, seeded once per session (per business day), in this test's
    tables and photo directory."""
    return _demo_keeper.restore()
