"""`flask seed-demo` gives the photo feed and visit detail pictures, one of them recycled
(backend/demo/photos.py): the newest display checks of 广东大区 carry a shelf photo each, and one
check at another store carries a resized, re-encoded copy of the newest one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from backend.core.timeutil import business_day_bounds, business_today
from backend.demo import photos as demo_photos
from backend.demo import seed as demo
from backend.extensions import db
from backend.photos.duplicates import matches_for
from backend.photos.models import Photo, PhotoLink, PhotoMatch
from backend.visits.models import DisplayCheck
from tests.conftest import empty_tables

from .test_seed import login, quiet


def snapshot():
    return db.session.execute(select(Photo.id, Photo.sha256, Photo.phash).order_by(Photo.id)).all()


def test_demo_photos_with_one_recycled(client):
    summary = demo.seed_demo(seed=3, echo=quiet, days=4, scale=0.1, today=business_today())
    db.session.expire_all()
    photos = db.session.scalars(select(Photo)).all()
    assert summary["photos"] == len(photos) >= demo_photos.PHOTOS + 1
    assert all(p.status == "ready" and p.phash for p in photos)
    on_checks = select(func.count()).select_from(PhotoLink).where(PhotoLink.record_type == "display_check")
    assert db.session.scalar(on_checks) == len(photos)
    # Today's visits have pictures too (the visit detail opened from team today): every display
    # check of the day so far, up to TODAY_PHOTOS (all in 广东大区). Just after midnight the day so
    # far may hold none yet (demo/day_so_far.py): then there is nothing to picture.
    since = business_day_bounds(business_today())[0]
    checks_today = db.session.scalar(
        select(func.count()).select_from(DisplayCheck).where(DisplayCheck.checked_at >= since)
    )
    pictured_today = db.session.scalar(
        select(func.count())
        .select_from(PhotoLink)
        .join(DisplayCheck, DisplayCheck.id == PhotoLink.record_id)
        .where(DisplayCheck.checked_at >= since)
    )
    assert pictured_today == min(checks_today, demo_photos.TODAY_PHOTOS)
    if datetime.now(UTC) - since.replace(tzinfo=UTC) >= timedelta(hours=4):
        assert pictured_today > 0

    # Exactly one near-duplicate pair, flagged recycled both ways, at two stores.
    assert db.session.scalar(select(func.count()).select_from(PhotoMatch)) == 1
    found = matches_for([p.id for p in photos])
    flagged = {pid: ms for pid, ms in found.items() if ms}
    assert len(flagged) == 2 and all(m["recycled"] for ms in flagged.values() for m in ms)
    stores = {
        db.session.scalar(
            select(DisplayCheck.store_id)
            .join(PhotoLink, PhotoLink.record_id == DisplayCheck.id)
            .where(PhotoLink.photo_id == pid)
        )
        for pid in flagged
    }
    assert len(stores) == 2

    # 广东's manager sees the pictures.
    token = login(client, "manager.gd").json["token"]
    r = client.get(
        f"/api/v1/photos/{photos[0].id}/file",
        query_string={"variant": "thumb"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200 and r.mimetype == "image/jpeg"

    # The same seed and day, the same pictures.
    first = snapshot()
    db.session.rollback()
    empty_tables()
    demo.seed_demo(seed=3, echo=quiet, days=4, scale=0.1, today=business_today())
    assert snapshot() == first
