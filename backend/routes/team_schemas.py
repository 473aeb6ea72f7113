"""Schemas of the team's day (`team.py`): the manager's landing page."""

from marshmallow import fields

from ..core.schemas import BaseSchema, UTCDateTime


class TeamQuerySchema(BaseSchema):
    day = fields.Date(metadata={"description": "A BUSINESS_TIMEZONE calendar day; default: today."})
    region_id = fields.Integer(
        metadata={"description": "Required for HQ and admins; a manager's is their own (another: 404)."}
    )


class TeamVisitSchema(BaseSchema):
    visit_id = fields.UUID()
    store_id = fields.Integer()
    store_name = fields.String()
    checked_in_at = UTCDateTime()
    checked_out_at = UTCDateTime(allow_none=True)
    off_site = fields.Boolean()


class TeamPlannedSchema(BaseSchema):
    count = fields.Integer()
    store_ids = fields.List(fields.Integer(), metadata={"description": "The plan's stores, in its order."})
    visited_store_ids = fields.List(fields.Integer(), metadata={"description": "Those visited on the day."})


class IdleGapSchema(BaseSchema):
    from_ = UTCDateTime(attribute="from", data_key="from")
    to = UTCDateTime()
    minutes = fields.Float()
    ongoing = fields.Boolean(metadata={"description": "Since the last check-out until now (today)."})


class TeamPositionSchema(BaseSchema):
    latitude = fields.Float()
    longitude = fields.Float()
    at = UTCDateTime()
    kind = fields.String(metadata={"description": "check_in or check_out"})
    store_id = fields.Integer()
    store_name = fields.String()


class TeamRepSchema(BaseSchema):
    rep_id = fields.Integer()
    name = fields.String()
    territory_id = fields.Integer()
    territory_name = fields.String()
    planned = fields.Nested(TeamPlannedSchema)
    done = fields.Integer(metadata={"description": "Visits checked in on the day."})
    open_visit = fields.Nested(
        TeamVisitSchema, allow_none=True, metadata={"description": "The day's last visit, not checked out."}
    )
    last_visit = fields.Nested(TeamVisitSchema, allow_none=True, metadata={"description": "The one before, if any."})
    off_site = fields.Integer(metadata={"description": "Off-site check-ins of the day."})
    first_check_in = UTCDateTime(allow_none=True)
    idle_gaps = fields.List(fields.Nested(IdleGapSchema))
    last_sync_at = UTCDateTime(allow_none=True, metadata={"description": "Last push or pull of any of their phones."})
    unsynced = fields.Boolean(metadata={"description": "No sync for over TEAM_UNSYNCED_WARN_MINUTES, or never."})
    last_position = fields.Nested(TeamPositionSchema, allow_none=True)


class TeamRegionSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()


class TeamTodaySchema(BaseSchema):
    day = fields.Date()
    today = fields.Date(metadata={"description": "Today in BUSINESS_TIMEZONE."})
    generated_at = UTCDateTime()
    region = fields.Nested(TeamRegionSchema)
    idle_gap_minutes = fields.Integer()
    unsynced_warn_minutes = fields.Integer()
    reps = fields.List(fields.Nested(TeamRepSchema))
