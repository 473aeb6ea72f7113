"""Runner for the language-neutral test vectors in `vectors/*.json`.

Each file is `{"description": str, "cases": [case, ...]}`; a case is

    {"name": str, "op": str, "input": {...}, "expected": <JSON>}
    {"name": str, "op": str, "input": {...}, "error": "<code>",
     "error_field": "<path>" (optional), "error_details": {...} (optional)}

`op` names a function of the protocol; `input` holds its arguments by name, in JSON form (HLCs and
cursors as their encoded strings); `expected` is its result in JSON form. A case with `error`
expects a `SyncError` with that `code` (and `field` / `details` when given). Results are compared
as canonical JSON, so `true` and `1` differ, as they do in JavaScript.

Another implementation (the JavaScript client) runs the same files with its own mapping of `op`
names; `python -m sync_protocol.vectors` runs them all here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .cursor import Cursor, decode_cursor, encode_cursor, scope_fingerprint
from .envelope import check_version, parse_pull_args, parse_push
from .errors import SyncError
from .hlc import HLC, check_drift, receive, tick
from .merge import apply_patch, canonical_json, is_deleted, merge, state_from_values, values

VECTOR_DIR = Path(__file__).with_name("vectors")
VECTOR_FILES = ("hlc", "merge", "envelope", "cursor")


def _hlc_or_none(text: str | None) -> HLC | None:
    return None if text is None else HLC.parse(text)


def _hlc_json(h: HLC) -> dict[str, Any]:
    return {"wall_ms": h.wall_ms, "counter": h.counter, "node": h.node}


def _cursor_json(c: Cursor | None) -> dict[str, Any] | None:
    return None if c is None else {"seq": c.seq, "scope": c.scope, "snapshot": c.snapshot}


def _compare(i: dict[str, Any]) -> int:
    a, b = HLC.parse(i["a"]), HLC.parse(i["b"])
    return (a > b) - (a < b)


def _check_drift(i: dict[str, Any]) -> None:
    check_drift(HLC.parse(i["hlc"]), i["wall_ms"], i["max_ahead_ms"])


def _apply_patch(i: dict[str, Any]) -> dict[str, Any]:
    state, conflicts = apply_patch(i["state"], i["patch"], i["hlc"], i["by"], i.get("base"))
    return {"state": state, "conflicts": conflicts}


def _parse_push(i: dict[str, Any]) -> dict[str, Any]:
    req = parse_push(i["body"])
    return {
        "client_id": req.client_id,
        "protocol_version": req.protocol_version,
        "app_version": req.app_version,
        "mutations": [{"id": m.id, "name": m.name, "args": m.args, "hlc": m.hlc.encode()} for m in req.mutations],
    }


def _parse_pull_args(i: dict[str, Any]) -> dict[str, Any]:
    cursor, limit = parse_pull_args(i.get("cursor"), i.get("limit"))
    return {"cursor": _cursor_json(cursor), "limit": limit}


OPS: dict[str, Callable[[dict[str, Any]], Any]] = {
    # hlc.json
    "HLC.encode": lambda i: HLC(i["wall_ms"], i["counter"], i["node"]).encode(),
    "HLC.parse": lambda i: _hlc_json(HLC.parse(i["text"])),
    "compare": _compare,
    "tick": lambda i: tick(_hlc_or_none(i["last"]), i["wall_ms"], i["node"]).encode(),
    "receive": lambda i: receive(_hlc_or_none(i["last"]), HLC.parse(i["remote"]), i["wall_ms"], i["node"]).encode(),
    "check_drift": _check_drift,
    # merge.json
    "merge": lambda i: merge(i["a"], i["b"]),
    "apply_patch": _apply_patch,
    "is_deleted": lambda i: is_deleted(i["state"]),
    "values": lambda i: values(i["state"]),
    "state_from_values": lambda i: state_from_values(i["values"], i["hlc"], i["by"]),
    # envelope.json
    "parse_push": _parse_push,
    "check_version": lambda i: check_version(i["version"]),
    "parse_pull_args": _parse_pull_args,
    # cursor.json
    "encode_cursor": lambda i: encode_cursor(Cursor(i["seq"], i["scope"], i.get("snapshot"))),
    "decode_cursor": lambda i: _cursor_json(decode_cursor(i["text"])),
    "scope_fingerprint": lambda i: scope_fingerprint(*i["parts"]),
}


def load(name: str) -> dict[str, Any]:
    """The parsed vector file `vectors/<name>.json`."""
    with open(VECTOR_DIR / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


def iter_cases() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every `(file name, case)` of every vector file."""
    for name in VECTOR_FILES:
        for case in load(name)["cases"]:
            yield name, case


def run_case(case: dict[str, Any]) -> None:
    """Run one case; raise AssertionError when the result differs from what the case expects."""
    if ("expected" in case) == ("error" in case):
        raise AssertionError(f"{case.get('name')}: a case needs exactly one of 'expected' and 'error'")
    op = OPS.get(case["op"])
    if op is None:
        raise AssertionError(f"{case['name']}: unknown op {case['op']!r}")
    if "error" in case:
        try:
            result = op(case["input"])
        except SyncError as exc:
            if exc.code != case["error"]:
                raise AssertionError(f"{case['name']}: expected error {case['error']!r}, got {exc!r}") from exc
            if "error_field" in case and exc.field != case["error_field"]:
                raise AssertionError(
                    f"{case['name']}: expected error field {case['error_field']!r}, got {exc.field!r}"
                ) from exc
            if "error_details" in case and canonical_json(exc.details) != canonical_json(case["error_details"]):
                raise AssertionError(
                    f"{case['name']}: expected error details {case['error_details']!r}, got {exc.details!r}"
                ) from exc
            return
        raise AssertionError(f"{case['name']}: expected error {case['error']!r}, got result {result!r}")
    result = op(case["input"])
    if canonical_json(result) != canonical_json(case["expected"]):
        raise AssertionError(
            f"{case['name']}: expected {canonical_json(case['expected'])}, got {canonical_json(result)}"
        )


def main() -> int:
    failed = 0
    total = 0
    for name, case in iter_cases():
        total += 1
        try:
            run_case(case)
        except Exception as exc:  # report every failing case, not just the first
            failed += 1
            print(f"FAIL {name}: {case.get('name')}: {exc!r}")
    print(f"{total - failed}/{total} vector cases passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
