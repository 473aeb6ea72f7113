"""Hybrid logical clock: text form, ordering, tick/receive guarantees, drift bound, Clock."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_protocol import HLC, MAX_COUNTER, Clock, ClockDrift, InvalidHLC, check_drift, receive, tick
from sync_protocol.hlc import MAX_WALL_MS

from .strategies import W, any_hlcs, nodes, small_hlcs

walls = st.integers(0, MAX_WALL_MS - 1)
hlcs = st.one_of(any_hlcs, small_hlcs)


@given(hlcs)
def test_encode_parse_round_trip(h):
    assert HLC.parse(h.encode()) == h


@given(hlcs, hlcs)
def test_string_order_equals_hlc_order(a, b):
    assert (a < b) == (a.encode() < b.encode())
    assert (a == b) == (a.encode() == b.encode())


def test_order_is_wall_then_counter_then_node():
    assert HLC(W + 1, 0, "a") > HLC(W, MAX_COUNTER, "z")
    assert HLC(W, 2, "a") > HLC(W, 1, "z")
    assert HLC(W, 1, "b") > HLC(W, 1, "a")
    assert sorted([HLC(W, 1, "b"), HLC(W, 0, "c"), HLC(W - 1, 9, "d")]) == [
        HLC(W - 1, 9, "d"),
        HLC(W, 0, "c"),
        HLC(W, 1, "b"),
    ]


def test_encode_is_fixed_width():
    assert HLC(1_718_000_000_000, 42, "phone-1").encode() == "001718000000000:00042:phone-1"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "three"),
        ("001718000000000:00000", "three"),
        ("001718000000000:00000:a:b", "three"),
        ("1718000000000:00000:a", "wall"),
        ("001718000000000:0:a", "counter"),
        ("001718000000000:00000:", "node"),
        ("001718000000000:00000:a b", "node"),
        ("001718000000000:00000:a\n", "node"),
        ("٠٠١٧١٨٠٠٠٠٠٠٠٠٠:00000:a", "wall"),
        ("-01718000000000:00000:a", "wall"),
    ],
)
def test_parse_rejects_and_names_the_problem(text, problem):
    with pytest.raises(InvalidHLC) as info:
        HLC.parse(text)
    assert problem in info.value.message
    assert info.value.code == "invalid_hlc"


@pytest.mark.parametrize("value", [None, 1718000000000, b"001718000000000:00000:a", ["x"]])
def test_parse_rejects_non_strings(value):
    with pytest.raises(InvalidHLC):
        HLC.parse(value)


@pytest.mark.parametrize(
    "args",
    [(-1, 0, "a"), (MAX_WALL_MS + 1, 0, "a"), (W, -1, "a"), (W, MAX_COUNTER + 1, "a"), (W, 0, ""), (W, 0, "a:b"),
     (True, 0, "a"), (W, 1.0, "a"), (W, 0, "n" * 65)],
)  # fmt: skip
def test_constructor_validates(args):
    with pytest.raises(InvalidHLC):
        HLC(*args)


@given(st.one_of(st.none(), hlcs), walls, nodes)
def test_tick_is_strictly_monotonic(last, wall, node):
    nxt = tick(last, wall, node)
    if last is not None:
        assert nxt > last
        assert (nxt.wall_ms, nxt.counter) > (last.wall_ms, last.counter)  # whatever the nodes


@given(st.one_of(st.none(), hlcs), walls, nodes)
def test_tick_never_falls_behind_the_wall_clock(last, wall, node):
    assert tick(last, wall, node).wall_ms >= wall


@given(st.one_of(st.none(), hlcs), walls, nodes)
def test_tick_stays_close_to_the_largest_clock_seen(last, wall, node):
    top = wall if last is None else max(wall, last.wall_ms)
    assert top <= tick(last, wall, node).wall_ms <= top + 1


@given(st.one_of(st.none(), hlcs), hlcs, walls, nodes)
def test_receive_exceeds_both_inputs(last, remote, wall, node):
    nxt = receive(last, remote, wall, node)
    assert nxt > remote
    assert (nxt.wall_ms, nxt.counter) > (remote.wall_ms, remote.counter)
    if last is not None:
        assert nxt > last
        assert (nxt.wall_ms, nxt.counter) > (last.wall_ms, last.counter)
    assert nxt.wall_ms >= wall
    assert nxt.node == node


def test_tick_branches():
    assert tick(None, W, "a") == HLC(W, 0, "a")
    assert tick(HLC(W, 5, "a"), W + 10, "a") == HLC(W + 10, 0, "a")
    assert tick(HLC(W, 5, "a"), W - 10, "a") == HLC(W, 6, "a")
    assert tick(HLC(W, MAX_COUNTER, "a"), W, "a") == HLC(W + 1, 0, "a")


def test_receive_branches():
    assert receive(HLC(W, 5, "a"), HLC(W, 7, "b"), W, "a") == HLC(W, 8, "a")
    assert receive(HLC(W + 1, 5, "a"), HLC(W, 7, "b"), W, "a") == HLC(W + 1, 6, "a")
    assert receive(HLC(W, 5, "a"), HLC(W + 1, 7, "b"), W, "a") == HLC(W + 1, 8, "a")
    assert receive(HLC(W, 5, "a"), HLC(W, 7, "b"), W + 9, "a") == HLC(W + 9, 0, "a")
    assert receive(HLC(W, MAX_COUNTER, "a"), HLC(W, 0, "b"), W, "a") == HLC(W + 1, 0, "a")


def test_the_last_millisecond_cannot_overflow():
    with pytest.raises(InvalidHLC):
        tick(HLC(MAX_WALL_MS, MAX_COUNTER, "a"), 0, "a")


def test_check_drift():
    check_drift(HLC(W + 1000, 0, "a"), W, 1000)
    check_drift(HLC(W - 10**9, 0, "a"), W, 0)
    with pytest.raises(ClockDrift) as info:
        check_drift(HLC(W + 1001, 0, "a"), W, 1000)
    assert info.value.to_dict() == {
        "code": "clock_drift",
        "message": info.value.message,
        "details": {"ahead_ms": 1001, "max_ahead_ms": 1000},
    }
    with pytest.raises(ClockDrift) as info:
        check_drift(HLC(W + 5000, 0, "a"), W, 1000, field="mutations[3].hlc")
    assert info.value.field == "mutations[3].hlc" and info.value.details["ahead_ms"] == 5000


class FakeTime:
    def __init__(self, ms: int):
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_clock_is_monotonic_when_the_phone_clock_goes_back():
    t = FakeTime(W)
    clock = Clock("phone-1", t)
    assert clock.last is None
    a = clock.now()
    t.ms = W - 3_600_000  # the user fixes the phone's time
    b = clock.now()
    assert a == HLC(W, 0, "phone-1") and b == HLC(W, 1, "phone-1")
    assert clock.last == b


def test_clock_update_moves_past_the_remote():
    t = FakeTime(W)
    clock = Clock("srv", t)
    remote = HLC(W + 5000, 3, "phone-1")
    assert clock.update(remote) == HLC(W + 5000, 4, "srv")
    assert clock.now() == HLC(W + 5000, 5, "srv")
    t.ms = W + 6000
    assert clock.now() == HLC(W + 6000, 0, "srv")


def test_clock_can_resume_from_a_stored_timestamp():
    clock = Clock("srv", FakeTime(W), last=HLC(W + 10, 2, "srv"))
    assert clock.now() == HLC(W + 10, 3, "srv")


def test_clock_rejects_a_bad_node():
    with pytest.raises(InvalidHLC):
        Clock("no spaces")


def test_clock_uses_real_time_by_default():
    import time

    before = int(time.time() * 1000)
    assert Clock("srv").now().wall_ms >= before


def test_clock_is_thread_safe():
    clock = Clock("srv", FakeTime(W))
    seen: list[HLC] = []

    def work():
        for _ in range(500):
            seen.append(clock.now())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(set(seen)) == len(seen) == 4000
