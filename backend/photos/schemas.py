"""Schemas for photos."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, UTCDateTime
from .storage import VARIANTS


class PhotoSchema(BaseSchema):
    id = fields.UUID()
    sha256 = fields.String()
    size_bytes = fields.Integer()
    format = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    taken_at = UTCDateTime(allow_none=True, metadata={"description": "From EXIF, when present."})
    gps_latitude = fields.Float(allow_none=True, metadata={"description": "From EXIF GPS."})
    gps_longitude = fields.Float(allow_none=True)
    status = fields.String(metadata={"description": "received, ready or failed"})
    error = fields.String(allow_none=True)
    uploaded_by = fields.Integer()
    uploaded_at = UTCDateTime()
    processed_at = UTCDateTime(allow_none=True)


class UploadArgsSchema(BaseSchema):
    sha256 = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="Expected 64 hex digits."),
        metadata={"description": "sha256 of the bytes in the body; the server checks it."},
    )


class FileArgsSchema(BaseSchema):
    variant = fields.String(load_default="display", validate=validate.OneOf(VARIANTS))
