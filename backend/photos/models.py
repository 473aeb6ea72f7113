"""Photos, uploaded separately from the records that reference them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class PhotoStatus(StrEnum):
    RECEIVED = "received"  # validated and stored; variants not made yet
    READY = "ready"
    FAILED = "failed"


class Photo(db.Model):
    """Files live on disk under the sha256 of the uploaded bytes, so equal content is stored once."""

    __tablename__ = "photos"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    format: Mapped[str] = mapped_column(String(8), nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    gps_latitude: Mapped[float | None] = mapped_column(Float)
    gps_longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default=PhotoStatus.RECEIVED, nullable=False)
    error: Mapped[str | None] = mapped_column(String(300))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Perceptual hash (64-bit pHash as 16 hex digits), computed by the photo job: recycled
    # display / price-tag photos are near-duplicates of another visit's (PhotoHashBand, PhotoMatch).
    phash: Mapped[str | None] = mapped_column(String(16))


class PhotoHashBand(db.Model):
    """A photo's pHash cut into PHOTO_HASH_BANDS bands, indexed by (band, value): two hashes within
    PHOTO_NEAR_DUPLICATE_BITS of each other share at least one band exactly when there are more
    bands than allowed bits (pigeonhole), so the look-up is an index probe, not a scan."""

    __tablename__ = "photo_hash_bands"
    __table_args__ = (Index("ix_photo_hash_bands_band_value", "band", "value"),)

    photo_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False)


class PhotoMatch(db.Model):
    """A near-duplicate found by the photo job: `photo_id` (the newer) looks like `other_photo_id`
    within `distance` bits. Stored both ways round is not needed: readers look up either column."""

    __tablename__ = "photo_matches"

    photo_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    other_photo_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    distance: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    found_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class PhotoLink(db.Model):
    """A record refers to a photo by id; the photo may not have arrived yet."""

    __tablename__ = "photo_links"
    __table_args__ = (Index("ix_photo_links_record", "record_type", "record_id"),)

    photo_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


class PhotoUpload(db.Model):
    """A resumable upload in progress: the bytes so far are in `partial/<photo_id>` under
    PHOTO_DIR. The row and the partial file go away when the upload completes (the `Photo`
    then answers for it) or is discarded."""

    __tablename__ = "photo_uploads"

    photo_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)  # total bytes declared
    received: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
