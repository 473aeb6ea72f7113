"""Replenishment alerts: a store's count of 0 where the region sells the model, and a region's
weeks of cover below or above the thresholds — raised by the jobs once per (kind, model, store
or region, week), never on noise; listed by scope, acknowledged by HQ or the region's manager.

The rollup rows are written by hand with the figures computed in the comments (the defaults of
backend/config.py: 4 weeks of sales averaged, cover low < 2 weeks at ≥ 2 units a week, high
> 12 weeks with ≥ 30 units, a stock-out where the region sold ≥ 3 units)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from backend.channel import alerts
from backend.channel.figures import business_today, week_of
from backend.channel.models import ChannelAlert
from backend.core.timeutil import business_date, utcnow
from backend.core.transaction import checks_held
from backend.extensions import db
from backend.jobs import periodic
from backend.jobs.models import OutboxJob
from backend.warranty.models import Shipment, ShipmentImport
from tests.factories import iso
from tests.sync.helpers import Device

from .alert_helpers import ALERTS, channel, count, monday, region_sold, settle, store_week


def all_alerts() -> list[ChannelAlert]:
    db.session.rollback()
    return list(db.session.scalars(select(ChannelAlert).order_by(ChannelAlert.id)))


# --- stock-outs ----------------------------------------------------------------------------------


def test_a_count_of_zero_where_the_region_sells_is_a_stock_out_once(api, world):
    r, p, store = world.region_a.id, world.product.id, world.store_a1.id
    region_sold(r, p, card_units=2, declared_units=1)  # 3 units last week: exactly the minimum
    channel(r, p, shipped=50, sold=10, sold_in_window=3)  # stock 40, 3 units in the window
    rep = api(world.rep_a1)
    first = count(rep, store, p, 0)
    [alert] = all_alerts()
    counted_at = utcnow()  # the body's counted_at is 40 minutes ago: the same business week here
    assert alert.kind == "stock_out"
    assert (alert.product_id, alert.region_id, alert.store_id, alert.scope_key) == (p, r, store, f"s{store}")
    assert str(alert.count_id) == first["id"]
    assert alert.week_start == week_of(business_date(counted_at - timedelta(minutes=40)))
    # Evidence: region stock 40; 3 units over 4 weeks = 0.75 a week; 40 / 0.75 = 53.33 weeks.
    assert alert.stock == 40
    assert alert.weekly_sales == pytest.approx(0.75)
    assert alert.cover_weeks == pytest.approx(40 / 0.75)
    assert alert.acknowledged_at is None
    # Counted 0 again the same week, by another rep: still one alert.
    count(api(world.rep_a1b), store, p, 0)
    assert len(all_alerts()) == 1


def test_no_stock_out_on_noise(api, world):
    r, p = world.region_a.id, world.product.id
    region_sold(r, p, card_units=1, declared_units=1)  # 2 units in the window: one short
    region_sold(r, p, card_units=9, weeks_ago=0)  # this week's sales are not a complete week
    region_sold(r, p, card_units=9, weeks_ago=5)  # older than the 4-week window
    region_sold(world.region_b.id, p, card_units=20)  # another region sells it
    rep = api(world.rep_a1)
    count(rep, world.store_a1.id, p, 0)
    assert all_alerts() == []
    region_sold(r, p, card_units=1, weeks_ago=3)  # now 3 units in the window…
    count(rep, world.store_a1.id, p, 2)  # …but the store has 2 on hand
    assert all_alerts() == []


def test_an_older_zero_synced_late_is_not_the_latest_count(api, world):
    r, p, store = world.region_a.id, world.product.id, world.store_a1.id
    region_sold(r, p, card_units=10)
    rep = api(world.rep_a1)
    count(rep, store, p, 4, counted_at=iso(utcnow().replace(microsecond=0) - timedelta(minutes=10)))
    count(rep, store, p, 0, counted_at=iso(utcnow().replace(microsecond=0) - timedelta(hours=2)))
    assert all_alerts() == []  # the store has 4: the 0 was before them
    latest = count(rep, store, p, 0, counted_at=iso(utcnow().replace(microsecond=0) - timedelta(minutes=1)))
    [alert] = all_alerts()
    assert str(alert.count_id) == latest["id"]
    assert alert.stock == 0 and alert.cover_weeks == 0.0  # nothing shipped into the region's channel


def test_a_stock_out_in_a_new_week_is_a_new_alert(app, world):
    """Once per week: the store counted 0 last week and again now, two transactions of one
    session (each asks for its own job), raises two alerts."""
    from backend.jobs import run_ready_jobs
    from backend.sellout.models import ShopStockCount

    r, p, store = world.region_a.id, world.product.id, world.store_a1.id
    region_sold(r, p, card_units=5, weeks_ago=2)
    region_sold(r, p, card_units=5, weeks_ago=3)
    then, now = utcnow() - timedelta(days=7), utcnow() - timedelta(minutes=5)
    for counted_at in (then, now):
        db.session.add(
            ShopStockCount(
                id=uuid.uuid4(), rep_id=world.rep_a1.id, store_id=store, product_id=p, on_hand=0, counted_at=counted_at
            )
        )
        db.session.commit()
        run_ready_jobs()
        wait_without_rollback()  # the session's next transaction starts clean only if its commit said so
    settle()
    assert sorted(a.week_start for a in all_alerts()) == [week_of(business_date(then)), week_of(business_date(now))]
    alerts.check_store_stock(store)  # a run again: nothing new
    assert len(all_alerts()) == 2


def test_a_clerks_store_counts_its_cards_not_its_promoters_declaration_too(api, world):
    """The region's sale of a model, per store-week: the cards where the store registers cards
    (A1 has a clerk), the declaration where it does not (A2). A1's promoter declaring the same 2
    units its cards hold does not make them 4."""
    r, p = world.region_a.id, world.product.id
    a1, a2 = world.store_a1.id, world.store_a2.id
    store_week(a1, p, 1, card_units=2, declared_units=2)  # A1: 2 cards, and its promoter says 2
    db.session.commit()
    # 2 units (not 4): under the minimum of 3, so a 0 at A1b is no stock-out.
    assert alerts.region_units({(r, p)}) == {(r, p): 2}
    count(api(world.rep_a1), world.store_a1b.id, p, 0)
    assert all_alerts() == []
    store_week(a2, p, 2, card_units=0, declared_units=1)  # A2 (no clerk): its declaration counts
    store_week(a1, p, 5, card_units=9)  # older than the 4-week window
    store_week(a1, p, 0, card_units=9)  # this week: not complete
    db.session.commit()
    assert alerts.region_units({(r, p)}) == {(r, p): 3}  # 2 (A1's cards) + 1 (A2's declared)
    count(api(world.rep_a1), world.store_a1b.id, p, 0)
    [alert] = all_alerts()
    assert (alert.store_id, alert.weekly_sales) == (world.store_a1b.id, pytest.approx(3 / 4))  # 0.75 a week


def test_only_the_models_counted_0_now_are_evaluated(api, world):
    """A count of 0 of X asks for X's check only: an old 0 of Y at the same store (latest still,
    no alert then as the region did not sell Y) is not raised because X was counted 0 today."""
    from backend.catalogue.models import Product
    from backend.sellout.models import ShopStockCount

    r, x, store = world.region_a.id, world.product.id, world.store_a1.id
    y = Product(model_code="XL-N10", name="星澜 N10", tac_codes=["86771203"])
    db.session.add(y)
    db.session.commit()
    db.session.execute(  # Y counted 0 two months ago, bypassing the flush hook (no job then)
        insert(ShopStockCount),
        [
            {
                "id": uuid.uuid4(),
                "rep_id": world.rep_a1.id,
                "store_id": store,
                "product_id": y.id,
                "on_hand": 0,
                "counted_at": utcnow() - timedelta(days=60),
                "received_at": utcnow() - timedelta(days=60),
            }
        ],
    )
    region_sold(r, x, card_units=5)
    region_sold(r, y.id, card_units=5)  # the region sells Y now too
    count(api(world.rep_a1), store, x, 0)
    assert [(a.kind, a.product_id) for a in all_alerts()] == [("stock_out", x)]
    jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.name == "backend.channel.alerts:check_store_stock"))
    assert [j.args for j in jobs] == [[store, [x]]]
    # Without the models (a job recorded before they were passed): every latest 0, Y's too.
    assert [a.product_id for a in alerts.stock_out_alerts(store)] == [y.id]


def wait_without_rollback(timeout: float = 60.0) -> None:
    """Until no alert job is open, read on a connection of its own (the test's session untouched)."""
    import time

    from backend.jobs.models import OPEN_STATES

    deadline = time.monotonic() + timeout
    stmt = select(func.count()).where(OutboxJob.name.like("backend.channel.alerts:%"), OutboxJob.state.in_(OPEN_STATES))
    while True:
        with db.engine.connect() as conn:
            if not conn.scalar(stmt):
                return
        assert time.monotonic() < deadline, "an alert job is still open"
        time.sleep(0.05)


# --- weeks of cover --------------------------------------------------------------------------------


def test_cover_low_and_high_by_hand_once_a_week(app, world):
    from backend.catalogue.models import Product

    p = world.product.id
    n10 = Product(model_code="XL-N10", name="星澜 N10", tac_codes=["86771203"])
    m20 = Product(model_code="XL-M20", name="星澜 M20", tac_codes=["86771204"])
    db.session.add_all([n10, m20])
    db.session.commit()
    ra, rb = world.region_a.id, world.region_b.id
    channel(ra, p, shipped=60, sold=53, sold_in_window=16)  # stock 7, 4 a week: 1.75 weeks → low
    channel(rb, p, shipped=100, sold=51, sold_in_window=16)  # stock 49, 4 a week: 12.25 weeks → high
    channel(ra, n10.id, shipped=50, sold=42, sold_in_window=16)  # stock 8: exactly 2.0 weeks → none
    channel(rb, n10.id, shipped=40, sold=11, sold_in_window=4)  # stock 29, 1 a week: 29 weeks but < 30 units → none
    channel(ra, m20.id, shipped=10, sold=9, sold_in_window=7)  # stock 1, 1.75 a week: < 2 a week → none
    channel(rb, m20.id, shipped=300, sold=0, sold_in_window=0)  # nothing sells: no cover → none

    raised = alerts.cover_alerts()
    db.session.commit()
    got = {(a.kind, a.region_id, a.product_id): a for a in all_alerts()}
    assert set(got) == {("cover_low", ra, p), ("cover_high", rb, p)}
    low, high = got[("cover_low", ra, p)], got[("cover_high", rb, p)]
    this_week = week_of(business_today())
    assert (low.scope_key, low.week_start, low.store_id, low.count_id) == (f"r{ra}", this_week, None, None)
    assert (low.stock, low.weekly_sales, low.cover_weeks) == (7, 4.0, 1.75)
    assert (high.stock, high.weekly_sales, high.cover_weeks) == (49, 4.0, 12.25)
    assert len(raised) == 2
    # Again, and by the housekeeping task: once per (kind, model, region, week).
    assert alerts.cover_alerts() == []
    assert periodic.run_task("channel-alerts", force=True) == "0 cover alerts raised"
    assert len(all_alerts()) == 2


def _an_import(world) -> ShipmentImport:
    imp = ShipmentImport(filename="s.csv", path="/nonexistent", sha256="0" * 64, total_bytes=1, created_by=world.hq.id)
    db.session.add(imp)
    db.session.commit()
    return imp


def _unit(world, imp: ShipmentImport, serial: int) -> dict:
    """A shipment row as the import loader inserts it (a Core INSERT), shipped 3 days ago."""
    return {
        "imei": f"860123456{serial:06d}",
        "product_id": world.product.id,
        "ship_date": business_today() - timedelta(days=3),
        "region_id": world.region_a.id,
        "partner_id": None,
        "import_id": imp.id,
        "line": serial + 2,
    }


def test_new_shipments_ask_for_the_cover_check(app, world):
    """The import loader's bulk INSERT into shipments (a Core statement) records the job."""
    imp = _an_import(world)
    assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 0
    db.session.execute(insert(Shipment), [_unit(world, imp, i) for i in range(3)])
    db.session.commit()
    from backend.jobs import run_ready_jobs

    run_ready_jobs()
    settle()
    names = db.session.scalars(select(OutboxJob.name)).all()
    assert names == ["backend.channel.alerts:check_cover"]


def test_a_held_load_asks_for_no_check(app, world):
    """Inside `core.transaction.checks_held` (the demo seed's load, whose rollups are rebuilt at
    its end) neither shipments nor a count of 0 ask for a job; after it, the next write does."""
    from backend.sellout.models import ShopStockCount

    imp = _an_import(world)

    def ship(i):
        db.session.execute(insert(Shipment), [_unit(world, imp, i)])

    def zero():
        now = utcnow()
        db.session.add(
            ShopStockCount(
                id=uuid.uuid4(),
                rep_id=world.rep_a1.id,
                store_id=world.store_a1.id,
                product_id=world.product.id,
                on_hand=0,
                counted_at=now,
                received_at=now,
            )
        )

    with checks_held(db.session):
        ship(0)
        zero()
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 0
    ship(1)
    db.session.commit()
    assert db.session.scalars(select(OutboxJob.name)).all() == ["backend.channel.alerts:check_cover"]


def test_raise_all_for_seeded_data(app, world):
    from backend.sellout.models import ShopStockCount

    r, p = world.region_a.id, world.product.id
    region_sold(r, p, card_units=4)
    region_sold(world.region_b.id, p, card_units=2)  # region B: too few for a stock-out
    channel(r, p, shipped=60, sold=53, sold_in_window=16)  # cover low
    now = utcnow()

    def row(store, on_hand, hours_ago):
        return {
            "id": uuid.uuid4(),
            "rep_id": world.rep_a1.id,
            "store_id": store.id,
            "product_id": p,
            "on_hand": on_hand,
            "counted_at": now - timedelta(hours=hours_ago),
            "received_at": now,
        }

    # Written without a flush hook's job (as a bulk seed would): raise_all finds the zeros that are
    # their store's latest count.
    rows = [
        row(world.store_a1, 0, 1),  # A1: out → alert
        row(world.store_a1, 5, 3),
        row(world.store_a2, 0, 3),  # A2: 0, then 2 counted later → nothing
        row(world.store_a2, 2, 1),
        row(world.store_a1b, 0, 2),  # A1b: out → alert
        row(world.store_b1, 0, 1),  # B1: out, but region B sold 2 → nothing
    ]
    db.session.execute(insert(ShopStockCount), rows)
    db.session.commit()
    zeros = alerts.latest_zero_counts()
    assert sorted(str(z.id) for z in zeros) == sorted(str(rows[i]["id"]) for i in (0, 4, 5))
    assert alerts.region_units({(r, p), (world.region_b.id, p)}) == {(r, p): 4, (world.region_b.id, p): 2}
    assert alerts.raise_all() == 3
    got = sorted((a.kind, a.store_id) for a in all_alerts())
    assert got == sorted([("cover_low", None), ("stock_out", world.store_a1.id), ("stock_out", world.store_a1b.id)])
    assert alerts.raise_all() == 0


# --- listing and acknowledging ------------------------------------------------------------------


@pytest.fixture
def three_alerts(api, world):
    """A stock-out at store A1 (territory GZ-TH), one at store A2 (GZ-YX), cover low in region B."""
    p = world.product.id
    region_sold(world.region_a.id, p, card_units=6)
    count(api(world.rep_a1), world.store_a1.id, p, 0)
    count(api(world.rep_a2), world.store_a2.id, p, 0)
    channel(world.region_b.id, p, shipped=60, sold=53, sold_in_window=16)
    alerts.cover_alerts()
    db.session.commit()
    by = {(a.kind, a.store_id or a.region_id): a.id for a in all_alerts()}
    return {
        "a1": by[("stock_out", world.store_a1.id)],
        "a2": by[("stock_out", world.store_a2.id)],
        "low_b": by[("cover_low", world.region_b.id)],
    }


def ids(r) -> list[int]:
    assert r.status_code == 200, r.json
    return [row["id"] for row in r.json]


def test_who_sees_which_alerts(api, world, three_alerts):
    a1, a2, low_b = three_alerts["a1"], three_alerts["a2"], three_alerts["low_b"]
    hq = api(world.hq)
    assert ids(hq.get(ALERTS)) == [low_b, a2, a1]  # newest first
    assert ids(hq.get(ALERTS, query_string={"kind": "stock_out"})) == [a2, a1]
    assert ids(hq.get(ALERTS, query_string={"region_id": world.region_b.id})) == [low_b]
    assert ids(hq.get(ALERTS, query_string={"store_id": world.store_a1.id})) == [a1]
    assert ids(api(world.manager_a).get(ALERTS)) == [a2, a1]
    assert ids(api(world.manager_b).get(ALERTS)) == [low_b]
    assert ids(api(world.rep_a1).get(ALERTS)) == [a1]  # their territory's stock-outs only
    assert ids(api(world.rep_a2).get(ALERTS)) == [a2]
    assert ids(api(world.rep_b1).get(ALERTS)) == []  # region B's cover alert is not a rep's
    r = api(world.manager_b).get(ALERTS, query_string={"region_id": world.region_a.id})
    assert r.status_code == 404 and r.json["reason"] == "region.not_found"
    r = api(world.rep_a1).get(ALERTS, query_string={"store_id": world.store_a2.id})
    assert r.status_code == 404 and r.json["reason"] == "store.not_found"
    r = api(world.clerk_a1).get(ALERTS)
    assert r.status_code == 403 and r.json["reason"] == "role.forbidden"
    r = hq.get(ALERTS, query_string={"kind": "overstock"})
    assert r.status_code == 422
    row = hq.get(ALERTS, query_string={"store_id": world.store_a1.id}).json[0]
    assert row["kind"] == "stock_out"
    assert (row["model_code"], row["product_name"], row["region_name"]) == ("XL-P30", "星澜 P30", "广东大区")
    assert row["product_name_en"] == "星澜 P30"  # no English name: the name, as the channel's screens say it
    assert row["store_name"] == "苏宁易购 天河城店"
    assert row["week_start"] == monday(0).isoformat() or row["week_start"] == monday(1).isoformat()
    assert row["acknowledged_at"] is None and row["count_id"]
    low = hq.get(ALERTS, query_string={"kind": "cover_low"}).json[0]
    assert (low["stock"], low["weekly_sales"], low["cover_weeks"], low["store_name"]) == (7, 4.0, 1.75, None)


def test_acknowledging(api, world, three_alerts):
    a1, low_b = three_alerts["a1"], three_alerts["low_b"]
    url = f"{ALERTS}/{a1}/acknowledge"
    r = api(world.rep_a1).post(url)
    assert r.status_code == 403 and r.json["reason"] == "role.forbidden"
    r = api(world.manager_b).post(url)  # not their region
    assert r.status_code == 404 and r.json["reason"] == "alert.not_found"
    r = api(world.manager_a).post(url)
    assert r.status_code == 200, r.json
    assert r.json["acknowledged_at"] and r.json["acknowledged_by"] == world.manager_a.id
    r = api(world.hq).post(url)
    assert r.status_code == 409 and r.json["reason"] == "alert.acknowledged"
    assert api(world.hq).post(f"{ALERTS}/{low_b}/acknowledge").status_code == 200
    assert api(world.hq).post(f"{ALERTS}/999999/acknowledge").json["reason"] == "alert.not_found"
    hq = api(world.hq)
    assert ids(hq.get(ALERTS, query_string={"acknowledged": "false"})) == [three_alerts["a2"]]
    assert sorted(ids(hq.get(ALERTS, query_string={"acknowledged": "true"}))) == sorted([a1, low_b])


# --- the channel_alert sync entity ----------------------------------------------------------------


def alert_items(device: Device, cursor=None):
    items, cursor, _ = device.pull_all(cursor)
    return [i for i in items if i["entity"] == "channel_alert"], cursor


def test_stock_outs_reach_the_reps_of_the_store_by_pull(api, world, three_alerts):
    a1, a2 = three_alerts["a1"], three_alerts["a2"]
    rep = Device(api(world.rep_a1))
    got, cursor = alert_items(rep)
    assert [i["id"] for i in got] == [str(a1)]
    data = got[0]["data"]
    assert data["kind"] == "stock_out" and data["store_id"] == world.store_a1.id
    assert data["product_id"] == world.product.id and data["acknowledged_at"] is None
    assert set(data) == {
        "id",
        "kind",
        "product_id",
        "region_id",
        "store_id",
        "week_start",
        "stock",
        "weekly_sales",
        "cover_weeks",
        "count_id",
        "created_at",
        "acknowledged_at",
    }
    assert [i["id"] for i in alert_items(Device(api(world.rep_a2)))[0]] == [str(a2)]
    assert alert_items(Device(api(world.rep_b1)))[0] == []  # another region: nothing
    assert alert_items(Device(api(world.clerk_a1)))[0] == []
    assert sorted(i["id"] for i in alert_items(Device(api(world.manager_a)))[0]) == sorted([str(a1), str(a2)])
    assert sorted(i["id"] for i in alert_items(Device(api(world.hq)))[0]) == sorted([str(a1), str(a2)])  # no cover

    # Acknowledged: the change reaches the rep with its time; another territory's rep hears nothing.
    other = Device(api(world.rep_a2))
    _, other_cursor = alert_items(other)
    assert api(world.manager_a).post(f"{ALERTS}/{a1}/acknowledge").status_code == 200
    changed, _ = alert_items(rep, cursor)
    assert [(i["id"], i["op"]) for i in changed] == [(str(a1), "put")]
    assert changed[0]["data"]["acknowledged_at"] is not None
    assert alert_items(other, other_cursor)[0] == []
    # A new stock-out at the rep's store arrives as a change too.
    from backend.catalogue.models import Product

    n10 = Product(model_code="XL-N10", name="星澜 N10", tac_codes=["86771203"])
    db.session.add(n10)
    db.session.commit()
    region_sold(world.region_a.id, n10.id, card_units=3)
    _, cursor = alert_items(rep)
    count(api(world.rep_a1b), world.store_a1.id, n10.id, 0)
    new, _ = alert_items(rep, cursor)
    assert [(i["data"]["product_id"], i["data"]["store_id"]) for i in new] == [(n10.id, world.store_a1.id)]
    # A fresh snapshot holds the open ones only.
    assert {i["data"]["product_id"] for i in alert_items(Device(api(world.rep_a1)))[0]} == {n10.id}


def test_a_zero_pushed_offline_comes_back_as_an_alert_on_the_next_pull(api, world):
    """The rep's phone: `shop_stock.count` with 0 in a sync push (a refused mutation beside it),
    the job raises the stock-out, the phone's next pull brings it back."""
    from tests.factories import shop_stock_count_body

    region_sold(world.region_a.id, world.product.id, card_units=3)
    phone = Device(api(world.rep_a1))
    _, cursor, _ = phone.pull_all()
    zero = shop_stock_count_body(world.store_a1.id, world.product.id, 0)
    elsewhere = shop_stock_count_body(world.store_b1.id, world.product.id, 0)  # not the rep's store
    r = phone.push([phone.mutation("shop_stock.count", zero), phone.mutation("shop_stock.count", elsewhere)])
    assert r.status_code == 200, r.json
    assert [m["status"] for m in r.json["results"]] == ["applied", "rejected"], r.json
    settle()
    [alert] = all_alerts()
    assert (alert.store_id, str(alert.count_id)) == (world.store_a1.id, zero["id"])
    got, _ = alert_items(phone, cursor)
    assert [(i["op"], i["data"]["count_id"]) for i in got] == [("put", zero["id"])]


def test_end_to_end_an_import_then_a_card_raise_cover_high(api, world):
    """Through the real rollups: 40 units of P30 shipped into region A (the loader's INSERT), no
    sales yet — no cover, no alert; then one card registered at a store of the region, bought 8
    days ago (the last complete weeks): stock 39, 1 unit over 4 weeks = 0.25 a week, 156 weeks of
    cover > 12 with 39 ≥ 30 units — cover_high, raised by the job the card asked for."""
    from tests.factories import P30_TAC
    from tests.factories import imei as make_imei
    from tests.warranty.helpers import card_body, days_ago, register

    imp = ShipmentImport(filename="s.csv", path="/nonexistent", sha256="0" * 64, total_bytes=1, created_by=world.hq.id)
    db.session.add(imp)
    db.session.commit()
    rows = [
        {
            "imei": make_imei(P30_TAC, serial),
            "product_id": world.product.id,
            "ship_date": business_today() - timedelta(days=60),
            "region_id": world.region_a.id,
            "partner_id": world.partner.id,
            "import_id": imp.id,
            "line": serial + 1,
        }
        for serial in range(1, 41)
    ]
    db.session.execute(insert(Shipment), rows)
    db.session.commit()
    settle()
    assert all_alerts() == []
    register(api(world.clerk_a1), card_body(world, 7, purchase_date=days_ago(8)))
    settle()
    [alert] = all_alerts()
    assert (alert.kind, alert.region_id, alert.product_id, alert.scope_key) == (
        "cover_high",
        world.region_a.id,
        world.product.id,
        f"r{world.region_a.id}",
    )
    assert (alert.stock, alert.weekly_sales, alert.cover_weeks) == (39, 0.25, 156.0)
    assert alert.week_start == week_of(business_today())
