"""Opaque pull cursors.

A cursor tells the server where a client's pull left off: the last change-log sequence it has
(`seq`), a fingerprint of the scope it was computed for (`scope`: when a rep moves territory the
fingerprint changes and the server restarts that client with a fresh snapshot instead of sending a
diff against data it was never given), and, during the paginated initial snapshot, how far the
snapshot got (`snapshot`).

Clients store the text and send it back unchanged; they must not parse it. It is versioned
(`"v1."`) so the server can change its contents later and recognise old cursors. It is not
signed: a forged cursor can only make its own client skip or repeat data, because the server
applies the caller's real scope to every pull and uses the cursor for progress only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import InvalidCursor

PREFIX = "v1."
MAX_SEQ = 2**53 - 1
"""Largest sequence: the largest integer a JavaScript number holds exactly."""
MAX_CURSOR_CHARS = 4096
"""Longer texts are refused without decoding them."""
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
_KEYS = {"v", "seq", "scope", "snap"}


@dataclass(frozen=True)
class Cursor:
    """Where a pull left off. Validated on construction (raises `InvalidCursor`)."""

    seq: int
    scope: str
    snapshot: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.seq, int) or isinstance(self.seq, bool) or not 0 <= self.seq <= MAX_SEQ:
            raise InvalidCursor(f"cursor seq must be an integer from 0 to {MAX_SEQ}", field="cursor")
        if not isinstance(self.scope, str):
            raise InvalidCursor("cursor scope must be a string", field="cursor")
        if self.snapshot is not None and not isinstance(self.snapshot, dict):
            raise InvalidCursor("cursor snapshot must be an object or null", field="cursor")


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode_cursor(c: Cursor) -> str:
    """`"v1." + base64url(canonical JSON {"v": 1, "seq", "scope", "snap"})`, without padding."""
    payload = _canonical_json({"v": 1, "seq": c.seq, "scope": c.scope, "snap": c.snapshot})
    return PREFIX + base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(text: object) -> Cursor:
    """The cursor in `text`, or `InvalidCursor` for anything that `encode_cursor` did not produce
    (wrong prefix or version, bad base64 or JSON, missing or extra keys, wrong types, negative seq)."""

    def bad(why: str) -> InvalidCursor:
        return InvalidCursor(f"invalid cursor: {why}; pull again without a cursor", field="cursor")

    if not isinstance(text, str):
        raise bad("not a string")
    if len(text) > MAX_CURSOR_CHARS:
        raise bad("too long")
    if not text.startswith(PREFIX):
        raise bad("unknown format or version")
    body = text[len(PREFIX) :]
    if not _B64URL_RE.fullmatch(body) or len(body) % 4 == 1:
        raise bad("not base64url")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise bad("not base64url-encoded JSON") from exc
    if not isinstance(data, dict) or set(data) != _KEYS:
        raise bad("wrong keys")
    if not isinstance(data["v"], int) or isinstance(data["v"], bool) or data["v"] != 1:
        raise bad("unknown version")
    seq, scope, snap = data["seq"], data["scope"], data["snap"]
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
        raise bad("seq is not a non-negative integer")
    if not isinstance(scope, str):
        raise bad("scope is not a string")
    if snap is not None and not isinstance(snap, dict):
        raise bad("snap is not an object or null")
    return Cursor(seq=seq, scope=scope, snapshot=snap)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def scope_fingerprint(*parts: str | int | None) -> str:
    """First 16 hex digits of SHA-256 over the parts joined with `|` (None counts as "").

    Stored in cursors to notice that a caller's scope changed since the cursor was made. Parts are
    joined without escaping, so ("a|b",) and ("a", "b") collide: pass parts that cannot contain
    "|" (ids, role names). Booleans are refused because their text differs between languages.
    """
    texts = []
    for part in parts:
        if part is None:
            texts.append("")
        elif isinstance(part, bool) or not isinstance(part, str | int):
            raise TypeError(f"scope parts must be str, int or None, got {part!r}")
        else:
            texts.append(str(part))
    return hashlib.sha256("|".join(texts).encode("utf-8")).hexdigest()[:16]
