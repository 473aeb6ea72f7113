"""Display photos on the demo's latest display checks, one of them recycled.

The manager's photo feed and visit detail need pictures: the newest display checks of the first
region (广东大区) in the history, and today's, each get a shelf-like picture drawn here (a gradient
wall, shelves of boxes, posters, sensor noise), processed as the photo job would
(`imaging.make_variants`, the copies stored, the perceptual hash recorded). One rep's check at
another store carries a resized, re-encoded copy of the newest photo instead of a picture of its
own: the recycled photo the desk flags.

Draws from a generator of its own (`aftersales.own_rng`), so the rest of the demo is unchanged.
"""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from datetime import datetime

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select

from ..core.timeutil import business_date, business_day_bounds
from ..extensions import db
from ..org.models import Territory
from ..photos import duplicates, imaging, storage
from ..photos.models import Photo, PhotoLink, PhotoStatus
from ..stores.models import Store
from ..visits.models import DisplayCheck
from .aftersales import own_rng
from .context import Context

PHOTOS = 16  # checks with a photo of their own; one more check gets the recycled copy
TODAY_PHOTOS = 12  # today's checks with a photo, at most


def shelf_picture(rnd: random.Random, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A shelf-like picture, the same for the same generator state (the noise too)."""
    w, h = size
    img = Image.new("RGB", size)
    d = ImageDraw.Draw(img)

    def colour() -> tuple[int, int, int]:
        return rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)

    top, bottom = colour(), colour()
    vertical = rnd.random() < 0.5
    n = h if vertical else w
    for i in range(n):
        c = tuple(int(a + (b - a) * i / n) for a, b in zip(top, bottom, strict=True))
        d.line([(0, i), (w, i)] if vertical else [(i, 0), (i, h)], fill=c)
    rows = rnd.randint(2, 5)
    for r in range(rows):
        y0, y1 = int(h * (r + 0.15) / rows), int(h * (r + 0.9) / rows)
        d.rectangle([0, y1, w, y1 + rnd.randint(4, 14)], fill=colour())  # the shelf board
        x = rnd.randint(0, 40)
        while x < w:  # boxes and round things on it
            pw, ph = rnd.randint(25, 120), rnd.randint(int((y1 - y0) * 0.4), y1 - y0)
            if rnd.random() < 0.3:
                d.ellipse([x, y1 - ph, x + pw, y1], fill=colour())
            else:
                d.rectangle([x, y1 - ph, x + pw, y1], fill=colour(), outline=(0, 0, 0))
            x += pw + rnd.randint(2, 20)
    for _ in range(rnd.randint(3, 10)):  # posters and wobblers
        x, y, s = rnd.randrange(w), rnd.randrange(h), rnd.randint(20, 200)
        d.polygon([(x, y), (x + s, y + rnd.randint(-s, s)), (x + rnd.randint(-s, s), y + s)], fill=colour())
    noise = Image.frombytes("L", size, rnd.randbytes(w * h)).convert("RGB")
    return Image.blend(img, noise, 0.12)


def _jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _store_photo(data: bytes, check, photo_id: uuid.UUID) -> Photo:
    """The photo as the upload and the job would leave it: copies stored, hash recorded."""
    sha256 = hashlib.sha256(data).hexdigest()
    cfg = current_app.config
    info = imaging.inspect(data, cfg["PHOTO_MAX_PIXELS"])
    variants = imaging.make_variants(data, cfg["PHOTO_DISPLAY_PX"], cfg["PHOTO_THUMB_PX"], cfg["PHOTO_FULL_PX"])
    where = storage.store()
    for name, content in variants.items():
        where.put(storage.variant_key(sha256, name), content)
    photo = Photo(
        id=photo_id,
        sha256=sha256,
        size_bytes=len(data),
        format=info.format,
        width=info.width,
        height=info.height,
        taken_at=check.checked_at,
        status=PhotoStatus.READY,
        uploaded_by=check.rep_id,
        uploaded_at=check.received_at,
        processed_at=check.received_at,
    )
    db.session.add(photo)
    db.session.add(PhotoLink(photo_id=photo_id, record_type="display_check", record_id=check.id))
    db.session.flush()
    if variants.phash:
        duplicates.record_phash(photo, variants.phash)
    return photo


def _latest_checks(ctx: Context, limit: int, since: datetime | None = None) -> list:
    """The newest display checks of the first region (广东大区) without a photo."""
    region_id = ctx.regions[0][0].id
    stmt = (
        select(DisplayCheck.id, DisplayCheck.rep_id, DisplayCheck.store_id, DisplayCheck.checked_at)
        .add_columns(DisplayCheck.received_at)
        .join(Store, Store.id == DisplayCheck.store_id)
        .join(Territory, Territory.id == Store.territory_id)
        .where(
            Territory.region_id == region_id,
            ~select(PhotoLink.photo_id)
            .where(PhotoLink.record_type == "display_check", PhotoLink.record_id == DisplayCheck.id)
            .exists(),
        )
        .order_by(DisplayCheck.checked_at.desc(), DisplayCheck.id)
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(DisplayCheck.checked_at >= since)
    return db.session.execute(stmt).all()


def make_photos(ctx: Context) -> None:
    """The history's newest checks in 广东大区 (before the demo's tasks, which show the photo of
    the visit they were done at), and the recycled copy."""
    if not ctx.regions:
        return
    rng = own_rng(ctx, "photos")
    checks = _latest_checks(ctx, PHOTOS * 3)
    if len(checks) < 2:
        return
    own, rest = checks[:PHOTOS], checks[PHOTOS:]
    source = own[0]
    pictures = {}
    for check in own:
        picture = shelf_picture(rng)
        pictures[check.id] = picture
        _store_photo(_jpeg(picture, 85), check, uuid.UUID(int=rng.getrandbits(128), version=4))
    # The fake: a check at another store, by the same rep if they have one, carrying the newest
    # photo again at 60 % and quality 70.
    elsewhere = [c for c in rest if c.store_id != source.store_id] or [
        c for c in own[1:] if c.store_id != source.store_id
    ]
    fake = next((c for c in elsewhere if c.rep_id == source.rep_id), elsewhere[0] if elsewhere else None)
    count = len(own)
    if fake is not None:
        picture = pictures[source.id]
        copy = picture.resize((picture.width * 6 // 10, picture.height * 6 // 10), Image.Resampling.LANCZOS)
        _store_photo(_jpeg(copy, 70), fake, uuid.UUID(int=rng.getrandbits(128), version=4))
        count += 1
    ctx.summary["photos"] = count


def make_photos_today(ctx: Context) -> None:
    """A photo on each of today's display checks in 广东大区 (after the day so far is made), for
    the visit detail a manager opens from team today and the top of the photo feed."""
    if not ctx.regions:
        return
    rng = own_rng(ctx, "photos today")
    checks = _latest_checks(ctx, TODAY_PHOTOS, since=business_day_bounds(business_date(ctx.now))[0])
    for check in checks:
        _store_photo(_jpeg(shelf_picture(rng), 85), check, uuid.UUID(int=rng.getrandbits(128), version=4))
    ctx.summary["photos"] = ctx.summary.get("photos", 0) + len(checks)
