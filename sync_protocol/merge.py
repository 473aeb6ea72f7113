"""Per-field last-writer-wins records.

A record's state maps each field name to an entry `{"value": <JSON>, "hlc": "<encoded HLC>", "by":
"<writer>"}`. Two replicas of a record merge field by field, keeping the entry with the greater HLC.
Deletion is just another field, `"_deleted"`, so a delete and a later undelete (or a delete and an
older edit) resolve by the same rule as everything else: there are no special cases to get wrong.

`merge` is a join-semilattice (commutative, associative, idempotent) for *all* inputs, which is what
lets the server, the phones and a later re-sync apply edits in any order, any number of times, and
still agree. Equal HLCs with different entries are not supposed to happen (an HLC names one event
of one node), but a buggy or replayed client can produce them, so they too are broken
deterministically rather than by argument order.
"""

from __future__ import annotations

import json
from typing import Any

from .hlc import HLC

TOMBSTONE = "_deleted"
"""The reserved field whose value `true` marks the record deleted."""

State = dict[str, dict[str, Any]]


def canonical_json(value: Any) -> str:
    """The canonical text used to compare JSON values: sorted keys, no whitespace, raw UTF-8.

    NaN and infinities are refused (ValueError): they are not JSON and another implementation could
    not reproduce their text.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _hlc_of(entry: Any) -> HLC:
    if not isinstance(entry, dict) or "hlc" not in entry:
        raise TypeError(f"a field entry must be an object with an 'hlc', got {entry!r}")
    return HLC.parse(entry["hlc"])


def _winner(x: dict[str, Any], y: dict[str, Any]) -> dict[str, Any]:
    """The entry that survives: greater HLC; on equal HLCs the greater canonical JSON."""
    hx, hy = _hlc_of(x), _hlc_of(y)
    if hx != hy:
        return x if hx > hy else y
    return x if canonical_json(x) >= canonical_json(y) else y


def merge(a: State, b: State) -> State:
    """The join of two states of the same record. Neither input is modified; the result shares
    entry objects with the inputs, so treat states as immutable values."""
    out: State = {}
    for field in a.keys() | b.keys():
        ea, eb = a.get(field), b.get(field)
        if ea is None:
            _hlc_of(eb)
            out[field] = eb
        elif eb is None:
            _hlc_of(ea)
            out[field] = ea
        else:
            out[field] = _winner(ea, eb)
    return dict(sorted(out.items()))


def state_from_values(values: dict[str, Any], hlc: str, by: str) -> State:
    """A state where every field of `values` was written at `hlc` by `by` (e.g. a record created in
    one edit, or a patch)."""
    HLC.parse(hlc)
    if not isinstance(by, str):
        raise TypeError(f"'by' must be a string, got {by!r}")
    return {field: {"value": value, "hlc": hlc, "by": by} for field, value in values.items()}


def apply_patch(
    state: State,
    patch: dict[str, Any],
    hlc: str,
    by: str,
    base: dict[str, str] | None = None,
) -> tuple[State, list[dict[str, Any]]]:
    """Merge an edit of some fields into `state`; also report the conflicts it ran into.

    The new state is exactly `merge(state, state_from_values(patch, hlc, by))`: conflicts are
    information (for the rep's "your change was overridden" notice, for audit), never a different
    outcome. A patched field whose value differs from the current one is a conflict when

    * the edit loses (the current entry is kept), or
    * the edit wins but `base` (field → the HLC the writer last saw, as the client sends it) is
      given and does not name the current entry: the writer overwrote a value they never saw,
      a concurrent edit. Without `base` a winning write is not a conflict.

    A conflict is `{"field", "kept": entry, "lost": entry}`, listed in field-name order.
    """
    incoming = state_from_values(patch, hlc, by)
    new_state = merge(state, incoming)
    conflicts: list[dict[str, Any]] = []
    for field in sorted(incoming):
        current = state.get(field)
        if current is None:
            continue
        mine = incoming[field]
        if canonical_json(current.get("value")) == canonical_json(mine["value"]):
            continue
        if _winner(current, mine) is current:
            conflicts.append({"field": field, "kept": current, "lost": mine})
        elif base is not None and base.get(field) != current["hlc"]:
            conflicts.append({"field": field, "kept": mine, "lost": current})
    return new_state, conflicts


def is_deleted(state: State) -> bool:
    """True iff the tombstone field's value is `true`."""
    entry = state.get(TOMBSTONE)
    return isinstance(entry, dict) and entry.get("value") is True


def values(state: State) -> dict[str, Any]:
    """Plain `field → value`, without the tombstone: what the record looks like."""
    return {field: entry["value"] for field, entry in state.items() if field != TOMBSTONE}
