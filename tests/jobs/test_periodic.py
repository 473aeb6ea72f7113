"""Housekeeping on a schedule (backend/jobs/periodic.py): each task runs at most once per
HOUSEKEEPING_SECONDS whoever triggers it — RQ's own cron (`rq cron backend.schedule`) with Redis,
the web process at the end of a request without — and records how it went."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.jobs import periodic
from backend.jobs.models import PeriodicRun
from backend.warranty.models import ShipmentImport
from tests.conftest import ROOT

redis_only = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (run by .ci/run)")


@pytest.fixture
def counting_task():
    calls = []

    @periodic.periodic("test-counting")
    def count() -> str:
        calls.append(1)
        return f"ran {len(calls)} times"

    yield calls
    periodic._TASKS.pop("test-counting")


def test_every_housekeeping_task_is_registered():
    assert {"prune-changes", "import-files", "discard-stale-uploads"} <= {t.name for t in periodic.tasks()}


def test_a_task_runs_once_per_period_and_records_it(counting_task):
    assert periodic.run_task("test-counting") == "ran 1 times"
    assert periodic.run_task("test-counting") is None  # not due again within the period
    assert counting_task == [1]
    row = db.session.get(PeriodicRun, "test-counting")
    assert row.outcome == "ran 1 times" and row.finished_at >= row.started_at
    # A period later it is due again.
    row.started_at = utcnow() - timedelta(seconds=current_app.config["HOUSEKEEPING_SECONDS"])
    db.session.commit()
    assert periodic.run_task("test-counting") == "ran 2 times"
    assert periodic.run_task("test-counting", force=True) == "ran 3 times"


def test_a_failing_task_is_recorded_and_does_not_raise():
    @periodic.periodic("test-failing")
    def fail() -> str:
        raise RuntimeError("the disk went away")

    try:
        outcome = periodic.run_task("test-failing")
    finally:
        periodic._TASKS.pop("test-failing")
    assert outcome.startswith("failed: RuntimeError")
    assert db.session.get(PeriodicRun, "test-failing").outcome == outcome


def test_without_redis_the_web_process_runs_due_tasks_after_a_request(app, counting_task, monkeypatch):
    from backend import create_app

    web = create_app({"TESTING": False, "REDIS_URL": None, "HOUSEKEEPING_SECONDS": 3600})
    monkeypatch.setitem(periodic._last_check, "at", 0.0)
    with web.test_client() as client:
        assert client.get("/api/v1/health").status_code == 200
    assert counting_task == [1]
    outcomes = {r.name: r.outcome for r in db.session.query(PeriodicRun)}
    assert {"prune-changes", "import-files", "discard-stale-uploads"} <= set(outcomes)
    assert not [o for o in outcomes.values() if o.startswith("failed")], outcomes  # an empty log included
    # The next request within the minute does not look again.
    with web.test_client() as client:
        client.get("/api/v1/health")
    assert counting_task == [1]


def test_old_failed_imports_lose_their_file_and_stray_files_go(world, tmp_path, monkeypatch):
    folder = tmp_path / "imports"
    folder.mkdir()
    monkeypatch.setitem(current_app.config, "IMPORT_DIR", str(folder))
    keep_days = current_app.config["IMPORT_FAILED_KEEP_DAYS"]

    def failed_import(name: str, days_ago: float) -> ShipmentImport:
        path = folder / name
        path.write_text("imei,model\n")
        imp = ShipmentImport(
            filename=name,
            path=str(path),
            sha256=name.ljust(64, "0")[:64],
            total_bytes=11,
            status="failed",
            error="The import stopped.",
            created_by=world.hq.id,
            finished_at=utcnow() - timedelta(days=days_ago),
        )
        db.session.add(imp)
        return imp

    old = failed_import("old.csv", keep_days + 1)
    recent = failed_import("recent.csv", 1)
    db.session.commit()
    stray_old, stray_new = folder / "stray-old.csv", folder / "stray-new.csv"
    for stray in (stray_old, stray_new):
        stray.write_text("x")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stray_old, (two_days_ago, two_days_ago))

    from backend.warranty.imports import discard_old_import_files

    assert discard_old_import_files() == "removed 1 failed imports' files and 1 files of no import"
    assert not Path(old.path).exists() and Path(recent.path).exists()
    assert not stray_old.exists() and stray_new.exists()
    assert db.session.get(ShipmentImport, old.id).error.endswith(f"The file was removed after {keep_days} days.")


@redis_only
def test_rq_cron_enqueues_each_task_and_the_rq_worker_runs_it(rq_worker):
    env = os.environ.copy() | {"HOUSEKEEPING_SECONDS": "3600"}
    log = open(Path(os.environ["INSTANCE_DIR"]).parent / "rq-cron.log", "w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "rq"), "cron", "--url", os.environ["REDIS_URL"], "backend.schedule"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wanted = {"prune-changes", "import-files", "discard-stale-uploads"}
        deadline = time.monotonic() + 60
        while True:
            db.session.expire_all()
            done = {r.name for r in db.session.query(PeriodicRun) if r.finished_at is not None}
            if wanted <= done:
                break
            assert proc.poll() is None, "rq cron stopped"
            assert time.monotonic() < deadline, f"only {done} ran"
            time.sleep(0.3)
        outcomes = {r.name: r.outcome for r in db.session.query(PeriodicRun)}
        assert outcomes["prune-changes"].startswith("deleted ")
        assert outcomes["import-files"].startswith("removed ")
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
