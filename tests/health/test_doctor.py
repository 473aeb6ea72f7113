"""`flask doctor` and GET /api/v1/health/deep: each check says ok or what to do."""

from __future__ import annotations

import os
import shutil
from collections import namedtuple

import pytest

from backend.health import doctor

DEEP = "/api/v1/health/deep"


def by_name(checks: list[dict]) -> dict[str, dict]:
    return {c["name"]: c for c in checks}


def test_a_healthy_deployment_passes_every_check(api, world, rq_worker):
    r = api(world.admin).get(DEEP)
    assert r.status_code == 200, r.json
    checks = by_name(r.json["checks"])
    assert r.json["ok"] is True, [c for c in checks.values() if not c["ok"]]
    assert checks["database"]["ok"] and checks["migrations"]["detail"].startswith("at head")
    assert {"queue", "workers", "photo storage", "import storage"} <= set(checks)
    if os.environ.get("REDIS_URL"):
        assert checks["redis"]["ok"] and "rq worker(s)" in checks["workers"]["detail"]
    else:
        assert "web process" in checks["workers"]["detail"]


def test_only_administrators(api, world, client):
    for user in (world.hq, world.manager_a, world.rep_a1, world.clerk_a1):
        assert api(user).get(DEEP).status_code == 403
    assert client.get(DEEP).status_code == 401


def test_a_migration_behind_is_named_with_the_fix(app, monkeypatch):
    from alembic.script import ScriptDirectory

    real = ScriptDirectory.get_heads
    monkeypatch.setattr(ScriptDirectory, "get_heads", lambda self: [*real(self), "ffff00000000"])
    with app.app_context():
        check = by_name(doctor.run_checks())["migrations"]
    assert not check["ok"] and "flask db upgrade" in check["detail"]


def test_a_full_disk_and_an_unwritable_folder_are_problems(app, monkeypatch, tmp_path):
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(100 * 1024**3, 99.5 * 1024**3, 0.5 * 1024**3))
    with app.app_context():
        check = by_name(doctor.run_checks())["photo storage"]
    assert not check["ok"] and "507" in check["detail"]
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(blocked / "imports"))
    with app.app_context():
        check = by_name(doctor.run_checks())["import storage"]
    assert not check["ok"] and "not writable" in check["detail"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="rq mode only")
def test_no_worker_on_the_queue_is_a_problem(app, monkeypatch):
    monkeypatch.setitem(app.config, "RQ_QUEUE", "a-queue-nobody-listens-on")
    with app.app_context():
        check = by_name(doctor.run_checks())["workers"]
    assert not check["ok"] and "start `rq worker`" in check["detail"]


def test_flask_doctor_prints_each_check_and_fails_on_a_problem(app, monkeypatch):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["doctor"])
    assert "database:" in result.output and "migrations:" in result.output
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(100, 99, 1))
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1 and "BAD  photo storage" in result.output
