"""Schemas for HQ's market dashboards."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, Money, UTCDateTime
from ..intel.schemas import PriceObservationSchema
from . import rules
from .service import STORE_CHANGE_KINDS


class TrendQuerySchema(BaseSchema):
    period = fields.String(load_default=rules.WEEK, validate=validate.OneOf(rules.PERIODS))
    since = fields.Date(metadata={"description": "Default: 12 weeks before `until`."})
    until = fields.Date(metadata={"description": "Default: today."})
    region_id = fields.Integer(metadata={"description": "Default: nationwide (0); a manager's own region."})
    brand_id = fields.Integer()
    competitor_model_id = fields.Integer()
    product_id = fields.Integer()
    with_rivals = fields.Boolean(
        metadata={"description": "With `product_id`: add the competitor models it is set against."}
    )
    ours_only = fields.Boolean()


class TrendRowSchema(BaseSchema):
    period = fields.String()
    period_start = fields.Date()
    region_id = fields.Integer()
    model_key = fields.String()
    product_id = fields.Integer(allow_none=True)
    competitor_model_id = fields.Integer(allow_none=True)
    brand_id = fields.Integer(allow_none=True)
    brand = fields.String(allow_none=True)
    model = fields.String()
    brand_en = fields.String(allow_none=True, metadata={"description": "`brand` in English (name_en, else name)"})
    model_en = fields.String(metadata={"description": "`model` in English (name_en, else name)"})
    ours = fields.Boolean()
    n = fields.Integer(metadata={"description": "Observations"})
    n_promo = fields.Integer(metadata={"description": "Observations with a promotion"})
    median = Money()
    min = Money()
    max = Money()
    mean = Money()


class AlertQuerySchema(BaseSchema):
    region_id = fields.Integer()
    brand_id = fields.Integer()
    competitor_model_id = fields.Integer()
    period = fields.String(validate=validate.OneOf(rules.PERIODS))
    acknowledged = fields.Boolean()


class AlertSchema(BaseSchema):
    id = fields.Integer()
    competitor_model_id = fields.Integer()
    model = fields.String()
    brand_id = fields.Integer()
    brand = fields.String()
    brand_en = fields.String(allow_none=True, metadata={"description": "`brand` in English (name_en, else name)"})
    model_en = fields.String(metadata={"description": "`model` in English (name_en, else name)"})
    region_id = fields.Integer()
    region = fields.String()
    period = fields.String()
    period_start = fields.Date()
    previous_start = fields.Date()
    previous_median = Money()
    current_median = Money()
    drop_pct = fields.Float()
    previous_n = fields.Integer()
    current_n = fields.Integer()
    created_at = UTCDateTime()
    acknowledged_by = fields.Integer(allow_none=True)
    acknowledged_at = UTCDateTime(allow_none=True)


class EvidenceObservationSchema(PriceObservationSchema):
    store_name = fields.String(dump_only=True)


class AlertEvidenceSchema(AlertSchema):
    previous_observations = fields.List(fields.Nested(EvidenceObservationSchema))
    observations = fields.List(fields.Nested(EvidenceObservationSchema))


class RangeQuerySchema(BaseSchema):
    since = fields.Date()
    until = fields.Date()
    region_id = fields.Integer()


class PromotionQuerySchema(RangeQuerySchema):
    brand_id = fields.Integer()


class PromotionSchema(BaseSchema):
    id = fields.UUID()
    observed_at = UTCDateTime()
    store_id = fields.Integer()
    store_name = fields.String()
    brand = fields.String(allow_none=True, metadata={"description": "None: one of ours"})
    model = fields.String()
    brand_en = fields.String(allow_none=True, metadata={"description": "`brand` in English (name_en, else name)"})
    model_en = fields.String(metadata={"description": "`model` in English (name_en, else name)"})
    shelf_price = Money()
    promo_price = Money(allow_none=True)
    promo_text = fields.String()


class StoreChangeQuerySchema(RangeQuerySchema):
    kind = fields.String(validate=validate.OneOf([k.value for k in STORE_CHANGE_KINDS]))


class StoreChangeSchema(BaseSchema):
    id = fields.UUID()
    kind = fields.String()
    status = fields.String()
    name = fields.String()
    address = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    store_id = fields.Integer(allow_none=True)
    region_id = fields.Integer()
    reported_at = UTCDateTime()


class MaterialUseSchema(BaseSchema):
    region_id = fields.Integer()
    region = fields.String()
    material_id = fields.Integer()
    material = fields.String()
    kind = fields.String()
    delivered = fields.Integer()
    used = fields.Integer()
    returned = fields.Integer()
    cost_used = Money()
