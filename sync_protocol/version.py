"""Protocol version constants, in a module of their own so that every other module can import them
without importing the package `__init__` (which imports every other module)."""

from __future__ import annotations

PROTOCOL_VERSION = 1
"""The version this code speaks and writes into messages it produces."""

SUPPORTED_VERSIONS: tuple[int, ...] = (1,)
"""Versions the server accepts. A client on any other version is told to update the app."""
