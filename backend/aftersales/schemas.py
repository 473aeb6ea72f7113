"""Schemas for 三包 service events, fault codes and repair points.

The sync mutations `warranty.return`, `warranty.exchange` and `warranty.repair` take the REST
body without `kind` (`ReturnArgs`, `ExchangeArgs`, `RepairArgs`); `POST /service-events` takes it
with `kind` (`ServiceEventSchema`). The same service functions check both.
"""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, Name, Text, UTCDateTime
from ..warranty.schemas import Imei, TermsSchema
from .models import EventKind

KINDS = [k.value for k in EventKind]
FAULT_CODE = r"^[a-z0-9_]{1,32}(?![\s\S])"  # (?![\s\S]): the end of the text in Python and ECMA alike


class NewCardSchema(BaseSchema):
    """The replacement unit of an exchange: its card takes the old card's buyer and purchase date."""

    id = fields.UUID(required=True, metadata={"description": "The new card's id, chosen by the clerk's device."})
    imei = Imei(required=True)
    imei2 = Imei(allow_none=True, metadata={"description": "The second IMEI of a dual-SIM phone."})
    product_id = fields.Integer(
        required=True,
        metadata={"description": "The old card's model, unless WARRANTY_EXCHANGE_OTHER_MODEL allows another."},
    )
    serial_number = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9-]{4,40}$", error="4–40 letters, digits or dashes."),
        metadata={"description": "The factory serial number (SN) on the box."},
    )


class _EventArgs(BaseSchema):
    id = fields.UUID(required=True, metadata={"description": "Chosen by the clerk's device (UUID): idempotent."})
    card_id = fields.UUID(required=True, metadata={"description": "The warranty card of the phone brought back."})
    fault_code = fields.String(
        required=True,
        validate=validate.Regexp(FAULT_CODE, error="A fault code: 1–32 lower-case letters, digits or _."),
        metadata={"description": "A FaultCode's code (GET /fault-codes)."},
    )
    note = Text(300, allow_none=True)
    occurred_at = UTCDateTime(
        required=True,
        metadata={"description": "Device time; its business day is checked against the card's 三包 terms."},
    )


class ReturnArgs(_EventArgs):
    """`warranty.return`: a return (退货) within the return days closes the card."""


class ExchangeArgs(_EventArgs):
    """`warranty.exchange`: an exchange (换货) within the exchange days closes the card and
    registers the replacement unit's card."""

    new_card = fields.Nested(NewCardSchema, metadata={"description": "Required: the replacement unit."})


class RepairArgs(_EventArgs):
    """`warranty.repair`: a repair referral (维修) within the repair months to one repair point."""

    repair_store_id = fields.Integer(allow_none=True, metadata={"description": "A store of kind service_point."})
    repair_partner_id = fields.Integer(
        allow_none=True, metadata={"description": "A partner that is a repair provider."}
    )


class ServiceEventSchema(BaseSchema):
    """A 三包 service event: what `POST /service-events` takes (with `kind`) and what it answers."""

    id = fields.UUID(required=True, metadata={"description": "Chosen by the clerk's device (UUID): idempotent."})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={"description": " | ".join(KINDS)})
    card_id = fields.UUID(required=True)
    fault_code = fields.String(
        required=True,
        validate=validate.Regexp(FAULT_CODE, error="A fault code: 1–32 lower-case letters, digits or _."),
        metadata={"description": "A FaultCode's code (GET /fault-codes)."},
    )
    note = Text(300, allow_none=True)
    occurred_at = UTCDateTime(required=True, metadata={"description": "Device time."})
    new_card = fields.Nested(
        NewCardSchema, load_only=True, metadata={"description": "An exchange's replacement unit (exchange only)."}
    )
    repair_store_id = fields.Integer(
        allow_none=True, metadata={"description": "Repair only: a store of kind service_point (or repair_partner_id)."}
    )
    repair_partner_id = fields.Integer(
        allow_none=True, metadata={"description": "Repair only: a partner that is a repair provider."}
    )
    store_id = fields.Integer(dump_only=True, metadata={"description": "The card's store, where it happened."})
    region_id = fields.Integer(dump_only=True)
    product_id = fields.Integer(dump_only=True, metadata={"description": "The model of the card brought back."})
    purchase_date = fields.Date(dump_only=True)
    fault_code_id = fields.Integer(dump_only=True)
    occurred_on = fields.Date(dump_only=True, metadata={"description": "occurred_at's business day."})
    new_card_id = fields.UUID(dump_only=True, metadata={"description": "An exchange's new card."})
    terms = fields.Nested(
        TermsSchema, dump_only=True, metadata={"description": "The card's 三包 dates that allowed it."}
    )
    recorded_by = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)


class ServiceEventQuerySchema(BaseSchema):
    card_id = fields.UUID()
    store_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(KINDS))
    since = fields.Date(metadata={"description": "Occurred on or after (business day)."})
    until = fields.Date(metadata={"description": "Occurred on or before (business day)."})


class FaultCodeSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(
        required=True,
        validate=validate.Regexp(FAULT_CODE, error="1–32 lower-case letters, digits or _."),
        metadata={"description": "Stable code the events carry, e.g. screen, no_fault."},
    )
    name = Name(100, required=True, metadata={"description": "Chinese name."})
    name_en = Text(100, allow_none=True, metadata={"description": "English name; null: show `name`."})
    is_fault = fields.Boolean(
        metadata={"description": "false: no fault / changed mind (a return only, where policy allows)."}
    )
    position = fields.Integer(validate=validate.Range(min=0, max=10_000), metadata={"description": "Order in lists."})
    active = fields.Boolean()


class FaultCodeUpdateSchema(FaultCodeSchema):
    """Any of a fault code's fields (PATCH): those given replace the current values."""


class FaultCodeQuerySchema(BaseSchema):
    include_inactive = fields.Boolean(
        load_default=False, metadata={"description": "HQ/admin: the inactive ones too (for editing the list)."}
    )


class RepairPointSchema(BaseSchema):
    kind = fields.String(metadata={"description": "store (a service point) or partner (a repair provider)"})
    id = fields.Integer()
    name = fields.String()
    address = fields.String(allow_none=True)
