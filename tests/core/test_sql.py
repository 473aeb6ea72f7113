"""`core.sql.array_text`, `array_text_of`, `array_of`: PostgreSQL's text form of an array of
strings, integers or dates, bound as one string instead of a list psycopg dumps element by element."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, Integer, String, select, text

from backend.core.sql import among, array_of, array_text, array_text_of
from backend.extensions import db
from backend.stores.models import Store

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


@given(st.lists(st.sampled_from([None, 0, 7, -2]), max_size=60), st.lists(st.sampled_from([None, date(2026, 1, 5)])))
def test_repeated_values_read_back(ints, dates):
    """A column of few distinct values formats each once: the same text."""
    assert parse(array_text(ints), int) == ints
    assert parse(array_text(dates), date.fromisoformat) == dates


def test_examples():
    assert array_text([]) == "{}"
    assert array_text([1, None, -3]) == "{1,NULL,-3}"
    assert array_text([date(2026, 12, 5), None]) == "{2026-12-05,NULL}"
    assert array_text([3, None, 3, 3, 3, 3, 3, None]) == "{3,NULL,3,3,3,3,3,NULL}"  # formatted once each
    assert array_text(iter([1, 2])) == "{1,2}"


@pytest.mark.parametrize(
    ("values", "cast"),
    [([1, None, -2147483648, 2147483647], "integer[]"), ([date(2026, 1, 5), None, date(1, 1, 1)], "date[]")],
)
def test_postgresql_reads_the_same_array(app, values, cast):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("arrays: PostgreSQL")
    assert db.session.scalar(text(f"SELECT CAST(:a AS {cast})"), {"a": array_text(values)}) == values


TEXTS = st.lists(
    st.one_of(
        st.none(),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=TEXTS)
def test_among_binds_strings_as_text_postgresql_reads_back(app, values):
    """The text form of strings (commas, braces, spaces, 'NULL', empty ones, NULLs) is the same
    array once PostgreSQL has read it; a string with a quote or a backslash is bound as a list."""
    as_text = array_text_of(String(), values)
    if any(v is not None and ('"' in v or "\\" in v) for v in values):
        assert as_text is None
        return
    assert as_text is not None
    if db.engine.dialect.name == "postgresql":
        assert db.session.scalar(text("SELECT CAST(:a AS text[])"), {"a": as_text}) == values


def test_among_finds_the_same_rows_either_way(app, world):
    """A read by IMEI-like strings and by integers: the text form where it applies, a list where
    it does not (a non-integer value), the same rows."""
    names = [world.store_a1.name, "no such, store", 'a "quoted" one', world.store_a1b.name]
    found = set(db.session.scalars(select(Store.id).where(among(Store.name, names))))
    assert found == {world.store_a1.id, world.store_a1b.id}
    ids = [world.store_a1.id, world.store_a1b.id, 10**9]
    assert set(db.session.scalars(select(Store.id).where(among(Store.id, ids)))) == found
    assert array_text_of(Integer(), [1, True]) is None  # a bool is no integer here


@pytest.mark.parametrize("column", ["name", "id"])
def test_among_parses_its_text_array_once_per_statement(app, world, column):
    """The text form is read by a scalar subquery (an InitPlan, run once), not cast in the
    comparison: a stable cast of a parameter there is evaluated again for every row a sequential
    scan compares (the demo seed's small tables took 70 s instead of 25 s)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("arrays: PostgreSQL")
    values = [world.store_a1.name, "x"] if column == "name" else [world.store_a1.id, 10**9]
    stmt = select(Store.id).where(among(getattr(Store, column), values))
    compiled = stmt.compile(db.engine)
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
    connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params))
    assert "Seq Scan on stores" in plan and "InitPlan" in plan, plan
    assert set(db.session.scalars(stmt)) == {world.store_a1.id}


def test_an_enum_column_is_bound_through_its_type():
    from sqlalchemy import Enum

    assert array_text_of(Enum("a", "b", name="kind"), ["a"]) is None
    assert array_text_of(String(), ["a"]) == '{"a"}'


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strings=TEXTS, ints=INTS, dates=DATES)
def test_array_of_reads_back_whichever_way_it_binds(app, strings, ints, dates):
    """`array_of`: the array PostgreSQL reads is the values, bound as text or (a quote, a
    backslash) as a list."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("arrays: PostgreSQL")
    for type_, values in ((String(), strings), (Integer(), ints), (Date(), dates)):
        assert db.session.scalar(select(array_of(type_, values))) == values


def test_what_binds_as_text():
    assert array_text_of(String(), ["a", None, "NULL"]) == '{"a",NULL,"NULL"}'
    assert array_text_of(String(), [None]) == "{NULL}"
    assert array_text_of(String(), ["a", 'b"']) is None
    assert array_text_of(Integer(), [1, None]) == "{1,NULL}"
    assert array_text_of(Date(), [date(2026, 12, 5), None]) == "{2026-12-05,NULL}"
    assert array_text_of(Integer(), [1, "2"]) is None
    assert array_text_of(Date(), [date(2026, 1, 1), 3]) is None


def test_every_shipment_column_an_import_inserts_binds_as_text():
    """`warranty.imports._insert_arrays` sends each of a batch's seven columns as one string: a
    column bound as a list instead would cost the import ~4 ms a batch in psycopg, silently."""
    from backend.warranty.imports import SHIPMENT_COLUMNS
    from backend.warranty.models import Shipment

    row = {
        "imei": "356938035643809",
        "product_id": 3,
        "ship_date": date(2026, 11, 2),
        "region_id": 7,
        "partner_id": None,
        "import_id": 1,
        "line": 2,
    }
    assert set(row) == set(SHIPMENT_COLUMNS)
    columns = Shipment.__table__.c
    for name in SHIPMENT_COLUMNS:
        assert array_text_of(columns[name].type, [row[name], row[name]]) is not None, name
