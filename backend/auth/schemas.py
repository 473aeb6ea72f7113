"""Schemas for login and users."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, Name, Text, UTCDateTime
from .models import Role

ROLES = [r.value for r in Role]
# The password rule, for a new user, a change and a reset alike (the PWA's admin form checks the same).
PASSWORD_RULE = validate.Length(min=8, max=256, error="A password has 8 to 256 characters.")


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
    password = fields.String(required=True, load_only=True, validate=PASSWORD_RULE)


class UserUpdateSchema(UserSchema):
    username = fields.String(dump_only=True)


class UserQuerySchema(BaseSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    region_id = fields.Integer(
        metadata={"description": "The region's users: its managers, its territories' reps, its stores' clerks."}
    )
    territory_id = fields.Integer()
    store_id = fields.Integer()
    q = Text(64)


class PasswordResetSchema(BaseSchema):
    password = fields.String(
        load_only=True,
        validate=PASSWORD_RULE,
        metadata={"description": "The new password; left out, the server makes one and answers it once."},
    )


class PasswordResetResultSchema(BaseSchema):
    user = fields.Nested(UserSchema)
    password = fields.String(
        allow_none=True,
        metadata={"description": "The password the server made (shown once, never stored); null when one was sent."},
    )


class TokenSchema(BaseSchema):
    token = fields.String()
    token_type = fields.String()
    expires_at = UTCDateTime()
    user = fields.Nested(UserSchema)
