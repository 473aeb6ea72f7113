"""A push asks once for what its mutations look up one by one (core.batch, sync.service._prefetch):
the outcomes are those of one mutation at a time, and the statements per mutation stay few."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError

from backend.catalogue.models import ChecklistItem
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.intel.models import IntelDuplicateCandidate, PriceObservation
from backend.photos.models import Photo
from backend.stock.models import StockMovement
from backend.stores.models import StoreContact, StoreHistory
from backend.sync import mutations, service
from backend.sync.models import SyncChange, SyncRejection
from backend.visits.models import DisplayCheck, Visit
from tests.sync.helpers import (
    Device,
    check_in_args,
    check_out_args,
    contact_upsert_args,
    display_check_args,
    intel_args,
    movement_args,
    price_args,
    store_update_args,
)


def statuses(resp) -> list[str]:
    assert resp.status_code == 200, resp.json
    return [r["status"] for r in resp.json["results"]]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_record_rolled_back_in_its_savepoint_can_be_created_later_in_the_batch(api, world):
    """The id was new when the push asked; the first try is refused after its row was added
    (another user's photo), so the second try with the same id must create it, not find it."""
    other = Photo(
        id=uuid.uuid4(), sha256="0" * 64, size_bytes=1, format="jpeg", width=1, height=1, uploaded_by=world.rep_b1.id
    )
    db.session.add(other)
    db.session.commit()
    device = Device(api(world.rep_a1))
    price = price_args(world.store_a1, world.competitor_model.id)
    r = device.push(
        [
            device.mutation("price.observe", price | {"photo_ids": [str(other.id)]}),
            device.mutation("price.observe", price),
            device.mutation("price.observe", price),  # resent: the same content is no second row
            device.mutation("price.observe", price | {"shelf_price": "1.00"}),
        ]
    )
    assert statuses(r) == ["rejected", "applied", "applied", "rejected"], r.json
    assert r.json["results"][0]["error"]["field"] == "photo_ids"
    assert r.json["results"][3]["error"]["code"] == "conflict"
    assert count(PriceObservation) == 1
    rows = db.session.scalars(select(SyncChange).where(SyncChange.entity == "price_observation")).all()
    assert [c.entity_id for c in rows] == [price["id"]]


def test_records_that_exist_before_the_push_answer_as_one_at_a_time(api, world):
    device = Device(api(world.rep_a1))
    move = movement_args(world.store_a1, world.material.id, quantity=5)
    assert statuses(device.push([device.mutation("stock.move", move)])) == ["applied"]
    other = Device(api(world.rep_a1))  # the app reinstalled: the same records again
    fresh = movement_args(world.store_a1, world.material.id, quantity=2)
    r = other.push(
        [
            other.mutation("stock.move", move),
            other.mutation("stock.move", move | {"quantity": 7}),
            other.mutation("stock.move", fresh),
        ]
    )
    assert statuses(r) == ["applied", "rejected", "applied"], r.json
    assert r.json["results"][1]["error"]["code"] == "conflict"
    assert count(StockMovement) == 2


def test_arguments_that_are_not_ids_are_left_to_validation(api, world):
    device = Device(api(world.rep_a1))
    good = check_in_args(world.store_a1)
    r = device.push(
        [
            device.mutation("visit.check_in", check_in_args(world.store_a1, visit_id="not-a-uuid")),
            device.mutation("visit.check_in", check_in_args(world.store_a1) | {"store_id": str(world.store_a1.id)}),
            device.mutation("visit.check_in", check_in_args(world.store_a1) | {"store_id": 2**40}),
            device.mutation("visit.check_in", check_in_args(world.store_a1) | {"id": 12}),
            device.mutation("visit.check_in", good),
            device.mutation("visit.check_in", check_in_args(world.store_b1)),  # named, not visible
        ]
    )
    assert statuses(r) == ["rejected"] * 4 + ["applied", "rejected"], r.json
    assert [x["error"]["code"] for x in r.json["results"] if "error" in x] == ["invalid"] * 4 + ["not_found"]
    assert [str(v) for v in db.session.scalars(select(Visit.id))] == [good["id"]]


def test_reference_rows_are_read_again_by_the_next_push(api, world):
    """The checklist is read once per push, not kept beyond it: an item an admin retires
    between two pushes is refused in the second."""
    device = Device(api(world.rep_a1))
    visit = check_in_args(world.store_a1)
    r = device.push(
        [
            device.mutation("visit.check_in", visit),
            device.mutation("display.check", display_check_args(visit["id"], world.yes_item.id)),
        ]
    )
    assert statuses(r) == ["applied", "applied"]
    db.session.get(ChecklistItem, world.yes_item.id).active = False
    db.session.commit()
    r = device.push([device.mutation("display.check", display_check_args(visit["id"], world.yes_item.id))])
    assert statuses(r) == ["rejected"] and r.json["results"][0]["error"]["field"] == "answers"
    assert count(DisplayCheck) == 1


def _mixed(device: Device, world, visits: int) -> list[dict]:
    out = []
    for i in range(visits):
        store = world.store_a1 if i % 2 else world.store_a1b
        visit = check_in_args(store)
        out += [
            device.mutation("visit.check_in", visit),
            device.mutation("display.check", display_check_args(visit["id"], world.yes_item.id)),
            device.mutation("price.observe", price_args(store, world.competitor_model.id) | {"visit_id": visit["id"]}),
            device.mutation("stock.move", movement_args(store, world.material.id) | {"visit_id": visit["id"]}),
            device.mutation("visit.check_out", check_out_args(visit["id"])),
        ]
        if i % 5 == 0:
            out.append(device.mutation("store.update", store_update_args(store.id, {"address": f"中山路{i}号"})))
            cid = str(uuid.uuid4())
            out.append(
                device.mutation(
                    "contact.upsert", contact_upsert_args(store.id, cid, {"name": "王芳", "role": "promoter"})
                )
            )
    return out


def _pushed_counting(device: Device, batch: list[dict]):
    """Push `batch`; (the response, the statements it sent by their first word)."""
    kinds: Counter = Counter()

    def listen(conn, cursor, statement, parameters, context, executemany):
        kinds[statement.split(None, 1)[0].upper()] += 1

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        return device.push(batch), kinds
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def test_statements_per_mutation_stay_few(api, world, app):
    """A regression guard for issue 13: the statements a mixed push sends, per mutation."""
    device = Device(api(world.rep_a1))
    mutations = _mixed(device, world, 20)
    r, kinds = _pushed_counting(device, mutations)
    assert set(statuses(r)) == {"applied"}, r.json
    per_mutation = sum(kinds.values()) / len(mutations)
    assert per_mutation < 0.75, (per_mutation, kinds)  # 0.68 on SQLite, 0.65 on PostgreSQL


# --- savepoints only around refused mutations ---------------------------------------------------


def _refusing_stock_handler(real):
    """stock.move, but a movement noted "boom" is written and then fails like a constraint."""

    def handler(actor, args, m):
        conflicts = real(actor, args, m)
        if isinstance(args, dict) and args.get("note") == "boom":
            raise IntegrityError("INSERT INTO stock_movements …", {}, Exception("duplicate key"))
        return conflicts

    return handler


@pytest.mark.parametrize("optimistic_refusals", [service.OPTIMISTIC_REFUSALS, 2, 0], ids=["runs", "few", "isolated"])
def test_refusals_anywhere_in_a_batch_leave_nothing_and_the_rest_apply(api, world, monkeypatch, optimistic_refusals):
    """The outcomes of a batch with refusals of every kind, in runs with one savepoint (the
    default), past the refusals after which each mutation gets its own savepoint ("few"), and
    with a savepoint per mutation throughout ("isolated", how pushes ran before): the same."""
    monkeypatch.setattr(service, "OPTIMISTIC_REFUSALS", optimistic_refusals)
    monkeypatch.setitem(mutations.HANDLERS, "stock.move", _refusing_stock_handler(mutations.HANDLERS["stock.move"]))
    other = Photo(
        id=uuid.uuid4(), sha256="1" * 64, size_bytes=1, format="jpeg", width=1, height=1, uploaded_by=world.rep_b1.id
    )
    db.session.add(other)
    db.session.commit()
    device = Device(api(world.rep_a1))
    visit = check_in_args(world.store_a1)
    price = price_args(world.store_a1, world.competitor_model.id)
    move = movement_args(world.store_a1, world.material.id, quantity=3)
    boom = movement_args(world.store_a1, world.material.id, note="boom")
    contact_id = str(uuid.uuid4())
    batch = [
        device.mutation("visit.check_in", visit),
        device.mutation("price.observe", price | {"photo_ids": [str(other.id)]}),  # refused after its insert
        device.mutation("stock.move", move),
        device.mutation("stock.move", boom),  # a database error after its insert
        device.mutation("visit.teleport", {"to": "moon"}),
        device.mutation("price.observe", price),
        device.mutation("store.update", store_update_args(world.store_a1.id, {"address": "天河路1号"})),
        device.mutation("visit.check_in", check_in_args(world.store_b1)),  # out of scope
        device.mutation(
            "contact.upsert", contact_upsert_args(world.store_a1.id, contact_id, {"name": "王芳", "role": "promoter"})
        ),
        device.mutation("display.check", display_check_args(visit["id"], world.yes_item.id)),
        device.mutation("visit.check_out", check_out_args(visit["id"])),
        device.mutation("stock.move", move | {"quantity": 4}),  # the same id, other content
    ]
    changes_before = count(SyncChange)
    r = device.push(batch)
    assert statuses(r) == [
        "applied",
        "rejected",
        "applied",
        "rejected",
        "rejected",
        "applied",
        "applied",
        "rejected",
        "applied",
        "applied",
        "applied",
        "rejected",
    ], r.json
    assert r.json["last_mutation_id"] == 12
    errors = [(x["id"], x["error"]["code"], x["error"].get("field")) for x in r.json["results"] if "error" in x]
    assert errors == [
        (2, "invalid", "photo_ids"),
        (4, "conflict", None),
        (5, "unknown_mutation", "name"),
        (8, "not_found", "store_id"),
        (12, "conflict", None),
    ]
    rejections = db.session.scalars(select(SyncRejection).order_by(SyncRejection.mutation_id)).all()
    assert [x.mutation_id for x in rejections] == [2, 4, 5, 8, 12]
    assert [str(i) for i in db.session.scalars(select(StockMovement.id))] == [move["id"]]
    assert [str(i) for i in db.session.scalars(select(PriceObservation.id))] == [price["id"]]
    assert count(Visit) == 1 and count(DisplayCheck) == 1 and count(StoreContact) == 1
    assert db.session.get(Visit, uuid.UUID(visit["id"])).checked_out_at is not None
    history = db.session.scalars(select(StoreHistory).where(StoreHistory.store_id == world.store_a1.id)).all()
    assert [(h.field, h.new_value) for h in history] == [("address", "天河路1号")]
    logged = db.session.execute(select(SyncChange.entity, SyncChange.entity_id).where(SyncChange.seq > 0)).all()
    assert count(SyncChange) > changes_before
    assert boom["id"] not in {entity_id for _, entity_id in logged}
    assert {(e, i) for e, i in logged} >= {
        ("visit", visit["id"]),
        ("price_observation", price["id"]),
        ("stock_movement", move["id"]),
        ("store", str(world.store_a1.id)),
        ("contact", contact_id),
    }


def test_a_clean_batch_takes_one_savepoint(api, world):
    device = Device(api(world.rep_a1))
    assert device.push([]).status_code == 200  # the client's row (created in a savepoint of its own)
    batch = _mixed(device, world, 6)
    r, kinds = _pushed_counting(device, batch)
    assert set(statuses(r)) == {"applied"}, r.json
    assert kinds["SAVEPOINT"] == 1 and kinds["RELEASE"] == 1, kinds


def test_edits_of_rows_made_or_changed_earlier_in_the_run_see_them(api, world):
    """A contact created and edited again in one push, a store edited twice: each edit reads its
    row under a lock without flushing the run first (core.batch.locked), except when the row
    itself is pending or changed. The run still takes one savepoint (no replay), and the second
    edit merges onto the first."""
    device = Device(api(world.rep_a1))
    assert device.push([]).status_code == 200
    cid = str(uuid.uuid4())
    store = world.store_a1
    visit = check_in_args(store)
    batch = [
        device.mutation("visit.check_in", visit),
        device.mutation("contact.upsert", contact_upsert_args(store.id, cid, {"name": "王芳", "role": "promoter"})),
        device.mutation("store.update", store_update_args(store.id, {"address": "中山路1号"})),
        device.mutation("contact.upsert", contact_upsert_args(store.id, cid, {"phone": "13800000000"})),
        device.mutation("store.update", store_update_args(store.id, {"address": "中山路2号"})),
        device.mutation("visit.check_out", check_out_args(visit["id"])),
    ]
    r, kinds = _pushed_counting(device, batch)
    assert statuses(r) == ["applied"] * 6, r.json
    assert kinds["SAVEPOINT"] == 1, kinds
    db.session.expire_all()
    contact = db.session.get(StoreContact, uuid.UUID(cid))
    assert (contact.name, contact.phone) == ("王芳", "13800000000")
    assert db.session.get(type(store), store.id).address == "中山路2号"
    changes = db.session.scalars(
        select(StoreHistory.new_value).where(StoreHistory.store_id == store.id, StoreHistory.field == "address")
    ).all()
    assert changes == ["中山路1号", "中山路2号"]


def test_a_new_store_report_in_a_run_leaves_the_run_one_flush(api, world):
    """A report of a new store looks for known stores nearby (its duplicate candidates): that
    read and the report itself no longer write the run's pending rows first (core.batch.reading),
    so the two visits around it go out in one INSERT, and the candidates are still found."""
    device = Device(api(world.rep_a1))
    assert device.push([]).status_code == 200
    first, second = check_in_args(world.store_a1), check_in_args(world.store_a1b)
    near_a1 = intel_args(world.store_a1, kind="new_store", name="新开手机店", store_id=None)
    near_a1b = intel_args(world.store_a1b, kind="new_store", name="另一家新店", store_id=None)
    batch = [
        device.mutation("visit.check_in", first),
        device.mutation("intel.report", near_a1),
        device.mutation("visit.check_in", second),
        device.mutation("intel.report", near_a1b),
        device.mutation("visit.check_out", check_out_args(second["id"])),
    ]
    inserts: Counter = Counter()

    def listen(conn, cursor, statement, parameters, context, executemany):
        if statement.upper().startswith("INSERT INTO"):
            inserts[statement.split()[2].strip('"')] += 1

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        r, kinds = _pushed_counting(device, batch)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert statuses(r) == ["applied"] * 5, r.json
    assert kinds["SAVEPOINT"] == 1, kinds
    assert inserts["visits"] == 1 and inserts["intel_reports"] == 1, inserts
    candidates = dict(
        db.session.execute(
            select(IntelDuplicateCandidate.report_id, IntelDuplicateCandidate.store_id).where(
                IntelDuplicateCandidate.report_id.in_([uuid.UUID(near_a1["id"]), uuid.UUID(near_a1b["id"])])
            )
        ).all()
    )
    assert candidates == {uuid.UUID(near_a1["id"]): world.store_a1.id, uuid.UUID(near_a1b["id"]): world.store_a1b.id}


# --- one flush per run: a database error at the run's end is told apart as before ---------------


def test_a_database_error_at_the_runs_flush_is_the_mutation_that_caused_it(api, world, monkeypatch):
    """A movement's id is inserted behind the push's back once it has asked which ids exist
    (as a concurrent push of another phone of the rep would): its row fails only at the flush
    ending the run. The run is applied again one flush per mutation, and only that mutation is
    refused, with the error it got when every mutation was flushed as it ended (its retry alone
    finds the row and names what differs)."""
    device = Device(api(world.rep_a1))
    visit = check_in_args(world.store_a1)
    taken = movement_args(world.store_a1, world.material.id, quantity=2)
    prefetch = service._prefetch

    def prefetch_then_race(actor, pending):
        prefetch(actor, pending)
        db.session.execute(
            insert(StockMovement).values(
                id=uuid.UUID(taken["id"]),
                rep_id=world.rep_a1.id,
                store_id=world.store_a1.id,
                material_id=world.material.id,
                kind="delivered",
                quantity=9,
                recorded_at=utcnow(),
            )
        )

    monkeypatch.setattr(service, "_prefetch", prefetch_then_race)
    r = device.push(
        [
            device.mutation("visit.check_in", visit),
            device.mutation("price.observe", price_args(world.store_a1, world.competitor_model.id)),
            device.mutation("stock.move", taken),
            device.mutation("stock.move", movement_args(world.store_a1, world.material.id) | {"visit_id": visit["id"]}),
            device.mutation("visit.check_out", check_out_args(visit["id"])),
        ]
    )
    assert statuses(r) == ["applied", "applied", "rejected", "applied", "applied"], r.json
    error = r.json["results"][2]["error"]
    assert error["code"] == "conflict"
    assert error["details"] == {"id": taken["id"], "fields": ["quantity", "recorded_at"]}
    assert [x.mutation_id for x in db.session.scalars(select(SyncRejection))] == [3]
    assert count(StockMovement) == 2 and count(PriceObservation) == 1 and count(Visit) == 1
    assert db.session.get(StockMovement, uuid.UUID(taken["id"])).quantity == 9
