"""GET /api/v1/channel/stores/<id>: a store's latest shop stock per model, eight weeks of card vs
declared sell-out and its open stock-out alerts, for whoever may see the store."""

from __future__ import annotations

from datetime import timedelta

from backend.catalogue.models import Product
from backend.channel.models import StoreSellOutWeek
from backend.core.timeutil import utcnow
from backend.extensions import db
from tests.factories import iso

from .alert_helpers import ALERTS, count, monday, region_sold


def url(store) -> str:
    return f"/api/v1/channel/stores/{store.id}"


def week(store_id, key, weeks_ago, cards, declared, estimated=0):
    db.session.add(
        StoreSellOutWeek(
            store_id=store_id,
            model_key=key,
            week_start=monday(weeks_ago),
            card_units=cards,
            declared_units=declared,
            declared_reports=1 if declared else 0,
            estimated_units=estimated,
            estimates=1 if estimated else 0,
        )
    )


def test_a_stores_figures(api, world):
    store, p = world.store_a1, world.product.id
    n10 = Product(model_code="XL-N10", name="星澜 N10", name_en="Xinglan N10", tac_codes=["86771203"])
    db.session.add(n10)
    db.session.commit()
    region_sold(world.region_a.id, p, card_units=5)
    rep = api(world.rep_a1)
    now = utcnow().replace(microsecond=0)
    count(rep, store.id, p, 6, counted_at=iso(now - timedelta(days=3)))
    zero = count(rep, store.id, p, 0, counted_at=iso(now - timedelta(hours=2)), demo_unit=True)
    latest_n10 = count(rep, store.id, n10.id, 4, counted_at=iso(now - timedelta(hours=1)))
    count(rep, world.store_a1b.id, n10.id, 9)  # another store
    week(store.id, f"p{p}", 0, 2, 0)
    week(store.id, f"p{p}", 3, 5, 7)  # the store says 7, the cards 5
    week(store.id, f"p{p}", 7, 1, 1)  # the oldest of the 8 weeks
    week(store.id, f"p{p}", 8, 9, 9)  # older: left out
    week(store.id, f"c{world.competitor_model.id}", 1, 0, 0, estimated=13)  # a competitor's: left out
    week(world.store_a1b.id, f"p{p}", 1, 3, 3)  # another store
    db.session.commit()

    r = rep.get(url(store))
    assert r.status_code == 200, r.json
    body = r.json
    assert (body["store_id"], body["store_name"], body["region_id"]) == (store.id, store.name, world.region_a.id)
    assert [(s["product_id"], s["on_hand"], s["demo_unit"], s["count_id"]) for s in body["stock"]] == [
        (p, 0, True, zero["id"]),
        (n10.id, 4, None, latest_n10["id"]),
    ]
    assert body["stock"][1]["model_code"] == "XL-N10" and body["stock"][1]["product_name_en"] == "Xinglan N10"
    assert [(w["week_start"], w["product_id"], w["card_units"], w["declared_units"]) for w in body["weeks"]] == [
        (monday(7).isoformat(), p, 1, 1),
        (monday(3).isoformat(), p, 5, 7),
        (monday(1).isoformat(), p, 5, 0),  # region_sold's 5 cards: A1 is region A's store with a clerk
        (monday(0).isoformat(), p, 2, 0),
    ]
    [alert] = body["alerts"]
    assert (alert["kind"], alert["product_id"], alert["count_id"]) == ("stock_out", p, zero["id"])
    assert alert["model_code"] == "XL-P30" and alert["store_name"] == store.name

    # Acknowledged: no longer open.
    assert api(world.hq).post(f"{ALERTS}/{alert['id']}/acknowledge").status_code == 200
    assert rep.get(url(store)).json["alerts"] == []


def test_who_may_read_a_stores_figures(api, world):
    store = world.store_a1
    for user in (world.rep_a1, world.rep_a1b, world.clerk_a1, world.manager_a, world.hq, world.admin):
        r = api(user).get(url(store))
        assert r.status_code == 200, (user.username, r.json)
        assert r.json == {
            "store_id": store.id,
            "store_name": store.name,
            "region_id": world.region_a.id,
            "stock": [],
            "weeks": [],
            "alerts": [],
        }
    for user in (world.rep_a2, world.rep_b1, world.clerk_b1, world.manager_b):
        r = api(user).get(url(store))
        assert r.status_code == 404 and r.json["reason"] == "store.not_found", user.username
    r = api(world.hq).get("/api/v1/channel/stores/999999")
    assert r.status_code == 404 and r.json["reason"] == "store.not_found"
