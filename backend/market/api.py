"""HTTP endpoints for HQ's market intelligence: price trends, alerts, promotions, store changes,
promo-material use."""

from collections.abc import Callable
from typing import NamedTuple

from flask import g
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import SelectPage
from ..extensions import db
from . import service
from .schemas import (
    AlertEvidenceSchema,
    AlertQuerySchema,
    AlertSchema,
    MaterialUseSchema,
    PromotionQuerySchema,
    PromotionSchema,
    RangeQuerySchema,
    StoreChangeQuerySchema,
    StoreChangeSchema,
    TrendQuerySchema,
    TrendRowSchema,
)

blp = Blueprint("market", __name__, url_prefix="/api/v1/market", description="HQ's competitive intelligence")


class AlertPage(SelectPage):
    @property
    def items(self):
        return service.describe_alerts(super().items)


class CountedQuery(NamedTuple):
    """A page's query and the way to count it."""

    stmt: object
    count: Callable[[], int]


class PromotionPage(SelectPage):
    """Pages of `CountedQuery`: the rows from the query, the total from the rollups."""

    def __init__(self, collection, page_params):
        self._count = collection.count  # before the base class asks for item_count
        super().__init__(collection.stmt, page_params)

    @property
    def items(self):
        return service.describe_promotions(super().items)

    @property
    def item_count(self):
        return self._count()


@blp.route("/price-trends")
class PriceTrends(MethodView):
    @blp.arguments(TrendQuerySchema, location="query")
    @blp.response(200, TrendRowSchema(many=True))
    def get(self, args):
        """Prices by model and week (or day) in a region or nationwide: median, min, max, count, promotions."""
        return service.price_trends(g.user, args)


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.arguments(AlertQuerySchema, location="query")
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate(AlertPage)
    def get(self, args):
        """Competitor price drops, newest first."""
        return service.alerts_query(g.user, args)


@blp.route("/alerts/<int:alert_id>")
class AlertById(MethodView):
    @blp.response(200, AlertEvidenceSchema)
    def get(self, alert_id):
        """One alert with its evidence: the observations of both periods, with photos."""
        return service.alert_evidence(g.user, alert_id)


@blp.route("/alerts/<int:alert_id>/acknowledge")
class AlertAck(MethodView):
    @blp.response(200, AlertSchema)
    def post(self, alert_id):
        """Acknowledge an alert (HQ)."""
        alert = service.acknowledge(g.user, alert_id)
        db.session.commit()
        return service.describe_alerts([alert])[0]


@blp.route("/promotions")
class Promotions(MethodView):
    @blp.arguments(PromotionQuerySchema, location="query")
    @blp.response(200, PromotionSchema(many=True))
    @blp.paginate(PromotionPage)
    def get(self, args):
        """Promotions seen on shelves, newest first (the total counts from the day rollups)."""
        return CountedQuery(service.promotions_query(g.user, args), lambda: service.promotions_count(g.user, args))


@blp.route("/store-changes")
class StoreChanges(MethodView):
    @blp.arguments(StoreChangeQuerySchema, location="query")
    @blp.response(200, StoreChangeSchema(many=True))
    def get(self, args):
        """Store openings, new stores, closings and moves reported from the field (at most 2,000)."""
        return service.store_changes(g.user, args)


@blp.route("/material-use")
class MaterialUse(MethodView):
    @blp.arguments(RangeQuerySchema, location="query")
    @blp.response(200, MaterialUseSchema(many=True))
    def get(self, args):
        """Promo materials delivered, used and returned by region, with the cost of those used."""
        return service.material_use(g.user, args)
