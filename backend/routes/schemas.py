"""Schemas for route review, coverage and visit plans."""

from datetime import timedelta

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from ..core.schemas import BaseSchema, Latitude, Longitude, Text, UTCDateTime
from ..core.timeutil import business_today
from ..stores.models import StoreTier


class RouteQuerySchema(BaseSchema):
    rep_id = fields.Integer(required=True)
    day = fields.Date(required=True, metadata={"description": "A calendar day where the stores are."})


class RouteVisitSchema(BaseSchema):
    visit_id = fields.UUID()
    store_id = fields.Integer()
    store_name = fields.String()
    store_latitude = fields.Float()
    store_longitude = fields.Float()
    checked_in_at = UTCDateTime()
    checked_out_at = UTCDateTime(allow_none=True)
    latitude = fields.Float(metadata={"description": "Where the rep checked in."})
    longitude = fields.Float()
    accuracy_m = fields.Float()
    distance_m = fields.Float(metadata={"description": "Check-in to store, geodesic metres."})
    off_site = fields.Boolean()
    minutes_on_site = fields.Float(allow_none=True)
    travel_m = fields.Float(allow_none=True, metadata={"description": "From the previous visit, geodesic."})
    gap_minutes = fields.Float(allow_none=True, metadata={"description": "Since leaving the previous visit."})
    idle = fields.Boolean(metadata={"description": "The gap exceeds ROUTE_IDLE_MINUTES."})


class RouteTotalsSchema(BaseSchema):
    visits = fields.Integer()
    travel_m = fields.Float()
    on_site_minutes = fields.Float()
    idle_minutes = fields.Float()
    off_site = fields.Integer()
    first_check_in = UTCDateTime(allow_none=True)
    last_check_out = UTCDateTime(allow_none=True)


class RoutePlanSchema(BaseSchema):
    id = fields.UUID()
    store_ids = fields.List(fields.Integer())
    visited_store_ids = fields.List(fields.Integer())


class RouteSchema(BaseSchema):
    rep_id = fields.Integer()
    rep_name = fields.String()
    day = fields.Date()
    visits = fields.List(fields.Nested(RouteVisitSchema))
    totals = fields.Nested(RouteTotalsSchema)
    plan = fields.Nested(RoutePlanSchema, allow_none=True)


class RepSchema(BaseSchema):
    id = fields.Integer()
    display_name = fields.String()
    territory_id = fields.Integer()
    active = fields.Boolean()


class RepQuerySchema(BaseSchema):
    territory_id = fields.Integer()


class CoverageQuerySchema(BaseSchema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=365))
    region_id = fields.Integer()
    territory_id = fields.Integer()
    rep_id = fields.Integer(metadata={"description": "The stores of this rep's territory."})
    tier = fields.String(validate=validate.OneOf([t.value for t in StoreTier]))


class UnvisitedStoreSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    territory_id = fields.Integer()
    tier = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    last_visit_at = UTCDateTime(allow_none=True, metadata={"description": "Ever; null: never visited."})


class TierCoverageSchema(BaseSchema):
    tier = fields.String()
    stores = fields.Integer()
    visited = fields.Integer()
    not_visited = fields.Integer()


class PeriodQuerySchema(BaseSchema):
    """A period of business days; without `since`/`until`, the last four weeks up to today."""

    since = fields.Date(metadata={"description": "First day; default: 27 days before `until`."})
    until = fields.Date(metadata={"description": "Last day (included); default: today."})
    territory_id = fields.Integer()

    @post_load
    def _default_period(self, data, **kwargs):
        until = data.get("until") or (data["since"] + timedelta(days=27) if data.get("since") else business_today())
        data.setdefault("since", until - timedelta(days=27))
        data["until"] = until
        return data


class RepActivitySchema(BaseSchema):
    rep_id = fields.Integer()
    rep_name = fields.String()
    territory_id = fields.Integer()
    active = fields.Boolean()
    visits = fields.Integer()
    days_in_field = fields.Integer()
    visits_per_day = fields.Float()
    avg_minutes_on_site = fields.Float(allow_none=True)
    off_site = fields.Integer()


class _Start(BaseSchema):
    start_latitude = Latitude(allow_none=True, metadata={"description": "Where the day starts (optional)."})
    start_longitude = Longitude(allow_none=True)

    @validates_schema
    def _both(self, data, **kwargs):
        if (data.get("start_latitude") is None) != (data.get("start_longitude") is None):
            raise ValidationError("Give both start_latitude and start_longitude, or neither.", "start_longitude")


class OrderRequestSchema(_Start):
    store_ids = fields.List(fields.Integer(), required=True)


class OrderSchema(BaseSchema):
    store_ids = fields.List(fields.Integer(), metadata={"description": "The proposed order."})
    picked_store_ids = fields.List(fields.Integer())
    distance_picked_m = fields.Float()
    distance_planned_m = fields.Float()
    saved_m = fields.Float()


class VisitPlanSchema(_Start):
    id = fields.UUID(required=True, metadata={"description": "Chosen by the client; kept by later saves."})
    rep_id = fields.Integer(allow_none=True, metadata={"description": "Whose plan (a rep may leave it out)."})
    day = fields.Date(required=True)
    store_ids = fields.List(
        fields.Integer(), required=True, metadata={"description": "In: the stores as picked. Out: the order to follow."}
    )
    optimise = fields.Boolean(load_default=True, load_only=True, metadata={"description": "Propose the order."})
    note = Text(500, allow_none=True)
    replaces = UTCDateTime(
        allow_none=True,
        load_only=True,
        metadata={
            "description": "REST: the `updated_at` of the plan of that (rep, day) this save may replace (the plan "
            "edited, or the one a 409 `plan.exists` named); without it a different plan is not replaced. "
            "Ignored by the sync mutation."
        },
    )
    picked_store_ids = fields.List(fields.Integer(), dump_only=True)
    distance_picked_m = fields.Float(dump_only=True)
    distance_planned_m = fields.Float(dump_only=True)
    created_by = fields.Integer(dump_only=True)
    updated_by = fields.Integer(dump_only=True)
    created_at = UTCDateTime(dump_only=True)
    updated_at = UTCDateTime(dump_only=True)


class PlanQuerySchema(BaseSchema):
    rep_id = fields.Integer()
    since = fields.Date()
    until = fields.Date()


class ComplianceSchema(BaseSchema):
    rep_id = fields.Integer()
    rep_name = fields.String()
    week = fields.String(metadata={"description": "ISO week, e.g. 2026-W48"})
    planned = fields.Integer()
    visited = fields.Integer()
    unplanned_visits = fields.Integer()
    compliance = fields.Float(allow_none=True)
