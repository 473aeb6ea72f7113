"""Per-field merge of editable records (stores, contacts) and the conflicts it records.

Each editable record keeps a `field_clock` {field: {"hlc", "by"}}: the HLC of the edit that set
each field's current value. An edit merges into it field by field (`sync_protocol.apply_patch`):
the later HLC wins, so two devices editing different fields both win, and an edit of the same
field that loses, or that was made without seeing the current value, is kept as a conflict for a
manager to review.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from sqlalchemy import select

from sync_protocol import HLC, ClockDrift, apply_patch, check_drift

from ..core.errors import InvalidInput
from ..extensions import db
from . import clock
from .models import SyncConflict


def edit_hlc(hlc: str | None, field_clock: dict | None = None) -> str:
    """The HLC of an edit: the client's (checked against the server clock) or a fresh server one,
    later than every field HLC of the record it edits (`field_clock`), so a server edit always
    wins over what it was made on, whatever the clocks of the processes involved."""
    if hlc is None:
        return clock.now(after=[entry["hlc"] for entry in (field_clock or {}).values() if entry.get("hlc")])
    parsed = HLC.parse(hlc)
    max_ahead = current_app.config["SYNC_MAX_CLOCK_AHEAD_SECONDS"] * 1000
    try:
        check_drift(parsed, int(time.time() * 1000), max_ahead)
    except ClockDrift as exc:  # refuse, so one wrong clock cannot win every merge
        raise InvalidInput(
            str(exc),
            field="hlc",
            reason="clock_drift",
            params={"ahead_seconds": -(-exc.ahead_ms // 1000), "max_ahead_seconds": exc.max_ahead_ms // 1000},
        ) from None
    clock.observe(parsed)
    return hlc


def merge_fields(
    record: Any,
    patch: dict[str, Any],
    *,
    hlc: str,
    by: int,
    base: dict[str, str] | None,
    entity: str,
    entity_id: str,
    region_id: int | None,
) -> list[SyncConflict]:
    """Merge `patch` into `record` (its attributes and its `field_clock`); record conflicts."""
    field_clock = dict(record.field_clock or {})
    state = {
        f: {
            "value": getattr(record, f),
            "hlc": field_clock.get(f, {}).get("hlc", clock.ORIGIN),
            "by": str(field_clock.get(f, {}).get("by", "")),
        }
        for f in patch
    }
    if base is not None:
        # A field nobody has edited through the merge has no clock entry, so pull's `clock` does
        # not list it and the device cannot name it in `base`: it saw the origin value.
        base = {f: clock.ORIGIN for f in patch if f not in field_clock} | base
    merged, conflicts = apply_patch(state, patch, hlc, str(by), base)
    for f in patch:
        entry = merged[f]
        setattr(record, f, entry["value"])
        field_clock[f] = {"hlc": entry["hlc"], "by": entry["by"]}
    record.field_clock = field_clock
    rows = [
        SyncConflict(
            entity=entity,
            entity_id=entity_id,
            region_id=region_id,
            field=c["field"],
            kept_value=c["kept"]["value"],
            kept_hlc=c["kept"]["hlc"],
            kept_by=_user_id(c["kept"]["by"]),
            lost_value=c["lost"]["value"],
            lost_hlc=c["lost"]["hlc"],
            lost_by=_user_id(c["lost"]["by"]),
        )
        for c in conflicts
    ]
    db.session.add_all(rows)
    return rows


def _user_id(by: str) -> int | None:
    return int(by) if by.isdigit() else None


def open_conflicts(entity: str, entity_id: str) -> list[SyncConflict]:
    return list(
        db.session.scalars(
            select(SyncConflict).where(
                SyncConflict.entity == entity,
                SyncConflict.entity_id == entity_id,
                SyncConflict.resolved_at.is_(None),
            )
        )
    )
