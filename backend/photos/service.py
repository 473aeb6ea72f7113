"""Photo upload, processing and access.

A photo is uploaded on its own under a client UUID; records (display checks, price
observations, intel reports) refer to photos by id through `PhotoLink`, before or after the
upload arrives. Each record type registers here who may see its records, who made a record (only
they may upload the photos it refers to) and which roles make such records (only those roles
upload photos at all).

An upload is checked from its headers alone (`imaging.inspect`) and stored; its pixels are decoded
only by the processing job (`process_photo`), never while the client waits.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from ..auth.models import User
from ..core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientStorage,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    out_of_space,
    public_reason,
    storage_full,
)
from ..core.sql import among
from ..core.storage import Store
from ..core.timeutil import utcnow
from ..extensions import db
from ..jobs import GiveUp, after_commit, job
from ..jobs.periodic import periodic
from . import duplicates, imaging, storage
from .models import Photo, PhotoLink, PhotoStatus, PhotoUpload


@dataclass(frozen=True)
class _RecordType:
    visible: Callable[[User, uuid.UUID], bool]
    author: object  # a column attribute, e.g. DisplayCheck.rep_id
    writers: frozenset[str]


_RECORD_TYPES: dict[str, _RecordType] = {}


def register_record_type(
    record_type: str,
    visible: Callable[[User, uuid.UUID], bool],
    *,
    author,
    writers: Iterable[str],
) -> None:
    """Make `record_type` a kind of record that refers to photos. `visible(actor, record_id)`:
    whether the actor may see such a record (and so its photos). `author`: the column of the
    model holding the id of the user who made a record (e.g. `DisplayCheck.rep_id`): a photo a
    record refers to may be uploaded by that user alone. `writers`: the roles that make such
    records; a role that makes no record with photos may not upload photos."""
    _RECORD_TYPES[record_type] = _RecordType(visible, author, frozenset(writers))


def uploader_roles() -> frozenset[str]:
    """The roles that make records with photos, and so may upload photos."""
    return frozenset().union(*(kind.writers for kind in _RECORD_TYPES.values()))


def _author_of(record_type: str, record_id: uuid.UUID) -> int | None:
    kind = _RECORD_TYPES.get(record_type)
    if kind is None:
        return None
    return db.session.scalar(select(kind.author).where(kind.author.class_.id == record_id))


def _link_authors(photo_id: uuid.UUID) -> set[int]:
    """Who made the records that refer to photo `photo_id`."""
    links = db.session.execute(
        select(PhotoLink.record_type, PhotoLink.record_id).where(PhotoLink.photo_id == photo_id)
    ).all()
    return {a for rtype, rid in links if (a := _author_of(rtype, rid)) is not None}


def check_may_upload(actor: User, photo_id: uuid.UUID) -> None:
    """403 unless `actor` may upload photo `photo_id`: their role makes records with photos, and
    the records that already refer to that id (if any) are their own. Views call it before
    reading the request's body."""
    if actor.role not in uploader_roles():
        raise Forbidden(
            f"Your role ({actor.role}) makes no records with photos, so it may not upload photos.",
            reason="role.forbidden",
            params={"role": actor.role},
        )
    if _link_authors(photo_id) - {actor.id}:
        raise Forbidden(
            f"Photo {photo_id} belongs to a record made by another user: only that user may upload it.",
            field="id",
            reason="photo.of_others_record",
        )


def link_photos(actor: User, record_type: str, record_id: uuid.UUID, photo_ids: Iterable[uuid.UUID]) -> None:
    """Attach photos to a record (idempotent). The photos need not have been uploaded yet, but
    one that has must be the actor's own, and one that another record refers to must be
    referred to by the actor's records alone: a record cannot borrow someone else's photo (and
    with it the right to see it, or to upload it)."""
    wanted = list(dict.fromkeys(photo_ids))
    if not wanted:
        return
    foreign = db.session.scalars(
        select(Photo.id).where(Photo.id.in_(wanted), Photo.uploaded_by != actor.id).limit(1)
    ).first()
    if foreign is not None:
        raise InvalidInput(
            f"Photo {foreign} was uploaded by someone else.", field="photo_ids", reason="photo.uploaded_by_other"
        )
    others = db.session.execute(
        select(PhotoLink.photo_id, PhotoLink.record_type, PhotoLink.record_id).where(
            PhotoLink.photo_id.in_(wanted),
            (PhotoLink.record_type != record_type) | (PhotoLink.record_id != record_id),
        )
    )
    for pid, rtype, rid in others:
        author = _author_of(rtype, rid)
        if author is not None and author != actor.id:
            raise InvalidInput(
                f"Photo {pid} belongs to a record made by someone else.",
                field="photo_ids",
                reason="photo.of_others_record",
            )
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
            .where(PhotoLink.record_type == record_type, among(PhotoLink.record_id, record_ids))
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


def _check_size(size: int, field: str) -> None:
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if size > limit:
        raise PayloadTooLarge(
            f"The file is {size:,} bytes; at most {limit:,} are accepted.",
            field=field,
            reason="photo.file_too_large",
            params={"size": size, "max_bytes": limit},
        )


def _disk_full(exc: OSError) -> InsufficientStorage:
    return storage_full(
        exc,
        "The server's photo storage is full; nothing was kept. Send the photo again later.",
        reason="photo.storage_full",
    )


def upload(actor: User, photo_id: uuid.UUID, data: bytes, sha256: str) -> tuple[Photo, bool]:
    """Store an uploaded photo. Returns (photo, created). Its processing job is recorded with
    it: it runs once the transaction commits (`jobs.run_ready_jobs()` to run it at once). The
    upload is checked from its headers; no pixel is decoded here.

    The same id with the same bytes again is a success with nothing stored twice; the same id
    with other bytes is a 409.
    """
    if len(data) == 0:
        raise InvalidInput("The upload is empty.", field="file", reason="photo.upload_empty")
    _check_size(len(data), field="file")
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256.lower():
        raise InvalidInput(
            "sha256 does not match the bytes received (the upload may be incomplete).",
            field="sha256",
            details={"received_sha256": actual},
            reason="photo.sha256_mismatch",
        )
    return _store(actor, photo_id, data, actual)


def _store(actor: User, photo_id: uuid.UUID, data: bytes, sha256: str) -> tuple[Photo, bool]:
    """Keep bytes whose sha256 has been verified as photo `photo_id` (shared by the one-shot and
    the resumable upload). The format, size in pixels and metadata come from the headers
    (`imaging.inspect` decodes nothing); the pixels are the processing job's business."""
    cfg = current_app.config
    check_may_upload(actor, photo_id)  # again: a record may have come to refer to it meanwhile
    existing = db.session.get(Photo, photo_id)
    if existing is not None:
        if existing.uploaded_by != actor.id:
            raise Conflict(f"Photo id {photo_id} is taken: choose a new UUID.", field="id", reason="photo.id_taken")
        if existing.sha256 != sha256:
            raise Conflict(
                f"Photo {photo_id} already exists with different content.", field="id", reason="photo.other_content"
            )
        return existing, False
    info = imaging.inspect(data, cfg["PHOTO_MAX_PIXELS"], cfg["PHOTO_MAX_PIXELS_PNG_WEBP"])
    where = storage.store()
    ready = storage.is_processed(sha256, where)
    if not ready and not where.exists(storage.incoming_key(sha256)):
        try:
            where.put(storage.incoming_key(sha256), data)
        except OSError as exc:
            if out_of_space(exc):
                raise _disk_full(exc) from exc
            raise
    photo = Photo(
        id=photo_id,
        sha256=sha256,
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
    _foreign_upload_discarded(actor, db.session.get(PhotoUpload, photo_id))
    db.session.flush()
    if not ready:
        after_commit(process_photo, sha256)
    elif twin := db.session.scalar(
        select(Photo.phash).where(Photo.sha256 == sha256, Photo.phash.is_not(None)).limit(1)
    ):
        # The same bytes again under another id (no job: the copies exist): its twin's hash, and
        # so a match at distance 0 — the same file sent for two visits is the plainest recycling.
        duplicates.hash_quietly([photo.id], lambda: twin)
    return photo, True


# --- resumable upload -----------------------------------------------------------------------------
#
# For phones on bad networks: POST declares the sha256 and size, PATCHes append chunks at the
# offset the server reports, and the chunk that reaches the declared size completes the upload
# exactly as the one-shot PUT does. A chunk is kept whole or not at all (the request body is read
# before anything is written), so the offset the server reports is always a resumable one.


@dataclass
class UploadStatus:
    photo_id: uuid.UUID
    sha256: str
    size: int
    offset: int
    complete: bool


def _status_of_photo(photo: Photo) -> UploadStatus:
    return UploadStatus(photo.id, photo.sha256, photo.size_bytes, photo.size_bytes, True)


def _status_of_upload(up: PhotoUpload) -> UploadStatus:
    return UploadStatus(up.photo_id, up.sha256, up.size, up.received, False)


def _discard_upload(up: PhotoUpload) -> None:
    storage.delete_partial(up.photo_id)
    db.session.delete(up)
    db.session.flush()


def _commit_then(exc: Exception) -> Exception:
    """For refusals that must change state anyway (a discarded or corrected upload): the error
    handler rolls the session back, so commit first."""
    db.session.commit()
    return exc


def _locked_upload(photo_id: uuid.UUID) -> PhotoUpload | None:
    """The upload row, locked until the transaction ends so that two requests for the same upload
    (a client retrying while its first attempt is still in flight) take turns. The UPDATE takes
    the lock on SQLite (the database's write lock) and PostgreSQL (a row lock) alike."""
    db.session.execute(
        update(PhotoUpload)
        .where(PhotoUpload.photo_id == photo_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return db.session.scalars(
        select(PhotoUpload).where(PhotoUpload.photo_id == photo_id).execution_options(populate_existing=True)
    ).first()


def _lock_user(actor: User) -> None:
    """Hold the actor's user row until the transaction ends, so that their uploads starting at
    the same time take turns with the quota (an UPDATE takes the lock on SQLite and PostgreSQL)."""
    db.session.execute(
        update(User).where(User.id == actor.id).values(active=User.active).execution_options(synchronize_session=False)
    )


UPLOAD_QUOTA_RETRY_SECONDS = 300  # Retry-After of the quota's 429: a phone retries later by itself


class UploadQuotaExceeded(TooManyRequests):
    """The user's unfinished resumable uploads hold PHOTO_UPLOAD_QUOTA_BYTES already."""

    def __init__(self, actor: User, size: int, quota: int):
        under_way = list(
            db.session.scalars(
                select(PhotoUpload).where(PhotoUpload.user_id == actor.id).order_by(PhotoUpload.updated_at)
            )
        )
        held = sum(up.size for up in under_way)
        super().__init__(
            f"Your {len(under_way)} unfinished photo uploads hold {held:,} bytes; with this one "
            f"({size:,} bytes) they would pass your limit of {quota:,}. Finish them (GET "
            "/photos/{id}/upload gives where each one stands) or abandon them (DELETE "
            "/photos/{id}/upload), then start this one again.",
            retry_after=UPLOAD_QUOTA_RETRY_SECONDS,
            reason="photo.upload_quota",
        )
        self.field = "size"
        self.details = {
            "quota_bytes": quota,
            "held_bytes": held,
            "size": size,
            "uploads": [
                {"photo_id": str(up.photo_id), "size": up.size, "offset": up.received} for up in under_way[:50]
            ],
        }


def _foreign_upload_discarded(actor: User, up: PhotoUpload | None) -> PhotoUpload | None:
    """An unfinished upload by someone else under the id of a photo the actor's records refer
    to (started before the first record arrived) holds that id illegitimately: discard it."""
    if up is not None and up.user_id != actor.id and _link_authors(up.photo_id) == {actor.id}:
        _discard_upload(up)
        return None
    return up


def start_upload(actor: User, photo_id: uuid.UUID, sha256: str, size: int) -> tuple[UploadStatus, bool]:
    """Start a resumable upload, or return the one already started (or finished) for the same
    id, content and user. Returns (status, created). The bytes a user's unfinished uploads
    declare may not pass PHOTO_UPLOAD_QUOTA_BYTES (429 naming them)."""
    sha256 = sha256.lower()
    check_may_upload(actor, photo_id)
    _check_size(size, field="size")
    _lock_user(actor)
    photo = db.session.get(Photo, photo_id)
    if photo is not None:
        if photo.uploaded_by != actor.id:
            raise Conflict(f"Photo id {photo_id} is taken: choose a new UUID.", field="id", reason="photo.id_taken")
        if (photo.sha256, photo.size_bytes) != (sha256, size):
            raise Conflict(
                f"Photo {photo_id} already exists with different content.", field="id", reason="photo.other_content"
            )
        return _status_of_photo(photo), False
    up = _foreign_upload_discarded(actor, db.session.get(PhotoUpload, photo_id))
    if up is not None:
        if up.user_id != actor.id:
            raise Conflict(f"Photo id {photo_id} is taken: choose a new UUID.", field="id", reason="photo.id_taken")
        if (up.sha256, up.size) != (sha256, size):
            raise Conflict(
                f"An upload of photo {photo_id} with different content is under way.",
                field="sha256",
                details={"sha256": up.sha256, "size": up.size, "offset": up.received},
                reason="photo.other_upload_under_way",
            )
        return _status_of_upload(up), False
    quota = current_app.config["PHOTO_UPLOAD_QUOTA_BYTES"]
    held = db.session.scalar(
        select(func.coalesce(func.sum(PhotoUpload.size), 0)).where(PhotoUpload.user_id == actor.id)
    )
    if held + size > quota:
        raise UploadQuotaExceeded(actor, size, quota)
    up = PhotoUpload(photo_id=photo_id, user_id=actor.id, sha256=sha256, size=size, received=0)
    db.session.add(up)
    db.session.flush()
    storage.delete_partial(photo_id)  # bytes of an upload discarded earlier, if any
    return _status_of_upload(up), True


def abandon_upload(actor: User, photo_id: uuid.UUID) -> None:
    """Drop the actor's unfinished upload of `photo_id` with its bytes (404 when they have none:
    nothing started, someone else's, or already complete)."""
    up = _locked_upload(photo_id)
    if up is None or up.user_id != actor.id:
        raise NotFound(f"No unfinished upload of photo {photo_id}.", reason="photo.upload_not_found")
    _discard_upload(up)


def upload_status(actor: User, photo_id: uuid.UUID) -> UploadStatus:
    """Where an upload stands: the uploader (and HQ/admin) may ask; others get a 404."""
    photo = db.session.get(Photo, photo_id)
    if photo is not None and (photo.uploaded_by == actor.id or actor.sees_everything):
        return _status_of_photo(photo)
    up = db.session.get(PhotoUpload, photo_id) if photo is None else None
    if up is not None and (up.user_id == actor.id or actor.sees_everything):
        return _status_of_upload(up)
    raise NotFound(f"No upload of photo {photo_id}.", reason="photo.upload_not_found")


@dataclass
class ChunkResult:
    status: UploadStatus
    photo: Photo | None = None  # set once the upload is complete
    created: bool = False  # this chunk completed it (its processing job is recorded with it)


def append_chunk(actor: User, photo_id: uuid.UUID, offset: int, data: bytes) -> ChunkResult:
    """Append the chunk that starts at `offset`, which must be the server's current offset (409
    with the server's offset otherwise, so the client resumes from there). The chunk that reaches
    the declared size completes the upload: the sha256 is verified (a mismatch discards the
    upload: 422, start again) and the photo stored as by `upload`. A chunk for an upload already
    complete answers with the photo and changes nothing."""
    check_may_upload(actor, photo_id)
    photo = db.session.get(Photo, photo_id)
    up = _locked_upload(photo_id)
    if photo is not None:
        if photo.uploaded_by != actor.id:
            raise NotFound(f"No upload of photo {photo_id}.", reason="photo.upload_not_found")
        if up is not None:  # left over, e.g. the photo was then sent in one piece with PUT
            _discard_upload(up)
        return ChunkResult(_status_of_photo(photo), photo, False)
    if up is None or up.user_id != actor.id:
        raise NotFound(f"No upload of photo {photo_id}: start one with POST.", reason="photo.upload_not_found")

    on_disk = storage.partial_size(photo_id)
    if on_disk < up.received:  # the partial file lost bytes: resume from what is really there
        up.received = on_disk
    if offset != up.received:
        details = {"offset": up.received, "size": up.size}
        raise _commit_then(
            Conflict(
                f"The upload of photo {photo_id} is at byte {up.received}, not {offset}: send from there.",
                field="offset",
                location="query",
                details=details,
                reason="photo.wrong_offset",
            )
        )
    if not data:
        raise InvalidInput("The chunk is empty.", field="file", reason="photo.chunk_empty")
    if up.received + len(data) > up.size:
        raise InvalidInput(
            f"The chunk ends at byte {up.received + len(data):,}, beyond the declared size of {up.size:,}.",
            field="file",
            details={"offset": up.received, "size": up.size},
            reason="photo.chunk_beyond_size",
        )
    try:
        storage.write_partial(photo_id, up.received, data)
    except OSError as exc:
        if out_of_space(exc):
            raise _disk_full(exc) from exc
        raise
    up.received += len(data)
    if up.received < up.size:
        db.session.flush()
        return ChunkResult(_status_of_upload(up))

    content = storage.read_partial(photo_id)
    actual = hashlib.sha256(content).hexdigest()
    if len(content) != up.size or actual != up.sha256:
        _discard_upload(up)
        raise _commit_then(
            InvalidInput(
                "sha256 does not match the bytes received; the upload is discarded: start again.",
                field="sha256",
                details={"received_sha256": actual, "offset": 0},
                reason="photo.sha256_mismatch",
            )
        )
    try:
        photo, created = _store(actor, photo_id, content, actual)
    except InsufficientStorage:
        raise  # the upload is kept: the last chunk again, once there is space, completes it
    except DomainError as exc:  # not an acceptable image: sending it again would not help
        db.session.rollback()
        up = _locked_upload(photo_id)
        if up is not None:
            _discard_upload(up)
        raise _commit_then(exc) from None
    _discard_upload(up)
    return ChunkResult(_status_of_photo(photo), photo, created)


# A resumable upload nobody has added to for this long was abandoned (a lost or reset phone).
STALE_UPLOAD_AFTER = timedelta(hours=72)


@periodic("discard-stale-uploads")
def _discard_stale_uploads_task() -> str:
    count = discard_stale_uploads(STALE_UPLOAD_AFTER)
    db.session.commit()
    return f"discarded {count} uploads idle for {STALE_UPLOAD_AFTER.total_seconds() / 3600:.0f} h"


def discard_stale_uploads(older_than: timedelta) -> int:
    """Drop uploads nobody has added to for `older_than` (abandoned on a lost phone, say), with
    their partial files. Returns how many. Commit afterwards."""
    stale = list(db.session.scalars(select(PhotoUpload).where(PhotoUpload.updated_at < utcnow() - older_than)))
    for up in stale:
        _discard_upload(up)
    return len(stale)


def _processing_gave_up(sha256: str, reason: str) -> None:
    for p in db.session.scalars(select(Photo).where(Photo.sha256 == sha256, Photo.status != PhotoStatus.READY)):
        if p.status == PhotoStatus.FAILED and p.error:
            continue  # failed already, with its reason (e.g. the image cannot be decoded)
        p.status, p.error = PhotoStatus.FAILED, f"processing failed: {reason}"[:300]


@job(on_give_up=_processing_gave_up)
def process_photo(sha256: str) -> None:
    """Make the stripped full, display and thumbnail copies of one upload; mark its photos ready.

    This is where an upload's pixels are decoded, one image at a time per process and with
    bounded memory (`imaging.make_variants`). Pixels that cannot be decoded (damaged image data
    behind sound headers) fail the photos for good: `failed`, with the reason, and no retry.

    Idempotent: copies already made are kept, and photos already ready stay ready. Any other
    failure is shown on the photos (`failed`, or still `received` when the disk is full) and the
    job is retried: once space is freed, the next attempt makes the copies.
    """
    cfg = current_app.config
    photos = list(db.session.scalars(select(Photo).where(Photo.sha256 == sha256)))
    where = storage.store()
    src = storage.incoming_key(sha256)
    phash = next((p.phash for p in photos if p.phash), None)  # an earlier attempt's, or a twin's
    # End the read before the slow decode: on SQLite (WAL) a write after a read whose snapshot
    # another commit has passed fails at once ("database is locked", no busy wait), and on
    # PostgreSQL the connection would sit idle in a transaction. The rows reload when next read.
    db.session.commit()
    if not storage.is_processed(sha256, where):
        try:
            variants = imaging.make_variants(
                where.get(src), cfg["PHOTO_DISPLAY_PX"], cfg["PHOTO_THUMB_PX"], cfg["PHOTO_FULL_PX"]
            )
            for name, content in variants.items():
                where.put(storage.variant_key(sha256, name), content)
            phash = getattr(variants, "phash", None) or phash
        except imaging.Undecodable as exc:
            for p in photos:
                if p.status != PhotoStatus.READY:
                    p.status, p.error = PhotoStatus.FAILED, str(exc)[:300]
            db.session.commit()
            where.delete(src)  # another attempt would fail the same way
            raise GiveUp(str(exc)) from exc
        except Exception as exc:
            full = out_of_space(exc)
            for p in photos:
                if p.status != PhotoStatus.READY:
                    p.status = PhotoStatus.RECEIVED if full else PhotoStatus.FAILED
                    reason = public_reason(exc)
                    p.error = (f"waiting for disk space: {reason}" if full else f"processing failed: {reason}")[:300]
            db.session.commit()
            raise
    if any(p.phash is None for p in photos):
        # The copies were made by an earlier attempt or for a twin upload: hash the thumbnail.
        duplicates.hash_quietly(
            [p.id for p in photos if p.phash is None],
            lambda: phash or duplicates.phash_of(where.get(storage.variant_key(sha256, "thumb"))),
        )
    now = utcnow()
    for p in photos:
        if p.status != PhotoStatus.READY:
            p.status, p.processed_at, p.error = PhotoStatus.READY, now, None
    db.session.commit()
    where.delete(src)


def can_see(actor: User, photo: Photo) -> bool:
    if actor.sees_everything or photo.uploaded_by == actor.id:
        return True
    links = db.session.execute(select(PhotoLink.record_type, PhotoLink.record_id).where(PhotoLink.photo_id == photo.id))
    return any((kind := _RECORD_TYPES.get(rtype)) is not None and kind.visible(actor, rid) for rtype, rid in links)


def visible_photo(actor: User, photo_id: uuid.UUID) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None or not can_see(actor, photo):
        raise NotFound(f"No photo {photo_id}.", reason="photo.not_found")
    return photo


@dataclass(frozen=True)
class StoredFile:
    store: Store
    key: str
    etag: str  # the copies are content-addressed: the same key always holds the same bytes


def file_for(actor: User, photo_id: uuid.UUID, variant: str) -> StoredFile:
    photo = visible_photo(actor, photo_id)
    if photo.status != PhotoStatus.READY:
        raise Conflict(
            f"Photo {photo_id} is {photo.status}; its copies are not ready.",
            details={"status": photo.status},
            reason="photo.not_ready",
        )
    return StoredFile(storage.store(), storage.variant_key(photo.sha256, variant), f"{photo.sha256}-{variant}")
