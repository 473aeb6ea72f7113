"""HTTP endpoints for visits and display checks."""

from flask import g
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import SelectPage
from ..extensions import db
from ..photos.service import attach_photo_ids
from . import service
from .schemas import (
    CheckInSchema,
    CheckOutSchema,
    DisplayCheckQuerySchema,
    DisplayCheckSchema,
    VisitQuerySchema,
    VisitSchema,
)

blp = Blueprint("visits", __name__, url_prefix="/api/v1", description="Store visits and display checks")


class DisplayCheckPage(SelectPage):
    @property
    def items(self):
        return attach_photo_ids("display_check", super().items)


@blp.route("/visits")
class Visits(MethodView):
    @blp.arguments(VisitQuerySchema, location="query")
    @blp.response(200, VisitSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """Visits in your scope, newest first (a rep: their own)."""
        return service.visits_query(g.user, filters)

    @blp.arguments(CheckInSchema)
    @blp.response(201, VisitSchema)
    @blp.alt_response(200, schema=VisitSchema, description="Already recorded (same id, same content)")
    def post(self, data):
        """Check in at a store: starts a visit under a client UUID (idempotent)."""
        visit, created = service.check_in(g.user, data)
        db.session.commit()
        return visit, 201 if created else 200


@blp.route("/visits/<uuid:visit_id>")
class VisitById(MethodView):
    @blp.response(200, VisitSchema)
    def get(self, visit_id):
        """One visit."""
        return service.visible_visit(g.user, visit_id)


@blp.route("/visits/<uuid:visit_id>/check-out")
class CheckOut(MethodView):
    @blp.arguments(CheckOutSchema)
    @blp.response(200, VisitSchema)
    def post(self, data, visit_id):
        """Check out of your visit."""
        visit = service.check_out(g.user, visit_id, data)
        db.session.commit()
        return visit


@blp.route("/display-checks")
class DisplayChecks(MethodView):
    @blp.arguments(DisplayCheckQuerySchema, location="query")
    @blp.response(200, DisplayCheckSchema(many=True))
    @blp.paginate(DisplayCheckPage)
    def get(self, filters):
        """Display checks in your scope, newest first."""
        return service.display_checks_query(g.user, filters)

    @blp.arguments(DisplayCheckSchema)
    @blp.response(201, DisplayCheckSchema)
    @blp.alt_response(200, schema=DisplayCheckSchema, description="Already recorded")
    def post(self, data):
        """Record the VI checklist answers for one of your visits; the server scores them."""
        check, created = service.record_display_check(g.user, data)
        db.session.commit()
        return attach_photo_ids("display_check", [check])[0], 201 if created else 200


@blp.route("/display-checks/<uuid:check_id>")
class DisplayCheckById(MethodView):
    @blp.response(200, DisplayCheckSchema)
    def get(self, check_id):
        """One display check."""
        return attach_photo_ids("display_check", [service.visible_display_check(g.user, check_id)])[0]
