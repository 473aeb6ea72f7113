"""Two reps' phones completing the same task at the same moment (PostgreSQL; SQLite has one
writer at a time): exactly one completion wins, the other is refused `task.already_done` naming
the winner — never two completions, never a 500. And a cancel racing a completion: one of them
wins, and the loser says so."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta

import pytest

from backend.core.timeutil import business_today, utcnow
from backend.extensions import db
from backend.tasks.models import Task
from tests.factories import ApiClient, iso
from tests.sync.helpers import Device

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
)

ROUNDS = 6


def _tasks(world, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        task = Task(
            id=uuid.uuid4(),
            store_id=world.store_a1.id,
            region_id=world.region_a.id,
            kind="other",
            title="并发",
            due_on=business_today() + timedelta(days=1),
            needs_photo=False,
            created_by=world.manager_a.id,
        )
        db.session.add(task)
        ids.append(str(task.id))
    db.session.commit()
    return ids


def _race(calls: list) -> list:
    """Run the calls at once (a barrier before each); their answers, in order."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            answers[i] = call()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return answers


def test_two_completions_at_once_one_wins(app, world):
    reps = {name: world.users[name] for name in ("rep_a1", "rep_a1b")}
    devices = {name: Device(ApiClient(app.test_client(), user)) for name, user in reps.items()}
    done_at = iso(utcnow().replace(microsecond=0) - timedelta(minutes=1))
    for task_id in _tasks(world, ROUNDS):

        def push(name, task_id=task_id):
            device = devices[name]
            args = {"task_id": task_id, "completion_id": str(uuid.uuid4()), "done_at": done_at, "photo_ids": []}
            for _ in range(20):
                r = device.push([device.mutation("task.complete", args)])
                if r.status_code != 503:  # a deadlock victim: nothing applied, the phone retries
                    return name, r
            return name, r

        answers = _race([lambda: push("rep_a1"), lambda: push("rep_a1b")])
        outcomes = {}
        for name, r in answers:
            assert r.status_code == 200, r.json
            (result,) = r.json["results"]
            outcomes[name] = result
        applied = [n for n, res in outcomes.items() if res["status"] == "applied"]
        assert len(applied) == 1, outcomes
        (loser,) = set(outcomes) - set(applied)
        refusal = outcomes[loser]["error"]
        assert refusal["reason"] == "task.already_done"
        assert refusal["params"]["done_by"] == reps[applied[0]].id
        db.session.expire_all()
        assert db.session.get(Task, uuid.UUID(task_id)).done_by == reps[applied[0]].id


def test_a_cancel_racing_a_completion(app, world):
    rep = ApiClient(app.test_client(), world.rep_a1)
    manager = ApiClient(app.test_client(), world.manager_a)
    for task_id in _tasks(world, ROUNDS):
        body = {"completion_id": str(uuid.uuid4()), "done_at": iso(utcnow().replace(microsecond=0)), "photo_ids": []}
        done, cancelled = _race(
            [
                lambda t=task_id, b=body: rep.post(f"/api/v1/tasks/{t}/complete", json=b),
                lambda t=task_id: manager.post(f"/api/v1/tasks/{t}/cancel"),
            ]
        )
        db.session.expire_all()
        status = db.session.get(Task, uuid.UUID(task_id)).status
        if status == "done":
            assert done.status_code == 200 and cancelled.status_code == 409, (done.json, cancelled.json)
            assert cancelled.json["reason"] == "task.already_done"
        else:
            assert status == "cancelled"
            assert cancelled.status_code == 200 and done.status_code == 409, (done.json, cancelled.json)
            assert done.json["reason"] == "task.cancelled"
