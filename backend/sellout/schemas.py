"""Schemas for shop stock counts, declared sell-out and competitors' sell-out estimates."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, UTCDateTime
from .models import Band, Source

SOURCES = [s.value for s in Source]
BANDS = [b.value for b in Band]
MAX_UNITS = 100_000  # more phones than any store holds or sells in a period: a typo, refused


def _units(**kw) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=0, max=MAX_UNITS), **kw)


def _source() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.OneOf(SOURCES),
        metadata={"description": "Who gave the figure: " + " | ".join(SOURCES)},
    )


class ShopStockCountSchema(BaseSchema):
    id = fields.UUID(required=True)
    store_id = fields.Integer(required=True)
    visit_id = fields.UUID(allow_none=True)
    product_id = fields.Integer(required=True, metadata={"description": "One of our models."})
    on_hand = _units(required=True, metadata={"description": "Units on hand; 0 is out of stock."})
    demo_unit = fields.Boolean(
        allow_none=True,
        truthy={True},  # JSON true/false only: a "yes" from a form is a client's bug, not an answer
        falsy={False},
        metadata={"description": "A demo phone on the counter; null: not asked."},
    )
    counted_at = UTCDateTime(required=True)
    rep_id = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)


class ShopStockCountQuerySchema(BaseSchema):
    store_id = fields.Integer()
    product_id = fields.Integer()
    visit_id = fields.UUID()
    rep_id = fields.Integer()


class ShopStockQuerySchema(BaseSchema):
    store_id = fields.Integer(required=True)


class ShopStockRowSchema(BaseSchema):
    """A store's latest count of one model."""

    product_id = fields.Integer()
    model_code = fields.String()
    product_name = fields.String()
    product_name_en = fields.String(allow_none=True)
    on_hand = fields.Integer()
    demo_unit = fields.Boolean(allow_none=True)
    counted_at = UTCDateTime()
    count_id = fields.UUID()


class SellOutReportSchema(BaseSchema):
    id = fields.UUID(required=True)
    store_id = fields.Integer(required=True)
    visit_id = fields.UUID(allow_none=True)
    product_id = fields.Integer(required=True, metadata={"description": "One of our models."})
    units = _units(required=True, metadata={"description": "Units sold in the period, as the store says."})
    period_start = fields.Date(required=True)
    period_end = fields.Date(
        required=True, metadata={"description": "Inclusive; not before period_start, at most 92 days after it."}
    )
    source = _source()
    reported_at = UTCDateTime(required=True)
    rep_id = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)


class SellOutReportQuerySchema(BaseSchema):
    store_id = fields.Integer()
    product_id = fields.Integer()
    visit_id = fields.UUID()
    rep_id = fields.Integer()


class CompetitorSellOutSchema(BaseSchema):
    id = fields.UUID(required=True)
    store_id = fields.Integer(required=True)
    visit_id = fields.UUID(allow_none=True)
    competitor_model_id = fields.Integer(required=True)
    week_start = fields.Date(required=True, metadata={"description": "The Monday of the ISO week estimated."})
    units = _units(allow_none=True, metadata={"description": "Units sold that week…"})
    band = fields.String(
        allow_none=True,
        validate=validate.OneOf(BANDS),
        metadata={"description": "…or a band (exactly one of the two): " + " | ".join(BANDS)},
    )
    source = _source()
    reported_at = UTCDateTime(required=True)
    rep_id = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)


class CompetitorSellOutQuerySchema(BaseSchema):
    store_id = fields.Integer()
    competitor_model_id = fields.Integer()
    visit_id = fields.UUID()
    rep_id = fields.Integer()
