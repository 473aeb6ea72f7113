"""Schemas of the channel's alerts, CSV exports and a store's figures (the query screens' schemas
are `schemas.py`)."""

from __future__ import annotations

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, UTCDateTime
from .models import AlertKind

KINDS = [k.value for k in AlertKind]
LANGS = ("zh-CN", "en")


class ChannelAlertSchema(BaseSchema):
    """An alert as it syncs to phones (entity `channel_alert`): its columns, ids only."""

    id = fields.Integer()
    kind = fields.String()
    product_id = fields.Integer()
    region_id = fields.Integer()
    store_id = fields.Integer(allow_none=True)
    week_start = fields.Date()
    stock = fields.Integer(metadata={"description": "channel stock of the model in the region (shipped − sold)"})
    weekly_sales = fields.Float(metadata={"description": "average units sold a week, last CHANNEL_SALES_WEEKS weeks"})
    cover_weeks = fields.Float(allow_none=True, metadata={"description": "stock ÷ weekly_sales; null without sales"})
    count_id = fields.UUID(allow_none=True, metadata={"description": "the shop stock count that said 0 (stock_out)"})
    created_at = UTCDateTime()
    acknowledged_at = UTCDateTime(allow_none=True)


class ChannelAlertRowSchema(ChannelAlertSchema):
    """An alert as the desks list it: with the names of its model, region and store."""

    model_code = fields.String()
    product_name = fields.String()
    product_name_en = fields.String(allow_none=True)
    region_name = fields.String()
    store_name = fields.String(allow_none=True)
    acknowledged_by = fields.Integer(allow_none=True)


class ChannelAlertQuerySchema(BaseSchema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    region_id = fields.Integer()
    store_id = fields.Integer()
    product_id = fields.Integer()
    acknowledged = fields.Boolean()


class ExportLangSchema(BaseSchema):
    lang = fields.String(
        validate=validate.OneOf(LANGS),
        metadata={"description": "the header row's language; default: the request's Accept-Language, else English"},
    )


class AgingCsvQuerySchema(ExportLangSchema):
    region_id = fields.Integer()
    partner_id = fields.Integer(metadata={"description": "0: units shipped to no named partner"})
    product_id = fields.Integer()


class StockCsvQuerySchema(AgingCsvQuerySchema):
    group = fields.String(load_default="region", validate=validate.OneOf(("region", "partner")))


class StoreStockSchema(BaseSchema):
    product_id = fields.Integer()
    model_code = fields.String()
    product_name = fields.String()
    product_name_en = fields.String(allow_none=True)
    on_hand = fields.Integer()
    demo_unit = fields.Boolean(allow_none=True)
    counted_at = UTCDateTime()
    count_id = fields.UUID()


class StoreWeekSchema(BaseSchema):
    week_start = fields.Date()
    product_id = fields.Integer()
    model_code = fields.String()
    card_units = fields.Integer(metadata={"description": "units on live warranty cards registered at the store"})
    declared_units = fields.Integer(metadata={"description": "units the store declared (sell-out reports)"})


class StoreFiguresSchema(BaseSchema):
    store_id = fields.Integer()
    store_name = fields.String()
    region_id = fields.Integer()
    stock = fields.List(fields.Nested(StoreStockSchema), metadata={"description": "the latest count of each model"})
    weeks = fields.List(fields.Nested(StoreWeekSchema), metadata={"description": "the last 8 weeks, oldest first"})
    alerts = fields.List(fields.Nested(ChannelAlertRowSchema), metadata={"description": "open stock-out alerts"})
