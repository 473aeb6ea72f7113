"""Who may upload photos, and how much: roles that make records with photos (reps, managers)
upload, others get 403; a photo a record refers to is uploaded by that record's author alone;
a user's unfinished resumable uploads hold at most PHOTO_UPLOAD_QUOTA_BYTES.

Like test_api.py, these pass with jobs in-process and with a real rq worker (REDIS_URL).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.photos import service
from backend.photos.models import Photo, PhotoUpload
from tests.factories import TIANHE, iso, new_id
from tests.photos.images import noisy_jpeg, phone_jpeg, put, sha, wait_processed

pytestmark = pytest.mark.usefixtures("rq_worker")


def url(pid: str) -> str:
    return f"/api/v1/photos/{pid}/upload"


def start(client, pid: str, data: bytes, size: int | None = None):
    return client.post(url(pid), json={"sha256": sha(data), "size": len(data) if size is None else size})


def send(client, pid: str, offset: int, chunk: bytes):
    return client.patch(url(pid), query_string={"offset": offset}, data=chunk, content_type="application/octet-stream")


def partial_files(app) -> list[Path]:
    root = Path(app.config["PHOTO_DIR"]) / "partial"
    return sorted(p for p in root.glob("*") if p.is_file()) if root.exists() else []


# --- roles ----------------------------------------------------------------------------------------


def test_the_roles_that_upload_are_those_that_make_records_with_photos():
    # display checks, price observations and intel reports: made by reps and managers
    assert service.uploader_roles() == {"rep", "manager"}


@pytest.mark.parametrize("who", ["clerk_a1", "hq", "admin"])
def test_a_role_without_records_with_photos_may_not_upload(api, world, app, who):
    client = api(world.users[who])
    data = phone_jpeg()
    r = put(client, new_id(), data)
    assert r.status_code == 403, r.json
    assert r.json["code"] == "forbidden" and "may not upload photos" in r.json["message"]
    r = start(client, pid := new_id(), data)
    assert r.status_code == 403, r.json
    assert send(client, pid, 0, data).status_code == 403
    assert db.session.query(Photo).count() == 0 and db.session.query(PhotoUpload).count() == 0
    assert partial_files(app) == []


@pytest.mark.parametrize("who", ["rep_a1", "manager_a"])
def test_reps_and_managers_upload(api, world, who):
    client = api(world.users[who])
    assert put(client, new_id(), phone_jpeg()).status_code == 201
    data = noisy_jpeg()
    assert start(client, pid := new_id(), data).status_code == 201
    assert send(client, pid, 0, data).status_code == 201


# --- a record's photos: its author's to upload ---------------------------------------------------


def _display_check_with(client, world, photo_ids: list[str]):
    vid = new_id()
    visit = {
        "id": vid,
        "store_id": world.store_a1.id,
        "checked_in_at": iso(utcnow() - timedelta(hours=1)),
        "latitude": TIANHE[0],
        "longitude": TIANHE[1],
        "accuracy_m": 10,
    }
    r = client.post("/api/v1/visits", json=visit)
    assert r.status_code == 201, r.json
    check = {
        "id": new_id(),
        "visit_id": vid,
        "checked_at": iso(utcnow() - timedelta(minutes=30)),
        "answers": [{"item_id": world.yes_item.id, "value": True}],
        "photo_ids": photo_ids,
    }
    return client.post("/api/v1/display-checks", json=check)


def test_only_the_author_of_the_record_uploads_its_photo(api, world, app):
    """The rep's display check (synced first, as the phone does) refers to a photo not uploaded
    yet; their manager sees the check and its photo id. Neither the manager's one-shot upload nor
    their resumable one may take that id, so the rep's real photo is the one stored."""
    rep, manager = api(world.rep_a1), api(world.manager_a)
    pid = new_id()
    r = _display_check_with(rep, world, [pid])
    assert r.status_code == 201, r.json
    assert manager.get(f"/api/v1/display-checks/{r.json['id']}").json["photo_ids"] == [pid]

    forged = noisy_jpeg()
    r = put(manager, pid, forged)
    assert r.status_code == 403, r.json
    assert "another user" in r.json["message"] and "id" in r.json["errors"]["json"]
    assert start(manager, pid, forged).status_code == 403
    assert send(manager, pid, 0, forged).status_code == 403
    assert db.session.get(Photo, uuid.UUID(pid)) is None and partial_files(app) == []

    real = phone_jpeg()
    r = put(rep, pid, real)
    assert r.status_code == 201, r.json
    assert r.json["uploaded_by"] == world.rep_a1.id and r.json["sha256"] == sha(real)
    assert wait_processed(rep, pid)["status"] == "ready"
    assert wait_processed(manager, pid)["sha256"] == sha(real)  # the manager sees the rep's photo


@pytest.mark.parametrize("how", ["resumable", "one-shot"])
def test_an_upload_started_before_the_record_arrived_gives_way_to_the_author(api, world, app, how):
    """A manager starts an upload under an id that a rep's record then comes to refer to: the
    manager's next chunk is refused, and the rep's own upload takes the id over (the manager's
    is discarded, bytes and all)."""
    rep, manager = api(world.rep_a1), api(world.manager_a)
    pid, forged = new_id(), noisy_jpeg()
    assert start(manager, pid, forged).status_code == 201
    assert send(manager, pid, 0, forged[:100]).status_code == 202
    assert _display_check_with(rep, world, [pid]).status_code == 201
    r = send(manager, pid, 100, forged[100:])
    assert r.status_code == 403, r.json
    db.session.rollback()
    assert db.session.get(Photo, uuid.UUID(pid)) is None

    real = phone_jpeg()
    if how == "resumable":
        assert start(rep, pid, real).status_code == 201
        assert send(rep, pid, 0, real).status_code == 201
    else:
        assert put(rep, pid, real).status_code == 201
    assert wait_processed(rep, pid)["sha256"] == sha(real)
    assert db.session.query(PhotoUpload).count() == 0 and partial_files(app) == []
    assert manager.get(url(pid)).status_code == 404


def test_a_record_may_not_refer_to_a_photo_another_users_record_refers_to(api, world):
    """Else the manager could link the rep's pending photo id to a record of their own and
    then upload under it as that record's author."""
    rep, manager = api(world.rep_a1), api(world.manager_a)
    pid = new_id()
    assert _display_check_with(rep, world, [pid]).status_code == 201
    r = _display_check_with(manager, world, [pid])
    assert r.status_code == 422, r.json
    assert "photo_ids" in r.json["errors"]["json"]
    assert put(manager, pid, noisy_jpeg()).status_code == 403
    # The rep may refer to it from another record of theirs.
    assert _display_check_with(rep, world, [pid]).status_code == 201
    assert put(rep, pid, phone_jpeg()).status_code == 201


def test_a_manager_uploads_the_photos_of_their_own_records(api, world):
    manager = api(world.manager_a)
    pid = new_id()
    assert _display_check_with(manager, world, [pid]).status_code == 201
    assert put(manager, pid, phone_jpeg()).status_code == 201
    assert put(api(world.rep_a1), new_id(), phone_jpeg()).status_code == 201


# --- the quota of unfinished uploads --------------------------------------------------------------


def test_unfinished_uploads_beyond_the_quota_are_refused(api, world, app, monkeypatch):
    """A user parks uploads (started, a few bytes sent, never finished): past the quota the next
    start is a 429 saying what holds it and how to free it; finishing or abandoning one frees
    room, and other users are not affected."""
    data = noisy_jpeg()
    quota = 60_000 + len(data) - 1  # three parked uploads of 20,000 bytes: no room for this one
    monkeypatch.setitem(app.config, "PHOTO_UPLOAD_QUOTA_BYTES", quota)
    rep = api(world.rep_a1)
    parked = []
    for _ in range(3):
        pid = new_id()
        assert start(rep, pid, b"x", size=20_000).status_code == 201
        assert send(rep, pid, 0, b"\0" * 1000).status_code == 202
        parked.append(pid)
    r = start(rep, pid := new_id(), data)
    assert r.status_code == 429, r.json
    assert r.json["code"] == "too_many_requests"
    assert "Finish them" in r.json["message"] and "abandon them" in r.json["message"]
    assert int(r.headers["Retry-After"]) > 0
    details = r.json["details"]
    assert (details["quota_bytes"], details["held_bytes"], details["size"]) == (quota, 60_000, len(data))
    assert sorted(u["photo_id"] for u in details["uploads"]) == sorted(parked)
    assert {u["offset"] for u in details["uploads"]} == {1000}
    assert db.session.get(PhotoUpload, uuid.UUID(pid)) is None

    # Resuming one already started is not a new upload: never refused.
    assert start(rep, parked[0], b"x", size=20_000).json["offset"] == 1000
    # A one-shot upload leaves nothing unfinished: not counted, not refused.
    assert put(rep, new_id(), phone_jpeg()).status_code == 201
    # Someone else has a quota of their own.
    assert start(api(world.rep_a1b), new_id(), data).status_code == 201

    # Abandon one: room for the new upload.
    r = rep.delete(url(parked[0]))
    assert r.status_code == 204
    assert rep.get(url(parked[0])).status_code == 404
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data).status_code == 201
    assert wait_processed(rep, pid)["status"] == "ready"
    assert len(partial_files(app)) == 2  # the two parked ones left
    assert db.session.query(PhotoUpload).count() == 3  # and rep_a1b's, started (no bytes yet)


def test_the_declared_size_counts_from_the_start(api, world, app, monkeypatch):
    """Declaring sizes reserves them: starting uploads without sending a byte cannot get around
    the quota."""
    monkeypatch.setitem(app.config, "PHOTO_UPLOAD_QUOTA_BYTES", 50_000)
    rep = api(world.rep_a1)
    assert start(rep, new_id(), b"x", size=40_000).status_code == 201
    assert start(rep, new_id(), b"y", size=10_000).status_code == 201  # exactly the quota
    assert start(rep, new_id(), b"z", size=1).status_code == 429


def test_abandoning_is_for_ones_own_unfinished_upload(api, world, app):
    rep, other = api(world.rep_a1), api(world.rep_a1b)
    data = phone_jpeg()
    pid = new_id()
    assert start(rep, pid, data).status_code == 201
    assert send(rep, pid, 0, data[:100]).status_code == 202
    for client in (other, api(world.manager_a), api(world.hq), api(world.clerk_a1)):
        assert client.delete(url(pid)).status_code == 404
    assert rep.get(url(pid)).json["offset"] == 100
    assert rep.delete(url(pid)).status_code == 204
    assert rep.delete(url(pid)).status_code == 404
    assert partial_files(app) == [] and db.session.query(PhotoUpload).count() == 0
    # Complete uploads are photos, not abandoned by this.
    done = new_id()
    assert put(rep, done, data).status_code == 201
    assert rep.delete(url(done)).status_code == 404
    assert rep.get(f"/api/v1/photos/{done}").status_code == 200
