"""The server handles exactly the mutations SPEC.md §I.3.1 lists: a mutation added to one and
not the other fails here. (pwa/src/db/mutations.test.js holds the app's mutation registry to the
same list, so app = SPEC = server.)"""

from __future__ import annotations

import re
from pathlib import Path

from backend.sync.mutations import HANDLERS

SPEC = Path(__file__).resolve().parents[2] / "sync_protocol" / "SPEC.md"


def spec_mutation_names() -> list[str]:
    """The names in the first column of the table under "### I.3.1 Mutations", in order."""
    text = SPEC.read_text(encoding="utf-8")
    section = text.split("### I.3.1 Mutations", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([a-z][a-z_]*\.[a-z][a-z_]*)` \|", section, flags=re.MULTILINE)


def test_the_server_handles_exactly_the_mutations_of_the_spec():
    names = spec_mutation_names()
    assert len(names) > 10
    assert sorted(HANDLERS) == sorted(names)
