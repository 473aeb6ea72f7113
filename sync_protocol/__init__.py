"""The offline sync protocol, as pure functions: no Flask, no database, no I/O.

The server uses this package and the JavaScript client implements the same rules; the JSON test
vectors in `vectors/` pin down the behaviour both must share. See README.md and SPEC.md.
"""

from __future__ import annotations

from .cursor import Cursor, decode_cursor, encode_cursor, scope_fingerprint
from .envelope import (
    MAX_ARGS_BYTES,
    MAX_MUTATIONS,
    Mutation,
    PushRequest,
    check_version,
    parse_pull_args,
    parse_push,
)
from .errors import ClockDrift, EnvelopeError, InvalidCursor, InvalidHLC, SyncError, UnsupportedVersion
from .hlc import HLC, MAX_COUNTER, Clock, check_drift, receive, tick
from .merge import TOMBSTONE, apply_patch, canonical_json, is_deleted, merge, state_from_values, values
from .version import PROTOCOL_VERSION, SUPPORTED_VERSIONS

__all__ = [
    "HLC",
    "MAX_ARGS_BYTES",
    "MAX_COUNTER",
    "MAX_MUTATIONS",
    "PROTOCOL_VERSION",
    "SUPPORTED_VERSIONS",
    "TOMBSTONE",
    "Clock",
    "ClockDrift",
    "Cursor",
    "EnvelopeError",
    "InvalidCursor",
    "InvalidHLC",
    "Mutation",
    "PushRequest",
    "SyncError",
    "UnsupportedVersion",
    "apply_patch",
    "canonical_json",
    "check_drift",
    "check_version",
    "decode_cursor",
    "encode_cursor",
    "is_deleted",
    "merge",
    "parse_pull_args",
    "parse_push",
    "receive",
    "scope_fingerprint",
    "state_from_values",
    "tick",
    "values",
]
