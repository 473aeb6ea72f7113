"""Schemas for visits and display checks."""

from marshmallow import ValidationError, fields, validate, validates_schema

from ..core.schemas import Accuracy, BaseSchema, Latitude, Longitude, Text, UTCDateTime


class VisitSchema(BaseSchema):
    id = fields.UUID(required=True, metadata={"description": "Chosen by the client (UUID)."})
    store_id = fields.Integer(required=True)
    rep_id = fields.Integer(dump_only=True)
    checked_in_at = UTCDateTime(required=True, metadata={"description": "Device time of check-in."})
    latitude = Latitude(required=True, attribute="check_in_latitude", data_key="latitude")
    longitude = Longitude(required=True, attribute="check_in_longitude", data_key="longitude")
    accuracy_m = Accuracy(required=True, attribute="check_in_accuracy_m", data_key="accuracy_m")
    distance_m = fields.Float(
        dump_only=True,
        attribute="check_in_distance_m",
        metadata={"description": "Geodesic distance from the check-in to the store."},
    )
    off_site = fields.Boolean(dump_only=True)
    checked_out_at = UTCDateTime(dump_only=True)
    check_out_latitude = fields.Float(dump_only=True)
    check_out_longitude = fields.Float(dump_only=True)
    check_out_accuracy_m = fields.Float(dump_only=True)
    check_out_distance_m = fields.Float(dump_only=True)
    notes = Text(4000)
    received_at = UTCDateTime(dump_only=True)


class CheckInSchema(BaseSchema):
    id = fields.UUID(required=True, metadata={"description": "Chosen by the client (UUID)."})
    store_id = fields.Integer(required=True)
    checked_in_at = UTCDateTime(required=True)
    latitude = Latitude(required=True)
    longitude = Longitude(required=True)
    accuracy_m = Accuracy(required=True)
    notes = Text(4000)


class CheckOutSchema(BaseSchema):
    checked_out_at = UTCDateTime(required=True)
    latitude = Latitude(allow_none=True)
    longitude = Longitude(allow_none=True)
    accuracy_m = Accuracy(allow_none=True)
    notes = Text(4000)

    @validates_schema
    def _position_whole(self, data, **kwargs):
        given = [k for k in ("latitude", "longitude") if data.get(k) is not None]
        if len(given) == 1:
            missing = "longitude" if given == ["latitude"] else "latitude"
            raise ValidationError("Send latitude and longitude together.", missing)


class VisitQuerySchema(BaseSchema):
    rep_id = fields.Integer()
    store_id = fields.Integer()
    off_site = fields.Boolean()
    since = UTCDateTime(metadata={"description": "Checked in at or after."})
    until = UTCDateTime(metadata={"description": "Checked in before."})


class AnswerSchema(BaseSchema):
    item_id = fields.Integer(required=True)
    value = fields.Raw(required=True, metadata={"description": "true/false, or a number"})
    reason = Text(500, metadata={"description": "Why the item fails (its `on_fail` may require it)."})


class DisplayCheckSchema(BaseSchema):
    id = fields.UUID(required=True)
    visit_id = fields.UUID(required=True)
    store_id = fields.Integer(dump_only=True)
    rep_id = fields.Integer(dump_only=True)
    checked_at = UTCDateTime(required=True)
    answers = fields.List(fields.Nested(AnswerSchema), required=True, validate=validate.Length(max=200))
    score = fields.Float(dump_only=True, metadata={"description": "0–100, computed by the server."})
    notes = Text(2000)
    photo_ids = fields.List(fields.UUID(), validate=validate.Length(max=20))
    received_at = UTCDateTime(dump_only=True)


class DisplayCheckQuerySchema(BaseSchema):
    visit_id = fields.UUID()
    store_id = fields.Integer()
    rep_id = fields.Integer()
