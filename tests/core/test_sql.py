"""`core.sql.array_text`: PostgreSQL's text form of an array of integers or dates, bound as one
string instead of a list psycopg dumps element by element."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from backend.core.sql import array_text
from backend.extensions import db

INTS = st.lists(st.one_of(st.none(), st.integers(min_value=-(2**31), max_value=2**31 - 1)), max_size=50)
DATES = st.lists(st.one_of(st.none(), st.dates(min_value=date(1, 1, 1))), max_size=50)


def parse(literal: str, item):
    assert literal[0] == "{" and literal[-1] == "}"
    body = literal[1:-1]
    return [] if not body else [None if cell == "NULL" else item(cell) for cell in body.split(",")]


@given(INTS)
def test_integers_read_back(values):
    assert parse(array_text(values), int) == values


@given(DATES)
def test_dates_read_back(values):
    assert parse(array_text(values), date.fromisoformat) == values


def test_examples():
    assert array_text([]) == "{}"
    assert array_text([1, None, -3]) == "{1,NULL,-3}"
    assert array_text([date(2026, 12, 5), None]) == "{2026-12-05,NULL}"


@pytest.mark.parametrize(
    ("values", "cast"),
    [([1, None, -2147483648, 2147483647], "integer[]"), ([date(2026, 1, 5), None, date(1, 1, 1)], "date[]")],
)
def test_postgresql_reads_the_same_array(app, values, cast):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("arrays: PostgreSQL")
    assert db.session.scalar(text(f"SELECT CAST(:a AS {cast})"), {"a": array_text(values)}) == values
