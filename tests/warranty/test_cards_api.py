"""Warranty cards through the HTTP API: registration (idempotent, one live card per IMEI), the rules
a card must meet, corrections with their history, voiding by HQ, look-up, masking of the buyer's
data by role, and the 三包 terms and standing in every answer."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.warranty import rules
from backend.warranty.models import WarrantyCard, WarrantyCardRevision
from tests.factories import N10_TAC, P30_TAC, imei, iso, make_user
from tests.warranty.helpers import CARDS, card_body, days_ago, local_day, make_product, register, today


def count_cards(**where) -> int:
    stmt = select(func.count()).select_from(WarrantyCard)
    for name, value in where.items():
        stmt = stmt.where(getattr(WarrantyCard, name) == value)
    return db.session.scalar(stmt)


def field_error(r, status: int, field: str) -> str:
    """The message of a 4xx answer that names `field` (schema and business rules alike)."""
    assert r.status_code == status, r.json
    assert r.json["status"] == status and r.json["message"]
    assert field in r.json["errors"]["json"], r.json
    return " ".join(r.json["errors"]["json"][field])


def void(client, card_id: str, reason: str = "登记错了", status: int = 200) -> dict:
    r = client.post(f"{CARDS}/{card_id}/void", json={"reason": reason})
    assert r.status_code == status, r.json
    return r.json


# --- registration -------------------------------------------------------------------------------------


def test_a_clerk_registers_a_card_at_their_store(api, world):
    body = card_body(world, 1, imei2=imei(serial=2))
    got = register(api(world.clerk_a1), body)
    assert got["id"] == body["id"]
    assert (got["imei"], got["imei2"]) == (imei(serial=1), imei(serial=2))
    assert got["product_id"] == world.product.id and got["serial_number"] == "SN00000001"
    assert (got["buyer_name"], got["buyer_address"]) == ("张三丰", "广州市天河区天河路208号")
    assert got["buyer_phone"] == "13812345678"  # stored normalised
    assert got["invoice_number"] == "FP-000001" and got["purchase_date"] == body["purchase_date"]
    assert got["store_id"] == world.store_a1.id and got["registered_by"] == world.clerk_a1.id
    assert got["registered_at"] == body["registered_at"].replace("Z", "+00:00")
    assert got["revision"] == 1 and got["corrected_at"] is None and got["voided_at"] is None
    assert got["masked"] is False
    assert got["standing"] == "returnable"
    purchased = date.fromisoformat(body["purchase_date"])
    assert got["terms"] == {
        "return_until": (purchased + timedelta(days=7)).isoformat(),
        "exchange_until": (purchased + timedelta(days=15)).isoformat(),
        "repair_until": rules.add_months(purchased, 12).isoformat(),
    }
    card = db.session.get(WarrantyCard, uuid.UUID(body["id"]))
    assert card.store_id == world.store_a1.id and card.buyer_phone == "13812345678"


def test_the_same_card_sent_again_is_200_and_stored_once(api, world):
    clerk = api(world.clerk_a1)
    body = card_body(world)
    first = register(clerk, body)
    again = register(clerk, body, 200)
    assert again == first
    # The phone in another spelling is the same phone.
    assert register(clerk, body | {"buyer_phone": "+86 138-1234-5678"}, 200)["id"] == body["id"]
    assert count_cards() == 1
    assert db.session.scalar(select(func.count()).select_from(WarrantyCardRevision)) == 0


def test_the_same_id_with_other_content_is_409_naming_the_fields(api, world):
    clerk = api(world.clerk_a1)
    body = card_body(world)
    register(clerk, body)
    r = clerk.post(CARDS, json=body | {"buyer_name": "李四", "invoice_number": "FP-999"})
    assert r.status_code == 409, r.json
    assert r.json["code"] == "conflict"
    assert r.json["details"] == {"id": body["id"], "fields": ["buyer_name", "invoice_number"]}
    assert "already exists with different content (buyer_name, invoice_number)" in r.json["message"]
    assert db.session.get(WarrantyCard, uuid.UUID(body["id"])).buyer_name == "张三丰"


def test_the_same_id_at_another_store_is_409_and_changes_nothing(api, world):
    body = card_body(world)
    register(api(world.clerk_a1), body)
    r = api(world.clerk_b1).post(CARDS, json=body)
    assert r.status_code == 409, r.json
    assert r.json["message"] == f"A warranty card with id {body['id']} already exists."
    assert count_cards(store_id=world.store_a1.id) == 1 and count_cards() == 1


def test_a_second_card_for_the_same_imei_is_refused_with_a_clear_message(api, world):
    clerk = api(world.clerk_a1)
    first = register(clerk, card_body(world, 7))
    r = clerk.post(CARDS, json=card_body(world, 7, buyer_name="李四"))
    assert r.status_code == 409, r.json
    registered_on = local_day(first["registered_at"])
    assert r.json["message"] == (
        f"IMEI {imei(serial=7)} already has a warranty card, registered at this store on {registered_on}. "
        "A phone gets one card; correct that card instead, or ask HQ to void it if it was a mistake."
    )
    assert r.json["errors"] == {"json": {"imei": [r.json["message"]]}}
    # The store's own card is named, so the clerk can open it.
    assert r.json["details"] == {"imei": imei(serial=7), "registered_on": registered_on, "card_id": first["id"]}
    assert count_cards() == 1


def test_the_day_of_registration_in_a_duplicates_message_is_the_stores_day(api, world, app):
    """Registered at 00:30 in China, which is the previous day in UTC: the clerk reads China's day."""
    zone = ZoneInfo(app.config["BUSINESS_TIMEZONE"])
    local = datetime.combine(today(), time(0, 30), tzinfo=zone)
    if local > datetime.now(zone):
        local -= timedelta(days=1)
    registered_at = local.astimezone(UTC)
    assert registered_at.date() < local.date()
    clerk = api(world.clerk_a1)
    register(
        clerk, card_body(world, 7, registered_at=registered_at.isoformat(), purchase_date=local.date().isoformat())
    )
    r = clerk.post(CARDS, json=card_body(world, 7))
    assert r.status_code == 409, r.json
    assert f"registered at this store on {local.date().isoformat()}." in r.json["message"]
    assert r.json["details"]["registered_on"] == local.date().isoformat()


def test_a_duplicate_from_another_store_does_not_reveal_that_card(api, world):
    register(api(world.clerk_a1), card_body(world, 7))
    r = api(world.clerk_b1).post(CARDS, json=card_body(world, 7))
    assert r.status_code == 409, r.json
    assert "registered at another store on" in r.json["message"]
    assert set(r.json["details"]) == {"imei", "registered_on"}
    # said in the clerk's language from the reason and its params: no card id of the other store
    assert r.json["reason"] == "card.imei_taken_elsewhere"
    assert r.json["params"] == {"imei": imei(serial=7), "registered_on": r.json["details"]["registered_on"]}
    assert count_cards() == 1


@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        ({"serial": 1, "imei2": imei(serial=2)}, {"serial": 3, "imei2": imei(serial=1)}, "imei2"),
        ({"serial": 1, "imei2": imei(serial=2)}, {"serial": 2}, "imei"),
        ({"serial": 1, "imei2": imei(serial=2)}, {"serial": 3, "imei2": imei(serial=2)}, "imei2"),
        ({"serial": 1}, {"serial": 3, "imei2": imei(serial=1)}, "imei2"),
    ],
    ids=["imei2-is-their-imei", "imei-is-their-imei2", "same-imei2", "imei2-is-a-single-sim-phones-imei"],
)
def test_either_imei_of_a_phone_is_taken_by_its_card(api, world, first, second, field):
    clerk = api(world.clerk_a1)
    register(clerk, card_body(world, **first))
    sent = card_body(world, **second)
    message = field_error(clerk.post(CARDS, json=sent), 409, field)
    taken = sent[field]
    assert message.startswith(f"IMEI {taken} already has a warranty card")
    assert count_cards() == 1


def test_a_voided_card_frees_its_imei(api, world):
    clerk = api(world.clerk_a1)
    first = register(clerk, card_body(world, 7, imei2=imei(serial=8)))
    void(api(world.hq), first["id"])
    second = register(clerk, card_body(world, 7, imei2=imei(serial=8)))
    assert second["id"] != first["id"]
    assert count_cards() == 2 and count_cards(imei=imei(serial=7)) == 2
    # Still one live card per phone.
    assert clerk.post(CARDS, json=card_body(world, 7)).status_code == 409


@pytest.mark.parametrize("user", ["rep_a1", "manager_a", "hq", "admin"])
def test_only_clerks_register_cards(api, world, user):
    r = api(world.users[user]).post(CARDS, json=card_body(world))
    assert r.status_code == 403, r.json
    assert count_cards() == 0


def test_a_clerk_without_a_store_cannot_register(api, world):
    loose = make_user("clerk_loose", "clerk")
    db.session.commit()
    r = api(loose).post(CARDS, json=card_body(world))
    assert r.status_code == 403, r.json
    assert "not attached to a store" in r.json["message"]


# --- the rules a card must meet -----------------------------------------------------------------------


def wrong_check_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def test_an_imei_with_a_wrong_check_digit_is_refused(api, world):
    good = imei(serial=5)  # 86012345 000005 c
    for typo in (wrong_check_digit(good), good[:5] + good[6] + good[5] + good[7:]):
        r = api(world.clerk_a1).post(CARDS, json=card_body(world) | {"imei": typo})
        assert field_error(r, 422, "imei") == (
            "The IMEI's check digit is wrong: a digit was mistyped or two were swapped."
        )
    assert count_cards() == 0


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("86012345678901", "15 digits"),
        ("８６０１２３４５６７８９０１４", "digits only"),
        ("86012345678901X", "digits only"),
    ],
)
def test_an_imei_of_the_wrong_shape_is_refused(api, world, value, words):
    for field in ("imei", "imei2"):
        r = api(world.clerk_a1).post(CARDS, json=card_body(world) | {field: value})
        assert words in field_error(r, 422, field)
    assert count_cards() == 0


def test_an_imei_of_another_model_names_that_model(api, world):
    make_product("XL-N10", (N10_TAC,))
    r = api(world.clerk_a1).post(CARDS, json=card_body(world, 3, tac=N10_TAC))
    message = field_error(r, 422, "imei")
    assert message == (
        f"IMEI {imei(N10_TAC, 3)} belongs to a XL-N10 (TAC {N10_TAC}), not a XL-P30: check the model or the IMEI."
    )
    r = api(world.clerk_a1).post(CARDS, json=card_body(world, 3, imei2=imei(N10_TAC, 4)))
    assert "belongs to a XL-N10" in field_error(r, 422, "imei2")


def test_an_imei_without_one_of_the_models_tacs_is_refused(api, world):
    r = api(world.clerk_a1).post(CARDS, json=card_body(world, 3, tac="35209900"))
    assert field_error(r, 422, "imei") == (
        f"IMEI {imei('35209900', 3)} does not start with a TAC of the XL-P30 ({P30_TAC}): check the IMEI."
    )


def test_a_model_with_no_tacs_listed_takes_any_unknown_tac_but_not_another_models(api, world):
    bare = make_product("XL-OLD", ())
    clerk = api(world.clerk_a1)
    register(clerk, card_body(world, 3, tac="35209900", product_id=bare.id))
    r = clerk.post(CARDS, json=card_body(world, 4, product_id=bare.id))
    assert "belongs to a XL-P30" in field_error(r, 422, "imei")


def test_the_second_imei_may_not_repeat_the_first(api, world):
    r = api(world.clerk_a1).post(CARDS, json=card_body(world, 3, imei2=imei(serial=3)))
    assert field_error(r, 422, "imei2") == "The second IMEI repeats the first."


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("008619912345678", "19912345678"),
        ("+44 7911 123456", "+447911123456"),
        ("+1 (415) 555-2671", "+14155552671"),
    ],
)
def test_buyer_phones_are_stored_normalised(api, world, sent, stored):
    assert register(api(world.clerk_a1), card_body(world, buyer_phone=sent))["buyer_phone"] == stored


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "010-12345678", "+86 23456789012", "call me"])
def test_buyer_phones_that_are_no_mobile_numbers_are_refused(api, world, phone):
    r = api(world.clerk_a1).post(CARDS, json=card_body(world, buyer_phone=phone))
    assert "mainland mobile number" in field_error(r, 422, "buyer_phone")


def test_the_purchase_date_may_be_today_but_not_in_the_future(api, world):
    clerk = api(world.clerk_a1)
    register(clerk, card_body(world, 1, purchase_date=today().isoformat()))
    r = clerk.post(CARDS, json=card_body(world, 2, purchase_date=(today() + timedelta(days=1)).isoformat()))
    assert field_error(r, 422, "purchase_date") == "The purchase date is in the future."


def test_the_purchase_date_may_not_be_before_the_launch(api, world):
    clerk = api(world.clerk_a1)
    register(clerk, card_body(world, 1, purchase_date="2026-03-01"))
    r = clerk.post(CARDS, json=card_body(world, 2, purchase_date="2026-02-28"))
    assert field_error(r, 422, "purchase_date") == (
        "The XL-P30 went on sale on 2026-03-01; the purchase date is before that."
    )


def test_an_unknown_product_is_refused(api, world):
    r = api(world.clerk_a1).post(CARDS, json=card_body(world, product_id=999_999))
    assert field_error(r, 422, "product_id") == "Unknown product_id: 999999."


def test_a_registration_time_in_the_future_is_refused(api, world):
    r = api(world.clerk_a1).post(CARDS, json=card_body(world, registered_at=iso(utcnow() + timedelta(hours=2))))
    assert "phone's clock" in field_error(r, 422, "registered_at")


def test_missing_and_malformed_fields_are_named(api, world):
    body = {"id": "not-a-uuid", "imei": imei(), "serial_number": "S/N 1", "purchase_date": "yesterday"}
    r = api(world.clerk_a1).post(CARDS, json=body)
    assert r.status_code == 422, r.json
    assert set(r.json["errors"]["json"]) == {
        "id",
        "product_id",
        "serial_number",
        "buyer_name",
        "buyer_phone",
        "invoice_number",
        "purchase_date",
        "registered_at",
    }
    r = api(world.clerk_a1).post(CARDS, json=card_body(world) | {"store_id": world.store_b1.id})
    assert r.status_code == 422 and "store_id" in r.json["errors"]["json"]
    assert count_cards() == 0


# --- corrections ---------------------------------------------------------------------------------------


def patch(client, card_id: str, changes: dict, status: int = 200) -> dict:
    r = client.patch(f"{CARDS}/{card_id}", json=changes)
    assert r.status_code == status, r.json
    return r.json


def test_the_store_corrects_a_card_and_its_history_keeps_what_changed(api, world):
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1))
    got = patch(clerk, card["id"], {"buyer_name": "张三", "buyer_phone": "+86 139 0000 1111"})
    assert (got["buyer_name"], got["buyer_phone"], got["revision"]) == ("张三", "13900001111", 2)
    assert got["corrected_at"] is not None and got["invoice_number"] == card["invoice_number"]
    got = patch(clerk, card["id"], {"purchase_date": days_ago(20)})
    assert got["revision"] == 3 and got["standing"] == "repairable"
    history = clerk.get(f"{CARDS}/{card['id']}/revisions").json
    assert [(h["revision"], h["kind"], h["changes"], h["changed_by"]) for h in history] == [
        (
            2,
            "correct",
            {"buyer_name": ["张三丰", "张三"], "buyer_phone": ["13812345678", "13900001111"]},
            world.clerk_a1.id,
        ),
        (3, "correct", {"purchase_date": [card["purchase_date"], days_ago(20)]}, world.clerk_a1.id),
    ]
    assert all(h["changed_at"] for h in history)


def test_a_correction_that_changes_nothing_adds_no_revision(api, world):
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1))
    got = patch(clerk, card["id"], {"buyer_name": "张三丰", "buyer_phone": "138-1234-5678"})
    assert got["revision"] == 1 and got["corrected_at"] is None
    assert clerk.get(f"{CARDS}/{card['id']}/revisions").json == []


def test_only_the_store_that_registered_a_card_corrects_it(api, world):
    card = register(api(world.clerk_a1), card_body(world, 1))
    r = api(world.clerk_b1).patch(f"{CARDS}/{card['id']}", json={"buyer_name": "李四"})
    assert r.status_code == 404, r.json
    for user in ("rep_a1", "manager_a", "hq", "admin"):
        assert api(world.users[user]).patch(f"{CARDS}/{card['id']}", json={"buyer_name": "李四"}).status_code == 403
    assert api(world.clerk_a1).patch(f"{CARDS}/{uuid.uuid4()}", json={"buyer_name": "李四"}).status_code == 404
    assert db.session.get(WarrantyCard, uuid.UUID(card["id"])).buyer_name == "张三丰"


def test_an_imei_correction_checks_duplicates_and_frees_the_old_imei(api, world):
    clerk = api(world.clerk_a1)
    a = register(clerk, card_body(world, 1))
    b = register(clerk, card_body(world, 2, imei2=imei(serial=3)))
    for taken in (imei(serial=2), imei(serial=3)):
        r = clerk.patch(f"{CARDS}/{a['id']}", json={"imei": taken})
        assert field_error(r, 409, "imei").startswith(f"IMEI {taken} already has a warranty card")
    r = clerk.patch(f"{CARDS}/{a['id']}", json={"imei2": imei(serial=2)})
    assert r.status_code == 409, r.json
    assert patch(clerk, a["id"], {"imei": imei(serial=9)})["imei"] == imei(serial=9)
    # The old IMEI is free again; b may drop its second IMEI and a new card take it.
    assert patch(clerk, b["id"], {"imei2": None})["imei2"] is None
    register(clerk, card_body(world, 1, imei2=imei(serial=3)))
    assert count_cards() == 3


def test_a_correction_must_meet_the_registration_rules(api, world):
    make_product("XL-N10", (N10_TAC,))
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1))
    cases = [
        ({"imei": wrong_check_digit(imei(serial=1))}, "imei"),
        ({"imei": imei(N10_TAC, 1)}, "imei"),
        ({"purchase_date": (today() + timedelta(days=1)).isoformat()}, "purchase_date"),
        ({"purchase_date": "2026-02-01"}, "purchase_date"),
        ({"buyer_phone": "12345"}, "buyer_phone"),
        ({"product_id": 999_999}, "product_id"),
        ({"imei2": imei(serial=1)}, "imei2"),
    ]
    for changes, field in cases:
        field_error(clerk.patch(f"{CARDS}/{card['id']}", json=changes), 422, field)
    r = clerk.patch(f"{CARDS}/{card['id']}", json={"store_id": world.store_b1.id})
    assert r.status_code == 422 and "store_id" in r.json["errors"]["json"]
    assert clerk.get(f"{CARDS}/{card['id']}").json == card


def test_a_model_correction_goes_with_its_imei(api, world):
    n10 = make_product("XL-N10", (N10_TAC,), return_days=14)
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1))
    r = clerk.patch(f"{CARDS}/{card['id']}", json={"product_id": n10.id})
    assert "belongs to a XL-P30" in field_error(r, 422, "imei")
    got = patch(clerk, card["id"], {"product_id": n10.id, "imei": imei(N10_TAC, 1)})
    assert got["product_id"] == n10.id
    purchased = date.fromisoformat(card["purchase_date"])
    assert got["terms"]["return_until"] == (purchased + timedelta(days=14)).isoformat()


def test_a_resend_of_the_registration_after_a_correction_keeps_the_correction(api, world):
    """The phone registered offline, the answer was lost, the clerk corrected the card on another
    device: the late resend of the original is answered with the card as it now is."""
    clerk = api(world.clerk_a1)
    body = card_body(world, 1)
    register(clerk, body)
    patch(clerk, body["id"], {"buyer_name": "张三"})
    again = register(clerk, body, 200)
    assert again["buyer_name"] == "张三" and again["revision"] == 2
    assert count_cards() == 1


def test_a_voided_card_cannot_be_corrected(api, world):
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1))
    void(api(world.hq), card["id"])
    r = clerk.patch(f"{CARDS}/{card['id']}", json={"buyer_name": "张三"})
    assert r.status_code == 409, r.json
    assert r.json["message"] == "This card was voided by HQ and can no longer be corrected."


# --- voiding ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["hq", "admin"])
def test_hq_voids_a_card_registered_in_error(api, world, user):
    card = register(api(world.clerk_a1), card_body(world, 1))
    got = void(api(world.users[user]), card["id"], "店员录错了串号")
    assert got["standing"] == "void" and got["voided_at"] is not None
    assert got["void_reason"] == "店员录错了串号" and got["revision"] == 2
    assert got["masked"] is True  # HQ does not need the buyer's data to void a card
    seen_by_store = api(world.clerk_a1).get(f"{CARDS}/{card['id']}").json
    assert seen_by_store["standing"] == "void" and seen_by_store["terms"] == card["terms"]
    [rev] = api(world.clerk_a1).get(f"{CARDS}/{card['id']}/revisions").json
    assert (rev["revision"], rev["kind"], rev["changed_by"]) == (2, "void", world.users[user].id)
    assert rev["changes"]["void_reason"] == ["", "店员录错了串号"]
    assert rev["changes"]["voided_at"][0] is None


def test_voiding_twice_is_409_and_voiding_needs_a_reason(api, world):
    card = register(api(world.clerk_a1), card_body(world, 1))
    hq = api(world.hq)
    r = hq.post(f"{CARDS}/{card['id']}/void", json={})
    assert r.status_code == 422 and "reason" in r.json["errors"]["json"]
    void(hq, card["id"])
    r = hq.post(f"{CARDS}/{card['id']}/void", json={"reason": "again"})
    assert r.status_code == 409
    assert r.json["message"] == f"Card {card['id']} was already voided on {today().isoformat()}."
    assert hq.post(f"{CARDS}/{uuid.uuid4()}/void", json={"reason": "x"}).status_code == 404


@pytest.mark.parametrize("user", ["rep_a1", "manager_a", "clerk_a1"])
def test_only_hq_and_admins_void(api, world, user):
    card = register(api(world.clerk_a1), card_body(world, 1))
    assert api(world.users[user]).post(f"{CARDS}/{card['id']}/void", json={"reason": "x"}).status_code == 403
    assert db.session.get(WarrantyCard, uuid.UUID(card["id"])).voided_at is None


def test_void_cards_are_listed_unless_left_out(api, world):
    clerk = api(world.clerk_a1)
    kept, gone = register(clerk, card_body(world, 1)), register(clerk, card_body(world, 2))
    void(api(world.hq), gone["id"])
    assert {c["id"] for c in clerk.get(CARDS).json} == {kept["id"], gone["id"]}
    assert [c["id"] for c in clerk.get(CARDS, query_string={"include_void": "false"}).json] == [kept["id"]]


# --- look-up and scope -------------------------------------------------------------------------------


def test_a_card_is_found_by_either_imei(api, world):
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1, imei2=imei(serial=2)))
    register(clerk, card_body(world, 3))
    for value in (imei(serial=1), imei(serial=2)):
        assert [c["id"] for c in clerk.get(CARDS, query_string={"imei": value}).json] == [card["id"]]
    assert clerk.get(CARDS, query_string={"imei": imei(serial=4)}).json == []
    r = clerk.get(CARDS, query_string={"imei": "12345"})
    assert r.status_code == 422 and "imei" in r.json["errors"]["query"]


def test_each_reader_finds_the_cards_of_their_scope(api, world):
    a1 = register(api(world.clerk_a1), card_body(world, 1))
    b1 = register(api(world.clerk_b1), card_body(world, 2))
    scopes = {
        "clerk_a1": {a1["id"]},
        "clerk_b1": {b1["id"]},
        "manager_a": {a1["id"]},
        "manager_b": {b1["id"]},
        "hq": {a1["id"], b1["id"]},
        "admin": {a1["id"], b1["id"]},
    }
    for user, expected in scopes.items():
        client = api(world.users[user])
        assert {c["id"] for c in client.get(CARDS).json} == expected, user
        for card in (a1, b1):
            by_imei = client.get(CARDS, query_string={"imei": card["imei"]}).json
            assert [c["id"] for c in by_imei] == ([card["id"]] if card["id"] in expected else []), user
            assert client.get(f"{CARDS}/{card['id']}").status_code == (200 if card["id"] in expected else 404)
            revisions = client.get(f"{CARDS}/{card['id']}/revisions")
            assert revisions.status_code == (200 if card["id"] in expected else 404)
    assert api(world.rep_a1).get(CARDS).status_code == 403
    assert api(world.rep_a1).get(f"{CARDS}/{a1['id']}").status_code == 403


def test_cards_are_listed_newest_first_and_filtered(api, world):
    n10 = make_product("XL-N10", (N10_TAC,))
    clerk = api(world.clerk_a1)
    old = register(
        clerk, card_body(world, 1, purchase_date=days_ago(40), registered_at=iso(utcnow() - timedelta(days=40)))
    )
    mid = register(
        clerk,
        card_body(world, 2, tac=N10_TAC, product_id=n10.id, purchase_date=days_ago(10)),
    )
    new = register(clerk, card_body(world, 3, purchase_date=days_ago(0), registered_at=iso(utcnow())))
    hq = api(world.hq)
    assert [c["id"] for c in hq.get(CARDS).json] == [new["id"], mid["id"], old["id"]]
    assert [c["id"] for c in hq.get(CARDS, query_string={"product_id": n10.id}).json] == [mid["id"]]
    since = hq.get(CARDS, query_string={"purchased_since": days_ago(10)}).json
    assert [c["id"] for c in since] == [new["id"], mid["id"]]
    until = hq.get(CARDS, query_string={"purchased_until": days_ago(10)}).json
    assert [c["id"] for c in until] == [mid["id"], old["id"]]
    assert hq.get(CARDS, query_string={"store_id": world.store_b1.id}).json == []


# --- masking -------------------------------------------------------------------------------------------

MASKED = {"buyer_name": "张**", "buyer_phone": "138****5678", "buyer_address": "广州市天河区****"}
FULL = {"buyer_name": "张三丰", "buyer_phone": "13812345678", "buyer_address": "广州市天河区天河路208号"}


@pytest.mark.parametrize(
    ("user", "expected"),
    [("clerk_a1", FULL), ("manager_a", MASKED), ("hq", MASKED), ("admin", MASKED)],
)
def test_only_the_selling_store_sees_the_buyers_data(api, world, user, expected):
    card = register(api(world.clerk_a1), card_body(world, 1, imei2=imei(serial=2)))
    client = api(world.users[user])
    answers = [
        client.get(f"{CARDS}/{card['id']}").json,
        *client.get(CARDS).json,
        *client.get(CARDS, query_string={"imei": imei(serial=2)}).json,
    ]
    assert len(answers) == 3
    for got in answers:
        assert {k: got[k] for k in expected} == expected
        assert got["masked"] is (expected is MASKED)
        # What the reader needs to serve the phone stays readable.
        assert (got["imei"], got["imei2"], got["serial_number"]) == (imei(serial=1), imei(serial=2), "SN00000001")
        assert got["terms"] == card["terms"] and got["standing"] == card["standing"]


def test_an_international_phone_is_masked_too(api, world):
    card = register(api(world.clerk_a1), card_body(world, 1, buyer_phone="+44 7911 123456", buyer_address=""))
    got = api(world.hq).get(f"{CARDS}/{card['id']}").json
    assert (got["buyer_phone"], got["buyer_address"]) == ("+44******3456", "")


def test_the_history_masks_the_buyers_data_as_the_card_does(api, world):
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1))
    patch(
        clerk,
        card["id"],
        {"buyer_phone": "13900001111", "buyer_address": "南宁市青秀区民族大道1号", "buyer_name": "李四"},
    )
    patch(clerk, card["id"], {"invoice_number": "FP-2"})
    [own, other] = clerk.get(f"{CARDS}/{card['id']}/revisions").json
    assert own["changes"] == {
        "buyer_name": ["张三丰", "李四"],
        "buyer_phone": ["13812345678", "13900001111"],
        "buyer_address": ["广州市天河区天河路208号", "南宁市青秀区民族大道1号"],
    }
    for user in ("manager_a", "hq", "admin"):
        history = api(world.users[user]).get(f"{CARDS}/{card['id']}/revisions").json
        assert [h["changes"] for h in history] == [
            {
                "buyer_name": ["张**", "李*"],
                "buyer_phone": ["138****5678", "139****1111"],
                "buyer_address": ["广州市天河区****", "南宁市青秀区****"],
            },
            other["changes"],
        ], user


# --- 三包 terms and standing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_since", "terms", "standing"),
    [
        (0, (7, 15, 12), "returnable"),
        (7, (7, 15, 12), "returnable"),
        (8, (7, 15, 12), "exchangeable"),
        (15, (7, 15, 12), "exchangeable"),
        (16, (7, 15, 12), "repairable"),
        (10, (14, 30, 24), "returnable"),
        (20, (14, 30, 24), "exchangeable"),
        (1, (0, 30, 6), "exchangeable"),
        (40, (0, 30, 6), "repairable"),
        (10, (3, 5, 0), "expired"),
    ],
)
def test_terms_and_standing_follow_the_models_own_terms(api, world, days_since, terms, standing):
    return_days, exchange_days, repair_months = terms
    model = make_product(
        "XL-T", ("86999900",), return_days=return_days, exchange_days=exchange_days, repair_months=repair_months
    )
    purchased = today() - timedelta(days=days_since)
    got = register(
        api(world.clerk_a1),
        card_body(world, 1, tac="86999900", product_id=model.id, purchase_date=purchased.isoformat()),
    )
    assert got["terms"] == {
        "return_until": (purchased + timedelta(days=return_days)).isoformat(),
        "exchange_until": (purchased + timedelta(days=exchange_days)).isoformat(),
        "repair_until": rules.add_months(purchased, repair_months).isoformat(),
    }
    assert got["standing"] == standing
    assert api(world.hq).get(f"{CARDS}/{got['id']}").json["standing"] == standing


def test_a_change_of_the_models_terms_applies_to_its_cards(api, world):
    clerk = api(world.clerk_a1)
    card = register(clerk, card_body(world, 1, purchase_date=days_ago(10)))
    assert card["standing"] == "exchangeable"
    r = api(world.admin).patch(f"/api/v1/products/{world.product.id}", json={"return_days": 15})
    assert r.status_code == 200, r.json
    got = clerk.get(f"{CARDS}/{card['id']}").json
    assert got["standing"] == "returnable"
    assert got["terms"]["return_until"] == (date.fromisoformat(card["purchase_date"]) + timedelta(days=15)).isoformat()


def test_a_failed_card_insert_carries_no_buyer_data_into_logs(world):
    """A database error's message (what a log records) names the statement, never its values:
    the engine hides parameters, which would hold buyers' names, phones and addresses."""
    import uuid as _uuid

    from sqlalchemy.exc import IntegrityError

    from backend.warranty.models import WarrantyCard

    card = WarrantyCard(
        id=_uuid.uuid4(),
        imei=imei(serial=99),
        product_id=world.product.id,
        serial_number="SN-99",
        buyer_name="欧阳娜娜",
        buyer_phone="13912345678",
        buyer_address="广州市天河区体育西路191号",
        invoice_number="FP-99",
        purchase_date=date(2026, 11, 1),
        store_id=999_999,  # no such store: the database refuses the row
        registered_by=world.clerk_a1.id,
        registered_at=datetime(2026, 11, 1, 10, 0),
    )
    db.session.add(card)
    with pytest.raises(IntegrityError) as refused:
        db.session.flush()
    db.session.rollback()
    message = str(refused.value)
    assert "INSERT INTO warranty_cards" in message  # the statement is still named
    for value in ("欧阳娜娜", "13912345678", "体育西路"):
        assert value not in message, message
