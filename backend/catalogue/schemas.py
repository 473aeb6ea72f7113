"""Schemas for products, competitor brands and models, promo materials and checklist items."""

from marshmallow import ValidationError, fields, validate, validates_schema

from ..core.schemas import BaseSchema, Money, Name, Text
from .models import AnswerType, MaterialKind, OnFail


class ProductSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    model_code = Name(32, required=True)
    name = Name(120, required=True)
    name_en = Text(120, allow_none=True, metadata={"description": "The English name; null: show `name`."})
    launch_date = fields.Date(allow_none=True)
    list_price = Money(allow_none=True)
    active = fields.Boolean()
    tac_codes = fields.List(
        # (?![\s\S]) is the end of the text in Python and ECMA regexes alike (the document's
        # patterns are ECMA; Python's \Z is not one, and $ would accept a trailing newline).
        fields.String(
            validate=validate.Regexp(r"^[0-9]{8}(?![\s\S])", error="A TAC is the first 8 digits of an IMEI.")
        ),
        validate=validate.Length(max=200),
        metadata={"description": "Type Allocation Codes (first 8 IMEI digits) of this model."},
    )
    return_days = fields.Integer(validate=validate.Range(min=0, max=365), metadata={"description": "包退 days"})
    exchange_days = fields.Integer(validate=validate.Range(min=0, max=365), metadata={"description": "包换 days"})
    rival_model_ids = fields.List(
        fields.Integer(),
        validate=validate.Length(max=50),
        metadata={"description": "Competitor models it is set against."},
    )
    repair_months = fields.Integer(validate=validate.Range(min=0, max=120), metadata={"description": "包修 months"})


class CompetitorBrandSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = Name(80, required=True)
    name_en = Text(80, allow_none=True, metadata={"description": "The English name; null: show `name`."})
    active = fields.Boolean()


class CompetitorModelSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    brand_id = fields.Integer(required=True)
    name = Name(120, required=True)
    name_en = Text(120, allow_none=True, metadata={"description": "The English name; null: show `name`."})
    launch_date = fields.Date(allow_none=True)
    list_price = Money(allow_none=True)
    active = fields.Boolean()


class PromoMaterialSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = Name(32, required=True)
    name = Name(120, required=True)
    name_en = Text(120, allow_none=True, metadata={"description": "The English name; null: show `name`."})
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in MaterialKind]))
    unit_cost = Money(allow_none=True)
    active = fields.Boolean()


class ChecklistItemSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = Name(32, required=True)
    label_zh = Name(200, required=True)
    label_en = Name(200, required=True)
    answer_type = fields.String(required=True, validate=validate.OneOf([a.value for a in AnswerType]))
    target = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(min=0))
    weight = fields.Integer(validate=validate.Range(min=0, max=100))
    sort_order = fields.Integer()
    active = fields.Boolean()
    on_fail = fields.String(
        validate=validate.OneOf([o.value for o in OnFail]),
        metadata={"description": "What a failed answer must come with: none, reason, photo, photo_or_reason."},
    )

    @validates_schema
    def _target_for_numbers(self, data, partial=None, **kwargs):
        if data.get("answer_type") == AnswerType.NUMBER and data.get("target") is None and not partial:
            raise ValidationError("A number item needs a target (the value that passes).", "target")


class CatalogueQuerySchema(BaseSchema):
    active = fields.Boolean()
    q = Text(100)


class CompetitorModelQuerySchema(CatalogueQuerySchema):
    brand_id = fields.Integer()


class PromoMaterialQuerySchema(CatalogueQuerySchema):
    kind = fields.String(validate=validate.OneOf([k.value for k in MaterialKind]))
