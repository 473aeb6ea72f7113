"""HTTP endpoints for sync: push, pull, conflicts."""

from flask import g, request
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import SelectPage
from ..extensions import db
from . import service
from .schemas import (
    ConflictQuerySchema,
    ConflictSchema,
    PullArgsSchema,
    PullResponseSchema,
    PushRequestSchema,
    PushResponseSchema,
    ResolveSchema,
)

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Offline sync (see sync_protocol/SPEC.md)")


@blp.route("/sync/push")
class Push(MethodView):
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": PushRequestSchema}}})
    @blp.response(200, PushResponseSchema)
    def post(self):
        """Apply queued mutations in order, each exactly once; refused ones are acknowledged as
        `rejected` with the reason and never block the rest."""
        return service.push(g.user, request.get_json(silent=True))


@blp.route("/sync/pull")
class Pull(MethodView):
    @blp.arguments(PullArgsSchema, location="query")
    @blp.response(200, PullResponseSchema)
    def get(self, args):
        """Changes in your scope since `cursor` (none: a snapshot), in pages."""
        return service.pull(g.user, args.get("client_id"), args.get("cursor"), args.get("limit"))


@blp.route("/sync/conflicts")
class Conflicts(MethodView):
    @blp.arguments(ConflictQuerySchema, location="query")
    @blp.response(200, ConflictSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """Conflicts the per-field merge recorded (a manager: their region's), newest first."""
        return service.conflicts_query(g.user, filters)


@blp.route("/sync/conflicts/<int:conflict_id>/resolve")
class ResolveConflict(MethodView):
    @blp.arguments(ResolveSchema)
    @blp.response(200, ConflictSchema)
    def post(self, data, conflict_id):
        """Resolve a conflict: keep the merged value, or apply the value that lost."""
        conflict = service.resolve_conflict(g.user, conflict_id, data["use"])
        db.session.commit()
        return conflict
