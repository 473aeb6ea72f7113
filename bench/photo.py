"""One 12-megapixel phone photo: upload validation, the processed copies, a whole upload.

The JPEG is 4000x3000, photo-like for the encoder (gradients, shapes with edges, a little
blur and sensor noise: about 4.5 MB at quality 92, like a phone's), with EXIF orientation 6
(taken upright, so it becomes 3000x4000) and a GPS position.
"""

from __future__ import annotations

import hashlib
import io
import random
import time
import uuid

from PIL import ExifTags, Image, ImageChops, ImageDraw, ImageFilter

from backend.extensions import db
from backend.org.models import Region, Territory
from backend.photos import imaging, storage

from .common import Caller, log, record, scratch_app, timed
from .data import make_user

WIDTH, HEIGHT = 4000, 3000
TAKEN = b"2026:03:14 10:21:07"  # EXIF date; varied to make new content without re-encoding
UPLOADS = 5


def make_photo(seed: int = 1) -> bytes:
    rng = random.Random(seed)
    size = (WIDTH, HEIGHT)
    gradient = Image.linear_gradient("L")
    base = Image.merge(
        "RGB",
        (gradient.resize(size), Image.radial_gradient("L").resize(size), gradient.rotate(90).resize(size)),
    )
    draw = ImageDraw.Draw(base)
    for _ in range(600):  # shelves, boxes, posters
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        box = (x, y, x + rng.randrange(20, 500), y + rng.randrange(20, 400))
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.6:
            draw.rectangle(box, fill=colour, outline=(0, 0, 0))
        else:
            draw.ellipse(box, fill=colour)
    for _ in range(150):
        ends = (rng.randrange(WIDTH), rng.randrange(HEIGHT), rng.randrange(WIDTH), rng.randrange(HEIGHT))
        draw.line(ends, fill=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(1, 8))
    base = base.filter(ImageFilter.GaussianBlur(1.2))  # lens softness
    noise = Image.merge("RGB", [Image.effect_noise(size, 8) for _ in range(3)])  # sensor noise
    img = ImageChops.add(base, noise, 1.0, -128)

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Xinglan"
    exif[ExifTags.Base.Model] = "P30"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.DateTime] = TAKEN.decode()
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: TAKEN.decode()}
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (23.0, 7.0, 44.76),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (113.0, 15.0, 50.4),
    }
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def _variant(data: bytes, i: int) -> bytes:
    """Other bytes, same image: a different second in the EXIF dates (same length, same offsets)."""
    assert TAKEN in data
    return data.replace(TAKEN, TAKEN[:-2] + b"%02d" % (i % 60))


def _describe(blob: bytes) -> str:
    with Image.open(io.BytesIO(blob)) as img:
        w, h = img.size
    return f"{w}x{h} {len(blob) / 1024:,.0f} KB"


def run() -> None:
    start = time.perf_counter()
    data = make_photo()
    log(f"photo: {WIDTH}x{HEIGHT} JPEG of {len(data) / 1e6:.2f} MB made in {time.perf_counter() - start:.1f} s")
    with scratch_app("photo") as app:
        cfg = app.config
        with app.app_context():
            region = Region(code="GD", name="广东大区")
            db.session.add(region)
            db.session.flush()
            territory = Territory(code="GZ-NE", name="广州NE片区", region_id=region.id)
            db.session.add(territory)
            db.session.flush()
            rep = make_user("rep_photo", "rep", territory_id=territory.id)
            db.session.commit()
            caller = Caller(app, rep)

            samples, info = timed(lambda: imaging.inspect(data, cfg["PHOTO_MAX_PIXELS"]), 10)
            record(
                "photo imaging.inspect",
                samples,
                f"{len(data) / 1e6:.2f} MB, {info.width}x{info.height}, GPS {info.gps_latitude},{info.gps_longitude}",
            )
            samples, variants = timed(
                lambda: imaging.make_variants(data, cfg["PHOTO_DISPLAY_PX"], cfg["PHOTO_THUMB_PX"]), 5
            )
            record(
                "photo imaging.make_variants",
                samples,
                ", ".join(f"{name} {_describe(blob)}" for name, blob in variants.items()),
            )
            samples, _ = timed(lambda: hashlib.sha256(data).hexdigest(), 10)
            record("photo sha256 of the upload", samples)

        # Whole uploads through the API; the processing job runs in-process (no REDIS_URL).
        def put(blob: bytes, photo_id: uuid.UUID, expect: int) -> dict:
            sha = hashlib.sha256(blob).hexdigest()
            response = caller.put(f"/api/v1/photos/{photo_id}?sha256={sha}", blob, "image/jpeg")
            if response.status_code != expect or response.json["status"] != "ready":
                raise RuntimeError(f"upload -> {response.status_code}: {response.get_data(as_text=True)[:300]}")
            return response.json

        blobs = [_variant(data, i) for i in range(UPLOADS + 1)]
        ids = [uuid.uuid4() for _ in blobs]
        put(blobs[-1], ids[-1], 201)  # warm-up
        samples = []
        for blob, photo_id in zip(blobs[:-1], ids[:-1], strict=True):
            t = time.perf_counter()
            last = put(blob, photo_id, 201)
            samples.append((time.perf_counter() - t) * 1000)
        with app.app_context():
            files = ", ".join(
                f"{v} {storage.variant_path(last['sha256'], v).stat().st_size / 1024:,.0f} KB" for v in storage.VARIANTS
            )
        record("photo PUT new content + processing", samples, f"201, ready; stored {files}")

        samples, _ = timed(lambda: put(blobs[0], uuid.uuid4(), 201), UPLOADS)
        record("photo PUT same bytes, new id", samples, "201, ready at once: copies exist (deduplicated)")
        samples, _ = timed(lambda: put(blobs[0], ids[0], 200), UPLOADS)
        record("photo PUT retry, same id and bytes", samples, "200: idempotent, nothing stored")
