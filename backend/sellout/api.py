"""HTTP endpoints for shop stock counts, declared sell-out and competitors' sell-out estimates."""

from flask import g
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import SelectPage
from ..extensions import db
from . import service
from .models import CompetitorSellOut, SellOutReport, ShopStockCount
from .schemas import (
    CompetitorSellOutQuerySchema,
    CompetitorSellOutSchema,
    SellOutReportQuerySchema,
    SellOutReportSchema,
    ShopStockCountQuerySchema,
    ShopStockCountSchema,
    ShopStockQuerySchema,
    ShopStockRowSchema,
)

blp = Blueprint("sellout", __name__, url_prefix="/api/v1", description="Shop stock and sell-out heard at stores")


@blp.route("/shop-stock-counts")
class ShopStockCounts(MethodView):
    @blp.arguments(ShopStockCountQuerySchema, location="query")
    @blp.response(200, ShopStockCountSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """Shop stock counts in your scope, newest first."""
        return service.counts_query(g.user, filters)

    @blp.arguments(ShopStockCountSchema)
    @blp.response(201, ShopStockCountSchema)
    @blp.alt_response(200, schema=ShopStockCountSchema, description="Already recorded")
    def post(self, data):
        """Record the units of one of our models on hand at a store, 0 for none (idempotent by id)."""
        count, created = service.record_count(g.user, data)
        db.session.commit()
        return count, 201 if created else 200


@blp.route("/shop-stock-counts/<uuid:count_id>")
class ShopStockCountById(MethodView):
    @blp.response(200, ShopStockCountSchema)
    def get(self, count_id):
        """One shop stock count."""
        return service.visible_record(g.user, ShopStockCount, count_id)


@blp.route("/shop-stock")
class ShopStock(MethodView):
    @blp.arguments(ShopStockQuerySchema, location="query")
    @blp.response(200, ShopStockRowSchema(many=True))
    def get(self, args):
        """A store's shop stock: the latest count of each of our models there."""
        return service.latest_shop_stock(g.user, args["store_id"])


@blp.route("/sellout-reports")
class SellOutReports(MethodView):
    @blp.arguments(SellOutReportQuerySchema, location="query")
    @blp.response(200, SellOutReportSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """Declared sell-out reports in your scope, newest first."""
        return service.reports_query(g.user, filters)

    @blp.arguments(SellOutReportSchema)
    @blp.response(201, SellOutReportSchema)
    @blp.alt_response(200, schema=SellOutReportSchema, description="Already recorded")
    def post(self, data):
        """Record the units of one of our models a store says it sold in a period (idempotent by id)."""
        report, created = service.report_sellout(g.user, data)
        db.session.commit()
        return report, 201 if created else 200


@blp.route("/sellout-reports/<uuid:report_id>")
class SellOutReportById(MethodView):
    @blp.response(200, SellOutReportSchema)
    def get(self, report_id):
        """One declared sell-out report."""
        return service.visible_record(g.user, SellOutReport, report_id)


@blp.route("/competitor-sellout")
class CompetitorSellOuts(MethodView):
    @blp.arguments(CompetitorSellOutQuerySchema, location="query")
    @blp.response(200, CompetitorSellOutSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """Competitors' sell-out estimates in your scope, newest first."""
        return service.estimates_query(g.user, filters)

    @blp.arguments(CompetitorSellOutSchema)
    @blp.response(201, CompetitorSellOutSchema)
    @blp.alt_response(200, schema=CompetitorSellOutSchema, description="Already recorded")
    def post(self, data):
        """Record a competitor model's units (or band) sold at a store in a week (idempotent by id)."""
        estimate, created = service.report_competitor(g.user, data)
        db.session.commit()
        return estimate, 201 if created else 200


@blp.route("/competitor-sellout/<uuid:estimate_id>")
class CompetitorSellOutById(MethodView):
    @blp.response(200, CompetitorSellOutSchema)
    def get(self, estimate_id):
        """One competitor sell-out estimate."""
        return service.visible_record(g.user, CompetitorSellOut, estimate_id)
