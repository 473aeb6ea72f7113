"""The channel's lists a page at a time (stock, sell-through, FIFO breaks: `?page=&page_size=`, the
X-Pagination header, as the other desk lists), the regions' totals the map draws (a page of the
stock table would not add up to them), and the aging list's partner filter."""

from __future__ import annotations

import json

import pytest

from backend.channel.models import NO_PARTNER
from tests.channel.helpers import ship
from tests.channel.test_queries import URL, M, channel  # noqa: F401  (the fixture)
from tests.factories import imei

pytestmark = pytest.mark.usefixtures("rq_worker")


def page(client, path, **query):
    r = client.get(f"{URL}{path}", query_string=query)
    assert r.status_code == 200, r.json
    return r.json, json.loads(r.headers["X-Pagination"])


def all_pages(client, path, size, **query):
    out, number = [], 1
    while True:
        items, meta = page(client, path, page=number, page_size=size, **query)
        assert len(items) <= size
        out += items
        if number >= meta["total_pages"]:
            return out, meta
        number += 1


@pytest.fixture
def older(world, channel):  # noqa: F811
    """A second FIFO break in A: 6 units of P30 shipped to no partner 12 weeks ago, none sold."""
    ship(world.hq, *[(imei(serial=n), world.product.id, M(12), world.region_a.id, None) for n in range(60, 66)])


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/stock", {}),
        ("/stock", {"group": "partner"}),
        ("/sell-through", {"weeks": 5}),
        ("/fifo-breaks", {}),
    ],
)
def test_lists_come_a_page_at_a_time(api, world, older, path, query):
    hq = api(world.hq)
    whole, meta = page(hq, path, **query)  # no paging asked: the first page of 100
    assert meta["total"] == len(whole) >= 2 and meta["page"] == 1 and meta["total_pages"] == 1
    paged, meta = all_pages(hq, path, 1, **query)
    assert paged == whole and meta["total_pages"] == len(whole)  # the same rows, in the same order
    first, meta = page(hq, path, page=2, page_size=1, **query)
    assert first == whole[1:2] and meta["previous_page"] == 1
    r = hq.get(f"{URL}{path}", query_string={**query, "page_size": 101})
    assert r.status_code == 422  # no page larger than the other lists'


def test_region_totals_are_the_region_rows_summed(api, world, older):
    a, b = world.region_a.id, world.region_b.id
    hq = api(world.hq)
    rows, _ = page(hq, "/stock")
    totals = hq.get(f"{URL}/stock/regions").json
    assert [t["region_id"] for t in totals] == [a, b]  # the largest stock first
    for total in totals:
        mine = [r for r in rows if r["region_id"] == total["region_id"]]
        for field in ("shipped", "sold", "stock", "aging_units"):
            assert total[field] == sum(r[field] for r in mine), field
        assert (total["latitude"], total["longitude"]) == (mine[0]["latitude"], mine[0]["longitude"])
    ta = totals[0]
    # A: 22 + 6 shipped, 9 sold, 19 in stock; 1.5 a week → 12.67 weeks of cover.
    assert (ta["shipped"], ta["sold"], ta["stock"], ta["weekly_sales"], ta["cover_weeks"]) == (28, 9, 19, 1.5, 12.67)
    manager = api(world.manager_a).get(f"{URL}/stock/regions")
    assert [t["region_id"] for t in manager.json] == [a]
    r = api(world.manager_a).get(f"{URL}/stock/regions", query_string={"region_id": b})
    assert r.status_code == 404 and r.json["reason"] == "region.not_found"
    assert api(world.rep_a1).get(f"{URL}/stock/regions").status_code == 403
    none = hq.get(f"{URL}/stock/regions", query_string={"product_id": 999999})
    assert none.status_code == 200 and none.json == []


def test_aging_by_partner(api, world, channel):  # noqa: F811
    a, sn = world.region_a.id, world.partner.id
    hq = api(world.hq)
    named, _ = page(hq, "/aging", partner_id=sn)
    assert [(r["region_id"], r["partner_id"], r["unsold"]) for r in named] == [(a, sn, 7)]
    unnamed, _ = page(hq, "/aging", partner_id=NO_PARTNER)
    assert [(r["region_id"], r["partner_id"], r["unsold"]) for r in unnamed] == [(a, NO_PARTNER, 4)]
    assert page(hq, "/aging", partner_id=999999)[0] == []
