"""Two photo jobs hashing two near-duplicate photos at the same time (PostgreSQL; SQLite has one
writer at a time): the match must still be found. Each job's probe sees only committed bands, so
without serialising the look-ups both jobs would miss each other and the recycled photo would
never be flagged — the cheapest way to fake a round is to upload two copies in one sync."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.photos.duplicates import record_phash
from backend.photos.models import Photo, PhotoMatch

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
)


def _photo(world) -> uuid.UUID:
    photo = Photo(
        id=uuid.uuid4(),
        sha256=uuid.uuid4().hex * 2,
        size_bytes=1,
        format="JPEG",
        width=1,
        height=1,
        uploaded_by=world.rep_a1.id,
        uploaded_at=utcnow(),
        status="ready",
    )
    db.session.add(photo)
    db.session.commit()
    return photo.id


def test_two_jobs_hashing_near_duplicates_at_once_find_the_match(app, world):
    first, second = _photo(world), _photo(world)
    first_hashed = threading.Event()
    errors: list[BaseException] = []

    def job_one():
        try:
            with app.app_context():
                record_phash(db.session.get(Photo, first), "f0f0f0f0f0f0f0f0")
                first_hashed.set()
                time.sleep(1.0)  # the other job hashes meanwhile; this one commits last
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)
            first_hashed.set()

    def job_two():
        try:
            first_hashed.wait(timeout=30)
            with app.app_context():
                record_phash(db.session.get(Photo, second), "f0f0f0f0f0f0f0f3")  # 2 bits apart
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=job_one), threading.Thread(target=job_two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    pairs = {frozenset((a, b)) for a, b in db.session.execute(select(PhotoMatch.photo_id, PhotoMatch.other_photo_id))}
    assert frozenset((first, second)) in pairs
