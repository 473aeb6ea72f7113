"""Push/pull message validation: a valid push, every rejection with its field path, and order."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_protocol import (
    HLC,
    MAX_ARGS_BYTES,
    MAX_MUTATIONS,
    Cursor,
    EnvelopeError,
    InvalidCursor,
    Mutation,
    PushRequest,
    SyncError,
    UnsupportedVersion,
    check_version,
    encode_cursor,
    parse_pull_args,
    parse_push,
)

from .strategies import W

CID = "phone-0001"


def mutation(mid: int, **changes) -> dict:
    m = {
        "id": mid,
        "name": "visit.check_in",
        "args": {"store_id": 42, "lat": 23.1291},
        "hlc": f"{W + mid:015d}:00000:{CID}",
    }
    m.update(changes)
    return m


def body(**changes) -> dict:
    b = {"client_id": CID, "protocol_version": 1, "app_version": "1.4.0", "mutations": [mutation(1), mutation(2)]}
    b.update(changes)
    return b


def rejected(b) -> SyncError:
    with pytest.raises(SyncError) as info:
        parse_push(b)
    return info.value


def test_a_valid_push():
    req = parse_push(body())
    assert req == PushRequest(
        client_id=CID,
        protocol_version=1,
        app_version="1.4.0",
        mutations=[
            Mutation(1, "visit.check_in", {"store_id": 42, "lat": 23.1291}, HLC(W + 1, 0, CID)),
            Mutation(2, "visit.check_in", {"store_id": 42, "lat": 23.1291}, HLC(W + 2, 0, CID)),
        ],
    )


def test_an_empty_push_is_valid():
    assert parse_push(body(mutations=[])).mutations == []


def test_ids_may_start_anywhere():
    assert [m.id for m in parse_push(body(mutations=[mutation(41), mutation(42)])).mutations] == [41, 42]


def test_parse_push_does_not_modify_the_body():
    b = body()
    before = copy.deepcopy(b)
    parse_push(b)
    assert b == before


@pytest.mark.parametrize(
    ("b", "field"),
    [
        ([], None),
        ("{}", None),
        (None, None),
        ({k: v for k, v in body().items() if k != "protocol_version"}, "protocol_version"),
        (body(protocol_version="1"), "protocol_version"),
        (body(protocol_version=True), "protocol_version"),
        (body(protocol_version=1.0), "protocol_version"),
        (body(extra=1), "extra"),
        ({k: v for k, v in body().items() if k != "client_id"}, "client_id"),
        (body(client_id="short"), "client_id"),
        (body(client_id="x" * 65), "client_id"),
        (body(client_id="phone/0001"), "client_id"),
        (body(client_id="phone-0001\n"), "client_id"),
        (body(app_version=""), "app_version"),
        (body(app_version="x" * 33), "app_version"),
        (body(app_version=None), "app_version"),
        (body(mutations=None), "mutations"),
        (body(mutations="[]"), "mutations"),
        (body(mutations=[None]), "mutations[0]"),
        (body(mutations=[mutation(1), {"id": 2}]), "mutations[1].name"),
        (body(mutations=[mutation(1, extra=True)]), "mutations[0].extra"),
        (body(mutations=[mutation(0)]), "mutations[0].id"),
        (body(mutations=[mutation(1, id=False)]), "mutations[0].id"),
        (body(mutations=[mutation(1, id=2**53)]), "mutations[0].id"),
        (body(mutations=[mutation(1), mutation(3)]), "mutations[1].id"),
        (body(mutations=[mutation(1), mutation(2), mutation(2)]), "mutations[2].id"),
        (body(mutations=[mutation(1, name="visit")]), "mutations[0].name"),
        (body(mutations=[mutation(1, name="visit.check-in")]), "mutations[0].name"),
        (body(mutations=[mutation(1, name="visit.check_in\n")]), "mutations[0].name"),
        (body(mutations=[mutation(1, name="v." + "a" * 63)]), "mutations[0].name"),
        (body(mutations=[mutation(1, args=[])]), "mutations[0].args"),
        (body(mutations=[mutation(1, args={"x": float("nan")})]), "mutations[0].args"),
        (body(mutations=[mutation(1, args={"x": [float("inf")]})]), "mutations[0].args"),
        (body(mutations=[mutation(1, hlc="now")]), "mutations[0].hlc"),
        (body(mutations=[mutation(1, hlc=HLC(W, 0, "phone-0002").encode())]), "mutations[0].hlc"),
    ],
)
def test_rejections_name_the_field(b, field):
    err = rejected(b)
    assert type(err) is EnvelopeError
    assert err.field == field
    assert err.to_dict()["code"] == "invalid_envelope"
    assert ("field" in err.to_dict()) == (field is not None)


@pytest.mark.parametrize("version", [0, 2, -1, 99])
def test_an_unsupported_version_is_reported_first(version):
    garbage = {"protocol_version": version, "client_id": 5, "mutations": {}, "surprise": True}
    err = rejected(garbage)
    assert isinstance(err, UnsupportedVersion)
    assert err.to_dict() == {
        "code": "unsupported_protocol_version",
        "message": err.message,
        "field": "protocol_version",
        "details": {"supported": [1]},
    }


def test_check_version():
    assert check_version(1) == 1
    with pytest.raises(UnsupportedVersion):
        check_version(2)
    with pytest.raises(EnvelopeError):
        check_version("1")


def test_args_size_is_counted_in_utf8_bytes_of_canonical_json():
    overhead = len('{"s":""}')
    at_limit = {"s": "x" * (MAX_ARGS_BYTES - overhead)}
    parse_push(body(mutations=[mutation(1, args=at_limit)]))
    with pytest.raises(EnvelopeError) as info:
        parse_push(body(mutations=[mutation(1, args={"s": "x" * (MAX_ARGS_BYTES - overhead + 1)})]))
    assert info.value.field == "mutations[0].args"
    # 3 bytes per character: fewer characters than the limit, more bytes
    with pytest.raises(EnvelopeError):
        parse_push(body(mutations=[mutation(1, args={"s": "中" * (MAX_ARGS_BYTES // 3)})]))
    # whitespace and key order do not count: canonical form
    parse_push(body(mutations=[mutation(1, args={"b": 1, "a": "x" * (MAX_ARGS_BYTES - len('{"a":"","b":1}'))})]))


def test_the_number_of_mutations_is_bounded():
    many = [mutation(i) for i in range(1, MAX_MUTATIONS + 1)]
    assert len(parse_push(body(mutations=many)).mutations) == MAX_MUTATIONS
    with pytest.raises(EnvelopeError) as info:
        parse_push(body(mutations=[*many, mutation(MAX_MUTATIONS + 1)]))
    assert info.value.field == "mutations"


@given(st.lists(st.integers(1, 2**53 - 1), min_size=2, max_size=5))
def test_only_consecutive_ids_are_accepted(ids):
    b = body(mutations=[mutation(1, id=i) for i in ids])
    consecutive = all(b2 == a + 1 for a, b2 in zip(ids, ids[1:], strict=False))
    if consecutive:
        assert [m.id for m in parse_push(b).mutations] == ids
    else:
        assert rejected(b).field.endswith(".id")


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text() | st.floats(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_parse_push_only_ever_raises_sync_errors(junk):
    for b in (junk, body(mutations=[junk]), body(mutations=[mutation(1, args=junk)]), body(client_id=junk)):
        try:
            parse_push(b)
        except SyncError:
            pass


def test_pull_args():
    assert parse_pull_args(None, None) == (None, 500)
    assert parse_pull_args("", "") == (None, 500)
    assert parse_pull_args(None, "25") == (None, 25)
    assert parse_pull_args(None, 5000) == (None, 5000)
    c = Cursor(7, "abc", {"entity": "store", "after": "s-9"})
    assert parse_pull_args(encode_cursor(c), "1") == (c, 1)


@pytest.mark.parametrize("limit", [0, 5001, -1, "0", "5001", "1e3", "10.0", " 10", "١٠", 2.0, True, [], "9" * 11])
def test_pull_limit_rejections(limit):
    with pytest.raises(EnvelopeError) as info:
        parse_pull_args(None, limit)
    assert info.value.field == "limit"


def test_pull_with_a_bad_cursor():
    with pytest.raises(InvalidCursor) as info:
        parse_pull_args("v1.nope!", None)
    assert info.value.to_dict()["field"] == "cursor"
