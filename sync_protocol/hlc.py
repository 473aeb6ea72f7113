"""Hybrid logical clocks (Kulkarni et al., 2014).

Every write carries an HLC timestamp `(wall_ms, counter, node)`. It stays close to real time (so
"last writer wins" means what a rep expects: the later edit wins), yet it never goes backwards
and it always moves past any timestamp a node has seen (so causality is respected even when phone
clocks disagree by minutes). The node id makes the order total: two different writers never tie.

The text form is fixed-width, so comparing the strings compares the clocks. Databases, JSON files
and the JavaScript client can sort and compare encoded HLCs without parsing them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import ClockDrift, InvalidHLC

MAX_COUNTER = 99_999
"""Largest counter (5 digits). Beyond it the clock borrows a millisecond from the future."""

MAX_WALL_MS = 10**15 - 1
"""Largest wall time (15 digits, year 33658): keeps the text fixed-width and below 2**53."""

NODE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_WALL_RE = re.compile(r"[0-9]{15}")
_COUNTER_RE = re.compile(r"[0-9]{5}")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass(frozen=True, order=True)
class HLC:
    """One timestamp. Ordered as the tuple `(wall_ms, counter, node)`: a total order.

    The constructor validates, so every `HLC` that exists can be encoded and round-trips.
    """

    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        if not _is_int(self.wall_ms) or not 0 <= self.wall_ms <= MAX_WALL_MS:
            raise InvalidHLC(f"wall_ms must be an integer from 0 to {MAX_WALL_MS}, got {self.wall_ms!r}")
        if not _is_int(self.counter) or not 0 <= self.counter <= MAX_COUNTER:
            raise InvalidHLC(f"counter must be an integer from 0 to {MAX_COUNTER}, got {self.counter!r}")
        if not isinstance(self.node, str) or not NODE_RE.fullmatch(self.node):
            raise InvalidHLC(f"node must be 1-64 characters of A-Z a-z 0-9 _ . -, got {self.node!r}")

    def encode(self) -> str:
        """`"000001718000000:00042:phone-7"`: zero-padded, so string order is HLC order."""
        return f"{self.wall_ms:015d}:{self.counter:05d}:{self.node}"

    def __str__(self) -> str:
        return self.encode()

    @classmethod
    def parse(cls, text: object) -> HLC:
        """The strict inverse of `encode`: exactly one spelling per HLC, or `InvalidHLC` saying why.

        Strictness matters because encoded HLCs are compared as strings (by databases, by the
        JavaScript client): a second spelling of the same clock would sort differently.
        """
        if not isinstance(text, str):
            raise InvalidHLC(f"an HLC must be a string, got {type(text).__name__}")
        parts = text.split(":")
        if len(parts) != 3:
            raise InvalidHLC("an HLC must have three ':'-separated parts: wall_ms:counter:node")
        wall, counter, node = parts
        if not _WALL_RE.fullmatch(wall):
            raise InvalidHLC("the wall time of an HLC must be exactly 15 digits")
        if not _COUNTER_RE.fullmatch(counter):
            raise InvalidHLC("the counter of an HLC must be exactly 5 digits")
        if not NODE_RE.fullmatch(node):
            raise InvalidHLC("the node of an HLC must be 1-64 characters of A-Z a-z 0-9 _ . -")
        return cls(int(wall), int(counter), node)


def _make(wall_ms: int, counter: int, node: str) -> HLC:
    """Apply the overflow rule: a counter past MAX_COUNTER moves to the next millisecond."""
    if counter > MAX_COUNTER:
        return HLC(wall_ms + 1, 0, node)
    return HLC(wall_ms, counter, node)


def tick(last: HLC | None, wall_ms: int, node: str) -> HLC:
    """The timestamp for a local event (an edit, or sending a message).

    `last` is the previous timestamp this node issued or received (None at first start), `wall_ms`
    the physical clock now. The result is strictly greater than `last` even when the physical
    clock went backwards (a user fixing the phone's time) or did not advance.
    """
    if last is None:
        return HLC(wall_ms, 0, node)
    wall = max(last.wall_ms, wall_ms)
    counter = last.counter + 1 if wall == last.wall_ms else 0
    return _make(wall, counter, node)


def receive(last: HLC | None, remote: HLC, wall_ms: int, node: str) -> HLC:
    """The timestamp after receiving `remote` from another node.

    The result is strictly greater than both `last` and `remote`, so anything this node writes
    afterwards sorts after what it has seen (a rep who opens a record and edits it always beats the
    version they were shown), and not behind the local physical clock.
    """
    wall = max(remote.wall_ms, wall_ms) if last is None else max(last.wall_ms, remote.wall_ms, wall_ms)
    from_last = last is not None and wall == last.wall_ms
    from_remote = wall == remote.wall_ms
    if from_last and from_remote:
        counter = max(last.counter, remote.counter) + 1
    elif from_last:
        counter = last.counter + 1
    elif from_remote:
        counter = remote.counter + 1
    else:
        counter = 0
    return _make(wall, counter, node)


def check_drift(hlc: HLC, wall_ms: int, max_ahead_ms: int, *, field: str | None = None) -> None:
    """Refuse a timestamp more than `max_ahead_ms` ahead of the physical clock `wall_ms`; `field`
    (e.g. `"mutations[3].hlc"`) is passed on to the `ClockDrift` error.

    An HLC only ever catches up with the largest clock it has seen; without this bound one phone
    set to next week would win every last-writer-wins merge until next week, and drag every clock
    that hears from it there too.
    """
    ahead = hlc.wall_ms - wall_ms
    if ahead > max_ahead_ms:
        raise ClockDrift(ahead, max_ahead_ms, field=field)


def _system_ms() -> int:
    return int(time.time() * 1000)


class Clock:
    """A node's clock: remembers the last timestamp and issues the next ones (thread-safe).

    `now_ms` is injectable for tests; `last` may be restored from storage at start-up so that a
    restart never issues a timestamp the node already used.
    """

    def __init__(self, node: str, now_ms: Callable[[], int] = _system_ms, *, last: HLC | None = None):
        if not isinstance(node, str) or not NODE_RE.fullmatch(node):
            raise InvalidHLC(f"node must be 1-64 characters of A-Z a-z 0-9 _ . -, got {node!r}")
        self.node = node
        self._now_ms = now_ms
        self._last = last
        self._lock = threading.Lock()

    @property
    def last(self) -> HLC | None:
        """The last timestamp issued or received, None before the first."""
        return self._last

    def now(self) -> HLC:
        """A fresh timestamp for a local event."""
        with self._lock:
            self._last = tick(self._last, self._now_ms(), self.node)
            return self._last

    def update(self, remote: HLC) -> HLC:
        """Account for a timestamp received from elsewhere; returns the new (greater) timestamp."""
        with self._lock:
            self._last = receive(self._last, remote, self._now_ms(), self.node)
            return self._last
