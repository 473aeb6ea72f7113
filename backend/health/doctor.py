"""A deployment's check-up, for `flask doctor` and `GET /api/v1/health/deep` (administrators):
the database, the migrations, Redis, the job queue and its workers, the housekeeping scheduler and
the disks. Each check says ok or what is wrong, in words an operator can act on."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from ..core.storage import S3Store, is_s3
from ..extensions import db
from ..jobs import redis_connection
from ..jobs.sweeper import queue_health

# Less free space than this on a storage directory is a problem: uploads would start to fail.
MIN_FREE_BYTES = 1024**3
MIN_FREE_SHARE = 0.05


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _database() -> Check:
    try:
        version = db.session.execute(text("SELECT 1")).scalar()
        dialect = db.engine.dialect.name
        return Check("database", version == 1, f"{dialect} reachable")
    except Exception as exc:
        db.session.rollback()
        return Check("database", False, f"unreachable: {type(exc).__name__}")


def _migrations() -> Check:
    try:
        config = current_app.extensions["migrate"].migrate.get_config()
        heads = set(ScriptDirectory.from_config(config).get_heads())
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:
        return Check("migrations", False, f"cannot be read: {type(exc).__name__}")
    if current == heads:
        return Check("migrations", True, f"at head {', '.join(sorted(heads))}")
    return Check(
        "migrations",
        False,
        f"database at {', '.join(sorted(current)) or 'nothing'}, code at {', '.join(sorted(heads))}: "
        "run `flask db upgrade`",
    )


def _queue() -> list[Check]:
    cfg = current_app.config
    try:
        q = queue_health()
    except Exception as exc:
        db.session.rollback()
        return [Check("queue", False, f"the job outbox cannot be read: {type(exc).__name__}")]
    checks = []
    if cfg["REDIS_URL"]:
        checks.append(Check("redis", q.get("redis") == "ok", q.get("redis", "unknown")))
    detail = (
        f"{q['waiting_jobs']} waiting (oldest {q['oldest_waiting_seconds']} s), "
        f"{q['running_jobs']} running, {q['failed_jobs_24h']} failed in 24 h"
    )
    waiting_ok = q["oldest_waiting_seconds"] <= cfg["JOB_WAITING_ALERT_SECONDS"]
    checks.append(Check("queue", waiting_ok, detail if waiting_ok else f"{detail}: are workers running?"))
    if cfg["REDIS_URL"] and q.get("redis") == "ok":
        checks.append(_workers())
    elif not cfg["REDIS_URL"]:
        checks.append(Check("workers", True, "jobs run in the web process (no REDIS_URL)"))
    return checks


def _workers() -> Check:
    from rq import Queue, Worker  # noqa: PLC0415 -- only with REDIS_URL: rq takes ~0.3 s to import

    queue = Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())
    workers = Worker.all(queue=queue)
    if not workers:
        return Check("workers", False, f"no rq worker listens on queue {queue.name}: start `rq worker` processes")
    return Check("workers", True, f"{len(workers)} rq worker(s) on queue {queue.name}")


def _disk(name: str, folder: str) -> Check:
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return Check(name, False, f"not writable: {exc.strerror or type(exc).__name__}")
    free_gib = usage.free / 1024**3
    share = usage.free / usage.total if usage.total else 0
    detail = f"{free_gib:.1f} GiB free ({share:.0%})"
    if usage.free < MIN_FREE_BYTES or share < MIN_FREE_SHARE:
        return Check(name, False, f"{detail}: uploads will soon be refused (507)")
    return Check(name, True, detail)


def _storage(name: str, url_key: str, dir_key: str) -> Check:
    """A store's check: the disk of its folder, or its bucket answering (S3)."""
    cfg = current_app.config
    if not is_s3(cfg.get(url_key)):
        return _disk(name, cfg[dir_key])
    try:
        store = S3Store(cfg[url_key])
        store.check()
    except Exception as exc:
        reason = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
        return Check(name, False, f"S3 bucket unreachable: {reason}")
    return Check(name, True, f"{store.describe()} reachable")


def run_checks() -> list[dict]:
    """Every check, in order; none raises."""
    started = time.monotonic()
    checks = [_database(), _migrations(), *_queue()]
    checks += [
        _storage("photo storage", "PHOTO_STORAGE_URL", "PHOTO_DIR"),
        _storage("import storage", "IMPORT_STORAGE_URL", "IMPORT_DIR"),
    ]
    out = [asdict(c) for c in checks]
    took = f"{(time.monotonic() - started) * 1000:.0f} ms, pid {os.getpid()}"
    out.append({"name": "took", "ok": True, "detail": took})
    return out
