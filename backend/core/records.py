"""Helpers for field records: client-generated UUIDs, idempotent creation, common columns."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import DateTime, ForeignKey, Uuid
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ..extensions import db
from .batch import created, find_record, flush_deferred
from .errors import Conflict, InvalidInput
from .timeutil import utcnow

T = TypeVar("T")


class FieldRecordMixin:
    """A record a rep makes in the field: client UUID, who made it, when the server got it.

    The device time lives in a column named for what it means (`checked_in_at`, `observed_at`…).
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    @declared_attr
    def rep_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("users.id"), index=True, nullable=False)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | Decimal) or isinstance(b, float | Decimal):
        if a is None or b is None:
            return a is b
        return abs(float(a) - float(b)) < 1e-6
    if isinstance(a, uuid.UUID) or isinstance(b, uuid.UUID):
        return str(a) == str(b)
    return a == b


def create_once(
    model: type[T],
    record_id: uuid.UUID,
    values: dict[str, Any],
    kind: str,
    compare: tuple[str, ...] | None = None,
    api_names: dict[str, str] | None = None,
) -> tuple[T, bool]:
    """Create `model(id=record_id, **values)` unless it exists.

    Offline clients resend records they are unsure reached us, so the same id with the same
    content is a success with no second row; the same id with other content is a 409, never a
    silent overwrite. `compare` names the fields the client sent (computed ones may change
    between tries); by default all of `values`. `api_names` maps a column to the name the API
    gives it, so the 409 names the fields the client knows. Returns (record, created).
    """
    existing = find_record(model, record_id)  # no query in a push that knows the id is new
    if existing is None:
        obj = model(id=record_id, **values)
        created(model, record_id, obj)
        if db.session().in_nested_transaction():
            # The caller (a sync push) already runs this in a savepoint of its own and refuses the
            # mutation on an IntegrityError; a second savepoint would cost two more round trips.
            # Within a push's run of mutations flushed once at its end (`flush_deferred`), the
            # flush is the run's: on a database error the push applies the run again with one
            # flush per mutation.
            db.session.add(obj)
            if not flush_deferred():
                db.session.flush()
            return obj, True
        try:
            with db.session.begin_nested():
                db.session.add(obj)
        except IntegrityError:
            # Another transaction inserted the same id between our read and write.
            existing = db.session.get(model, record_id)
            if existing is None:
                raise
        else:
            return obj, True
    keys = compare if compare is not None else tuple(values)
    names = api_names or {}
    differing = sorted(names.get(k, k) for k in keys if not _same(getattr(existing, k), values[k]))
    if differing:
        raise Conflict(
            f"A {kind} with id {record_id} already exists with different content ({', '.join(differing)}).",
            details={"id": str(record_id), "fields": differing},
            reason="record.id_taken_other_content",
            params={"fields": differing},
        )
    return existing, False


def check_device_time(value: datetime, field: str) -> None:
    """Refuse device times in the future (beyond a little clock skew): a phone with a wrong clock
    would otherwise reorder ledgers and routes."""
    skew = timedelta(seconds=current_app.config["DEVICE_CLOCK_SKEW_SECONDS"])
    if value > utcnow() + skew:
        raise InvalidInput(
            f"{field} is in the future: check the phone's clock.",
            field=field,
            reason="device_time.future",
            params={"field": field},
        )
