"""Diversion (窜货): a unit sold (warranty card) or seen (a rep's IMEI spot check) in another region
than its shipment's is flagged, whichever of the two reached us first; corrections and voids move
or drop the flag; HQ reads the flags and their counts by partner, region and model.

World: store_a1, store_a1b (region A, code GD) and store_b1 (region B, code GX); partner SN.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backend.core.timeutil import business_date
from backend.extensions import db
from backend.org.models import Partner
from backend.warranty.models import DiversionFlag
from tests.factories import N10_TAC, imei, iso
from tests.sync.helpers import Device
from tests.warranty.helpers import (
    CARDS,
    SPOT_CHECKS,
    card_body,
    csv_bytes,
    days_ago,
    make_product,
    register,
    run_import,
    shipment_row,
    spot_check_body,
    today,
)

pytestmark = pytest.mark.usefixtures("rq_worker")

FLAGS = "/api/v1/diversion/flags"
SUMMARY = "/api/v1/diversion/summary"


def ship(api, world, *rows: str) -> dict:
    imp = run_import(api(world.hq), csv_bytes(*rows))
    assert imp["status"] == "done" and imp["rows_bad"] == 0, imp
    return imp


def flags(api, world, **query) -> list[dict]:
    db.session.rollback()
    r = api(world.hq).get(FLAGS, query_string={"page_size": 100, **query})
    assert r.status_code == 200, r.json
    return r.json


def flagged(api, world, **query) -> set[tuple]:
    """(source, imei, store, sold region, shipped region) of each flag."""
    return {
        (f["source"], f["imei"], f["store_id"], f["sold_region_id"], f["shipped_region_id"])
        for f in flags(api, world, **query)
    }


def flag_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(DiversionFlag))


def spot_check(client, store, value: str, status: int = 201, **kw) -> dict:
    r = client.post(SPOT_CHECKS, json=spot_check_body(store, value, **kw))
    assert r.status_code == status, r.json
    return r.json


# --- cards ------------------------------------------------------------------------------------------


def test_a_card_registered_before_the_shipment_is_flagged_by_the_import(api, world):
    card = register(api(world.clerk_a1), card_body(world, 1, purchase_date=days_ago(2)))
    assert flag_count() == 0
    imp = ship(api, world, shipment_row(imei(serial=1), region="GX", ship_date=days_ago(20)))
    assert imp["flags_raised"] == 1
    [flag] = flags(api, world)
    assert flag == {
        "id": flag["id"],
        "imei": imei(serial=1),
        "source": "card",
        "card_id": card["id"],
        "spot_check_id": None,
        "store_id": world.store_a1.id,
        "store_name": "苏宁易购 天河城店",
        "sold_region_id": world.region_a.id,
        "sold_region_name": "广东大区",
        "shipped_region_id": world.region_b.id,
        "shipped_region_name": "广西大区",
        "partner_id": world.partner.id,
        "partner_name": "苏宁易购",
        "product_id": world.product.id,
        "model_code": "XL-P30",
        "ship_date": days_ago(20),
        "seen_on": days_ago(2),
        "flagged_at": flag["flagged_at"],
    }


def test_a_card_registered_after_the_shipment_is_flagged_at_once(api, world):
    ship(api, world, shipment_row(imei(serial=1), region="GD"))
    register(api(world.clerk_b1), card_body(world, 1))
    assert flagged(api, world) == {("card", imei(serial=1), world.store_b1.id, world.region_b.id, world.region_a.id)}


def test_a_card_in_the_region_it_was_shipped_to_is_not_flagged(api, world):
    ship(api, world, shipment_row(imei(serial=1), region="GD"), shipment_row(imei(serial=2), region="GX"))
    register(api(world.clerk_a1), card_body(world, 1))
    register(api(world.clerk_b1), card_body(world, 2))
    register(api(world.clerk_b1), card_body(world, 3))  # never shipped: nothing to compare with
    assert flags(api, world) == []
    imp = ship(api, world, shipment_row(imei(serial=4), region="GX"))
    assert imp["flags_raised"] == 0
    register(api(world.clerk_a1), card_body(world, 5))
    assert flags(api, world) == []


def test_the_second_imei_of_a_dual_sim_phone_is_checked_too(api, world):
    ship(api, world, shipment_row(imei(serial=2), region="GX"))
    card = register(api(world.clerk_a1), card_body(world, 1, imei2=imei(serial=2)))
    [flag] = flags(api, world)
    assert (flag["card_id"], flag["imei"], flag["shipped_region_id"]) == (card["id"], imei(serial=2), world.region_b.id)


def test_an_imei_correction_moves_or_drops_the_flag(api, world):
    ship(
        api,
        world,
        shipment_row(imei(serial=1), region="GX"),
        shipment_row(imei(serial=2), region="GX", partner="", ship_date=days_ago(10)),
        shipment_row(imei(serial=3), region="GD"),
    )
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1))
    [before] = flags(api, world)
    r = clerk.patch(f"{CARDS}/{card['id']}", json={"imei": imei(serial=2), "purchase_date": days_ago(1)})
    assert r.status_code == 200, r.json
    [moved] = flags(api, world)
    assert moved["id"] == before["id"] and moved["card_id"] == card["id"]
    assert (moved["imei"], moved["partner_id"], moved["ship_date"], moved["seen_on"]) == (
        imei(serial=2),
        None,
        days_ago(10),
        days_ago(1),
    )
    assert clerk.patch(f"{CARDS}/{card['id']}", json={"imei": imei(serial=3)}).status_code == 200
    assert flags(api, world) == []  # shipped to its own region
    assert clerk.patch(f"{CARDS}/{card['id']}", json={"imei": imei(serial=1)}).status_code == 200
    assert len(flags(api, world)) == 1
    assert clerk.patch(f"{CARDS}/{card['id']}", json={"imei": imei(serial=4)}).status_code == 200
    assert flags(api, world) == []  # never shipped


def test_a_correction_of_other_fields_keeps_the_flag_as_it_is(api, world):
    ship(api, world, shipment_row(imei(serial=1), region="GX"))
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1))
    before = flags(api, world)
    assert clerk.patch(f"{CARDS}/{card['id']}", json={"buyer_name": "李四"}).status_code == 200
    assert flags(api, world) == before


def test_voiding_a_card_drops_its_flag_and_a_new_card_raises_one_again(api, world):
    ship(api, world, shipment_row(imei(serial=1), region="GX"))
    card = register(api(world.clerk_a1), card_body(world, 1))
    assert flag_count() == 1
    r = api(world.hq).post(f"{CARDS}/{card['id']}/void", json={"reason": "录错"})
    assert r.status_code == 200, r.json
    assert flags(api, world) == []
    again = register(api(world.clerk_a1), card_body(world, 1))
    assert [f["card_id"] for f in flags(api, world)] == [again["id"]]
    # A later import never flags the void card.
    ship(api, world, shipment_row(imei(serial=9), region="GX"))
    assert [f["card_id"] for f in flags(api, world)] == [again["id"]]


def test_a_resent_card_does_not_flag_twice(api, world):
    ship(api, world, shipment_row(imei(serial=1), region="GX"))
    body = card_body(world, 1)
    register(api(world.clerk_a1), body)
    register(api(world.clerk_a1), body, 200)
    ship(api, world, shipment_row(imei(serial=2), region="GX"))
    assert flag_count() == 1


# --- spot checks -------------------------------------------------------------------------------------


def test_a_spot_check_says_whether_the_unit_belongs_in_the_region(api, world):
    ship(api, world, shipment_row(imei(serial=1), region="GD"), shipment_row(imei(serial=2), region="GX"))
    rep = api(world.rep_a1)
    matches = spot_check(rep, world.store_a1, imei(serial=1))
    diverted = spot_check(rep, world.store_a1, imei(serial=2))
    unknown = spot_check(rep, world.store_a1, imei(serial=3))
    assert [c["shipment_match"] for c in (matches, diverted, unknown)] == ["matches", "diverted", "no_record"]
    assert diverted["rep_id"] == world.rep_a1.id and diverted["store_id"] == world.store_a1.id
    [flag] = flags(api, world)
    assert (flag["source"], flag["spot_check_id"], flag["card_id"], flag["imei"]) == (
        "spot_check",
        diverted["id"],
        None,
        imei(serial=2),
    )
    assert (
        flag["seen_on"] == business_date(datetime.fromisoformat(diverted["seen_at"]).replace(tzinfo=None)).isoformat()
    )
    assert (flag["sold_region_id"], flag["shipped_region_id"]) == (world.region_a.id, world.region_b.id)


def test_a_later_import_updates_the_spot_checks_of_its_units(api, world):
    rep = api(world.rep_a1)
    first = spot_check(rep, world.store_a1, imei(serial=1))
    second = spot_check(rep, world.store_a1b, imei(serial=2))
    third = spot_check(rep, world.store_a1, imei(serial=3))
    assert {c["shipment_match"] for c in (first, second, third)} == {"no_record"}
    imp = ship(api, world, shipment_row(imei(serial=1), region="GD"), shipment_row(imei(serial=2), region="GX"))
    assert imp["flags_raised"] == 1
    db.session.rollback()
    got = {c["id"]: c["shipment_match"] for c in rep.get(SPOT_CHECKS).json}
    assert got == {first["id"]: "matches", second["id"]: "diverted", third["id"]: "no_record"}
    assert flagged(api, world) == {
        ("spot_check", imei(serial=2), world.store_a1b.id, world.region_a.id, world.region_b.id)
    }
    diverted = rep.get(SPOT_CHECKS, query_string={"shipment_match": "diverted"}).json
    assert [c["id"] for c in diverted] == [second["id"]]


def test_a_spot_check_and_a_card_of_one_unit_are_two_flags(api, world):
    ship(api, world, shipment_row(imei(serial=1), region="GX"))
    register(api(world.clerk_a1), card_body(world, 1))
    spot_check(api(world.rep_a1), world.store_a1, imei(serial=1))
    assert {f["source"] for f in flags(api, world)} == {"card", "spot_check"}
    assert {f["source"] for f in flags(api, world, source="spot_check")} == {"spot_check"}


def test_a_spot_check_pushed_from_the_field_is_checked_the_same_way(api, world):
    ship(api, world, shipment_row(imei(serial=1), region="GX"))
    device = Device(api(world.rep_a1))
    args = spot_check_body(world.store_a1, imei(serial=1))
    r = device.push([device.mutation("imei.spot_check", args), device.mutation("imei.spot_check", args)])
    assert [x["status"] for x in r.json["results"]] == ["applied", "applied"], r.json
    got = api(world.rep_a1).get(f"{SPOT_CHECKS}/{args['id']}").json
    assert got["shipment_match"] == "diverted"
    assert [f["spot_check_id"] for f in flags(api, world)] == [args["id"]]


def test_spot_checks_are_field_records(api, world):
    """Idempotent by id, in the rep's scope, on the rep's own visit; clerks and HQ do not record them."""
    rep = api(world.rep_a1)
    body = spot_check_body(world.store_a1, imei(serial=1))
    assert rep.post(SPOT_CHECKS, json=body).status_code == 201
    assert rep.post(SPOT_CHECKS, json=body).status_code == 200
    r = rep.post(SPOT_CHECKS, json=body | {"imei": imei(serial=2)})
    assert r.status_code == 409 and r.json["details"]["fields"] == ["imei"]
    spot_check(rep, world.store_b1, imei(serial=3), 404)
    spot_check(api(world.clerk_a1), world.store_a1, imei(serial=3), 403)
    spot_check(api(world.hq), world.store_a1, imei(serial=3), 403)
    spot_check(api(world.manager_a), world.store_a2, imei(serial=3), 201)
    bad = imei(serial=4)[:-1] + str((int(imei(serial=4)[-1]) + 1) % 10)
    r = rep.post(SPOT_CHECKS, json=spot_check_body(world.store_a1, bad))
    assert r.status_code == 422 and "imei" in r.json["errors"]["json"]
    r = rep.post(
        SPOT_CHECKS, json=spot_check_body(world.store_a1, imei(serial=5), seen_at=iso(db_now() + timedelta(hours=1)))
    )
    assert r.status_code == 422 and "seen_at" in r.json["errors"]["json"]
    # On a visit: the rep's own, at that store.
    visit = {
        "id": str(uuid.uuid4()),
        "store_id": world.store_a1.id,
        "checked_in_at": iso(db_now() - timedelta(hours=1)),
        "latitude": world.store_a1.latitude,
        "longitude": world.store_a1.longitude,
        "accuracy_m": 10,
    }
    assert api(world.rep_a1b).post("/api/v1/visits", json=visit).status_code == 201
    spot_check(rep, world.store_a1, imei(serial=6), 404, visit_id=visit["id"])
    assert (
        spot_check(api(world.rep_a1b), world.store_a1, imei(serial=6), visit_id=visit["id"])["visit_id"] == visit["id"]
    )
    # Readers: the rep their own, the manager the region's, HQ all; clerks none.
    assert {c["imei"] for c in rep.get(SPOT_CHECKS).json} == {imei(serial=1)}
    assert len(api(world.manager_a).get(SPOT_CHECKS).json) == 3
    assert len(api(world.hq).get(SPOT_CHECKS).json) == 3
    assert api(world.manager_b).get(SPOT_CHECKS).json == []
    assert api(world.clerk_a1).get(SPOT_CHECKS).status_code == 403


def test_a_spot_check_counts_on_the_day_it_was_where_the_stores_are(api, world, app):
    """Seen at 00:30 in China is the previous day in UTC: the report's day is China's."""
    zone = ZoneInfo(app.config["BUSINESS_TIMEZONE"])
    local = datetime.combine(today(), time(0, 30), tzinfo=zone)
    if local > datetime.now(zone):
        local -= timedelta(days=1)
    seen_at = local.astimezone(UTC)
    assert seen_at.date() < local.date()
    ship(api, world, shipment_row(imei(serial=1), region="GX"))
    spot_check(api(world.rep_a1), world.store_a1, imei(serial=1), seen_at=seen_at.isoformat())
    [flag] = flags(api, world)
    assert flag["seen_on"] == local.date().isoformat()
    assert [f["id"] for f in flags(api, world, since=local.date().isoformat())] == [flag["id"]]


def db_now():
    from backend.core.timeutil import utcnow

    return utcnow().replace(microsecond=0)


# --- HQ's report ------------------------------------------------------------------------------------


@pytest.fixture
def report(api, world):
    """Flags with three partners (SN, GM, none), both directions between the regions, two models,
    cards and a spot check:

        unit        model   shipped to (partner)   sold / seen at         when
        1, 2, 3     P30     GX (SN)                store_a1 (A), cards    40, 20, 5 days ago
        4           P30     GX (GM)                store_a1 (A), card     5 days ago
        5           N10     GD (GM)                store_b1 (B), card     10 days ago
        6           N10     GD (no partner)        store_b1 (B), card     3 days ago
        7           P30     GX (SN)                store_a1b (A), spot check today
        8           P30     GD (SN)                store_a1 (A), card     not flagged
    """
    gm = Partner(code="GM", name="国美电器", kind="retail_chain")
    db.session.add(gm)
    db.session.commit()
    n10 = make_product("XL-N10", (N10_TAC,))
    ship(
        api,
        world,
        *(shipment_row(imei(serial=i), region="GX") for i in (1, 2, 3, 7)),
        shipment_row(imei(serial=4), region="GX", partner="GM"),
        shipment_row(imei(N10_TAC, 5), model="XL-N10", region="GD", partner="GM"),
        shipment_row(imei(N10_TAC, 6), model="XL-N10", region="GD", partner=""),
        shipment_row(imei(serial=8), region="GD"),
    )
    a1, b1 = api(world.clerk_a1), api(world.clerk_b1)
    for serial, ago in ((1, 40), (2, 20), (3, 5), (4, 5), (8, 1)):
        register(a1, card_body(world, serial, purchase_date=days_ago(ago)))
    for serial, ago in ((5, 10), (6, 3)):
        register(b1, card_body(world, serial, tac=N10_TAC, product_id=n10.id, purchase_date=days_ago(ago)))
    spot_check(api(world.rep_a1b), world.store_a1b, imei(serial=7))
    return {"gm": gm, "n10": n10}


def summary(api, world, by: str, **query) -> list[tuple]:
    r = api(world.hq).get(SUMMARY, query_string={"by": by, **query})
    assert r.status_code == 200, r.json
    return [(c["id"], c["name"], c["count"]) for c in r.json]


def test_the_summary_counts_flags_by_partner_region_and_model(api, world, report):
    gm, n10 = report["gm"], report["n10"]
    ra, rb, sn = world.region_a, world.region_b, world.partner
    assert summary(api, world, "partner") == [(sn.id, "苏宁易购", 4), (gm.id, "国美电器", 2), (None, None, 1)]
    assert summary(api, world, "shipped_region") == [(rb.id, "广西大区", 5), (ra.id, "广东大区", 2)]
    assert summary(api, world, "sold_region") == [(ra.id, "广东大区", 5), (rb.id, "广西大区", 2)]
    assert summary(api, world, "model") == [(world.product.id, "XL-P30", 5), (n10.id, "XL-N10", 2)]


def test_the_summary_filters(api, world, report):
    gm, n10 = report["gm"], report["n10"]
    ra, rb, sn = world.region_a, world.region_b, world.partner
    assert summary(api, world, "partner", source="spot_check") == [(sn.id, "苏宁易购", 1)]
    assert summary(api, world, "partner", source="card") == [
        (sn.id, "苏宁易购", 3),
        (gm.id, "国美电器", 2),
        (None, None, 1),
    ]
    assert summary(api, world, "model", partner_id=gm.id) == [(world.product.id, "XL-P30", 1), (n10.id, "XL-N10", 1)]
    # (equal counts: in no particular order)
    assert set(summary(api, world, "partner", shipped_region_id=ra.id)) == {(gm.id, "国美电器", 1), (None, None, 1)}
    assert summary(api, world, "partner", sold_region_id=ra.id, product_id=world.product.id) == [
        (sn.id, "苏宁易购", 4),
        (gm.id, "国美电器", 1),
    ]
    # since/until: the purchase (or spot check) day, both ends included.
    assert summary(api, world, "sold_region", since=days_ago(10)) == [(ra.id, "广东大区", 3), (rb.id, "广西大区", 2)]
    assert summary(api, world, "sold_region", since=days_ago(20), until=days_ago(5)) == [
        (ra.id, "广东大区", 3),
        (rb.id, "广西大区", 1),
    ]
    assert summary(api, world, "model", since=days_ago(-1)) == []
    r = api(world.hq).get(SUMMARY, query_string={"by": "store"})
    assert r.status_code == 422 and "by" in r.json["errors"]["query"]
    assert api(world.hq).get(SUMMARY).status_code == 422


def test_the_flags_behind_the_report_are_listed_newest_first_with_names(api, world, report):
    listed = flags(api, world)
    assert len(listed) == 7
    order = [(f["flagged_at"], f["id"]) for f in listed]
    assert order == sorted(order, reverse=True)
    assert listed[0]["source"] == "spot_check"  # the last one raised
    n10 = {f["imei"]: f for f in flags(api, world, product_id=report["n10"].id)}
    assert set(n10) == {imei(N10_TAC, 5), imei(N10_TAC, 6)}
    assert n10[imei(N10_TAC, 5)]["partner_name"] == "国美电器" and n10[imei(N10_TAC, 6)]["partner_name"] is None
    assert {f["model_code"] for f in n10.values()} == {"XL-N10"}
    assert {f["store_name"] for f in n10.values()} == {"中国移动 青秀营业厅"}
    assert {f["imei"] for f in flags(api, world, until=days_ago(20))} == {imei(serial=1), imei(serial=2)}
    page = api(world.hq).get(FLAGS, query_string={"page_size": 3, "page": 3})
    assert len(page.json) == 1 and '"total": 7' in page.headers["X-Pagination"]


@pytest.mark.parametrize("user", ["rep_a1", "manager_a", "clerk_a1"])
def test_only_hq_reads_the_diversion_report(api, world, user):
    client = api(world.users[user])
    assert client.get(SUMMARY, query_string={"by": "partner"}).status_code == 403
    assert client.get(FLAGS).status_code == 403
