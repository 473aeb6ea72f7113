"""Small SQL building blocks shared by the domains."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date
from types import NoneType

from sqlalchemy import ColumnElement, Date, Enum, Integer, String, Text, any_, cast, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..extensions import db

CHUNK = 5000
"""Values in one `among` of a chunked read (`chunks`): one statement per CHUNK ids."""


def among(column, values: Collection, session: Session | None = None) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`: one parameter however many
    values, where an IN list of a page of record ids (hundreds or thousands of UUIDs) is a
    statement of as many placeholders that psycopg binds and PostgreSQL parses and plans anew
    each time (a rep's first pull: 1,359 price observations' photo links, 18 ms → 8 ms; a
    shipment import's batch of 5,000 IMEIs). `session`: whose database decides (`db.session` by
    default)."""
    if (session or db.session).get_bind().dialect.name == "postgresql":
        as_text = array_text_of(column.type, values)
        array = _bound_array(column.type, values, as_text)
        if as_text is not None:
            # A scalar subquery: the array is parsed once per statement (an InitPlan). Cast in the
            # comparison itself, a stable function of a parameter, it is parsed again for every
            # row a sequential scan compares (the demo seed's small tables: 25 s → 70 s).
            # (Cast again outside, a no-op, so that PostgreSQL reads ANY(array), not ANY(subquery).)
            array = cast(select(array).scalar_subquery(), ARRAY(column.type))
        return column == any_(array)
    return column.in_(values)


def array_of(type_, values: Collection) -> ColumnElement:
    """PostgreSQL: `values` as one array parameter of `type_`'s array type — bound as one string
    in PostgreSQL's array text form and CAST where `array_text_of` can write it (a few hundred
    microseconds for 5,000 values, where psycopg dumps a list element by element at ~0.7 µs
    each), else bound as a list. Every statement that sends a column's worth of values as an
    array builds it here; SQL written as text binds `array_text` (integers, dates) itself."""
    return _bound_array(type_, values, array_text_of(type_, values))


def _bound_array(type_, values: Collection, as_text: str | None) -> ColumnElement:
    if as_text is None:
        return literal(list(values), ARRAY(type_))
    return cast(literal(as_text, Text()), ARRAY(type_))


def array_text_of(type_, values: Collection) -> str | None:
    """The array's text form of `values` for a column of `type_`, None (NULL) allowed: a text
    column's strings none of which holds a double quote or a backslash (each is written quoted:
    commas, braces, spaces and the word NULL stay text), an integer column's integers, a date
    column's dates; None for anything else (bind a list). Not an Enum column (a String too): its
    values are bound through the type, which may store names."""
    kinds = set(map(type, values))  # (in C: a batch's 5,000 values in ~0.1 ms, not 1 ms of Python)
    nulls = NoneType in kinds
    kinds.discard(NoneType)
    if isinstance(type_, String) and not isinstance(type_, Enum):
        if not kinds <= {str}:
            return None
        if nulls:
            count = sum(v is not None for v in values)
            body = ",".join("NULL" if v is None else '"' + v + '"' for v in values)
        else:
            count = len(values)
            body = '"' + '","'.join(values) + '"' if values else ""  # (5,000 IMEIs: ~50 µs)
        if body.count('"') != 2 * count or "\\" in body:
            return None  # a quote or a backslash of a value's own
        return "{" + body + "}"
    if (isinstance(type_, Integer) and kinds <= {int}) or (isinstance(type_, Date) and kinds <= {date}):
        return array_text(values)
    return None


def array_text(values: Iterable[int | date | None]) -> str:
    """PostgreSQL's text form of an array of integers or dates (None: NULL), e.g. '{1,NULL,3}', to
    bind as one string and CAST to integer[] or date[]. psycopg dumps a Python list element by
    element (about 0.7 µs each: 16 ms for an import batch's four arrays of 5,000); one str.join is
    a tenth of that. A column of few distinct values (an import batch's regions, models, ship
    dates) formats each once: 5,000 dates 1.25 → ~0.4 ms. Integers and dates only: their text
    needs no quoting (`array_text_of` checks the values; this does not)."""
    values = values if isinstance(values, list | tuple) else list(values)
    distinct = set(values)
    if len(distinct) * 4 <= len(values):
        texts = {v: "NULL" if v is None else str(v) for v in distinct}
        return "{" + ",".join(map(texts.__getitem__, values)) + "}"
    return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    """`items` in slices of `size`: a read of thousands of ids as a few statements."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def upsert_add(session: Session, model, keys: tuple[str, ...], columns: tuple[str, ...], deltas: dict) -> None:
    """Add increments to a rollup table: `deltas` maps a key (the values of `keys`) to the
    increment of `columns` (a number, or a list of them in the columns' order); one
    `INSERT … ON CONFLICT (keys) DO UPDATE SET c = table.c + excluded.c` for all of them, keys
    sorted (concurrent writers lock rows in one order, so they never deadlock on them), zero
    increments skipped. Additions commute: concurrent transactions never lose a count."""
    rows = []
    for key in sorted(deltas):
        values = deltas[key]
        values = values if isinstance(values, list) else [values]
        if any(values):
            rows.append((*key, *values))
    if not rows:
        return
    table = model.__table__
    names = [*keys, *columns]
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # One statement whatever the number of rows: a column array each, unnested in step (in
        # their sorted order). An executemany of an import batch's thousands of keys spent most
        # of its time in psycopg converting placeholders.
        arrays = [
            func.unnest(array_of(table.c[name].type, [row[i] for row in rows])).label(name)
            for i, name in enumerate(names)
        ]
        stmt = pg_insert(model).from_select(names, select(*arrays))
    else:
        stmt = sqlite_insert(model)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={col: table.c[col] + stmt.excluded[col] for col in columns}
    )
    if postgresql:
        session.execute(stmt)
    else:
        session.execute(stmt, [dict(zip(names, row, strict=True)) for row in rows])
