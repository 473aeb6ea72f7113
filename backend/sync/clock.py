"""The server's hybrid logical clock.

Edits made on the server (REST PATCHes, conflict resolutions) get an HLC from this clock, and it
observes every HLC that arrives in a push, so a server edit is ordered after everything the
server has seen. Each process keeps its own clock; they agree to within the hosts' clock skew.
"""

from __future__ import annotations

from sync_protocol import HLC, Clock

SERVER_NODE = "server"
ORIGIN = "000000000000000:00000:origin"
"""The HLC of a value nobody has edited through the merge yet (seeded or created data)."""

_clock = Clock(SERVER_NODE)


def now() -> str:
    return _clock.now().encode()


def observe(hlc: HLC) -> None:
    _clock.update(hlc)
