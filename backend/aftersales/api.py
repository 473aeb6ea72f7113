"""HTTP endpoints for 三包 service events, fault codes, repair points and HQ's quality figures."""

from flask import g
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import SelectPage
from ..extensions import db
from . import (
    models,  # noqa: F401  (the tables, for the app and its migrations)
    service,
)
from .schemas import (
    FaultCodeQuerySchema,
    FaultCodeSchema,
    FaultCodeUpdateSchema,
    RepairPointSchema,
    ServiceEventQuerySchema,
    ServiceEventSchema,
)

blp = Blueprint(
    "aftersales",
    __name__,
    url_prefix="/api/v1",
    description="三包 service events (returns, exchanges, repair referrals) and quality by model",
)


# --- service events, fault codes, repair points ---

_RECORD = {"return": service.record_return, "exchange": service.record_exchange, "repair": service.record_repair}


class EventPage(SelectPage):
    @property
    def items(self):
        return service.present(super().items)


@blp.route("/service-events")
class ServiceEvents(MethodView):
    @blp.arguments(ServiceEventQuerySchema, location="query")
    @blp.response(200, ServiceEventSchema(many=True))
    @blp.paginate(EventPage)
    def get(self, filters):
        """三包 service events newest first: a clerk's store's, a manager's region's, HQ all.

        `since` / `until` bound the business day the event happened on."""
        return service.events_query(g.user, filters)

    @blp.arguments(ServiceEventSchema)
    @blp.response(201, ServiceEventSchema)
    @blp.alt_response(200, schema=ServiceEventSchema, description="Already recorded (same id, same content)")
    def post(self, data):
        """Record a return, an exchange or a repair referral of a card at the clerk's store.

        Idempotent by id; refused outside the card's 三包 term (the reason names the last day).
        An exchange gives `new_card` (the replacement unit: its card inherits the buyer and the
        purchase date); a repair names exactly one of `repair_store_id` / `repair_partner_id`."""
        kind = data.pop("kind")
        event, created = _RECORD[kind](g.user, data)
        db.session.commit()
        return service.present([event])[0], 201 if created else 200


@blp.route("/fault-codes")
class FaultCodes(MethodView):
    @blp.arguments(FaultCodeQuerySchema, location="query")
    @blp.response(200, FaultCodeSchema(many=True))
    def get(self, args):
        """The fault codes a clerk picks from, in list order (active ones; HQ may ask for all)."""
        return service.fault_codes(g.user, args["include_inactive"])

    @blp.arguments(FaultCodeSchema)
    @blp.response(201, FaultCodeSchema)
    def post(self, data):
        """Add a fault code (HQ/admin)."""
        fault = service.create_fault_code(g.user, data)
        db.session.commit()
        return fault


@blp.route("/fault-codes/<int:fault_id>")
class FaultCodeById(MethodView):
    @blp.arguments(FaultCodeUpdateSchema(partial=True))
    @blp.response(200, FaultCodeSchema)
    def patch(self, data, fault_id):
        """Change a fault code (HQ/admin); `active: false` takes it off the clerks' list."""
        fault = service.update_fault_code(g.user, fault_id, data)
        db.session.commit()
        return fault


@blp.route("/repair-points")
class RepairPoints(MethodView):
    @blp.response(200, RepairPointSchema(many=True))
    def get(self):
        """Where a clerk may refer a phone for a 三包 repair: active service-point stores and
        active partners that are repair providers."""
        return service.repair_points(g.user)


# --- quality ---
# HQ's quality figures (H2): rates per model per 1,000 units sold, by purchase week and region,
# the early-life alert and the CSV (backend/aftersales/quality.py).

from flask import g as _g  # noqa: E402
from flask.views import MethodView as _MethodView  # noqa: E402

from ..channel.export import csv_response as _csv_response  # noqa: E402
from ..core.timeutil import business_today as _business_today  # noqa: E402
from . import quality  # noqa: E402
from . import quality_alerts as _quality_alerts  # noqa: E402
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
        """The early-life alerts raised (once per model and scope, as events arrived): a model in
        its first QUALITY_ALERT_WEEKS weeks whose returns + exchanges per 1,000 units sold passed
        QUALITY_ALERT_RATE_PER_1000 (at least QUALITY_ALERT_MIN_UNITS sold), with the figures
        then; HQ every region's together (or one region's), a manager their region's."""
        return quality.alerts(_g.user, args)


@blp.route("/quality/alerts/<int:alert_id>/acknowledge")
class QualityAlertAck(_MethodView):
    @blp.response(200, QualityAlertSchema)
    def post(self, alert_id):
        """Acknowledge an early-life alert (HQ, or the manager of a region's alert)."""
        alert = _quality_alerts.acknowledge(_g.user, alert_id)
        db.session.commit()
        return _quality_alerts.describe([alert])[0]


@blp.route("/quality/export.csv")
class QualityCsv(_MethodView):
    @blp.arguments(QualityCsvQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="UTF-8 CSV with a byte-order mark")
    def get(self, args):
        """Model × region × purchase week: units sold, returns, exchanges, repairs and their rates."""
        today = _business_today()
        return _csv_response("quality", quality.CSV_COLUMNS, quality.export_rows(_g.user, args), today)
