"""A completion sent again is the completion already made, whatever happened since (SPEC
§I.3.2: "the same completion_id again is applied with no change"): also once the rep who made it
has moved to another territory — their phone, or a retried request whose answer was lost, sends
it again. A new completion from outside the territory stays refused."""

from __future__ import annotations

from tests.tasks.test_tasks_api import complete_body, made, task_body


def test_a_resent_completion_after_the_rep_moved_is_the_completion_made(api, world):
    task = made(api(world.manager_a).post("/api/v1/tasks", json=task_body(world.store_a1, kind="other")))
    rep = api(world.rep_a1)
    body = complete_body(photo_ids=[])
    done = made(rep.post(f"/api/v1/tasks/{task['id']}/complete", json=body), 200)
    assert done["status"] == "done" and done["done_by"] == world.rep_a1.id
    moved = api(world.admin).patch(f"/api/v1/users/{world.rep_a1.id}", json={"territory_id": world.terr_a2.id})
    assert moved.status_code == 200, moved.json

    again = rep.post(f"/api/v1/tasks/{task['id']}/complete", json=body)
    assert again.status_code == 200, again.json
    assert (again.json["status"], again.json["done_at"], again.json["done_by"]) == (
        "done",
        done["done_at"],
        world.rep_a1.id,
    )
    # Another completion of a task they no longer see: not found, as any task outside their scope.
    other = rep.post(f"/api/v1/tasks/{task['id']}/complete", json=complete_body(photo_ids=[]))
    assert (other.status_code, other.json["reason"]) == (404, "task.not_found")
    # Nor does knowing the completion id open another task out of scope.
    second = made(api(world.manager_a).post("/api/v1/tasks", json=task_body(world.store_a1, kind="other")))
    r = rep.post(f"/api/v1/tasks/{second['id']}/complete", json=body)
    assert (r.status_code, r.json["reason"]) == (404, "task.not_found")
