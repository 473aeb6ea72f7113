"""Sell-out capture through sync: pushed offline and resent, applied exactly once; refused with
the same reason as REST; pulled back by the rep who made the records (and their managers, HQ)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from backend.extensions import db
from backend.sellout.models import CompetitorSellOut, SellOutReport, ShopStockCount
from backend.sync.models import SyncChange
from tests.factories import competitor_sellout_body, sellout_report_body, shop_stock_count_body
from tests.sync.helpers import Device, check_in_args, snapshot

ENTITY = {
    "shop_stock.count": "shop_stock_count",
    "sellout.report": "sellout_report",
    "sellout.competitor": "competitor_sellout",
}


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def statuses(resp) -> list[str]:
    assert resp.status_code == 200, resp.json
    return [r["status"] for r in resp.json["results"]]


def a_visit_of_captures(world, visit_id: str) -> list[tuple[str, dict]]:
    store, product = world.store_a1.id, world.product.id
    return [
        ("shop_stock.count", shop_stock_count_body(store, product, 0, visit_id=visit_id, demo_unit=True)),
        ("sellout.report", sellout_report_body(store, product, 6, visit_id=visit_id)),
        ("sellout.competitor", competitor_sellout_body(store, world.competitor_model.id, visit_id=visit_id)),
        (
            "sellout.competitor",
            competitor_sellout_body(store, world.competitor_model.id, units=None, band="50+", visit_id=visit_id),
        ),
    ]


def test_a_visit_pushed_twice_is_recorded_once(api, world):
    visit = check_in_args(world.store_a1)
    captures = a_visit_of_captures(world, visit["id"])
    device = Device(api(world.rep_a1))
    batch = [device.mutation("visit.check_in", visit)] + [device.mutation(n, a) for n, a in captures]
    assert statuses(device.push(batch)) == ["applied"] * 5
    # The phone never heard the answer and sends the same envelope again: already applied.
    assert statuses(device.push(batch)) == ["duplicate"] * 5
    # A reinstalled app (new client id) queues the same records again: the ids make them once.
    again = Device(api(world.rep_a1))
    assert statuses(again.push([again.mutation(n, a) for n, a in captures])) == ["applied"] * 4
    assert (rows(ShopStockCount), rows(SellOutReport), rows(CompetitorSellOut)) == (1, 1, 2)
    count = db.session.get(ShopStockCount, uuid.UUID(captures[0][1]["id"]))
    assert (count.on_hand, count.demo_unit, str(count.visit_id)) == (0, True, visit["id"])
    # One change-log row per record (the replays logged nothing).
    logged = db.session.scalars(select(SyncChange.entity).where(SyncChange.entity.in_(ENTITY.values()))).all()
    assert sorted(logged) == sorted(["shop_stock_count", "sellout_report", "competitor_sellout", "competitor_sellout"])


def test_refusals_say_why_and_the_rest_apply(api, world):
    device = Device(api(world.rep_a1))
    store, product = world.store_a1.id, world.product.id
    good = shop_stock_count_body(store, product, 2)
    monday = competitor_sellout_body(store, world.competitor_model.id)
    tuesday = (date.fromisoformat(monday["week_start"]) + timedelta(days=1)).isoformat()
    report = sellout_report_body(store, product)
    pushed = [
        ("shop_stock.count", good),
        ("shop_stock.count", good | {"on_hand": 5}),  # the same id, other content
        ("shop_stock.count", shop_stock_count_body(store, 99_999)),
        ("shop_stock.count", shop_stock_count_body(world.store_b1.id, product)),  # outside the territory
        ("sellout.report", report | {"period_end": report["period_start"], "period_start": report["period_end"]}),
        ("sellout.competitor", monday | {"week_start": tuesday}),
        ("sellout.competitor", monday | {"band": "6-20"}),
        ("sellout.competitor", monday | {"units": -1}),
        ("sellout.report", report),
    ]
    r = device.push([device.mutation(n, a) for n, a in pushed])
    assert statuses(r) == ["applied"] + ["rejected"] * 7 + ["applied"]
    errors = [(x["error"]["code"], x["error"].get("reason"), x["error"].get("field")) for x in r.json["results"][1:-1]]
    assert errors == [
        ("conflict", "record.id_taken_other_content", None),
        ("invalid", "sellout.unknown_product", "product_id"),
        ("not_found", "store.not_found", "store_id"),
        ("invalid", "sellout.period_order", "period_end"),
        ("invalid", "sellout.week_not_monday", "week_start"),
        ("invalid", "sellout.units_and_band", "units"),
        ("invalid", "invalid_value", "units"),
    ]
    assert (rows(ShopStockCount), rows(SellOutReport), rows(CompetitorSellOut)) == (1, 1, 0)
    assert db.session.get(ShopStockCount, uuid.UUID(good["id"])).on_hand == 2


def test_the_rep_pulls_their_records_as_rest_shows_them(api, world):
    visit = check_in_args(world.store_a1)
    captures = a_visit_of_captures(world, visit["id"])
    rep = api(world.rep_a1)
    device = Device(rep)
    assert statuses(
        device.push([device.mutation("visit.check_in", visit)] + [device.mutation(n, a) for n, a in captures])
    )
    got = snapshot(Device(rep))
    paths = {
        "shop_stock_count": "shop-stock-counts",
        "sellout_report": "sellout-reports",
        "competitor_sellout": "competitor-sellout",
    }
    for name, args in captures:
        entity = ENTITY[name]
        listed = {x["id"]: x for x in rep.get(f"/api/v1/{paths[entity]}").json}
        assert got[(entity, args["id"])]["data"] == listed[args["id"]], entity
    # Another rep of the same territory does not get them (RECORD audience: their maker's);
    # the region's manager and HQ do; the other region's manager does not.
    ids = {a["id"] for _n, a in captures}
    for user, sees in ((world.rep_a1b, False), (world.manager_a, True), (world.hq, True), (world.manager_b, False)):
        keys = {k[1] for k in snapshot(Device(api(user))) if k[0] in ENTITY.values()}
        assert (keys == ids) if sees else (keys == set()), user.username
    # And the stream: a later count reaches the rep's phone by its cursor.
    _items, cursor, _last = device.pull_all(None)
    later = shop_stock_count_body(world.store_a1.id, world.product.id, 4)
    assert statuses(device.push([device.mutation("shop_stock.count", later)])) == ["applied"]
    items, _c, _l = device.pull_all(cursor)
    assert [(i["entity"], i["id"], i["data"]["on_hand"]) for i in items if i["entity"] == "shop_stock_count"] == [
        ("shop_stock_count", later["id"], 4)
    ]
