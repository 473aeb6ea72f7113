"""HTTP endpoints for route review, coverage, visit plans and plan compliance."""

from flask import g
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import RowPage, SelectPage
from ..extensions import db
from . import service, team
from .schemas import (
    ComplianceSchema,
    CoverageQuerySchema,
    OrderRequestSchema,
    OrderSchema,
    PeriodQuerySchema,
    PlanQuerySchema,
    RepActivitySchema,
    RepQuerySchema,
    RepSchema,
    RouteQuerySchema,
    RouteSchema,
    TierCoverageSchema,
    UnvisitedStoreSchema,
    VisitPlanSchema,
)
from .team_schemas import TeamQuerySchema, TeamTodaySchema

blp = Blueprint("routes", __name__, url_prefix="/api/v1", description="Route review, coverage and visit plans")


def _start(data: dict):
    if data.get("start_latitude") is None:
        return None
    return (data["start_latitude"], data["start_longitude"])


@blp.route("/reps")
class Reps(MethodView):
    @blp.arguments(RepQuerySchema, location="query")
    @blp.response(200, RepSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """The reps whose routes you may review (a manager: their region's), a page at a time."""
        return service.reps_query(g.user, args.get("territory_id"))


@blp.route("/routes")
class Routes(MethodView):
    @blp.arguments(RouteQuerySchema, location="query")
    @blp.response(200, RouteSchema)
    def get(self, args):
        """A rep's day: visits in order with time on site, geodesic travel, idle gaps, off-site check-ins."""
        return service.day_route(g.user, args["rep_id"], args["day"])


@blp.route("/coverage/unvisited-stores")
class Unvisited(MethodView):
    @blp.arguments(CoverageQuerySchema, location="query")
    @blp.response(200, UnvisitedStoreSchema(many=True))
    @blp.paginate(RowPage)
    def get(self, args):
        """Active stores nobody visited in the last `days` days, longest-waiting first."""
        return service.unvisited_query(g.user, args)


@blp.route("/coverage/tiers")
class TierCoverage(MethodView):
    @blp.arguments(CoverageQuerySchema, location="query")
    @blp.response(200, TierCoverageSchema(many=True))
    def get(self, args):
        """Per store tier: active stores, and how many were (not) visited in the last `days` days."""
        return service.coverage_by_tier(g.user, args)


@blp.route("/coverage/reps")
class RepActivity(MethodView):
    @blp.arguments(PeriodQuerySchema, location="query")
    @blp.response(200, RepActivitySchema(many=True))
    def get(self, args):
        """Per rep: visits, days in the field, visits per day, average time on site, off-site check-ins."""
        return service.rep_activity(g.user, args)


@blp.route("/route-order")
class RouteOrder(MethodView):
    @blp.arguments(OrderRequestSchema)
    @blp.response(200, OrderSchema)
    def post(self, data):
        """Propose the order of a day's stores that shortens travel (exact up to 7, else nearest neighbour + 2-opt)."""
        return service.propose_order(g.user, data["store_ids"], _start(data))


@blp.route("/visit-plans")
class Plans(MethodView):
    @blp.arguments(PlanQuerySchema, location="query")
    @blp.response(200, VisitPlanSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Visit plans of the reps in your scope, latest day first."""
        return service.plans_query(g.user, args)

    @blp.arguments(VisitPlanSchema)
    @blp.response(201, VisitPlanSchema)
    @blp.alt_response(200, schema=VisitPlanSchema, description="The rep's plan for that day, replaced")
    @blp.alt_response(409, description="That day has another plan: `plan.exists`, with what would change")
    def post(self, data):
        """Save a rep's plan for a day; the order is proposed unless `optimise` is false. A day that
        has a different plan is replaced only when `replaces` is that plan's `updated_at` (409
        `plan.exists` otherwise, naming who saved it, when, and the stores added, removed, kept)."""
        plan, created = service.save_plan(g.user, data, ask=True)
        db.session.commit()
        return plan, 201 if created else 200


@blp.route("/visit-plans/<uuid:plan_id>")
class PlanById(MethodView):
    @blp.response(200, VisitPlanSchema)
    def get(self, plan_id):
        """One visit plan."""
        return service.visible_plan(g.user, plan_id)

    @blp.response(204)
    def delete(self, plan_id):
        """Drop a plan."""
        service.delete_plan(g.user, plan_id)
        db.session.commit()


@blp.route("/visit-plans/compliance")
class Compliance(MethodView):
    @blp.arguments(PeriodQuerySchema, location="query")
    @blp.response(200, ComplianceSchema(many=True))
    def get(self, args):
        """Per rep and week: planned stops, those visited on their day, and visits outside the plan."""
        return service.compliance(g.user, args)


@blp.route("/team/today")
class TeamToday(MethodView):
    @blp.arguments(TeamQuerySchema, location="query")
    @blp.response(200, TeamTodaySchema)
    def get(self, args):
        """A region's reps and their day so far: visits done / planned, the store they are at or the
        last one, off-site check-ins, idle gaps, last sync (flagged when long ago), last position."""
        return team.team_today(g.user, args.get("day"), args.get("region_id"))
