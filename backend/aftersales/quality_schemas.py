"""Schemas of HQ's quality figures (queries and rows): `quality.py` computes them."""

from __future__ import annotations

from marshmallow import fields, validate

from ..core.schemas import BaseSchema

LANGS = ("zh-CN", "en")
MAX_WEEKS = 104


class QualityModelsQuerySchema(BaseSchema):
    since = fields.Date(
        metadata={"description": "First purchase day counted. Default: the Monday 11 weeks before this week's."}
    )
    until = fields.Date(metadata={"description": "Last purchase day counted. Default: today."})
    region_id = fields.Integer(metadata={"description": "Default: every region in scope (a manager's own)."})


class QualityWeeklyQuerySchema(BaseSchema):
    product_id = fields.Integer(metadata={"description": "Default: every model together."})
    region_id = fields.Integer(metadata={"description": "Default: every region in scope (a manager's own)."})
    weeks = fields.Integer(
        load_default=12,
        validate=validate.Range(min=1, max=MAX_WEEKS),
        metadata={"description": "Purchase weeks, this week the last."},
    )


class QualityRegionsQuerySchema(BaseSchema):
    product_id = fields.Integer(metadata={"description": "Default: every model together."})
    since = fields.Date(metadata={"description": "As /quality/models."})
    until = fields.Date(metadata={"description": "As /quality/models."})


class QualityAlertsQuerySchema(BaseSchema):
    region_id = fields.Integer(
        metadata={
            "description": "A region's alerts (its own rate). Default: HQ all regions together; a manager their own."
        }
    )
    product_id = fields.Integer(metadata={"description": "One model's alerts"})
    acknowledged = fields.Boolean(metadata={"description": "true: acknowledged ones only; false: open ones only"})


class QualityCsvQuerySchema(QualityModelsQuerySchema):
    lang = fields.String(
        validate=validate.OneOf(LANGS),
        metadata={"description": "the header row's language; default: the request's Accept-Language, else English"},
    )


class _Counts(BaseSchema):
    units_sold = fields.Integer(
        metadata={"description": "Cards bought in the period (not voided; closed ones count; replacement units do not)"}
    )
    returns = fields.Integer(metadata={"description": "Returns (退货) of those cards"})
    exchanges = fields.Integer(metadata={"description": "Exchanges (换货) of those cards"})
    repairs = fields.Integer(metadata={"description": "Repair referrals (维修) of those cards"})
    return_per_1000 = fields.Float(
        allow_none=True, metadata={"description": "returns per 1,000 units; null: none sold"}
    )
    exchange_per_1000 = fields.Float(allow_none=True)
    repair_per_1000 = fields.Float(allow_none=True)


class TopFaultSchema(BaseSchema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    count = fields.Integer(metadata={"description": "Events (any kind) naming this fault"})


class QualityModelSchema(_Counts):
    product_id = fields.Integer()
    model_code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    name_en = fields.String(allow_none=True, metadata={"description": "name_en, else name"})
    top_faults = fields.List(fields.Nested(TopFaultSchema), metadata={"description": "The 3 commonest, most first"})


class QualityWeekSchema(_Counts):
    week = fields.Date(metadata={"description": "Monday of the purchase week"})


class QualityRegionSchema(_Counts):
    region_id = fields.Integer()
    region_name = fields.String(allow_none=True)


class QualityAlertSchema(BaseSchema):
    product_id = fields.Integer()
    model_code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True, metadata={"description": "name_en, else name"})
    launch_date = fields.Date(allow_none=True)
    since = fields.Date(metadata={"description": "First day counted: launch_date, else the model's first card"})
    weeks = fields.Integer(metadata={"description": "Weeks on sale so far, 1 … QUALITY_ALERT_WEEKS"})
    units_sold = fields.Integer()
    returns_exchanges = fields.Integer()
    rate_per_1000 = fields.Float(metadata={"description": "(returns + exchanges) per 1,000 units sold"})
    threshold_per_1000 = fields.Float(metadata={"description": "QUALITY_ALERT_RATE_PER_1000 when raised"})
    id = fields.Integer(metadata={"description": "The stored alert (acknowledge it by this id)"})
    region_id = fields.Integer(allow_none=True, metadata={"description": "null: every region together"})
    region_name = fields.String(allow_none=True)
    created_at = fields.DateTime(metadata={"description": "When it was raised (UTC); the figures are those of then"})
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.Integer(allow_none=True)
