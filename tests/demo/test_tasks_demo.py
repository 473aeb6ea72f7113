"""`flask seed-demo` leaves tasks for the day it is run (issue 18): manager.gd's desk shows open,
overdue, done and cancelled tasks of 广东大区; rep.gz's phone pulls open ones of their stores; HQ's
campaign reaches ten A-tier stores of several regions, some done. Each done task was done at its
rep's own visit to that store, after it was assigned. Read through the endpoints the apps call."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.extensions import db
from backend.stores.models import Store
from backend.visits.models import Visit

from .test_channel_demo import get, pages
from .test_seed import login


def test_demo_tasks_on_the_desk_and_the_phone(client, full_demo):
    db.session.expire_all()
    manager = login(client, "manager.gd").json["token"]
    hq = login(client, "hq").json["token"]
    rep = login(client, "rep.gz").json["token"]

    summary = get(client, manager, "/api/v1/tasks/summary").json
    assert summary["open"] >= 6 and summary["overdue"] >= 3 and summary["done"] >= 3 and summary["cancelled"] >= 1
    overdue = pages(client, manager, "/api/v1/tasks?status=overdue")
    assert len(overdue) == summary["overdue"] and all(t["overdue"] and t["status"] == "open" for t in overdue)
    assert {t["kind"] for t in pages(client, manager, "/api/v1/tasks?status=open")} >= {"display", "price"}

    done = pages(client, hq, "/api/v1/tasks?status=done")
    assert len(done) >= 3
    for t in done:
        visit = db.session.get(Visit, uuid.UUID(t["done_visit_id"]))
        assert (visit.rep_id, visit.store_id) == (t["done_by"], t["store_id"])
        assert t["done_by_name"] and t["done_at"] >= t["created_at"][:10]

    # rep.gz: open tasks at the stores of their territory, by REST and in the phone's snapshot.
    mine = pages(client, rep, "/api/v1/tasks?status=open")
    assert mine
    territory = db.session.scalar(select(Store.territory_id).where(Store.id == mine[0]["store_id"]))
    assert all(
        db.session.scalar(select(Store.territory_id).where(Store.id == t["store_id"])) == territory for t in mine
    )
    pulled = get(client, rep, "/api/v1/sync/pull?client_id=demo-phone&limit=5000").json
    items = pulled["changes"]
    while pulled["has_more"]:
        pulled = get(client, rep, f"/api/v1/sync/pull?client_id=demo-phone&limit=5000&cursor={pulled['cursor']}").json
        items += pulled["changes"]
    assert {i["id"] for i in items if i["entity"] == "task"} == {t["id"] for t in mine}

    # HQ's campaign: ten stores of several regions, some done.
    campaign = pages(client, hq, "/api/v1/tasks?campaign=双十一 P50 陈列")
    assert len(campaign) == 10
    assert len({t["region_id"] for t in campaign}) >= 3
    assert any(t["status"] == "done" for t in campaign)
    assert get(client, hq, "/api/v1/tasks/summary?campaign=双十一 P50 陈列").json["open"] <= 9
