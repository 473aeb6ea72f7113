"""Photo upload, processing and access.

A photo is uploaded on its own under a client UUID; records (display checks, price
observations, intel reports) refer to photos by id through `PhotoLink`, before or after the
upload arrives. Who may see a photo follows the records it belongs to: each record type
registers a visibility check here.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy import select

from ..auth.models import User
from ..core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from ..core.timeutil import utcnow
from ..extensions import db
from ..jobs import enqueue, job
from . import imaging, storage
from .models import Photo, PhotoLink, PhotoStatus

# record type -> function(actor, record_id) -> bool
_RECORD_VISIBILITY: dict[str, Callable[[User, uuid.UUID], bool]] = {}


def register_record_type(record_type: str, visible: Callable[[User, uuid.UUID], bool]) -> None:
    _RECORD_VISIBILITY[record_type] = visible


def link_photos(actor: User, record_type: str, record_id: uuid.UUID, photo_ids: Iterable[uuid.UUID]) -> None:
    """Attach photos to a record (idempotent). The photos need not have been uploaded yet, but
    one that has must be the actor's own: a record cannot borrow someone else's photo (and with
    it the right to see it)."""
    wanted = list(dict.fromkeys(photo_ids))
    if not wanted:
        return
    foreign = db.session.scalars(
        select(Photo.id).where(Photo.id.in_(wanted), Photo.uploaded_by != actor.id).limit(1)
    ).first()
    if foreign is not None:
        raise InvalidInput(f"Photo {foreign} was uploaded by someone else.", field="photo_ids")
    have = set(
        db.session.scalars(
            select(PhotoLink.photo_id).where(PhotoLink.record_type == record_type, PhotoLink.record_id == record_id)
        )
    )
    for pid in wanted:
        if pid not in have:
            db.session.add(PhotoLink(photo_id=pid, record_type=record_type, record_id=record_id))
    db.session.flush()


def photo_ids_for(record_type: str, record_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Photo ids per record, for a whole page of records in one query."""
    out: dict[uuid.UUID, list[uuid.UUID]] = {rid: [] for rid in record_ids}
    if record_ids:
        rows = db.session.execute(
            select(PhotoLink.record_id, PhotoLink.photo_id)
            .where(PhotoLink.record_type == record_type, PhotoLink.record_id.in_(record_ids))
            .order_by(PhotoLink.photo_id)
        )
        for rid, pid in rows:
            out[rid].append(pid)
    return out


def attach_photo_ids(record_type: str, records: list) -> list:
    """Set `photo_ids` on each record (for the response schema)."""
    ids = photo_ids_for(record_type, [r.id for r in records])
    for r in records:
        r.photo_ids = ids[r.id]
    return records


def upload(actor: User, photo_id: uuid.UUID, data: bytes, sha256: str) -> tuple[Photo, bool]:
    """Store an uploaded photo. Returns (photo, created); call `schedule_processing` after commit.

    The same id with the same bytes again is a success with nothing stored twice; the same id
    with other bytes is a 409.
    """
    cfg = current_app.config
    if len(data) == 0:
        raise InvalidInput("The upload is empty.", field="file")
    if len(data) > cfg["PHOTO_MAX_BYTES"]:
        raise PayloadTooLarge(
            f"The file is {len(data):,} bytes; at most {cfg['PHOTO_MAX_BYTES']:,} are accepted.",
            field="file",
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256.lower():
        raise InvalidInput(
            "sha256 does not match the bytes received (the upload may be incomplete).",
            field="sha256",
            details={"received_sha256": actual},
        )
    existing = db.session.get(Photo, photo_id)
    if existing is not None:
        if existing.uploaded_by != actor.id:
            raise Conflict(f"Photo id {photo_id} is taken: choose a new UUID.", field="id")
        if existing.sha256 != actual:
            raise Conflict(f"Photo {photo_id} already exists with different content.", field="id")
        return existing, False
    info = imaging.inspect(data, cfg["PHOTO_MAX_PIXELS"])
    ready = storage.is_processed(actual)
    if not ready and not storage.incoming_path(actual).exists():
        storage.write_atomic(storage.incoming_path(actual), data)
    photo = Photo(
        id=photo_id,
        sha256=actual,
        size_bytes=len(data),
        format=info.format,
        width=info.width,
        height=info.height,
        taken_at=info.taken_at,
        gps_latitude=info.gps_latitude,
        gps_longitude=info.gps_longitude,
        status=PhotoStatus.READY if ready else PhotoStatus.RECEIVED,
        processed_at=utcnow() if ready else None,
        uploaded_by=actor.id,
    )
    db.session.add(photo)
    db.session.flush()
    return photo, True


def schedule_processing(photo: Photo):
    if photo.status == PhotoStatus.RECEIVED:
        return enqueue(process_photo, photo.sha256)
    return None


@job
def process_photo(sha256: str) -> None:
    """Make the stripped full, display and thumbnail copies of one upload; mark its photos ready.

    Idempotent: copies already made are kept, and photos already ready stay ready.
    """
    cfg = current_app.config
    photos = list(db.session.scalars(select(Photo).where(Photo.sha256 == sha256)))
    if not storage.is_processed(sha256):
        src = storage.incoming_path(sha256)
        try:
            variants = imaging.make_variants(src.read_bytes(), cfg["PHOTO_DISPLAY_PX"], cfg["PHOTO_THUMB_PX"])
        except Exception as exc:
            for p in photos:
                p.status, p.error = PhotoStatus.FAILED, f"processing failed: {exc}"[:300]
            db.session.commit()
            raise
        for name, content in variants.items():
            storage.write_atomic(storage.variant_path(sha256, name), content)
    now = utcnow()
    for p in photos:
        if p.status != PhotoStatus.READY:
            p.status, p.processed_at, p.error = PhotoStatus.READY, now, None
    db.session.commit()
    storage.incoming_path(sha256).unlink(missing_ok=True)


def can_see(actor: User, photo: Photo) -> bool:
    if actor.sees_everything or photo.uploaded_by == actor.id:
        return True
    links = db.session.execute(select(PhotoLink.record_type, PhotoLink.record_id).where(PhotoLink.photo_id == photo.id))
    return any((check := _RECORD_VISIBILITY.get(rtype)) is not None and check(actor, rid) for rtype, rid in links)


def visible_photo(actor: User, photo_id: uuid.UUID) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None or not can_see(actor, photo):
        raise NotFound(f"No photo {photo_id}.")
    return photo


def file_for(actor: User, photo_id: uuid.UUID, variant: str):
    photo = visible_photo(actor, photo_id)
    if photo.status != PhotoStatus.READY:
        raise Conflict(
            f"Photo {photo_id} is {photo.status}; its copies are not ready.",
            details={"status": photo.status},
        )
    return storage.variant_path(photo.sha256, variant)
