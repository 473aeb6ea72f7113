"""Photo files on local disk, addressed by the sha256 of the uploaded bytes.

Layout under PHOTO_DIR: `incoming/<sha>` holds an upload until it is processed (never served:
it still carries EXIF); `blobs/<sha[:2]>/<sha>/{full,display,thumb}.jpg` are the stripped copies;
`partial/<photo_id>` holds the bytes of a resumable upload received so far (never served either).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app

VARIANTS = ("full", "display", "thumb")


def root() -> Path:
    return Path(current_app.config["PHOTO_DIR"])


def incoming_path(sha: str) -> Path:
    return root() / "incoming" / sha


def partial_path(photo_id) -> Path:
    return root() / "partial" / str(photo_id)


def partial_size(photo_id) -> int:
    """Bytes of the partial upload on disk (0 when there is no file)."""
    try:
        return partial_path(photo_id).stat().st_size
    except FileNotFoundError:
        return 0


def write_partial(photo_id, offset: int, data: bytes) -> None:
    """Write `data` at `offset` of the partial file and cut off anything after it (bytes of an
    earlier attempt whose database update was lost). Creates the file when needed."""
    path = partial_path(photo_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            os.lseek(fd, offset, os.SEEK_SET)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.ftruncate(fd, offset + len(data))
        except OSError:
            os.ftruncate(fd, offset)  # a chunk that could not be written whole leaves nothing
            raise
    finally:
        os.close(fd)


def read_partial(photo_id) -> bytes:
    return partial_path(photo_id).read_bytes()


def delete_partial(photo_id) -> None:
    partial_path(photo_id).unlink(missing_ok=True)


def blob_dir(sha: str) -> Path:
    return root() / "blobs" / sha[:2] / sha


def variant_path(sha: str, variant: str) -> Path:
    return blob_dir(sha) / f"{variant}.jpg"


def is_processed(sha: str) -> bool:
    return all(variant_path(sha, v).exists() for v in VARIANTS)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file and rename it, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # a full disk shows here, not after the rename
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
