"""Protocol errors.

Every error a peer can cause carries a stable machine-readable `code` (clients branch on it: an
`unsupported_protocol_version` shows "update the app", an `invalid_cursor` restarts the pull from
scratch), a human `message` for logs, the offending `field` as a path into the message
(`"mutations[3].hlc"`), and JSON `details`. `to_dict()` is the JSON form both implementations emit.
"""

from __future__ import annotations

from typing import Any

from .version import SUPPORTED_VERSIONS


class SyncError(Exception):
    """Base class: a message or value that breaks the sync protocol."""

    code: str = "sync_error"

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details: dict[str, Any] = dict(details) if details else {}

    def to_dict(self) -> dict[str, Any]:
        """`{"code", "message"}` plus `"field"` and `"details"` when there are any."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.details:
            out["details"] = self.details
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r}, details={self.details!r})"


class EnvelopeError(SyncError):
    """A push or pull message is malformed; `field` says where."""

    code = "invalid_envelope"


class UnsupportedVersion(SyncError):
    """The client speaks a protocol version the server does not. Checked before anything else so an
    outdated app always gets this (actionable) error rather than a confusing shape error."""

    code = "unsupported_protocol_version"

    def __init__(self, message: str, *, field: str | None = "protocol_version", details: dict | None = None):
        super().__init__(message, field=field, details={"supported": list(SUPPORTED_VERSIONS), **(details or {})})


class InvalidHLC(SyncError):
    """A hybrid logical clock value is malformed or out of range."""

    code = "invalid_hlc"


class ClockDrift(SyncError):
    """A client's clock is too far ahead of the server's. Refused because under last-writer-wins a
    device whose clock runs a day fast would silently win every merge for a day."""

    code = "clock_drift"

    def __init__(self, ahead_ms: int, max_ahead_ms: int, *, field: str | None = None):
        super().__init__(
            f"clock is {ahead_ms} ms ahead of the server (at most {max_ahead_ms} ms allowed); "
            "set the device's date and time to automatic",
            field=field,
            details={"ahead_ms": ahead_ms, "max_ahead_ms": max_ahead_ms},
        )
        self.ahead_ms = ahead_ms
        self.max_ahead_ms = max_ahead_ms


class InvalidCursor(SyncError):
    """A pull cursor cannot be decoded (or belongs to another scope). The client's remedy is to drop
    its cursor and pull from the beginning."""

    code = "invalid_cursor"
