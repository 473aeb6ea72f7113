"""`flask seed-demo` gives every channel screen something to show (issue 16): aging units, a FIFO
break, each alert kind (rep.gz's stock-out on his Today), a store whose declared sell-out
disagrees with its cards, and a healthy channel around them — read through the endpoints HQ's
and the rep's app call, so the rollups, the queries and the alert job all take part.

The exceptions are made on purpose by backend/demo/channel.py; the figures asserted here are
its hand-made ones (36 P30 shipped to 迪信通 in 广东 fifteen weeks ago, 3 sold: 33 unsold; the
flagship's promoter declared 8 P30 more than the clerk registered)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from backend.auth.models import User
from backend.catalogue.models import Product
from backend.channel import figures
from backend.channel.models import AlertKind, ChannelAlert
from backend.extensions import db
from backend.org.models import Partner, Region
from backend.sellout.models import SellOutReport, ShopStockCount
from backend.stores.models import Store
from backend.warranty.models import Shipment, WarrantyCard, WarrantyImei
from tests.factories import ApiClient
from tests.sync.helpers import Device

from .test_seed import login


def get(client, token: str, url: str):
    r = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:300])
    return r


def pages(client, token: str, url: str) -> list[dict]:
    items, page = [], 1
    while True:
        r = get(client, token, f"{url}{'&' if '?' in url else '?'}page={page}&page_size=100")
        items += r.json
        if "X-Pagination" not in r.headers or len(items) >= json.loads(r.headers["X-Pagination"])["total"]:
            return items
        page += 1


def test_demo_channel_has_something_on_every_screen(client, full_demo):
    summary = full_demo.summary
    db.session.expire_all()
    assert summary["channel_alerts"] == db.session.scalar(select(func.count()).select_from(ChannelAlert))
    region = {r.code: r.id for r in db.session.scalars(select(Region))}
    product = {p.model_code: p.id for p in db.session.scalars(select(Product))}
    dxt = db.session.scalar(select(Partner.id).where(Partner.code == "DXT"))
    hq = login(client, "hq").json["token"]
    today = figures.business_today()
    this_week = figures.week_of(today)

    # -- a healthy channel around the exceptions: most models 2–12 weeks of cover
    figs = figures.stock_and_sales()
    low, high = (region["GX"], product["XL-N10"]), (region["HI"], product["XL-A7"])
    assert figs[low].weekly_sales >= 2 and figs[low].cover_weeks < 2
    assert figs[high].stock >= 30 and figs[high].cover_weeks > 12
    rated = [f for key, f in figs.items() if key not in (low, high) and f.weekly_sales >= 2]
    assert len(rated) >= 30
    assert sum(2 <= f.cover_weeks <= 12 for f in rated) >= 0.9 * len(rated)
    stock = pages(client, hq, "/api/v1/channel/stock?group=region")
    by_key = {(row["region_id"], row["product_id"]): row for row in stock}
    assert by_key[low]["stock"] == figs[low].stock and by_key[high]["cover_weeks"] > 12

    # -- each alert kind, the cover ones exactly where they were made
    alerts = pages(client, hq, "/api/v1/channel/alerts")
    kinds = {(a["kind"], a["region_id"], a["product_id"]) for a in alerts}
    assert {a["kind"] for a in alerts} == {k.value for k in AlertKind}
    assert (AlertKind.COVER_LOW, *low) in kinds and (AlertKind.COVER_HIGH, *high) in kinds
    cover = [a for a in alerts if a["kind"] != AlertKind.STOCK_OUT]
    assert len(cover) == 2 and all(a["week_start"] == this_week.isoformat() for a in cover)

    # -- rep.gz's stock-out: his latest count of P30 says 0, on his Today (the alerts he may read)
    rep = db.session.scalar(select(User).where(User.username == "rep.gz"))
    zero = db.session.scalars(
        select(ShopStockCount)
        .where(ShopStockCount.rep_id == rep.id, ShopStockCount.product_id == product["XL-P30"])
        .order_by(ShopStockCount.counted_at.desc())
    ).first()
    assert zero.on_hand == 0
    rep_token = login(client, "rep.gz").json["token"]
    mine = pages(client, rep_token, "/api/v1/channel/alerts")
    assert mine and {a["kind"] for a in mine} == {AlertKind.STOCK_OUT}
    ours = [a for a in mine if a["count_id"] == str(zero.id)]
    assert len(ours) == 1
    assert ours[0]["store_id"] == zero.store_id and ours[0]["product_id"] == product["XL-P30"]
    assert ours[0]["region_id"] == region["GD"] and ours[0]["acknowledged_at"] is None
    # … and reaches his phone by pull: Today reads the channel_alert replica.
    items, _cursor, _ = Device(ApiClient(client, rep)).pull_all()
    pulled = {i["id"] for i in items if i["entity"] == "channel_alert"}
    assert pulled == {str(a["id"]) for a in mine}
    figures_of_store = get(client, rep_token, f"/api/v1/channel/stores/{zero.store_id}").json
    assert any(a["id"] == ours[0]["id"] for a in figures_of_store["alerts"])

    # -- aging: 迪信通's P30 in 广东 (33 of 36 unsold), P20 in 福建; their IMEIs unsold indeed
    aging = pages(client, hq, "/api/v1/channel/aging")
    stuck = [
        row
        for row in aging
        if (row["region_id"], row["partner_id"], row["product_id"]) == (region["GD"], dxt, product["XL-P30"])
    ]
    assert len(stuck) == 1 and stuck[0]["unsold"] == 33 and stuck[0]["age_days"] > stuck[0]["aging_days"]
    ship_week = stuck[0]["ship_week"]
    assert (this_week - timedelta(weeks=15)).isoformat() == ship_week
    assert any(
        row["region_id"] == region["FJ"] and row["product_id"] == product["XL-P20"] and row["unsold"] >= 10
        for row in aging
    )
    imeis = pages(
        client,
        hq,
        f"/api/v1/channel/aging/imeis?region_id={region['GD']}&partner_id={dxt}"
        f"&product_id={product['XL-P30']}&ship_week={ship_week}",
    )
    assert len(imeis) == 33 and len({u["imei"] for u in imeis}) == 33
    listed = [u["imei"] for u in imeis]
    assert db.session.scalar(select(func.count()).where(Shipment.imei.in_(listed), Shipment.partner_id == dxt)) == 33
    assert db.session.scalar(select(func.count()).where(WarrantyImei.imei.in_(listed))) == 0

    # -- the FIFO break: newer P30 sells in 广东 while those wait
    breaks = pages(client, hq, f"/api/v1/channel/fifo-breaks?region_id={region['GD']}")
    p30 = [b for b in breaks if b["product_id"] == product["XL-P30"] and b["older_ship_week"] == ship_week]
    assert len(p30) == 1 and p30[0]["older_unsold"] >= 33 and dxt in p30[0]["older_partner_ids"]
    assert p30[0]["newer_ship_week"] >= (figures.week_of(today) - timedelta(weeks=11)).isoformat()
    assert p30[0]["newer_sold_recent"] > 0

    # -- the flagship's promoter declared 8 P30 more than its cards for one week
    clerk = db.session.scalar(select(User).where(User.username == "clerk.gz"))
    report = db.session.scalars(select(SellOutReport).where(SellOutReport.store_id == clerk.store_id)).one()
    cards = db.session.scalar(
        select(func.count()).where(
            WarrantyCard.store_id == clerk.store_id,
            WarrantyCard.product_id == product["XL-P30"],
            WarrantyCard.purchase_date.between(report.period_start, report.period_end),
        )
    )
    assert report.units == cards + 8 and report.period_start.weekday() == 0
    disagreements = get(client, hq, "/api/v1/channel/disagreements?weeks=8").json
    flagship = [d for d in disagreements if d["store_id"] == clerk.store_id]
    assert flagship == [
        {
            "store_id": clerk.store_id,
            "store_name": db.session.get(Store, clerk.store_id).name,
            "week_start": report.period_start.isoformat(),  # a week's report: its Monday
            "period_start": report.period_start.isoformat(),
            "period_end": report.period_end.isoformat(),
            "product_id": product["XL-P30"],
            "model_code": "XL-P30",
            "card_units": cards,
            "declared_units": cards + 8,
        }
    ]

    # -- sell-through has weeks of cards, declarations and competitor estimates
    trend = pages(client, hq, "/api/v1/channel/sell-through?weeks=12")
    assert sum(row["card_units"] for row in trend) > 1000
    assert sum(row["declared_units"] for row in trend) > 0 and sum(row["estimated_units"] for row in trend) > 0
