"""HTTP endpoints of the desk's read models: a visit's detail and the photo feed."""

from flask import g
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import RowPage
from . import feed
from .schemas import FeedItemSchema, FeedQuerySchema, VisitDetailSchema
from .visit_detail import visit_detail

blp = Blueprint(
    "desk",
    __name__,
    url_prefix="/api/v1",
    description="The desk's read models: a visit's whole story, the photo feed managers audit displays with",
)


class FeedPage(RowPage):
    @property
    def items(self):
        return feed.feed_items(g.user, super().items)


@blp.route("/visits/<uuid:visit_id>/detail")
class VisitDetail(MethodView):
    @blp.response(200, VisitDetailSchema)
    def get(self, visit_id):
        """Everything recorded at one visit: check-in and out against the store, the checklist
        answers with their items and the score, photos (with the recycled flag), promo-material
        movements, prices, intel, trainings, tasks completed, notes. A rep: their own visits; a
        manager: their region's; clerks: 403."""
        return visit_detail(g.user, visit_id)


@blp.route("/photos/feed")
class PhotoFeed(MethodView):
    @blp.arguments(FeedQuerySchema, location="query")
    @blp.response(200, FeedItemSchema(many=True))
    @blp.paginate(FeedPage)
    def get(self, filters):
        """Photos of a region and period, newest first (one item per record using a photo): the
        store, rep, time, the display check's score and items, the recycled flag. Filters:
        checklist item, store tier, rep, store, kind of record, recycled only."""
        return feed.feed_query(g.user, filters)
