"""Tasks through sync: a rep's phone pulls its territory's open tasks, completes one offline at a
visit (`task.complete`, with the visit checked in earlier in the same push), applied exactly once
however often it is sent; refusals (cancelled meanwhile, done first by another rep, no photo, a
visit that is not theirs at that store); and every change (created, cancelled, done) reaching the
pulls of the territory's reps and the region's manager, not other scopes' or clerks'."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from backend.core.timeutil import business_today, utcnow
from backend.extensions import db
from backend.photos.models import PhotoLink
from backend.sync.models import SyncChange
from backend.tasks.models import Task
from tests.factories import iso
from tests.sync.helpers import Device, check_in_args, snapshot


def assign(api, user, store, **kw) -> dict:
    body = {
        "store_id": store.id,
        "kind": "display",
        "title": "整改展台",
        "due_on": (business_today() + timedelta(days=1)).isoformat(),
        **kw,
    }
    r = api(user).post("/api/v1/tasks", json=body)
    assert r.status_code == 201, r.json
    return r.json


def completion(task_id: str, **kw) -> dict:
    return {
        "task_id": task_id,
        "completion_id": str(uuid.uuid4()),
        "visit_id": None,
        "done_at": iso(utcnow().replace(microsecond=0) - timedelta(minutes=10)),
        "note": "",
        "photo_ids": [str(uuid.uuid4())],
        **kw,
    }


def results(resp) -> list[dict]:
    assert resp.status_code == 200, resp.json
    return resp.json["results"]


def statuses(resp) -> list[str]:
    return [r["status"] for r in results(resp)]


def tasks_in(replica: dict) -> dict[str, dict]:
    return {k[1]: v["data"] for k, v in replica.items() if k[0] == "task"}


def test_a_snapshot_brings_the_open_tasks_of_the_callers_stores(api, world):
    mine = assign(api, world.manager_a, world.store_a1)
    elsewhere = assign(api, world.manager_a, world.store_a2)
    other_region = assign(api, world.manager_b, world.store_b1)
    gone = assign(api, world.manager_a, world.store_a1, kind="other", title="取消的")
    api(world.manager_a).post(f"/api/v1/tasks/{gone['id']}/cancel")
    got = tasks_in(snapshot(Device(api(world.rep_a1))))
    assert set(got) == {mine["id"]}
    row = got[mine["id"]]
    assert (row["store_id"], row["kind"], row["status"], row["needs_photo"]) == (
        world.store_a1.id,
        "display",
        "open",
        True,
    )
    assert (row["due_on"], row["photo_ids"], row["done_at"]) == (mine["due_on"], [], None)
    assert "store_name" not in row and "overdue" not in row
    assert set(tasks_in(snapshot(Device(api(world.manager_a))))) == {mine["id"], elsewhere["id"]}
    assert set(tasks_in(snapshot(Device(api(world.hq))))) == {mine["id"], elsewhere["id"], other_region["id"]}
    assert tasks_in(snapshot(Device(api(world.clerk_a1)))) == {}


def test_completed_offline_at_a_visit_once_however_often_it_is_sent(api, world):
    task = assign(api, world.manager_a, world.store_a1)
    device = Device(api(world.rep_a1))
    visit = check_in_args(world.store_a1)
    done = completion(task["id"], visit_id=visit["id"], note="已按新陈列图整改")
    batch = [device.mutation("visit.check_in", visit), device.mutation("task.complete", done)]
    assert statuses(device.push(batch)) == ["applied", "applied"]
    # The answer was lost: the same envelope again.
    assert statuses(device.push(batch)) == ["duplicate", "duplicate"]
    # A reinstalled app queues the same completion again: its id makes it a no-op.
    again = Device(api(world.rep_a1))
    assert statuses(again.push([again.mutation("task.complete", done)])) == ["applied"]
    stored = db.session.get(Task, uuid.UUID(task["id"]))
    db.session.refresh(stored)
    assert (stored.status, stored.done_by, str(stored.done_visit_id)) == ("done", world.rep_a1.id, visit["id"])
    assert (str(stored.completion_id), stored.done_note) == (done["completion_id"], "已按新陈列图整改")
    links = db.session.scalars(select(PhotoLink.photo_id).where(PhotoLink.record_type == "task")).all()
    assert [str(p) for p in links] == done["photo_ids"]
    # The photo (not uploaded yet) may be uploaded by the rep who completed it only.
    logged = db.session.scalar(
        select(func.count())
        .select_from(SyncChange)
        .where(SyncChange.entity == "task", SyncChange.entity_id == task["id"])
    )
    assert logged == 2  # created, done


def test_refusals(api, world):
    device = Device(api(world.rep_a1))
    photo = assign(api, world.manager_a, world.store_a1)
    cancelled = assign(api, world.manager_a, world.store_a1, kind="other")
    api(world.manager_a).post(f"/api/v1/tasks/{cancelled['id']}/cancel")
    other_store = assign(api, world.manager_a, world.store_a1b, kind="other")
    visit_here = check_in_args(world.store_a1)
    r = device.push(
        [
            device.mutation("visit.check_in", visit_here),
            device.mutation("task.complete", completion(photo["id"], photo_ids=[])),
            device.mutation("task.complete", completion(cancelled["id"])),
            device.mutation("task.complete", completion(other_store["id"], visit_id=visit_here["id"])),
            device.mutation("task.complete", completion(str(uuid.uuid4()))),
            device.mutation("task.complete", completion(photo["id"], photo_ids="x")),
        ]
    )
    got = results(r)
    assert [g["status"] for g in got] == ["applied"] + ["rejected"] * 5
    assert [(g["error"]["code"], g["error"]["reason"]) for g in got[1:]] == [
        ("invalid", "task.photo_required"),
        ("conflict", "task.cancelled"),
        ("invalid", "task.visit_mismatch"),
        ("not_found", "task.not_found"),
        ("invalid", "invalid_value"),
    ]
    assert got[3]["error"]["params"] == {"visit_id": visit_here["id"]}
    assert db.session.scalar(select(func.count()).select_from(Task).where(Task.status == "done")) == 0


def test_done_offline_by_two_reps_the_first_to_sync_wins(api, world):
    task = assign(api, world.manager_a, world.store_a1, needs_photo=False)
    first, second = Device(api(world.rep_a1)), Device(api(world.rep_a1b))
    mine = completion(task["id"], photo_ids=[])
    theirs = completion(task["id"], photo_ids=[])
    assert statuses(first.push([first.mutation("task.complete", mine)])) == ["applied"]
    r = second.push([second.mutation("task.complete", theirs)])
    (refused,) = results(r)
    assert (refused["status"], refused["error"]["reason"]) == ("rejected", "task.already_done")
    params = refused["error"]["params"]
    assert (params["done_by"], params["done_by_name"]) == (world.rep_a1.id, world.rep_a1.display_name)
    assert params["done_at"].startswith(mine["done_at"][:19])
    # The first rep resending theirs is still a no-op success.
    assert statuses(first.push([first.mutation("task.complete", mine)])) == ["applied"]
    assert str(db.session.get(Task, uuid.UUID(task["id"])).completion_id) == mine["completion_id"]


def test_changes_reach_the_territorys_reps_and_the_regions_manager(api, world):
    devices = {
        name: Device(api(world.users[name]))
        for name in ("rep_a1", "rep_a1b", "rep_a2", "manager_a", "manager_b", "clerk_a1")
    }
    cursors = {}
    for name, d in devices.items():
        _items, cursors[name], _ = d.pull_all()

    def changes(name) -> list[dict]:
        items, cursors[name], _ = devices[name].pull_all(cursors[name])
        return [i for i in items if i["entity"] == "task"]

    task = assign(api, world.hq, world.store_a1)
    for name in ("rep_a1", "rep_a1b", "manager_a"):
        (item,) = changes(name)
        assert (item["id"], item["op"], item["data"]["status"]) == (task["id"], "put", "open")
    for name in ("rep_a2", "manager_b"):
        assert changes(name) == []
    # The store's clerk is in the store's change stream but sees no task: at most a `remove`.
    assert [i["op"] for i in changes("clerk_a1")] in ([], ["remove"])
    done = completion(task["id"], note="ok")
    d = devices["rep_a1"]
    assert statuses(d.push([d.mutation("task.complete", done)])) == ["applied"]
    for name in ("rep_a1b", "manager_a"):
        (item,) = changes(name)
        data = item["data"]
        assert (data["status"], data["done_by"], data["done_note"], data["photo_ids"]) == (
            "done",
            world.rep_a1.id,
            "ok",
            done["photo_ids"],
        )
    assert changes("rep_a2") == []
    # A cancelled task reaches them as a put with its status.
    other = assign(api, world.manager_a, world.store_a1, kind="other")
    api(world.manager_a).post(f"/api/v1/tasks/{other['id']}/cancel")
    (item,) = changes("rep_a1b")
    assert (item["id"], item["data"]["status"]) == (other["id"], "cancelled")


def test_the_completion_photo_uploads_later_by_its_rep_and_the_manager_sees_it(api, world):
    """The photo lane (SPEC §I.5): the completion names a photo not uploaded yet; only the rep
    who completed it may upload it; the region's manager then sees it, another region's not."""
    task = assign(api, world.manager_a, world.store_a1)
    done = completion(task["id"])
    device = Device(api(world.rep_a1))
    assert statuses(device.push([device.mutation("task.complete", done)])) == ["applied"]
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, "JPEG")
    data = out.getvalue()
    url = f"/api/v1/photos/{done['photo_ids'][0]}?sha256={hashlib.sha256(data).hexdigest()}"
    r = api(world.rep_a1b).put(url, data=data, content_type="image/jpeg")
    assert (r.status_code, r.json["reason"]) == (403, "photo.of_others_record")
    assert api(world.rep_a1).put(url, data=data, content_type="image/jpeg").status_code == 201
    photo = f"/api/v1/photos/{done['photo_ids'][0]}"
    assert api(world.manager_a).get(photo).status_code == 200
    assert api(world.rep_a1b).get(photo).status_code == 200  # the store's territory sees its tasks
    assert api(world.manager_b).get(photo).status_code == 404
