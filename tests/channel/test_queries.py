"""The channel's screens through the API, on data made the real way (shipments through the
import loader, cards registered by the clerks, declared and estimated sell-out): stock, weekly
sell-out and weeks of cover, aging cohorts and their IMEIs, FIFO breaks, sell-through and the
stores whose declarations disagree with their cards — every figure worked out by hand below —
and who may read them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from backend.channel.models import NO_PARTNER
from backend.extensions import db
from backend.sellout.models import CompetitorSellOut, SellOutReport
from tests.channel.helpers import monday, ship
from tests.factories import imei
from tests.warranty.helpers import CARDS, card_body, register, today

pytestmark = pytest.mark.usefixtures("rq_worker")

URL = "/api/v1/channel"


def M(k: int):  # noqa: N802 - the Monday k weeks before this week's
    return monday(today()) - timedelta(weeks=k)


@pytest.fixture
def channel(api, world):
    """Region A, model P30: cohort X (units 1–10, partner SN, 20 weeks ago), Y (11–18, SN, 3 weeks
    ago), Z (21–24, no partner, 20 weeks ago); region B: 31–35 (no partner, 2 weeks ago).
    Cards at store A1: units 1, 2 (15 weeks ago), 3 (4 weeks ago), 11–14 (2 weeks ago), 15 (last
    week), 16 (today); at store B1: unit 31 (last week). The last 4 complete weeks are M(4)…M(1)."""
    a, b, sn, p = world.region_a.id, world.region_b.id, world.partner.id, world.product.id
    units = [(imei(serial=n), p, M(20), a, sn) for n in range(1, 11)]
    units += [(imei(serial=n), p, M(3), a, sn) for n in range(11, 19)]
    units += [(imei(serial=n), p, M(20), a, None) for n in range(21, 25)]
    units += [(imei(serial=n), p, M(2), b, None) for n in range(31, 36)]
    ship(world.hq, *units)
    clerk_a, clerk_b = api(world.clerk_a1), api(world.clerk_b1)
    sold = {1: M(15), 2: M(15), 3: M(4), 11: M(2), 12: M(2), 13: M(2), 14: M(2), 15: M(1) + timedelta(days=1)}
    sold[16] = today()
    cards = {n: register(clerk_a, card_body(world, n, purchase_date=day.isoformat())) for n, day in sold.items()}
    register(clerk_b, card_body(world, 31, purchase_date=M(1).isoformat()))
    return cards


def get(client, path, status=200, **query):
    r = client.get(f"{URL}{path}", query_string=query)
    assert r.status_code == status, r.json
    return r.json


def test_stock_weekly_sales_cover_and_aging_by_region_and_partner(api, world, channel):
    a, b, sn, p = world.region_a.id, world.region_b.id, world.partner.id, world.product.id
    rows = {(r["region_id"], r["product_id"]): r for r in get(api(world.hq), "/stock")}
    ra = rows[(a, p)]
    # A: shipped 10 + 8 + 4 = 22; sold 1, 2, 3, 11–16 = 9; stock 13. In the last 4 complete weeks:
    # 3, 11–14, 15 = 6 → 1.5 a week; cover 13 / 1.5 = 8.67. Aging (older than 90 days): X's 10 − 3
    # sold = 7 and Z's 4.
    assert (ra["shipped"], ra["sold"], ra["stock"], ra["weekly_sales"], ra["cover_weeks"], ra["aging_units"]) == (
        22,
        9,
        13,
        1.5,
        8.67,
        11,
    )
    assert (ra["region_name"], ra["model_code"], ra["product_name"]) == ("广东大区", "XL-P30", "星澜 P30")
    # The centroid of region A's three stores (A1-001, A1-002 and A2-001).
    assert ra["latitude"] == pytest.approx((23.1291 * 3 + 0.018) / 3)
    assert ra["longitude"] == pytest.approx((113.3269 * 2 + 113.2644) / 3)
    rb = rows[(b, p)]
    # B: 5 shipped, 31 sold last week: 1 / 4 = 0.25 a week, 4 / 0.25 = 16 weeks of cover, none aging.
    assert (rb["shipped"], rb["sold"], rb["stock"], rb["weekly_sales"], rb["cover_weeks"], rb["aging_units"]) == (
        5,
        1,
        4,
        0.25,
        16.0,
        0,
    )
    by_partner = {(r["region_id"], r["partner_id"]): r for r in get(api(world.hq), "/stock", group="partner")}
    s = by_partner[(a, sn)]
    # Partner SN in A: 18 shipped, all 9 sold, stock 9, 6 in the window → 1.5, cover 6, aging 7.
    assert (s["stock"], s["weekly_sales"], s["cover_weeks"], s["aging_units"], s["partner_name"]) == (
        9,
        1.5,
        6.0,
        7,
        "苏宁易购",
    )
    z = by_partner[(a, NO_PARTNER)]
    figures = (z["stock"], z["weekly_sales"], z["cover_weeks"], z["aging_units"], z["partner_name"])
    assert figures == (4, 0, None, 4, None)
    assert set(get(api(world.hq), "/stock", region_id=b)[0].items()) >= {("region_id", b), ("stock", 4)}
    assert [r["partner_id"] for r in get(api(world.hq), "/stock", group="partner", partner_id=0)] == [0, 0]


def test_aging_cohorts_and_their_imeis(api, world, channel):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    hq = api(world.hq)
    rows = get(hq, "/aging")
    age = (today() - M(20)).days - 6  # the youngest unit of a week shipped on its Sunday
    assert [(r["region_id"], r["partner_id"], r["ship_week"], r["shipped"], r["unsold"]) for r in rows] == [
        (a, NO_PARTNER, M(20).isoformat(), 4, 4),
        (a, sn, M(20).isoformat(), 10, 7),
    ]
    assert {(r["age_days"], r["aging_days"]) for r in rows} == {(age, 90)}
    imeis = get(hq, "/aging/imeis", region_id=a, partner_id=sn, product_id=p, ship_week=M(20).isoformat())
    assert [i["imei"] for i in imeis] == sorted(imei(serial=n) for n in range(4, 11))
    assert {(i["ship_date"], i["partner_id"]) for i in imeis} == {(M(20).isoformat(), sn)}
    # HQ voids card 3: unit 3 is unsold again.
    assert hq.post(f"{CARDS}/{channel[3]['id']}/void", json={"reason": "test"}).status_code == 200
    imeis = get(hq, "/aging/imeis", region_id=a, partner_id=sn, product_id=p, ship_week=(M(20) + timedelta(days=3)))
    assert len(imeis) == 8 and imeis[0]["imei"] == imei(serial=3)
    no_partner = get(hq, "/aging/imeis", region_id=a, partner_id=0, product_id=p, ship_week=M(20).isoformat())
    assert [i["imei"] for i in no_partner] == [imei(serial=n) for n in range(21, 25)]
    # The model's own aging days win over the setting: 200 days, and nothing is aging yet.
    world.product.aging_days = 200
    db.session.commit()
    assert get(hq, "/aging") == []
    assert get(hq, "/stock", region_id=a)[0]["aging_units"] == 0


def test_fifo_breaks(app, api, world, channel):
    a, sn, p = world.region_a.id, world.partner.id, world.product.id
    # In A, Y (3 weeks ago) sold 5 in the window while X and Z (20 weeks ago, more than 28 days
    # before Y) hold 7 + 4 = 11 unsold; B sells its only cohort.
    rows = get(api(world.hq), "/fifo-breaks")
    assert rows == [
        {
            "region_id": a,
            "region_name": "广东大区",
            "product_id": p,
            "model_code": "XL-P30",
            "product_name": "星澜 P30",
            "product_name_en": "星澜 P30",
            "older_ship_week": M(20).isoformat(),
            "older_unsold": 11,
            "older_partner_ids": sorted([NO_PARTNER, sn]),
            "newer_ship_week": M(3).isoformat(),
            "newer_sold_recent": 5,
        }
    ]
    app.config["CHANNEL_FIFO_MIN_UNITS"] = 12  # 11 unsold is not enough
    try:
        assert get(api(world.hq), "/fifo-breaks") == []
    finally:
        app.config["CHANNEL_FIFO_MIN_UNITS"] = 5
    app.config["CHANNEL_FIFO_GAP_DAYS"] = 7 * 18  # X is 17 weeks older than Y: not far enough apart
    try:
        assert get(api(world.hq), "/fifo-breaks") == []
    finally:
        app.config["CHANNEL_FIFO_GAP_DAYS"] = 28


def _report(world, store, units, end, start=None, visit_id=None, reported_at=datetime(2026, 1, 1)):
    db.session.add(
        SellOutReport(
            id=uuid.uuid4(),
            rep_id=world.rep_a1.id,
            store_id=store.id,
            visit_id=visit_id,
            product_id=world.product.id,
            units=units,
            period_start=start or end - timedelta(days=6),
            period_end=end,
            source="promoter",
            reported_at=reported_at,
        )
    )


def test_sell_through_with_competitor_estimates(api, world, channel):
    a, p, cm = world.region_a.id, world.product.id, world.competitor_model.id
    db.session.add(
        CompetitorSellOut(
            id=uuid.uuid4(),
            rep_id=world.rep_a1.id,
            store_id=world.store_a1.id,
            competitor_model_id=cm,
            week_start=M(2),
            band="6-20",
            source="competitor_promoter",
            reported_at=datetime(2026, 1, 1),
        )
    )
    _report(world, world.store_a1, 6, M(2) + timedelta(days=3))
    db.session.commit()
    rows = get(api(world.hq), "/sell-through", region_id=a, product_id=p, competitor_model_id=cm, weeks=4)
    ours = [r for r in rows if r["model_key"] == f"p{p}"]
    # Channel of A: 13 in stock now. Backwards: this week sold 1 → 14 at its start; last week sold
    # 1 → 15; M(2) sold 4 → 19; M(3) shipped 8 → 11 (= 14 shipped before − 3 sold before).
    assert [(r["week_start"], r["shipped"], r["sold"], r["stock_start"], r["sell_through"]) for r in ours] == [
        (M(3).isoformat(), 8, 0, 11, 0.0),
        (M(2).isoformat(), 0, 4, 19, round(4 / 19, 4)),
        (M(1).isoformat(), 0, 1, 15, round(1 / 15, 4)),
        (M(0).isoformat(), 0, 1, 14, round(1 / 14, 4)),
    ]
    # The report's 6 units over Friday–Thursday spread by days (rules.spread_over_weeks): 3 days
    # of M(3) → 2.57, 4 of M(2) → 3.43; the unit left goes to the larger remainder, M(3)'s.
    assert [(r["card_units"], r["declared_units"]) for r in ours] == [(0, 3), (4, 3), (1, 0), (1, 0)]
    theirs = [r for r in rows if r["model_key"] == f"c{cm}"]
    assert [(r["estimated_units"], r["estimates"], r["sell_through"]) for r in theirs] == [
        (0, 0, None),
        (13, 1, None),
        (0, 0, None),
        (0, 0, None),
    ]
    assert theirs[0]["name"] == "OPPO Reno 12" and ours[0]["name"] == "星澜 P30"
    # Nationwide: B's cards join A's (31 last week), B's channel too (5 shipped M(2)).
    national = [r for r in get(api(world.hq), "/sell-through", product_id=p, weeks=4)]
    assert [(r["card_units"], r["shipped"], r["stock_start"]) for r in national] == [
        (0, 8, 11),
        (4, 5, 19),
        (2, 0, 20),
        (1, 0, 18),
    ]


def test_disagreements_between_declared_and_cards(api, world, channel):
    _report(world, world.store_a1, 6, M(2) + timedelta(days=3))  # cards say 4
    # No clerk at A2: no cards to disagree with (its declaration is its only figure), not listed.
    _report(world, world.store_a2, 5, M(1) + timedelta(days=2))
    _report(world, world.store_b1, 3, M(1) + timedelta(days=2))  # cards say 1
    db.session.commit()
    rows = get(api(world.hq), "/disagreements")
    assert [(r["store_id"], r["week_start"], r["card_units"], r["declared_units"]) for r in rows] == [
        (world.store_b1.id, M(1).isoformat(), 1, 3),  # the larger gap first (2 each: the later week)
        (world.store_a1.id, M(2).isoformat(), 4, 6),
    ]
    assert [(r["period_start"], r["period_end"]) for r in rows] == [
        ((M(1) - timedelta(days=4)).isoformat(), (M(1) + timedelta(days=2)).isoformat()),
        ((M(2) - timedelta(days=3)).isoformat(), (M(2) + timedelta(days=3)).isoformat()),
    ]
    mine = get(api(world.manager_a), "/disagreements")
    assert [(r["store_name"], r["model_code"]) for r in mine] == [("苏宁易购 天河城店", "XL-P30")]
    assert get(api(world.hq), "/disagreements", weeks=1) == []


def test_disagreements_compare_a_report_with_the_cards_of_its_own_period(api, world, channel):
    """A1's cards (the fixture): 4 bought in week M(2) (its Monday), 1 on M(1)'s Tuesday, 1 on
    this week's Monday (unit 16). A promoter right over two weeks is no disagreement, though the
    rollups put all 5 in the week the period ends (where the cards say 1)."""
    from backend.visits.models import Visit

    _report(world, world.store_a1, 5, M(1) + timedelta(days=6), start=M(2))  # cards: 4 + 1 = 5
    # A corrected report: within one visit only the latest counts (9, then 6 over one week: 6 ≠ 1).
    visit = Visit(
        id=uuid.uuid4(), rep_id=world.rep_a1.id, store_id=world.store_a1.id, checked_in_at=datetime(2026, 1, 1),
        check_in_latitude=world.store_a1.latitude, check_in_longitude=world.store_a1.longitude,
        check_in_accuracy_m=10.0, check_in_distance_m=0.0, off_site=False,
    )  # fmt: skip
    db.session.add(visit)
    db.session.flush()
    end = M(1) + timedelta(days=6)
    _report(world, world.store_a1, 9, end, visit_id=visit.id, reported_at=datetime(2026, 1, 1, 10))
    _report(world, world.store_a1, 6, end, visit_id=visit.id, reported_at=datetime(2026, 1, 1, 11))
    _report(world, world.store_a1, 1, today(), start=M(0))  # this week so far: 1 card (unit 16), right
    db.session.commit()
    rows = get(api(world.hq), "/disagreements")
    fields = ("period_start", "period_end", "week_start", "card_units", "declared_units")
    assert [tuple(r[f] for f in fields) for r in rows] == [(M(1).isoformat(), end.isoformat(), M(1).isoformat(), 1, 6)]


ENDPOINTS = ["/stock", "/sell-through", "/aging", "/fifo-breaks", "/disagreements"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_scope(api, world, channel, path):
    a, b = world.region_a.id, world.region_b.id
    for user in (world.rep_a1, world.clerk_a1):
        assert get(api(user), path, status=403)["reason"] == "role.forbidden"
    manager = api(world.manager_a)
    assert get(manager, path, status=404, region_id=b)["reason"] == "region.not_found"
    assert get(api(world.hq), path, status=404, region_id=9999)["reason"] == "region.not_found"
    rows = get(manager, path)
    regions = {r.get("region_id") for r in rows} - {None}
    assert regions <= {a}
    assert get(manager, path, region_id=a) == rows


def test_aging_imeis_scope(api, world, channel):
    args = {"partner_id": 0, "product_id": world.product.id, "ship_week": M(2).isoformat()}
    assert len(get(api(world.hq), "/aging/imeis", region_id=world.region_b.id, **args)) == 4
    assert get(api(world.manager_a), "/aging/imeis", status=404, region_id=world.region_b.id, **args)
    assert get(api(world.rep_a1), "/aging/imeis", status=403, region_id=world.region_a.id, **args)
    assert get(api(world.hq), "/aging/imeis", status=422, product_id=world.product.id)["field"] == "region_id"


def test_sell_through_of_a_competitor_model_alone(api, world, channel):
    cm = world.competitor_model.id
    db.session.add(
        CompetitorSellOut(
            id=uuid.uuid4(),
            rep_id=world.rep_b1.id,
            store_id=world.store_b1.id,
            competitor_model_id=cm,
            week_start=M(1),
            units=9,
            source="rep_estimate",
            reported_at=datetime(2026, 1, 1),
        )
    )
    db.session.commit()
    rows = get(api(world.hq), "/sell-through", competitor_model_id=cm, weeks=2)
    assert [(r["model_key"], r["week_start"], r["estimated_units"], r["shipped"]) for r in rows] == [
        (f"c{cm}", M(1).isoformat(), 9, None),
        (f"c{cm}", M(0).isoformat(), 0, None),
    ]
    assert get(api(world.manager_a), "/sell-through", competitor_model_id=cm, weeks=2)[0]["estimated_units"] == 0
