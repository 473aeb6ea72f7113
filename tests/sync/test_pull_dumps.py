"""The pull's rows are dumped by functions compiled per schema (backend/sync/entities.py,
`_Dumper`) instead of marshmallow's `schema.dump`, for speed (issue 13: a rep's first pull under
0.2 s). They must give exactly what marshmallow gives: here every synced kind of a seeded demo
(every role's scope), as the snapshot reads them (plain records) and as changes do (ORM objects),
and the same rows with their values varied (None, absent, aware times, bytes, str subclasses)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import event, select

from backend.aftersales.models import ServiceEvent
from backend.auth.models import Role, User
from backend.core.timeutil import business_today
from backend.demo import seed as demo
from backend.extensions import db
from backend.sync.entities import ENTITIES, Record, load_visible
from tests.demo.test_seed import quiet
from tests.factories import ApiClient

ROLES = (Role.REP, Role.MANAGER, Role.CLERK, Role.HQ)


class Text(str):
    """A str subclass: marshmallow's String returns str(value), not the object."""


def marshmallow_dump(entity, rows: list) -> str:
    return as_json(entity.schema.dump(rows, many=True))


def compiled_dump(entity, rows: list) -> str:
    return as_json(entity.dump(rows))


def as_json(data) -> str:
    """As the answer's text: values of another type (7.0 for 7) or keys in another order differ."""
    return current_app.json.dumps(data)


def prepared(actor, entity, rows: list) -> list:
    return entity.prepare(actor, rows) if entity.prepare is not None else rows


def snapshot_rows(actor, entity) -> list:
    stmt = select(entity.model).where(entity.visible(actor)).order_by(entity.pk)
    if entity.snapshot_filter is not None:
        stmt = stmt.where(entity.snapshot_filter())
    return entity.select_records(stmt)


def variants(row) -> list:
    """`row` (a Record, or a dict a `prepare` made) with each attribute or key varied in turn, as
    the same kind of row."""
    values = dict(row) if type(row) is dict else dict(vars(row))
    out = []
    for name, value in values.items():
        changed = []
        changed.append({**values, name: None})
        absent = dict(values)
        del absent[name]
        changed.append(absent)
        if isinstance(value, datetime):
            changed.append({**values, name: value.replace(tzinfo=timezone(timedelta(hours=8)))})
            changed.append({**values, name: value.replace(tzinfo=UTC)})
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            changed.append({**values, name: str(value)})
            changed.append({**values, name: float(value)})
        if isinstance(value, str):
            changed.append({**values, name: Text(value)})
            changed.append({**values, name: value.encode()})
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = copy.deepcopy(value)
            items[0].pop(next(iter(items[0])))  # a nested object missing a key
            changed.append({**values, name: [*items, None]})
        out += [v if type(row) is dict else Record(v.items()) for v in changed]
    return out


@pytest.fixture
def seeded(app):
    demo.seed_demo(seed=3, echo=quiet, days=4, scale=0.1, today=business_today())
    db.session.expire_all()
    users = {role: db.session.scalar(select(User).where(User.role == role).order_by(User.id)) for role in ROLES}
    # A clerk at a store with 三包 events (and warranty cards).
    users[Role.CLERK] = db.session.scalar(
        select(User).where(User.role == Role.CLERK, User.store_id.in_(select(ServiceEvent.store_id))).order_by(User.id)
    )
    return users


def test_the_compiled_dumps_are_marshmallow_s(seeded):
    assert all(e._dumper.plain for e in ENTITIES), "a synced schema is no longer dumped by the compiled path"
    dumped: dict[str, int] = {}
    for actor in seeded.values():
        for entity in ENTITIES:
            rows = snapshot_rows(actor, entity)
            keys = [getattr(r, entity.pk.key) for r in rows[:50]]
            records = prepared(actor, entity, rows)
            assert compiled_dump(entity, records) == marshmallow_dump(entity, records), (entity.name, actor.role)
            # Changes pages dump ORM objects (load_visible).
            objects = prepared(actor, entity, list(load_visible(actor, entity, keys).values()))
            assert compiled_dump(entity, objects) == marshmallow_dump(entity, objects), (entity.name, actor.role)
            for row in records[:3]:
                for one in variants(row):
                    try:
                        expected = marshmallow_dump(entity, [one])
                    except (TypeError, ValueError, AttributeError) as exc:
                        # A value marshmallow cannot dump (bytes as a number…): nor can we.
                        with pytest.raises(type(exc)):
                            compiled_dump(entity, [one])
                        continue
                    assert compiled_dump(entity, [one]) == expected, (entity.name, actor.role, one)
            dumped[entity.name] = dumped.get(entity.name, 0) + len(records)
    # The demo has rows of nearly every kind; the test is only as good as the kinds it saw.
    assert not [e.name for e in ENTITIES if not dumped.get(e.name)]


def test_a_rep_s_snapshot_asks_nothing_of_kinds_outside_every_rep_s_scope(client, seeded):
    """Warranty cards and 三包 events go to clerks only: a rep's snapshot does not query them."""
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        r = ApiClient(client, seeded[Role.REP]).get("/api/v1/sync/pull", query_string={"limit": 5000})
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert r.status_code == 200 and not r.json["has_more"]
    assert any("FROM visits" in s for s in statements)
    assert not [s for s in statements if "FROM warranty_cards" in s or "FROM service_events" in s]


def test_photo_ids_of_a_page_are_one_parameter_on_postgresql(client, seeded):
    """On PostgreSQL a page's record ids go as one array (`= ANY`), not one placeholder each."""
    params: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, *args):
        if "FROM photo_links" in statement:
            params.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        r = ApiClient(client, seeded[Role.MANAGER]).get("/api/v1/sync/pull", query_string={"limit": 5000})
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert r.status_code == 200
    checks = sum(1 for c in r.json["changes"] if c["entity"] == "display_check")
    assert checks > 10 and params
    if db.engine.dialect.name == "postgresql":
        assert all(len(p) <= 2 for _s, p in params), [len(p) for _s, p in params]
        assert all("ANY" in s for s, _p in params)
    else:
        assert max(len(p) for _s, p in params) > 10  # SQLite: an IN list, as before
