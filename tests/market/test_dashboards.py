"""HQ's market dashboards: price trends from the rollups (median, min, max, count, promotions) by
region or nationwide, our model next to its rivals; promotions seen; store openings and closings;
promo-material use by region. A manager reads their own region only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from backend.catalogue.models import CompetitorModel
from backend.core.timeutil import utcnow
from backend.extensions import db
from tests.factories import iso, new_id
from tests.market.helpers import local, monday, observe, settle

pytestmark = pytest.mark.usefixtures("rq_worker")

TRENDS = "/api/v1/market/price-trends"
PROMOTIONS = "/api/v1/market/promotions"
CHANGES = "/api/v1/market/store-changes"
MATERIALS = "/api/v1/market/material-use"


@pytest.fixture
def prices(api, world):
    """Two ISO weeks of prices (the week before last, B; last week, L):

    Reno 12 (OPPO), region A — B: 2650, 2699, 2699, 2700; L: 2599→2399 promoted, 2420,
    2450 with a promotion text, 2480. Region B — L: 1999.
    Find X (OPPO, not a rival of our P30), region A — L: 4999.
    Our P30, region A — L: 2999, 2899 with a promotion text on Tuesday, 2999→2799 on Wednesday.
    """
    w = world
    find_x = CompetitorModel(brand_id=w.brand.id, name="Find X")
    db.session.add(find_x)
    db.session.commit()
    rep, manager = api(w.rep_a1), api(w.manager_a)
    cm = w.competitor_model
    before, last = monday(2), monday(1)
    for i, (client, store, price) in enumerate(
        [
            (rep, w.store_a1, "2650"),
            (rep, w.store_a1b, "2699"),
            (manager, w.store_a2, "2699"),
            (rep, w.store_a1, "2700"),
        ]
    ):
        observe(client, store, local(before + timedelta(days=i), 11), price, competitor_model=cm)
    observe(rep, w.store_a1, local(last, 15), "2599", competitor_model=cm, promo="2399")
    observe(rep, w.store_a1b, local(last + timedelta(days=1), 15), "2420", competitor_model=cm)
    observe(
        manager, w.store_a2, local(last + timedelta(days=2), 15), "2450", competitor_model=cm, promo_text="送碎屏险"
    )
    observe(rep, w.store_a1b, local(last + timedelta(days=3), 15), "2480", competitor_model=cm)
    observe(api(w.rep_b1), w.store_b1, local(last + timedelta(days=2), 10), "1999", competitor_model=cm)
    observe(rep, w.store_a1, local(last + timedelta(days=1), 16), "4999", competitor_model=find_x)
    observe(rep, w.store_a1, local(last + timedelta(days=1), 10), "2999", product=w.product)
    observe(rep, w.store_a1b, local(last + timedelta(days=1), 12), "2899", product=w.product, promo_text="赠耳机")
    observe(rep, w.store_a1, local(last + timedelta(days=2), 10), "2999", product=w.product, promo="2799")
    settle()
    return {"before": before, "last": last, "find_x": find_x}


def trend(client, status=200, **query):
    r = client.get(TRENDS, query_string=query)
    assert r.status_code == status, r.json
    return r.json


def table(rows) -> dict:
    return {
        (r["model_key"], r["period_start"]): (r["n"], r["n_promo"], r["median"], r["min"], r["max"], r["mean"])
        for r in rows
    }


def test_weekly_trend_of_a_competitor_model_by_region_and_nationwide(api, world, prices):
    cm, b, last = world.competitor_model, prices["before"].isoformat(), prices["last"].isoformat()
    key = f"c{cm.id}"
    hq = api(world.hq)
    region_a = trend(hq, region_id=world.region_a.id, competitor_model_id=cm.id)
    assert table(region_a) == {
        (key, b): (4, 0, "2699.00", "2650.00", "2700.00", "2687.00"),
        (key, last): (4, 2, "2435.00", "2399.00", "2480.00", "2437.25"),
    }
    row = region_a[0]
    assert (row["period"], row["region_id"], row["competitor_model_id"], row["product_id"]) == (
        "week",
        world.region_a.id,
        cm.id,
        None,
    )
    assert (row["brand_id"], row["brand"], row["model"], row["ours"]) == (world.brand.id, "OPPO", "OPPO Reno 12", False)
    # the names in English: name_en where there is one, else the name
    assert (row["brand_en"], row["model_en"]) == ("OPPO", "OPPO Reno 12")
    world.brand.name_en, cm.name_en = "Oppo", "Reno Twelve"
    db.session.commit()
    row = trend(hq, region_id=world.region_a.id, competitor_model_id=cm.id)[0]
    assert (row["brand"], row["model"], row["brand_en"], row["model_en"]) == (
        "OPPO",
        "OPPO Reno 12",
        "Oppo",
        "Oppo Reno Twelve",
    )
    # Nationwide (region 0, the default for HQ) adds region B's 1999.
    nationwide = trend(hq, competitor_model_id=cm.id)
    assert table(nationwide) == {
        (key, b): (4, 0, "2699.00", "2650.00", "2700.00", "2687.00"),
        (key, last): (5, 2, "2420.00", "1999.00", "2480.00", "2349.60"),
    }
    assert {r["region_id"] for r in nationwide} == {0}
    assert table(trend(hq, region_id=0, competitor_model_id=cm.id)) == table(nationwide)
    assert table(trend(hq, region_id=world.region_b.id, competitor_model_id=cm.id)) == {
        (key, last): (1, 0, "1999.00", "1999.00", "1999.00", "1999.00"),
    }


def test_daily_trend(api, world, prices):
    cm, last = world.competitor_model, prices["last"]
    rows = trend(
        api(world.hq), period="day", region_id=world.region_a.id, competitor_model_id=cm.id, since=last.isoformat()
    )
    assert [(r["period"], r["period_start"], r["n"], r["median"]) for r in rows] == [
        ("day", last.isoformat(), 1, "2399.00"),
        ("day", (last + timedelta(days=1)).isoformat(), 1, "2420.00"),
        ("day", (last + timedelta(days=2)).isoformat(), 1, "2450.00"),
        ("day", (last + timedelta(days=3)).isoformat(), 1, "2480.00"),
    ]


def test_our_model_next_to_its_rivals(api, world, prices):
    w, last = world, prices["last"].isoformat()
    r = api(w.admin).patch(f"/api/v1/products/{w.product.id}", json={"rival_model_ids": [w.competitor_model.id]})
    assert r.status_code == 200, r.json
    hq = api(w.hq)
    ours = trend(hq, product_id=w.product.id)
    assert table(ours) == {(f"p{w.product.id}", last): (3, 2, "2899.00", "2799.00", "2999.00", "2899.00")}
    assert (ours[0]["ours"], ours[0]["brand"], ours[0]["model"], ours[0]["brand_id"]) == (True, None, "星澜 P30", None)
    keys = {r["model_key"] for r in trend(hq, product_id=w.product.id, with_rivals="true")}
    assert keys == {f"p{w.product.id}", f"c{w.competitor_model.id}"}  # not Find X
    assert {r["model_key"] for r in trend(hq)} == {
        f"p{w.product.id}",
        f"c{w.competitor_model.id}",
        f"c{prices['find_x'].id}",
    }
    assert {r["model_key"] for r in trend(hq, ours_only="true")} == {f"p{w.product.id}"}
    assert {r["model_key"] for r in trend(hq, brand_id=w.brand.id)} == {
        f"c{w.competitor_model.id}",
        f"c{prices['find_x'].id}",
    }
    trend(hq, 404, product_id=99999, with_rivals="true")


def test_trend_date_range(api, world, prices):
    hq, cm = api(world.hq), world.competitor_model
    before, last = prices["before"], prices["last"]
    # A range within a week includes that week.
    thursday = (before + timedelta(days=3)).isoformat()
    rows = trend(hq, competitor_model_id=cm.id, since=thursday, until=thursday)
    assert [r["period_start"] for r in rows] == [before.isoformat()]
    rows = trend(hq, competitor_model_id=cm.id, since=last.isoformat())
    assert [r["period_start"] for r in rows] == [last.isoformat()]
    r = hq.get(TRENDS, query_string={"since": last.isoformat(), "until": before.isoformat()})
    assert r.status_code == 422 and "since" in r.json["errors"]["query"]
    r = hq.get(TRENDS, query_string={"period": "month"})
    assert r.status_code == 422 and "period" in r.json["errors"]["query"]


def test_trends_access(api, world, prices):
    w, cm = world, world.competitor_model
    mine = trend(api(w.manager_a), competitor_model_id=cm.id)  # a manager's default: their region
    assert {r["region_id"] for r in mine} == {w.region_a.id} and len(mine) == 2
    assert trend(api(w.manager_a), region_id=w.region_a.id, competitor_model_id=cm.id) == mine
    assert trend(api(w.manager_a), 404, region_id=w.region_b.id)["status"] == 404
    assert trend(api(w.manager_a), 404, region_id=0)["status"] == 404  # nationwide is HQ's
    assert {r["region_id"] for r in trend(api(w.manager_b), competitor_model_id=cm.id)} == {w.region_b.id}
    assert trend(api(w.hq), 404, region_id=99999)["status"] == 404
    assert len(trend(api(w.admin), competitor_model_id=cm.id)) == 2
    assert api(w.rep_a1).get(TRENDS).status_code == 403
    assert api(w.clerk_a1).get(TRENDS).status_code == 403


# --- promotions -------------------------------------------------------------------------------------


def promotions(client, status=200, **query):
    r = client.get(PROMOTIONS, query_string=query)
    assert r.status_code == status, r.json
    return r.json


def test_promotions_seen(api, world, prices):
    last = prices["last"]
    rows = promotions(api(world.hq))
    assert [(r["model"], r["brand"], r["shelf_price"], r["promo_price"], r["promo_text"]) for r in rows] == [
        ("Reno 12", "OPPO", "2450.00", None, "送碎屏险"),  # newest first
        ("星澜 P30", None, "2999.00", "2799.00", ""),
        ("星澜 P30", None, "2899.00", None, "赠耳机"),
        ("Reno 12", "OPPO", "2599.00", "2399.00", ""),
    ]
    assert rows[0]["store_id"] == world.store_a2.id and rows[0]["store_name"] == world.store_a2.name
    assert rows[-1]["observed_at"].startswith(local(last, 15).isoformat())
    assert [r["model"] for r in promotions(api(world.hq), brand_id=world.brand.id)] == ["Reno 12", "Reno 12"]
    one_day = (last + timedelta(days=1)).isoformat()
    assert [r["promo_text"] for r in promotions(api(world.hq), since=one_day, until=one_day)] == ["赠耳机"]
    assert promotions(api(world.hq), region_id=world.region_b.id) == []
    assert len(promotions(api(world.manager_a))) == 4
    assert promotions(api(world.manager_b)) == []
    promotions(api(world.manager_b), 404, region_id=world.region_a.id)
    assert api(world.rep_a1).get(PROMOTIONS).status_code == 403
    page = api(world.hq).get(PROMOTIONS, query_string={"page_size": 3})
    assert len(page.json) == 3 and '"total": 4' in page.headers["X-Pagination"]


# --- store openings and closings ---------------------------------------------------------------------


def intel(client, kind, where, status=201, store=None, days_ago=1):
    body = {
        "id": new_id(),
        "kind": kind,
        "name": f"{kind} 店",
        "latitude": where[0],
        "longitude": where[1],
        "reported_at": iso(utcnow().replace(microsecond=0) - timedelta(days=days_ago)),
    }
    if store is not None:
        body["store_id"] = store.id
    r = client.post("/api/v1/intel-reports", json=body)
    assert r.status_code == status, r.json
    return r.json["id"]


def test_store_openings_and_closings(api, world):
    w = world
    rep = api(w.rep_a1)
    here = (w.store_a1.latitude + 0.01, w.store_a1.longitude)
    made = {
        "new": intel(rep, "new_store", here, days_ago=5),
        "opening": intel(rep, "opening", here, days_ago=4),
        "closing": intel(rep, "closing", (w.store_a1.latitude, w.store_a1.longitude), store=w.store_a1, days_ago=3),
        "moving": intel(rep, "moving", here, store=w.store_a1b, days_ago=2),
        "b1": intel(api(w.rep_b1), "closing", (w.store_b1.latitude, w.store_b1.longitude), store=w.store_b1),
    }
    intel(rep, "renovation", here, store=w.store_a1)  # not a store change
    intel(rep, "new_competitor_counter", here)
    r = api(w.hq).get(CHANGES)
    assert r.status_code == 200, r.json
    assert [x["id"] for x in r.json] == [made[k] for k in ("b1", "moving", "closing", "opening", "new")]
    moving = r.json[1]
    assert (moving["kind"], moving["status"], moving["store_id"], moving["region_id"]) == (
        "moving",
        "pending",
        w.store_a1b.id,
        w.region_a.id,
    )
    assert (moving["latitude"], moving["longitude"]) == pytest.approx(here)
    assert r.json[0]["region_id"] == w.region_b.id

    def ids(client, status=200, **query):
        got = client.get(CHANGES, query_string=query)
        assert got.status_code == status, got.json
        return [x["id"] for x in got.json] if status == 200 else got.json

    assert ids(api(w.hq), region_id=w.region_b.id) == [made["b1"]]
    assert ids(api(w.hq), kind="closing") == [made["b1"], made["closing"]]
    four_days_ago = (utcnow() - timedelta(days=4)).date().isoformat()
    assert made["opening"] in ids(api(w.hq), since=four_days_ago)
    assert made["new"] not in ids(api(w.hq), since=(utcnow() - timedelta(days=3)).date().isoformat())
    assert ids(api(w.manager_a)) == [made[k] for k in ("moving", "closing", "opening", "new")]
    assert ids(api(w.manager_b)) == [made["b1"]]
    assert ids(api(w.manager_b), 404, region_id=w.region_a.id)["status"] == 404
    assert api(w.hq).get(CHANGES, query_string={"kind": "renovation"}).status_code == 422
    assert api(w.rep_a1).get(CHANGES).status_code == 403


# --- promo-material use ---------------------------------------------------------------------------------


def move(client, store, material, kind, quantity, days_ago=1, status=201):
    body = {
        "id": new_id(),
        "store_id": store.id,
        "material_id": material.id,
        "kind": kind,
        "quantity": quantity,
        "recorded_at": iso(utcnow().replace(microsecond=0) - timedelta(days=days_ago)),
    }
    r = client.post("/api/v1/stock-movements", json=body)
    assert r.status_code == status, r.json


def test_material_use_by_region(api, world):
    w = world
    rep, poster = api(w.rep_a1), w.material  # a poster costs 12.50
    move(rep, w.store_a1, poster, "delivered", 10)
    move(rep, w.store_a1, poster, "used", 3)
    move(rep, w.store_a1b, poster, "used", 2)
    move(rep, w.store_a1, poster, "returned", 1)
    move(rep, w.store_a1, poster, "counted", 4)  # a count is not use
    move(api(w.manager_a), w.store_a2, poster, "used", 1)
    move(rep, w.store_a1, poster, "used", 50, days_ago=40)  # before the default 30 days
    move(api(w.rep_b1), w.store_b1, poster, "delivered", 5)
    move(api(w.rep_b1), w.store_b1, poster, "used", 4)
    r = api(w.hq).get(MATERIALS)
    assert r.status_code == 200, r.json
    assert r.json == [
        {
            "region_id": w.region_a.id,
            "region": "广东大区",
            "material_id": poster.id,
            "material": "P30 海报",
            "kind": "poster",
            "delivered": 10,
            "used": 6,
            "returned": 1,
            "cost_used": "75.00",
        },
        {
            "region_id": w.region_b.id,
            "region": "广西大区",
            "material_id": poster.id,
            "material": "P30 海报",
            "kind": "poster",
            "delivered": 5,
            "used": 4,
            "returned": 0,
            "cost_used": "50.00",
        },
    ]
    longer = api(w.hq).get(MATERIALS, query_string={"since": (utcnow() - timedelta(days=60)).date().isoformat()})
    assert [(x["region_id"], x["used"], x["cost_used"]) for x in longer.json] == [
        (w.region_a.id, 56, "700.00"),
        (w.region_b.id, 4, "50.00"),
    ]
    mine = api(w.manager_a).get(MATERIALS).json
    assert [(x["region_id"], x["used"]) for x in mine] == [(w.region_a.id, 6)]
    assert api(w.hq).get(MATERIALS, query_string={"region_id": w.region_b.id}).json[0]["used"] == 4
    assert api(w.manager_a).get(MATERIALS, query_string={"region_id": w.region_b.id}).status_code == 404
    assert api(w.rep_a1).get(MATERIALS).status_code == 403
    assert api(w.clerk_a1).get(MATERIALS).status_code == 403


def test_material_use_costs_by_material(api, world):
    from backend.catalogue.models import PromoMaterial

    w = world
    gift = PromoMaterial(code="GIFT", name="手机壳", kind="gift", unit_cost=Decimal("8.80"))
    free = PromoMaterial(code="FLYER", name="传单", kind="other", unit_cost=None)
    db.session.add_all([gift, free])
    db.session.commit()
    rep = api(w.rep_a1)
    move(rep, w.store_a1, w.material, "used", 1)
    move(rep, w.store_a1, gift, "used", 3)
    move(rep, w.store_a1, free, "used", 100)
    rows = api(w.hq).get(MATERIALS).json
    # the costliest use first within a region
    assert [(x["material"], x["used"], x["cost_used"]) for x in rows] == [
        ("手机壳", 3, "26.40"),
        ("P30 海报", 1, "12.50"),
        ("传单", 100, "0.00"),
    ]
