"""Redis down, as the phone and HQ see it: a photo upload (and the phone's retry), a shipment import
and a sync push with prices all succeed with their usual answers; their jobs wait in the outbox and
run exactly once when Redis is back and the sweeper runs. In-process without REDIS_URL (the jobs
run here once "Redis" is back), on the session's rq worker with it."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.extensions import db
from backend.jobs import OutboxJob
from backend.jobs.sweeper import sweep
from backend.market.models import PriceCell, PriceCellDirty
from tests.channel.alert_helpers import settle as settle_alerts
from tests.factories import imei
from tests.market.helpers import settle
from tests.photos.images import phone_jpeg, put, wait_processed
from tests.sync.helpers import Device, price_args
from tests.warranty.helpers import csv_bytes, shipment_row, upload, wait_import

from .test_outbox import redis_down  # noqa: F401 (a fixture)

COVER_CHECK = "backend.channel.alerts:check_cover"


def test_with_redis_down_uploads_imports_and_pushes_succeed_and_their_jobs_run_once_it_is_back(
    api,
    world,
    redis_down,  # noqa: F811
):
    rep, hq = api(world.rep_a1), api(world.hq)
    pid, data = str(uuid.uuid4()), phone_jpeg()
    r = put(rep, pid, data)
    assert r.status_code == 201 and r.json["status"] == "received", r.json
    again = put(rep, pid, data)  # the phone's retry
    assert again.status_code == 200 and again.json["status"] == "received", again.json

    imp = upload(hq, csv_bytes(*(shipment_row(imei(serial=i)) for i in range(1, 6))))
    assert imp["status"] == "queued"

    device = Device(rep)
    prices = [price_args(world.store_a1, world.competitor_model.id, price=p) for p in ("2399.00", "2499.00")]
    r = device.push([device.mutation("price.observe", p) for p in prices])
    assert r.status_code == 200, r.data[:300]
    assert [m["status"] for m in r.json["results"]] == ["applied", "applied"]

    health = api(world.hq).get("/api/v1/health")
    assert health.status_code == 200 and health.json["status"] == "degraded", health.json
    assert health.json["queue"]["redis"] == "unreachable" and health.json["queue"]["waiting_jobs"] == 3

    db.session.rollback()
    jobs = db.session.scalars(select(OutboxJob).order_by(OutboxJob.id)).all()
    assert [(j.name.split(":")[1], j.state, j.attempts) for j in jobs] == [
        ("process_photo", "pending", 0),
        ("run_import", "pending", 0),
        ("refresh_price_cells", "pending", 0),
    ]
    assert db.session.query(PriceCellDirty).count() > 0

    redis_down()  # Redis is back
    assert sorted(sweep().dispatched) == [j.id for j in jobs]
    assert wait_processed(rep, pid)["status"] == "ready"
    assert (wait_import(hq, imp["id"])["status"], wait_import(hq, imp["id"])["rows_loaded"]) == ("done", 5)
    settle()
    assert db.session.query(PriceCell).count() > 0
    settle_alerts()  # the loaded shipments also asked for the channel's weeks-of-cover check…
    db.session.rollback()  # …which is not this test's
    jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.name != COVER_CHECK).order_by(OutboxJob.id)).all()
    assert [(j.state, j.attempts) for j in jobs] == [("done", 1)] * 3
    health = api(world.hq).get("/api/v1/health").json
    assert health["status"] == "ok" and health["queue"]["waiting_jobs"] == 0, health
