"""The channel's rollups kept by increments in the transaction that writes what they count:
shipments through the import loader, cards through REST and sync (registered, corrected,
voided; a refused mutation's savepoint rolled back), in either order; the figures written by
hand, and `rebuild()` from the raw rows giving the same tables."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from backend.channel.models import NATIONAL, NO_PARTNER, ChannelStock
from backend.channel.rollup import rebuild
from backend.extensions import db
from backend.sellout.models import CompetitorSellOut, SellOutReport
from backend.warranty import service as warranty
from backend.warranty.schemas import WarrantyCardSchema
from tests.channel.helpers import ago, monday, rollups, ship
from tests.factories import imei
from tests.sync.helpers import Device
from tests.warranty.helpers import CARDS, card_body, register

pytestmark = pytest.mark.usefixtures("rq_worker")


def assert_rebuild_agrees() -> dict:
    """The increments' tables equal rebuild()'s, and are returned."""
    incremental = rollups()
    rebuild()
    assert rollups() == incremental
    return incremental


def test_shipments_then_cards_registered_corrected_voided_by_hand(api, world):
    a, b, sn, p = world.region_a.id, world.region_b.id, world.partner.id, world.product.id
    shipped = ago(60)
    ship(world.hq, *[(imei(serial=n), p, shipped, a, sn) for n in (1, 2, 3)], (imei(serial=4), p, shipped, b, None))
    w0 = monday(shipped)
    assert rollups()["channel_cohorts"] == {(a, sn, p, w0): (3, 0), (b, NO_PARTNER, p, w0): (1, 0)}
    assert rollups()["channel_sales"] == {}

    clerk = api(world.clerk_a1)
    s1 = world.store_a1.id
    c1 = register(clerk, card_body(world, 1, purchase_date=ago(10).isoformat()))
    c4 = register(clerk, card_body(world, 4, purchase_date=ago(10).isoformat()))  # shipped to B, sold in A
    register(clerk, card_body(world, 9, purchase_date=ago(10).isoformat()))  # no shipment: store figures only
    w10, w20, key = monday(ago(10)), monday(ago(20)), f"p{p}"
    got = rollups()
    assert got["channel_cohorts"] == {(a, sn, p, w0): (3, 1), (b, NO_PARTNER, p, w0): (1, 1)}
    assert got["channel_sales"] == {(a, sn, p, w0, w10): (1,), (b, NO_PARTNER, p, w0, w10): (1,)}
    assert got["store_sellout_weeks"] == {(s1, key, w10): (3, 0, 0, 0, 0)}
    assert got["sellout_cells"] == {(a, key, w10): (3, 0, 0, 0, 0), (NATIONAL, key, w10): (3, 0, 0, 0, 0)}

    # The clerk corrects card 1's purchase date (20 days ago), then its IMEI to unit 2's, then HQ voids card 4.
    assert clerk.patch(f"{CARDS}/{c1['id']}", json={"purchase_date": ago(20).isoformat()}).status_code == 200
    assert clerk.patch(f"{CARDS}/{c1['id']}", json={"imei": imei(serial=2)}).status_code == 200
    assert api(world.hq).post(f"{CARDS}/{c4['id']}/void", json={"reason": "test"}).status_code == 200
    got = assert_rebuild_agrees()
    assert got["channel_cohorts"] == {(a, sn, p, w0): (3, 1), (b, NO_PARTNER, p, w0): (1, 0)}
    assert got["channel_sales"] == {(a, sn, p, w0, w20): (1,)}
    assert got["channel_stock"] == {(a, sn, p): (3, 1), (b, NO_PARTNER, p): (1, 0)}
    assert got["channel_weeks"] == {(a, sn, p, w0): (3, 0), (b, NO_PARTNER, p, w0): (1, 0), (a, sn, p, w20): (0, 1)}
    if w10 == w20:
        assert got["store_sellout_weeks"] == {(s1, key, w10): (2, 0, 0, 0, 0)}
    else:
        assert got["store_sellout_weeks"] == {(s1, key, w10): (1, 0, 0, 0, 0), (s1, key, w20): (1, 0, 0, 0, 0)}
        assert got["sellout_cells"][(NATIONAL, key, w20)] == (1, 0, 0, 0, 0)


def test_a_card_registered_before_its_shipment_counts_when_the_shipment_arrives(api, world):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    register(api(world.clerk_a1), card_body(world, 1, purchase_date=ago(3).isoformat()))
    assert rollups()["channel_cohorts"] == {}
    ship(world.hq, (imei(serial=1), p, ago(40), a, sn), (imei(serial=2), p, ago(40), a, sn))
    got = assert_rebuild_agrees()
    assert got["channel_cohorts"] == {(a, sn, p, monday(ago(40))): (2, 1)}
    assert got["channel_sales"] == {(a, sn, p, monday(ago(40)), monday(ago(3))): (1,)}
    assert got["store_sellout_weeks"] == {(world.store_a1.id, f"p{p}", monday(ago(3))): (1, 0, 0, 0, 0)}


def test_a_card_and_its_shipment_in_one_transaction_count_once(app, world):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    data = WarrantyCardSchema().load(card_body(world, 7, purchase_date=ago(2).isoformat()))
    warranty.register(world.clerk_a1, data)  # flushed, not committed
    ship(world.hq, (imei(serial=7), p, ago(30), a, sn), commit=False)
    db.session.commit()
    got = assert_rebuild_agrees()
    assert got["channel_cohorts"] == {(a, sn, p, monday(ago(30))): (1, 1)}
    assert got["channel_sales"] == {(a, sn, p, monday(ago(30)), monday(ago(2))): (1,)}


def test_a_refused_sync_mutation_rolls_back_and_the_rollups_count_what_was_applied(api, world):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    ship(world.hq, (imei(serial=1), p, ago(50), a, sn), (imei(serial=2), p, ago(50), a, sn))
    device = Device(api(world.clerk_a1))
    first = card_body(world, 1, purchase_date=ago(5).isoformat())
    clash = card_body(world, 1, purchase_date=ago(6).isoformat())  # the same phone again: refused
    second = card_body(world, 2, purchase_date=ago(5).isoformat())
    # The batch runs under one savepoint, is rolled back at the refusal, applied again one by
    # one: the first card's first object is gone, a new one takes its place.
    r = device.push(
        [
            device.mutation("warranty.register", first),
            device.mutation("warranty.correct", {"id": first["id"], "fields": {"purchase_date": ago(4).isoformat()}}),
            device.mutation("warranty.register", clash),
            device.mutation("warranty.register", second),
        ]
    )
    assert [x["status"] for x in r.json["results"]] == ["applied", "applied", "rejected", "applied"]
    got = assert_rebuild_agrees()
    w50 = monday(ago(50))
    assert got["channel_cohorts"] == {(a, sn, p, w50): (2, 2)}
    expected = {}
    for day in (ago(4), ago(5)):
        expected[(a, sn, p, w50, monday(day))] = (expected.get((a, sn, p, w50, monday(day)), (0,))[0] + 1,)
    assert got["channel_sales"] == expected
    # A push made only of a refused card leaves the rollups as they were.
    before = rollups()
    lone = Device(api(world.clerk_a1))
    r = lone.push([lone.mutation("warranty.register", card_body(world, 2, purchase_date=ago(1).isoformat()))])
    assert [x["status"] for x in r.json["results"]] == ["rejected"]
    assert rollups() == before


def test_declared_sellout_and_competitor_estimates(api, world):
    s1, s2, sb = world.store_a1.id, world.store_a2.id, world.store_b1.id
    a, b, p, cm = world.region_a.id, world.region_b.id, world.product.id, world.competitor_model.id
    end = ago(8)
    wk = monday(end)
    now = datetime(2026, 1, 1)
    for store, units in ((s1, 4), (s1, 3), (s2, 5), (sb, 2)):
        db.session.add(
            SellOutReport(
                id=uuid.uuid4(), rep_id=world.rep_a1.id, store_id=store, product_id=p, units=units,
                period_start=wk, period_end=end,  # one week (several: test_rollup_spread.py)
                source="promoter", reported_at=now,
            )
        )  # fmt: skip
    for store, units, band in ((s1, 10, None), (s1, None, "6-20"), (sb, None, "50+")):
        db.session.add(
            CompetitorSellOut(
                id=uuid.uuid4(), rep_id=world.rep_a1.id, store_id=store, competitor_model_id=cm, week_start=wk,
                units=units, band=band, source="rep_estimate", reported_at=now,
            )
        )  # fmt: skip
    db.session.commit()
    got = assert_rebuild_agrees()
    pk, ck = f"p{p}", f"c{cm}"
    assert got["store_sellout_weeks"] == {
        (s1, pk, wk): (0, 7, 2, 0, 0),
        (s2, pk, wk): (0, 5, 1, 0, 0),
        (sb, pk, wk): (0, 2, 1, 0, 0),
        (s1, ck, wk): (0, 0, 0, 23, 2),  # 10 + the band 6-20 at 13
        (sb, ck, wk): (0, 0, 0, 60, 1),  # 50+ counts 60
    }
    assert got["sellout_cells"] == {
        (a, pk, wk): (0, 12, 3, 0, 0),
        (b, pk, wk): (0, 2, 1, 0, 0),
        (NATIONAL, pk, wk): (0, 14, 4, 0, 0),
        (a, ck, wk): (0, 0, 0, 23, 2),
        (b, ck, wk): (0, 0, 0, 60, 1),
        (NATIONAL, ck, wk): (0, 0, 0, 83, 3),
    }


def test_flask_rebuild_channel_recomputes_from_the_raw_rows(app, api, world):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    ship(world.hq, (imei(serial=1), p, ago(40), a, sn))
    register(api(world.clerk_a1), card_body(world, 1, purchase_date=ago(3).isoformat()))
    expected = rollups()
    db.session.execute(ChannelStock.__table__.update().values(sold=99))  # drifted, say
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rebuild-channel"])
    assert result.exit_code == 0, result.output
    assert "1 channel_stock" in result.output and "1 channel_cohorts" in result.output
    db.session.rollback()
    assert rollups() == expected
    assert expected["channel_stock"] == {(a, sn, p): (1, 1)}
