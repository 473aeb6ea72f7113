"""HTTP endpoints for the channel's alerts, CSV exports and a store's figures, on the channel
blueprint (`api.py` imports this module at its end; the query screens' endpoints are there)."""

from flask import g
from flask.views import MethodView

from ..core.pagination import SelectPage
from ..extensions import db
from . import alerts, export
from .alert_schemas import (
    AgingCsvQuerySchema,
    ChannelAlertQuerySchema,
    ChannelAlertRowSchema,
    StockCsvQuerySchema,
    StoreFiguresSchema,
)
from .api import blp
from .figures import business_today
from .store_view import store_figures


class AlertPage(SelectPage):
    @property
    def items(self):
        return alerts.describe_alerts(super().items)


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.arguments(ChannelAlertQuerySchema, location="query")
    @blp.response(200, ChannelAlertRowSchema(many=True))
    @blp.paginate(AlertPage)
    def get(self, args):
        """Stock-out and weeks-of-cover alerts, newest first (a rep: their stores' stock-outs)."""
        return alerts.alerts_query(g.user, args)


@blp.route("/alerts/<int:alert_id>/acknowledge")
class AlertAck(MethodView):
    @blp.response(200, ChannelAlertRowSchema)
    def post(self, alert_id):
        """Acknowledge an alert (HQ, or the manager of its region)."""
        alert = alerts.acknowledge(g.user, alert_id)
        db.session.commit()
        return alerts.describe_alerts([alert])[0]


@blp.route("/stores/<int:store_id>")
class StoreFigures(MethodView):
    @blp.response(200, StoreFiguresSchema)
    def get(self, store_id):
        """A store's latest shop stock per model, 8 weeks of card vs declared sell-out, open stock-outs."""
        return store_figures(g.user, store_id)


@blp.route("/stock.csv")
class StockCsv(MethodView):
    @blp.arguments(StockCsvQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="UTF-8 CSV with a byte-order mark, streamed")
    def get(self, args):
        """The channel stock table (as /stock: by region or partner and model), streamed as UTF-8 CSV."""
        today = business_today()
        rows = export.stock_rows(g.user, args, today)
        return export.csv_response("channel-stock", export.STOCK_COLUMNS, rows, today)


@blp.route("/aging.csv")
class AgingCsv(MethodView):
    @blp.arguments(AgingCsvQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="UTF-8 CSV with a byte-order mark, streamed")
    def get(self, args):
        """The aging units, one row per IMEI (kept as text for spreadsheets), streamed as UTF-8 CSV."""
        today = business_today()
        return export.csv_response(
            "channel-aging", export.AGING_COLUMNS, export.aging_units(g.user, args, today), today
        )
