"""HTTP endpoints for the channel: stock and weeks of cover, sell-through, aging, FIFO breaks, alerts."""

from flask import g
from flask.views import MethodView
from flask_smorest import Page

from ..core.blueprint import Blueprint
from ..core.pagination import RowPage
from . import (
    models,  # noqa: F401  (the tables exist before the endpoints do)
    service,
)
from .schemas import (
    AgingImeiSchema,
    AgingImeisQuerySchema,
    AgingQuerySchema,
    AgingRowSchema,
    DisagreementQuerySchema,
    DisagreementSchema,
    FifoBreakSchema,
    FifoQuerySchema,
    SellThroughQuerySchema,
    SellThroughRowSchema,
    StockQuerySchema,
    StockRegionQuerySchema,
    StockRegionSchema,
    StockRowSchema,
)

blp = Blueprint("channel", __name__, url_prefix="/api/v1/channel", description="Sell-in, sell-out and channel stock")


class AgingPage(RowPage):
    @property
    def items(self):
        return service.describe_aging(super().items)


# Stock, sell-through and FIFO breaks are worked out from the rollups as a whole (thousands of
# rows at most) and answered a page at a time, as the other desk lists: `?page=&page_size=`
# (at most 100), the X-Pagination header. The default page is the largest, 100 rows.
LIST_PAGE = {"page_size": 100, "max_page_size": 100}


@blp.route("/stock")
class Stock(MethodView):
    @blp.arguments(StockQuerySchema, location="query")
    @blp.response(200, StockRowSchema(many=True))
    @blp.paginate(Page, **LIST_PAGE)
    def get(self, args):
        """Channel stock by region (or partner) and model: shipped, sold, stock, weekly sell-out, weeks of cover."""
        return service.channel_stock(g.user, args)


@blp.route("/stock/regions")
class StockRegions(MethodView):
    @blp.arguments(StockRegionQuerySchema, location="query")
    @blp.response(200, StockRegionSchema(many=True))
    def get(self, args):
        """Channel stock per region, every model (or one) summed, at its stores' centroid (the map): a row a region."""
        return service.region_totals(g.user, args)


@blp.route("/sell-through")
class SellThrough(MethodView):
    @blp.arguments(SellThroughQuerySchema, location="query")
    @blp.response(200, SellThroughRowSchema(many=True))
    @blp.paginate(Page, **LIST_PAGE)
    def get(self, args):
        """Sell-out and sell-through per model and week (by model, then week), own models and competitors' estimates."""
        return service.sell_through(g.user, args)


@blp.route("/aging")
class Aging(MethodView):
    @blp.arguments(AgingQuerySchema, location="query")
    @blp.response(200, AgingRowSchema(many=True))
    @blp.paginate(AgingPage)
    def get(self, args):
        """Cohorts with units unsold past their model's aging days, oldest first."""
        return service.aging_query(g.user, args)


@blp.route("/aging/imeis")
class AgingImeis(MethodView):
    @blp.arguments(AgingImeisQuerySchema, location="query")
    @blp.response(200, AgingImeiSchema(many=True))
    @blp.paginate(RowPage)
    def get(self, args):
        """The unsold units (IMEIs) of one cohort: region, partner, model, ship week."""
        return service.aging_imeis_query(g.user, args)


@blp.route("/fifo-breaks")
class FifoBreaks(MethodView):
    @blp.arguments(FifoQuerySchema, location="query")
    @blp.response(200, FifoBreakSchema(many=True))
    @blp.paginate(Page, **LIST_PAGE)
    def get(self, args):
        """Older units of a model unsold in a region while a newer shipment of it sells there."""
        return service.fifo_breaks(g.user, args)


@blp.route("/disagreements")
class Disagreements(MethodView):
    @blp.arguments(DisagreementQuerySchema, location="query")
    @blp.response(200, DisagreementSchema(many=True))
    def get(self, args):
        """Store-weeks where the sell-out a store declared differs from its warranty cards."""
        return service.disagreements(g.user, args)


# The alerts, the CSV exports and a store's figures add their routes to `blp` (alert_api.py).
from . import alert_api  # noqa: E402, F401
