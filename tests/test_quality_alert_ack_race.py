"""Two deciders acknowledging one quality alert at once, on PostgreSQL (SQLite has one writer at
a time: no race): the first to commit has seen to it; the other is told so (409
`alert.acknowledged`), never a second 200 whose writer overwrites who acknowledged it."""

from __future__ import annotations

import os
import threading
import time
from datetime import date

import pytest

from backend.aftersales import quality_alerts
from backend.aftersales.models import QualityAlert
from backend.auth.models import User
from backend.core.errors import Conflict
from backend.core.timeutil import utcnow
from backend.extensions import db

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
)


def test_two_acknowledgements_at_once_one_wins_the_other_is_a_409(app, world):
    alert = QualityAlert(
        product_id=world.product.id, region_id=None, scope_key="all", since=date(2026, 3, 2), weeks=2,
        units_sold=100, returns_exchanges=4, rate_per_1000=40.0, threshold_per_1000=30.0, created_at=utcnow(),
    )  # fmt: skip
    db.session.add(alert)
    db.session.commit()
    alert_id, hq_id, admin_id = alert.id, world.hq.id, world.admin.id
    first_flushed = threading.Event()
    outcome: dict[str, str] = {}
    errors: list[BaseException] = []

    def first():  # HQ acknowledges and holds its transaction open a moment
        try:
            with app.app_context():
                quality_alerts.acknowledge(db.session.get(User, hq_id), alert_id)
                first_flushed.set()
                time.sleep(1.5)  # the admin reads the alert meanwhile
                db.session.commit()
                outcome["hq"] = "ok"
                db.session.remove()
        except BaseException as exc:  # pragma: no cover - reported below
            first_flushed.set()
            errors.append(exc)

    def second():  # the admin, while HQ's acknowledgement is not committed yet
        try:
            with app.app_context():
                first_flushed.wait(timeout=10)
                try:
                    quality_alerts.acknowledge(db.session.get(User, admin_id), alert_id)
                    db.session.commit()
                    outcome["admin"] = "ok"
                except Conflict as exc:
                    db.session.rollback()
                    outcome["admin"] = exc.reason
                db.session.remove()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert outcome == {"hq": "ok", "admin": "alert.acknowledged"}
    db.session.expire_all()
    assert db.session.get(QualityAlert, alert_id).acknowledged_by == hq_id
