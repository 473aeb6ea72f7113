"""Opaque pull cursors and scope fingerprints."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_protocol import Cursor, InvalidCursor, decode_cursor, encode_cursor, scope_fingerprint
from sync_protocol.cursor import MAX_SEQ

snapshots = st.none() | st.fixed_dictionaries({"entity": st.sampled_from(["store", "visit"]), "after": st.text()})
cursors = st.builds(Cursor, st.integers(0, MAX_SEQ), st.text(max_size=40), snapshots)


@given(cursors)
def test_encode_decode_round_trip(c):
    text = encode_cursor(c)
    assert decode_cursor(text) == c
    assert text.startswith("v1.") and "=" not in text
    assert set(text[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_encode_is_the_documented_form():
    text = encode_cursor(Cursor(42, "3f2a9c1b7d4e5f60"))
    payload = base64.urlsafe_b64decode(text[3:] + "==")
    assert payload == b'{"scope":"3f2a9c1b7d4e5f60","seq":42,"snap":null,"v":1}'


def payload(obj) -> str:
    raw = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
    return "v1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


GOOD = {"v": 1, "seq": 1, "scope": "s", "snap": None}


@pytest.mark.parametrize(
    "text",
    [
        None,
        17,
        "",
        "v1.",
        "v1",
        "v2." + payload(GOOD)[3:],
        payload(GOOD) + "=",
        payload(GOOD)[:-1] + "+",
        "v1.a",
        payload(b"not json"),
        payload(b"\x80"),
        payload([GOOD]),
        payload({**GOOD, "v": 2}),
        payload({**GOOD, "v": True}),
        payload({**GOOD, "v": 1.0}),
        payload({**GOOD, "seq": -1}),
        payload({**GOOD, "seq": MAX_SEQ + 1}),
        payload({**GOOD, "seq": None}),
        payload({**GOOD, "seq": False}),
        payload({**GOOD, "scope": None}),
        payload({**GOOD, "snap": 1}),
        payload({k: v for k, v in GOOD.items() if k != "snap"}),
        payload({**GOOD, "more": 1}),
        payload(b'{"v":1,"seq":Infinity,"scope":"s","snap":null}'),
        "v1." + "A" * 5000,
    ],
)
def test_decode_rejects(text):
    with pytest.raises(InvalidCursor) as info:
        decode_cursor(text)
    assert info.value.to_dict()["code"] == "invalid_cursor"
    assert info.value.field == "cursor"


@given(st.text(max_size=200))
def test_decode_only_ever_raises_invalid_cursor(text):
    for candidate in (text, "v1." + text):
        try:
            decode_cursor(candidate)
        except InvalidCursor:
            pass


@pytest.mark.parametrize("args", [(-1, "s"), (True, "s"), (1.0, "s"), (MAX_SEQ + 1, "s"), (1, None), (1, "s", [])])
def test_cursor_validates(args):
    with pytest.raises(InvalidCursor):
        Cursor(*args)


def test_scope_fingerprint():
    expected = hashlib.sha256("rep|17||广东".encode()).hexdigest()[:16]
    assert scope_fingerprint("rep", 17, None, "广东") == expected
    assert scope_fingerprint() == "e3b0c44298fc1c14"
    assert scope_fingerprint("a", "b") != scope_fingerprint("b", "a")
    assert len(scope_fingerprint("x")) == 16


@pytest.mark.parametrize("part", [True, 1.5, b"x", ["a"]])
def test_scope_fingerprint_rejects_other_types(part):
    with pytest.raises(TypeError):
        scope_fingerprint("rep", part)
