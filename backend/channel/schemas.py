"""Schemas of the channel's screens (queries and rows)."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema

GROUPS = ("region", "partner")


class StockQuerySchema(BaseSchema):
    group = fields.String(load_default="region", validate=validate.OneOf(GROUPS))
    region_id = fields.Integer(metadata={"description": "Default: every region in scope (a manager's own)."})
    partner_id = fields.Integer(metadata={"description": "0: units shipped to no named partner."})
    product_id = fields.Integer()


class _Names(BaseSchema):
    region_id = fields.Integer()
    region_name = fields.String(allow_none=True)
    product_id = fields.Integer()
    model_code = fields.String(allow_none=True)
    product_name = fields.String(allow_none=True)
    product_name_en = fields.String(allow_none=True, metadata={"description": "name_en, else name"})


class StockRowSchema(_Names):
    partner_id = fields.Integer(allow_none=True, metadata={"description": "group=partner: 0 = no named partner"})
    partner_name = fields.String(allow_none=True)
    shipped = fields.Integer()
    sold = fields.Integer(metadata={"description": "Units of the shipments on live warranty cards"})
    stock = fields.Integer(metadata={"description": "shipped − sold"})
    weekly_sales = fields.Float(
        metadata={"description": "Units sold a week, averaged over the last CHANNEL_SALES_WEEKS complete weeks"}
    )
    cover_weeks = fields.Float(allow_none=True, metadata={"description": "stock ÷ weekly_sales; null: no sales"})
    aging_units = fields.Integer(metadata={"description": "Units of aging cohorts (see /channel/aging)"})
    latitude = fields.Float(allow_none=True, metadata={"description": "group=region: the region's stores' centroid"})
    longitude = fields.Float(allow_none=True)


class StockRegionQuerySchema(BaseSchema):
    region_id = fields.Integer(metadata={"description": "Default: every region in scope (a manager's own)."})
    product_id = fields.Integer(metadata={"description": "Default: every model, summed."})


class StockRegionSchema(BaseSchema):
    region_id = fields.Integer()
    region_name = fields.String(allow_none=True)
    shipped = fields.Integer()
    sold = fields.Integer()
    stock = fields.Integer()
    weekly_sales = fields.Float(metadata={"description": "The models' weekly sell-out, summed"})
    cover_weeks = fields.Float(allow_none=True, metadata={"description": "stock ÷ weekly_sales; null: no sales"})
    aging_units = fields.Integer()
    latitude = fields.Float(allow_none=True, metadata={"description": "The region's active stores' centroid"})
    longitude = fields.Float(allow_none=True)


class SellThroughQuerySchema(BaseSchema):
    region_id = fields.Integer(metadata={"description": "Default: nationwide; a manager's own region."})
    product_id = fields.Integer()
    competitor_model_id = fields.Integer()
    weeks = fields.Integer(load_default=12, validate=validate.Range(min=1, max=104))


class SellThroughRowSchema(BaseSchema):
    week_start = fields.Date()
    model_key = fields.String(metadata={"description": "p<product id> | c<competitor model id>"})
    product_id = fields.Integer(allow_none=True)
    competitor_model_id = fields.Integer(allow_none=True)
    name = fields.String()
    name_en = fields.String()
    card_units = fields.Integer(metadata={"description": "Units on live warranty cards at the stores"})
    declared_units = fields.Integer(
        metadata={"description": "Units the stores declared, each report's spread over its period's weeks by days"}
    )
    estimated_units = fields.Integer(metadata={"description": "Competitor models: units estimated (bands at mid)"})
    estimates = fields.Integer(metadata={"description": "How many estimates were heard"})
    shipped = fields.Integer(allow_none=True, metadata={"description": "Our models: units shipped into the channel"})
    sold = fields.Integer(allow_none=True, metadata={"description": "Our models: units of the channel sold"})
    stock_start = fields.Integer(
        allow_none=True,
        metadata={"description": "Channel stock at the week's start (each region's never below 0, summed)"},
    )
    sell_through = fields.Float(
        allow_none=True, metadata={"description": "sold ÷ (stock_start + shipped), at most 1 (0–1)"}
    )


class AgingQuerySchema(BaseSchema):
    region_id = fields.Integer()
    partner_id = fields.Integer(metadata={"description": "0: units shipped to no named partner."})
    product_id = fields.Integer()


class AgingRowSchema(_Names):
    partner_id = fields.Integer()
    partner_name = fields.String(allow_none=True)
    ship_week = fields.Date(metadata={"description": "Monday of the week the cohort shipped"})
    age_days = fields.Integer(metadata={"description": "Days since the week's last day: every unit is this old"})
    aging_days = fields.Integer(metadata={"description": "The model's aging days (or CHANNEL_AGING_DAYS)"})
    shipped = fields.Integer()
    unsold = fields.Integer()


class AgingImeisQuerySchema(BaseSchema):
    region_id = fields.Integer(required=True)
    partner_id = fields.Integer(metadata={"description": "0: units shipped to no named partner."})
    product_id = fields.Integer(required=True)
    ship_week = fields.Date(required=True, metadata={"description": "Any day of the cohort's week"})


class AgingImeiSchema(BaseSchema):
    imei = fields.String()
    ship_date = fields.Date()
    partner_id = fields.Integer()


class FifoQuerySchema(BaseSchema):
    region_id = fields.Integer()
    product_id = fields.Integer()


class FifoBreakSchema(BaseSchema):
    region_id = fields.Integer()
    region_name = fields.String(allow_none=True)
    product_id = fields.Integer()
    model_code = fields.String(allow_none=True)
    product_name = fields.String(allow_none=True)
    product_name_en = fields.String(allow_none=True)
    older_ship_week = fields.Date()
    older_unsold = fields.Integer()
    older_partner_ids = fields.List(fields.Integer())
    newer_ship_week = fields.Date()
    newer_sold_recent = fields.Integer(metadata={"description": "Units sold in the last CHANNEL_SALES_WEEKS weeks"})


class DisagreementQuerySchema(BaseSchema):
    region_id = fields.Integer()
    product_id = fields.Integer()
    weeks = fields.Integer(load_default=8, validate=validate.Range(min=1, max=52))


class DisagreementSchema(BaseSchema):
    store_id = fields.Integer()
    store_name = fields.String()
    week_start = fields.Date()  # the Monday of period_end
    period_start = fields.Date()
    period_end = fields.Date()
    product_id = fields.Integer()
    model_code = fields.String(allow_none=True)
    card_units = fields.Integer()
    declared_units = fields.Integer()
