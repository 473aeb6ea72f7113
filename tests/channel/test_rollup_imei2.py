"""A card's unit may be shipped under its SECOND IMEI (imei2: the other slot of a dual-SIM
phone, which the warranty side treats as the phone's as much as the first — `warranty_imeis`,
`diversion`). The channel counts such a card as the unit's sale, in the increments, in
`rebuild()`, in the aging units (screen and CSV); a card whose two IMEIs were both shipped (a
data error) sells one unit, its first IMEI's. Figures written by hand."""

from __future__ import annotations

import csv
import io

import pytest

from backend.channel.rollup import rebuild
from tests.channel.helpers import ago, monday, rollups, ship
from tests.factories import imei
from tests.warranty.helpers import CARDS, card_body, register

pytestmark = pytest.mark.usefixtures("rq_worker")


def agree() -> dict:
    incremental = rollups()
    rebuild()
    assert rollups() == incremental
    return incremental


def aging_imeis(api, world, ship_week) -> list[str]:
    query = {
        "region_id": world.region_a.id,
        "partner_id": world.partner.id,
        "product_id": world.product.id,
        "ship_week": ship_week.isoformat(),
    }
    r = api(world.hq).get("/api/v1/channel/aging/imeis", query_string=query)
    assert r.status_code == 200, r.json
    return [row["imei"] for row in r.json]


def aging_csv(api, world) -> list[str]:
    r = api(world.hq).get("/api/v1/channel/aging.csv", query_string={"lang": "en"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8")[1:])))
    return sorted(row["IMEI"][2:-1] for row in rows)


def test_a_unit_shipped_under_the_cards_second_imei_is_sold(api, world):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    x, y, other = imei(serial=1), imei(serial=9), imei(serial=2)
    shipped = ago(130)  # aging (90 days by default)
    ship(world.hq, (x, p, shipped, a, sn), (other, p, shipped, a, sn))
    w0, w10 = monday(shipped), monday(ago(10))
    assert sorted(aging_imeis(api, world, w0)) == sorted([x, other])

    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 9, imei2=x, purchase_date=ago(10).isoformat()))  # imei=Y, not shipped
    assert card["imei"] == y
    got = agree()
    assert got["channel_cohorts"] == {(a, sn, p, w0): (2, 1)}
    assert got["channel_sales"] == {(a, sn, p, w0, w10): (1,)}
    assert got["channel_stock"] == {(a, sn, p): (2, 1)}
    assert aging_imeis(api, world, w0) == [other]
    assert aging_csv(api, world) == [other]

    # HQ voids it: unsold again.
    assert api(world.hq).post(f"{CARDS}/{card['id']}/void", json={"reason": "test"}).status_code == 200
    got = agree()
    assert got["channel_cohorts"] == {(a, sn, p, w0): (2, 0)}
    assert got["channel_sales"] == {}
    assert aging_csv(api, world) == sorted([x, other])

    # Registered again with X second, then the second IMEI corrected away: unsold.
    card = register(clerk, card_body(world, 9, imei2=x, purchase_date=ago(10).isoformat()))
    assert agree()["channel_cohorts"] == {(a, sn, p, w0): (2, 1)}
    assert clerk.patch(f"{CARDS}/{card['id']}", json={"imei2": None}).status_code == 200
    got = agree()
    assert got["channel_cohorts"] == {(a, sn, p, w0): (2, 0)}
    assert got["store_sellout_weeks"] == {(world.store_a1.id, f"p{p}", w10): (1, 0, 0, 0, 0)}  # still a card
    # … and corrected back (its first IMEI moved to the other shipped unit meanwhile: that one counts).
    assert clerk.patch(f"{CARDS}/{card['id']}", json={"imei": other, "imei2": x}).status_code == 200
    got = agree()
    assert got["channel_cohorts"] == {(a, sn, p, w0): (2, 1)}
    assert aging_imeis(api, world, w0) == [x]
    assert aging_csv(api, world) == [x]


def test_both_imeis_shipped_count_one_unit_the_first_ones(api, world):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    x, y = imei(serial=1), imei(serial=2)
    ship(world.hq, (x, p, ago(100), a, sn))
    register(api(world.clerk_a1), card_body(world, 2, imei2=x, purchase_date=ago(3).isoformat()))  # imei=Y
    w100, w40, w3 = monday(ago(100)), monday(ago(40)), monday(ago(3))
    assert agree()["channel_cohorts"] == {(a, sn, p, w100): (1, 1)}
    # Y, its first IMEI, is shipped later (a data error): the sale moves to Y's unit, one unit in all.
    ship(world.hq, (y, p, ago(40), a, sn))
    got = agree()
    assert got["channel_cohorts"] == {(a, sn, p, w100): (1, 0), (a, sn, p, w40): (1, 1)}
    assert got["channel_sales"] == {(a, sn, p, w40, w3): (1,)}
    assert got["channel_stock"] == {(a, sn, p): (2, 1)}
    assert aging_imeis(api, world, w100) == [x]


def test_a_card_before_both_its_shipments_in_one_import(api, world):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    x, y = imei(serial=1), imei(serial=2)
    register(api(world.clerk_a1), card_body(world, 2, imei2=x, purchase_date=ago(3).isoformat()))  # imei=Y
    ship(world.hq, (x, p, ago(100), a, sn), (y, p, ago(40), a, sn))
    got = agree()
    assert got["channel_cohorts"] == {(a, sn, p, monday(ago(100))): (1, 0), (a, sn, p, monday(ago(40))): (1, 1)}
