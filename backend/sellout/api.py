"""HTTP endpoints for shop stock counts, declared sell-out and competitors' sell-out estimates.

The three captures answer alike — a paged list in the reader's scope (POST creates one, idempotent
by its client id: 201 the first time, 200 with the same content again, 409 with other content, as
`core.records.create_once` decides), GET of one by id — so one function, `_capture_endpoints`,
makes each kind's two routes from its schemas, its service functions and its docstrings."""

from collections.abc import Callable

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


def _documented(func: Callable, doc: str) -> Callable:
    func.__doc__ = doc  # set before the decorators copy it (flask-smorest reads it as the summary)
    return func


def _capture_endpoints(
    path: str,
    names: tuple[str, str],
    *,
    model,
    schema,
    query_schema,
    query: Callable,
    record: Callable,
    id_param: str,
    docs: tuple[str, str, str],
) -> None:
    """`path` (list, create) and `path/<uuid:id_param>` (one): view classes named `names`
    (the endpoints' names), docstrings `docs` = (list, create, one)."""
    list_doc, create_doc, one_doc = docs

    def get_list(self, filters):
        return query(g.user, filters)

    def post(self, data):
        row, created = record(g.user, data)
        db.session.commit()
        return row, 201 if created else 200

    def get_one(self, **ids):
        return service.visible_record(g.user, model, ids[id_param])

    listing = {
        "get": blp.arguments(query_schema, location="query")(
            blp.response(200, schema(many=True))(blp.paginate(SelectPage)(_documented(get_list, list_doc)))
        ),
        "post": blp.arguments(schema)(
            blp.response(201, schema)(
                blp.alt_response(200, schema=schema, description="Already recorded")(_documented(post, create_doc))
            )
        ),
    }
    blp.route(path)(type(names[0], (MethodView,), listing))
    one = {"get": blp.response(200, schema)(_documented(get_one, one_doc))}
    blp.route(f"{path}/<uuid:{id_param}>")(type(names[1], (MethodView,), one))


_capture_endpoints(
    "/shop-stock-counts",
    ("ShopStockCounts", "ShopStockCountById"),
    model=ShopStockCount,
    schema=ShopStockCountSchema,
    query_schema=ShopStockCountQuerySchema,
    query=service.counts_query,
    record=service.record_count,
    id_param="count_id",
    docs=(
        "Shop stock counts in your scope, newest first.",
        "Record the units of one of our models on hand at a store, 0 for none (idempotent by id).",
        "One shop stock count.",
    ),
)


@blp.route("/shop-stock")
class ShopStock(MethodView):
    @blp.arguments(ShopStockQuerySchema, location="query")
    @blp.response(200, ShopStockRowSchema(many=True))
    def get(self, args):
        """A store's shop stock: the latest count of each of our models there."""
        return service.latest_shop_stock(g.user, args["store_id"])


_capture_endpoints(
    "/sellout-reports",
    ("SellOutReports", "SellOutReportById"),
    model=SellOutReport,
    schema=SellOutReportSchema,
    query_schema=SellOutReportQuerySchema,
    query=service.reports_query,
    record=service.report_sellout,
    id_param="report_id",
    docs=(
        "Declared sell-out reports in your scope, newest first.",
        "Record the units of one of our models a store says it sold in a period (idempotent by id).",
        "One declared sell-out report.",
    ),
)

_capture_endpoints(
    "/competitor-sellout",
    ("CompetitorSellOuts", "CompetitorSellOutById"),
    model=CompetitorSellOut,
    schema=CompetitorSellOutSchema,
    query_schema=CompetitorSellOutQuerySchema,
    query=service.estimates_query,
    record=service.report_competitor,
    id_param="estimate_id",
    docs=(
        "Competitors' sell-out estimates in your scope, newest first.",
        "Record a competitor model's units (or band) sold at a store in a week (idempotent by id).",
        "One competitor sell-out estimate.",
    ),
)
