"""PostgreSQL: noting a pull never makes the pull wait for a push. A phone's first push inserts
its client's row; a pull of the same client at that moment (a second tab, a retry) inserting the
row too would wait on the push's uncommitted insert (a unique index waits for the other
transaction) for as long as the push runs. The note gives up after a short lock timeout instead:
the push notes its own time."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import insert

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.sync.models import SyncClient
from tests.sync.helpers import Device

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="row and index locks: PostgreSQL (SQLite has one writer, whose wait is its busy timeout)",
)


def test_a_pull_does_not_wait_for_a_first_push_inserting_the_clients_row(app, api, world):
    device = Device(api(world.rep_a1))
    answers: list = []
    with db.engine.connect() as push:  # the first push, its row inserted and not committed yet
        push.execute(
            insert(SyncClient).values(
                client_id=device.client_id, user_id=world.rep_a1.id, last_mutation_id=0, last_push_at=utcnow()
            )
        )
        started = time.monotonic()
        puller = threading.Thread(target=lambda: answers.append(device.pull()))
        puller.start()
        puller.join(timeout=5)
        waited = time.monotonic() - started
        push.rollback()
    puller.join(timeout=30)
    assert answers and answers[0].status_code == 200
    assert waited < 3, f"the pull waited {waited:.1f} s for the push"
