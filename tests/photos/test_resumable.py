"""Resumable photo upload: start, ask the offset, send chunks, resume after an interruption.

Like test_api.py, these pass with jobs in-process and with a real rq worker (REDIS_URL).
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.photos import service
from backend.photos.models import Photo, PhotoUpload
from tests.factories import TIANHE, iso, new_id
from tests.photos.images import noisy_jpeg, open_served, phone_jpeg, put, sha, wait_processed

pytestmark = pytest.mark.usefixtures("rq_worker")


def url(pid: str) -> str:
    return f"/api/v1/photos/{pid}/upload"


def start(client, pid: str, data: bytes, sha256: str | None = None, size: int | None = None):
    return client.post(url(pid), json={"sha256": sha256 or sha(data), "size": len(data) if size is None else size})


def send(client, pid: str, offset: int, chunk: bytes):
    return client.patch(url(pid), query_string={"offset": offset}, data=chunk, content_type="application/octet-stream")


def thirds(data: bytes) -> list[tuple[int, bytes]]:
    a, b = len(data) // 3, 2 * len(data) // 3
    return [(0, data[:a]), (a, data[a:b]), (b, data[b:])]


def upload_in_chunks(client, pid: str, data: bytes) -> dict:
    assert start(client, pid, data).status_code == 201
    *first, (offset, last) = thirds(data)
    for off, chunk in first:
        assert send(client, pid, off, chunk).status_code == 202
    r = send(client, pid, offset, last)
    assert r.status_code == 201, r.json
    return r.json


def blob_dirs(app) -> list[Path]:
    root = Path(app.config["PHOTO_DIR"]) / "blobs"
    return sorted(p for p in root.glob("*/*") if p.is_dir()) if root.exists() else []


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["PHOTO_DIR"]).rglob("*") if p.is_file())


def partial_files(app) -> list[Path]:
    root = Path(app.config["PHOTO_DIR"]) / "partial"
    return sorted(p for p in root.glob("*") if p.is_file()) if root.exists() else []


# --- the whole journey ----------------------------------------------------------------------------


def test_interrupted_upload_resumes_from_the_servers_offset(api, world, app):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    (o1, c1), (o2, c2), (o3, c3) = thirds(data)

    r = start(rep, pid, data)
    assert r.status_code == 201, r.json
    assert r.json == {"photo_id": pid, "sha256": sha(data), "size": len(data), "offset": 0, "complete": False}
    assert rep.get(url(pid)).json["offset"] == 0

    r = send(rep, pid, o1, c1)
    assert r.status_code == 202, r.json
    assert (r.json["offset"], r.json["complete"]) == (len(c1), False)

    r = send(rep, pid, o2, c2)
    assert r.status_code == 202 and r.json["offset"] == o3
    # The connection dropped before the answer arrived, so the phone sends chunk 2 again.
    again = send(rep, pid, o2, c2)
    assert again.status_code == 409, again.json
    assert again.json["details"]["offset"] == o3
    assert "offset" in again.json["errors"]["query"]

    # Later, on another network: ask where the server is, send the rest from there.
    status = rep.get(url(pid))
    assert status.status_code == 200
    assert status.json == {"photo_id": pid, "sha256": sha(data), "size": len(data), "offset": o3, "complete": False}
    assert start(rep, pid, data).json["offset"] == o3  # starting again says the same

    r = send(rep, pid, status.json["offset"], data[status.json["offset"] :])
    assert r.status_code == 201, r.json
    assert r.json["id"] == pid and r.json["sha256"] == sha(data) and r.json["size_bytes"] == len(data)

    photo = wait_processed(rep, pid)
    assert photo["status"] == "ready"
    assert (photo["width"], photo["height"]) == (200, 400)  # EXIF read like a one-shot upload
    assert photo["gps_latitude"] is not None
    served = rep.get(f"/api/v1/photos/{pid}/file", query_string={"variant": "full"})
    img = open_served(served)
    assert len(img.getexif()) == 0 and b"XingLan" not in served.data
    assert rep.get(url(pid)).json == {
        "photo_id": pid,
        "sha256": sha(data),
        "size": len(data),
        "offset": len(data),
        "complete": True,
    }
    assert partial_files(app) == []
    assert db.session.query(PhotoUpload).count() == 0


def test_upload_in_one_chunk(api, world):
    rep = api(world.rep_a1)
    data = noisy_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    r = send(rep, pid, 0, data)
    assert r.status_code == 201, r.json
    assert wait_processed(rep, pid)["status"] == "ready"


def test_sha256_in_upper_case_is_accepted(api, world):
    rep = api(world.rep_a1)
    data = phone_jpeg(gps=False)
    pid = new_id()
    assert start(rep, pid, data, sha256=sha(data).upper()).status_code == 201
    assert send(rep, pid, 0, data).status_code == 201


# --- completion -----------------------------------------------------------------------------------


def test_wrong_sha256_is_422_and_the_upload_starts_again(api, world, app):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    wrong = sha(data + b"x")
    assert start(rep, pid, data, sha256=wrong).status_code == 201
    (o1, c1), (o2, c2), (o3, c3) = thirds(data)
    assert send(rep, pid, o1, c1).status_code == 202
    assert send(rep, pid, o2, c2).status_code == 202
    r = send(rep, pid, o3, c3)
    assert r.status_code == 422, r.json
    assert "sha256" in r.json["errors"]["json"]
    assert r.json["details"]["received_sha256"] == sha(data)
    # Discarded: nothing kept, and the upload is unknown until started again.
    assert db.session.query(Photo).count() == 0
    assert stored_files(app) == []
    assert rep.get(url(pid)).status_code == 404
    assert send(rep, pid, o3, c3).status_code == 404

    assert start(rep, pid, data).json == {
        "photo_id": pid,
        "sha256": sha(data),
        "size": len(data),
        "offset": 0,
        "complete": False,
    }
    assert send(rep, pid, 0, data[:100]).status_code == 202
    assert send(rep, pid, 100, data[100:]).status_code == 201
    assert wait_processed(rep, pid)["status"] == "ready"


def test_bytes_that_are_not_an_image_are_422_and_discarded(api, world, app):
    rep = api(world.rep_a1)
    data = b"%PDF-1.4\n" + b"0" * 500
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:200]).status_code == 202
    r = send(rep, pid, 200, data[200:])
    assert r.status_code == 422, r.json
    assert "file" in r.json["errors"]["json"]
    assert db.session.query(Photo).count() == 0 and db.session.query(PhotoUpload).count() == 0
    assert stored_files(app) == []


def test_completing_twice_is_harmless(api, world, app):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    upload_in_chunks(rep, pid, data)
    first = wait_processed(rep, pid)
    files = stored_files(app)
    offset, last = thirds(data)[-1]
    for off, chunk in ((offset, last), (0, data), (len(data), b""), (5, b"whatever")):
        r = send(rep, pid, off, chunk)
        assert r.status_code == 200, r.json
        assert r.json == first
    r = start(rep, pid, data)
    assert r.status_code == 200
    assert (r.json["offset"], r.json["complete"]) == (len(data), True)
    assert stored_files(app) == files
    assert db.session.query(Photo).count() == 1
    assert db.session.query(PhotoUpload).count() == 0


def test_identical_content_under_two_ids_is_stored_once(api, world, app):
    rep = api(world.rep_a1)
    data = noisy_jpeg()
    a, b = new_id(), new_id()
    upload_in_chunks(rep, a, data)
    upload_in_chunks(rep, b, data)
    assert wait_processed(rep, a)["status"] == "ready"
    assert wait_processed(rep, b)["status"] == "ready"
    assert len(blob_dirs(app)) == 1
    assert len(stored_files(app)) == 3  # full, display, thumb; no partial or incoming copy left
    assert db.session.query(Photo).count() == 2


def test_same_content_as_a_one_shot_upload_is_stored_once(api, world, app):
    rep = api(world.rep_a1)
    data = noisy_jpeg()
    assert put(rep, new_id(), data).status_code == 201
    upload_in_chunks(rep, pid := new_id(), data)
    assert wait_processed(rep, pid)["status"] == "ready"
    assert len(blob_dirs(app)) == 1 and len(stored_files(app)) == 3


def test_a_photo_already_sent_with_put_is_complete(api, world, app):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert put(rep, pid, data).status_code == 201
    r = start(rep, pid, data)
    assert r.status_code == 200
    assert (r.json["offset"], r.json["size"], r.json["complete"]) == (len(data), len(data), True)
    assert send(rep, pid, 0, data).status_code == 200


def test_put_while_a_resumable_upload_is_under_way(api, world, app):
    """The phone gives up on the chunks and sends the photo whole: the upload left behind is
    cleared by the next chunk, which answers with the photo."""
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:100]).status_code == 202
    assert put(rep, pid, data).status_code == 201
    assert rep.get(url(pid)).json["complete"] is True
    r = send(rep, pid, 100, data[100:])
    assert r.status_code == 200 and r.json["id"] == pid
    assert partial_files(app) == [] and db.session.query(PhotoUpload).count() == 0


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["beyond", "behind"])
def test_offset_other_than_the_servers_is_409(api, world, where):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:1000]).status_code == 202
    offset = 1500 if where == "beyond" else 400
    r = send(rep, pid, offset, data[offset:2000])
    assert r.status_code == 409, r.json
    assert r.json["details"] == {"offset": 1000, "size": len(data)}
    assert str(offset) in r.json["message"]
    assert rep.get(url(pid)).json["offset"] == 1000


def test_first_chunk_not_at_zero_is_409(api, world):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    r = send(rep, pid, 10, data[10:])
    assert r.status_code == 409 and r.json["details"]["offset"] == 0


def test_chunk_beyond_the_declared_size_is_422(api, world):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:100]).status_code == 202
    r = send(rep, pid, 100, data[100:] + b"extra")
    assert r.status_code == 422, r.json
    assert "file" in r.json["errors"]["json"]
    assert rep.get(url(pid)).json["offset"] == 100  # nothing appended
    assert send(rep, pid, 100, data[100:]).status_code == 201


def test_empty_chunk_is_422(api, world):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, b"").status_code == 422


def test_size_over_the_limit_is_413(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 10_000)
    data = noisy_jpeg()
    assert len(data) > 10_000
    r = start(api(world.rep_a1), new_id(), data)
    assert r.status_code == 413, r.json
    assert "size" in r.json["errors"]["json"]
    assert db.session.query(PhotoUpload).count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"sha256": "abc", "size": 10}, "sha256"),
        ({"sha256": "z" * 64, "size": 10}, "sha256"),
        ({"size": 10}, "sha256"),
        ({"sha256": "0" * 64, "size": 0}, "size"),
        ({"sha256": "0" * 64, "size": -5}, "size"),
        ({"sha256": "0" * 64, "size": 2.5}, "size"),
        ({"sha256": "0" * 64}, "size"),
        ({"sha256": "0" * 64, "size": 10, "offset": 0}, "offset"),
    ],
)
def test_malformed_start_is_422(api, world, body, field):
    r = api(world.rep_a1).post(url(new_id()), json=body)
    assert r.status_code == 422, r.json
    assert field in r.json["errors"]["json"]


@pytest.mark.parametrize("offset", [None, "-1", "abc", "1.5"])
def test_malformed_offset_is_422(api, world, offset):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    query = {} if offset is None else {"offset": offset}
    r = rep.patch(url(pid), query_string=query, data=data, content_type="application/octet-stream")
    assert r.status_code == 422, r.json
    assert "offset" in r.json["errors"]["query"]


def test_same_id_with_other_content_is_409(api, world):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:100]).status_code == 202
    other = phone_jpeg(quality=60)
    r = start(rep, pid, other)
    assert r.status_code == 409, r.json
    assert r.json["details"]["offset"] == 100
    assert start(rep, pid, data, size=len(data) + 1).status_code == 409
    # Once complete, too.
    assert send(rep, pid, 100, data[100:]).status_code == 201
    assert start(rep, pid, other).status_code == 409


def test_unknown_upload_is_404(api, world):
    rep = api(world.rep_a1)
    pid = new_id()
    assert rep.get(url(pid)).status_code == 404
    assert send(rep, pid, 0, b"abc").status_code == 404


def test_another_user_cannot_see_or_continue_your_upload(api, world, app):
    rep, other = api(world.rep_a1), api(world.rep_a1b)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:100]).status_code == 202
    for who in (world.rep_a1b, world.manager_a, world.rep_b1):
        client = api(who)
        assert client.get(url(pid)).status_code == 404, who.username
        assert send(client, pid, 100, data[100:]).status_code == 404, who.username
        assert send(client, pid, 0, data).status_code == 404, who.username
    # A clerk uploads no photos at all (no record of theirs has any).
    clerk = api(world.clerk_a1)
    assert clerk.get(url(pid)).status_code == 404
    assert send(clerk, pid, 100, data[100:]).status_code == 403
    r = start(other, pid, data)  # nor take the id over
    assert r.status_code == 409 and "taken" in r.json["message"]
    # HQ may look, not write (HQ makes no records with photos: it uploads none).
    assert api(world.hq).get(url(pid)).json["offset"] == 100
    assert send(api(world.hq), pid, 100, data[100:]).status_code == 403
    assert start(api(world.hq), pid, data).status_code == 403
    # The uploader carries on undisturbed.
    assert rep.get(url(pid)).json["offset"] == 100
    assert send(rep, pid, 100, data[100:]).status_code == 201
    assert db.session.get(Photo, uuid.UUID(pid)).uploaded_by == world.rep_a1.id
    # Complete: still the uploader's alone.
    assert other.get(url(pid)).status_code == 404
    assert send(other, pid, 0, data).status_code == 404
    assert start(other, pid, data).status_code == 409


def test_upload_endpoints_need_a_token(client, world):
    pid = new_id()
    assert client.post(url(pid), json={"sha256": "0" * 64, "size": 10}).status_code == 401
    assert client.get(url(pid)).status_code == 401
    assert client.patch(url(pid), query_string={"offset": 0}, data=b"abc").status_code == 401


# --- robustness -----------------------------------------------------------------------------------


def test_bytes_beyond_the_recorded_offset_are_overwritten(api, world, app):
    """A chunk written to disk whose database update was lost (the server died in between):
    the offset stays where it was, and the resent chunk replaces those bytes."""
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:100]).status_code == 202
    with open(Path(app.config["PHOTO_DIR"]) / "partial" / pid, "ab") as fh:
        fh.write(b"garbage from a lost request")
    assert rep.get(url(pid)).json["offset"] == 100
    assert send(rep, pid, 100, data[100:]).status_code == 201
    assert wait_processed(rep, pid)["status"] == "ready"


def test_a_lost_partial_file_restarts_from_what_is_on_disk(api, world, app):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:100]).status_code == 202
    (Path(app.config["PHOTO_DIR"]) / "partial" / pid).unlink()
    r = send(rep, pid, 100, data[100:])
    assert r.status_code == 409 and r.json["details"]["offset"] == 0
    assert rep.get(url(pid)).json["offset"] == 0
    assert send(rep, pid, 0, data).status_code == 201


def test_the_same_chunk_sent_twice_at_once_is_appended_once(api, world, app, monkeypatch):
    """A phone retrying while its first attempt is still in flight: the two requests take turns
    (the second waits for the first's lock), so one appends and the other gets a 409."""
    from backend.photos import storage

    slow_write = storage.write_partial

    def write_partial(*args):
        time.sleep(0.3)  # hold the upload while the other request arrives
        slow_write(*args)

    monkeypatch.setattr(storage, "write_partial", write_partial)
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    token = rep.token

    def attempt():
        client = app.test_client()
        return client.patch(
            url(pid),
            query_string={"offset": 0},
            data=data[:1000],
            headers={"Authorization": f"Bearer {token}"},
            content_type="application/octet-stream",
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(lambda _: attempt(), range(2)))
    assert statuses == [202, 409]
    db.session.rollback()
    assert rep.get(url(pid)).json["offset"] == 1000
    assert send(rep, pid, 1000, data[1000:]).status_code == 201


def test_stale_uploads_are_discarded(api, world, app):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    old, fresh = new_id(), new_id()
    for pid in (old, fresh):
        assert start(rep, pid, data).status_code == 201
        assert send(rep, pid, 0, data[:100]).status_code == 202
    db.session.get(PhotoUpload, uuid.UUID(old)).updated_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert service.discard_stale_uploads(timedelta(days=7)) == 1
    db.session.commit()
    assert rep.get(url(old)).status_code == 404
    assert rep.get(url(fresh)).json["offset"] == 100
    assert [p.name for p in partial_files(app)] == [fresh]


# --- records that refer to the photo before it arrives --------------------------------------------


def test_display_check_before_the_upload_completes(api, world):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:500]).status_code == 202
    vid = new_id()
    visit = {
        "id": vid,
        "store_id": world.store_a1.id,
        "checked_in_at": iso(utcnow() - timedelta(hours=1)),
        "latitude": TIANHE[0],
        "longitude": TIANHE[1],
        "accuracy_m": 10,
    }
    assert rep.post("/api/v1/visits", json=visit).status_code == 201
    check = {
        "id": new_id(),
        "visit_id": vid,
        "checked_at": iso(utcnow() - timedelta(minutes=30)),
        "answers": [{"item_id": world.yes_item.id, "value": True}],
        "photo_ids": [pid],
    }
    r = rep.post("/api/v1/display-checks", json=check)
    assert r.status_code == 201, r.json
    assert r.json["photo_ids"] == [pid]
    manager = api(world.manager_a)
    assert manager.get(f"/api/v1/photos/{pid}").status_code == 404  # not there yet
    assert manager.get(url(pid)).status_code == 404  # the upload itself is the rep's business

    assert send(rep, pid, 500, data[500:]).status_code == 201
    assert wait_processed(rep, pid)["status"] == "ready"
    assert manager.get(f"/api/v1/photos/{pid}").status_code == 200
    assert open_served(manager.get(f"/api/v1/photos/{pid}/file", query_string={"variant": "thumb"}))
    for who in (world.manager_b, world.rep_a1b, world.clerk_a1):
        assert api(who).get(f"/api/v1/photos/{pid}").status_code == 404, who.username
