"""Schemas for regions, territories and channel partners."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, Name, Text
from .models import PartnerKind


class RegionSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = Name(32, required=True)
    name = Name(100, required=True)


class TerritorySchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = Name(32, required=True)
    name = Name(100, required=True)
    region_id = fields.Integer(required=True)


class PartnerSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = Name(32, required=True)
    name = Name(200, required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in PartnerKind]))
    parent_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    repair_provider = fields.Boolean(
        metadata={"description": "Repairs phones for 三包: offered to clerks as a repair point when active."}
    )


class RegionQuerySchema(BaseSchema):
    q = Text(100)


class TerritoryQuerySchema(BaseSchema):
    region_id = fields.Integer()
    q = Text(100)


class PartnerQuerySchema(BaseSchema):
    kind = fields.String(validate=validate.OneOf([k.value for k in PartnerKind]))
    parent_id = fields.Integer()
    active = fields.Boolean()
    repair_provider = fields.Boolean()
    q = Text(100)
