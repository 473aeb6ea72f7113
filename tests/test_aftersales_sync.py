"""三包 service events through sync: a counter with no network queues returns, exchanges and
repair referrals (`warranty.return` / `warranty.exchange` / `warranty.repair`, the REST body
without `kind`), applied exactly once by the REST rules; one out of its window is rejected with
the reason and dates; pull gives the store's clerks the events and the cards they changed, and
nobody else; fault codes are reference data for everyone."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import pytest
from flask import current_app
from sqlalchemy import func, select

from backend.aftersales.models import FaultCode, ServiceEvent
from backend.extensions import db
from backend.sync.models import SyncRejection
from backend.warranty.models import WarrantyCard
from tests.factories import imei, make_store, new_id
from tests.sync.helpers import Device
from tests.warranty.helpers import CARDS, card_body

EVENTS = "/api/v1/service-events"

pytestmark = pytest.mark.usefixtures("rq_worker")


def at(day: date, hour: int = 12) -> str:
    """Noon (or `hour`) on `day` in the business time zone, as UTC ISO."""
    from zoneinfo import ZoneInfo

    local = datetime.combine(day, time(hour), tzinfo=ZoneInfo(current_app.config["BUSINESS_TIMEZONE"]))
    return local.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


@pytest.fixture(autouse=True)
def faults(world):
    db.session.add_all(
        [
            FaultCode(code="screen", name="屏幕故障", name_en="Screen fault", position=1),
            FaultCode(code="no_fault", name="无故障", name_en="No fault", is_fault=False, position=2),
        ]
    )
    db.session.commit()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def results(resp) -> list[dict]:
    assert resp.status_code == 200, resp.json
    return resp.json["results"]


def statuses(resp) -> list[str]:
    return [r["status"] for r in results(resp)]


def push(device: Device, *mutations: tuple[str, dict]):
    return device.push([device.mutation(name, args) for name, args in mutations])


def card(world, serial: int, bought: date = date(2026, 11, 10), **kw) -> dict:
    return card_body(world, serial, purchase_date=bought.isoformat(), **kw)


def args(card_body: dict, day: date, fault: str = "screen", **kw) -> dict:
    return {"id": new_id(), "card_id": card_body["id"], "fault_code": fault, "occurred_at": at(day), **kw}


def by_entity(items: list[dict], entity: str) -> dict[str, dict]:
    return {i["id"]: i for i in items if i["entity"] == entity}


def test_a_return_queued_offline_is_applied_exactly_once(api, world):
    device = Device(api(world.clerk_a1))
    sold = card(world, 1)
    back = args(sold, date(2026, 11, 17), note="不想要了")
    batch = [device.mutation("warranty.register", sold), device.mutation("warranty.return", back)]
    assert statuses(device.push(batch)) == ["applied", "applied"]
    # The answer was lost: the same batch again, then the return queued a second time.
    assert statuses(device.push(batch)) == ["duplicate", "duplicate"]
    assert statuses(push(device, ("warranty.return", back))) == ["applied"]
    assert count(ServiceEvent) == 1
    event = db.session.get(ServiceEvent, uuid.UUID(back["id"]))
    assert (event.kind, event.occurred_on, event.note, event.recorded_by) == (
        "return",
        date(2026, 11, 17),
        "不想要了",
        world.clerk_a1.id,
    )
    got = api(world.clerk_a1).get(f"{CARDS}/{sold['id']}").json
    assert (got["closed_kind"], got["standing"], got["revision"]) == ("returned", "returned", 2)
    # The same event over REST (a second tab, say) is the one recorded.
    again = api(world.clerk_a1).post(EVENTS, json=back | {"kind": "return"})
    assert again.status_code == 200 and again.json["id"] == back["id"]
    # Other content under its id is refused.
    [other] = results(push(device, ("warranty.return", back | {"note": "屏幕坏了"})))
    assert other["status"] == "rejected" and other["error"]["reason"] == "service.id_taken_other_content"
    assert other["error"]["params"] == {"event_id": back["id"], "fields": ["note"]}
    assert count(ServiceEvent) == 1


def test_an_event_out_of_its_window_is_rejected_with_the_rule_and_the_dates(api, world):
    device = Device(api(world.clerk_a1))
    sold = card(world, 1)
    late_return = args(sold, date(2026, 11, 18))
    late_exchange = args(
        sold,
        date(2026, 11, 26),
        new_card={"id": new_id(), "imei": imei(serial=2), "product_id": world.product.id, "serial_number": "SN-2"},
    )
    r = push(
        device, ("warranty.register", sold), ("warranty.return", late_return), ("warranty.exchange", late_exchange)
    )
    first, second, third = results(r)
    assert first["status"] == "applied"
    assert second["status"] == "rejected"
    assert (second["error"]["code"], second["error"]["field"], second["error"]["reason"]) == (
        "invalid",
        "occurred_at",
        "service.return_expired",
    )
    assert second["error"]["params"] == {"until": "2026-11-17", "occurred_on": "2026-11-18"}
    assert third["error"]["reason"] == "service.exchange_expired"
    assert third["error"]["params"] == {"until": "2026-11-25", "occurred_on": "2026-11-26"}
    assert count(ServiceEvent) == 0 and count(WarrantyCard) == 1
    rejected = db.session.scalars(select(SyncRejection).order_by(SyncRejection.mutation_id)).all()
    assert [(x.name, x.error["reason"]) for x in rejected] == [
        ("warranty.return", "service.return_expired"),
        ("warranty.exchange", "service.exchange_expired"),
    ]
    # The args are the REST body without `kind`: a `kind` is an unknown field.
    [bad] = results(push(device, ("warranty.return", args(sold, date(2026, 11, 12)) | {"kind": "return"})))
    assert bad["status"] == "rejected" and bad["error"]["field"] == "kind"


def test_an_offline_exchange_syncs_and_the_clerk_pulls_both_cards_with_the_inherited_dates(api, world):
    device = Device(api(world.clerk_a1))
    snapshot, cursor, _ = device.pull_all()  # the counter's snapshot before it goes offline
    assert snapshot and not by_entity(snapshot, "service_event")
    sold = card(world, 1)
    unit = {"id": new_id(), "imei": imei(serial=2), "product_id": world.product.id, "serial_number": "SN-NEW-2"}
    swap = args(sold, date(2026, 11, 20), new_card=unit)
    assert statuses(push(device, ("warranty.register", sold), ("warranty.exchange", swap))) == ["applied", "applied"]

    items, _, _ = device.pull_all(cursor)
    cards = by_entity(items, "warranty_card")
    assert set(cards) == {sold["id"], unit["id"]}
    old, new = cards[sold["id"]]["data"], cards[unit["id"]]["data"]
    assert (old["closed_kind"], old["standing"]) == ("exchanged", "exchanged")
    assert new["replaces_card_id"] == sold["id"]
    assert (new["purchase_date"], new["buyer_name"], new["invoice_number"]) == (
        "2026-11-10",
        "张三丰",
        sold["invoice_number"],
    )
    assert (
        new["terms"]
        == old["terms"]
        == {
            "return_until": "2026-11-17",
            "exchange_until": "2026-11-25",
            "repair_until": "2027-11-10",
        }
    )
    [event] = by_entity(items, "service_event").values()
    assert event["id"] == swap["id"] and event["op"] == "put"
    assert {k: event["data"][k] for k in ("kind", "card_id", "new_card_id", "fault_code", "occurred_on")} == {
        "kind": "exchange",
        "card_id": sold["id"],
        "new_card_id": unit["id"],
        "fault_code": "screen",
        "occurred_on": "2026-11-20",
    }
    assert event["data"]["terms"]["exchange_until"] == "2026-11-25"

    # Nobody else gets the events: another store's clerk, the region's rep and manager, HQ.
    for user in (world.clerk_b1, world.rep_a1, world.manager_a, world.hq):
        pulled, _, _ = Device(api(user)).pull_all()
        assert not by_entity(pulled, "service_event"), user.username
    # A snapshot of the counter has them too.
    snapshot, _, _ = Device(api(world.clerk_a1)).pull_all()
    assert set(by_entity(snapshot, "service_event")) == {swap["id"]}


def test_fault_codes_are_reference_data_for_everyone(api, world):
    for user in (world.clerk_a1, world.rep_a1, world.hq):
        items, _, _ = Device(api(user)).pull_all()
        codes = {i["data"]["code"]: i["data"] for i in items if i["entity"] == "fault_code"}
        assert set(codes) == {"screen", "no_fault"}, user.username
        assert codes["no_fault"]["is_fault"] is False and codes["screen"]["name_en"] == "Screen fault"


def test_a_refused_exchange_leaves_nothing_and_the_next_mutations_apply(api, world):
    device = Device(api(world.clerk_a1))
    first, second = card(world, 1), card(world, 2)
    taken = {"id": new_id(), "imei": imei(serial=2), "product_id": world.product.id, "serial_number": "SN-X"}
    fresh = {"id": new_id(), "imei": imei(serial=3), "product_id": world.product.id, "serial_number": "SN-3"}
    point = make_store("SP-001", world.terr_a1, 23.13, 113.33, name="星澜服务中心", kind="service_point")
    db.session.commit()
    r = push(
        device,
        ("warranty.register", first),
        ("warranty.register", second),
        ("warranty.exchange", args(first, date(2026, 11, 12), new_card=taken)),  # unit 2 is sold: refused
        ("warranty.exchange", args(first, date(2026, 11, 12), new_card=fresh)),
        ("warranty.repair", args(second, date(2026, 11, 30), repair_store_id=point.id)),
        ("warranty.return", args(second, date(2026, 11, 13), fault="no_fault")),  # not under this policy
    )
    outcome = [(x["status"], x.get("error", {}).get("reason")) for x in results(r)]
    assert outcome == [
        ("applied", None),
        ("applied", None),
        ("rejected", "card.imei_taken_here"),
        ("applied", None),
        ("applied", None),
        ("rejected", "service.no_fault_not_allowed"),
    ]
    assert db.session.get(WarrantyCard, uuid.UUID(taken["id"])) is None
    assert db.session.get(WarrantyCard, uuid.UUID(fresh["id"])).replaces_card_id == uuid.UUID(first["id"])
    assert sorted(e.kind for e in db.session.scalars(select(ServiceEvent))) == ["exchange", "repair"]
    history = api(world.clerk_a1).get(f"{CARDS}/{second['id']}/revisions").json
    assert [(h["kind"], h["changes"]["repair"]) for h in history] == [("repair", [None, "星澜服务中心"])]


def test_the_same_event_queued_twice_in_one_push_makes_one_row(api, world):
    device = Device(api(world.clerk_a1))
    sold = card(world, 1)
    unit = {"id": new_id(), "imei": imei(serial=2), "product_id": world.product.id, "serial_number": "SN-2"}
    swap = args(sold, date(2026, 11, 12), new_card=unit)
    r = push(device, ("warranty.register", sold), ("warranty.exchange", swap), ("warranty.exchange", swap))
    assert statuses(r) == ["applied"] * 3
    assert count(ServiceEvent) == 1 and count(WarrantyCard) == 2


def test_a_resend_after_the_clerk_moved_store_is_the_event_recorded(api, world):
    """A lost answer, then the clerk moved to another store: the phone (reinstalled: a new client
    id, so the mutation log does not know it) or a retried request sends the event again. It is
    the event recorded — exactly once — not a 409 for another store's id; nothing new is let in."""
    device = Device(api(world.clerk_a1))
    sold = card(world, 1)
    back = args(sold, date(2026, 11, 17), note="不想要了")
    assert statuses(push(device, ("warranty.register", sold), ("warranty.return", back))) == ["applied"] * 2
    moved = api(world.admin).patch(f"/api/v1/users/{world.clerk_a1.id}", json={"store_id": world.store_a2.id})
    assert moved.status_code == 200, moved.json

    again = Device(api(world.clerk_a1))
    assert statuses(push(again, ("warranty.return", back))) == ["applied"]
    rest = api(world.clerk_a1).post(EVENTS, json=back | {"kind": "return"})
    assert rest.status_code == 200, rest.json
    assert (rest.json["id"], rest.json["store_id"], rest.json["occurred_on"]) == (
        back["id"],
        world.store_a1.id,
        "2026-11-17",
    )
    assert count(ServiceEvent) == 1
    # Other content under its id is still a 409 naming the field; a new event on the old store's
    # card is the other store's (403), and another clerk cannot claim the id.
    [other] = results(push(again, ("warranty.return", back | {"note": "屏幕坏了"})))
    assert (other["status"], other["error"]["reason"], other["error"]["params"]["fields"]) == (
        "rejected",
        "service.id_taken_other_content",
        ["note"],
    )
    second = card(world, 2)
    assert statuses(push(Device(api(world.clerk_b1)), ("warranty.register", second))) == ["applied"]
    fresh = api(world.clerk_a1).post(EVENTS, json=args(sold, date(2026, 11, 12)) | {"kind": "repair"})
    assert (fresh.status_code, fresh.json["reason"]) == (403, "service.not_your_store")
    stranger = api(world.clerk_b1).post(EVENTS, json=back | {"kind": "return"})
    assert (stranger.status_code, stranger.json["reason"]) == (409, "service.id_taken_other_content")
    assert count(ServiceEvent) == 1
