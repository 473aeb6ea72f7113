"""Schemas for login and users."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, Name, Text, UTCDateTime
from .models import Role

ROLES = [r.value for r in Role]


class LoginSchema(BaseSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class UserSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{2,64}$"))
    display_name = Name(120, required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    phone = Text(32, allow_none=True)
    region_id = fields.Integer(allow_none=True)
    territory_id = fields.Integer(allow_none=True)
    store_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    created_at = UTCDateTime(dump_only=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))


class UserUpdateSchema(UserSchema):
    username = fields.String(dump_only=True)


class UserQuerySchema(BaseSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    region_id = fields.Integer()
    territory_id = fields.Integer()
    store_id = fields.Integer()
    q = Text(64)


class TokenSchema(BaseSchema):
    token = fields.String()
    token_type = fields.String()
    expires_at = UTCDateTime()
    user = fields.Nested(UserSchema)
