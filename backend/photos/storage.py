"""Photo files, addressed by the sha256 of the uploaded bytes.

The stored objects live in the store PHOTO_STORAGE_URL names (backend/core/storage.py): a folder
(PHOTO_DIR, the default) or an S3-compatible bucket shared by every host. Keys:
`incoming/<sha>` holds a verified upload until it is processed (never served: it still carries
EXIF); `blobs/<sha[:2]>/<sha>/{full,display,thumb}.jpg` are the stripped copies.

`partial/<photo_id>` under PHOTO_DIR holds the bytes of a resumable upload received so far (never
served either). It stays on the local disk whatever the store: chunks are appended in place,
which an object store cannot do. A chunk arriving at another host finds fewer bytes there and
the client is told to resume from what that host has (see docs/production.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from ..core.storage import LocalStore, Store, store_for

VARIANTS = ("full", "display", "thumb")


def root() -> Path:
    """PHOTO_DIR: the local folder (partial uploads; the stored objects too by default)."""
    return Path(current_app.config["PHOTO_DIR"])


def store() -> Store:
    """The store of the current app's configuration (read each time, so tests can switch it)."""
    cfg = current_app.config
    return store_for(cfg.get("PHOTO_STORAGE_URL"), cfg["PHOTO_DIR"])


# --- stored objects -------------------------------------------------------------------------------


def incoming_key(sha: str) -> str:
    return f"incoming/{sha}"


def variant_key(sha: str, variant: str) -> str:
    return f"blobs/{sha[:2]}/{sha}/{variant}.jpg"


def is_processed(sha: str, where: Store | None = None) -> bool:
    where = where or store()
    return all(where.exists(variant_key(sha, v)) for v in VARIANTS)


def local_path(where: Store, key: str) -> Path | None:
    """The file behind `key` when the store is a local folder (served with send_file), else None."""
    return where.path(key) if isinstance(where, LocalStore) else None


# --- partial uploads (local disk) -----------------------------------------------------------------


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
