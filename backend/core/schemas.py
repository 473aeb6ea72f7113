"""Schema building blocks shared by the domains: strict base schema, UTC times, coordinates."""

from __future__ import annotations

from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields, validate

from .timeutil import to_naive_utc


class WholeInteger(fields.Integer):
    """marshmallow's Integer, minus two surprises: a JSON 2.5 is refused rather than truncated
    to 2, and an integer beyond 64 bits is refused rather than reaching the database driver
    (which fails with an OverflowError, a 500)."""

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        number = super()._validated(value)
        if not -(2**63) <= number < 2**63:
            raise self.make_error("too_large", input=value)
        return number


class BaseSchema(ma.Schema):
    """Unknown fields are refused, so a typo in a field name is an error rather than ignored.
    Every Integer field is a WholeInteger."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    def on_bind_field(self, field_name, field_obj):
        # Fields are copied per schema instance before binding, so this changes only this copy.
        if type(field_obj) is fields.Integer:
            field_obj.__class__ = WholeInteger


class UTCDateTime(fields.DateTime):
    """ISO 8601 in and out. Input with an offset is converted to UTC; output always says UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return to_naive_utc(super()._deserialize(value, attr, data, **kwargs))
        except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 has no UTC equivalent
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None

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
