"""Schemas for price observations and intel reports."""

from marshmallow import ValidationError, fields, validate, validates_schema

from ..core.schemas import Accuracy, BaseSchema, Latitude, Longitude, Money, Name, Text, UTCDateTime
from .models import IntelKind, IntelStatus

KINDS = [k.value for k in IntelKind]
STATUSES = [s.value for s in IntelStatus]


class PriceObservationSchema(BaseSchema):
    id = fields.UUID(required=True)
    store_id = fields.Integer(required=True)
    visit_id = fields.UUID(allow_none=True)
    product_id = fields.Integer(allow_none=True, metadata={"description": "One of our models…"})
    competitor_model_id = fields.Integer(allow_none=True, metadata={"description": "…or a competitor's."})
    shelf_price = Money(required=True)
    promo_price = Money(allow_none=True)
    promo_text = Text(500)
    observed_at = UTCDateTime(required=True)
    photo_ids = fields.List(fields.UUID(), validate=validate.Length(max=5))
    rep_id = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)

    @validates_schema
    def _one_model(self, data, **kwargs):
        own, theirs = data.get("product_id"), data.get("competitor_model_id")
        if (own is None) == (theirs is None):
            raise ValidationError(
                "Give exactly one of product_id (ours) or competitor_model_id.", "competitor_model_id"
            )


class PriceQuerySchema(BaseSchema):
    store_id = fields.Integer()
    product_id = fields.Integer()
    competitor_model_id = fields.Integer()
    brand_id = fields.Integer(metadata={"description": "Competitor brand"})
    visit_id = fields.UUID()
    rep_id = fields.Integer()
    since = UTCDateTime()
    until = UTCDateTime()


class DuplicateCandidateSchema(BaseSchema):
    store_id = fields.Integer()
    store_name = fields.String()
    distance_m = fields.Float()
    name_similarity = fields.Float()


class DuplicateRadiiSchema(BaseSchema):
    any_name_m = fields.Float(metadata={"description": "A known store this close is a candidate whatever its name."})
    similar_name_m = fields.Float(metadata={"description": "A known store this close with a similar name."})


class IntelReportSchema(BaseSchema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = Name(200, required=True)
    address = Text(300)
    latitude = Latitude(required=True)
    longitude = Longitude(required=True)
    accuracy_m = Accuracy(allow_none=True)
    store_id = fields.Integer(allow_none=True, metadata={"description": "The known store concerned, if any."})
    territory_id = fields.Integer(
        allow_none=True,
        metadata={"description": "Needed only from a manager reporting a place with no known store."},
    )
    notes = Text(2000)
    reported_at = UTCDateTime(required=True)
    photo_ids = fields.List(fields.UUID(), validate=validate.Length(max=20))
    status = fields.String(dump_only=True)
    reviewed_by = fields.Integer(dump_only=True)
    reviewed_at = UTCDateTime(dump_only=True)
    review_note = fields.String(dump_only=True)
    resolved_store_id = fields.Integer(dump_only=True, metadata={"description": "The store created or duplicated."})
    rep_id = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)
    duplicate_candidates = fields.List(fields.Nested(DuplicateCandidateSchema), dump_only=True)
    duplicate_radii = fields.Nested(
        DuplicateRadiiSchema,
        dump_only=True,
        metadata={"description": "The rule the candidates were found by (the server's settings)."},
    )


class IntelQuerySchema(BaseSchema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    territory_id = fields.Integer()
    store_id = fields.Integer()
    rep_id = fields.Integer()


class NewStoreFieldsSchema(BaseSchema):
    code = Name(32)
    name = Name(200)
    address = Text(300)
    territory_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(["counter", "shop"]))
    tier = fields.String(validate=validate.OneOf(["A", "B", "C"]))
    partner_id = fields.Integer(allow_none=True)


class ReviewSchema(BaseSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "duplicate", "reject"]))
    store_id = fields.Integer(metadata={"description": "The known store it duplicates (decision duplicate)."})
    store = fields.Nested(NewStoreFieldsSchema, metadata={"description": "Details of the store to create (approve)."})
    note = Text(500)
