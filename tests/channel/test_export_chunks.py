"""The aging export read in keyset-paged chunks (export.EXPORT_CHUNK_ROWS), each its own short
query: the file is complete and in order across chunk boundaries, and while the client is slow
to read, the export holds no pooled connection (nor, with it, a transaction)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event

from backend.channel import export
from backend.extensions import db
from tests.channel.test_export import AGING, _import, aging, ensure_cohorts, rows_of, ship  # noqa: F401
from tests.factories import P30_TAC
from tests.factories import imei as make_imei

pytestmark = pytest.mark.usefixtures("rq_worker")

ORDER = ("Region ID", "Model ID", "Partner ID")


def shipment_reads(app):
    """The statements that read shipments' units, counted as they run."""
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "FROM shipments" in statement and "LIMIT" in statement.upper():
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    return seen, lambda: event.remove(db.engine, "before_cursor_execute", count)


def test_complete_and_in_order_across_chunks(app, api, world, aging, monkeypatch):  # noqa: F811
    hq = api(world.hq)
    whole = rows_of(hq.get(AGING))
    assert len(whole[1]) == 15
    monkeypatch.setattr(export, "EXPORT_CHUNK_ROWS", 3)
    seen, stop = shipment_reads(app)
    try:
        chunked = rows_of(hq.get(AGING))
    finally:
        stop()
    assert chunked == whole  # every unit once, in the same order
    # Region A's 3 + 4 P30 and 2 N10 cohorts, region B's 6 (two full chunks and an empty one):
    # a chunk of 3 ends a cohort's read only when it comes short.
    assert len(seen) >= 6
    keys = [(row["Region ID"], row["Model ID"], row["Ship date"], row["IMEI"]) for row in chunked[1]]
    by_cohort = {}
    for region, model, day, imei in keys:
        by_cohort.setdefault((region, model), []).append((day, imei))
    assert all(units == sorted(units) for units in by_cohort.values())  # by ship date and IMEI within


def test_a_slow_client_holds_no_connection(app, api, world, monkeypatch):
    imp = _import(world)
    units = 1500
    ship(imp, [make_imei(P30_TAC, 200_000 + i) for i in range(units)], world.product, world.region_a, None, 200)
    ensure_cohorts()
    monkeypatch.setattr(export, "EXPORT_CHUNK_ROWS", 400, raising=False)
    hq = api(world.hq)
    db.session.remove()  # the test's own session gives its connection back
    held = {}  # the pool's connections out, by the thread that took them (the job worker has its own)

    def out(dbapi_conn, record, proxy):
        held[id(dbapi_conn)] = threading.get_ident()

    def back(dbapi_conn, record):
        held.pop(id(dbapi_conn), None)

    event.listen(db.engine.pool, "checkout", out)
    event.listen(db.engine.pool, "checkin", back)
    try:
        r = hq.get(AGING, buffered=False)
        assert r.status_code == 200 and r.is_streamed
        # The view's session ends with its request; in a test the request shares the test's app
        # context, so it is ended here, as the request's teardown ends it in the app.
        db.session.remove()
        body = iter(r.response)
        first = next(body)  # ~64 KB written: the client now waits, mid-file
        assert len(first) > 40_000
        mine = [c for c, thread in held.items() if thread == threading.get_ident()]
        assert mine == []  # no connection held between chunks
    finally:
        event.remove(db.engine.pool, "checkout", out)
        event.remove(db.engine.pool, "checkin", back)
    text = (first + b"".join(body)).decode("utf-8")
    lines = text.split("\r\n")
    assert len(lines) == units + 2
    imeis = [line.split(",")[0] for line in lines[1:-1]]
    assert imeis == sorted(imeis) and len(set(imeis)) == units  # every unit once, in order
