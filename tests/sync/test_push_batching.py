"""A push asks once for what its mutations look up one by one (core.batch, sync.service._prefetch):
the outcomes are those of one mutation at a time, and the statements per mutation stay few."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import event, func, select

from backend.catalogue.models import ChecklistItem
from backend.extensions import db
from backend.intel.models import PriceObservation
from backend.photos.models import Photo
from backend.stock.models import StockMovement
from backend.sync.models import SyncChange
from backend.visits.models import DisplayCheck, Visit
from tests.sync.helpers import (
    Device,
    check_in_args,
    check_out_args,
    contact_upsert_args,
    display_check_args,
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


def test_statements_per_mutation_stay_few(api, world, app):
    """A regression guard for issue 13: the statements a mixed push sends, per mutation."""
    device = Device(api(world.rep_a1))
    mutations = _mixed(device, world, 20)
    kinds: Counter = Counter()

    def listen(conn, cursor, statement, parameters, context, executemany):
        kinds[statement.split(None, 1)[0].upper()] += 1

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        r = device.push(mutations)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert set(statuses(r)) == {"applied"}, r.json
    per_mutation = sum(kinds.values()) / len(mutations)
    assert per_mutation < 3.6, (per_mutation, kinds)
