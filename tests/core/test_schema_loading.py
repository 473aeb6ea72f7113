"""BaseSchema's loading does less per load than marshmallow's own (core/schemas.py): the same
values and errors, found with fewer calls. Compared here against marshmallow's own loop for every
schema of the app on many made-up inputs, and the unstorable-text check's quick look against
the full walk."""

from __future__ import annotations

import cProfile
import importlib.util
import pkgutil
import pstats
import random
from collections import UserDict, UserList

import marshmallow as ma
import pytest
from marshmallow import fields
from marshmallow.error_store import ErrorStore

import backend
from backend.core.schemas import UNSTORABLE_TEXT, BaseSchema, _unstorable_at, unstorable_text
from backend.sync import mutations
from tests.factories import new_id


def _all_schemas() -> list[type[BaseSchema]]:
    for module in pkgutil.iter_modules(backend.__path__):
        if module.ispkg and importlib.util.find_spec(f"backend.{module.name}.schemas") is not None:
            importlib.import_module(f"backend.{module.name}.schemas")
    found, todo = set(), [BaseSchema]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(found, key=lambda s: (s.__module__, s.__qualname__))


SCHEMAS = _all_schemas()

# Values of every kind a client could send for any field: right for some fields, wrong for most.
VALUES = [
    None,
    True,
    0,
    7,
    -3,
    2.5,
    2**40,
    "",
    "abc",
    "12",
    "12.50",
    "2026-03-01",
    "2026-03-01T08:00:00Z",
    "1999-12-31T23:00:00+08:00",
    "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "manager",
    [],
    [1, "a"],
    ["3fa85f64-5717-4562-b3fc-2c963f66afa6"],
    [{"item_id": 1, "value": True}],
    {},
    {"a": "b"},
    {"name": "x", "latitude": 23.1},
]


def _inputs(schema: BaseSchema, rng: random.Random, n: int) -> list[dict]:
    keys = [f.data_key or name for name, f in schema.load_fields.items()]
    inputs = [{}]
    for _ in range(n):
        data = {k: rng.choice(VALUES) for k in keys if rng.random() < 0.7}
        if rng.random() < 0.2:
            data[rng.choice(["extra", "Name", "id_"])] = rng.choice(VALUES)
        inputs.append(data)
    return inputs


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda s: f"{s.__module__.split('.')[1]}.{s.__qualname__}")
def test_loading_finds_what_marshmallow_finds(schema_class):
    schema = schema_class()
    rng = random.Random(schema_class.__qualname__)
    for data in _inputs(schema, rng, 40):
        for partial in (None, False, True):
            for unknown in (ma.RAISE, ma.EXCLUDE, ma.INCLUDE):
                ours, theirs = ErrorStore(), ErrorStore()
                got = schema._deserialize(data, error_store=ours, partial=partial, unknown=unknown)
                want = ma.Schema._deserialize(schema, data, error_store=theirs, partial=partial, unknown=unknown)
                case = (data, partial, unknown)
                assert list(got.items()) == list(want.items()), case
                assert ours.errors == theirs.errors, case
                assert list(ours.errors) == list(theirs.errors), case


def _fields_of(schema: BaseSchema):
    todo = list(schema.load_fields.values())
    while todo:
        field = todo.pop()
        yield field
        if isinstance(field, fields.List):
            todo.append(field.inner)
        elif isinstance(field, fields.Tuple):
            todo.extend(field.tuple_fields)
        elif isinstance(field, fields.Mapping):
            todo.extend(f for f in (field.key_field, field.value_field) if f is not None)


def _outcome(validator, value):
    try:
        validator(value)
    except ma.ValidationError as error:
        return "refused", error.messages, error.kwargs
    except Exception as error:  # e.g. a Range given text: the same failure is wanted
        return type(error), str(error)
    return "passed"


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda s: f"{s.__module__.split('.')[1]}.{s.__qualname__}")
def test_fields_validate_as_marshmallow_does(schema_class):
    """Each field's validators are combined once, when it is bound: the same outcome as
    marshmallow's Field._validate, which combines them again for every value."""
    for field in _fields_of(schema_class()):
        for value in [*VALUES, -1.5, 91, 10_000_001, "x" * 5000, "a" * 33]:
            assert _outcome(field._validate, value) == _outcome(
                lambda v, field=field: fields.Field._validate(field, v), value
            ), (field, value)


def test_a_load_of_a_display_check_makes_half_the_calls():
    """What the loads of a push cost is marshmallow's calls per field and per nested schema:
    loading a display check with 7 answers made 1,027 function calls before BaseSchema did once
    what marshmallow 4.4 redoes per load, and makes 432. Counted, not timed: the bound holds on
    any machine."""
    args = {
        "id": new_id(),
        "visit_id": new_id(),
        "checked_at": "2026-03-01T08:00:00Z",
        "answers": [{"item_id": i, "value": i % 2 == 0, "reason": "整改中"} for i in range(1, 8)],
        "notes": "",
    }
    mutations._load("display.check", args)  # the schema instance, made once
    profiler = cProfile.Profile()
    profiler.enable()
    loaded = mutations._load("display.check", args)
    profiler.disable()
    assert len(loaded["answers"]) == 7
    assert pstats.Stats(profiler).total_calls < 500


def test_unstorable_text_is_found_wherever_it_is():
    nul, lone = "a\x00b", "\udc00"
    cases = [
        ({"notes": nul}, {"notes": [UNSTORABLE_TEXT]}),
        ({nul: 1, "ok": "fine"}, {"a\ufffdb": [UNSTORABLE_TEXT]}),
        ({"answers": [{"item_id": 1}, {"reason": lone}]}, {"answers": {1: {"reason": [UNSTORABLE_TEXT]}}}),
        ({"ids": ("x", nul)}, {"ids": {1: [UNSTORABLE_TEXT]}}),
        ({"deep": {"deeper": [[lone]]}}, {"deep": {"deeper": {0: {0: [UNSTORABLE_TEXT]}}}}),
        ([{"a": 1}, nul], {1: [UNSTORABLE_TEXT]}),
        (nul, [UNSTORABLE_TEXT]),
        # What parsed JSON never holds: subclasses of str, dict and list, other mappings.
        ({"s": type("Text", (str,), {})(nul)}, {"s": [UNSTORABLE_TEXT]}),
        ({"m": UserDict({"k": lone})}, {"m": {"k": [UNSTORABLE_TEXT]}}),
        (UserDict({"k": [nul]}), {"k": {0: [UNSTORABLE_TEXT]}}),
        ({"l": UserList([nul])}, None),  # not a list: neither the walk nor the quick look reads it
        ({type("Key", (str,), {})(nul): 1}, {"a\ufffdb": [UNSTORABLE_TEXT]}),
    ]
    for value, where in cases:
        assert unstorable_text(value) == where, value
        assert _unstorable_at(value) == where, value


def test_storable_text_passes():
    rng = random.Random(13)
    for _ in range(500):
        value = {
            "text": "".join(chr(rng.choice([0x41, 0x7F, 0x4E2D, 0xD7FF, 0xE000, 0xFFFD, 0x1F600])) for _ in range(8)),
            "n": rng.choice([1, 2.5, None, True]),
            "items": [{"reason": "\\x00 \\ud800"}, ["\x01", "\t"]],
        }
        assert unstorable_text(value) is None


def test_nested_loads_are_checked_once_by_the_outermost():
    """A list of answers holding NUL is refused where it is, by the outermost load (its answers'
    loads do not read their input again)."""
    schema = mutations.ARG_SCHEMAS["display.check"]()
    args = {
        "id": new_id(),
        "visit_id": new_id(),
        "checked_at": "2026-03-01T08:00:00Z",
        "answers": [{"item_id": 1, "value": True}, {"item_id": 2, "value": False, "reason": "x\x00"}],
    }
    with pytest.raises(ma.ValidationError) as refused:
        schema.load(args)
    assert refused.value.messages == {"answers": {1: {"reason": [UNSTORABLE_TEXT]}}}
    assert schema.validate(args) == {"answers": {1: {"reason": [UNSTORABLE_TEXT]}}}
