"""HTTP endpoints for price observations and intel reports."""

from flask import g
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import SelectPage
from ..extensions import db
from ..photos.service import attach_photo_ids
from . import service
from .schemas import IntelQuerySchema, IntelReportSchema, PriceObservationSchema, PriceQuerySchema, ReviewSchema

blp = Blueprint("intel", __name__, url_prefix="/api/v1", description="Price observations and store intel")


class PricePage(SelectPage):
    @property
    def items(self):
        return attach_photo_ids("price_observation", super().items)


class IntelPage(SelectPage):
    @property
    def items(self):
        return service.with_candidates(g.user, super().items)


@blp.route("/price-observations")
class PriceObservations(MethodView):
    @blp.arguments(PriceQuerySchema, location="query")
    @blp.response(200, PriceObservationSchema(many=True))
    @blp.paginate(PricePage)
    def get(self, filters):
        """Price observations in your scope, newest first."""
        return service.prices_query(g.user, filters)

    @blp.arguments(PriceObservationSchema)
    @blp.response(201, PriceObservationSchema)
    @blp.alt_response(200, schema=PriceObservationSchema, description="Already recorded")
    def post(self, data):
        """Record a shelf price (and promotion) seen at a store (idempotent by id)."""
        obs, created = service.observe_price(g.user, data)
        db.session.commit()
        return attach_photo_ids("price_observation", [obs])[0], 201 if created else 200


@blp.route("/price-observations/<uuid:obs_id>")
class PriceObservationById(MethodView):
    @blp.response(200, PriceObservationSchema)
    def get(self, obs_id):
        """One price observation."""
        return attach_photo_ids("price_observation", [service.visible_price(g.user, obs_id)])[0]


@blp.route("/intel-reports")
class IntelReports(MethodView):
    @blp.arguments(IntelQuerySchema, location="query")
    @blp.response(200, IntelReportSchema(many=True))
    @blp.paginate(IntelPage)
    def get(self, filters):
        """Store intel reports in your scope, newest first."""
        return service.intel_query(g.user, filters)

    @blp.arguments(IntelReportSchema)
    @blp.response(201, IntelReportSchema)
    @blp.alt_response(200, schema=IntelReportSchema, description="Already recorded")
    def post(self, data):
        """Report a store opening, moving, renovating or closing, or a new competitor counter."""
        report, created = service.report_intel(g.user, data)
        db.session.commit()
        return service.with_candidates(g.user, [report])[0], 201 if created else 200


@blp.route("/intel-reports/<uuid:report_id>")
class IntelReportById(MethodView):
    @blp.response(200, IntelReportSchema)
    def get(self, report_id):
        """One intel report with its possible duplicates among known stores."""
        return service.with_candidates(g.user, [service.visible_report(g.user, report_id)])[0]


@blp.route("/intel-reports/<uuid:report_id>/review")
class IntelReportReview(MethodView):
    @blp.arguments(ReviewSchema)
    @blp.response(200, IntelReportSchema)
    def post(self, data, report_id):
        """Review a report (manager): approve (creates, closes or moves the store), duplicate, or reject."""
        report = service.review_report(g.user, report_id, data)
        db.session.commit()
        return service.with_candidates(g.user, [report])[0]
