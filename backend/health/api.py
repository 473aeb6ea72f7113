"""GET /api/v1/health: is the app up and can it reach its database (and Redis, when used)?"""

from flask import current_app
from flask.views import MethodView
from marshmallow import fields
from sqlalchemy import text

from ..core.blueprint import Blueprint
from ..core.schemas import BaseSchema
from ..extensions import db

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health")


class HealthSchema(BaseSchema):
    status = fields.String()
    database = fields.String()
    jobs = fields.String(metadata={"description": "rq (Redis) or in-process"})


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="A dependency is down")
    def get(self):
        """Health check (no token needed)."""
        body = {"status": "ok", "database": "ok", "jobs": "rq" if current_app.config["REDIS_URL"] else "in-process"}
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:
            db.session.rollback()
            body["status"] = body["database"] = "unavailable"
            return body, 503
        return body


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
