"""Schemas for warranty cards, shipments and their imports, spot checks and the diversion report."""

from marshmallow import ValidationError, fields, validate

from ..core.schemas import BaseSchema, Name, Text, UTCDateTime
from . import rules
from .diversion import DIMENSIONS
from .models import FlagSource, ShipmentMatch


def _valid_imei(value: str) -> None:
    problem = rules.imei_problem(value)
    if problem:
        raise ValidationError(problem)


def Imei(**kw) -> fields.String:  # noqa: N802 - reads like a field class
    kw.setdefault("metadata", {"description": "15 digits, Luhn check digit last."})
    return fields.String(validate=_valid_imei, **kw)


class CardFields(BaseSchema):
    """What the clerk fills in (and may correct later)."""

    imei = Imei(required=True)
    imei2 = Imei(allow_none=True, metadata={"description": "The second IMEI of a dual-SIM phone."})
    product_id = fields.Integer(required=True)
    serial_number = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9-]{4,40}$", error="4–40 letters, digits or dashes."),
        metadata={"description": "The factory serial number (SN) on the box."},
    )
    buyer_name = Name(60, required=True)
    buyer_phone = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "Mainland mobile (11 digits) or E.164 (+country…); stored normalised."},
    )
    buyer_address = Text(300, allow_none=True)
    invoice_number = Name(40, required=True)
    purchase_date = fields.Date(required=True, metadata={"description": "Not in the future, not before the launch."})


class TermsSchema(BaseSchema):
    return_until = fields.Date(metadata={"description": "包退: last day of free return"})
    exchange_until = fields.Date(metadata={"description": "包换: last day of free exchange"})
    repair_until = fields.Date(metadata={"description": "包修: last day of free repair"})


class WarrantyCardSchema(CardFields):
    id = fields.UUID(required=True, metadata={"description": "Chosen by the clerk's device (UUID)."})
    registered_at = UTCDateTime(required=True, metadata={"description": "Device time of registration."})
    store_id = fields.Integer(dump_only=True)
    registered_by = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)
    revision = fields.Integer(dump_only=True)
    corrected_at = UTCDateTime(dump_only=True)
    voided_at = UTCDateTime(dump_only=True)
    void_reason = fields.String(dump_only=True)
    closed_at = UTCDateTime(dump_only=True, metadata={"description": "When a 三包 return or exchange closed it."})
    closed_kind = fields.String(dump_only=True, metadata={"description": "returned or exchanged (null: not closed)."})
    replaces_card_id = fields.UUID(
        dump_only=True,
        metadata={
            "description": "The card of the unit this one replaced in an exchange (its purchase date and buyer)."
        },
    )
    terms = fields.Nested(TermsSchema, dump_only=True)
    standing = fields.String(
        dump_only=True,
        metadata={
            "description": "Today: returnable, exchangeable, repairable, expired, void, "
            "or returned / exchanged (closed by a 三包 return or exchange)."
        },
    )
    masked = fields.Boolean(dump_only=True, metadata={"description": "Buyer's name, phone and address masked."})


class CardCorrectionSchema(CardFields):
    """Any of the card's fields; those given replace the current values."""


class VoidSchema(BaseSchema):
    reason = Name(300, required=True)


class CardQuerySchema(BaseSchema):
    imei = fields.String(validate=validate.Regexp(r"^\d{15}$", error="An IMEI has 15 digits."))
    store_id = fields.Integer()
    product_id = fields.Integer()
    purchased_since = fields.Date()
    purchased_until = fields.Date()
    include_void = fields.Boolean(load_default=True)


class RevisionSchema(BaseSchema):
    revision = fields.Integer()
    kind = fields.String()
    changes = fields.Dict(metadata={"description": "{field: [before, after]}"})
    changed_by = fields.Integer()
    changed_at = UTCDateTime()


class ShipmentImportSchema(BaseSchema):
    id = fields.Integer()
    filename = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    progress = fields.Float(metadata={"description": "0–1, by bytes read"})
    total_bytes = fields.Integer()
    processed_bytes = fields.Integer()
    rows_read = fields.Integer()
    rows_loaded = fields.Integer()
    rows_unchanged = fields.Integer(metadata={"description": "Units already loaded with the same details."})
    rows_bad = fields.Integer()
    flags_raised = fields.Integer(metadata={"description": "Diversion flags the new units raised."})
    error = fields.String(metadata={"description": "Why a failed import stopped."})
    error_code = fields.String(
        allow_none=True, metadata={"description": "The reason code of `error` (backend/core/reasons.py), if any."}
    )
    error_params = fields.Dict(allow_none=True, metadata={"description": "The params of `error_code`."})
    sha256 = fields.String()
    duplicate_of = fields.Integer(allow_none=True, metadata={"description": "An earlier import of the same file."})
    created_by = fields.Integer()
    created_at = UTCDateTime()
    started_at = UTCDateTime(allow_none=True)
    finished_at = UTCDateTime(allow_none=True)


class ImportErrorSchema(BaseSchema):
    line = fields.Integer()
    reason = fields.String(metadata={"description": "Why the row was not loaded (English)."})
    code = fields.String(
        allow_none=True, metadata={"description": "The reason's code (backend/core/reasons.py), e.g. import.bad_date."}
    )
    params = fields.Dict(allow_none=True, metadata={"description": 'The code\'s params, e.g. {"value": "2024-13-01"}.'})
    raw = fields.String()


class ShipmentSchema(BaseSchema):
    imei = fields.String()
    product_id = fields.Integer()
    ship_date = fields.Date()
    region_id = fields.Integer()
    partner_id = fields.Integer()
    import_id = fields.Integer()
    line = fields.Integer()


class ShipmentQuerySchema(BaseSchema):
    imei = fields.String()
    product_id = fields.Integer()
    region_id = fields.Integer()
    partner_id = fields.Integer()
    import_id = fields.Integer()


class SpotCheckSchema(BaseSchema):
    id = fields.UUID(required=True)
    store_id = fields.Integer(required=True)
    visit_id = fields.UUID(allow_none=True)
    imei = Imei(required=True)
    seen_at = UTCDateTime(required=True)
    rep_id = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)
    shipment_match = fields.String(
        dump_only=True,
        metadata={"description": f"One of {', '.join(m.value for m in ShipmentMatch)}."},
    )


class SpotCheckQuerySchema(BaseSchema):
    store_id = fields.Integer()
    visit_id = fields.UUID()
    rep_id = fields.Integer()
    imei = fields.String()
    shipment_match = fields.String(validate=validate.OneOf([m.value for m in ShipmentMatch]))


class DiversionFilterSchema(BaseSchema):
    partner_id = fields.Integer()
    shipped_region_id = fields.Integer()
    sold_region_id = fields.Integer()
    product_id = fields.Integer()
    source = fields.String(validate=validate.OneOf([s.value for s in FlagSource]))
    since = fields.Date(metadata={"description": "Sold or seen on or after"})
    until = fields.Date(metadata={"description": "Sold or seen on or before"})


class DiversionSummaryQuerySchema(DiversionFilterSchema):
    by = fields.String(required=True, validate=validate.OneOf(list(DIMENSIONS)))


class DiversionCountSchema(BaseSchema):
    id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    count = fields.Integer()


class DiversionFlagSchema(BaseSchema):
    id = fields.Integer()
    imei = fields.String()
    source = fields.String()
    card_id = fields.UUID()
    spot_check_id = fields.UUID()
    store_id = fields.Integer()
    store_name = fields.String()
    sold_region_id = fields.Integer()
    sold_region_name = fields.String()
    shipped_region_id = fields.Integer()
    shipped_region_name = fields.String()
    partner_id = fields.Integer()
    partner_name = fields.String()
    product_id = fields.Integer()
    model_code = fields.String()
    ship_date = fields.Date()
    seen_on = fields.Date()
    flagged_at = UTCDateTime()
