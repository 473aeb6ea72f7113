"""Validation of push and pull messages.

`parse_push` turns an untrusted JSON body into a `PushRequest` or raises an `EnvelopeError` whose
`field` is a path into the body (`"mutations[3].hlc"`), so the app can log exactly what it sent
wrong. It checks the shape of the message only; what a mutation *means* (its name and args) is the
server's business, one mutation at a time, after the envelope is known to be sound.

Mutation ids are a per-client sequence (1, 2, 3, …) that the client never reuses: the server
remembers the last id it applied for each client and skips ids it has already seen, which makes a
retried push (the phone lost the answer in a tunnel) harmless. Hence ids must be consecutive within
a batch: a gap would mean the client lost a mutation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .cursor import Cursor, decode_cursor
from .errors import EnvelopeError, InvalidHLC, UnsupportedVersion
from .hlc import HLC
from .merge import canonical_json
from .version import SUPPORTED_VERSIONS

MAX_MUTATIONS = 10_000
"""Most mutations in one push; a client with more sends several pushes."""
MAX_ARGS_BYTES = 64 * 1024
"""Largest args of one mutation, as UTF-8 bytes of their canonical JSON (photos travel separately)."""
MAX_MUTATION_ID = 2**53 - 1
"""Largest mutation id: the largest integer a JavaScript number holds exactly."""
DEFAULT_PULL_LIMIT = 500
MAX_PULL_LIMIT = 5000

CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_.-]{8,64}")
MUTATION_NAME_RE = re.compile(r"[a-z][a-z_]*\.[a-z][a-z_]*")
UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
"""Control characters (NUL among them, which no database text holds) and unpaired UTF-16
surrogates (a JSON "\\udc00"; a valid pair decodes to one character), refused in app_version."""
MAX_NAME_CHARS = 64
MAX_APP_VERSION_CHARS = 32
PUSH_KEYS = ("client_id", "protocol_version", "app_version", "mutations")
MUTATION_KEYS = ("id", "name", "args", "hlc")
_LIMIT_RE = re.compile(r"[0-9]{1,10}")


@dataclass
class Mutation:
    """One queued edit: `name` (`"visit.check_in"`) applied with `args`, written at `hlc`."""

    id: int
    name: str
    args: dict[str, Any]
    hlc: HLC


@dataclass
class PushRequest:
    client_id: str
    protocol_version: int
    app_version: str
    mutations: list[Mutation]


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_version(v: object) -> int:
    """`v` if this server speaks it; `EnvelopeError` if it is not an integer at all,
    `UnsupportedVersion` (the "please update the app" error) if it is another version."""
    if not _is_int(v):
        raise EnvelopeError("protocol_version must be an integer", field="protocol_version")
    if v not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(
            f"protocol version {v} is not supported (supported: {', '.join(map(str, SUPPORTED_VERSIONS))}); "
            "update the app"
        )
    return v


def parse_push(body: object) -> PushRequest:
    """Validate a push body; see the module docstring and SPEC.md (Part II) for the rules and their order."""
    if not isinstance(body, dict):
        raise EnvelopeError("the push body must be a JSON object")
    if "protocol_version" not in body:
        raise EnvelopeError("protocol_version is required", field="protocol_version")
    version = check_version(body["protocol_version"])

    _reject_unknown_keys(body, PUSH_KEYS, "")

    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID_RE.fullmatch(client_id):
        raise EnvelopeError("client_id must be 8-64 characters of A-Z a-z 0-9 _ . -", field="client_id")

    app_version = body.get("app_version")
    if (
        not isinstance(app_version, str)
        or not 1 <= len(app_version) <= MAX_APP_VERSION_CHARS
        or UNPRINTABLE_RE.search(app_version)
    ):
        raise EnvelopeError(
            f"app_version must be a string of 1-{MAX_APP_VERSION_CHARS} printable characters", field="app_version"
        )

    raw_mutations = body.get("mutations")
    if not isinstance(raw_mutations, list):
        raise EnvelopeError("mutations must be a list", field="mutations")
    if len(raw_mutations) > MAX_MUTATIONS:
        raise EnvelopeError(f"at most {MAX_MUTATIONS} mutations per push", field="mutations")

    mutations: list[Mutation] = []
    for i, raw in enumerate(raw_mutations):
        previous_id = mutations[-1].id if mutations else None
        mutations.append(_parse_mutation(raw, f"mutations[{i}]", client_id, previous_id))
    return PushRequest(client_id=client_id, protocol_version=version, app_version=app_version, mutations=mutations)


def _reject_unknown_keys(obj: dict, known: tuple[str, ...], prefix: str) -> None:
    """Report the unknown key that sorts first (by code point), so every implementation names the
    same one whatever order its JSON parser keeps object members in."""
    unknown = sorted(str(key) for key in obj if key not in known)
    if unknown:
        raise EnvelopeError(f"unknown key {unknown[0]!r}", field=prefix + unknown[0])


def _parse_mutation(raw: object, path: str, client_id: str, previous_id: int | None) -> Mutation:
    if not isinstance(raw, dict):
        raise EnvelopeError("a mutation must be a JSON object", field=path)
    _reject_unknown_keys(raw, MUTATION_KEYS, f"{path}.")

    mid = raw.get("id")
    if not _is_int(mid) or not 1 <= mid <= MAX_MUTATION_ID:
        raise EnvelopeError(f"id must be an integer from 1 to {MAX_MUTATION_ID}", field=f"{path}.id")
    if previous_id is not None and mid != previous_id + 1:
        raise EnvelopeError(
            f"mutation ids must be consecutive: expected {previous_id + 1}, got {mid}", field=f"{path}.id"
        )

    name = raw.get("name")
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS or not MUTATION_NAME_RE.fullmatch(name):
        raise EnvelopeError(
            f"name must look like 'entity.action' (lower-case letters and '_', at most {MAX_NAME_CHARS})",
            field=f"{path}.name",
        )

    args = raw.get("args")
    if not isinstance(args, dict):
        raise EnvelopeError("args must be a JSON object", field=f"{path}.args")
    try:
        # An unpaired surrogate counts 3 bytes (as JavaScript's TextEncoder counts its U+FFFD):
        # the text is the server's to refuse, mutation by mutation, not the envelope's.
        size = len(canonical_json(args).encode("utf-8", "surrogatepass"))
    except (ValueError, TypeError, RecursionError) as exc:
        raise EnvelopeError("args must be plain JSON (no NaN or Infinity)", field=f"{path}.args") from exc
    if size > MAX_ARGS_BYTES:
        raise EnvelopeError(f"args are {size} bytes, more than {MAX_ARGS_BYTES}", field=f"{path}.args")

    try:
        hlc = HLC.parse(raw.get("hlc"))
    except InvalidHLC as exc:
        raise EnvelopeError(exc.message, field=f"{path}.hlc") from exc
    if hlc.node != client_id:
        raise EnvelopeError("the node of the hlc must be the client_id", field=f"{path}.hlc")

    return Mutation(id=mid, name=name, args=args, hlc=hlc)


def parse_pull_args(cursor: str | None, limit: object = None) -> tuple[Cursor | None, int]:
    """The decoded cursor (None: pull from the beginning) and the page size of a pull.

    Both come from a query string, so `limit` may be a string of ASCII digits; absent means 500.
    An empty string counts as absent, for both (`?cursor=&limit=`). An undecodable cursor raises
    `InvalidCursor`.
    """
    decoded = None if cursor is None or cursor == "" else decode_cursor(cursor)
    if limit is None or limit == "":
        return decoded, DEFAULT_PULL_LIMIT
    if isinstance(limit, str) and _LIMIT_RE.fullmatch(limit):
        limit = int(limit)
    if not _is_int(limit) or not 1 <= limit <= MAX_PULL_LIMIT:
        raise EnvelopeError(f"limit must be an integer from 1 to {MAX_PULL_LIMIT}", field="limit")
    return decoded, limit
