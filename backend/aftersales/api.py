"""HTTP endpoints for 三包 service events, fault codes, repair points and HQ's quality figures."""

from ..core.blueprint import Blueprint
from . import models  # noqa: F401  (the tables, for the app and its migrations)

blp = Blueprint(
    "aftersales",
    __name__,
    url_prefix="/api/v1",
    description="三包 service events (returns, exchanges, repair referrals) and quality by model",
)


# --- quality ---
# HQ's quality figures (H2): rates per model per 1,000 units sold, by purchase week and region,
# the early-life alert and the CSV (backend/aftersales/quality.py).

from flask import g as _g  # noqa: E402
from flask.views import MethodView as _MethodView  # noqa: E402

from ..channel.export import csv_response as _csv_response  # noqa: E402
from ..core.timeutil import business_today as _business_today  # noqa: E402
from . import quality  # noqa: E402
from .quality_schemas import (  # noqa: E402
    QualityAlertSchema,
    QualityAlertsQuerySchema,
    QualityCsvQuerySchema,
    QualityModelSchema,
    QualityModelsQuerySchema,
    QualityRegionSchema,
    QualityRegionsQuerySchema,
    QualityWeeklyQuerySchema,
    QualityWeekSchema,
)


@blp.route("/quality/models")
class QualityModels(_MethodView):
    @blp.arguments(QualityModelsQuerySchema, location="query")
    @blp.response(200, QualityModelSchema(many=True))
    def get(self, args):
        """Per model: units sold (cards bought in the period), returns, exchanges and repairs of
        those cards, each per 1,000 units, and the top 3 fault codes (HQ/admin; a manager's region)."""
        return quality.models(_g.user, args)


@blp.route("/quality/weekly")
class QualityWeekly(_MethodView):
    @blp.arguments(QualityWeeklyQuerySchema, location="query")
    @blp.response(200, QualityWeekSchema(many=True))
    def get(self, args):
        """Per purchase week (Monday), oldest first, the last `weeks` weeks: units, events, rates."""
        return quality.weekly(_g.user, args)


@blp.route("/quality/regions")
class QualityRegions(_MethodView):
    @blp.arguments(QualityRegionsQuerySchema, location="query")
    @blp.response(200, QualityRegionSchema(many=True))
    def get(self, args):
        """Per region in scope: units, events and rates of the period's purchases."""
        return quality.by_region(_g.user, args)


@blp.route("/quality/alerts")
class QualityAlerts(_MethodView):
    @blp.arguments(QualityAlertsQuerySchema, location="query")
    @blp.response(200, QualityAlertSchema(many=True))
    def get(self, args):
        """Models in their first QUALITY_ALERT_WEEKS weeks whose returns + exchanges per 1,000
        units sold exceed QUALITY_ALERT_RATE_PER_1000 (at least QUALITY_ALERT_MIN_UNITS sold)."""
        return quality.alerts(_g.user, args)


@blp.route("/quality/export.csv")
class QualityCsv(_MethodView):
    @blp.arguments(QualityCsvQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="UTF-8 CSV with a byte-order mark")
    def get(self, args):
        """Model × region × purchase week: units sold, returns, exchanges, repairs and their rates."""
        today = _business_today()
        return _csv_response("quality", quality.CSV_COLUMNS, quality.export_rows(_g.user, args), today)
