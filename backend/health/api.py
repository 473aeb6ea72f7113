"""GET /api/v1/health: is the app up, can it reach its database, and is the job queue keeping up?

503 when the database is unreachable (nothing works); 200 with `"status": "degraded"` when the
queue is in trouble (Redis unreachable, a job waiting longer than `JOB_WAITING_ALERT_SECONDS`):
requests still succeed and their jobs wait in the outbox, so the app stays in rotation while
monitoring alerts on the status and `queue.problems`."""

from flask import current_app, g
from flask.views import MethodView
from marshmallow import fields
from sqlalchemy import text

from ..auth.models import Role
from ..core.auth import check_role
from ..core.blueprint import Blueprint
from ..core.schemas import BaseSchema
from ..extensions import db
from ..jobs.sweeper import queue_health
from .doctor import run_checks

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health")


class QueueHealthSchema(BaseSchema):
    mode = fields.String(metadata={"description": "rq (Redis) or in-process"})
    redis = fields.String(metadata={"description": "ok or unreachable (rq mode only)"})
    waiting_jobs = fields.Integer(metadata={"description": "jobs pending or queued"})
    oldest_waiting_seconds = fields.Integer()
    running_jobs = fields.Integer()
    failed_jobs_24h = fields.Integer(metadata={"description": "jobs given up in the last 24 hours"})
    problems = fields.List(fields.String())


class HealthSchema(BaseSchema):
    status = fields.String(metadata={"description": "ok, degraded (the job queue) or unavailable (the database)"})
    database = fields.String()
    jobs = fields.String(metadata={"description": "rq (Redis) or in-process"})
    queue = fields.Nested(QueueHealthSchema)


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema, description="Up; `status` is ok or degraded (jobs are delayed)")
    @blp.alt_response(503, schema=HealthSchema, description="The database is down")
    def get(self):
        """Health check (no token needed)."""
        body = {"status": "ok", "database": "ok", "jobs": "rq" if current_app.config["REDIS_URL"] else "in-process"}
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:
            db.session.rollback()
            body["status"] = body["database"] = "unavailable"
            return body, 503
        try:
            body["queue"] = queue_health()
        except Exception as exc:  # the outbox table unreadable (not migrated?): say so, stay up
            db.session.rollback()
            body["queue"] = {"problems": [f"The job outbox cannot be read: {exc}"[:300]]}
        if body["queue"]["problems"]:
            body["status"] = "degraded"
        return body


class CheckSchema(BaseSchema):
    name = fields.String()
    ok = fields.Boolean()
    detail = fields.String()


class DeepHealthSchema(BaseSchema):
    ok = fields.Boolean(metadata={"description": "every check passed"})
    checks = fields.List(fields.Nested(CheckSchema))


@blp.route("/health/deep")
class DeepHealth(MethodView):
    @blp.response(200, DeepHealthSchema)
    def get(self):
        """The deployment's check-up (administrators): database, migrations at head, Redis, the
        queue's depth and age, workers alive, free space for photos and imports — what
        `flask doctor` prints."""
        check_role(g.user, Role.ADMIN)
        checks = run_checks()
        return {"ok": all(c["ok"] for c in checks), "checks": checks}


class AppConfigSchema(BaseSchema):
    map_tile_url = fields.String(metadata={"description": "Leaflet tile URL template; empty: no tiles"})
    map_attribution = fields.String()
    business_timezone = fields.String()


@blp.route("/app-config")
class AppConfig(MethodView):
    @blp.doc(security=[])
    @blp.response(200, AppConfigSchema)
    def get(self):
        """What the PWA needs to know about this installation (no token needed)."""
        cfg = current_app.config
        return {
            "map_tile_url": cfg["MAP_TILE_URL"],
            "map_attribution": cfg["MAP_ATTRIBUTION"],
            "business_timezone": cfg["BUSINESS_TIMEZONE"],
        }
