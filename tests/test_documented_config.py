"""Every environment variable the code reads is documented in the README's configuration table,
and the table documents nothing the code does not read."""

from __future__ import annotations

import importlib
import os
import re

from tests.conftest import ROOT

# Read by the test suite or the tools around the app, not by the app: documented elsewhere.
NOT_APP_SETTINGS = {"FUZZ_EXAMPLES", "E2E_SCREENSHOTS"}


class _Recording(dict):
    """os.environ for a reload of backend.config: remembers every name asked for."""

    def __init__(self, real):
        super().__init__(real)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


def _read_by_config(monkeypatch) -> set[str]:
    import backend.config

    recording = _Recording(os.environ)
    monkeypatch.setattr(os, "environ", recording)
    try:
        importlib.reload(backend.config)
    finally:
        monkeypatch.undo()
        importlib.reload(backend.config)
    return recording.asked


_READ = re.compile(r"""(?:environ\.get|environ\[|getenv)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")


def _read_in_sources() -> set[str]:
    names: set[str] = set()
    for path in [*(ROOT / "backend").rglob("*.py"), ROOT / "wsgi.py"]:
        names |= set(_READ.findall(path.read_text(encoding="utf-8")))
    return names


def _documented() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration (environment variables)", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_every_setting_read_is_documented_and_every_documented_one_is_read(monkeypatch):
    read = (_read_by_config(monkeypatch) | _read_in_sources()) - NOT_APP_SETTINGS
    documented = _documented()
    assert {"DATABASE_URL", "PHOTO_MAX_BYTES", "REDIS_URL"} <= read  # the scan itself works
    assert sorted(read - documented) == [], "read by the code but missing from README's configuration table"
    assert sorted(documented - read) == [], "in README's configuration table but read nowhere"
