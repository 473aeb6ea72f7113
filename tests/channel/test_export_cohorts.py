"""The aging CSV reads only the aging cohorts that hold unsold units: a sold-out cohort, however
old, is not read (one statement on the shipments per cohort listed), and what is read is the
cohort's week of units less the sold ones."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import event

from backend.extensions import db
from tests.channel.helpers import ago, monday, ship
from tests.factories import imei
from tests.warranty.helpers import card_body, register

pytestmark = pytest.mark.usefixtures("rq_worker")


def test_the_aging_csv_reads_the_unsold_cohorts_only(api, world):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    sold_out = [imei(serial=n) for n in (1, 2)]  # 200 days ago, both sold
    partly = [imei(serial=n) for n in (3, 4, 5)]  # 150 days ago, one sold (its card's second IMEI)
    young = [imei(serial=n) for n in (6, 7)]  # 20 days ago: not aging
    ship(
        world.hq,
        *[(i, p, ago(200), a, sn) for i in sold_out],
        *[(i, p, ago(150), a, None) for i in partly],
        *[(i, p, ago(20), a, sn) for i in young],
    )
    clerk = api(world.clerk_a1)
    for serial in (1, 2):
        register(clerk, card_body(world, serial, purchase_date=ago(5).isoformat()))
    register(clerk, card_body(world, 9, imei2=partly[0], purchase_date=ago(5).isoformat()))

    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "FROM shipments" in statement:
            values = parameters.values() if isinstance(parameters, dict) else parameters
            statements.append({str(v)[:10] for v in values})

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        r = api(world.hq).get("/api/v1/channel/aging.csv", query_string={"lang": "en"})
        assert r.status_code == 200
        body = r.data.decode("utf-8")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert sorted(row["IMEI"][2:-1] for row in rows) == sorted(partly[1:])
    assert {row["Partner ID"] for row in rows} == {"0"}
    # One read of shipments: the partly sold cohort's week, from its Monday (the sold-out cohort's
    # older units are never read; a read of the model's units up to the aging cut-off would be).
    [read] = statements
    assert monday(ago(150)).isoformat() in read, read
