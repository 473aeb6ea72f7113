"""Photo storage on S3: the storage interface's contract on both backends, and a photo uploaded,
processed and served with the app configured for a bucket.

The S3 side is a real S3-compatible HTTP server in its own process (moto's standalone server,
`python -m moto.server`); boto3 talks to it over HTTP as it would to AWS or MinIO. The app's jobs
run in this process for these tests (REDIS_URL off): a session's rq worker was started with the
session's environment and would not see a store switched here."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from backend.core.storage import LocalStore, S3Store, store_for
from backend.extensions import db
from backend.health import doctor
from backend.photos.models import Photo
from tests.conftest import S3_BUCKET as BUCKET
from tests.photos.images import noisy_jpeg, put, sha


def s3_url(endpoint: str, prefix: str) -> str:
    return f"s3://{BUCKET}/{prefix}?endpoint_url={endpoint}&region=us-east-1"


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    endpoint = request.getfixturevalue("s3_server")
    return S3Store(s3_url(endpoint, f"contract-{uuid.uuid4().hex[:8]}"))


# --- the interface's contract ---------------------------------------------------------------------


def test_put_get_exists_delete(store):
    key = "blobs/ab/abcdef/thumb.jpg"
    assert not store.exists(key)
    store.put(key, b"first")
    assert store.exists(key) and store.get(key) == b"first" and store.size(key) == 5
    store.put(key, b"second, longer")  # overwriting replaces the object whole
    assert store.get(key) == b"second, longer"
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting what is not there is no error


def test_put_file_moves_a_file_in_and_fetch_gives_a_local_file(store, tmp_path):
    source = tmp_path / "big.csv"
    source.write_bytes(b"imei,model\n" * 10_000)
    store.put_file("imports/big.csv", source)
    assert not source.exists()  # moved, not copied
    with store.fetch("imports/big.csv") as path:
        assert path.read_bytes() == b"imei,model\n" * 10_000
    store.delete("imports/big.csv")
    with pytest.raises(FileNotFoundError), store.fetch("imports/big.csv"):
        pass


def test_a_missing_key_is_file_not_found(store):
    with pytest.raises(FileNotFoundError):
        store.get("incoming/nothing")
    with pytest.raises(FileNotFoundError):
        store.stream("incoming/nothing")
    with pytest.raises(FileNotFoundError):
        store.size("incoming/nothing")


def test_stream_gives_the_bytes_in_chunks_with_the_size(store):
    data = os.urandom(200_000)
    store.put("incoming/big", data)
    chunks = store.stream("incoming/big", chunk_bytes=65536)
    try:
        assert chunks.size == len(data)
        parts = list(chunks)
    finally:
        chunks.close()
    assert b"".join(parts) == data and len(parts) >= 3


def test_keys_cannot_leave_the_store(store):
    for bad in ("", "/etc/passwd", "../x", "a//b", "a/./b"):
        with pytest.raises(ValueError):
            store.put(bad, b"x")


def test_the_url_picks_the_backend(tmp_path, s3_server):
    assert isinstance(store_for("", tmp_path), LocalStore) and store_for("", tmp_path).root == tmp_path
    assert store_for("file://", tmp_path).root == tmp_path
    assert store_for("file:///srv/photos", tmp_path).root == Path("/srv/photos")
    s3 = store_for(s3_url(s3_server, "a/b/"), tmp_path)
    assert isinstance(s3, S3Store) and (s3.bucket, s3.prefix) == (BUCKET, "a/b/")
    with pytest.raises(ValueError):
        store_for("ftp://host/x", tmp_path)
    with pytest.raises(ValueError):
        store_for(f"s3://{BUCKET}/p?endpoint=http://x", tmp_path)  # a misspelt parameter is not ignored


# --- the app on S3 --------------------------------------------------------------------------------


@pytest.fixture
def app_on_s3(app, monkeypatch, s3_server):
    """The app with PHOTO_STORAGE_URL on a fresh prefix of the bucket, jobs in this process."""
    prefix = f"e2e-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "PHOTO_STORAGE_URL", s3_url(s3_server, prefix))
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    return S3Store(s3_url(s3_server, prefix))


def _local_files(app) -> list[Path]:
    root = Path(app.config["PHOTO_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_photo_is_uploaded_processed_and_served_from_the_bucket(app, api, world, app_on_s3):
    rep = api(world.rep_a1)
    pid, data = str(uuid.uuid4()), noisy_jpeg((500, 400))
    before = _local_files(app)
    r = put(rep, pid, data)
    assert r.status_code == 201 and r.json["status"] == "ready", r.json
    digest = sha(data)
    for variant in ("full", "display", "thumb"):
        assert app_on_s3.exists(f"blobs/{digest[:2]}/{digest}/{variant}.jpg")
    assert not app_on_s3.exists(f"incoming/{digest}")  # processed: the EXIF-bearing upload is gone
    assert _local_files(app) == before  # nothing stored on this host's disk

    r = rep.get(f"/api/v1/photos/{pid}/file", query_string={"variant": "thumb"})
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert r.data == app_on_s3.get(f"blobs/{digest[:2]}/{digest}/thumb.jpg") and r.data[:2] == b"\xff\xd8"
    assert r.content_length == len(r.data)
    assert "private" in r.headers["Cache-Control"] and "max-age=86400" in r.headers["Cache-Control"]
    again = rep.get(
        f"/api/v1/photos/{pid}/file", query_string={"variant": "thumb"}, headers={"If-None-Match": r.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    other = api(world.rep_b1)  # authorization is the app's, as on a local disk
    assert other.get(f"/api/v1/photos/{pid}/file").status_code == 404


def test_a_resumable_upload_keeps_its_chunks_locally_and_stores_the_photo_in_the_bucket(api, world, app_on_s3):
    rep = api(world.rep_a1)
    pid, data = str(uuid.uuid4()), noisy_jpeg((300, 300))
    url = f"/api/v1/photos/{pid}/upload"
    assert rep.post(url, json={"sha256": sha(data), "size": len(data)}).status_code == 201
    half = len(data) // 2
    assert rep.patch(url, query_string={"offset": 0}, data=data[:half]).status_code == 202
    r = rep.patch(url, query_string={"offset": half}, data=data[half:])
    assert r.status_code == 201 and r.json["status"] == "ready", r.json
    digest = sha(data)
    assert app_on_s3.exists(f"blobs/{digest[:2]}/{digest}/full.jpg")
    full = rep.get(f"/api/v1/photos/{pid}/file", query_string={"variant": "full"})
    assert full.status_code == 200 and full.data == app_on_s3.get(f"blobs/{digest[:2]}/{digest}/full.jpg")


def test_the_same_bytes_again_are_not_stored_twice(api, world, app_on_s3):
    rep = api(world.rep_a1)
    data = noisy_jpeg((200, 200))
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert put(rep, first, data).status_code == 201
    r = put(rep, second, data)  # another id, same content: ready at once, from the bucket's copies
    assert r.status_code == 201 and r.json["status"] == "ready"
    assert db.session.get(Photo, uuid.UUID(second)).processed_at is not None


def test_the_doctor_checks_the_bucket(app, app_on_s3, monkeypatch, s3_server):
    checks = {c["name"]: c for c in doctor.run_checks()}
    assert checks["photo storage"]["ok"] and "S3 bucket" in checks["photo storage"]["detail"]
    assert "reachable" in checks["photo storage"]["detail"]
    monkeypatch.setitem(app.config, "PHOTO_STORAGE_URL", s3_url(s3_server, "x").replace(BUCKET, "no-such-bucket"))
    check = {c["name"]: c for c in doctor.run_checks()}["photo storage"]
    assert not check["ok"] and "unreachable" in check["detail"]
