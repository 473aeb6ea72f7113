"""三包 returns and exchanges in the channel rollups. Sell-out counts a closed card as nothing
(an exchange's replacement card counts the buyer's one phone, in the inherited purchase week).
Channel stock does not treat the two alike: a RETURNED unit is back on the store's shelf (in
stock, unsold), an EXCHANGED (faulty) unit went to after-sales, not back on the shelf — it stays
out of the channel, and the replacement unit left the stock too. The increments (card events,
shipments arriving later, a card holding its unit under imei2) equal `rebuild()` on every step;
the aging units (`unit_unsold`) never list a faulty exchanged unit. Figures computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from flask import current_app

from backend.aftersales.models import FaultCode
from backend.channel.models import NATIONAL
from backend.channel.rollup import rebuild
from backend.extensions import db
from tests.channel.helpers import ago, monday, rollups, ship
from tests.factories import imei, new_id
from tests.warranty.helpers import CARDS, card_body, register

pytestmark = pytest.mark.usefixtures("rq_worker")

EVENTS = "/api/v1/service-events"


@pytest.fixture
def faults(world):
    db.session.add(FaultCode(code="screen", name="屏幕故障", name_en="Screen fault", position=1))
    db.session.commit()


def agree() -> dict:
    """The increments' tables equal rebuild()'s, and are returned."""
    incremental = rollups()
    rebuild()
    assert rollups() == incremental
    return incremental


def noon(day: date) -> str:
    local = datetime.combine(day, time(12), tzinfo=ZoneInfo(current_app.config["BUSINESS_TIMEZONE"]))
    return local.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def sold(clerk, world, serial: int, purchased: date, **kw) -> dict:
    return register(clerk, card_body(world, serial, purchase_date=purchased.isoformat(), **kw))


def service(clerk, kind: str, card: dict, day: date, new_serial: int | None = None) -> dict:
    body = {"id": new_id(), "kind": kind, "card_id": card["id"], "fault_code": "screen", "occurred_at": noon(day)}
    if new_serial is not None:
        body["new_card"] = {
            "id": new_id(),
            "imei": imei(serial=new_serial),
            "product_id": card["product_id"],
            "serial_number": f"SN-NEW-{new_serial:06d}",
        }
    r = clerk.post(EVENTS, json=body)
    assert r.status_code == 201, r.json
    return r.json


def aging_imeis(api, world, ship_week: date) -> list[str]:
    query = {
        "region_id": world.region_a.id,
        "partner_id": world.partner.id,
        "product_id": world.product.id,
        "ship_week": ship_week.isoformat(),
    }
    r = api(world.hq).get("/api/v1/channel/aging/imeis", query_string=query)
    assert r.status_code == 200, r.json
    return [row["imei"] for row in r.json]


def test_a_return_puts_the_unit_back_an_exchange_does_not(api, world, faults):
    a, sn, p, s1 = world.region_a.id, world.partner.id, world.product.id, world.store_a1.id
    clerk = api(world.clerk_a1)
    shipped, bought = ago(60), ago(5)
    w0, wb, key = monday(shipped), monday(bought), f"p{p}"
    ship(world.hq, *[(imei(serial=n), p, shipped, a, sn) for n in (1, 2, 3, 4)])
    c1, c2 = sold(clerk, world, 1, bought), sold(clerk, world, 2, bought)
    got = agree()
    assert got["channel_stock"] == {(a, sn, p): (4, 2)}
    assert got["store_sellout_weeks"] == {(s1, key, wb): (2, 0, 0, 0, 0)}

    # A return of unit 1: back on the shelf. Stock 4 − 1 = 3 (units 1, 3, 4); sell-out 1.
    service(clerk, "return", c1, ago(3))
    got = agree()
    assert got["channel_stock"] == {(a, sn, p): (4, 1)}
    assert got["channel_cohorts"] == {(a, sn, p, w0): (4, 1)}
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (1,)}
    assert got["channel_weeks"] == {(a, sn, p, w0): (4, 0), (a, sn, p, wb): (0, 1)}
    assert got["store_sellout_weeks"] == {(s1, key, wb): (1, 0, 0, 0, 0)}
    assert got["sellout_cells"] == {(a, key, wb): (1, 0, 0, 0, 0), (NATIONAL, key, wb): (1, 0, 0, 0, 0)}
    assert aging_imeis(api, world, w0) == [imei(serial=n) for n in (1, 3, 4)]

    # An exchange of unit 2 for unit 4: the buyer still has one phone (sell-out 1, now card 4's,
    # in the inherited purchase week); the store's stock lost unit 4 AND the faulty unit 2 went
    # to after-sales: sold 2 + 4 = 2 units, stock 4 − 2 = 2 (units 1 and 3).
    replacement = service(clerk, "exchange", c2, ago(2), new_serial=4)["new_card_id"]
    got = agree()
    assert got["channel_stock"] == {(a, sn, p): (4, 2)}
    assert got["channel_cohorts"] == {(a, sn, p, w0): (4, 2)}
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (2,)}
    assert got["channel_weeks"] == {(a, sn, p, w0): (4, 0), (a, sn, p, wb): (0, 2)}
    assert got["store_sellout_weeks"] == {(s1, key, wb): (1, 0, 0, 0, 0)}
    assert got["sellout_cells"] == {(a, key, wb): (1, 0, 0, 0, 0), (NATIONAL, key, wb): (1, 0, 0, 0, 0)}
    assert aging_imeis(api, world, w0) == [imei(serial=1), imei(serial=3)]  # never the faulty unit 2

    # The returned unit 1 sold again (today): stock 4 − 3 = 1 (unit 3); sell-out 1 + 1.
    sold(clerk, world, 1, ago(0), buyer_name="李四")
    wt = monday(ago(0))
    got = agree()
    assert got["channel_stock"] == {(a, sn, p): (4, 3)}
    if wt == wb:
        assert got["channel_sales"] == {(a, sn, p, w0, wb): (3,)}
        assert got["store_sellout_weeks"] == {(s1, key, wb): (2, 0, 0, 0, 0)}
    else:
        assert got["channel_sales"] == {(a, sn, p, w0, wb): (2,), (a, sn, p, w0, wt): (1,)}
        assert got["store_sellout_weeks"] == {(s1, key, wb): (1, 0, 0, 0, 0), (s1, key, wt): (1, 0, 0, 0, 0)}
    assert aging_imeis(api, world, w0) == [imei(serial=3)]

    # HQ voids the replacement card (registered in error): it counts nothing; the faulty unit 2
    # stays out (exchanged), unit 4 is back in stock: 4 − 2.
    assert api(world.hq).post(f"{CARDS}/{replacement}/void", json={"reason": "test"}).status_code == 200
    got = agree()
    assert got["channel_stock"] == {(a, sn, p): (4, 2)}
    assert aging_imeis(api, world, w0) == [imei(serial=3), imei(serial=4)]


def test_shipments_arriving_after_a_return_or_an_exchange(api, world, faults):
    """Cards registered before their units' shipments: the exchanged card's unit counts as out
    the moment its shipment arrives (found by its IMEI, it holds no warranty_imeis row any
    more), the returned card's does not."""
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    clerk = api(world.clerk_a1)
    bought = ago(5)
    wb = monday(bought)
    returned, exchanged = sold(clerk, world, 1, bought), sold(clerk, world, 2, bought)
    service(clerk, "return", returned, ago(3))
    service(clerk, "exchange", exchanged, ago(2), new_serial=3)
    assert agree()["channel_cohorts"] == {}
    shipped = ago(40)
    w0 = monday(shipped)
    ship(world.hq, *[(imei(serial=n), p, shipped, a, sn) for n in (1, 2, 3, 4)])
    got = agree()
    # Out: 2 (faulty, exchanged) and 3 (its replacement); in stock: 1 (returned) and 4.
    assert got["channel_cohorts"] == {(a, sn, p, w0): (4, 2)}
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (2,)}
    assert got["store_sellout_weeks"] == {(world.store_a1.id, f"p{p}", wb): (1, 0, 0, 0, 0)}
    assert aging_imeis(api, world, w0) == [imei(serial=1), imei(serial=4)]


def test_an_exchanged_card_holding_its_unit_under_imei2(api, world, faults):
    """Card 1 holds IMEIs 1 and 11; only 11 was shipped (week X), so its unit is 11's. After the
    exchange (for unit 3), IMEI 1's shipment arrives (week Y): the card's unit is now 1's (the
    first IMEI wins), so the sale moves from X's cohort to Y's — and 11 is back in X's stock."""
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    clerk = api(world.clerk_a1)
    x, y, bought = ago(70), ago(30), ago(5)
    wx, wy, wb = monday(x), monday(y), monday(bought)
    ship(world.hq, (imei(serial=11), p, x, a, sn), (imei(serial=3), p, x, a, sn))
    card = sold(clerk, world, 1, bought, imei2=imei(serial=11))
    service(clerk, "exchange", card, ago(2), new_serial=3)
    got = agree()
    assert got["channel_cohorts"] == {(a, sn, p, wx): (2, 2)}
    assert got["channel_sales"] == {(a, sn, p, wx, wb): (2,)}
    ship(world.hq, (imei(serial=1), p, y, a, sn))
    got = agree()
    assert got["channel_cohorts"] == {(a, sn, p, wx): (2, 1), (a, sn, p, wy): (1, 1)}
    assert got["channel_sales"] == {(a, sn, p, wx, wb): (1,), (a, sn, p, wy, wb): (1,)}
    assert got["channel_stock"] == {(a, sn, p): (3, 2)}
    assert aging_imeis(api, world, wx) == [imei(serial=11)]
    assert aging_imeis(api, world, wy) == []


def test_an_exchanged_unit_sold_again_leaves_the_stock_once(api, world, faults):
    """Unit 2 sold (week B), exchanged for unit 4: both left the stock (the faulty one to
    after-sales, the replacement from the shelf), in the card's purchase week. After-sales
    refurbishes unit 2 and the store sells it again (a new card, this week): a second buyer — sell-
    out 2 — but unit 2 left the channel's stock once, when it was first sold, so the stock does
    not move (it was 4 − 2 = 2 and stays 2; counted per card it fell to 1). Voiding the resale's
    card changes nothing either: the exchanged card still holds unit 2 out."""
    a, sn, p, s1 = world.region_a.id, world.partner.id, world.product.id, world.store_a1.id
    clerk = api(world.clerk_a1)
    shipped, bought = ago(60), ago(5)
    w0, wb, key = monday(shipped), monday(bought), f"p{p}"
    ship(world.hq, *[(imei(serial=n), p, shipped, a, sn) for n in (1, 2, 3, 4)])
    service(clerk, "exchange", sold(clerk, world, 2, bought), ago(2), new_serial=4)
    got = agree()
    assert got["channel_stock"] == {(a, sn, p): (4, 2)}
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (2,)}

    resale = sold(clerk, world, 2, ago(0), buyer_name="王五")
    wt = monday(ago(0))
    got = agree()
    assert got["channel_stock"] == {(a, sn, p): (4, 2)}
    assert got["channel_cohorts"] == {(a, sn, p, w0): (4, 2)}
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (2,)}  # unit 2 in the week it first sold
    assert got["channel_weeks"] == {(a, sn, p, w0): (4, 0), (a, sn, p, wb): (0, 2)}
    if wt == wb:
        assert got["store_sellout_weeks"] == {(s1, key, wb): (2, 0, 0, 0, 0)}
    else:
        assert got["store_sellout_weeks"] == {(s1, key, wb): (1, 0, 0, 0, 0), (s1, key, wt): (1, 0, 0, 0, 0)}
    assert aging_imeis(api, world, w0) == [imei(serial=1), imei(serial=3)]

    assert api(world.hq).post(f"{CARDS}/{resale['id']}/void", json={"reason": "test"}).status_code == 200
    got = agree()
    assert got["channel_stock"] == {(a, sn, p): (4, 2)}
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (2,)}
    assert got["store_sellout_weeks"] == {(s1, key, wb): (1, 0, 0, 0, 0)}


def test_a_resale_registered_before_the_unit_is_shipped_counts_once_when_it_is(api, world, faults):
    """The same story with the shipment arriving last: unit 2's exchanged card (week B) and its
    resale card (this week) both hold it when it is shipped; it leaves the stock once, in week B;
    the replacement unit 4, shipped with it, once too."""
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    clerk = api(world.clerk_a1)
    bought = ago(5)
    wb = monday(bought)
    service(clerk, "exchange", sold(clerk, world, 2, bought), ago(2), new_serial=4)
    sold(clerk, world, 2, ago(0), buyer_name="王五")
    assert agree()["channel_cohorts"] == {}
    shipped = ago(40)
    w0 = monday(shipped)
    ship(world.hq, *[(imei(serial=n), p, shipped, a, sn) for n in (1, 2, 3, 4)])
    got = agree()
    assert got["channel_cohorts"] == {(a, sn, p, w0): (4, 2)}
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (2,)}
