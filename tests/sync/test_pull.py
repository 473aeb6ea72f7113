"""GET /api/v1/sync/pull: the paginated snapshot, scopes, incremental changes (put, delete,
remove), resets, cursor errors and limits."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.sync import service as sync_service
from backend.sync.entities import ENTITIES
from backend.sync.models import SyncChange
from backend.sync.service import prune_changes
from sync_protocol import Cursor, decode_cursor, encode_cursor
from tests.sync.helpers import (
    Device,
    apply_changes,
    check_in_args,
    contact_delete_args,
    contact_upsert_args,
    display_check_args,
    intel_args,
    key,
    movement_args,
    price_args,
    snapshot,
    store_update_args,
)

ORDER = [e.name for e in ENTITIES]
REFERENCE = ORDER[: ORDER.index("store")]
RECORDS = ORDER[ORDER.index("contact") + 1 :]


def push_ok(device: Device, *mutations: tuple[str, dict]) -> None:
    r = device.push([device.mutation(name, args) for name, args in mutations])
    assert r.status_code == 200, r.json
    assert {x["status"] for x in r.json["results"]} <= {"applied"}, r.json


def put_contact(api, world, store) -> str:
    cid = str(uuid.uuid4())
    r = api(world.admin).put(f"/api/v1/stores/{store.id}/contacts/{cid}", json={"name": "联系人", "role": "promoter"})
    assert r.status_code == 201, r.json
    return cid


@pytest.fixture
def records(api, world) -> dict[str, set[tuple[str, str]]]:
    """Field records of four reps and a manager, and a contact at every store; returns the
    (entity, id) keys each owner made, by owner name, plus "contact_<store>"."""
    made: dict[str, set] = {}
    for owner, store in (
        ("rep_a1", world.store_a1),
        ("rep_a1b", world.store_a1b),
        ("rep_a2", world.store_a2),
        ("rep_b1", world.store_b1),
        ("manager_a", world.store_a2),
    ):
        device = Device(api(world.users[owner]))
        visit = check_in_args(store)
        check = display_check_args(visit["id"], world.yes_item.id)
        move = movement_args(store, world.material.id)
        price = price_args(store, world.competitor_model.id)
        intel = intel_args(store)
        push_ok(
            device,
            ("visit.check_in", visit),
            ("display.check", check),
            ("stock.move", move),
            ("price.observe", price),
            ("intel.report", intel),
        )
        made[owner] = {
            ("visit", visit["id"]),
            ("display_check", check["id"]),
            ("stock_movement", move["id"]),
            ("price_observation", price["id"]),
            ("intel_report", intel["id"]),
        }
    for name in ("store_a1", "store_a1b", "store_a2", "store_b1"):
        made[f"contact_{name}"] = {("contact", put_contact(api, world, getattr(world, name)))}
    return made


def reference_keys(world) -> set[tuple[str, str]]:
    return {
        ("region", str(world.region_a.id)),
        ("region", str(world.region_b.id)),
        ("territory", str(world.terr_a1.id)),
        ("territory", str(world.terr_a2.id)),
        ("territory", str(world.terr_b1.id)),
        ("partner", str(world.partner.id)),
        ("product", str(world.product.id)),
        ("competitor_brand", str(world.brand.id)),
        ("competitor_model", str(world.competitor_model.id)),
        ("promo_material", str(world.material.id)),
        ("checklist_item", str(world.yes_item.id)),
        ("checklist_item", str(world.number_item.id)),
    }


def stores(*names, world) -> set[tuple[str, str]]:
    return {("store", str(getattr(world, n).id)) for n in names}


# --- the snapshot --------------------------------------------------------------------------------------


def test_snapshot_comes_in_pages_each_item_once_in_entity_order(api, world, records):
    device = Device(api(world.manager_a))
    pages, cursor = [], None
    while True:
        r = device.pull(cursor, limit=4)
        assert r.status_code == 200, r.json
        body = r.json
        assert body["snapshot"] is True and body["reset"] is False and body["protocol_version"] == 1
        assert len(body["changes"]) <= 4
        pages.append(body["changes"])
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert len(pages) > 5
    items = [item for page in pages for item in page]
    keys = [key(i) for i in items]
    assert len(keys) == len(set(keys)), "an item arrived twice"
    positions = [ORDER.index(i["entity"]) for i in items]
    assert positions == sorted(positions), "entities out of the documented order"
    assert all(i["op"] == "put" for i in items)
    # The whole scope, the same as one big page.
    one_page, _c, _b = device.pull_all(None, limit=5000)
    assert [key(i) for i in one_page] == keys
    assert one_page == items
    # Within an entity, by id; editable records carry their clock, others none.
    for item in items:
        assert ("clock" in item) == (item["entity"] in ("store", "contact"))
        assert str(item["data"]["id"]) == item["id"]
    # The final cursor is a change cursor at the current end of the log.
    final = decode_cursor(cursor)
    assert final.snapshot is None
    r = device.pull(cursor)
    assert r.json["changes"] == [] and r.json["has_more"] is False and r.json["snapshot"] is False
    assert r.json["cursor"] == cursor


def test_each_role_gets_its_scope(api, world, records):
    ref = reference_keys(world)
    contacts = {
        name: next(iter(records[f"contact_{name}"])) for name in ("store_a1", "store_a1b", "store_a2", "store_b1")
    }
    everyone_records = set().union(*(records[o] for o in ("rep_a1", "rep_a1b", "rep_a2", "rep_b1", "manager_a")))
    expected = {
        "rep_a1": ref
        | stores("store_a1", "store_a1b", world=world)
        | {contacts["store_a1"], contacts["store_a1b"]}
        | records["rep_a1"],
        "rep_a1b": ref
        | stores("store_a1", "store_a1b", world=world)
        | {contacts["store_a1"], contacts["store_a1b"]}
        | records["rep_a1b"],
        "rep_b1": ref | stores("store_b1", world=world) | {contacts["store_b1"]} | records["rep_b1"],
        "manager_a": ref
        | stores("store_a1", "store_a1b", "store_a2", world=world)
        | {contacts["store_a1"], contacts["store_a1b"], contacts["store_a2"]}
        | records["rep_a1"]
        | records["rep_a1b"]
        | records["rep_a2"]
        | records["manager_a"],
        "manager_b": ref | stores("store_b1", world=world) | {contacts["store_b1"]} | records["rep_b1"],
        "clerk_a1": ref | stores("store_a1", world=world) | {contacts["store_a1"]},
        "hq": ref
        | stores("store_a1", "store_a1b", "store_a2", "store_b1", world=world)
        | set(contacts.values())
        | everyone_records,
    }
    expected["admin"] = expected["hq"]
    for user, keys in expected.items():
        got = snapshot(Device(api(world.users[user])), limit=7)
        assert set(got) == keys, (user, sorted(set(got) ^ keys))


def test_pull_data_is_what_the_rest_api_shows(api, world, records):
    rep = api(world.rep_a1)
    got = snapshot(Device(rep))
    for entity, path in (
        ("visit", "visits"),
        ("display_check", "display-checks"),
        ("stock_movement", "stock-movements"),
        ("price_observation", "price-observations"),
        ("intel_report", "intel-reports"),
    ):
        [(k, v)] = [(k, v) for k, v in got.items() if k[0] == entity]
        assert v["data"] == rep.get(f"/api/v1/{path}/{k[1]}").json, entity
    assert got[("store", str(world.store_a1.id))]["data"] == rep.get(f"/api/v1/stores/{world.store_a1.id}").json
    contacts = {c["id"]: c for c in rep.get(f"/api/v1/stores/{world.store_a1.id}/contacts").json}
    [cid] = contacts
    assert got[("contact", cid)]["data"] == contacts[cid]


def test_changes_during_a_snapshot_follow_it(api, world, records):
    device = Device(api(world.rep_a1))
    r = device.pull(None, limit=5)
    first_page = r.json["changes"]
    assert r.json["has_more"]
    # While the phone is between pages: a store it already has, and one it does not have yet.
    admin = api(world.admin)
    assert admin.patch(f"/api/v1/stores/{world.store_a1.id}", json={"name": "改了"}).status_code == 200
    new_contact = put_contact(api, world, world.store_a1b)
    replica: dict = {}
    apply_changes(replica, first_page)
    items, _cursor, last = device.pull_all(r.json["cursor"], limit=5)
    apply_changes(replica, items)
    assert last["snapshot"] is False  # the snapshot ended and the changes since followed
    assert replica[("store", str(world.store_a1.id))]["data"]["name"] == "改了"
    assert ("contact", new_contact) in replica
    assert replica == snapshot(device)


# --- changes -----------------------------------------------------------------------------------------------


def test_incremental_pull_returns_only_what_changed_with_current_data(api, world, records):
    rep_device = Device(api(world.rep_a1))
    _items, cursor, _last = rep_device.pull_all()
    # REST and sync writes, in and out of the rep's scope.
    admin, rep = api(world.admin), api(world.rep_a1)
    assert admin.patch(f"/api/v1/stores/{world.store_a1.id}", json={"tier": "A"}).status_code == 200
    assert rep.patch(f"/api/v1/stores/{world.store_a1.id}", json={"address": "一楼"}).status_code == 200
    assert admin.patch(f"/api/v1/stores/{world.store_b1.id}", json={"tier": "A"}).status_code == 200
    assert admin.patch(f"/api/v1/products/{world.product.id}", json={"active": False}).status_code == 200
    visit = check_in_args(world.store_a1b)
    push_ok(rep_device, ("visit.check_in", visit))
    other = Device(api(world.rep_a1b))
    push_ok(other, ("visit.check_in", check_in_args(world.store_a1)))  # another rep's record
    push_ok(other, ("store.update", store_update_args(world.store_a1b.id, {"name": "迪信通 新店名"})))
    new_contact = str(uuid.uuid4())
    push_ok(
        other,
        ("contact.upsert", contact_upsert_args(world.store_a1.id, new_contact, {"name": "孙", "role": "owner"})),
    )

    items, cursor2, last = rep_device.pull_all(cursor)
    assert last["snapshot"] is False and last["reset"] is False
    keys = [key(i) for i in items]
    assert len(keys) == len(set(keys))
    assert set(keys) == {
        ("store", str(world.store_a1.id)),
        ("product", str(world.product.id)),
        ("visit", visit["id"]),
        ("store", str(world.store_a1b.id)),
        ("contact", new_contact),
    }
    by_key = {key(i): i for i in items}
    store = by_key[("store", str(world.store_a1.id))]
    assert store["op"] == "put"
    assert store["data"] == rep.get(f"/api/v1/stores/{world.store_a1.id}").json
    assert (store["data"]["tier"], store["data"]["address"]) == ("A", "一楼")
    assert set(store["clock"]) == {"tier", "address"}
    assert by_key[("product", str(world.product.id))]["data"]["active"] is False
    assert by_key[("visit", visit["id"])]["data"] == rep.get(f"/api/v1/visits/{visit['id']}").json
    assert by_key[("store", str(world.store_a1b.id))]["data"]["name"] == "迪信通 新店名"
    # In the order of each entity's last change.
    assert keys.index(("store", str(world.store_a1.id))) < keys.index(("visit", visit["id"]))
    assert keys.index(("visit", visit["id"])) < keys.index(("contact", new_contact))
    # Nothing more until something changes.
    again, cursor3, _ = rep_device.pull_all(cursor2)
    assert again == [] and cursor3 == cursor2


def test_a_changed_entity_comes_once_with_its_latest_state(api, world):
    device = Device(api(world.rep_a1))
    _items, cursor, _ = device.pull_all()
    admin = api(world.admin)
    for name in ("一", "二", "三"):
        assert admin.patch(f"/api/v1/stores/{world.store_a1.id}", json={"name": name}).status_code == 200
    items, _cursor, _ = device.pull_all(cursor)
    assert [(key(i), i["data"]["name"]) for i in items] == [(("store", str(world.store_a1.id)), "三")]
    # Pages hold change-log rows, so across small pages an entity may come again: always current.
    items, _cursor, _ = device.pull_all(cursor, limit=1)
    assert {(key(i), i["data"]["name"]) for i in items} == {(("store", str(world.store_a1.id)), "三")}


def test_a_deleted_contact_arrives_as_delete(api, world):
    cid = put_contact(api, world, world.store_a1)
    device = Device(api(world.clerk_a1))
    replica = snapshot(device)
    assert ("contact", cid) in replica
    _i, cursor, _ = device.pull_all()
    push_ok(Device(api(world.rep_a1)), ("contact.delete", contact_delete_args(world.store_a1.id, cid)))
    items, _c, _ = device.pull_all(cursor)
    assert items == [{"entity": "contact", "id": cid, "op": "delete"}]
    assert ("contact", cid) not in snapshot(device)


def test_a_contact_created_and_deleted_between_pulls(api, world):
    device = Device(api(world.rep_a1))
    _i, cursor, _ = device.pull_all()
    cid = put_contact(api, world, world.store_a1)
    assert api(world.admin).delete(f"/api/v1/stores/{world.store_a1.id}/contacts/{cid}").status_code == 200
    items, _c, _ = device.pull_all(cursor)
    assert items == [{"entity": "contact", "id": cid, "op": "delete"}]


def test_a_store_moved_to_another_territory(api, world, records):
    a1_contacts = {next(iter(records["contact_store_a1"]))}
    devices = {u: Device(api(world.users[u])) for u in ("rep_a1", "rep_a2", "manager_a", "manager_b", "hq")}
    replicas, cursors = {}, {}
    for name, device in devices.items():
        items, cursors[name], _ = device.pull_all()
        replicas[name] = {}
        apply_changes(replicas[name], items)
    store_key = ("store", str(world.store_a1.id))
    [contact_key] = a1_contacts
    assert store_key in replicas["rep_a1"] and store_key not in replicas["rep_a2"]

    r = api(world.admin).patch(f"/api/v1/stores/{world.store_a1.id}", json={"territory_id": world.terr_a2.id})
    assert r.status_code == 200, r.json

    changes = {}
    for name, device in devices.items():
        changes[name], cursors[name], _ = device.pull_all(cursors[name], limit=2)
        apply_changes(replicas[name], changes[name])
        assert replicas[name] == snapshot(device), name

    ops = {n: {key(i): i["op"] for i in items} for n, items in changes.items()}
    # The old territory's rep: the store and its contacts leave; the rep's own records stay theirs.
    assert ops["rep_a1"][store_key] == "remove" and ops["rep_a1"][contact_key] == "remove"
    assert {k for k, op in ops["rep_a1"].items() if op == "put"} <= records["rep_a1"]
    # The new territory's rep: the store and its contacts arrive, with data.
    assert ops["rep_a2"][store_key] == "put" and ops["rep_a2"][contact_key] == "put"
    moved = next(i for i in changes["rep_a2"] if key(i) == store_key)
    assert moved["data"]["territory_id"] == world.terr_a2.id
    assert not any(k in records["rep_a1"] for k in ops["rep_a2"])  # not rep_a1's records
    # Same region: the manager keeps everything; the other region sees nothing.
    assert set(ops["manager_a"].values()) == {"put"} and store_key in ops["manager_a"]
    assert ops["manager_b"] == {}
    assert ops["hq"][store_key] == "put"

    # On to another region: manager_a loses the store, its contacts and the records made there.
    r = api(world.admin).patch(f"/api/v1/stores/{world.store_a1.id}", json={"territory_id": world.terr_b1.id})
    assert r.status_code == 200, r.json
    for name in ("manager_a", "manager_b", "rep_a2"):
        items, cursors[name], _ = devices[name].pull_all(cursors[name])
        apply_changes(replicas[name], items)
        assert replicas[name] == snapshot(devices[name]), name
        ops[name] = {key(i): i["op"] for i in items}
    # rep_a1's records were all made at store_a1, the intel report about it included: a report
    # is scoped by its store's territory, so it moves with the store.
    at_a1 = set(records["rep_a1"])
    [intel] = {k for k in at_a1 if k[0] == "intel_report"}
    assert intel in replicas["manager_b"] and intel not in replicas["manager_a"]
    assert {k: ops["manager_a"][k] for k in at_a1 | {store_key, contact_key}} == dict.fromkeys(
        at_a1 | {store_key, contact_key}, "remove"
    )
    assert {ops["manager_b"][k] for k in at_a1 | {store_key, contact_key}} == {"put"}
    assert ops["rep_a2"][store_key] == "remove"


# --- resets and cursor errors ----------------------------------------------------------------------------


def test_a_cursor_of_another_scope_restarts_with_a_snapshot(api, world, records):
    rep_a1, rep_b1 = Device(api(world.rep_a1)), Device(api(world.rep_b1))
    _i, cursor, _ = rep_a1.pull_all()
    r = rep_b1.pull(cursor, limit=3)
    assert r.status_code == 200
    assert r.json["reset"] is True and r.json["snapshot"] is True
    items, _c, _ = rep_b1.pull_all(r.json["cursor"], limit=3)
    replica: dict = {}
    apply_changes(replica, r.json["changes"] + items)
    assert replica == snapshot(rep_b1)
    assert ("store", str(world.store_b1.id)) in replica and ("store", str(world.store_a1.id)) not in replica


def test_a_territory_moved_to_another_region(api, world, records):
    """Everything scoped by the territory leaves the old region's managers (remove) and reaches
    the new region's (put); the territory's own rep keeps all of it and learns the new region."""
    devices = {u: Device(api(world.users[u])) for u in ("rep_a1", "manager_a", "manager_b", "hq")}
    replicas, cursors = {}, {}
    for name, device in devices.items():
        items, cursors[name], _ = device.pull_all()
        replicas[name] = {}
        apply_changes(replicas[name], items)
    # Territory A1 holds store_a1 and store_a1b: the stores, their contacts, the records there.
    in_a1 = records["rep_a1"] | records["rep_a1b"] | records["contact_store_a1"] | records["contact_store_a1b"]
    in_a1 |= {("store", str(world.store_a1.id)), ("store", str(world.store_a1b.id))}
    assert in_a1 <= set(replicas["manager_a"])
    store_key = ("store", str(world.store_a1.id))
    assert store_key in in_a1 and store_key not in replicas["manager_b"]
    assert {k[0] for k in in_a1} >= {"store", "contact", "visit", "price_observation", "intel_report"}

    r = api(world.admin).patch(f"/api/v1/territories/{world.terr_a1.id}", json={"region_id": world.region_b.id})
    assert r.status_code == 200, r.json

    ops = {}
    for name, device in devices.items():
        items, cursors[name], _ = device.pull_all(cursors[name], limit=7)
        apply_changes(replicas[name], items)
        assert replicas[name] == snapshot(device), name
        ops[name] = {key(i): i["op"] for i in items}
    assert all(ops["manager_a"].get(k) == "remove" for k in in_a1), {
        k: ops["manager_a"].get(k) for k in in_a1 if ops["manager_a"].get(k) != "remove"
    }
    assert all(ops["manager_b"].get(k) == "put" for k in in_a1)
    assert in_a1 <= set(replicas["manager_b"]) and not in_a1 & set(replicas["manager_a"])
    assert in_a1 - records["rep_a1b"] <= set(replicas["rep_a1"])  # the rep's scope did not change
    assert ops["rep_a1"][("territory", str(world.terr_a1.id))] == "put"
    assert set(ops["rep_a1"].values()) == {"put"}  # sent again, never removed


def test_a_rep_moved_to_another_territory_gets_a_reset(api, world, records):
    device = Device(api(world.rep_a1))
    _i, cursor, _ = device.pull_all()
    r = api(world.admin).patch(f"/api/v1/users/{world.rep_a1.id}", json={"territory_id": world.terr_a2.id})
    assert r.status_code == 200, r.json
    r = device.pull(cursor)
    assert r.json["reset"] is True
    items, _c, _ = device.pull_all(r.json["cursor"])
    replica: dict = {}
    apply_changes(replica, r.json["changes"] + items)
    assert ("store", str(world.store_a2.id)) in replica and ("store", str(world.store_a1.id)) not in replica
    assert replica == snapshot(device)


def test_a_cursor_of_an_older_rows_shape_gets_a_reset(api, world, records, monkeypatch):
    """Rows that gained a field the phones need (stores' name_pinyin) reach every phone: a cursor
    given before ROWS_SHAPE was raised restarts its client with a fresh snapshot, once."""
    device = Device(api(world.rep_a1))
    monkeypatch.setattr(sync_service, "ROWS_SHAPE", sync_service.ROWS_SHAPE - 1)
    _i, old_cursor, _ = device.pull_all()
    monkeypatch.undo()
    r = device.pull(old_cursor)
    assert r.json["reset"] is True and r.json["snapshot"] is True
    items, cursor, _ = device.pull_all(r.json["cursor"])
    replica: dict = {}
    apply_changes(replica, r.json["changes"] + items)
    assert replica[("store", str(world.store_a1.id))]["data"]["name_pinyin"]["initials"]
    assert device.pull(cursor).json["reset"] is False  # once


def test_a_cursor_older_than_the_pruned_log_gets_a_reset(api, world, records):
    device = Device(api(world.rep_a1))
    _i, old_cursor, _ = device.pull_all()
    admin = api(world.admin)
    assert admin.patch(f"/api/v1/stores/{world.store_a1.id}", json={"name": "修剪前"}).status_code == 200
    assert admin.patch(f"/api/v1/stores/{world.store_b1.id}", json={"name": "最后一个"}).status_code == 200
    db.session.execute(update(SyncChange).values(changed_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    assert prune_changes(older_than_days=0) > 0
    # Everything is old enough, but the newest row stays so that sequence numbers never go back.
    assert db.session.query(SyncChange).count() == 1
    r = device.pull(old_cursor)
    assert r.status_code == 200 and r.json["reset"] is True and r.json["snapshot"] is True
    items, fresh_cursor, _ = device.pull_all(r.json["cursor"])
    replica: dict = {}
    apply_changes(replica, r.json["changes"] + items)
    assert replica[("store", str(world.store_a1.id))]["data"]["name"] == "修剪前"
    # A cursor made after the prune goes on normally, and so does one made just before it.
    r = device.pull(fresh_cursor)
    assert (r.json["reset"], r.json["changes"]) == (False, [])
    assert admin.patch(f"/api/v1/stores/{world.store_a1.id}", json={"name": "修剪后"}).status_code == 200
    r = device.pull(fresh_cursor)
    assert r.json["reset"] is False
    assert [(key(i), i["data"]["name"]) for i in r.json["changes"]] == [(("store", str(world.store_a1.id)), "修剪后")]
    # Nothing to prune: nothing happens.
    assert prune_changes() == 0  # the default retention: nothing is that old


def test_pruning_everything_never_reuses_sequence_numbers(api, world):
    device = Device(api(world.rep_a1))
    admin = api(world.admin)
    assert admin.patch(f"/api/v1/stores/{world.store_a1.id}", json={"name": "一"}).status_code == 200
    _i, cursor, _ = device.pull_all()
    for _ in range(2):  # twice: the second prune finds only the row the first one kept
        db.session.execute(update(SyncChange).values(changed_at=utcnow() - timedelta(days=1)))
        db.session.commit()
        prune_changes(older_than_days=0)
        r = device.pull(cursor)
        assert (r.json["reset"], r.json["changes"]) == (False, []), r.json
    assert admin.patch(f"/api/v1/stores/{world.store_a1.id}", json={"name": "二"}).status_code == 200
    r = device.pull(cursor)
    assert r.json["reset"] is False
    assert [(key(i), i["data"]["name"]) for i in r.json["changes"]] == [(("store", str(world.store_a1.id)), "二")]
    # A fresh snapshot's cursor is at or after the prune, so it does not reset the next pull.
    _i, fresh, _ = Device(api(world.rep_a1b)).pull_all()
    assert Device(api(world.rep_a1b)).pull(fresh).json["reset"] is False


def test_a_snapshot_cursor_with_an_unknown_position_is_invalid(api, world):
    device = Device(api(world.rep_a1))
    r = device.pull(None, limit=2)
    good = decode_cursor(r.json["cursor"])
    assert good.snapshot is not None
    bad = encode_cursor(Cursor(good.seq, good.scope, {"entity": "no_such_entity", "after": None}))
    r = device.pull(bad)
    assert r.status_code == 400 and r.json["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "v1.", "v1.!!!", "v2.eyJ2IjoyfQ", "v1.eyJ2IjoxfQ", "v1." + "A" * 5000, "v1.e30"],
)
def test_a_malformed_cursor_is_400_invalid_cursor(api, world, cursor):
    r = Device(api(world.rep_a1)).pull(cursor)
    assert r.status_code == 400, r.json
    assert r.json["code"] == "invalid_cursor"
    assert "cursor" in r.json["errors"]["json"]


def test_an_empty_cursor_means_none(api, world):
    r = api(world.rep_a1).get("/api/v1/sync/pull?cursor=&limit=3")
    assert r.status_code == 200 and r.json["snapshot"] is True and len(r.json["changes"]) == 3


@pytest.mark.parametrize("limit", ["0", "5001", "-1", "ten", "1.5", "99999999999", "%205", "1e3", "０５"])
def test_a_limit_out_of_bounds_is_400_invalid_envelope(api, world, limit):
    r = api(world.rep_a1).get(f"/api/v1/sync/pull?limit={limit}")
    assert r.status_code == 400, r.json
    assert r.json["code"] == "invalid_envelope"
    assert list(r.json["errors"]["json"]) == ["limit"]


def test_an_empty_limit_means_the_default(api, world):
    r = api(world.rep_a1).get("/api/v1/sync/pull?limit=&cursor=")
    assert r.status_code == 200, r.json
    assert r.json["has_more"] is False and len(r.json["changes"]) == 14  # all of it: under 500


@pytest.mark.parametrize("limit", ["1", "5000"])
def test_limit_bounds_are_accepted(api, world, limit):
    r = api(world.rep_a1).get(f"/api/v1/sync/pull?limit={limit}")
    assert r.status_code == 200, r.json
    assert len(r.json["changes"]) == min(int(limit), len(r.json["changes"]))
    if limit == "1":
        assert len(r.json["changes"]) == 1 and r.json["has_more"] is True


def test_pull_reports_the_clients_last_mutation_id(api, world):
    device = Device(api(world.rep_a1))
    assert device.pull().json["last_mutation_id"] == 0  # not known yet
    push_ok(device, *[("visit.check_in", check_in_args(world.store_a1)) for _ in range(3)])
    assert device.pull().json["last_mutation_id"] == 3
    r = api(world.rep_a1).get("/api/v1/sync/pull")  # no client_id
    assert r.json["last_mutation_id"] == 0
    # Another user naming this client learns nothing about it.
    thief = Device(api(world.rep_a1b), client_id=device.client_id)
    assert thief.pull().json["last_mutation_id"] == 0
    # A rejected mutation counts as acknowledged too.
    push_ok(device)
    r = device.push([device.mutation("visit.check_in", check_in_args(world.store_b1))])
    assert r.json["results"][0]["status"] == "rejected"
    assert device.pull().json["last_mutation_id"] == 4
