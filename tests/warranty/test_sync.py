"""Warranty cards and spot checks through sync: a counter with no network queues registrations
and corrections (applied exactly once, by the REST rules); pull gives a store's cards, with the
buyer's data, to that store's clerks and to nobody else; a rep's spot check comes back with the
shipment check an import did later."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.sync.models import SyncRejection
from backend.warranty.models import WarrantyCard, WarrantyCardRevision
from tests.factories import imei
from tests.sync.helpers import Device, apply_changes, snapshot
from tests.warranty.helpers import (
    CARDS,
    card_body,
    csv_bytes,
    days_ago,
    local_day,
    run_import,
    shipment_row,
    spot_check_body,
)

pytestmark = pytest.mark.usefixtures("rq_worker")


def count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def results(resp) -> list[dict]:
    assert resp.status_code == 200, resp.json
    return resp.json["results"]


def statuses(resp) -> list[str]:
    return [r["status"] for r in results(resp)]


def push(device: Device, *mutations: tuple[str, dict]):
    return device.push([device.mutation(name, args) for name, args in mutations])


def cards_in(items: list[dict]) -> dict[str, dict]:
    """The warranty_card puts among pulled items, by id."""
    return {i["id"]: i for i in items if i["entity"] == "warranty_card"}


# --- push ----------------------------------------------------------------------------------------------


def test_a_counter_registers_offline_and_a_resent_push_applies_once(api, world):
    device = Device(api(world.clerk_a1))
    body = card_body(world, 1, imei2=imei(serial=2))
    batch = [device.mutation("warranty.register", body)]
    assert statuses(device.push(batch)) == ["applied"]
    # The answer was lost: the phone sends the same batch again, then the card queued twice.
    assert statuses(device.push(batch)) == ["duplicate"]
    assert statuses(push(device, ("warranty.register", body))) == ["applied"]
    assert count(WarrantyCard) == 1
    got = api(world.clerk_a1).get(f"{CARDS}/{body['id']}").json
    assert (got["imei"], got["imei2"], got["buyer_phone"], got["store_id"]) == (
        imei(serial=1),
        imei(serial=2),
        "13812345678",
        world.store_a1.id,
    )
    assert got["registered_at"] == body["registered_at"].replace("Z", "+00:00")


def test_a_duplicate_imei_from_another_device_is_rejected_with_the_message(api, world):
    first, second = Device(api(world.clerk_a1)), Device(api(world.clerk_a1))
    card = card_body(world, 1)
    assert statuses(push(first, ("warranty.register", card))) == ["applied"]
    [result] = results(push(second, ("warranty.register", card_body(world, 1, buyer_name="李四"))))
    assert result["status"] == "rejected"
    error = result["error"]
    registered_on = local_day(card["registered_at"])
    assert error["code"] == "conflict" and error["field"] == "imei"
    assert error["message"] == (
        f"IMEI {imei(serial=1)} already has a warranty card, registered at this store on {registered_on}. "
        "A phone gets one card; correct that card instead, or ask HQ to void it if it was a mistake."
    )
    assert error["details"] == {"imei": imei(serial=1), "registered_on": registered_on, "card_id": card["id"]}
    # Another store's counter gets the same refusal, without the card's id.
    other = Device(api(world.clerk_b1))
    [result] = results(push(other, ("warranty.register", card_body(world, 1))))
    assert result["error"]["code"] == "conflict" and "at another store" in result["error"]["message"]
    assert "card_id" not in result["error"]["details"]
    assert count(WarrantyCard) == 1
    assert count(SyncRejection) == 2


def test_registration_is_refused_by_the_rest_rules(api, world):
    device = Device(api(world.clerk_a1))
    body = card_body(world, 1)
    r = push(
        device,
        ("warranty.register", body | {"imei": imei(serial=1)[:-1] + str((int(imei(serial=1)[-1]) + 1) % 10)}),
        ("warranty.register", card_body(world, 2, purchase_date=days_ago(-1))),
        ("warranty.register", card_body(world, 3, buyer_phone="12345")),
        ("warranty.register", body),
        ("warranty.register", body | {"buyer_name": "李四"}),
    )
    outcome = [(x["status"], x.get("error", {}).get("code")) for x in results(r)]
    assert outcome == [
        ("rejected", "invalid"),
        ("rejected", "invalid"),
        ("rejected", "invalid"),
        ("applied", None),
        ("rejected", "conflict"),
    ]
    errors = [x.get("error") for x in results(r)]
    assert "imei" in errors[0]["errors"]
    assert errors[1]["field"] == "purchase_date" and errors[2]["field"] == "buyer_phone"
    assert errors[4]["details"]["fields"] == ["buyer_name"]
    rep = Device(api(world.rep_a1))
    [result] = results(push(rep, ("warranty.register", card_body(world, 4))))
    assert result["error"]["code"] == "forbidden"
    assert count(WarrantyCard) == 1


def test_a_counter_corrects_a_card_offline(api, world):
    device = Device(api(world.clerk_a1))
    body = card_body(world, 1)
    batch = [
        device.mutation("warranty.register", body),
        device.mutation(
            "warranty.correct", {"id": body["id"], "fields": {"buyer_name": "张三", "buyer_phone": "+86 139 0000 1111"}}
        ),
        device.mutation("warranty.correct", {"id": body["id"], "fields": {"imei": imei(serial=5)}}),
    ]
    assert statuses(device.push(batch)) == ["applied"] * 3
    card = db.session.get(WarrantyCard, uuid.UUID(body["id"]))
    assert (card.buyer_name, card.buyer_phone, card.imei, card.revision) == ("张三", "13900001111", imei(serial=5), 3)
    history = api(world.clerk_a1).get(f"{CARDS}/{body['id']}/revisions").json
    assert [h["changes"] for h in history] == [
        {"buyer_name": ["张三丰", "张三"], "buyer_phone": ["13812345678", "13900001111"]},
        {"imei": [imei(serial=1), imei(serial=5)]},
    ]
    # Resent after a lost answer: nothing applied twice.
    assert statuses(device.push(batch)) == ["duplicate"] * 3
    db.session.expire_all()
    assert count(WarrantyCardRevision, card_id=card.id) == 2 and card.revision == 3
    # The old IMEI is free, the new one taken.
    other = Device(api(world.clerk_a1))
    r = push(other, ("warranty.register", card_body(world, 1)), ("warranty.register", card_body(world, 5)))
    assert [(x["status"], x.get("error", {}).get("code")) for x in results(r)] == [
        ("applied", None),
        ("rejected", "conflict"),
    ]


def test_a_correction_is_refused_by_the_rest_rules(api, world):
    a1 = Device(api(world.clerk_a1))
    b1 = Device(api(world.clerk_b1))
    mine, theirs = card_body(world, 1), card_body(world, 2)
    assert statuses(push(a1, ("warranty.register", mine))) == ["applied"]
    assert statuses(push(b1, ("warranty.register", theirs))) == ["applied"]
    r = push(
        a1,
        ("warranty.correct", {"id": theirs["id"], "fields": {"buyer_name": "李四"}}),
        ("warranty.correct", {"id": str(uuid.uuid4()), "fields": {"buyer_name": "李四"}}),
        ("warranty.correct", {"id": mine["id"], "fields": {"imei": imei(serial=2)}}),
        ("warranty.correct", {"id": mine["id"], "fields": {"purchase_date": days_ago(-2)}}),
        ("warranty.correct", {"id": mine["id"], "fields": {"store_id": world.store_b1.id}}),
    )
    codes = [x["error"]["code"] for x in results(r)]
    assert codes == ["not_found", "not_found", "conflict", "invalid", "invalid"]
    assert results(r)[2]["error"]["field"] == "imei" and "at another store" in results(r)[2]["error"]["message"]
    assert count(WarrantyCardRevision) == 0


# --- pull ----------------------------------------------------------------------------------------------


@pytest.fixture
def cards(api, world) -> dict[str, str]:
    """Two cards at store_a1 (one with an international buyer) and one at store_b1."""
    made = {}
    for key, clerk, serial, extra in (
        ("a1", world.clerk_a1, 1, {}),
        ("a1_intl", world.clerk_a1, 2, {"buyer_phone": "+44 7911 123456"}),
        ("b1", world.clerk_b1, 3, {}),
    ):
        body = card_body(world, serial, **extra)
        device = Device(api(clerk))
        assert statuses(push(device, ("warranty.register", body))) == ["applied"]
        made[key] = body["id"]
    return made


def test_a_clerk_pulls_their_stores_cards_with_the_buyers_data(api, world, cards):
    replica = snapshot(Device(api(world.clerk_a1)))
    got = {k[1]: v["data"] for k, v in replica.items() if k[0] == "warranty_card"}
    assert set(got) == {cards["a1"], cards["a1_intl"]}
    card = got[cards["a1"]]
    assert (card["buyer_name"], card["buyer_phone"], card["buyer_address"]) == (
        "张三丰",
        "13812345678",
        "广州市天河区天河路208号",
    )
    assert card["masked"] is False and card["standing"] == "returnable" and card["store_id"] == world.store_a1.id
    assert set(card["terms"]) == {"return_until", "exchange_until", "repair_until"}
    assert got[cards["a1_intl"]]["buyer_phone"] == "+447911123456"
    # The other store's counter has only its own.
    replica = snapshot(Device(api(world.clerk_b1)))
    assert {k[1] for k in replica if k[0] == "warranty_card"} == {cards["b1"]}


def test_a_clerk_gets_the_changes_of_their_stores_cards_only(api, world, cards):
    a1, b1 = Device(api(world.clerk_a1)), Device(api(world.clerk_b1))
    replica_a1, replica_b1 = snapshot(a1), snapshot(b1)
    _items, cursor_a1, _ = a1.pull_all()
    _items, cursor_b1, _ = b1.pull_all()
    # A new card at each store, a correction at store_a1, a void by HQ at store_b1.
    new_a1, new_b1 = card_body(world, 11), card_body(world, 12)
    assert statuses(push(a1, ("warranty.register", new_a1))) == ["applied"]
    assert statuses(push(b1, ("warranty.register", new_b1))) == ["applied"]
    fix = {"id": cards["a1"], "fields": {"buyer_name": "张三"}}
    assert statuses(push(a1, ("warranty.correct", fix))) == ["applied"]
    assert api(world.hq).post(f"{CARDS}/{cards['b1']}/void", json={"reason": "录错"}).status_code == 200

    items, _cursor, _ = a1.pull_all(cursor_a1)
    assert set(cards_in(items)) == {new_a1["id"], cards["a1"]}
    assert {i["op"] for i in items if i["entity"] == "warranty_card"} == {"put"}
    assert cards_in(items)[cards["a1"]]["data"]["buyer_name"] == "张三"
    apply_changes(replica_a1, items)
    assert replica_a1 == snapshot(a1)

    items, _cursor, _ = b1.pull_all(cursor_b1)
    assert set(cards_in(items)) == {new_b1["id"], cards["b1"]}
    voided = cards_in(items)[cards["b1"]]["data"]
    assert voided["standing"] == "void" and voided["buyer_name"] == "张三丰"  # still its own card, unmasked
    apply_changes(replica_b1, items)
    assert replica_b1 == snapshot(b1)


@pytest.mark.parametrize("user", ["rep_a1", "manager_a", "manager_b", "hq", "admin"])
def test_nobody_but_the_counter_pulls_warranty_cards_not_even_removals(api, world, user, cards):
    device = Device(api(world.users[user]))
    items, cursor, _ = device.pull_all()
    assert not [i for i in items if i["entity"] == "warranty_card"]
    # Everything that happens to cards afterwards: new, corrected, voided, and a card that is
    # still there but not for them (which a scope change would turn into a "remove").
    a1 = Device(api(world.clerk_a1))
    body = card_body(world, 21)
    assert statuses(push(a1, ("warranty.register", body))) == ["applied"]
    assert statuses(push(a1, ("warranty.correct", {"id": body["id"], "fields": {"buyer_name": "李四"}}))) == ["applied"]
    assert api(world.hq).post(f"{CARDS}/{cards['b1']}/void", json={"reason": "录错"}).status_code == 200
    items, _cursor, _ = device.pull_all(cursor)
    assert [i for i in items if i["entity"] == "warranty_card"] == []
    assert [i for i in snapshot(device) if i[0] == "warranty_card"] == []


def test_a_clerk_gets_no_field_records(api, world, cards):
    device = Device(api(world.clerk_a1))
    _items, cursor, _ = device.pull_all()
    rep = Device(api(world.rep_a1))
    assert statuses(push(rep, ("imei.spot_check", spot_check_body(world.store_a1, imei(serial=1))))) == ["applied"]
    items, _cursor, _ = device.pull_all(cursor)
    assert [i for i in items if i["entity"] == "imei_spot_check"] == []


# --- spot checks ---------------------------------------------------------------------------------------


def test_a_rep_pulls_their_spot_check_with_the_shipment_check_of_a_later_import(api, world):
    rep = Device(api(world.rep_a1))
    mine = spot_check_body(world.store_a1, imei(serial=1))
    assert statuses(push(rep, ("imei.spot_check", mine))) == ["applied"]
    other = Device(api(world.rep_b1))
    theirs = spot_check_body(world.store_b1, imei(serial=2))
    assert statuses(push(other, ("imei.spot_check", theirs))) == ["applied"]
    items, cursor, _ = rep.pull_all()
    checks = {i["id"]: i["data"] for i in items if i["entity"] == "imei_spot_check"}
    assert set(checks) == {mine["id"]} and checks[mine["id"]]["shipment_match"] == "no_record"

    imp = run_import(
        api(world.hq),
        csv_bytes(shipment_row(imei(serial=1), region="GX"), shipment_row(imei(serial=2), region="GX")),
    )
    assert imp["status"] == "done" and imp["flags_raised"] == 1, imp
    items, cursor, _ = rep.pull_all(cursor)
    checks = {i["id"]: i for i in items if i["entity"] == "imei_spot_check"}
    assert set(checks) == {mine["id"]}
    assert checks[mine["id"]]["op"] == "put" and checks[mine["id"]]["data"]["shipment_match"] == "diverted"
    # rep_b1's unit was shipped to its own region: theirs says so, in their pull.
    items, _c, _ = other.pull_all()
    [check] = [i["data"] for i in items if i["entity"] == "imei_spot_check"]
    assert check["shipment_match"] == "matches"
    # Nothing more for the rep until something changes again.
    items, _cursor, _ = rep.pull_all(cursor)
    assert items == []


def test_a_manager_pulls_the_spot_checks_of_their_region(api, world):
    for rep, store, serial in (
        ("rep_a1", world.store_a1, 1),
        ("rep_a2", world.store_a2, 2),
        ("rep_b1", world.store_b1, 3),
    ):
        device = Device(api(world.users[rep]))
        assert statuses(push(device, ("imei.spot_check", spot_check_body(store, imei(serial=serial))))) == ["applied"]
    for manager, serials in (("manager_a", {1, 2}), ("manager_b", {3})):
        replica = snapshot(Device(api(world.users[manager])))
        got = {v["data"]["imei"] for k, v in replica.items() if k[0] == "imei_spot_check"}
        assert got == {imei(serial=s) for s in serials}, manager


def test_seen_at_in_the_future_is_refused(api, world):
    from backend.core.timeutil import utcnow
    from tests.factories import iso

    rep = Device(api(world.rep_a1))
    args = spot_check_body(world.store_a1, imei(serial=1), seen_at=iso(utcnow() + timedelta(hours=2)))
    [result] = results(push(rep, ("imei.spot_check", args)))
    assert result["error"]["code"] == "invalid" and result["error"]["field"] == "seen_at"
