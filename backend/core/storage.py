"""Where stored files live: a small key → bytes interface with two backends, chosen by URL.

- `LocalStore` (an empty URL or `file://`): files under a folder, written atomically (a temporary
  file renamed into place, so a reader never sees half a file). A full disk raises OSError(ENOSPC),
  which callers turn into a 507.
- `S3Store` (`s3://bucket/prefix?endpoint_url=…&region=…&addressing_style=…`): objects in an
  S3-compatible bucket (AWS S3, MinIO, Ceph…) through boto3. Credentials come from boto3's own
  chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role); the URL never
  holds secrets. A PUT is atomic by nature: an object is there whole or not at all.

Keys are relative, slash-separated paths ("blobs/ab/abcd…/thumb.jpg"). A missing key raises
FileNotFoundError from either backend.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

CHUNK_BYTES = 64 * 1024


class Chunks:
    """An open object: iterate for its bytes (`size` of them); `close()` releases it."""

    def __init__(self, source, size: int, chunk_bytes: int):
        self._source, self.size, self._chunk_bytes = source, size, chunk_bytes

    def __iter__(self) -> Iterator[bytes]:
        while block := self._source.read(self._chunk_bytes):
            yield block

    def close(self) -> None:
        self._source.close()


class Store:
    """The interface. `describe()` names the place for operators (no secrets)."""

    def put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove `key`; nothing happens when it is not there."""
        raise NotImplementedError

    def stream(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Chunks:
        """The object's bytes in chunks, with its size. FileNotFoundError is raised at once when
        the key is missing, before any byte is sent. A WSGI server closes it when done."""
        raise NotImplementedError

    def size(self, key: str) -> int:
        raise NotImplementedError

    def put_file(self, key: str, path: str | os.PathLike) -> None:
        """Store the file at `path` (of any size: never read into memory) as `key`; the file
        is moved, not copied, where the backend allows."""
        raise NotImplementedError

    @contextmanager
    def fetch(self, key: str) -> Iterator[Path]:
        """A local file holding `key`'s bytes, for work that needs a file (and to read it more
        than once); a downloaded copy is deleted afterwards."""
        raise NotImplementedError
        yield  # pragma: no cover

    def describe(self) -> str:
        raise NotImplementedError


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStore(Store):
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self.path(key)
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

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def stream(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Chunks:
        fh = open(self.path(key), "rb")  # closed with the Chunks
        return Chunks(fh, os.fstat(fh.fileno()).st_size, chunk_bytes)

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def put_file(self, key: str, path: str | os.PathLike) -> None:
        target = self.path(key)
        if Path(path).resolve() == target.resolve():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # a rename within the folder's file system: atomic

    @contextmanager
    def fetch(self, key: str) -> Iterator[Path]:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(f"no file {key}")
        yield path

    def describe(self) -> str:
        return f"local folder {self.root}"


class S3Store(Store):
    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("an S3 storage URL reads s3://bucket/prefix?endpoint_url=…&region=…")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint_url", "region", "addressing_style"}
        if unknown:
            raise ValueError(f"unknown S3 storage URL parameters: {', '.join(sorted(unknown))}")
        self.bucket = parts.netloc
        prefix = parts.path.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.endpoint_url = query.get("endpoint_url") or None
        self.region = query.get("region") or None
        # A custom endpoint (MinIO, a test server) rarely has per-bucket DNS names: path style.
        self.addressing_style = query.get("addressing_style") or ("path" if self.endpoint_url else "auto")
        self.client = _client(self.endpoint_url, self.region, self.addressing_style)

    def _key(self, key: str) -> str:
        return self.prefix + _check_key(key)

    @staticmethod
    def _missing(exc: Exception) -> bool:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        return code in ("NoSuchKey", "404", "NotFound")

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def _get_object(self, key: str):
        from botocore.exceptions import ClientError  # noqa: PLC0415 -- botocore loads only where S3 is used

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                raise FileNotFoundError(f"no object {key}") from None
            raise

    def get(self, key: str) -> bytes:
        body = self._get_object(key)["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def _head(self, key: str):
        from botocore.exceptions import ClientError  # noqa: PLC0415 -- botocore loads only where S3 is used

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))  # no error when missing

    def stream(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Chunks:
        obj = self._get_object(key)
        return Chunks(obj["Body"], obj["ContentLength"], chunk_bytes)

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(f"no object {key}")
        return head["ContentLength"]

    def put_file(self, key: str, path: str | os.PathLike) -> None:
        # boto3's managed transfer: multipart for big files, streamed from disk.
        self.client.upload_file(str(path), self.bucket, self._key(key))
        os.unlink(path)

    @contextmanager
    def fetch(self, key: str) -> Iterator[Path]:
        fd, tmp = tempfile.mkstemp(prefix="fetch-", suffix=Path(key).suffix)
        os.close(fd)
        try:
            try:
                self.client.download_file(self.bucket, self._key(key), tmp)
            except Exception as exc:
                if self._missing(exc):
                    raise FileNotFoundError(f"no object {key}") from exc
                raise
            yield Path(tmp)
        finally:
            os.unlink(tmp)

    def check(self) -> None:
        """Raise unless the bucket answers with these credentials (a HEAD of the bucket)."""
        self.client.head_bucket(Bucket=self.bucket)

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"S3 bucket {self.bucket}{where}" + (f" under {self.prefix}" if self.prefix else "")


_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


def _client(endpoint_url: str | None, region: str | None, addressing_style: str):
    """One boto3 client per endpoint, shared by threads (clients are thread-safe; creating one
    costs tens of milliseconds, and sessions are not thread-safe: hence the lock)."""
    key = (endpoint_url, region, addressing_style)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3  # noqa: PLC0415 -- boto3 takes ~0.25 s to import: only processes that use S3 pay it
            from botocore.config import Config  # noqa: PLC0415 -- as boto3

            config = Config(
                s3={"addressing_style": addressing_style},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            )
            client = _clients[key] = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url, region_name=region, config=config
            )
        return client


def is_s3(url: str | None) -> bool:
    return bool(url) and url.startswith("s3://")


def store_for(url: str | None, local_root: str | os.PathLike) -> Store:
    """The store a URL names: empty or `file://` → `local_root`; `file:///some/folder` → that
    folder; `s3://bucket/prefix?…` → the bucket."""
    if not url or url == "file://":
        return LocalStore(local_root)
    if url.startswith("file://"):
        return LocalStore(urlsplit(url).path)
    if is_s3(url):
        return S3Store(url)
    raise ValueError(f"unsupported storage URL {url!r}: use file:// or s3://bucket/prefix")
