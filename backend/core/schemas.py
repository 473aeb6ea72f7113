"""Schema building blocks shared by the domains: strict base schema, UTC times, coordinates."""

from __future__ import annotations

from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields, validate

from .timeutil import to_naive_utc


class BaseSchema(ma.Schema):
    """Unknown fields are refused, so a typo in a field name is an error rather than ignored."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class UTCDateTime(fields.DateTime):
    """ISO 8601 in and out. Input with an offset is converted to UTC; output always says UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        return to_naive_utc(super()._deserialize(value, attr, data, **kwargs))

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def Latitude(**kw) -> fields.Float:  # noqa: N802 - reads like a field class
    return fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False, **kw)


def Longitude(**kw) -> fields.Float:  # noqa: N802
    return fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False, **kw)


def Accuracy(**kw) -> fields.Float:  # noqa: N802
    return fields.Float(validate=validate.Range(min=0, max=100_000), allow_nan=False, **kw)


def Text(max_len: int, **kw) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(max=max_len), **kw)


def Name(max_len: int = 200, **kw) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


def Money(**kw) -> fields.Decimal:  # noqa: N802
    """CNY amounts: accepted as number or string, returned as a string to keep the cents exact."""
    return fields.Decimal(
        places=2,
        as_string=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=10_000_000),
        **kw,
    )


class ErrorSchema(BaseSchema):
    """Every 4xx/5xx answer has this shape."""

    code = fields.Integer(metadata={"description": "HTTP status code"})
    status = fields.String(metadata={"description": "HTTP status name"})
    error = fields.String(metadata={"description": "Machine-readable reason, e.g. not_found, conflict"})
    message = fields.String(metadata={"description": "What went wrong, naming the field"})
    errors = fields.Dict(metadata={"description": "Per location and field: list of messages"})
    details = fields.Dict(metadata={"description": "Extra facts, e.g. the conflicting fields"})
