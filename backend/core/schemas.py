"""Schema building blocks shared by the domains: strict base schema, UTC times, coordinates.

Input bounds live here, once for every endpoint and sync mutation: integers fit the database
column they reach, text holds no character PostgreSQL cannot store, dates stay in a range the
reports can compute with. A value out of bounds is a field-located 422 (REST) or a `rejected`
mutation, never a database error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

import marshmallow as ma
from marshmallow import fields, missing, validate
from marshmallow.utils import set_value

from .timeutil import to_naive_utc

INT32_MAX = 2**31 - 1
"""Largest value of an INTEGER column (PostgreSQL): every id and count but the few BIGINT ones."""
INT64_MAX = 2**63 - 1
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
"""Dates and times outside these are refused: no record of this business is older, and reports
add days and weeks to the dates they are given."""

_TEXT_INPUT: ContextVar[bool] = ContextVar("text_input", default=False)
_IN_LOAD: ContextVar[bool] = ContextVar("in_schema_load", default=False)


@contextmanager
def text_input() -> Iterator[None]:
    """Loads in this block come from text (a query string, a form, a path): there an integer
    necessarily arrives as digits, which JSON bodies and sync arguments may not send."""
    token = _TEXT_INPUT.set(True)
    try:
        yield
    finally:
        _TEXT_INPUT.reset(token)


class WholeInteger(fields.Integer):
    """marshmallow's Integer, minus three surprises: a JSON 2.5 is refused rather than truncated
    to 2; text ("12") is refused in JSON (accepted from a query string); and a number beyond the
    column is refused rather than reaching the database (PostgreSQL's INTEGER: a DataError, a
    500). BaseSchema makes every Integer field one; `BigInteger` is the one for BIGINT columns."""

    bits = 32
    default_error_messages = {"out_of_range": "Must be an integer from {min} to {max}."}

    def _validated(self, value):
        if type(value) is int:  # JSON's integers: what marshmallow's Integer would return
            number = value
        else:
            if isinstance(value, float) and not value.is_integer():
                raise self.make_error("invalid", input=value)
            if isinstance(value, str) and not _TEXT_INPUT.get():
                raise self.make_error("invalid", input=value)
            number = super()._validated(value)
        high = 2 ** (self.bits - 1) - 1
        if not -high - 1 <= number <= high:
            raise self.make_error("out_of_range", min=-high - 1, max=high)
        return number


class BigInteger(WholeInteger):
    """An integer for a BIGINT column (64 bits)."""

    bits = 64


class BoundedDate(fields.Date):
    """A calendar day from EARLIEST_DATE to LATEST_DATE."""

    default_error_messages = {"out_of_range": f"Must be a day from {EARLIEST_DATE} to {LATEST_DATE}."}

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise self.make_error("out_of_range")
        return day


# NUL (PostgreSQL text cannot hold it) and UTF-16 surrogates (a JSON "\udc00" decodes to one; a
# valid pair decodes to a single character, so any surrogate left is unpaired and not UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT = "Text must not contain the NUL character or an unpaired UTF-16 surrogate."


def unstorable_text(value: object) -> dict | list | None:
    """Where `value` (parsed JSON, or a query string's mapping) holds text a database cannot
    store: marshmallow's error layout ({field: [message]}, list items by index), or None."""
    if not _any_unstorable(value):  # nearly always: a quick look, no layout built
        return None
    return _unstorable_at(value)


_SCALARS = frozenset({int, float, bool, type(None)})


def _any_unstorable(value: object) -> bool:
    """Whether `value` holds unstorable text anywhere: what `_unstorable_at` finds, at half its
    cost on parsed JSON (plain dicts, lists, strings and numbers, told apart by their exact
    type); anything else is left to `_unstorable_at`."""
    kind = type(value)
    if kind is str:
        return _UNSTORABLE.search(value) is not None
    if kind is dict:
        if any(isinstance(key, str) and _UNSTORABLE.search(key) for key in value):
            return True
        items = value.values()
    elif kind is list:
        items = value
    else:
        items = None
    if items is not None:
        for item in items:
            if type(item) is str:
                if _UNSTORABLE.search(item):
                    return True
            elif type(item) not in _SCALARS and _any_unstorable(item):
                return True
        return False
    if kind in _SCALARS:
        return False
    return _unstorable_at(value) is not None


def _unstorable_at(value: object) -> dict | list | None:
    if isinstance(value, str):
        return [UNSTORABLE_TEXT] if _UNSTORABLE.search(value) else None
    if isinstance(value, Mapping):
        found: dict = {}
        for key, item in value.items():
            if isinstance(key, str) and _UNSTORABLE.search(key):
                found[sanitize(key)] = [UNSTORABLE_TEXT]
            elif (inner := _unstorable_at(item)) is not None:
                found[key] = inner
        return found or None
    if isinstance(value, list | tuple):
        found = {i: inner for i, item in enumerate(value) if (inner := _unstorable_at(item)) is not None}
        return found or None
    return None


def sanitize(value: object) -> object:
    """`value` with every unstorable character replaced by U+FFFD, to record what a client sent
    (a refused mutation's args) without failing on it."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return {sanitize(k): sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize(v) for v in value]
    return value


_BOUNDED = {fields.Integer: WholeInteger, fields.Date: BoundedDate}


def _no_validators(value: object) -> None:
    return None


def _bound(field_obj: fields.Field) -> None:
    # Fields (and the inner fields of lists, tuples and dicts) are copied per schema instance
    # before binding, so this changes only this copy.
    bounded = _BOUNDED.get(type(field_obj))
    if bounded is not None:
        field_obj.__class__ = bounded
        # Error messages are merged from the class at construction: add the new class's (a new
        # dict, as copies of a field share the old one).
        field_obj.error_messages = bounded.default_error_messages | field_obj.error_messages
    if type(field_obj)._validate is fields.Field._validate:
        # marshmallow's Field._validate combines the field's validators anew on every value
        # (`And(*self.validators)`, a property); they are fixed by now: combine them once.
        field_obj._validate = validate.And(*field_obj.validators) if field_obj.validators else _no_validators
    if isinstance(field_obj, fields.List):
        _bound(field_obj.inner)
    elif isinstance(field_obj, fields.Tuple):
        for inner in field_obj.tuple_fields:
            _bound(inner)
    elif isinstance(field_obj, fields.Mapping):
        for inner in (field_obj.key_field, field_obj.value_field):
            if inner is not None:
                _bound(inner)


class BaseSchema(ma.Schema):
    """Unknown fields are refused, so a typo in a field name is an error rather than ignored.
    Every Integer field (in lists and dicts too) is a WholeInteger, every Date a BoundedDate, and
    no text anywhere in the input may hold NUL or an unpaired surrogate.

    Loading does what marshmallow's does (same values, same errors) with about half the calls:
    a push loads thousands of mutations' arguments, and marshmallow redoes per load and field
    work that is fixed once a schema is made (see `_do_load`, `_deserialize`, `_bound`)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    def on_bind_field(self, field_name, field_obj):
        _bound(field_obj)
        if field_obj.dump_only:
            # What only the server writes (reviewed_at, resolved_store_id…) is often not set yet:
            # documented as nullable, as it is returned. Never loaded, so no input changes.
            field_obj.allow_none = True

    def _do_load(self, data, **kwargs):
        # What `load` and `validate` run, and a Nested field's load of its schema.
        if _IN_LOAD.get():
            # A nested schema's input: the outermost load read all of it before any field.
            return super()._do_load(data, **kwargs)
        # The outermost load reads the whole input (nested schemas' too) before any field. Not
        # a pre_load hook: marshmallow would call that on every nested load as well (each item
        # of a list of answers).
        errors = unstorable_text(data)
        if errors is not None:
            raise ma.ValidationError(errors if isinstance(errors, dict) else {"_schema": errors}, data=data)
        token = _IN_LOAD.set(True)
        try:
            return super()._do_load(data, **kwargs)
        finally:
            _IN_LOAD.reset(token)

    def _deserialize(self, data, *, error_store, many=False, partial=None, unknown=ma.RAISE, index=None):
        # marshmallow's own loop, minus what it redoes for every load and field: a closure and
        # a kwargs dict per field, each field's data key and attribute, the set of known keys,
        # and `is_collection(partial)` (which asks `inspect` whether None is a generator). The
        # same calls in the same order, so the same values and errors (tests/core/
        # test_schema_loading.py compares the two); what it does not cover goes to marshmallow.
        if many or type(data) is not dict or not (partial is None or type(partial) is bool):
            return super()._deserialize(
                data, error_store=error_store, many=many, partial=partial, unknown=unknown, index=index
            )
        plan = self.__dict__.get("_plan")
        if plan is None or plan[0] is not self.load_fields:
            plan = self._plan = (self.load_fields, *_load_plan(self.load_fields))
        _, steps, known = plan
        index = index if self.opts.index_errors else None
        kwargs = {} if partial is None else {"partial": partial}
        result = self.dict_class()
        for data_key, field_obj, key, dotted in steps:
            raw = data.get(data_key, missing)
            if raw is missing and partial is True:
                continue
            try:
                value = field_obj.deserialize(raw, data_key, data, **kwargs)
            except ma.ValidationError as error:
                error_store.store_error(error.messages, data_key, index=index)
                value = error.valid_data or missing
            if value is not missing:
                if dotted:
                    set_value(result, key, value)
                else:
                    result[key] = value
        if unknown != ma.EXCLUDE:
            for key in set(data) - known:
                if unknown == ma.INCLUDE:
                    result[key] = data[key]
                elif unknown == ma.RAISE:
                    error_store.store_error([self.error_messages["unknown"]], key, index)
        return result


def _load_plan(load_fields: dict[str, fields.Field]) -> tuple[list[tuple], set[str]]:
    """Per field to load, in order: its key in the input, the field, its key in the result and
    whether that key is a dotted path; and the set of input keys the fields read."""
    steps = []
    for attr_name, field_obj in load_fields.items():
        data_key = field_obj.data_key if field_obj.data_key is not None else attr_name
        key = field_obj.attribute or attr_name
        steps.append((data_key, field_obj, key, "." in key))
    return steps, {step[0] for step in steps}


class UTCDateTime(fields.DateTime):
    """ISO 8601 in and out, from EARLIEST_DATE to LATEST_DATE. Input with an offset is converted
    to UTC; output always says UTC."""

    default_error_messages = {"out_of_range": f"Must be a time from {EARLIEST_DATE} to {LATEST_DATE}."}

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            moment = to_naive_utc(super()._deserialize(value, attr, data, **kwargs))
        except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 has no UTC equivalent
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None
        if not EARLIEST_DATE <= moment.date() <= LATEST_DATE:
            raise self.make_error("out_of_range")
        return moment

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def Latitude(**kw) -> fields.Float:  # noqa: N802 - reads like a field class
    return fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False, **kw)


def Longitude(**kw) -> fields.Float:  # noqa: N802
    return fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False, **kw)


def Accuracy(**kw) -> fields.Float:  # noqa: N802
    return fields.Float(validate=validate.Range(min=0, max=100_000), allow_nan=False, **kw)


def Text(max_len: int, **kw) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(max=max_len), **kw)


def Name(max_len: int = 200, **kw) -> fields.String:  # noqa: N802
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


def Money(**kw) -> fields.Decimal:  # noqa: N802
    """CNY amounts: accepted as number or string, returned as a string to keep the cents exact.
    Documented as a string with a pattern (apispec would print the Decimal's bounds as strings,
    "10000000.00", which makes the OpenAPI document invalid)."""
    metadata = {
        # Returned as a string ("2999.00"), so documented as one; a JSON number is accepted too.
        "type": "string",
        "pattern": r"^[0-9]{1,8}(\.[0-9]{1,2})?$",
        "example": "2999.00",
        "description": "CNY, 0 to 10,000,000 with at most 2 decimals: a string (a number is accepted too)",
        "minimum": 0,  # numbers, not the Decimal's strings: those make the document invalid
        "maximum": 10_000_000,
    } | kw.pop("metadata", {})
    return fields.Decimal(
        places=2,
        as_string=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=10_000_000),
        metadata=metadata,
        **kw,
    )


class ErrorSchema(BaseSchema):
    """Every 4xx/5xx answer has this shape (see `core.errors.error_body`)."""

    code = fields.String(
        required=True, metadata={"description": "Machine-readable reason, e.g. invalid, not_found, conflict"}
    )
    status = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    message = fields.String(required=True, metadata={"description": "What went wrong, naming the field"})
    field = fields.String(metadata={"description": "The field at fault, as a path (first of `errors`)"})
    errors = fields.Dict(metadata={"description": "Per location and field: list of messages"})
    details = fields.Dict(metadata={"description": "Extra facts, e.g. the conflicting fields"})
    reason = fields.String(
        metadata={
            "description": "Which rule refused, a stable code listed in backend/core/reasons.py "
            "(e.g. store.code_taken); clients translate it with `params`, `message` being the English fallback"
        }
    )
    params = fields.Dict(
        metadata={"description": 'The reason\'s numbers and names as data (e.g. {"store_code": "GZ-001"})'}
    )
