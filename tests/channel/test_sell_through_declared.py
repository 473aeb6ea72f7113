"""Sell-through where stores without a clerk declare more than their region was shipped: the stock
at a week's start is each region's shipped − sold up to then, never below 0 (as the stock screen's
`figures` clamps it), and the sell-through never above 1. Every figure by hand."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from backend.extensions import db
from backend.sellout.models import SellOutReport
from tests.channel.helpers import monday, ship
from tests.factories import imei
from tests.warranty.helpers import today

pytestmark = pytest.mark.usefixtures("rq_worker")


def M(k: int):  # noqa: N802 - the Monday k weeks before this week's
    return monday(today()) - timedelta(weeks=k)


def test_sell_through_stock_never_negative_where_stores_declare_more_than_was_shipped(api, world):
    a, b, p = world.region_a.id, world.region_b.id, world.product.id
    shipped = today() - timedelta(days=30)  # before the three weeks read
    ship(world.hq, *[(imei(serial=n), p, shipped, a, None) for n in range(1, 6)])  # A: 5
    ship(world.hq, *[(imei(serial=n), p, shipped, b, None) for n in range(6, 10)])  # B: 4
    # A2 has no clerk: its promoter's 8 units over last week (Monday–Sunday) are its sell-out.
    db.session.add(
        SellOutReport(
            id=uuid.uuid4(), rep_id=world.rep_a1.id, store_id=world.store_a2.id, product_id=p, units=8,
            period_start=M(1), period_end=M(1) + timedelta(days=6), source="promoter",
            reported_at=datetime(2026, 1, 1),
        )
    )  # fmt: skip
    db.session.commit()
    client = api(world.hq)

    stock = client.get("/api/v1/channel/stock", query_string={"region_id": a})
    assert stock.status_code == 200, stock.json
    assert [(r["shipped"], r["sold"], r["stock"]) for r in stock.json] == [(5, 8, 0)]

    r = client.get("/api/v1/channel/sell-through", query_string={"region_id": a, "product_id": p, "weeks": 3})
    assert r.status_code == 200, r.json
    # A: 5 − 8 = −3 unclamped now. This week moved nothing: max(−3, 0) = 0 at its start (was −3).
    # Last week sold 8: −3 + 8 = 5 at its start; 8 ÷ 5 = 1.6 → 1. The week before: 5.
    assert [(x["week_start"], x["shipped"], x["sold"], x["stock_start"], x["sell_through"]) for x in r.json] == [
        (M(2).isoformat(), 0, 0, 5, 0.0),
        (M(1).isoformat(), 0, 8, 5, 1.0),
        (M(0).isoformat(), 0, 0, 0, None),
    ]

    # Nationwide: the regions' clamped stocks add up (A's 0 does not eat B's 4): 9, 9, 4.
    r = client.get("/api/v1/channel/sell-through", query_string={"product_id": p, "weeks": 3})
    assert r.status_code == 200, r.json
    assert [(x["sold"], x["stock_start"], x["sell_through"]) for x in r.json] == [
        (0, 9, 0.0),
        (8, 9, round(8 / 9, 4)),
        (0, 4, 0.0),
    ]
