"""A full photo disk (a real 1 MiB tmpfs volume, filled up): an upload answers 507 and leaves
nothing behind; a photo whose processing ran out of space stays `received` and is processed once
space is freed and the sweeper runs. Jobs run in this process (the volume is this test's)."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.jobs import OutboxJob
from backend.jobs.sweeper import sweep
from backend.photos.models import Photo
from tests.photos.images import noisy_jpeg, put, sha


@pytest.fixture
def small_volume(app, monkeypatch, tmp_path):
    """PHOTO_DIR on a 1 MiB tmpfs, and `fill()` / `free()` to fill it up and free it."""
    mount = tmp_path / "photos"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    monkeypatch.setitem(app.config, "PHOTO_DIR", str(mount))
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    filler = mount / "filler"

    class Volume:
        path = mount

        @staticmethod
        def fill() -> None:
            with open(filler, "ab", buffering=0) as fh:
                try:
                    while True:
                        fh.write(b"\0" * 4096)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC

        @staticmethod
        def free() -> None:
            filler.unlink()

        @staticmethod
        def files() -> list[str]:
            return sorted(str(p.relative_to(mount)) for p in mount.rglob("*") if p.is_file() and p != filler)

    yield Volume
    subprocess.run(["umount", str(mount)], check=True)


def test_an_upload_to_a_full_disk_is_507_and_leaves_nothing_behind(api, world, small_volume):
    rep = api(world.rep_a1)
    pid, data = str(uuid.uuid4()), noisy_jpeg((300, 300))
    small_volume.fill()
    r = put(rep, pid, data)
    assert r.status_code == 507, r.json
    assert r.json["code"] == "insufficient_storage" and "storage is full" in r.json["message"]
    assert r.json["details"] == {"reason": "No space left on device"}  # not the server's paths
    assert small_volume.files() == [] and db.session.get(Photo, uuid.UUID(pid)) is None
    small_volume.free()
    r = put(rep, pid, data)  # the phone sends it again later
    assert r.status_code == 201 and r.json["status"] == "ready", r.json


def test_a_chunk_to_a_full_disk_is_507_and_the_upload_resumes_from_the_same_offset(api, world, small_volume):
    rep = api(world.rep_a1)
    pid, data = str(uuid.uuid4()), noisy_jpeg((300, 300))
    url = f"/api/v1/photos/{pid}/upload"
    assert rep.post(url, json={"sha256": sha(data), "size": len(data)}).status_code == 201
    half = len(data) // 2
    assert rep.patch(url, query_string={"offset": 0}, data=data[:half]).status_code == 202
    small_volume.fill()
    r = rep.patch(url, query_string={"offset": half}, data=data[half:])
    assert r.status_code == 507, r.json
    assert (small_volume.path / "partial" / pid).stat().st_size == half  # nothing half-written kept
    assert rep.get(url).json["offset"] == half
    small_volume.free()
    r = rep.patch(url, query_string={"offset": half}, data=data[half:])
    assert r.status_code == 201 and r.json["status"] == "ready", r.json


def test_processing_out_of_space_waits_received_and_runs_once_space_is_freed(api, world, app, small_volume):
    rep = api(world.rep_a1)
    pid, data = str(uuid.uuid4()), noisy_jpeg((600, 600))
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # the job waits in the outbox for now
    assert put(rep, pid, data).status_code == 201
    app.config["REDIS_URL"] = None
    small_volume.fill()
    sweep()  # the job runs: no space for the copies
    db.session.rollback()
    photo = db.session.get(Photo, uuid.UUID(pid))
    assert photo.status == "received" and photo.error.startswith("waiting for disk space")
    (job,) = db.session.scalars(select(OutboxJob)).all()
    assert (job.state, job.attempts) == ("pending", 1) and "No space left on device" in job.last_error
    assert not any(name.split("/")[-1].startswith(".tmp-") for name in small_volume.files())
    small_volume.free()
    sweep()  # not due yet: the retry waits its delay
    assert db.session.get(OutboxJob, job.id).state == "pending"
    db.session.execute(update(OutboxJob).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    sweep()
    db.session.rollback()
    photo = db.session.get(Photo, uuid.UUID(pid))
    assert (photo.status, photo.error) == ("ready", None)
    job = db.session.get(OutboxJob, job.id)
    assert (job.state, job.attempts) == ("done", 2)
    assert sorted(Path(f).name for f in small_volume.files()) == ["display.jpg", "full.jpg", "thumb.jpg"]
    assert os.path.exists(small_volume.path / "blobs" / sha(data)[:2] / sha(data) / "full.jpg")
