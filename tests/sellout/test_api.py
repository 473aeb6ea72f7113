"""Shop stock counts, declared sell-out and competitors' sell-out estimates through the HTTP API:
created, replayed (200, one row), 409 on other content, each refusal's reason, and who may
record and read what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.core.timeutil import business_today, utcnow
from backend.extensions import db
from backend.sellout import rules
from backend.sellout.models import CompetitorSellOut, SellOutReport, ShopStockCount
from tests.factories import (
    competitor_sellout_body,
    iso,
    new_id,
    sellout_report_body,
    shop_stock_count_body,
)

COUNTS, REPORTS, ESTIMATES = "/api/v1/shop-stock-counts", "/api/v1/sellout-reports", "/api/v1/competitor-sellout"


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def post(client, url, body, status=201):
    r = client.post(url, json=body)
    assert r.status_code == status, r.json
    return r


def refused(client, url, body, status, reason, field=None):
    r = post(client, url, body, status)
    assert r.json["reason"] == reason, r.json
    if field is not None:
        assert field in r.json["errors"]["json"], r.json
    return r


def check_in(client, store) -> str:
    visit = {
        "id": new_id(),
        "store_id": store.id,
        "checked_in_at": iso(utcnow() - timedelta(hours=1)),
        "latitude": store.latitude,
        "longitude": store.longitude,
        "accuracy_m": 10,
    }
    assert client.post("/api/v1/visits", json=visit).status_code == 201
    return visit["id"]


def bodies(world):
    return {
        COUNTS: shop_stock_count_body(world.store_a1.id, world.product.id),
        REPORTS: sellout_report_body(world.store_a1.id, world.product.id),
        ESTIMATES: competitor_sellout_body(world.store_a1.id, world.competitor_model.id),
    }


# --- created, replayed, conflicting -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "model", "change"),
    [
        (COUNTS, ShopStockCount, {"on_hand": 9}),
        (REPORTS, SellOutReport, {"units": 40}),
        (ESTIMATES, CompetitorSellOut, {"units": 2}),
    ],
)
def test_created_then_replayed_then_conflicting(api, world, url, model, change):
    rep = api(world.rep_a1)
    body = bodies(world)[url]
    first = post(rep, url, body, 201)
    assert first.json["id"] == body["id"] and first.json["rep_id"] == world.rep_a1.id
    again = post(rep, url, body, 200)
    assert again.json == first.json
    assert rows(model) == 1
    other = post(rep, url, body | change, 409)
    assert other.json["reason"] == "record.id_taken_other_content"
    assert other.json["params"]["fields"] == sorted(change)
    assert rows(model) == 1


def test_a_count_of_zero_is_out_of_stock_with_a_demo_unit(api, world):
    body = shop_stock_count_body(world.store_a1.id, world.product.id, on_hand=0, demo_unit=True)
    r = post(api(world.rep_a1), COUNTS, body)
    assert (r.json["on_hand"], r.json["demo_unit"], r.json["visit_id"]) == (0, True, None)
    unasked = post(api(world.rep_a1), COUNTS, shop_stock_count_body(world.store_a1.id, world.product.id))
    assert unasked.json["demo_unit"] is None


def test_report_and_estimate_fields_come_back(api, world):
    rep = api(world.rep_a1)
    report = sellout_report_body(
        world.store_a1.id,
        world.product.id,
        units=12,
        period_start="2026-11-23",
        period_end="2026-11-29",
        source="owner",
    )
    r = post(rep, REPORTS, report)
    assert (r.json["units"], r.json["period_start"], r.json["period_end"], r.json["source"]) == (
        12,
        "2026-11-23",
        "2026-11-29",
        "owner",
    )
    band = competitor_sellout_body(world.store_a1.id, world.competitor_model.id, units=None, band="21-50")
    r = post(rep, ESTIMATES, band)
    assert (r.json["units"], r.json["band"], r.json["source"]) == (None, "21-50", "competitor_promoter")


def test_records_in_a_visit(api, world):
    rep = api(world.rep_a1)
    visit = check_in(rep, world.store_a1)
    for url, body in bodies(world).items():
        assert post(rep, url, body | {"visit_id": visit}).json["visit_id"] == visit
        got = rep.get(url, query_string={"visit_id": visit}).json
        assert [x["id"] for x in got] == [body["id"]]
    # A visit at another store, or another rep's visit, is refused.
    elsewhere = check_in(rep, world.store_a1b)
    for url, body in bodies(world).items():
        refused(rep, url, body | {"visit_id": elsewhere}, 422, "visit.other_store", "visit_id")
        refused(api(world.rep_a1b), url, body | {"visit_id": visit}, 404, "visit.not_found", "visit_id")


# --- refusals -------------------------------------------------------------------------------------


def test_unknown_models(api, world):
    rep = api(world.rep_a1)
    b = bodies(world)
    refused(rep, COUNTS, b[COUNTS] | {"product_id": 99_999}, 422, "sellout.unknown_product", "product_id")
    refused(rep, REPORTS, b[REPORTS] | {"product_id": 99_999}, 422, "sellout.unknown_product", "product_id")
    refused(
        rep,
        ESTIMATES,
        b[ESTIMATES] | {"competitor_model_id": 99_999},
        422,
        "sellout.unknown_competitor_model",
        "competitor_model_id",
    )
    assert rows(ShopStockCount) == rows(SellOutReport) == rows(CompetitorSellOut) == 0


def test_estimate_week_and_units_or_band(api, world):
    rep = api(world.rep_a1)
    body = competitor_sellout_body(world.store_a1.id, world.competitor_model.id)
    tuesday = date.fromisoformat(body["week_start"]) + timedelta(days=1)
    refused(rep, ESTIMATES, body | {"week_start": tuesday.isoformat()}, 422, "sellout.week_not_monday", "week_start")
    next_week = rules.week_start(business_today() + timedelta(days=8))
    refused(rep, ESTIMATES, body | {"week_start": next_week.isoformat()}, 422, "sellout.week_future", "week_start")
    this_week = rules.week_start(business_today())
    assert post(rep, ESTIMATES, body | {"id": new_id(), "week_start": this_week.isoformat()}).json["units"] == 8
    refused(rep, ESTIMATES, body | {"band": "1-5"}, 422, "sellout.units_and_band", "units")
    refused(rep, ESTIMATES, body | {"units": None}, 422, "sellout.units_and_band", "units")
    bad_band = post(rep, ESTIMATES, body | {"units": None, "band": "lots"}, 422)
    assert "band" in bad_band.json["errors"]["json"]
    assert rows(CompetitorSellOut) == 1  # this week's


def test_report_periods(api, world, app):
    rep = api(world.rep_a1)
    body = sellout_report_body(world.store_a1.id, world.product.id)
    today = business_today()

    def period(start, end):
        return body | {"period_start": start.isoformat(), "period_end": end.isoformat()}

    refused(rep, REPORTS, period(today - timedelta(days=3), today - timedelta(days=4)), 422, "sellout.period_order")
    refused(rep, REPORTS, period(today - timedelta(days=93), today - timedelta(days=1)), 422, "sellout.period_too_long")
    refused(rep, REPORTS, period(today, today + timedelta(days=2)), 422, "sellout.period_future", "period_end")
    assert rows(SellOutReport) == 0
    post(rep, REPORTS, period(today - timedelta(days=91), today))  # 92 days, both ends counted
    post(rep, REPORTS, period(today, today + timedelta(days=1)) | {"id": new_id()})  # a phone a day ahead


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        (COUNTS, "on_hand", -1),
        (COUNTS, "on_hand", 100_001),
        (COUNTS, "demo_unit", "yes"),
        (REPORTS, "units", -2),
        (REPORTS, "units", 100_001),
        (REPORTS, "source", "rumour"),
        (REPORTS, "period_start", "last week"),
        (ESTIMATES, "units", 100_001),
        (ESTIMATES, "source", "gossip"),
    ],
)
def test_out_of_bounds_fields_are_422(api, world, url, field, value):
    r = post(api(world.rep_a1), url, bodies(world)[url] | {field: value}, 422)
    assert field in r.json["errors"]["json"]


@pytest.mark.parametrize("url", [COUNTS, REPORTS, ESTIMATES])
def test_device_time_in_the_future(api, world, url):
    body = bodies(world)[url]
    field = "counted_at" if url == COUNTS else "reported_at"
    later = iso(utcnow() + timedelta(hours=2))
    refused(api(world.rep_a1), url, body | {field: later}, 422, "device_time.future", field)


# --- who may record and read ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [COUNTS, REPORTS, ESTIMATES])
def test_scope_of_writers(api, world, url):
    body = bodies(world)[url]
    # A rep at a store outside their territory: the same 404 as a store that does not exist.
    refused(api(world.rep_a2), url, body, 404, "store.not_found")
    refused(api(world.manager_b), url, body, 404, "store.not_found")
    for user in (world.clerk_a1, world.hq, world.admin):
        refused(api(user), url, body | {"id": new_id()}, 403, "role.forbidden")
    post(api(world.manager_a), url, body)  # a manager in their region may
    assert post(api(world.rep_a1), url, body | {"id": new_id()}).json["rep_id"] == world.rep_a1.id


@pytest.mark.parametrize("url", [COUNTS, REPORTS, ESTIMATES])
def test_lists_are_scoped_and_newest_first(api, world, url):
    rep, other = api(world.rep_a1), api(world.rep_a1b)
    b = bodies(world)[url]
    field = "counted_at" if url == COUNTS else "reported_at"
    older = post(rep, url, b | {field: iso(utcnow().replace(microsecond=0) - timedelta(hours=3))}).json["id"]
    newer = post(rep, url, b | {"id": new_id()}).json["id"]
    theirs = post(other, url, b | {"id": new_id()}).json["id"]
    assert [x["id"] for x in rep.get(url).json] == [newer, older]  # a rep reads their own
    assert {x["id"] for x in api(world.manager_a).get(url).json} == {older, newer, theirs}
    assert api(world.manager_b).get(url).json == []
    assert len(api(world.hq).get(url).json) == 3
    assert api(world.clerk_a1).get(url).status_code == 403
    assert rep.get(url, query_string={"store_id": world.store_a1b.id}).json == []
    page = api(world.hq).get(url, query_string={"page_size": 1})
    assert page.status_code == 200 and len(page.json) == 1


# --- the store's shop stock -----------------------------------------------------------------------


def test_shop_stock_is_the_latest_count_per_model(api, world):
    from backend.catalogue.models import Product

    n10 = Product(model_code="XL-N10", name="星澜 N10", name_en="Xinglan N10", tac_codes=["86771203"])
    db.session.add(n10)
    db.session.commit()
    rep, other = api(world.rep_a1), api(world.rep_a1b)
    now = utcnow().replace(microsecond=0)
    store = world.store_a1.id

    def count(client, product_id, on_hand, ago, **kw):
        body = shop_stock_count_body(store, product_id, on_hand, counted_at=iso(now - ago), **kw)
        return post(client, COUNTS, body).json["id"]

    count(rep, world.product.id, 7, timedelta(days=2))
    latest_p30 = count(other, world.product.id, 0, timedelta(hours=5), demo_unit=False)  # the latest: out of stock
    count(rep, world.product.id, 4, timedelta(days=1))  # synced later, counted earlier
    count(rep, n10.id, 2, timedelta(hours=1), demo_unit=True)
    latest_n10 = count(rep, n10.id, 5, timedelta(minutes=30))
    count(rep, n10.id, 1, timedelta(days=1))
    post(rep, COUNTS, shop_stock_count_body(world.store_a1b.id, n10.id, 99))  # another store

    r = rep.get("/api/v1/shop-stock", query_string={"store_id": store})
    assert r.status_code == 200, r.json
    assert r.json == [
        {
            "product_id": world.product.id,
            "model_code": "XL-P30",
            "product_name": "星澜 P30",
            "product_name_en": None,
            "on_hand": 0,
            "demo_unit": False,
            "counted_at": (now - timedelta(hours=5)).isoformat() + "+00:00",
            "count_id": latest_p30,
        },
        {
            "product_id": n10.id,
            "model_code": "XL-N10",
            "product_name": "星澜 N10",
            "product_name_en": "Xinglan N10",
            "on_hand": 5,
            "demo_unit": None,
            "counted_at": (now - timedelta(minutes=30)).isoformat() + "+00:00",
            "count_id": latest_n10,
        },
    ]
    # The whole store's counts, whoever counted: the other rep, the manager, HQ and the store's clerk see the same.
    for user in (world.rep_a1b, world.manager_a, world.hq, world.clerk_a1):
        assert api(user).get("/api/v1/shop-stock", query_string={"store_id": store}).json == r.json, user.username
    for user in (world.rep_a2, world.manager_b, world.clerk_b1):
        got = api(user).get("/api/v1/shop-stock", query_string={"store_id": store})
        assert got.status_code == 404 and got.json["reason"] == "store.not_found", user.username
    assert rep.get("/api/v1/shop-stock").status_code == 422  # which store?


def test_same_counted_at_falls_back_to_arrival(api, world):
    rep = api(world.rep_a1)
    at = iso(utcnow().replace(microsecond=0) - timedelta(minutes=10))
    post(rep, COUNTS, shop_stock_count_body(world.store_a1.id, world.product.id, 3, counted_at=at))
    second = post(rep, COUNTS, shop_stock_count_body(world.store_a1.id, world.product.id, 8, counted_at=at)).json
    [row] = rep.get("/api/v1/shop-stock", query_string={"store_id": world.store_a1.id}).json
    assert (row["on_hand"], row["count_id"]) == (8, second["id"])
