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


def Sha256(description: str, **kw) -> fields.String:  # noqa: N802 - reads like a field class
    return fields.String(
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="Expected 64 hex digits."),
        metadata={"description": description},
        **kw,
    )


class UploadArgsSchema(BaseSchema):
    sha256 = Sha256("sha256 of the bytes in the body; the server checks it.", required=True)


class UploadStartSchema(BaseSchema):
    sha256 = Sha256("sha256 of the whole file; checked when the last byte arrives.", required=True)
    size = fields.Integer(
        required=True,
        validate=validate.Range(min=1),
        metadata={"description": "The whole file's length in bytes (at most PHOTO_MAX_BYTES, else 413)."},
    )


class UploadChunkArgsSchema(BaseSchema):
    offset = fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        metadata={
            "description": "Where the chunk in the body starts: must be the server's current offset "
            "(409 with the server's offset in `details.offset` otherwise)."
        },
    )


class UploadStatusSchema(BaseSchema):
    photo_id = fields.UUID()
    sha256 = fields.String()
    size = fields.Integer(metadata={"description": "The whole file's length in bytes."})
    offset = fields.Integer(metadata={"description": "Bytes the server has: send the rest from here."})
    complete = fields.Boolean(metadata={"description": "The photo is stored; nothing more to send."})


class FileArgsSchema(BaseSchema):
    variant = fields.String(load_default="display", validate=validate.OneOf(VARIANTS))
