"""GET /api/v1/health: ok, degraded when the job queue is in trouble (200: the app still works), 503
when the database is down."""

from datetime import timedelta

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.jobs import OutboxJob


def test_ok_reports_the_queue(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json["status"] == "ok", r.json
    queue = r.json["queue"]
    assert queue["waiting_jobs"] == 0 and queue["problems"] == [] and queue["failed_jobs_24h"] == 0
    assert queue["mode"] == r.json["jobs"]


def test_a_job_waiting_too_long_is_degraded(client, app):
    old = utcnow() - timedelta(seconds=app.config["JOB_WAITING_ALERT_SECONDS"] + 30)
    db.session.add(OutboxJob(name="x:y", args=[], dedupe_key="k", state="pending", created_at=old, next_attempt_at=old))
    db.session.add(OutboxJob(name="x:z", args=[], dedupe_key="f", state="failed", attempts=8, finished_at=utcnow()))
    db.session.commit()
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json["status"] == "degraded", r.json
    queue = r.json["queue"]
    assert queue["waiting_jobs"] == 1 and queue["oldest_waiting_seconds"] >= app.config["JOB_WAITING_ALERT_SECONDS"]
    assert queue["failed_jobs_24h"] == 1
    assert "waited" in queue["problems"][0]


def test_redis_unreachable_is_degraded(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json["status"] == "degraded", r.json
    assert r.json["queue"]["redis"] == "unreachable" and "Redis is unreachable" in r.json["queue"]["problems"][0]
