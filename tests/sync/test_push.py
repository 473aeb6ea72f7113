"""POST /api/v1/sync/push: envelope errors, every mutation through the same rules as REST,
exactly-once by mutation id, the per-field merge and its conflicts, and all-or-nothing batches."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.intel.models import IntelReport, PriceObservation
from backend.merge.clock import ORIGIN
from backend.merge.models import SyncConflict
from backend.sellout.models import CompetitorSellOut, SellOutReport, ShopStockCount
from backend.stock.models import StockMovement
from backend.stores.models import StoreContact
from backend.sync import mutations
from backend.sync.models import SyncChange, SyncClient, SyncRejection
from backend.tasks.models import Task
from backend.visits.models import DisplayCheck, Visit
from backend.warranty.models import ImeiSpotCheck, WarrantyCard, WarrantyCardRevision
from sync_protocol import HLC
from tests.factories import competitor_sellout_body, imei, sellout_report_body, shop_stock_count_body
from tests.routes.helpers import days_ago, plan_body
from tests.sync.helpers import (
    Device,
    check_in_args,
    check_out_args,
    contact_delete_args,
    contact_upsert_args,
    display_check_args,
    intel_args,
    movement_args,
    now_ms,
    price_args,
    store_update_args,
)
from tests.warranty.helpers import card_body, spot_check_body

PUSH = "/api/v1/sync/push"


def count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def last_mutation_id(client_id: str) -> int | None:
    return db.session.scalar(select(SyncClient.last_mutation_id).where(SyncClient.client_id == client_id))


def statuses(resp) -> list[str]:
    assert resp.status_code == 200, resp.json
    return [r["status"] for r in resp.json["results"]]


def valid_body(**overrides) -> dict:
    hlc = HLC(now_ms(), 0, "client-0001").encode()
    body = {
        "protocol_version": 1,
        "client_id": "client-0001",
        "app_version": "1.0.0",
        "mutations": [{"id": 1, "name": "visit.check_in", "args": {}, "hlc": hlc}],
    }
    return body | overrides


def with_mutation(**fields) -> dict:
    body = valid_body()
    body["mutations"] = [body["mutations"][0] | fields]
    return body


def two_mutations(second: dict) -> dict:
    body = valid_body()
    body["mutations"] = [body["mutations"][0], body["mutations"][0] | second]
    return body


# --- the envelope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ([], "invalid_envelope", None),
        ("push", "invalid_envelope", None),
        ({k: v for k, v in valid_body().items() if k != "protocol_version"}, "invalid_envelope", "protocol_version"),
        (valid_body(protocol_version="1"), "invalid_envelope", "protocol_version"),
        (valid_body(protocol_version=True), "invalid_envelope", "protocol_version"),
        (valid_body(protocol_version=2), "unsupported_protocol_version", "protocol_version"),
        (valid_body(zeta=1, extra=2), "invalid_envelope", "extra"),
        (valid_body(client_id="short"), "invalid_envelope", "client_id"),
        (valid_body(client_id="has space in it"), "invalid_envelope", "client_id"),
        (valid_body(app_version=""), "invalid_envelope", "app_version"),
        (valid_body(app_version="x" * 33), "invalid_envelope", "app_version"),
        (valid_body(mutations={}), "invalid_envelope", "mutations"),
        ({k: v for k, v in valid_body().items() if k != "mutations"}, "invalid_envelope", "mutations"),
        (valid_body(mutations=[7]), "invalid_envelope", "mutations[0]"),
        (with_mutation(other=1), "invalid_envelope", "mutations[0].other"),
        (with_mutation(id=0), "invalid_envelope", "mutations[0].id"),
        (with_mutation(id=1.0), "invalid_envelope", "mutations[0].id"),
        (with_mutation(id=2**53), "invalid_envelope", "mutations[0].id"),
        (two_mutations({"id": 3}), "invalid_envelope", "mutations[1].id"),
        (with_mutation(name="CheckIn"), "invalid_envelope", "mutations[0].name"),
        (with_mutation(name="visit"), "invalid_envelope", "mutations[0].name"),
        (with_mutation(args=[]), "invalid_envelope", "mutations[0].args"),
        (with_mutation(args={"x": "y" * 70_000}), "invalid_envelope", "mutations[0].args"),
        (with_mutation(hlc="yesterday"), "invalid_envelope", "mutations[0].hlc"),
        (with_mutation(hlc="001718000000000:00000:another-node"), "invalid_envelope", "mutations[0].hlc"),
    ],
)
def test_envelope_errors_answer_400_with_code_and_field(api, world, body, code, field):
    r = api(world.rep_a1).post(PUSH, json=body)
    assert r.status_code == 400, r.json
    assert r.json["code"] == code
    assert r.json["status"] == 400 and r.json["message"]
    if field is None:
        assert "errors" not in r.json
    else:
        assert r.json["errors"] == {"json": {field: [r.json["message"]]}}
    assert count(SyncClient) == 0 and count(Visit) == 0


def test_a_body_that_is_not_json_is_an_invalid_envelope(api, world):
    rep = api(world.rep_a1)
    for kwargs in ({"data": "{not json", "content_type": "application/json"}, {"data": "x=1"}, {}):
        r = rep.post(PUSH, **kwargs)
        assert r.status_code == 400, (kwargs, r.json)
        assert r.json["code"] == "invalid_envelope"


def test_nan_in_args_is_an_invalid_envelope(api, world):
    body = valid_body()
    text = (
        '{"protocol_version": 1, "client_id": "client-0001", "app_version": "1", "mutations": '
        f'[{{"id": 1, "name": "stock.move", "args": {{"quantity": NaN}}, "hlc": "{body["mutations"][0]["hlc"]}"}}]}}'
    )
    r = api(world.rep_a1).post(PUSH, data=text, content_type="application/json")
    assert r.status_code == 400, r.json
    assert (r.json["code"], r.json["errors"]) == (
        "invalid_envelope",
        {"json": {"mutations[0].args": [r.json["message"]]}},
    )


def test_unsupported_protocol_version_wins_over_every_other_error(api, world):
    r = api(world.rep_a1).post(
        PUSH, json={"protocol_version": 2, "client_id": 5, "mutations": "no", "unknown": True, "app_version": ""}
    )
    assert r.status_code == 400, r.json
    assert r.json["code"] == "unsupported_protocol_version"
    assert r.json["details"] == {"supported": [1]}
    assert "protocol_version" in r.json["errors"]["json"]


def test_an_empty_push_registers_the_client(api, world):
    device = Device(api(world.rep_a1))
    r = device.push([])
    assert r.status_code == 200, r.json
    assert r.json["results"] == [] and r.json["last_mutation_id"] == 0
    assert r.json["protocol_version"] == 1
    HLC.parse(r.json["server_hlc"])
    assert last_mutation_id(device.client_id) == 0


# --- each mutation, under the REST rules ------------------------------------------------------------


def test_every_mutation_applies_and_the_rest_api_shows_it(api, world):
    rep = api(world.rep_a1)
    device = Device(rep)
    visit_id, contact_id = str(uuid.uuid4()), str(uuid.uuid4())
    check = display_check_args(visit_id, world.yes_item.id)
    move = movement_args(world.store_a1, world.material.id, quantity=7)
    price = price_args(world.store_a1, world.competitor_model.id, price="2399.00")
    intel = intel_args(world.store_a1, kind="closing", name="天河城店 要关")
    batch = [
        device.mutation("visit.check_in", check_in_args(world.store_a1, visit_id, notes="到店")),
        device.mutation("display.check", check),
        device.mutation("stock.move", move),
        device.mutation("price.observe", price),
        device.mutation("intel.report", intel),
        device.mutation("visit.check_out", check_out_args(visit_id)),
        device.mutation("store.update", store_update_args(world.store_a1.id, {"address": "天河路 208 号"})),
        device.mutation(
            "contact.upsert",
            contact_upsert_args(world.store_a1.id, contact_id, {"name": "王店长", "role": "store_manager"}),
        ),
        device.mutation("contact.upsert", contact_upsert_args(world.store_a1.id, contact_id, {"phone": "13800138000"})),
    ]
    r = device.push(batch)
    assert statuses(r) == ["applied"] * len(batch), r.json
    assert r.json["last_mutation_id"] == len(batch)

    visit = rep.get(f"/api/v1/visits/{visit_id}").json
    assert visit["store_id"] == world.store_a1.id and visit["rep_id"] == world.rep_a1.id
    assert visit["notes"] == "到店" and visit["checked_out_at"] is not None
    got = rep.get(f"/api/v1/display-checks/{check['id']}").json
    assert got["visit_id"] == visit_id and got["score"] == 100.0
    got = rep.get(f"/api/v1/stock-movements/{move['id']}").json
    assert (got["quantity"], got["kind"]) == (7, "delivered")
    stock = rep.get(f"/api/v1/stores/{world.store_a1.id}/stock").json
    assert [(s["material_id"], s["quantity"]) for s in stock] == [(world.material.id, 7)]
    got = rep.get(f"/api/v1/price-observations/{price['id']}").json
    assert got["shelf_price"] == "2399.00"
    got = rep.get(f"/api/v1/intel-reports/{intel['id']}").json
    assert (got["kind"], got["name"]) == ("closing", "天河城店 要关")
    assert rep.get(f"/api/v1/stores/{world.store_a1.id}").json["address"] == "天河路 208 号"
    contacts = rep.get(f"/api/v1/stores/{world.store_a1.id}/contacts").json
    assert [(c["id"], c["name"], c["role"], c["phone"]) for c in contacts] == [
        (contact_id, "王店长", "store_manager", "13800138000")
    ]

    r = device.push([device.mutation("contact.delete", contact_delete_args(world.store_a1.id, contact_id))])
    assert statuses(r) == ["applied"]
    assert rep.get(f"/api/v1/stores/{world.store_a1.id}/contacts").json == []
    gone = rep.get(f"/api/v1/stores/{world.store_a1.id}/contacts?include_deleted=true").json
    assert gone[0]["id"] == contact_id and gone[0]["deleted_at"] is not None
    history = rep.get(f"/api/v1/stores/{world.store_a1.id}/contacts/history").json
    assert [h["action"] for h in history] == ["deleted", "updated", "created"]
    assert count(SyncRejection) == 0


def _out_of_scope_args(world, rep_b1_visit: str, b1_card: dict) -> dict[str, dict]:
    b1 = world.store_b1
    return {
        "visit.check_in": check_in_args(b1),
        "visit.check_out": check_out_args(rep_b1_visit),
        "display.check": display_check_args(rep_b1_visit, world.yes_item.id),
        "stock.move": movement_args(b1, world.material.id),
        "price.observe": price_args(b1, world.competitor_model.id),
        "intel.report": intel_args(b1),
        "store.update": store_update_args(b1.id, {"name": "改名"}),
        "contact.upsert": contact_upsert_args(b1.id, str(uuid.uuid4()), {"name": "张三", "role": "owner"}),
        "contact.delete": contact_delete_args(b1.id, str(uuid.uuid4())),
        "imei.spot_check": spot_check_body(b1, imei(serial=1)),
        "shop_stock.count": shop_stock_count_body(b1.id, world.product.id),
        "sellout.report": sellout_report_body(b1.id, world.product.id),
        "sellout.competitor": competitor_sellout_body(b1.id, world.competitor_model.id),
        # A counter's (clerk_a1's) mutations, on store_b1's card:
        "warranty.correct": {"id": b1_card["id"], "fields": {"buyer_name": "李四"}},
        # A card is registered at the clerk's own store, so the nearest thing to a target out of
        # scope is another store's card id: refused as taken (409 by REST), never overwritten.
        "warranty.register": card_body(world, 2) | {"id": b1_card["id"]},
        # Visit plans (routes): a rep plans their own days only, so another region's rep's day
        # is refused as forbidden, as by REST (403), whoever the other rep is.
        "plan.save": plan_body(days_ago(0), [b1], rep_id=world.rep_b1.id),
        # 三包 service events on another store's card: refused on the card's store (the fault
        # code, the window and the rest unread); forbidden, as by REST (403).
        **{
            name: {
                "id": str(uuid.uuid4()),
                "card_id": b1_card["id"],
                "fault_code": "screen",
                "occurred_at": check_in_args(b1)["checked_in_at"],
            }
            for name in ("warranty.return", "warranty.exchange", "warranty.repair")
        },
        # A training at another region's store: refused on the store (topic and contact unread).
        "training.record": {
            "id": str(uuid.uuid4()),
            "store_id": b1.id,
            "topic_id": 1,
            "held_at": check_in_args(b1)["checked_in_at"],
            "duration_minutes": 30,
            "attendees": [{"contact_id": str(uuid.uuid4()), "answers": None}],
        },
        # A task at another region's store: not found, like a task that does not exist.
        "task.complete": {
            "task_id": str(_task_at(world, b1)),
            "completion_id": str(uuid.uuid4()),
            "done_at": check_in_args(b1)["checked_in_at"],
            "photo_ids": [str(uuid.uuid4())],
        },
    }


def _task_at(world, store) -> uuid.UUID:
    task = Task(
        id=uuid.uuid4(),
        store_id=store.id,
        region_id=world.region_b.id,
        kind="display",
        title="整改展台",
        due_on=utcnow().date() + timedelta(days=3),
        needs_photo=True,
        created_by=world.manager_b.id,
    )
    db.session.add(task)
    db.session.commit()
    return task.id


COUNTER_MUTATIONS = {"warranty.register", "warranty.correct", "warranty.return", "warranty.exchange", "warranty.repair"}
EXPECTED_CODE = {"warranty.register": "conflict"}  # others: not_found
# 三包 service events: another store's card is service.not_your_store (403 by REST too).
EXPECTED_CODE |= dict.fromkeys(("warranty.return", "warranty.exchange", "warranty.repair"), "forbidden")
EXPECTED_CODE["plan.save"] = "forbidden"  # visit plans: see _out_of_scope_args


def test_out_of_scope_targets_are_rejected_not_found_like_rest(api, world):
    other = Device(api(world.rep_b1))
    b1_visit = str(uuid.uuid4())
    assert statuses(other.push([other.mutation("visit.check_in", check_in_args(world.store_b1, b1_visit))])) == [
        "applied"
    ]
    b1_card = card_body(world, 1)
    b1_counter = Device(api(world.clerk_b1))
    assert statuses(b1_counter.push([b1_counter.mutation("warranty.register", b1_card)])) == ["applied"]
    cases = _out_of_scope_args(world, b1_visit, b1_card)
    assert set(cases) == set(mutations.HANDLERS)
    for user, names in (
        (world.rep_a1, [n for n in cases if n not in COUNTER_MUTATIONS]),
        (world.clerk_a1, [n for n in cases if n in COUNTER_MUTATIONS]),
    ):
        device = Device(api(user))
        r = device.push([device.mutation(name, cases[name]) for name in names])
        assert r.status_code == 200, r.json
        for name, result in zip(names, r.json["results"], strict=True):
            assert result["status"] == "rejected", (name, result)
            assert result["error"]["code"] == EXPECTED_CODE.get(name, "not_found"), (name, result)
            assert result["error"]["message"]
    assert count(Visit) == 1 and count(StockMovement) == 0 and count(StoreContact) == 0
    assert count(ImeiSpotCheck) == 0 and count(WarrantyCardRevision) == 0
    assert count(ShopStockCount) == count(SellOutReport) == count(CompetitorSellOut) == 0
    assert world.store_b1.name == "中国移动 青秀营业厅"
    card = db.session.get(WarrantyCard, uuid.UUID(b1_card["id"]))
    assert (card.store_id, card.imei, card.buyer_name) == (world.store_b1.id, imei(serial=1), "张三丰")
    # The REST API says the same for the same calls.
    rep = api(world.rep_a1)
    assert rep.post("/api/v1/visits", json=cases["visit.check_in"]).status_code == 404
    assert rep.patch(f"/api/v1/stores/{world.store_b1.id}", json={"name": "改名"}).status_code == 404
    assert rep.post("/api/v1/imei-spot-checks", json=cases["imei.spot_check"]).status_code == 404
    clerk = api(world.clerk_a1)
    fields = cases["warranty.correct"]["fields"]
    assert clerk.patch(f"/api/v1/warranty-cards/{b1_card['id']}", json=fields).status_code == 404
    assert clerk.post("/api/v1/warranty-cards", json=cases["warranty.register"]).status_code == 409
    # Visit plans: refused by REST the same way, and no plan was made.
    assert rep.post("/api/v1/visit-plans", json=cases["plan.save"]).status_code == 403
    assert api(world.hq).get("/api/v1/visit-plans").json == []


BAD_ARGS = {
    "visit.check_in": ({"store_id": "one"}, {"id", "store_id", "checked_in_at", "latitude", "longitude"}),
    "visit.check_out": ({"visit_id": "nope"}, {"visit_id", "checked_out_at"}),
    "display.check": ({"answers": "all good"}, {"id", "visit_id", "checked_at", "answers"}),
    "stock.move": ({"kind": "stolen", "quantity": -1}, {"id", "store_id", "material_id", "kind", "quantity"}),
    "price.observe": ({"shelf_price": "cheap"}, {"id", "store_id", "shelf_price", "observed_at"}),
    "intel.report": ({"kind": "rumour", "latitude": 91}, {"id", "kind", "name", "latitude", "longitude"}),
    "store.update": ({"store_id": 1, "fields": {"latitude": 200, "kind": "kiosk"}}, {"fields"}),
    "contact.upsert": ({"store_id": 1, "fields": {"phone": "call me"}}, {"id", "fields"}),
    "contact.delete": ({"id": 5}, {"id", "store_id"}),
    "warranty.register": (
        {"imei": "86012345678901", "purchase_date": "soon"},
        {"id", "imei", "product_id", "serial_number", "buyer_name", "buyer_phone", "purchase_date", "registered_at"},
    ),
    "warranty.correct": ({"id": "card-1", "fields": {"imei": "123"}}, {"id", "fields"}),
    "imei.spot_check": ({"imei": "86012345678901", "seen_at": "now"}, {"id", "store_id", "imei", "seen_at"}),
    "shop_stock.count": ({"on_hand": -1, "demo_unit": "yes"}, {"id", "store_id", "product_id", "on_hand", "demo_unit"}),
    "sellout.report": (
        {"units": 100_001, "source": "rumour", "period_start": "last week"},
        {"id", "store_id", "product_id", "units", "source", "period_start", "period_end", "reported_at"},
    ),
    "sellout.competitor": (
        {"week_start": "monday", "band": "lots"},
        {"id", "store_id", "competitor_model_id", "week_start", "band", "source", "reported_at"},
    ),
    "training.record": (
        {"duration_minutes": 0, "attendees": [{"contact_id": "wang", "answers": "a"}]},
        {"id", "store_id", "topic_id", "held_at", "duration_minutes", "attendees"},
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_ARGS))
def test_bad_args_are_rejected_invalid_with_field_messages(api, world, name):
    args, fields = BAD_ARGS[name]
    device = Device(api(world.rep_a1))
    r = device.push([device.mutation(name, args)])
    [result] = r.json["results"]
    assert result["status"] == "rejected", result
    assert result["error"]["code"] == "invalid"
    assert fields <= set(result["error"]["errors"]), result["error"]
    assert all(isinstance(v, list | dict) for v in result["error"]["errors"].values())
    assert result["error"]["message"]
    [row] = db.session.scalars(select(SyncRejection)).all()
    assert (row.client_id, row.mutation_id, row.name, row.args) == (device.client_id, 1, name, args)
    assert row.error["code"] == "invalid" and row.user_id == world.rep_a1.id


def test_nested_field_messages_for_store_update(api, world):
    device = Device(api(world.rep_a1))
    r = device.push(
        [device.mutation("store.update", store_update_args(world.store_a1.id, {"latitude": 200, "kind": "kiosk"}))]
    )
    error = r.json["results"][0]["error"]
    assert set(error["errors"]["fields"]) == {"latitude", "kind"}


def test_business_rules_and_roles_are_the_rest_ones(api, world):
    from datetime import timedelta

    from backend.core.timeutil import utcnow
    from tests.factories import iso

    rep = Device(api(world.rep_a1))
    future = iso(utcnow() + timedelta(hours=2))
    r = rep.push(
        [
            rep.mutation("visit.check_in", check_in_args(world.store_a1, checked_in_at=future)),
            rep.mutation("store.update", store_update_args(world.store_a1.id, {"tier": "A"})),
            rep.mutation("stock.move", movement_args(world.store_a1, world.material.id, quantity=0)),
            rep.mutation("stock.move", movement_args(world.store_a1, 999_999)),
        ]
    )
    errors = [(x["status"], x["error"]["code"], x["error"].get("field")) for x in r.json["results"]]
    assert errors == [
        ("rejected", "invalid", "checked_in_at"),
        ("rejected", "forbidden", "tier"),
        ("rejected", "invalid", "quantity"),
        ("rejected", "invalid", "material_id"),
    ]
    clerk = Device(api(world.clerk_a1))
    r = clerk.push([clerk.mutation("visit.check_in", check_in_args(world.store_a1))])
    assert r.json["results"][0]["error"]["code"] == "forbidden"
    assert count(Visit) == 0 and count(StockMovement) == 0
    assert world.store_a1.tier == "B"


def test_same_record_id_with_other_content_is_rejected_conflict(api, world):
    device = Device(api(world.rep_a1))
    move = movement_args(world.store_a1, world.material.id, quantity=5)
    r = device.push(
        [
            device.mutation("stock.move", move),
            device.mutation("stock.move", move),  # a client that queued the same entry twice
            device.mutation("stock.move", move | {"quantity": 6}),
        ]
    )
    assert statuses(r) == ["applied", "applied", "rejected"]
    assert r.json["results"][2]["error"]["code"] == "conflict"
    assert count(StockMovement) == 1


def test_a_rejected_mutation_does_not_block_later_ones(api, world):
    device = Device(api(world.rep_a1))
    ok_before, ok_after = check_in_args(world.store_a1), check_in_args(world.store_a1b)
    batch = [
        device.mutation("visit.check_in", ok_before),
        device.mutation("visit.check_in", check_in_args(world.store_b1)),
        device.mutation("visit.teleport", {"to": "moon"}),
        device.mutation("visit.check_in", ok_after),
    ]
    r = device.push(batch)
    assert statuses(r) == ["applied", "rejected", "rejected", "applied"]
    assert r.json["results"][2]["error"]["code"] == "unknown_mutation"
    assert r.json["last_mutation_id"] == 4 and last_mutation_id(device.client_id) == 4
    assert {str(v) for v in db.session.scalars(select(Visit.id))} == {ok_before["id"], ok_after["id"]}
    rows = db.session.scalars(select(SyncRejection).order_by(SyncRejection.mutation_id)).all()
    assert [(x.mutation_id, x.name, x.error["code"]) for x in rows] == [
        (2, "visit.check_in", "not_found"),
        (3, "visit.teleport", "unknown_mutation"),
    ]
    assert rows[1].args == {"to": "moon"} and all(x.client_id == device.client_id for x in rows)


# --- exactly once -----------------------------------------------------------------------------------


def test_repushing_the_same_batch_is_all_duplicate(api, world):
    device = Device(api(world.rep_a1))
    batch = [
        device.mutation("visit.check_in", check_in_args(world.store_a1)),
        device.mutation("stock.move", movement_args(world.store_a1, world.material.id)),
        device.mutation("visit.check_in", check_in_args(world.store_b1)),
    ]
    assert statuses(device.push(batch)) == ["applied", "applied", "rejected"]
    changes = count(SyncChange)
    for _ in range(2):
        r = device.push(batch)
        assert statuses(r) == ["duplicate"] * 3
        assert r.json["last_mutation_id"] == 3
    assert count(Visit) == 1 and count(StockMovement) == 1 and count(SyncRejection) == 1
    assert count(SyncChange) == changes


def test_a_batch_after_a_gap_is_refused_whole(api, world):
    device = Device(api(world.rep_a1))
    assert statuses(device.push([device.mutation("visit.check_in", check_in_args(world.store_a1))])) == ["applied"]
    device.next_id = 4  # mutations 2 and 3 were lost on the phone
    batch = [device.mutation("visit.check_in", check_in_args(world.store_a1b)) for _ in range(2)]
    r = device.push(batch)
    assert r.status_code == 409, r.json
    assert r.json["code"] == "mutation_gap"
    assert r.json["details"]["expected_id"] == 2 and r.json["details"]["got_id"] == 4
    assert count(Visit) == 1 and last_mutation_id(device.client_id) == 1


def test_a_new_client_must_start_at_one(api, world):
    device = Device(api(world.rep_a1))
    device.next_id = 2
    r = device.push([device.mutation("visit.check_in", check_in_args(world.store_a1))])
    assert r.status_code == 409 and r.json["details"]["expected_id"] == 1
    assert count(Visit) == 0


def test_an_overlapping_batch_applies_only_the_new_part(api, world):
    device = Device(api(world.rep_a1))
    ms = [device.mutation("visit.check_in", check_in_args(world.store_a1)) for _ in range(6)]
    assert statuses(device.push(ms[:4])) == ["applied"] * 4
    r = device.push(ms[2:6])
    assert [(x["id"], x["status"]) for x in r.json["results"]] == [
        (3, "duplicate"),
        (4, "duplicate"),
        (5, "applied"),
        (6, "applied"),
    ]
    assert r.json["last_mutation_id"] == 6
    assert count(Visit) == 6


def test_an_hlc_too_far_ahead_is_rejected_clock_drift(api, world, app):
    device = Device(api(world.rep_a1))
    max_ahead = app.config["SYNC_MAX_CLOCK_AHEAD_SECONDS"] * 1000
    ahead = HLC(now_ms() + max_ahead + 60_000, 0, device.client_id).encode()
    visit = check_in_args(world.store_a1)
    r = device.push(
        [
            device.mutation("visit.check_in", visit, hlc=ahead),
            device.mutation("store.update", store_update_args(world.store_a1.id, {"name": "未来"}), hlc=ahead),
            device.mutation("visit.check_in", check_in_args(world.store_a1b)),
        ]
    )
    assert statuses(r) == ["rejected", "rejected", "applied"]
    for result in r.json["results"][:2]:
        error = result["error"]
        assert error["code"] == "clock_drift"
        assert error["details"]["max_ahead_ms"] == max_ahead
        assert error["details"]["ahead_ms"] > max_ahead
        # the reason and its numbers as data, for the phone to say in the rep's language
        assert error["reason"] == "clock_drift"
        assert error["params"]["max_ahead_seconds"] == max_ahead // 1000
        assert error["params"]["ahead_seconds"] * 1000 >= error["details"]["ahead_ms"]
    assert db.session.get(Visit, uuid.UUID(visit["id"])) is None
    assert world.store_a1.name != "未来"
    # The rejected clock was not adopted by the server: its own clock stays near real time.
    assert HLC.parse(r.json["server_hlc"]).wall_ms < now_ms() + 60_000


def test_a_client_id_of_another_user_is_refused(api, world):
    mine = Device(api(world.rep_a1))
    assert statuses(mine.push([mine.mutation("visit.check_in", check_in_args(world.store_a1))])) == ["applied"]
    thief = Device(api(world.rep_a1b), client_id=mine.client_id)
    thief.next_id = 2
    r = thief.push([thief.mutation("visit.check_in", check_in_args(world.store_a1b))])
    assert r.status_code == 403, r.json
    assert r.json["code"] == "forbidden"
    assert count(Visit) == 1 and last_mutation_id(mine.client_id) == 1
    client = db.session.get(SyncClient, mine.client_id)
    assert client.user_id == world.rep_a1.id


# --- per-field merge and conflicts --------------------------------------------------------------------


def ago(device: Device, seconds: float) -> str:
    """An HLC of `device` from `seconds` ago: edits made offline, in a known order."""
    return HLC(now_ms() - int(seconds * 1000), 0, device.client_id).encode()


def store_clock(api, user, store_id) -> dict:
    """The store's field clock as a device of `user` sees it in a pull."""
    items, _cursor, _last = Device(api(user)).pull_all()
    [item] = [i for i in items if i["entity"] == "store" and i["id"] == str(store_id)]
    return item["clock"]


def test_two_devices_editing_different_fields_both_win(api, world):
    a, b = Device(api(world.rep_a1)), Device(api(world.rep_a1b))
    base = store_clock(api, world.rep_a1, world.store_a1.id)
    ma = a.mutation("store.update", store_update_args(world.store_a1.id, {"name": "新名"}, base))
    mb = b.mutation("store.update", store_update_args(world.store_a1.id, {"address": "新地址"}, base))
    assert statuses(b.push([mb])) == ["applied"]
    assert statuses(a.push([ma])) == ["applied"]
    store = api(world.manager_a).get(f"/api/v1/stores/{world.store_a1.id}").json
    assert (store["name"], store["address"]) == ("新名", "新地址")
    assert count(SyncConflict) == 0
    clock = store_clock(api, world.rep_a1, world.store_a1.id)
    assert clock == {"name": ma["hlc"], "address": mb["hlc"]}


def test_same_field_later_hlc_wins_and_the_conflict_is_listed(api, world):
    a, b = Device(api(world.rep_a1)), Device(api(world.rep_a1b))
    early = a.mutation("store.update", store_update_args(world.store_a1.id, {"name": "A 的名字"}), hlc=ago(a, 20))
    late = b.mutation("store.update", store_update_args(world.store_a1.id, {"name": "B 的名字"}), hlc=ago(b, 10))
    assert statuses(b.push([late])) == ["applied"]
    r = a.push([early])  # pushed last, but written first: it loses
    [result] = r.json["results"]
    assert result["status"] == "merged"
    [c] = result["conflicts"]
    assert c["field"] == "name"
    assert c["kept"] == {"value": "B 的名字", "hlc": late["hlc"], "by": world.rep_a1b.id}
    assert c["lost"] == {"value": "A 的名字", "hlc": early["hlc"], "by": world.rep_a1.id}
    assert api(world.rep_a1).get(f"/api/v1/stores/{world.store_a1.id}").json["name"] == "B 的名字"

    listed = api(world.manager_a).get("/api/v1/sync/conflicts")
    assert listed.status_code == 200, listed.json
    [row] = listed.json
    assert (row["entity"], row["entity_id"], row["field"]) == ("store", str(world.store_a1.id), "name")
    assert (row["kept_value"], row["kept_hlc"], row["kept_by"]) == ("B 的名字", late["hlc"], world.rep_a1b.id)
    assert (row["lost_value"], row["lost_hlc"], row["lost_by"]) == ("A 的名字", early["hlc"], world.rep_a1.id)
    assert row["region_id"] == world.region_a.id and row["resolved_at"] is None
    for who in (world.hq, world.admin):
        assert [x["id"] for x in api(who).get("/api/v1/sync/conflicts").json] == [row["id"]]
    # Another region's manager neither sees nor resolves it.
    other = api(world.manager_b)
    assert other.get("/api/v1/sync/conflicts").json == []
    r = other.post(f"/api/v1/sync/conflicts/{row['id']}/resolve", json={"use": "lost"})
    assert r.status_code == 404, r.json
    # Filters.
    mgr = api(world.manager_a)
    assert len(mgr.get("/api/v1/sync/conflicts?resolved=false&entity=store").json) == 1
    assert mgr.get("/api/v1/sync/conflicts?resolved=true").json == []
    assert mgr.get("/api/v1/sync/conflicts?entity=contact").json == []
    assert mgr.get(f"/api/v1/sync/conflicts?entity_id={world.store_a2.id}").json == []


def test_an_edit_over_an_unseen_value_wins_and_is_reported(api, world):
    a, b = Device(api(world.rep_a1)), Device(api(world.rep_a1b))
    seen = store_clock(api, world.rep_a1, world.store_a1.id)
    assert "name" not in seen  # never edited through the merge
    mb = b.mutation("store.update", store_update_args(world.store_a1.id, {"name": "B 改的"}), hlc=ago(b, 10))
    assert statuses(b.push([mb])) == ["applied"]
    ma = a.mutation("store.update", store_update_args(world.store_a1.id, {"name": "A 改的"}, {"name": ORIGIN}))
    assert ma["hlc"] > mb["hlc"]
    [result] = a.push([ma]).json["results"]
    assert result["status"] == "merged"
    [c] = result["conflicts"]
    assert (c["kept"]["value"], c["lost"]["value"]) == ("A 改的", "B 改的")
    assert api(world.rep_a1).get(f"/api/v1/stores/{world.store_a1.id}").json["name"] == "A 改的"
    # With the current HLC as base there is nothing to report.
    now_seen = store_clock(api, world.rep_a1, world.store_a1.id)
    assert now_seen["name"] == ma["hlc"]
    b.clock.update(HLC.parse(now_seen["name"]))  # the device saw it in the pull: its next edit is later
    m2 = b.mutation("store.update", store_update_args(world.store_a1.id, {"name": "B 再改"}, now_seen))
    assert statuses(b.push([m2])) == ["applied"]
    assert count(SyncConflict) == 1


def test_resolving_with_the_lost_value_applies_it(api, world):
    a, b = Device(api(world.rep_a1)), Device(api(world.rep_a1b))
    early = a.mutation("store.update", store_update_args(world.store_a1.id, {"address": "旧楼 1 层"}), hlc=ago(a, 20))
    late = b.mutation("store.update", store_update_args(world.store_a1.id, {"address": "新楼 3 层"}), hlc=ago(b, 10))
    b.push([late])
    a.push([early])
    mgr = api(world.manager_a)
    [row] = mgr.get("/api/v1/sync/conflicts").json
    for who in (world.rep_a1, world.clerk_a1, world.hq):
        r = api(who).post(f"/api/v1/sync/conflicts/{row['id']}/resolve", json={"use": "lost"})
        assert r.status_code == 403, (who.username, r.json)
    r = mgr.post(f"/api/v1/sync/conflicts/{row['id']}/resolve", json={"use": "maybe"})
    assert r.status_code == 422
    r = mgr.post(f"/api/v1/sync/conflicts/{row['id']}/resolve", json={"use": "lost"})
    assert r.status_code == 200, r.json
    assert r.json["resolution"] == "lost" and r.json["resolved_by"] == world.manager_a.id
    assert r.json["resolved_at"] is not None
    assert mgr.get(f"/api/v1/stores/{world.store_a1.id}").json["address"] == "旧楼 1 层"
    # The resolution is a new edit with a server HLC later than both, so devices pull it.
    clock = store_clock(api, world.rep_a1, world.store_a1.id)
    assert clock["address"] > late["hlc"] and clock["address"].endswith(":server")
    assert mgr.post(f"/api/v1/sync/conflicts/{row['id']}/resolve", json={"use": "kept"}).status_code == 409
    assert len(mgr.get("/api/v1/sync/conflicts?resolved=true").json) == 1


def test_resolving_with_the_kept_value_changes_nothing(api, world):
    a, b = Device(api(world.rep_a1)), Device(api(world.rep_a1b))
    early = a.mutation("store.update", store_update_args(world.store_a1.id, {"kind": "shop"}), hlc=ago(a, 20))
    late = b.mutation("store.update", store_update_args(world.store_a1.id, {"kind": "counter"}), hlc=ago(b, 10))
    b.push([late])
    a.push([early])
    admin = api(world.admin)
    [row] = admin.get("/api/v1/sync/conflicts").json
    r = admin.post(f"/api/v1/sync/conflicts/{row['id']}/resolve", json={"use": "kept"})
    assert r.status_code == 200 and r.json["resolution"] == "kept"
    assert store_clock(api, world.rep_a1, world.store_a1.id)["kind"] == late["hlc"]


def test_contact_conflicts_merge_per_field(api, world):
    contact_id = str(uuid.uuid4())
    a, b = Device(api(world.rep_a1)), Device(api(world.clerk_a1))
    create = a.mutation(
        "contact.upsert",
        contact_upsert_args(world.store_a1.id, contact_id, {"name": "李", "role": "promoter"}),
        hlc=ago(a, 30),
    )
    assert statuses(a.push([create])) == ["applied"]
    early = a.mutation(
        "contact.upsert", contact_upsert_args(world.store_a1.id, contact_id, {"phone": "111"}), hlc=ago(a, 20)
    )
    late = b.mutation(
        "contact.upsert", contact_upsert_args(world.store_a1.id, contact_id, {"phone": "222"}), hlc=ago(b, 10)
    )
    other = a.mutation("contact.upsert", contact_upsert_args(world.store_a1.id, contact_id, {"role": "owner"}))
    assert statuses(b.push([late])) == ["applied"]
    assert statuses(a.push([early, other])) == ["merged", "applied"]
    [contact] = api(world.rep_a1).get(f"/api/v1/stores/{world.store_a1.id}/contacts").json
    assert (contact["name"], contact["role"], contact["phone"]) == ("李", "owner", "222")
    [row] = api(world.manager_a).get("/api/v1/sync/conflicts?entity=contact").json
    assert (row["entity_id"], row["field"], row["lost_value"], row["kept_value"]) == (contact_id, "phone", "111", "222")


def test_a_delete_beats_an_older_upsert(api, world):
    contact_id = str(uuid.uuid4())
    admin = api(world.admin)
    r = admin.put(f"/api/v1/stores/{world.store_a1.id}/contacts/{contact_id}", json={"name": "赵", "role": "promoter"})
    assert r.status_code == 201, r.json
    a, b = Device(api(world.rep_a1)), Device(api(world.rep_a1b))
    older = a.mutation(
        "contact.upsert", contact_upsert_args(world.store_a1.id, contact_id, {"phone": "13900139000"}), hlc=ago(a, 20)
    )
    delete = b.mutation("contact.delete", contact_delete_args(world.store_a1.id, contact_id))
    assert statuses(b.push([delete])) == ["applied"]
    r = a.push([older])
    [result] = r.json["results"]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "conflict" and "removed" in result["error"]["message"]
    contact = db.session.get(StoreContact, uuid.UUID(contact_id))
    assert contact.deleted_at is not None and contact.phone == ""
    # Deleting again is harmless.
    assert statuses(a.push([a.mutation("contact.delete", contact_delete_args(world.store_a1.id, contact_id))])) == [
        "applied"
    ]
    assert [h["action"] for h in admin.get(f"/api/v1/stores/{world.store_a1.id}/contacts/history").json] == [
        "deleted",
        "created",
    ]


# --- all or nothing --------------------------------------------------------------------------------------


def test_a_transient_database_failure_applies_nothing_and_the_retry_succeeds(api, world, monkeypatch):
    device = Device(api(world.rep_a1))
    first = device.mutation("visit.check_in", check_in_args(world.store_a1))
    assert statuses(device.push([first])) == ["applied"]
    changes = count(SyncChange)

    visit = check_in_args(world.store_a1b)
    contact_id = str(uuid.uuid4())
    batch = [
        device.mutation("visit.check_in", visit),
        device.mutation("store.update", store_update_args(world.store_a1.id, {"name": "写了一半"})),
        device.mutation(
            "contact.upsert", contact_upsert_args(world.store_a1.id, contact_id, {"name": "钱", "role": "owner"})
        ),
        device.mutation("stock.move", movement_args(world.store_a1, world.material.id)),
        device.mutation("visit.check_in", check_in_args(world.store_b1)),  # would be rejected
    ]

    def unavailable(actor, args, m):
        raise OperationalError("INSERT INTO stock_movements …", {}, Exception("server closed the connection"))

    monkeypatch.setitem(mutations.HANDLERS, "stock.move", unavailable)
    r = device.push(batch)
    assert r.status_code == 503, r.json
    assert r.headers.get("Retry-After", "").isdigit()
    assert r.json["code"] == "unavailable"

    db.session.expire_all()
    assert last_mutation_id(device.client_id) == 1
    assert db.session.get(Visit, uuid.UUID(visit["id"])) is None
    assert db.session.get(StoreContact, uuid.UUID(contact_id)) is None
    assert db.session.get(type(world.store_a1), world.store_a1.id).name == "苏宁易购 天河城店"
    assert count(StockMovement) == 0 and count(SyncRejection) == 0 and count(SyncConflict) == 0
    assert count(SyncChange) == changes

    monkeypatch.undo()
    r = device.push(batch)
    assert statuses(r) == ["applied", "applied", "applied", "applied", "rejected"]
    assert last_mutation_id(device.client_id) == 6
    assert count(Visit) == 2 and count(StockMovement) == 1 and count(SyncRejection) == 1


def test_records_made_by_push_are_the_rows_rest_would_make(api, world):
    """A pushed record and the same record posted to REST: one row, the REST call sees the same id."""
    device = Device(api(world.rep_a1))
    price = price_args(world.store_a1, world.competitor_model.id)
    intel = intel_args(world.store_a1)
    assert statuses(device.push([device.mutation("price.observe", price), device.mutation("intel.report", intel)])) == [
        "applied",
        "applied",
    ]
    rep = api(world.rep_a1)
    assert rep.post("/api/v1/price-observations", json=price).status_code == 200  # already recorded
    assert rep.post("/api/v1/intel-reports", json=intel).status_code == 200
    assert count(PriceObservation) == 1 and count(IntelReport) == 1 and count(DisplayCheck) == 0


def test_a_visit_sent_again_from_another_install_with_other_notes_is_rejected(api, world):
    """The same record id with other content is `conflict` in a push, the notes included; the
    mutations after it still apply."""
    visit_id = str(uuid.uuid4())
    args = check_in_args(world.store_a1, visit_id, notes="到店")
    first = Device(api(world.rep_a1))
    r = first.push([first.mutation("visit.check_in", args)])
    assert r.json["results"][0]["status"] == "applied", r.json
    again = Device(api(world.rep_a1))  # the app reinstalled: a new client id, the same record
    price = price_args(world.store_a1, world.competitor_model.id, price="2399.00")
    r = again.push(
        [
            again.mutation("visit.check_in", args | {"notes": "到店，缺海报"}),
            again.mutation("price.observe", price),
        ]
    )
    assert [x["status"] for x in r.json["results"]] == ["rejected", "applied"], r.json
    assert r.json["results"][0]["error"]["code"] == "conflict"
    assert r.json["results"][0]["error"]["details"]["fields"] == ["notes"]
    assert db.session.get(Visit, uuid.UUID(visit_id)).notes == "到店"
