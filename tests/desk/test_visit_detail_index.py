"""A visit's detail reads its photos' links by an index, not by scanning every link: the table
grows with every photo of every record, and the desk opens visit details all day. The links'
statement is run again under the database's EXPLAIN (PostgreSQL with enough rows and
statistics that a scan would show) and must not scan photo_links."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import event, insert, text

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.photos.models import PhotoLink

from .helpers import display_check, upload, visit


def _plans_of_link_queries(fn) -> list[str]:
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "FROM photo_links" in statement and not executemany:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    plans = []
    with db.engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        for statement, parameters in seen:
            rows = conn.exec_driver_sql(explain + statement, parameters).all()
            plans.append("\n".join(str(r[-1]) for r in rows))
    return plans


def test_the_photo_links_of_a_visit_are_read_by_index(api, world):
    rep = api(world.rep_a1)
    at = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    v = visit(rep, world.store_a1, at)
    display_check(rep, v, at, [{"item_id": world.yes_item.id, "value": True}], [upload(rep, 7)])
    # Other records' links: a table worth an index.
    rows = [
        {"photo_id": uuid.uuid4(), "record_type": kind, "record_id": uuid.uuid4()}
        for kind in ("display_check", "price_observation", "intel_report", "task")
        for _ in range(5000)
    ]
    db.session.execute(insert(PhotoLink), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE photo_links"))
            conn.commit()
    manager = api(world.manager_a)
    plans = _plans_of_link_queries(lambda: manager.get(f"/api/v1/visits/{v}/detail"))
    assert plans, "the detail read no photo links"
    for plan in plans:
        # SQLite: SEARCH is an index look-up, SCAN reads the whole table (or index).
        assert "Seq Scan on photo_links" not in plan and "SCAN photo_links" not in plan, plan
