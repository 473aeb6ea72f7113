"""Runs every language-neutral vector case, and checks the files stay language-neutral."""

from __future__ import annotations

import math

import pytest

from sync_protocol.vectors import OPS, VECTOR_FILES, iter_cases, load, run_case

CASES = list(iter_cases())


@pytest.mark.parametrize(("file", "case"), CASES, ids=[f"{f}: {c['name']}" for f, c in CASES])
def test_vector(file, case):
    run_case(case)


def test_there_are_enough_vectors():
    assert len(CASES) >= 60
    for name in VECTOR_FILES:
        assert len(load(name)["cases"]) >= 10, name


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_vector_files_are_well_formed(name):
    doc = load(name)
    assert set(doc) == {"description", "cases"} and doc["description"]
    names = [c["name"] for c in doc["cases"]]
    assert len(names) == len(set(names)), "case names must be unique within a file"
    for case in doc["cases"]:
        assert case["op"] in OPS
        assert set(case) <= {"name", "op", "input", "expected", "error", "error_field", "error_details"}
        assert ("expected" in case) != ("error" in case)
        assert isinstance(case["input"], dict)


def _walk(value):
    yield value
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_vector_files_are_language_neutral(name):
    """Numbers a JavaScript JSON.parse reads back exactly, and no float that JavaScript would
    print as an integer (1.0), so every implementation sees the same values."""
    for value in _walk(load(name)):
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            assert abs(value) <= 2**53, value
        elif isinstance(value, float):
            assert math.isfinite(value) and not value.is_integer(), value
        elif isinstance(value, str):
            assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value), "lone surrogate"
