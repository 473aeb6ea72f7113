"""Schemas for the stock ledger."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, Text, UTCDateTime
from .models import MovementKind

KINDS = [k.value for k in MovementKind]


class StockMovementSchema(BaseSchema):
    id = fields.UUID(required=True)
    store_id = fields.Integer(required=True)
    material_id = fields.Integer(required=True)
    visit_id = fields.UUID(allow_none=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={"description": "delivered (+), used (−), returned (−), counted (= quantity)"},
    )
    quantity = fields.Integer(required=True, validate=validate.Range(min=0, max=1_000_000))
    recorded_at = UTCDateTime(required=True)
    note = Text(500)
    rep_id = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)


class StockMovementQuerySchema(BaseSchema):
    store_id = fields.Integer()
    material_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(KINDS))
    visit_id = fields.UUID()
    rep_id = fields.Integer()


class StockLevelSchema(BaseSchema):
    material_id = fields.Integer()
    material_code = fields.String()
    material_name = fields.String()
    quantity = fields.Integer()
    last_counted_at = UTCDateTime(allow_none=True)
    last_movement_at = UTCDateTime(allow_none=True)
