"""Where photos are used: every kind of record that refers to photos (`photos.models.PhotoLink`),
as one select of uniform columns, for the photo feed and the recycled-photo badges.

    photo_id, record_type, record_id, visit_id, store_id, territory_id, rep_id, at

`at` is when the record was made (device time: a display check's `checked_at`, an observation's
`observed_at`, a task's `done_at`…); `territory_id` is set for intel reports only (their scope
column: a report about a new place has no store) and is the store's territory otherwise.
"""

from __future__ import annotations

from sqlalchemy import Integer, Select, String, Uuid, and_, literal, null, select, union_all
from sqlalchemy.sql.expression import cast

from ..extensions import db
from ..intel.models import IntelReport, PriceObservation
from ..photos.models import PhotoLink
from ..tasks.models import Task, TaskStatus
from ..visits.models import DisplayCheck

RECORD_TYPES = ("display_check", "price_observation", "intel_report", "task")
"""The record types the feed shows, in the order of the union (display checks first)."""


def _branch(record_type: str, model, visit_col, store_col, rep_col, at_col, territory_col=None, extra=None):
    stmt = select(
        PhotoLink.photo_id.label("photo_id"),
        cast(literal(record_type), String(32)).label("record_type"),
        model.id.label("record_id"),
        visit_col.label("visit_id"),
        store_col.label("store_id"),
        (territory_col if territory_col is not None else cast(null(), Integer)).label("territory_id"),
        rep_col.label("rep_id"),
        at_col.label("at"),
    ).join(model, and_(PhotoLink.record_type == record_type, PhotoLink.record_id == model.id))
    return stmt.where(extra) if extra is not None else stmt


def branches(
    *, since=None, until=None, rep_id=None, photo_ids=None, only: tuple[str, ...] = RECORD_TYPES
) -> list[Select]:
    """One select per record type (filtered by the record's time, its rep and/or the photos):
    filters sit inside each branch, on that table's own columns and indexes."""
    specs = {
        "display_check": (
            DisplayCheck,
            DisplayCheck.visit_id,
            DisplayCheck.store_id,
            DisplayCheck.rep_id,
            DisplayCheck.checked_at,
            None,
            None,
        ),
        "price_observation": (
            PriceObservation,
            PriceObservation.visit_id,
            PriceObservation.store_id,
            PriceObservation.rep_id,
            PriceObservation.observed_at,
            None,
            None,
        ),
        # An intel report names no visit (a rep may report a place on the way): none here.
        "intel_report": (
            IntelReport,
            cast(null(), Uuid),
            IntelReport.store_id,
            IntelReport.rep_id,
            IntelReport.reported_at,
            IntelReport.territory_id,
            None,
        ),
        # A task's photos are those of its completion: only a done task has any.
        "task": (
            Task,
            Task.done_visit_id,
            Task.store_id,
            Task.done_by,
            Task.done_at,
            None,
            Task.status == TaskStatus.DONE,
        ),
    }
    out = []
    for record_type in only:
        model, visit_col, store_col, rep_col, at_col, territory_col, extra = specs[record_type]
        stmt = _branch(record_type, model, visit_col, store_col, rep_col, at_col, territory_col, extra)
        if since is not None:
            stmt = stmt.where(at_col >= since)
        if until is not None:
            stmt = stmt.where(at_col < until)
        if rep_id is not None:
            stmt = stmt.where(rep_col == rep_id)
        if photo_ids is not None:
            stmt = stmt.where(PhotoLink.photo_id.in_(photo_ids))
        out.append(stmt)
    return out


def photo_records(**filters):
    """The union of `branches(**filters)` as a subquery."""
    parts = branches(**filters)
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("uses")


def uses_of(photo_ids) -> dict:
    """For each photo id, the records that use it: [{record_type, record_id, visit_id, store_id,
    territory_id, rep_id, at}] (one query; photos used nowhere map to [])."""
    ids = list(dict.fromkeys(photo_ids))
    out: dict = {pid: [] for pid in ids}
    if not ids:
        return out
    uses = photo_records(photo_ids=ids)
    for row in db.session.execute(select(uses)):
        m = dict(row._mapping)
        out.setdefault(m.pop("photo_id"), []).append(m)
    return out
