"""Schemas for stores, nearby search and store contacts."""

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from ..core.schemas import BaseSchema, Latitude, Longitude, Name, Text, UTCDateTime
from .models import ContactRole, ProposalStatus, StoreKind, StoreStatus, StoreTier
from .pinyin import name_pinyin

KINDS = [k.value for k in StoreKind]
TIERS = [t.value for t in StoreTier]
STATUSES = [s.value for s in StoreStatus]
PROPOSAL_STATUSES = [s.value for s in ProposalStatus]
# Empty is "no phone": how a contact without one is stored and returned (and how one is cleared).
PHONE = validate.Regexp(r"^([0-9+\-() ]{3,32})?$", error="Not a phone number.")


class StoreSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = Name(32, required=True)
    name = Name(200, required=True)
    partner_id = fields.Integer(allow_none=True)
    territory_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    address = Text(300)
    latitude = Latitude(required=True)
    longitude = Longitude(required=True)
    tier = fields.String(validate=validate.OneOf(TIERS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    created_at = UTCDateTime(dump_only=True)
    updated_at = UTCDateTime(dump_only=True)
    distance_m = fields.Float(
        dump_only=True, metadata={"description": "Metres from the `near` point (nearby search only)."}
    )
    name_pinyin = fields.Function(
        lambda store: name_pinyin(store["name"] if isinstance(store, dict) else store.name),
        dump_only=True,
        metadata={
            "description": "The name's pinyin for search: `full` syllables separated by spaces "
            '("ti yu xi lu dian"), `initials` run together ("tyxld"); Latin words kept whole.',
            "type": "object",
            "properties": {"full": {"type": "string"}, "initials": {"type": "string"}},
        },
    )


class StoreUpdateSchema(StoreSchema):
    position_note = Text(
        500,
        load_only=True,
        metadata={"description": "A rep's note for a position change held for approval (why the store moved)."},
    )


class PositionProposalSchema(BaseSchema):
    id = fields.Integer()
    store_id = fields.Integer()
    status = fields.String(metadata={"description": "pending, approved, rejected or superseded"})
    latitude = fields.Float(metadata={"description": "The proposed position."})
    longitude = fields.Float()
    from_latitude = fields.Float(metadata={"description": "The store's position when it was proposed."})
    from_longitude = fields.Float()
    distance_m = fields.Float(metadata={"description": "Metres from the store's position then."})
    note = fields.String()
    channel = fields.String(metadata={"description": "rest or sync"})
    proposed_by = fields.Integer()
    proposed_at = UTCDateTime()
    decided_by = fields.Integer(allow_none=True)
    decided_at = UTCDateTime(allow_none=True)
    decision_note = fields.String()


class StorePatchResultSchema(StoreSchema):
    pending_position = fields.Nested(
        PositionProposalSchema,
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "A rep's move beyond STORE_MOVE_APPROVAL_M: the store did not move, the position "
            "waits for a manager's approval as this proposal. Null when the edit held nothing."
        },
    )


class ProposalQuerySchema(BaseSchema):
    status = fields.String(validate=validate.OneOf(PROPOSAL_STATUSES))
    store_id = fields.Integer()
    proposed_by = fields.Integer()


class ProposalDecisionSchema(BaseSchema):
    note = Text(500, load_default="")


class StoreHistorySchema(BaseSchema):
    id = fields.Integer()
    store_id = fields.Integer()
    field = fields.String()
    old_value = fields.Raw(allow_none=True)
    new_value = fields.Raw(allow_none=True)
    channel = fields.String(metadata={"description": "rest or sync"})
    changed_by = fields.Integer(allow_none=True)
    changed_at = UTCDateTime()
    proposal_id = fields.Integer(
        allow_none=True, metadata={"description": "Set when the change is an approved position proposal."}
    )


_NEAR = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


class StoreQuerySchema(BaseSchema):
    q = Text(100, metadata={"description": "Search in name, code and address."})
    territory_id = fields.Integer()
    region_id = fields.Integer()
    partner_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(KINDS))
    tier = fields.String(validate=validate.OneOf(TIERS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    near = fields.String(metadata={"description": "LAT,LON: return stores by geodesic distance from this point."})
    radius_m = fields.Float(
        load_default=5000,
        validate=validate.Range(min=1),
        allow_nan=False,
        metadata={"description": "With `near`: search radius in metres (default 5000)."},
    )

    @validates_schema
    def _near(self, data, **kwargs):
        if "near" not in data:
            return
        m = _NEAR.match(data["near"])
        if not m:
            raise ValidationError("Expected LAT,LON in decimal degrees, e.g. 23.13,113.26.", "near")
        lat, lon = float(m.group(1)), float(m.group(2))
        if not -90 <= lat <= 90:
            raise ValidationError("Latitude must be between -90 and 90.", "near")
        if not -180 <= lon <= 180:
            raise ValidationError("Longitude must be between -180 and 180.", "near")
        data["near_point"] = (lat, lon)


class ContactSchema(BaseSchema):
    id = fields.UUID(dump_only=True)
    store_id = fields.Integer(dump_only=True)
    name = Name(100, required=True)
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in ContactRole]))
    phone = fields.String(validate=PHONE)
    updated_at = UTCDateTime(dump_only=True)
    updated_by = fields.Integer(dump_only=True)
    deleted_at = UTCDateTime(dump_only=True)


class ContactUpsertSchema(ContactSchema):
    """PUT body: the client chooses the id (in the URL) so an offline-created contact keeps it."""


class ContactQuerySchema(BaseSchema):
    include_deleted = fields.Boolean(load_default=False)


class ContactHistorySchema(BaseSchema):
    id = fields.Integer()
    contact_id = fields.UUID()
    store_id = fields.Integer()
    action = fields.String()
    name = fields.String()
    role = fields.String()
    phone = fields.String()
    changed_by = fields.Integer()
    changed_at = UTCDateTime()
