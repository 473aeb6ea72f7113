"""Photo upload, processing, serving and access, with images made by Pillow in the test.

Without REDIS_URL the processing job runs in-process; with it, the `rq_worker` fixture runs a
real worker and the tests poll until the photo is processed, so they pass in both setups.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.photos.models import Photo
from tests.factories import TIANHE, iso, new_id
from tests.photos.images import (
    BLUE,
    GPS_DEG,
    GREEN,
    RED,
    encoded,
    jpeg_claiming,
    noisy_jpeg,
    open_served,
    phone_jpeg,
    png_claiming,
    png_with_alpha,
    put,
    sha,
    upload,
    wait_processed,
    webp,
    webp_claiming,
    with_damaged_image_data,
)

pytestmark = pytest.mark.usefixtures("rq_worker")


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["PHOTO_DIR"]).rglob("*") if p.is_file())


def blob_dirs(app) -> list[Path]:
    root = Path(app.config["PHOTO_DIR"]) / "blobs"
    return sorted(p for p in root.glob("*/*") if p.is_dir()) if root.exists() else []


def served(client, photo_id, variant):
    return open_served(client.get(f"/api/v1/photos/{photo_id}/file", query_string={"variant": variant}))


def close(a, b, tol=40) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


# --- upload and metadata --------------------------------------------------------------------------


def test_phone_jpeg_is_stored_and_its_metadata_read(api, world):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    r = put(rep, pid, data)
    assert r.status_code == 201, r.json
    assert r.json["id"] == pid
    assert r.json["sha256"] == sha(data)
    photo = wait_processed(rep, pid)
    assert photo["status"] == "ready"
    assert photo["error"] is None
    assert photo["processed_at"] is not None
    assert photo["format"] == "JPEG"
    assert photo["size_bytes"] == len(data)
    assert (photo["width"], photo["height"]) == (200, 400)  # upright, like the served copies
    assert photo["gps_latitude"] == pytest.approx(GPS_DEG[0], abs=1e-5)
    assert photo["gps_longitude"] == pytest.approx(GPS_DEG[1], abs=1e-5)
    assert photo["taken_at"].startswith("2026-05-01T10:20:30")
    assert photo["uploaded_by"] == world.rep_a1.id


def test_sha256_in_upper_case_is_accepted(api, world):
    data = phone_jpeg(gps=False)
    r = put(api(world.rep_a1), new_id(), data, sha256=sha(data).upper())
    assert r.status_code == 201, r.json


def test_jpeg_without_exif_has_no_gps(api, world):
    photo = upload(api(world.rep_a1), new_id(), phone_jpeg(orientation=None, gps=False, taken=False))
    assert photo["gps_latitude"] is None and photo["gps_longitude"] is None and photo["taken_at"] is None


# --- the served copies ----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["full", "display", "thumb"])
def test_served_copies_carry_no_exif(api, world, variant):
    rep = api(world.rep_a1)
    pid = new_id()
    upload(rep, pid, phone_jpeg())
    r = rep.get(f"/api/v1/photos/{pid}/file", query_string={"variant": variant})
    img = open_served(r)
    assert img.format == "JPEG"
    assert len(img.getexif()) == 0
    assert "exif" not in img.info
    assert b"Exif" not in r.data and b"XingLan" not in r.data
    assert "private" in r.headers["Cache-Control"]


def test_default_variant_is_display(api, world):
    rep = api(world.rep_a1)
    pid = new_id()
    upload(rep, pid, encoded((2000, 1000), "JPEG"))
    assert open_served(rep.get(f"/api/v1/photos/{pid}/file")).size == (1600, 800)


def test_orientation_is_applied(api, world):
    """Stored 400×200 with orientation 6 (turn 90° clockwise to view): served 200×400, with
    what was the left half now on top."""
    rep = api(world.rep_a1)
    pid = new_id()
    upload(rep, pid, phone_jpeg((400, 200), orientation=6))
    full = served(rep, pid, "full")
    assert full.size == (200, 400)
    assert close(full.getpixel((100, 50)), RED)
    assert close(full.getpixel((100, 350)), BLUE)
    thumb = served(rep, pid, "thumb")
    assert thumb.size[0] < thumb.size[1]


def test_sizes_of_the_copies(api, world):
    rep = api(world.rep_a1)
    pid = new_id()
    upload(rep, pid, encoded((2400, 1000), "PNG"), content_type="image/png")
    assert served(rep, pid, "full").size == (2400, 1000)
    display = served(rep, pid, "display")
    thumb = served(rep, pid, "thumb")
    assert max(display.size) <= 1600 and display.size == (1600, 667)
    assert max(thumb.size) <= 320 and thumb.size == (320, 133)


def test_small_image_is_not_enlarged(api, world):
    rep = api(world.rep_a1)
    pid = new_id()
    upload(rep, pid, encoded((120, 90), "JPEG"))
    assert served(rep, pid, "display").size == (120, 90)
    assert served(rep, pid, "thumb").size == (120, 90)


def test_png_with_alpha_is_flattened_on_white(api, world):
    rep = api(world.rep_a1)
    pid = new_id()
    photo = upload(rep, pid, png_with_alpha(), content_type="image/png")
    assert photo["format"] == "PNG"
    r = rep.get(f"/api/v1/photos/{pid}/file", query_string={"variant": "full"})
    full = open_served(r)
    assert full.mode == "RGB" and full.size == (300, 200)
    assert close(full.getpixel((20, 100)), (255, 255, 255))
    assert close(full.getpixel((280, 100)), GREEN)
    assert b"secret note" not in r.data


def test_webp_is_served_as_jpeg(api, world):
    rep = api(world.rep_a1)
    pid = new_id()
    photo = upload(rep, pid, webp((320, 240)), content_type="image/webp")
    assert photo["format"] == "WEBP"
    full = served(rep, pid, "full")
    assert full.format == "JPEG" and full.size == (320, 240)
    assert close(full.getpixel((40, 120)), RED) and close(full.getpixel((280, 120)), BLUE)


@pytest.mark.parametrize("variant", ["original", "", "FULL"])
def test_unknown_variant_is_422(api, world, variant):
    rep = api(world.rep_a1)
    pid = new_id()
    upload(rep, pid, phone_jpeg())
    r = rep.get(f"/api/v1/photos/{pid}/file", query_string={"variant": variant})
    assert r.status_code == 422
    assert "variant" in r.json["errors"]["query"]


def test_file_of_an_unprocessed_photo_is_409(api, world):
    rep = api(world.rep_a1)
    pid = new_id()
    upload(rep, pid, phone_jpeg())
    db.session.get(Photo, uuid.UUID(pid)).status = "received"
    db.session.commit()
    r = rep.get(f"/api/v1/photos/{pid}/file")
    assert r.status_code == 409
    assert r.json["details"]["status"] == "received"


def test_unknown_photo_is_404(api, world):
    assert api(world.hq).get(f"/api/v1/photos/{new_id()}").status_code == 404
    assert api(world.hq).get(f"/api/v1/photos/{new_id()}/file").status_code == 404


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="patches the job in this process")
def test_a_failing_job_marks_the_photo_failed(api, world, monkeypatch):
    from backend.photos import imaging

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imaging, "make_variants", broken)
    rep = api(world.rep_a1)
    pid = new_id()
    assert put(rep, pid, phone_jpeg()).status_code == 201
    photo = wait_processed(rep, pid)
    assert photo["status"] == "failed"
    assert "disk on fire" in photo["error"]
    assert rep.get(f"/api/v1/photos/{pid}/file").status_code == 409


# --- idempotency and deduplication ----------------------------------------------------------------


def test_same_id_same_bytes_is_200_and_stored_once(api, world, app):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    pid = new_id()
    upload(rep, pid, data)
    files = stored_files(app)
    assert len(files) == 3  # full, display, thumb; the incoming copy is gone
    again = put(rep, pid, data)
    assert again.status_code == 200, again.json
    assert again.json["status"] == "ready"
    assert stored_files(app) == files
    assert db.session.query(Photo).count() == 1


def test_same_id_different_bytes_is_409(api, world, app):
    rep = api(world.rep_a1)
    pid = new_id()
    first = upload(rep, pid, phone_jpeg())
    files = stored_files(app)
    r = put(rep, pid, phone_jpeg(quality=70))
    assert r.status_code == 409, r.json
    assert stored_files(app) == files
    assert rep.get(f"/api/v1/photos/{pid}").json["sha256"] == first["sha256"]


def test_two_ids_same_bytes_share_one_blob(api, world, app):
    rep = api(world.rep_a1)
    data = phone_jpeg()
    a, b = new_id(), new_id()
    upload(rep, a, data)
    assert put(rep, b, data).status_code == 201
    assert wait_processed(rep, b)["status"] == "ready"
    assert len(blob_dirs(app)) == 1
    assert len(stored_files(app)) == 3
    assert served(rep, a, "thumb").tobytes() == served(rep, b, "thumb").tobytes()


def test_two_ids_same_bytes_back_to_back(api, world, app):
    """The second upload arrives before the first is processed (with a worker): one blob still."""
    rep, other = api(world.rep_a1), api(world.rep_a2)
    data = noisy_jpeg()
    a, b = new_id(), new_id()
    assert put(rep, a, data).status_code == 201
    assert put(other, b, data).status_code == 201
    assert wait_processed(rep, a)["status"] == "ready"
    assert wait_processed(other, b)["status"] == "ready"
    assert len(blob_dirs(app)) == 1
    assert len(stored_files(app)) == 3
    assert db.session.query(Photo).count() == 2


def test_different_bytes_different_blobs(api, world, app):
    rep = api(world.rep_a1)
    upload(rep, new_id(), phone_jpeg())
    upload(rep, new_id(), webp(), content_type="image/webp")
    assert len(blob_dirs(app)) == 2


# --- refusals -------------------------------------------------------------------------------------


def refused(app, r, status, field):
    assert r.status_code == status, r.json
    assert r.is_json
    where = r.json["errors"]
    assert any(field in fields for fields in where.values()), where
    assert field in r.json["message"] or status == 413 or field == "file"
    assert db.session.query(Photo).count() == 0
    assert stored_files(app) == []


def test_wrong_sha256_is_422_naming_it(api, world, app):
    data = phone_jpeg()
    r = put(api(world.rep_a1), new_id(), data, sha256=sha(data + b"x"))
    refused(app, r, 422, "sha256")
    assert r.json["details"]["received_sha256"] == sha(data)


@pytest.mark.parametrize("value", ["abc", "z" * 64, "0" * 63, ""])
def test_malformed_sha256_is_422(api, world, app, value):
    refused(app, put(api(world.rep_a1), new_id(), phone_jpeg(), sha256=value), 422, "sha256")


def test_missing_sha256_is_422(api, world, app):
    r = api(world.rep_a1).put(f"/api/v1/photos/{new_id()}", data=phone_jpeg(), content_type="image/jpeg")
    refused(app, r, 422, "sha256")


def test_empty_body_is_422(api, world, app):
    refused(app, put(api(world.rep_a1), new_id(), b""), 422, "file")


@pytest.mark.parametrize(
    "data",
    [
        "这不是图片 — just some text\n".encode() * 20,
        b"%PDF-1.4\n" + b"0" * 500,
        b"\xff\xd8\xff\xe0" + b"\x00" * 10,  # a JPEG signature and nothing else
    ],
    ids=["text", "pdf", "jpeg-signature-only"],
)
def test_not_an_image_is_422(api, world, app, data):
    refused(app, put(api(world.rep_a1), new_id(), data), 422, "file")


def test_gif_is_422(api, world, app):
    r = put(api(world.rep_a1), new_id(), encoded((10, 10), "GIF"), content_type="image/gif")
    refused(app, r, 422, "file")
    assert "GIF" in r.json["message"]


@pytest.mark.parametrize("fraction", [0.9, 0.5, 0.1])
def test_truncated_jpeg_is_422(api, world, app, fraction):
    data = noisy_jpeg()
    refused(app, put(api(world.rep_a1), new_id(), data[: int(len(data) * fraction)]), 422, "file")


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_truncated_png_and_webp_are_422(api, world, app, fmt):
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((200, 150), 64).convert("RGB").save(out, fmt)
    data = out.getvalue()
    refused(app, put(api(world.rep_a1), new_id(), data[: len(data) // 2], content_type="image/png"), 422, "file")


@pytest.mark.parametrize(
    "size",
    [(100_000, 100_000), (9_500, 9_500), (8_000, 8_000)],
    ids=["far-beyond-pillow-limit", "beyond-pillow-warning", "beyond-configured-limit"],
)
def test_decompression_bomb_is_413(api, world, app, size):
    data = png_claiming(*size)
    assert len(data) < 200
    r = put(api(world.rep_a1), new_id(), data, content_type="image/png")
    refused(app, r, 413, "file")


def test_configured_pixel_limit(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_PIXELS", 100 * 100)
    r = put(api(world.rep_a1), new_id(), encoded((101, 100)), content_type="image/png")
    refused(app, r, 413, "file")
    assert put(api(world.rep_a1), new_id(), encoded((100, 100)), content_type="image/png").status_code == 201


@pytest.mark.parametrize(
    "fmt, data, limit",
    [
        ("png", png_claiming(4097, 4096), "16,777,216"),
        ("webp", webp_claiming(4097, 4096), "16,777,216"),
        ("jpeg", jpeg_claiming(8336, 6240), "52,000,000"),
    ],
)
def test_beyond_the_pixel_limit_is_413_saying_so(api, world, app, fmt, data, limit):
    """Tiny files whose headers claim more pixels than accepted (a PNG or WebP: 4096² at most,
    as they can only be decoded whole; a JPEG: 52 MP) are refused from the header."""
    assert len(data) < 1000
    r = put(api(world.rep_a1), new_id(), data, content_type=f"image/{fmt}")
    refused(app, r, 413, "file")
    assert r.json["code"] == "too_large"
    assert f"pixels; at most {limit} are accepted" in r.json["message"]
    assert ("4097×4096" if fmt != "jpeg" else "8336×6240") in r.json["message"]


def test_the_png_and_webp_pixel_limit_is_configurable(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_PIXELS_PNG_WEBP", 100 * 100)
    rep = api(world.rep_a1)
    refused(app, put(rep, new_id(), encoded((101, 100), "WEBP"), content_type="image/webp"), 413, "file")
    assert put(rep, new_id(), encoded((100, 100), "WEBP"), content_type="image/webp").status_code == 201
    assert put(rep, new_id(), encoded((200, 100), "JPEG")).status_code == 201  # JPEG: PHOTO_MAX_PIXELS


def test_an_image_whose_data_cannot_be_decoded_fails_in_the_job_with_the_reason(api, world, app):
    """Sound headers and chunks, garbled image data: the upload is accepted (nothing is decoded
    while the client waits), and the job marks the photo failed, saying why, once: another
    attempt would fail the same way."""
    from sqlalchemy import select

    from backend.jobs import OutboxJob

    rep = api(world.rep_a1)
    pid, data = new_id(), with_damaged_image_data(encoded((120, 90), "PNG"))
    r = put(rep, pid, data, content_type="image/png")
    assert r.status_code == 201, r.json
    photo = wait_processed(rep, pid)
    assert photo["status"] == "failed"
    assert photo["error"].startswith("The image data is damaged or truncated"), photo["error"]
    assert rep.get(f"/api/v1/photos/{pid}/file").status_code == 409
    deadline = time.monotonic() + 10
    while True:
        db.session.rollback()
        (job,) = db.session.scalars(select(OutboxJob)).all()
        if job.state != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (job.state, job.attempts) == ("failed", 1), job.last_error
    assert "damaged or truncated" in job.last_error
    assert stored_files(app) == []  # the upload's bytes are not kept for attempts that cannot succeed
    assert put(rep, pid, data, content_type="image/png").json["status"] == "failed"  # the phone's retry


def test_too_many_bytes_is_413(api, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 10_000)
    data = noisy_jpeg()
    assert len(data) > 10_000
    refused(app, put(api(world.rep_a1), new_id(), data), 413, "file")


def test_upload_needs_a_token(client, world):
    data = phone_jpeg()
    r = client.put(f"/api/v1/photos/{new_id()}", query_string={"sha256": sha(data)}, data=data)
    assert r.status_code == 401


# --- who may see a photo --------------------------------------------------------------------------


def _visit(client, store, position=TIANHE) -> str:
    vid = new_id()
    r = client.post(
        "/api/v1/visits",
        json={
            "id": vid,
            "store_id": store.id,
            "checked_in_at": iso(utcnow() - timedelta(hours=1)),
            "latitude": position[0],
            "longitude": position[1],
            "accuracy_m": 10,
        },
    )
    assert r.status_code == 201, r.json
    return vid


def status_for(api, who, pid) -> tuple[int, int]:
    client = api(who)
    return (
        client.get(f"/api/v1/photos/{pid}").status_code,
        client.get(f"/api/v1/photos/{pid}/file", query_string={"variant": "thumb"}).status_code,
    )


def test_unlinked_photo_only_for_uploader_and_hq(api, world):
    pid = new_id()
    upload(api(world.rep_a1), pid, phone_jpeg())
    assert status_for(api, world.rep_a1, pid) == (200, 200)
    assert status_for(api, world.hq, pid) == (200, 200)
    assert status_for(api, world.admin, pid) == (200, 200)
    for who in (world.manager_a, world.rep_a1b, world.rep_a2, world.manager_b, world.clerk_a1):
        assert status_for(api, who, pid) == (404, 404), who.username


def test_photo_of_a_display_check_follows_the_check(api, world):
    rep = api(world.rep_a1)
    pid = new_id()
    vid = _visit(rep, world.store_a1)
    check = {
        "id": new_id(),
        "visit_id": vid,
        "checked_at": iso(utcnow() - timedelta(minutes=30)),
        "answers": [{"item_id": world.yes_item.id, "value": True}],
        "photo_ids": [pid],
    }
    # The record may arrive before the photo (offline sync sends records first).
    assert rep.post("/api/v1/display-checks", json=check).status_code == 201
    upload(rep, pid, phone_jpeg())
    assert status_for(api, world.manager_a, pid) == (200, 200)
    assert status_for(api, world.hq, pid) == (200, 200)
    for who in (world.manager_b, world.rep_a2, world.rep_b1, world.rep_a1b, world.clerk_a1):
        assert status_for(api, who, pid) == (404, 404), who.username


def test_photo_of_a_price_observation_follows_the_observation(api, world):
    rep = api(world.rep_b1)
    pid = new_id()
    upload(rep, pid, phone_jpeg())
    obs = {
        "id": new_id(),
        "store_id": world.store_b1.id,
        "competitor_model_id": world.competitor_model.id,
        "shelf_price": "2599.00",
        "observed_at": iso(utcnow() - timedelta(hours=1)),
        "photo_ids": [pid],
    }
    assert rep.post("/api/v1/price-observations", json=obs).status_code == 201
    assert status_for(api, world.manager_b, pid) == (200, 200)
    for who in (world.manager_a, world.rep_a1):
        assert status_for(api, who, pid) == (404, 404), who.username


def test_photo_of_an_intel_report_follows_the_report(api, world):
    rep = api(world.rep_a2)
    pid = new_id()
    upload(rep, pid, phone_jpeg())
    report = {
        "id": new_id(),
        "kind": "opening",
        "name": "荣耀新店",
        "latitude": 23.13,
        "longitude": 113.27,
        "reported_at": iso(utcnow() - timedelta(hours=1)),
        "photo_ids": [pid],
    }
    assert rep.post("/api/v1/intel-reports", json=report).status_code == 201
    assert status_for(api, world.manager_a, pid) == (200, 200)
    assert status_for(api, world.manager_b, pid) == (404, 404)
    assert status_for(api, world.rep_a1, pid) == (404, 404)


def test_another_user_cannot_overwrite_or_probe_by_reupload(api, world):
    """Re-sending the same bytes under an existing id answers 200 only with the same bytes; a
    different user's re-upload does not change who uploaded it."""
    data = phone_jpeg()
    pid = new_id()
    upload(api(world.rep_a1), pid, data)
    r = put(api(world.rep_b1), pid, phone_jpeg(quality=50))
    assert r.status_code == 409
    assert db.session.get(Photo, uuid.UUID(pid)).uploaded_by == world.rep_a1.id


def test_a_record_cannot_link_a_photo_someone_else_uploaded(api, world):
    other = api(world.rep_a1b)
    pid = new_id()
    assert put(other, pid, phone_jpeg()).status_code == 201
    rep = api(world.rep_a1)
    visit_id = new_id()
    now = utcnow()
    assert (
        rep.post(
            "/api/v1/visits",
            json={
                "id": visit_id,
                "store_id": world.store_a1.id,
                "checked_in_at": iso(now),
                "latitude": TIANHE[0],
                "longitude": TIANHE[1],
                "accuracy_m": 10,
            },
        ).status_code
        == 201
    )
    r = rep.post(
        "/api/v1/display-checks",
        json={
            "id": new_id(),
            "visit_id": visit_id,
            "checked_at": iso(now),
            "answers": [{"item_id": world.yes_item.id, "value": True}],
            "photo_ids": [pid],
        },
    )
    assert r.status_code == 422 and "photo_ids" in r.json["errors"]["json"], r.json
    assert rep.get(f"/api/v1/photos/{pid}").status_code == 404


def test_another_user_cannot_claim_an_uploaded_photo_id(api, world):
    data = phone_jpeg()
    pid = new_id()
    assert put(api(world.rep_a1), pid, data).status_code == 201
    r = put(api(world.rep_a1b), pid, data)
    assert r.status_code == 409, r.json
    assert "taken" in r.json["message"]
