"""三包 service events over REST: returns, exchanges and repair referrals of warranty cards at the
counter. The windows are checked on the business day of the event (Asia/Shanghai) with the last
day included — dates below are hand-computed from the purchase date —, an exchange's new card
inherits the purchase date and buyer and passes registration's IMEI checks, events are
idempotent by id, refusals are 4xx with reason codes, and the channel counts a closed card as no
sell-out — a returned unit back in channel stock, an exchanged (faulty) unit not —, the
increments agreeing with rebuild()."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import func, select

from backend.aftersales.models import FaultCode, ServiceEvent
from backend.channel.rollup import rebuild
from backend.extensions import db
from backend.warranty.models import DiversionFlag, WarrantyCard, WarrantyCardRevision, WarrantyImei
from tests.channel.helpers import monday, rollups, ship
from tests.factories import N10_TAC, P30_TAC, ApiClient, imei, make_store, new_id
from tests.warranty.helpers import CARDS, card_body, local_day, make_product, register

EVENTS = "/api/v1/service-events"
FAULTS = "/api/v1/fault-codes"
POINTS = "/api/v1/repair-points"

pytestmark = pytest.mark.usefixtures("rq_worker")


# --- helpers -----------------------------------------------------------------------------------------


def at(day: date, hour: int = 12, minute: int = 0) -> str:
    """The UTC ISO time of `hour:minute` on `day` in the business time zone (Asia/Shanghai, UTC+8)."""
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(current_app.config["BUSINESS_TIMEZONE"]))
    return local.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


@pytest.fixture
def faults(world):
    codes = [
        FaultCode(code="screen", name="屏幕故障", name_en="Screen fault", position=1),
        FaultCode(code="battery", name="电池故障", name_en="Battery fault", position=2),
        FaultCode(code="no_fault", name="无故障（无理由）", name_en="No fault", is_fault=False, position=9),
        FaultCode(code="retired", name="旧代码", name_en="Retired", position=5, active=False),
    ]
    db.session.add_all(codes)
    db.session.commit()
    return {c.code: c for c in codes}


def sold(clerk, world, serial: int, purchased: date, *, tac: str = P30_TAC, product=None, **kw) -> dict:
    body = card_body(world, serial, tac=tac, purchase_date=purchased.isoformat(), **kw)
    if product is not None:
        body["product_id"] = product.id
    return register(clerk, body)


def event(kind: str, card: dict, occurred_at: str, fault: str = "screen", **kw) -> dict:
    return {"id": new_id(), "kind": kind, "card_id": card["id"], "fault_code": fault, "occurred_at": occurred_at, **kw}


def new_unit(world, serial: int, *, tac: str = P30_TAC, product=None, **kw) -> dict:
    return {
        "id": new_id(),
        "imei": imei(tac, serial),
        "product_id": (product or world.product).id,
        "serial_number": f"SN-NEW-{serial:06d}",
        **kw,
    }


def post(client, body: dict, status: int) -> dict:
    r = client.post(EVENTS, json=body)
    assert r.status_code == status, r.json
    return r.json


def refused(client, body: dict, status: int, reason: str, params: dict | None = None) -> dict:
    answer = post(client, body, status)
    assert answer["reason"] == reason, answer
    if params is not None:
        assert answer["params"] == params
    return answer


def card_now(client, card_id: str) -> dict:
    r = client.get(f"{CARDS}/{card_id}")
    assert r.status_code == 200, r.json
    return r.json


def revisions(client, card_id: str) -> list[dict]:
    r = client.get(f"{CARDS}/{card_id}/revisions")
    assert r.status_code == 200, r.json
    return r.json


def events_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ServiceEvent))


# --- the windows, in the business time zone ------------------------------------------------------------


def test_a_return_on_day_7_closes_the_card_and_day_8_is_refused_with_the_dates(api, world, faults):
    clerk = api(world.clerk_a1)
    bought = date(2026, 11, 10)  # return until 11-17, exchange until 11-25, repair until 2027-11-10
    first = sold(clerk, world, 1, bought)
    second = sold(clerk, world, 2, bought)

    late = refused(
        clerk,
        event("return", second, at(date(2026, 11, 18))),
        422,
        "service.return_expired",
        {"until": "2026-11-17", "occurred_on": "2026-11-18"},
    )
    assert late["field"] == "occurred_at"
    assert card_now(clerk, second["id"])["closed_at"] is None

    body = event("return", first, at(date(2026, 11, 17)), note="屏幕花屏")
    got = post(clerk, body, 201)
    assert {k: got[k] for k in ("id", "kind", "card_id", "fault_code", "note", "occurred_on", "purchase_date")} == {
        "id": body["id"],
        "kind": "return",
        "card_id": first["id"],
        "fault_code": "screen",
        "note": "屏幕花屏",
        "occurred_on": "2026-11-17",
        "purchase_date": "2026-11-10",
    }
    assert (got["store_id"], got["region_id"], got["product_id"]) == (
        world.store_a1.id,
        world.region_a.id,
        world.product.id,
    )
    assert got["fault_code_id"] == faults["screen"].id
    assert got["terms"] == {"return_until": "2026-11-17", "exchange_until": "2026-11-25", "repair_until": "2027-11-10"}
    assert got["new_card_id"] is None and got["recorded_by"] == world.clerk_a1.id

    card = card_now(clerk, first["id"])
    assert (card["closed_kind"], card["standing"], card["revision"]) == ("returned", "returned", 2)
    assert card["closed_at"] is not None and card["voided_at"] is None
    history = revisions(clerk, first["id"])
    assert [r["kind"] for r in history] == ["return"]
    assert history[0]["changes"]["closed_kind"] == [None, "returned"]
    assert history[0]["changes"]["fault_code"] == [None, "screen"]
    assert (
        db.session.scalar(
            select(func.count()).select_from(WarrantyImei).where(WarrantyImei.card_id == uuid.UUID(first["id"]))
        )
        == 0
    )


def test_the_day_is_the_business_day_not_the_utc_one(api, world, faults):
    """23:30 in Shanghai on day 7 is 15:30 UTC the same day: allowed. 00:30 on day 8 is still
    day 7 in UTC (16:30): refused, as day 8."""
    clerk = api(world.clerk_a1)
    bought = date(2026, 11, 10)
    a, b = sold(clerk, world, 1, bought), sold(clerk, world, 2, bought)
    ok = event("return", a, at(date(2026, 11, 17), 23, 30))
    assert ok["occurred_at"] == "2026-11-17T15:30:00Z"
    assert post(clerk, ok, 201)["occurred_on"] == "2026-11-17"
    late = event("return", b, at(date(2026, 11, 18), 0, 30))
    assert late["occurred_at"] == "2026-11-17T16:30:00Z"
    refused(clerk, late, 422, "service.return_expired", {"until": "2026-11-17", "occurred_on": "2026-11-18"})


def test_an_exchange_on_day_15_is_allowed_and_day_16_refused(api, world, faults):
    clerk = api(world.clerk_a1)
    bought = date(2026, 11, 10)
    a, b = sold(clerk, world, 1, bought), sold(clerk, world, 2, bought)
    refused(
        clerk,
        event("exchange", b, at(date(2026, 11, 26)), new_card=new_unit(world, 12)),
        422,
        "service.exchange_expired",
        {"until": "2026-11-25", "occurred_on": "2026-11-26"},
    )
    got = post(clerk, event("exchange", a, at(date(2026, 11, 25)), new_card=new_unit(world, 11)), 201)
    assert got["occurred_on"] == "2026-11-25" and got["new_card_id"] is not None


def test_a_purchase_on_the_last_day_of_a_month(api, world, faults):
    """Bought 31 Oct: return until 7 Nov, exchange until 15 Nov (days run across the month end)."""
    clerk = api(world.clerk_a1)
    bought = date(2026, 10, 31)
    cards = [sold(clerk, world, n, bought) for n in (1, 2, 3, 4)]
    assert cards[0]["terms"] == {
        "return_until": "2026-11-07",
        "exchange_until": "2026-11-15",
        "repair_until": "2027-10-31",
    }
    refused(clerk, event("return", cards[0], at(date(2026, 11, 8))), 422, "service.return_expired")
    post(clerk, event("return", cards[0], at(date(2026, 11, 7))), 201)
    refused(
        clerk,
        event("exchange", cards[1], at(date(2026, 11, 16)), new_card=new_unit(world, 21)),
        422,
        "service.exchange_expired",
        {"until": "2026-11-15", "occurred_on": "2026-11-16"},
    )
    post(clerk, event("exchange", cards[1], at(date(2026, 11, 15)), new_card=new_unit(world, 21)), 201)
    # After the return days, within the exchange days: an exchange yes, a return no.
    refused(clerk, event("return", cards[2], at(date(2026, 11, 10))), 422, "service.return_expired")
    post(clerk, event("exchange", cards[2], at(date(2026, 11, 10)), new_card=new_unit(world, 22)), 201)


def test_repairs_within_the_repair_months_and_a_31st_plus_13_months(api, world, faults):
    """An older model (on sale since 2025): bought 31 Oct 2025, repairs until 31 Oct 2026. A
    model with 13 repair months bought 31 Jan 2025: 31 Feb 2026 does not exist, so 28 Feb."""
    clerk = api(world.clerk_a1)
    n10 = make_product("XL-N10", (N10_TAC,))
    n13 = make_product("XL-N13", ("86771299",), repair_months=13)
    point = make_store("SP-001", world.terr_a1, 23.13, 113.33, name="星澜售后 天河服务中心", kind="service_point")
    db.session.commit()
    a = sold(clerk, world, 1, date(2025, 10, 31), tac=N10_TAC, product=n10)
    b = sold(clerk, world, 2, date(2025, 10, 31), tac=N10_TAC, product=n10)
    c = sold(clerk, world, 3, date(2025, 1, 31), tac="86771299", product=n13)
    d = sold(clerk, world, 4, date(2025, 1, 31), tac="86771299", product=n13)
    assert c["terms"]["repair_until"] == "2026-02-28"
    where = {"repair_store_id": point.id}
    refused(
        clerk,
        event("repair", a, at(date(2026, 11, 1)), **where),
        422,
        "service.repair_expired",
        {"until": "2026-10-31", "occurred_on": "2026-11-01"},
    )
    post(clerk, event("repair", b, at(date(2026, 10, 31)), **where), 201)
    refused(
        clerk,
        event("repair", c, at(date(2026, 3, 1)), **where),
        422,
        "service.repair_expired",
        {"until": "2026-02-28", "occurred_on": "2026-03-01"},
    )
    post(clerk, event("repair", d, at(date(2026, 2, 28)), **where), 201)
    # Past its exchange days an old card may still be repaired, not returned nor exchanged.
    refused(clerk, event("return", a, at(date(2026, 5, 1))), 422, "service.return_expired")


def test_an_event_before_the_purchase_or_in_the_future_is_refused(api, world, faults):
    clerk = api(world.clerk_a1)
    card = sold(clerk, world, 1, date(2026, 11, 10))
    refused(
        clerk,
        event("return", card, at(date(2026, 11, 9), 23, 59)),
        422,
        "service.before_purchase",
        {"purchase_date": "2026-11-10", "occurred_on": "2026-11-09"},
    )
    future = (datetime.now(UTC) + timedelta(hours=2)).replace(tzinfo=None).isoformat() + "Z"
    refused(clerk, event("return", card, future), 422, "device_time.future")
    assert events_count() == 0


# --- exchanges -------------------------------------------------------------------------------------------


def test_an_exchange_gives_the_new_unit_a_card_with_the_old_purchase_date_and_buyer(api, world, faults):
    clerk = api(world.clerk_a1)
    old = sold(clerk, world, 1, date(2026, 11, 10), imei2=imei(serial=101))
    unit = new_unit(world, 2, imei2=imei(serial=102))
    body = event("exchange", old, at(date(2026, 11, 20), 15, 0), fault="battery", new_card=unit)
    got = post(clerk, body, 201)
    assert got["new_card_id"] == unit["id"] and got["fault_code"] == "battery"

    new = card_now(clerk, unit["id"])
    for field in ("purchase_date", "buyer_name", "buyer_phone", "buyer_address", "invoice_number", "store_id", "terms"):
        assert new[field] == old[field], field
    assert new["purchase_date"] == "2026-11-10"
    assert new["terms"] == {"return_until": "2026-11-17", "exchange_until": "2026-11-25", "repair_until": "2027-11-10"}
    assert (new["imei"], new["imei2"], new["serial_number"]) == (unit["imei"], unit["imei2"], "SN-NEW-000002")
    assert new["replaces_card_id"] == old["id"]
    assert new["registered_at"] == "2026-11-20T07:00:00+00:00"  # 15:00 in Shanghai
    assert new["registered_by"] == world.clerk_a1.id
    assert (new["closed_at"], new["closed_kind"], new["masked"]) == (None, None, False)
    # The remaining terms, not new ones: bought 10 Nov, 三包 today is what it is for the old phone.
    assert new["standing"] in ("repairable", "expired")

    closed = card_now(clerk, old["id"])
    assert (closed["closed_kind"], closed["standing"]) == ("exchanged", "exchanged")
    history = revisions(clerk, old["id"])
    assert [r["kind"] for r in history] == ["exchange"]
    assert history[0]["changes"]["replaced_by"] == [None, unit["id"]]
    assert history[0]["changes"]["fault_code"] == [None, "battery"]
    # Both IMEIs of the old phone are free, the new phone's held by the new card.
    held = dict(db.session.execute(select(WarrantyImei.imei, WarrantyImei.card_id)).all())
    assert {k: str(v) for k, v in held.items()} == {unit["imei"]: unit["id"], unit["imei2"]: unit["id"]}
    # The exchanged card can be found by its old IMEI (history), the new one by its IMEI.
    found = clerk.get(CARDS, query_string={"imei": old["imei"]}).json
    assert [c["id"] for c in found] == [old["id"]]
    # The inherited purchase date stays: a correction may not restart 三包 (other fields may be corrected).
    moved = clerk.patch(f"{CARDS}/{unit['id']}", json={"purchase_date": "2026-11-20"})
    assert moved.status_code == 422, moved.json
    assert (moved.json["reason"], moved.json["params"]) == (
        "card.purchase_date_inherited",
        {"purchase_date": "2026-11-10"},
    )
    fixed = clerk.patch(f"{CARDS}/{unit['id']}", json={"buyer_name": "王小五", "purchase_date": "2026-11-10"})
    assert fixed.status_code == 200, fixed.json
    assert (fixed.json["buyer_name"], fixed.json["purchase_date"]) == ("王小五", "2026-11-10")
    assert fixed.json["terms"] == new["terms"]


def test_the_replacement_unit_passes_the_registration_checks(api, world, faults):
    clerk = api(world.clerk_a1)
    old = sold(clerk, world, 1, date(2026, 11, 10), imei2=imei(serial=101))
    other = sold(clerk, world, 2, date(2026, 11, 10))
    day = at(date(2026, 11, 12))

    bad = new_unit(world, 3)
    bad["imei"] = bad["imei"][:-1] + str((int(bad["imei"][-1]) + 1) % 10)
    answer = post(clerk, event("exchange", old, day, new_card=bad), 422)
    assert answer["field"] == "new_card.imei"
    refused(clerk, event("exchange", old, day), 422, "service.new_card_required")
    refused(
        clerk,
        event("exchange", old, day, new_card=new_unit(world, 3, tac=N10_TAC)),
        422,
        "card.imei_not_model_tac",
    )
    refused(clerk, event("exchange", old, day, new_card=new_unit(world, 1)), 422, "service.same_unit")
    refused(clerk, event("exchange", old, day, new_card=new_unit(world, 101)), 422, "service.same_unit")
    refused(
        clerk,
        event("exchange", old, day, new_card=new_unit(world, 2)),
        409,
        "card.imei_taken_here",
        {"imei": imei(serial=2), "registered_on": local_day(other["registered_at"])},
    )
    dup = new_unit(world, 3, imei2=imei(serial=3))
    refused(clerk, event("exchange", old, day, new_card=dup), 422, "card.imei2_repeats")
    taken_id = new_unit(world, 3, id=other["id"])
    refused(clerk, event("exchange", old, day, new_card=taken_id), 409, "card.id_taken")
    refused(
        clerk,
        event("exchange", old, day, new_card=new_unit(world, 3, product_id=2_000_000)),
        422,
        "card.unknown_product",
    )
    # Nothing of the refused exchanges stayed: the old card is live, with its IMEIs.
    assert card_now(clerk, old["id"])["closed_at"] is None
    assert events_count() == 0
    assert db.session.scalar(select(func.count()).select_from(WarrantyCard)) == 2


def test_another_model_only_where_policy_allows_it(api, world, faults, monkeypatch, app):
    clerk = api(world.clerk_a1)
    n10 = make_product("XL-N10", (N10_TAC,))
    old = sold(clerk, world, 1, date(2026, 11, 10))
    body = event("exchange", old, at(date(2026, 11, 12)), new_card=new_unit(world, 5, tac=N10_TAC, product=n10))
    refused(clerk, body, 422, "service.other_model_not_allowed", {"model": "XL-P30", "new_model": "XL-N10"})
    monkeypatch.setitem(app.config, "WARRANTY_EXCHANGE_OTHER_MODEL", True)
    got = post(clerk, body, 201)
    new = card_now(clerk, got["new_card_id"])
    assert new["product_id"] == n10.id and new["purchase_date"] == "2026-11-10"
    # The new model's own terms from the inherited purchase date (its periods are the defaults too).
    assert new["terms"]["exchange_until"] == "2026-11-25"
    assert got["product_id"] == world.product.id  # the event is the old phone's model's


def test_the_unit_of_a_closed_card_may_be_registered_again(api, world, faults):
    clerk = api(world.clerk_a1)
    returned = sold(clerk, world, 1, date(2026, 11, 10))
    exchanged = sold(clerk, world, 2, date(2026, 11, 10))
    post(clerk, event("return", returned, at(date(2026, 11, 12))), 201)
    post(clerk, event("exchange", exchanged, at(date(2026, 11, 12)), new_card=new_unit(world, 3)), 201)
    # Sold again, to other buyers: new cards for the same IMEIs.
    again = sold(clerk, world, 1, date(2026, 11, 20), buyer_name="李四")
    again2 = sold(clerk, world, 2, date(2026, 11, 21))
    assert again["imei"] == returned["imei"] and again["standing"] != "returned"
    assert again2["imei"] == exchanged["imei"]
    # The replacement unit is live: its IMEI is taken.
    taken = clerk.post(CARDS, json=card_body(world, 3, purchase_date="2026-11-22"))
    assert taken.status_code == 409 and taken.json["reason"] == "card.imei_taken_here"


def test_an_exchange_re_evaluates_diversion_on_the_new_unit(api, world, faults):
    """The new unit was shipped to region B and is handed over in region A: flagged. The old
    card's flag (its unit shipped to B too) goes with the unit back into stock."""
    clerk = api(world.clerk_a1)
    p, b = world.product.id, world.region_b.id
    ship(world.hq, (imei(serial=1), p, date(2026, 9, 1), b, None), (imei(serial=2), p, date(2026, 9, 1), b, None))
    old = sold(clerk, world, 1, date(2026, 11, 10))
    flags = lambda: {str(f.card_id): f.imei for f in db.session.scalars(select(DiversionFlag))}  # noqa: E731
    assert flags() == {old["id"]: imei(serial=1)}
    got = post(clerk, event("exchange", old, at(date(2026, 11, 12)), new_card=new_unit(world, 2)), 201)
    db.session.expire_all()
    assert flags() == {got["new_card_id"]: imei(serial=2)}


# --- idempotency ---------------------------------------------------------------------------------------------


def test_the_same_event_again_is_200_without_a_second_row_and_other_content_409(api, world, faults):
    clerk = api(world.clerk_a1)
    card = sold(clerk, world, 1, date(2026, 11, 10))
    body = event("exchange", card, at(date(2026, 11, 12)), note="换新", new_card=new_unit(world, 2))
    first = post(clerk, body, 201)
    again = post(clerk, body, 200)  # the answer was lost: the card is closed now, the resend still fine
    assert again == first
    assert events_count() == 1
    assert db.session.scalar(select(func.count()).select_from(WarrantyCard)) == 2

    other = {**body, "note": "另一个", "fault_code": "battery"}
    answer = refused(clerk, other, 409, "service.id_taken_other_content")
    assert answer["params"] == {"event_id": body["id"], "fields": ["fault_code", "note"]}
    other_unit = {**body, "new_card": {**body["new_card"], "imei": imei(serial=9)}}
    assert refused(clerk, other_unit, 409, "service.id_taken_other_content")["params"]["fields"] == ["new_card"]
    as_return = {k: v for k, v in body.items() if k != "new_card"} | {"kind": "return"}
    assert refused(clerk, as_return, 409, "service.id_taken_other_content")["params"]["fields"] == ["kind", "new_card"]
    assert events_count() == 1


# --- refusals ------------------------------------------------------------------------------------------------


def test_closed_and_voided_cards(api, world, faults):
    clerk, hq = api(world.clerk_a1), api(world.hq)
    card = sold(clerk, world, 1, date(2026, 11, 10))
    voided = sold(clerk, world, 2, date(2026, 11, 10))
    assert hq.post(f"{CARDS}/{voided['id']}/void", json={"reason": "登记错误"}).status_code == 200
    refused(clerk, event("return", voided, at(date(2026, 11, 12))), 409, "service.card_voided")

    post(clerk, event("return", card, at(date(2026, 11, 12))), 201)
    refused(
        clerk, event("return", card, at(date(2026, 11, 13))), 409, "service.card_closed", {"closed_kind": "returned"}
    )
    refused(
        clerk,
        event("exchange", card, at(date(2026, 11, 13)), new_card=new_unit(world, 3)),
        409,
        "service.card_closed",
    )
    # A closed card cannot be corrected; HQ may void it once (void wins), not twice.
    fix = clerk.patch(f"{CARDS}/{card['id']}", json={"buyer_name": "王五"})
    assert fix.status_code == 409 and fix.json["reason"] == "card.closed"
    assert fix.json["params"] == {"closed_kind": "returned"}
    first = hq.post(f"{CARDS}/{card['id']}/void", json={"reason": "测试"})
    assert first.status_code == 200 and first.json["standing"] == "void"
    assert first.json["closed_kind"] == "returned"
    second = hq.post(f"{CARDS}/{card['id']}/void", json={"reason": "测试"})
    assert second.status_code == 409 and second.json["reason"] == "card.already_voided"
    assert [r["kind"] for r in revisions(clerk, card["id"])] == ["return", "void"]


def test_fault_codes_and_the_no_fault_policy(api, world, faults, monkeypatch, app):
    clerk = api(world.clerk_a1)
    cards = [sold(clerk, world, n, date(2026, 11, 10)) for n in (1, 2, 3)]
    day = at(date(2026, 11, 12))
    refused(
        clerk,
        event("return", cards[0], day, fault="cracked"),
        422,
        "service.unknown_fault_code",
        {"fault_code": "cracked"},
    )
    refused(clerk, event("return", cards[0], day, fault="retired"), 422, "service.unknown_fault_code")
    refused(clerk, event("return", cards[0], day, fault="no_fault"), 422, "service.no_fault_not_allowed")
    refused(
        clerk,
        event("exchange", cards[1], day, fault="no_fault", new_card=new_unit(world, 4)),
        422,
        "service.no_fault_only_return",
    )
    monkeypatch.setitem(app.config, "WARRANTY_NO_FAULT_RETURNS", True)
    assert post(clerk, event("return", cards[0], day, fault="no_fault"), 201)["fault_code"] == "no_fault"
    refused(
        clerk,
        event("repair", cards[2], day, fault="no_fault", repair_partner_id=world.partner.id),
        422,
        "service.no_fault_only_return",
    )


def test_who_may_record_an_event(api, world, faults):
    clerk = api(world.clerk_a1)
    card = sold(clerk, world, 1, date(2026, 11, 10))
    body = event("return", card, at(date(2026, 11, 12)))
    refused(api(world.clerk_b1), body, 403, "service.not_your_store")
    for user in (world.rep_a1, world.manager_a, world.hq):
        refused(api(user), {**body, "id": new_id()}, 403, "role.forbidden")
    refused(clerk, {**body, "card_id": new_id()}, 404, "card.not_found")
    assert events_count() == 0


def test_fields_of_another_kind_are_refused(api, world, faults):
    clerk = api(world.clerk_a1)
    card = sold(clerk, world, 1, date(2026, 11, 10))
    day = at(date(2026, 11, 12))
    refused(
        clerk,
        event("return", card, day, new_card=new_unit(world, 2)),
        422,
        "service.field_not_for_kind",
        {"field": "new_card", "kind": "return"},
    )
    refused(
        clerk,
        event("exchange", card, day, new_card=new_unit(world, 2), repair_store_id=world.store_a2.id),
        422,
        "service.field_not_for_kind",
        {"field": "repair_store_id", "kind": "exchange"},
    )
    answer = post(clerk, {**event("return", card, day), "kind": "refund"}, 422)
    assert answer["field"] == "kind"


# --- repairs and repair points -------------------------------------------------------------------------------


def test_a_repair_referral_keeps_the_card_live_and_shows_in_its_history(api, world, faults):
    clerk = api(world.clerk_a1)
    point = make_store("SP-001", world.terr_a2, 23.13, 113.27, name="星澜售后 越秀服务中心", kind="service_point")
    closed_point = make_store(
        "SP-002", world.terr_a2, 23.13, 113.28, name="已关闭网点", kind="service_point", status="closed"
    )
    world.partner.repair_provider = True
    db.session.commit()
    card = sold(clerk, world, 1, date(2026, 11, 10))
    day = at(date(2026, 11, 30))

    refused(clerk, event("repair", card, day), 422, "service.repair_point_required")
    both = event("repair", card, day, repair_store_id=point.id, repair_partner_id=world.partner.id)
    refused(clerk, both, 422, "service.repair_point_required")
    for where in (
        {"repair_store_id": world.store_a2.id},  # a shop, not a service point
        {"repair_store_id": closed_point.id},
        {"repair_store_id": 2_000_000},
    ):
        refused(clerk, event("repair", card, day, **where), 422, "service.unknown_repair_point")

    got = post(clerk, event("repair", card, day, repair_store_id=point.id), 201)
    assert (got["repair_store_id"], got["repair_partner_id"], got["new_card_id"]) == (point.id, None, None)
    again = post(
        clerk, event("repair", card, at(date(2026, 12, 1)), fault="battery", repair_partner_id=world.partner.id), 201
    )
    assert again["repair_partner_id"] == world.partner.id

    now = card_now(clerk, card["id"])
    assert (now["closed_at"], now["closed_kind"], now["revision"]) == (None, None, 3)
    history = revisions(clerk, card["id"])
    assert [(r["kind"], r["changes"]["repair"]) for r in history] == [
        ("repair", [None, "星澜售后 越秀服务中心"]),
        ("repair", [None, "苏宁易购"]),
    ]
    # The partner stops being a repair provider: no longer a point.
    world.partner.repair_provider = False
    db.session.commit()
    refused(clerk, event("repair", card, day, repair_partner_id=world.partner.id), 422, "service.unknown_repair_point")


def test_repair_points_lists_active_service_points_and_repair_providers(api, world):
    point = make_store(
        "SP-001", world.terr_b1, 22.82, 108.37, name="南宁服务中心", kind="service_point", address="青秀区民族大道1号"
    )
    make_store("SP-002", world.terr_b1, 22.82, 108.38, name="已关闭网点", kind="service_point", status="closed")
    world.partner.repair_provider = True
    db.session.commit()
    expected = [
        {"kind": "store", "id": point.id, "name": "南宁服务中心", "address": "青秀区民族大道1号"},
        {"kind": "partner", "id": world.partner.id, "name": "苏宁易购", "address": None},
    ]
    for user in (world.clerk_a1, world.manager_b, world.hq, world.admin):
        r = api(user).get(POINTS)
        assert r.status_code == 200 and r.json == expected, user.username
    assert api(world.rep_a1).get(POINTS).status_code == 403


# --- reading events ------------------------------------------------------------------------------------------


def test_events_are_read_in_scope_newest_first_with_filters(api, world, faults):
    clerk_a, clerk_b = api(world.clerk_a1), api(world.clerk_b1)
    a1 = sold(clerk_a, world, 1, date(2026, 11, 10))
    a2 = sold(clerk_a, world, 2, date(2026, 11, 10))
    b1 = sold(clerk_b, world, 3, date(2026, 11, 10))
    e1 = post(clerk_a, event("return", a1, at(date(2026, 11, 11))), 201)
    e2 = post(clerk_a, event("exchange", a2, at(date(2026, 11, 13)), new_card=new_unit(world, 4)), 201)
    e3 = post(clerk_b, event("return", b1, at(date(2026, 11, 12))), 201)

    def ids(user, **query) -> list[str]:
        r = api(user).get(EVENTS, query_string=query)
        assert r.status_code == 200, r.json
        return [e["id"] for e in r.json]

    assert ids(world.clerk_a1) == [e2["id"], e1["id"]]
    assert ids(world.clerk_b1) == [e3["id"]]
    assert ids(world.manager_a) == [e2["id"], e1["id"]]
    assert ids(world.manager_b) == [e3["id"]]
    assert ids(world.hq) == [e2["id"], e3["id"], e1["id"]]
    assert ids(world.hq, kind="return") == [e3["id"], e1["id"]]
    assert ids(world.hq, card_id=a2["id"]) == [e2["id"]]
    assert ids(world.hq, store_id=world.store_b1.id) == [e3["id"]]
    assert ids(world.hq, since="2026-11-12", until="2026-11-12") == [e3["id"]]
    assert api(world.rep_a1).get(EVENTS).status_code == 403
    page = api(world.hq).get(EVENTS, query_string={"page_size": 1})
    assert len(page.json) == 1 and '"total": 3' in page.headers["X-Pagination"]


def test_fault_codes_are_listed_in_order_and_edited_by_hq(api, world, faults):
    def codes(user, **query):
        r = api(user).get(FAULTS, query_string=query)
        assert r.status_code == 200, r.json
        return [f["code"] for f in r.json]

    for user in (world.clerk_a1, world.rep_a1, world.manager_a, world.hq):
        assert codes(user) == ["screen", "battery", "no_fault"]
    assert codes(world.hq, include_inactive="true") == ["screen", "battery", "retired", "no_fault"]
    assert codes(world.clerk_a1, include_inactive="true") == ["screen", "battery", "no_fault"]

    hq = api(world.hq)
    r = hq.post(FAULTS, json={"code": "camera", "name": "摄像头故障", "name_en": "Camera fault", "position": 3})
    assert r.status_code == 201, r.json
    assert r.json | {"id": 0} == {
        "id": 0,
        "code": "camera",
        "name": "摄像头故障",
        "name_en": "Camera fault",
        "is_fault": True,
        "position": 3,
        "active": True,
    }
    dup = hq.post(FAULTS, json={"code": "screen", "name": "重复"})
    assert dup.status_code == 409 and dup.json["reason"] == "record.duplicate"
    r = hq.patch(f"{FAULTS}/{faults['battery'].id}", json={"active": False})
    assert r.status_code == 200 and r.json["active"] is False
    assert codes(world.clerk_a1) == ["screen", "camera", "no_fault"]
    assert hq.patch(f"{FAULTS}/2000000", json={"active": False}).status_code == 404
    assert api(world.clerk_a1).post(FAULTS, json={"code": "x", "name": "x"}).status_code == 403
    assert api(world.manager_a).patch(f"{FAULTS}/{faults['screen'].id}", json={"name": "y"}).status_code == 403
    assert hq.post(FAULTS, json={"code": "Bad Code", "name": "x"}).status_code == 422
    # An unused code may be renamed (a typo); one an event names may not (a resend of the event
    # would no longer match it), though its names may change.
    assert hq.patch(f"{FAULTS}/{r.json['id']}", json={"code": "camera_fault"}).json["code"] == "camera_fault"
    clerk = api(world.clerk_a1)
    post(clerk, event("return", sold(clerk, world, 1, date(2026, 11, 10)), at(date(2026, 11, 12))), 201)
    renamed = hq.patch(f"{FAULTS}/{faults['screen'].id}", json={"code": "display"})
    assert renamed.status_code == 409, renamed.json
    assert (renamed.json["reason"], renamed.json["params"]) == ("service.fault_code_in_use", {"fault_code": "screen"})
    same = hq.patch(f"{FAULTS}/{faults['screen'].id}", json={"code": "screen", "name_en": "Display fault"})
    assert same.status_code == 200 and same.json["name_en"] == "Display fault"


# --- the channel: a closed card is no sell-out; a returned unit is back in stock, an exchanged one not ----


def assert_rebuild_agrees() -> dict:
    incremental = rollups()
    rebuild()
    assert rollups() == incremental
    return incremental


def test_a_return_puts_the_unit_back_into_channel_stock_and_rebuild_agrees(api, world, faults):
    clerk = api(world.clerk_a1)
    a, sn, p, s1 = world.region_a.id, world.partner.id, world.product.id, world.store_a1.id
    shipped = date(2026, 9, 1)
    ship(world.hq, *[(imei(serial=n), p, shipped, a, sn) for n in (1, 2, 3)])
    w0, bought, key = monday(shipped), date(2026, 11, 10), f"p{p}"
    wb = monday(bought)  # 2026-11-09
    c1 = sold(clerk, world, 1, bought)
    c2 = sold(clerk, world, 2, bought)
    got = assert_rebuild_agrees()
    assert got["channel_stock"] == {(a, sn, p): (3, 2)}
    assert got["store_sellout_weeks"] == {(s1, key, wb): (2, 0, 0, 0, 0)}

    post(clerk, event("return", c1, at(date(2026, 11, 12))), 201)
    got = assert_rebuild_agrees()
    assert got["channel_stock"] == {(a, sn, p): (3, 1)}  # unit 1 back in stock
    assert got["channel_cohorts"] == {(a, sn, p, w0): (3, 1)}
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (1,)}
    assert got["store_sellout_weeks"] == {(s1, key, wb): (1, 0, 0, 0, 0)}

    # Unit 2 exchanged for unit 3: one sell-out still, now unit 3's card, in the inherited
    # purchase week; but both units left the store's stock (the faulty unit 2 went to
    # after-sales, not back on the shelf): stock 3 − 2 sold = 1 (unit 1, returned).
    post(clerk, event("exchange", c2, at(date(2026, 11, 20)), new_card=new_unit(world, 3)), 201)
    got = assert_rebuild_agrees()
    assert got["channel_stock"] == {(a, sn, p): (3, 2)}
    assert got["channel_cohorts"] == {(a, sn, p, w0): (3, 2)}
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (2,)}  # units 2 and 3, both in the purchase week
    assert got["store_sellout_weeks"] == {(s1, key, wb): (1, 0, 0, 0, 0)}
    sold_units = set(
        db.session.scalars(select(WarrantyImei.imei).join(WarrantyCard, WarrantyCard.id == WarrantyImei.card_id))
    )
    assert sold_units == {imei(serial=3)}

    # The returned unit sold again on 24 Nov (week of 23 Nov); a repair changes no figure.
    c1b = sold(clerk, world, 1, date(2026, 11, 24))
    point = make_store("SP-001", world.terr_a1, 23.13, 113.33, name="服务中心", kind="service_point")
    db.session.commit()
    post(clerk, event("repair", c1b, at(date(2026, 11, 30)), repair_store_id=point.id), 201)
    got = assert_rebuild_agrees()
    w24 = date(2026, 11, 23)
    assert got["channel_stock"] == {(a, sn, p): (3, 3)}  # units 1 (resold), 2 (faulty, exchanged), 3
    assert got["channel_sales"] == {(a, sn, p, w0, wb): (2,), (a, sn, p, w0, w24): (1,)}
    assert got["store_sellout_weeks"] == {(s1, key, wb): (1, 0, 0, 0, 0), (s1, key, w24): (1, 0, 0, 0, 0)}


# --- at the same moment (PostgreSQL: SQLite has one writer at a time, no race to test) ------------------------


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
)
def test_two_events_on_one_card_at_once_make_one_and_a_resend_at_once_is_the_same(app, world, faults):
    """Per card, a return and an exchange sent at the same moment (two tabs of the counter): the
    card row is locked, so the second sees the card closed (409) instead of closing it again.
    The same return sent twice at once: one row, 201 and 200."""
    owner = ApiClient(app.test_client(), world.clerk_a1)
    rounds = 4
    cards = [sold(owner, world, n, date(2026, 11, 10)) for n in range(1, 2 * rounds + 1)]
    day = at(date(2026, 11, 12))
    calls = []
    for n in range(rounds):
        pair = cards[n]
        swap = event("exchange", pair, day, new_card=new_unit(world, 100 + n))
        calls.append((n, [event("return", pair, day), swap]))
        resend = event("return", cards[rounds + n], day)
        calls.append((rounds + n, [resend, resend]))
    clients = [ApiClient(app.test_client(), world.clerk_a1) for _ in range(2)]
    outcomes: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def attempt(key, client, body, barrier):
        try:
            barrier.wait(timeout=10)
            r = client.post(EVENTS, json=body)
            outcomes.setdefault(key, []).append((r.status_code, (r.get_json() or {}).get("reason")))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for key, bodies in calls:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=attempt, args=(key, client, body, barrier))
            for client, body in zip(clients, bodies, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors
    for key, got in outcomes.items():
        if key < rounds:
            assert sorted(got) == [(201, None), (409, "service.card_closed")], (key, got)
        else:
            assert sorted(got) == [(200, None), (201, None)], (key, got)
    db.session.rollback()
    assert events_count() == 2 * rounds


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
)
def test_a_correction_at_the_moment_of_a_return_never_corrects_the_closed_card(app, world, faults):
    """A correction of the card's IMEI and its return sent at the same moment (two clerks of the
    store): whichever comes first, the card ends closed with no IMEI held for it and a history
    numbered 1, 2, 3 … without a repeat. (The correction read the card without waiting for the
    return's lock: it then corrected the closed card, claimed the new IMEI for it and wrote a
    second revision 2.)"""
    owner = ApiClient(app.test_client(), world.clerk_a1)
    rounds = 6
    cards = [sold(owner, world, n, date(2026, 11, 10)) for n in range(1, rounds + 1)]
    day = at(date(2026, 11, 12))
    clients = [ApiClient(app.test_client(), world.clerk_a1) for _ in range(2)]
    outcomes: dict[int, list] = {}
    errors: list[BaseException] = []

    def attempt(n, call, barrier):
        try:
            barrier.wait(timeout=10)
            r = call()
            outcomes.setdefault(n, []).append((r.status_code, (r.get_json() or {}).get("reason")))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for n, card in enumerate(cards):
        barrier = threading.Barrier(2)
        calls = [
            lambda card=card: clients[0].post(EVENTS, json=event("return", card, day)),
            lambda card=card, n=n: clients[1].patch(f"{CARDS}/{card['id']}", json={"imei": imei(P30_TAC, 500 + n)}),
        ]
        threads = [threading.Thread(target=attempt, args=(n, call, barrier)) for call in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors
    db.session.rollback()
    for n, card in enumerate(cards):
        assert sorted(outcomes[n]) in ([(200, None), (201, None)], [(201, None), (409, "card.closed")]), outcomes[n]
        row = db.session.get(WarrantyCard, uuid.UUID(card["id"]))
        assert row.closed_kind == "returned"
        held = db.session.scalars(select(WarrantyImei.imei).where(WarrantyImei.card_id == row.id)).all()
        assert held == [], (n, held)
        numbers = db.session.scalars(
            select(WarrantyCardRevision.revision).where(WarrantyCardRevision.card_id == row.id)
        ).all()
        assert sorted(numbers) == list(range(2, row.revision + 1)), (n, numbers)
