"""A pull notes the client's last pull time (the manager's team view shows the last sync): at most
once a minute, after the pull's read transaction, never for another user's client, never failing
the pull; a client that never pushed gets its row, and its first push then goes on as usual."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select, text

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.sync.models import SyncClient
from tests.sync.helpers import Device, check_in_args


def client_row(client_id: str) -> SyncClient | None:
    db.session.expire_all()
    return db.session.get(SyncClient, client_id)


def writes_during(fn) -> list[str]:
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if statement.split(None, 1)[0].upper() in {"UPDATE", "INSERT"}:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return seen


def test_a_pull_notes_its_time_at_most_once_a_minute(api, world):
    device = Device(api(world.rep_a1))
    assert device.push([device.mutation("visit.check_in", check_in_args(world.store_a1))]).status_code == 200
    pushed = client_row(device.client_id)
    assert pushed.last_pull_at is None and pushed.last_push_at is not None

    before = utcnow()
    r = device.pull()
    assert r.status_code == 200 and r.json["last_mutation_id"] == 1
    first = client_row(device.client_id).last_pull_at
    assert first is not None and before <= first <= utcnow()

    # Within the minute: nothing written, the time stays.
    assert writes_during(lambda: device.pull().status_code == 200) == []
    assert client_row(device.client_id).last_pull_at == first

    # A minute later: noted again.
    db.session.execute(
        text("UPDATE sync_clients SET last_pull_at = :t WHERE client_id = :c"),
        {"t": first - timedelta(seconds=61), "c": device.client_id},
    )
    db.session.commit()
    assert device.pull().status_code == 200
    assert client_row(device.client_id).last_pull_at >= first


def test_a_client_that_never_pushed_gets_its_row_and_pushes_as_usual(api, world):
    device = Device(api(world.rep_a1))
    r = device.pull()
    assert r.status_code == 200 and r.json["last_mutation_id"] == 0
    row = client_row(device.client_id)
    assert (row.user_id, row.last_mutation_id, row.last_push_at) == (world.rep_a1.id, 0, None)
    assert row.last_pull_at is not None
    push = device.push([device.mutation("visit.check_in", check_in_args(world.store_a1))])
    assert push.status_code == 200 and push.json["results"][0]["status"] == "applied"
    assert client_row(device.client_id).last_mutation_id == 1


def test_another_users_client_and_odd_ids_are_left_alone(api, world):
    mine = Device(api(world.rep_a1))
    assert mine.push([mine.mutation("visit.check_in", check_in_args(world.store_a1))]).status_code == 200
    theirs = Device(api(world.rep_a1b), client_id=mine.client_id)
    r = theirs.pull()
    assert r.status_code == 200 and r.json["last_mutation_id"] == 0
    assert client_row(mine.client_id).last_pull_at is None  # not rep_a1b's to note
    odd = Device(api(world.rep_a1), client_id="x")  # shorter than a push accepts
    assert odd.pull().status_code == 200
    assert client_row("x") is None
    assert db.session.scalar(select(SyncClient.user_id).where(SyncClient.client_id == mine.client_id)) == (
        world.rep_a1.id
    )


def test_a_pull_without_a_client_id_notes_nothing(api, world):
    rep = api(world.rep_a1)  # its token made first
    assert writes_during(lambda: rep.get("/api/v1/sync/pull").status_code == 200) == []


def test_a_pull_answers_while_a_push_holds_the_clients_row(api, world):
    """PostgreSQL: the note skips a row locked by a push of the same client (the push notes its own
    time) instead of waiting for it; SQLite: the write waits for the lock like any write."""
    device = Device(api(world.rep_a1))
    assert device.push([device.mutation("visit.check_in", check_in_args(world.store_a1))]).status_code == 200
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect() as other:
        other.execute(
            select(SyncClient.client_id).where(SyncClient.client_id == device.client_id).with_for_update()
        ).all()
        r = device.pull()
        assert r.status_code == 200
        other.rollback()
    assert client_row(device.client_id).last_pull_at is None
