"""Schemas of the desk's read models: a visit's detail and the photo feed (output only, but the
feed's query)."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, UTCDateTime
from ..stores.models import StoreTier
from .sources import RECORD_TYPES


class DeskPersonSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()


class PhotoUseSchema(BaseSchema):
    """Where the other photo of a recycled pair is used. Outside the reader's scope only the
    kind of record and the time are told (`visible` false)."""

    record_type = fields.String()
    visit_id = fields.UUID(allow_none=True)
    store_id = fields.Integer(allow_none=True)
    store_name = fields.String(allow_none=True)
    rep_name = fields.String(allow_none=True)
    at = UTCDateTime(allow_none=True)
    visible = fields.Boolean()
    can_open = fields.Boolean(metadata={"description": "The reader may open that visit's detail."})


class RecycledMatchSchema(BaseSchema):
    other_photo_id = fields.UUID()
    distance = fields.Integer(metadata={"description": "Bits by which the perceptual hashes differ."})
    uses = fields.List(fields.Nested(PhotoUseSchema))


class PhotoCardSchema(BaseSchema):
    photo_id = fields.UUID()
    status = fields.String(metadata={"description": "received, ready, failed; missing: not uploaded yet"})
    taken_at = UTCDateTime(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    thumb_url = fields.String(metadata={"description": "GET it with the bearer token (≤320 px)."})
    display_url = fields.String(metadata={"description": "≤1600 px"})
    full_url = fields.String()
    recycled = fields.Boolean(
        metadata={"description": "Nearly the same picture as a photo used at another visit or store."}
    )
    recycled_from = fields.List(fields.Nested(RecycledMatchSchema))


# --- visit detail ------------------------------------------------------------------------------------


class DetailPositionSchema(BaseSchema):
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    distance_m = fields.Float(allow_none=True, metadata={"description": "Geodesic distance to the store."})


class DetailStoreSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    tier = fields.String()
    address = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()


class DetailVisitSchema(BaseSchema):
    id = fields.UUID()
    rep = fields.Nested(DeskPersonSchema)
    store = fields.Nested(DetailStoreSchema)
    checked_in_at = UTCDateTime()
    check_in = fields.Nested(DetailPositionSchema)
    off_site = fields.Boolean()
    off_site_threshold_m = fields.Float(
        metadata={"description": "Beyond this distance the check-in counted as off-site (its accuracy allowed)."}
    )
    checked_out_at = UTCDateTime(allow_none=True)
    check_out = fields.Nested(DetailPositionSchema, allow_none=True)
    minutes_on_site = fields.Integer(allow_none=True)
    notes = fields.String()
    received_at = UTCDateTime()


class DetailAnswerSchema(BaseSchema):
    item_id = fields.Integer()
    code = fields.String(allow_none=True)
    label_zh = fields.String(allow_none=True)
    label_en = fields.String(allow_none=True)
    answer_type = fields.String(allow_none=True)
    target = fields.Float(allow_none=True)
    weight = fields.Integer(allow_none=True)
    value = fields.Raw(metadata={"description": "true/false, or a number"})
    reason = fields.String()
    passed = fields.Boolean(allow_none=True)


class DetailCheckSchema(BaseSchema):
    id = fields.UUID()
    checked_at = UTCDateTime()
    score = fields.Float()
    notes = fields.String()
    answers = fields.List(fields.Nested(DetailAnswerSchema))
    photos = fields.List(fields.Nested(PhotoCardSchema))


class DetailMaterialSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)


class DetailMovementSchema(BaseSchema):
    id = fields.UUID()
    material = fields.Nested(DetailMaterialSchema)
    kind = fields.String()
    quantity = fields.Integer()
    recorded_at = UTCDateTime()
    note = fields.String()


class DetailBrandSchema(BaseSchema):
    name = fields.String()
    name_en = fields.String(allow_none=True)


class DetailModelSchema(BaseSchema):
    kind = fields.String(metadata={"description": "own (our product) or competitor"})
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    brand = fields.Nested(DetailBrandSchema, allow_none=True)


class DetailPriceSchema(BaseSchema):
    id = fields.UUID()
    model = fields.Nested(DetailModelSchema)
    shelf_price = fields.Decimal(as_string=True)
    promo_price = fields.Decimal(as_string=True, allow_none=True)
    promo_text = fields.String()
    observed_at = UTCDateTime()
    photos = fields.List(fields.Nested(PhotoCardSchema))


class DetailIntelSchema(BaseSchema):
    id = fields.UUID()
    kind = fields.String()
    name = fields.String()
    address = fields.String()
    status = fields.String()
    notes = fields.String()
    reported_at = UTCDateTime()
    photos = fields.List(fields.Nested(PhotoCardSchema))


class DetailTopicSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)


class DetailAttendeeSchema(BaseSchema):
    name = fields.String()
    score = fields.Integer(allow_none=True)
    quiz_size = fields.Integer(allow_none=True)


class DetailTrainingSchema(BaseSchema):
    id = fields.UUID()
    topic = fields.Nested(DetailTopicSchema)
    held_at = UTCDateTime()
    duration_minutes = fields.Integer()
    note = fields.String()
    attendees = fields.List(fields.Nested(DetailAttendeeSchema))


class DetailTaskSchema(BaseSchema):
    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    note = fields.String()
    due_on = fields.Date()
    needs_photo = fields.Boolean()
    done_at = UTCDateTime(allow_none=True)
    done_by_name = fields.String(allow_none=True)
    done_note = fields.String()
    photos = fields.List(fields.Nested(PhotoCardSchema))


class VisitDetailSchema(BaseSchema):
    visit = fields.Nested(DetailVisitSchema)
    display_checks = fields.List(fields.Nested(DetailCheckSchema))
    stock_movements = fields.List(fields.Nested(DetailMovementSchema))
    price_observations = fields.List(fields.Nested(DetailPriceSchema))
    intel_reports = fields.List(fields.Nested(DetailIntelSchema))
    training_sessions = fields.List(fields.Nested(DetailTrainingSchema))
    tasks = fields.List(fields.Nested(DetailTaskSchema))
    photo_count = fields.Integer()


# --- photo feed --------------------------------------------------------------------------------------


class FeedQuerySchema(BaseSchema):
    region_id = fields.Integer(metadata={"description": "Stores of this region (a manager's scope is their own)."})
    since = fields.Date(metadata={"description": "First business day (the record's time)."})
    until = fields.Date(metadata={"description": "Last business day, included."})
    checklist_item_id = fields.Integer(
        metadata={"description": "Photos of the display checks that answered this checklist item."}
    )
    tier = fields.String(validate=validate.OneOf([t.value for t in StoreTier]))
    rep_id = fields.Integer()
    store_id = fields.Integer()
    record_type = fields.String(validate=validate.OneOf(RECORD_TYPES))
    recycled = fields.Boolean(metadata={"description": "Only photos flagged as recycled."})


class FeedStoreSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    tier = fields.String()


class FeedChecklistItemSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    label_zh = fields.String()
    label_en = fields.String()
    passed = fields.Boolean()


class FeedItemSchema(PhotoCardSchema):
    record_type = fields.String(metadata={"description": "display_check, price_observation, intel_report, task"})
    record_id = fields.UUID()
    visit_id = fields.UUID(allow_none=True)
    at = UTCDateTime(metadata={"description": "When the record was made (device time)."})
    store = fields.Nested(FeedStoreSchema, allow_none=True)
    rep = fields.Nested(DeskPersonSchema)
    score = fields.Float(allow_none=True, metadata={"description": "The display check's score."})
    checklist_items = fields.List(
        fields.Nested(FeedChecklistItemSchema), metadata={"description": "The items the display check answered."}
    )
