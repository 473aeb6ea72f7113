"""Tasks over REST: a manager (their region's stores) or HQ (any store, campaigns) assigns; the
listing with open / done / overdue and the summary, counted by hand; scope for every role;
idempotency by id (a task) and by campaign + store (a batch); cancel and complete rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.core.timeutil import business_date, business_today, utcnow
from backend.extensions import db
from backend.tasks import service
from backend.tasks.models import Task
from tests.factories import iso, make_user
from tests.sync.helpers import check_in_args


def task_body(store, **kw) -> dict:
    return {
        "store_id": store.id,
        "kind": "display",
        "title": "整改 P30 展台",
        "due_on": (business_today() + timedelta(days=2)).isoformat(),
        **kw,
    }


def made(resp, status=201) -> dict:
    assert resp.status_code == status, resp.json
    return resp.json


def complete_body(**kw) -> dict:
    return {
        "completion_id": str(uuid.uuid4()),
        "done_at": iso(utcnow().replace(microsecond=0) - timedelta(minutes=5)),
        "photo_ids": [str(uuid.uuid4())],
        **kw,
    }


def count_tasks() -> int:
    return db.session.scalar(select(func.count()).select_from(Task))


# --- creating -----------------------------------------------------------------------------------


def test_a_manager_assigns_a_task_at_a_store_of_their_region(api, world):
    manager = api(world.manager_a)
    body = task_body(world.store_a2, assignee_id=world.rep_a2.id, note="按新陈列图")
    task = made(manager.post("/api/v1/tasks", json=body))
    assert task["store_id"] == world.store_a2.id
    assert task["store_name"] == world.store_a2.name
    assert task["region_id"] == world.region_a.id
    assert (task["assignee_id"], task["assignee_name"]) == (world.rep_a2.id, world.rep_a2.display_name)
    assert (task["status"], task["overdue"], task["needs_photo"]) == ("open", False, True)  # display: photo
    assert (task["created_by"], task["created_by_name"]) == (world.manager_a.id, world.manager_a.display_name)
    assert task["photo_ids"] == [] and task["done_at"] is None and task["campaign"] is None
    # Another kind needs no photo unless asked.
    other = made(manager.post("/api/v1/tasks", json=task_body(world.store_a1, kind="other", title="收回旧海报")))
    assert other["needs_photo"] is False
    asked = made(manager.post("/api/v1/tasks", json=task_body(world.store_a1, kind="other", needs_photo=True)))
    assert asked["needs_photo"] is True


def test_scope_of_creating(api, world):
    body = task_body(world.store_b1)
    r = api(world.manager_a).post("/api/v1/tasks", json=body)
    assert (r.status_code, r.json["reason"]) == (404, "store.not_found")
    assert made(api(world.hq).post("/api/v1/tasks", json=body))["region_id"] == world.region_b.id
    for user in (world.rep_a1, world.clerk_a1):
        r = api(user).post("/api/v1/tasks", json=task_body(world.store_a1))
        assert (r.status_code, r.json["reason"]) == (403, "role.forbidden")
    assert count_tasks() == 1


def test_the_same_id_is_idempotent_and_other_content_a_409(api, world):
    manager = api(world.manager_a)
    body = task_body(world.store_a1, id=str(uuid.uuid4()))
    first = made(manager.post("/api/v1/tasks", json=body))
    again = made(manager.post("/api/v1/tasks", json=body), 200)
    assert again["id"] == first["id"] == body["id"]
    r = manager.post("/api/v1/tasks", json=body | {"title": "另一项", "kind": "other"})
    assert r.status_code == 409
    assert (r.json["reason"], r.json["params"]["fields"]) == (
        "task.id_taken_other_content",
        ["kind", "needs_photo", "title"],
    )  # other kind: other default
    assert count_tasks() == 1


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ({"due_on": "yesterday"}, "due_on", "task.due_in_past"),
        ({"kind": "training"}, "topic_id", "task.reference_required"),
        ({"kind": "material"}, "material_id", "task.reference_required"),
        ({"kind": "price"}, "product_id", "task.reference_required"),
        (
            {"kind": "price", "product_id": "P", "competitor_model_id": "C"},
            "competitor_model_id",
            "task.one_price_target",
        ),
        ({"kind": "material", "material_id": 999999}, "material_id", "unknown_reference"),
        ({"assignee_id": "rep_a2"}, "assignee_id", "task.assignee_not_covering"),  # territory A2
        ({"assignee_id": "manager_a"}, "assignee_id", "task.assignee_not_covering"),  # not a rep
    ],
)
def test_refusals_when_creating(api, world, extra, field, reason):
    names = {
        "yesterday": (business_today() - timedelta(days=1)).isoformat(),
        "P": world.product.id,
        "C": world.competitor_model.id,
        "rep_a2": world.rep_a2.id,
        "manager_a": world.manager_a.id,
    }
    extra = {k: names.get(v, v) if isinstance(v, str) else v for k, v in extra.items()}
    r = api(world.manager_a).post("/api/v1/tasks", json=task_body(world.store_a1) | extra)
    assert r.status_code == 422, r.json
    assert (r.json["field"], r.json["reason"]) == (field, reason)
    assert count_tasks() == 0


def test_a_task_due_today_is_accepted_and_kinds_take_their_references(api, world):
    manager = api(world.manager_a)
    today = business_today().isoformat()
    made(manager.post("/api/v1/tasks", json=task_body(world.store_a1, due_on=today, assignee_id=world.rep_a1b.id)))
    made(manager.post("/api/v1/tasks", json=task_body(world.store_a1, kind="material", material_id=world.material.id)))
    price = task_body(world.store_a1, kind="price", competitor_model_id=world.competitor_model.id)
    assert made(manager.post("/api/v1/tasks", json=price))["competitor_model_id"] == world.competitor_model.id


# --- batches ------------------------------------------------------------------------------------


def batch_body(**kw) -> dict:
    return {
        "campaign": "双十一 P30 陈列",
        "kind": "display",
        "title": "双十一陈列",
        "due_on": (business_today() + timedelta(days=5)).isoformat(),
        **kw,
    }


def test_hq_campaign_by_filter_is_idempotent_by_campaign_and_store(api, world):
    hq = api(world.hq)
    result = made(hq.post("/api/v1/tasks/batch", json=batch_body(filter={"region_id": world.region_a.id})))
    assert result["campaign"] == "双十一 P30 陈列"
    assert result["created"] == 3  # store_a1, store_a1b, store_a2
    assert len(result["task_ids"]) == 3
    again = made(hq.post("/api/v1/tasks/batch", json=batch_body(filter={"region_id": world.region_a.id})))
    assert (again["created"], sorted(again["task_ids"])) == (0, sorted(result["task_ids"]))
    # A wider send of the same campaign adds only the stores it had not reached.
    everywhere = made(hq.post("/api/v1/tasks/batch", json=batch_body(filter={})))
    assert everywhere["created"] == 1  # store_b1
    assert count_tasks() == 4
    listed = made(hq.get("/api/v1/tasks?campaign=双十一 P30 陈列&page_size=100"), 200)
    assert sorted(t["store_id"] for t in listed) == sorted(
        s.id for s in (world.store_a1, world.store_a1b, world.store_a2, world.store_b1)
    )


def test_a_manager_batches_within_their_region_only(api, world):
    manager = api(world.manager_a)
    r = manager.post("/api/v1/tasks/batch", json=batch_body(store_ids=[world.store_a1.id, world.store_b1.id]))
    assert (r.status_code, r.json["reason"], r.json["params"]) == (
        422,
        "task.stores_outside",
        {"store_ids": [world.store_b1.id]},
    )
    result = made(manager.post("/api/v1/tasks/batch", json=batch_body(filter={})))
    assert result["created"] == 3
    r = manager.post("/api/v1/tasks/batch", json=batch_body(campaign="B", filter={"region_id": world.region_b.id}))
    assert (r.status_code, r.json["reason"]) == (422, "task.no_stores")
    r = manager.post("/api/v1/tasks/batch", json=batch_body(store_ids=[world.store_a1.id], filter={}))
    assert r.status_code == 422
    assert api(world.rep_a1).post("/api/v1/tasks/batch", json=batch_body(filter={})).status_code == 403


# --- listing, summary, overdue ------------------------------------------------------------------


def _task(store, creator, due_days: int, **kw) -> Task:
    task = Task(
        id=uuid.uuid4(),
        store_id=store.id,
        region_id=kw.pop("region_id"),
        kind="other",
        title=kw.pop("title", "t"),
        due_on=business_today() + timedelta(days=due_days),
        created_by=creator.id,
        **kw,
    )
    db.session.add(task)
    return task


def test_listing_and_summary_counted_by_hand(api, world):
    a, b = world.region_a.id, world.region_b.id
    open_a1 = _task(world.store_a1, world.manager_a, 2, region_id=a)
    late_a1 = _task(world.store_a1, world.manager_a, -1, region_id=a)  # overdue
    late_a2 = _task(world.store_a2, world.manager_a, -3, region_id=a)  # overdue
    done_a1 = _task(world.store_a1, world.manager_a, -2, region_id=a, status="done")  # done late: not overdue
    gone_a2 = _task(world.store_a2, world.manager_a, 1, region_id=a, status="cancelled")
    open_b1 = _task(world.store_b1, world.manager_b, 1, region_id=b)
    late_b1 = _task(world.store_b1, world.manager_b, -1, region_id=b)
    db.session.commit()

    def ids(user, query=""):
        r = api(user).get(f"/api/v1/tasks?page_size=100{query}")
        assert r.status_code == 200, r.json
        return [t["id"] for t in r.json]

    s = str
    # Open ones by due day; everything in scope.
    assert ids(world.manager_a, "&status=open") == [s(late_a2.id), s(late_a1.id), s(open_a1.id)]
    assert ids(world.manager_a, "&status=overdue") == [s(late_a2.id), s(late_a1.id)]
    assert ids(world.manager_a, "&status=done") == [s(done_a1.id)]
    assert ids(world.manager_a, "&status=cancelled") == [s(gone_a2.id)]
    assert len(ids(world.manager_a)) == 5
    assert set(ids(world.rep_a1)) == {s(open_a1.id), s(late_a1.id), s(done_a1.id)}  # territory A1's stores
    assert set(ids(world.rep_a2)) == {s(late_a2.id), s(gone_a2.id)}
    assert set(ids(world.hq, "&status=overdue")) == {s(late_a1.id), s(late_a2.id), s(late_b1.id)}
    assert ids(world.hq, f"&region_id={b}") == [s(late_b1.id), s(open_b1.id)]
    assert ids(world.manager_a, f"&store_id={world.store_a2.id}&status=open") == [s(late_a2.id)]
    listed = api(world.manager_a).get("/api/v1/tasks?status=overdue").json
    assert all(t["overdue"] for t in listed)

    def summary(user, query=""):
        r = api(user).get(f"/api/v1/tasks/summary{query}")
        assert r.status_code == 200, r.json
        return r.json

    assert summary(world.manager_a) == {"open": 3, "overdue": 2, "done": 1, "cancelled": 1}
    assert summary(world.rep_a1) == {"open": 2, "overdue": 1, "done": 1, "cancelled": 0}
    assert summary(world.hq) == {"open": 5, "overdue": 3, "done": 1, "cancelled": 1}
    assert summary(world.hq, f"?region_id={b}") == {"open": 2, "overdue": 1, "done": 0, "cancelled": 0}
    r = api(world.manager_a).get(f"/api/v1/tasks/summary?region_id={b}")
    assert (r.status_code, r.json["reason"]) == (404, "region.not_found")
    assert api(world.clerk_a1).get("/api/v1/tasks").status_code == 403
    assert api(world.clerk_a1).get("/api/v1/tasks/summary").status_code == 403
    # One task: in scope or not found.
    assert api(world.rep_a1).get(f"/api/v1/tasks/{late_a1.id}").json["overdue"] is True
    r = api(world.manager_a).get(f"/api/v1/tasks/{late_b1.id}")
    assert (r.status_code, r.json["reason"]) == (404, "task.not_found")
    assert api(world.rep_a1).get(f"/api/v1/tasks/{late_a2.id}").status_code == 404


def test_overdue_turns_at_midnight_in_the_business_time_zone(api, world, monkeypatch):
    """Due on 2026-03-01: not overdue at 23:59:59 Shanghai time (15:59:59 UTC), overdue at 00:00."""
    task = _task(world.store_a1, world.manager_a, 0, region_id=world.region_a.id)
    task.due_on = datetime(2026, 3, 1).date()
    db.session.commit()
    for instant, overdue in (
        (datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), False),
        (datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC), True),
    ):
        moment = instant.replace(tzinfo=None)
        monkeypatch.setattr(service, "business_today", lambda m=moment: business_date(m))
        got = api(world.manager_a).get(f"/api/v1/tasks/{task.id}").json
        assert got["overdue"] is overdue, instant
        assert api(world.manager_a).get("/api/v1/tasks/summary").json["overdue"] == int(overdue)
        assert len(api(world.manager_a).get("/api/v1/tasks?status=overdue").json) == int(overdue)


# --- cancelling ---------------------------------------------------------------------------------


def test_cancel_rules(api, world):
    hq_task = made(api(world.hq).post("/api/v1/tasks", json=task_body(world.store_a1)))
    mgr_task = made(api(world.manager_a).post("/api/v1/tasks", json=task_body(world.store_a1)))
    # A rep may not cancel; another region's manager does not see it.
    assert api(world.rep_a1).post(f"/api/v1/tasks/{mgr_task['id']}/cancel").status_code == 403
    r = api(world.manager_b).post(f"/api/v1/tasks/{mgr_task['id']}/cancel")
    assert (r.status_code, r.json["reason"]) == (404, "task.not_found")
    # The region's manager cancels HQ's task at their store; cancelling again changes nothing.
    first = made(api(world.manager_a).post(f"/api/v1/tasks/{hq_task['id']}/cancel"), 200)
    assert first["status"] == "cancelled" and first["cancelled_at"]
    again = made(api(world.hq).post(f"/api/v1/tasks/{hq_task['id']}/cancel"), 200)
    assert again["cancelled_at"] == first["cancelled_at"]
    # A done task cannot be cancelled.
    made(api(world.rep_a1).post(f"/api/v1/tasks/{mgr_task['id']}/complete", json=complete_body()), 200)
    r = api(world.manager_a).post(f"/api/v1/tasks/{mgr_task['id']}/cancel")
    assert (r.status_code, r.json["reason"]) == (409, "task.already_done")
    assert r.json["params"]["done_by_name"] == world.rep_a1.display_name


# --- completing over REST (the same service as the sync mutation) --------------------------------


def test_complete_at_a_visit_with_a_photo(api, world):
    task = made(api(world.manager_a).post("/api/v1/tasks", json=task_body(world.store_a1)))
    rep = api(world.rep_a1)
    visit = made(rep.post("/api/v1/visits", json=check_in_args(world.store_a1)))
    body = complete_body(visit_id=visit["id"], note="已整改")
    done = made(rep.post(f"/api/v1/tasks/{task['id']}/complete", json=body), 200)
    assert (done["status"], done["done_by"], done["done_by_name"]) == (
        "done",
        world.rep_a1.id,
        world.rep_a1.display_name,
    )
    assert (done["done_visit_id"], done["done_note"], done["photo_ids"]) == (visit["id"], "已整改", body["photo_ids"])
    assert datetime.fromisoformat(done["done_at"]) == datetime.fromisoformat(body["done_at"])
    # The same completion again: the same answer, nothing changes.
    assert made(rep.post(f"/api/v1/tasks/{task['id']}/complete", json=body), 200) == done
    # Another completion (another rep of the territory): refused with who and when.
    r = api(world.rep_a1b).post(f"/api/v1/tasks/{task['id']}/complete", json=complete_body())
    assert (r.status_code, r.json["reason"]) == (409, "task.already_done")
    assert r.json["params"] == {
        "task_id": task["id"],
        "done_by": world.rep_a1.id,
        "done_by_name": world.rep_a1.display_name,
        "done_at": done["done_at"],
    }
    # The manager sees it done, with its photo.
    seen = made(api(world.manager_a).get(f"/api/v1/tasks/{task['id']}"), 200)
    assert (seen["status"], seen["photo_ids"]) == ("done", body["photo_ids"])


def test_complete_refusals(api, world):
    manager = api(world.manager_a)
    task = made(manager.post("/api/v1/tasks", json=task_body(world.store_a1)))
    url = f"/api/v1/tasks/{task['id']}/complete"
    rep = api(world.rep_a1)
    r = rep.post(url, json=complete_body(photo_ids=[]))
    assert (r.status_code, r.json["reason"]) == (422, "task.photo_required")
    other_store_visit = made(rep.post("/api/v1/visits", json=check_in_args(world.store_a1b)))
    theirs = made(api(world.rep_a1b).post("/api/v1/visits", json=check_in_args(world.store_a1)))
    for visit_id in (other_store_visit["id"], theirs["id"], str(uuid.uuid4())):
        r = rep.post(url, json=complete_body(visit_id=visit_id))
        assert (r.status_code, r.json["reason"], r.json["field"]) == (422, "task.visit_mismatch", "visit_id")
    future = iso(utcnow().replace(microsecond=0) + timedelta(hours=2))
    r = rep.post(url, json=complete_body(done_at=future))
    assert (r.status_code, r.json["reason"]) == (422, "device_time.future")
    # Out of scope: a rep of another territory, a clerk, HQ (no field writer).
    assert api(world.rep_a2).post(url, json=complete_body()).json["reason"] == "task.not_found"
    assert api(world.clerk_a1).post(url, json=complete_body()).status_code == 403
    assert api(world.hq).post(url, json=complete_body()).status_code == 403
    # Cancelled meanwhile.
    made(manager.post(f"/api/v1/tasks/{task['id']}/cancel"), 200)
    r = rep.post(url, json=complete_body())
    assert (r.status_code, r.json["reason"]) == (409, "task.cancelled")
    assert db.session.get(Task, uuid.UUID(task["id"])).status == "cancelled"


def test_an_inactive_rep_or_one_elsewhere_is_not_an_assignee(api, world):
    gone = make_user("rep_gone", "rep", territory_id=world.terr_a1.id, active=False)
    db.session.commit()
    r = api(world.manager_a).post("/api/v1/tasks", json=task_body(world.store_a1, assignee_id=gone.id))
    assert r.json["reason"] == "task.assignee_not_covering"
