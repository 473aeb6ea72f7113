"""Schemas for tasks: creating one or a campaign's batch, the listing's item and filters, the
summary, and a completion (REST `POST /tasks/<id>/complete` and the sync mutation `task.complete`).

Which reference a kind needs (a topic for training, a material for material, a model for price)
and whether the due day is past are business rules checked by the service, which names the field
and the reason; the schema only bounds shapes."""

from marshmallow import fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from ..core.schemas import BaseSchema, UTCDateTime
from ..stores.models import StoreTier
from .models import TaskKind, TaskStatus

KINDS = [k.value for k in TaskKind]
STATUSES = [s.value for s in TaskStatus]
LIST_STATUSES = [*STATUSES, "overdue"]
MAX_BATCH_STORE_IDS = 500
MAX_COMPLETION_PHOTOS = 10


class _TaskFields(BaseSchema):
    """What a task says, whoever assigns it."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={"description": " | ".join(KINDS)})
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    note = fields.String(load_default="", validate=validate.Length(max=500))
    due_on = fields.Date(
        required=True, metadata={"description": "The last day to do it; not before today (business time zone)."}
    )
    needs_photo = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "Whether completing it needs a photo; default: true for display, false otherwise."},
    )
    assignee_id = fields.Integer(
        allow_none=True,
        metadata={"description": "A rep whose territory holds the store; null: whichever rep covers it."},
    )
    topic_id = fields.Integer(allow_none=True, metadata={"description": "Required for training."})
    material_id = fields.Integer(allow_none=True, metadata={"description": "Required for material."})
    product_id = fields.Integer(allow_none=True, metadata={"description": "Price: one of ours, or…"})
    competitor_model_id = fields.Integer(allow_none=True, metadata={"description": "…a competitor's model."})


class TaskCreateSchema(_TaskFields):
    id = fields.UUID(
        metadata={
            "description": "The client's id (idempotent: the same id and content again answers 200 with the task, "
            "other content 409). Made by the server when left out."
        }
    )
    store_id = fields.Integer(required=True)


class StoreFilterSchema(BaseSchema):
    region_id = fields.Integer()
    tier = fields.String(validate=validate.OneOf([t.value for t in StoreTier]))
    territory_id = fields.Integer()


class TaskBatchSchema(_TaskFields):
    campaign = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Names the batch: resending it creates no second task at a store."},
    )
    store_ids = fields.List(
        fields.Integer(),
        validate=validate.Length(min=1, max=MAX_BATCH_STORE_IDS),
        metadata={"description": "1–500 stores; or `filter`."},
    )
    filter = fields.Nested(
        StoreFilterSchema,
        metadata={"description": "The active stores in your scope matching all of these; or `store_ids`."},
    )

    @validates_schema
    def _one_target(self, data, **kwargs):
        if ("store_ids" in data) == ("filter" in data):
            raise ValidationError("Give either store_ids or filter.", "store_ids")


class TaskBatchResultSchema(BaseSchema):
    campaign = fields.String()
    created = fields.Integer(metadata={"description": "Tasks made by this request (0 on a resend)."})
    task_ids = fields.List(fields.UUID(), metadata={"description": "The campaign's task at each store named."})


class TaskSyncSchema(BaseSchema):
    """The `task` entity a phone pulls: the REST item without the names and `overdue` (the phone
    has the stores and counts overdue against its own day)."""

    id = fields.UUID()
    store_id = fields.Integer()
    region_id = fields.Integer()
    assignee_id = fields.Integer(allow_none=True)
    kind = fields.String()
    title = fields.String()
    note = fields.String()
    due_on = fields.Date()
    needs_photo = fields.Boolean()
    topic_id = fields.Integer(allow_none=True)
    material_id = fields.Integer(allow_none=True)
    product_id = fields.Integer(allow_none=True)
    competitor_model_id = fields.Integer(allow_none=True)
    campaign = fields.String(allow_none=True)
    status = fields.String(metadata={"description": " | ".join(STATUSES)})
    created_by = fields.Integer()
    created_at = UTCDateTime()
    cancelled_at = UTCDateTime(allow_none=True)
    done_at = UTCDateTime(allow_none=True, metadata={"description": "The phone's time of the completion."})
    done_by = fields.Integer(allow_none=True)
    done_visit_id = fields.UUID(allow_none=True)
    done_note = fields.String()
    photo_ids = fields.List(fields.UUID())


class TaskSchema(TaskSyncSchema):
    """A task as REST lists it: the synced fields, plus the `*_name` fields and `overdue`
    (computed; sync leaves them out)."""

    store_name = fields.String()
    assignee_name = fields.String(allow_none=True)
    created_by_name = fields.String(allow_none=True)
    done_by_name = fields.String(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "Open and due before today (business time zone)."})


class TaskQuerySchema(BaseSchema):
    status = fields.String(
        validate=validate.OneOf(LIST_STATUSES),
        metadata={"description": "open | done | overdue (open and due before today) | cancelled"},
    )
    region_id = fields.Integer()
    store_id = fields.Integer()
    assignee_id = fields.Integer()
    campaign = fields.String(validate=validate.Length(min=1, max=64))
    kind = fields.String(validate=validate.OneOf(KINDS))


class TaskSummaryQuerySchema(BaseSchema):
    region_id = fields.Integer()
    campaign = fields.String(validate=validate.Length(min=1, max=64))


class TaskSummarySchema(BaseSchema):
    open = fields.Integer(metadata={"description": "Open tasks, overdue ones included."})
    overdue = fields.Integer()
    done = fields.Integer()
    cancelled = fields.Integer()


class TaskCompleteSchema(BaseSchema):
    """A rep's completion (REST body; the sync mutation adds `task_id`)."""

    completion_id = fields.UUID(
        required=True, metadata={"description": "The client's id of this completion: sending it again is a no-op."}
    )
    visit_id = fields.UUID(
        allow_none=True, load_default=None, metadata={"description": "The rep's own visit at the task's store."}
    )
    done_at = UTCDateTime(required=True, metadata={"description": "The phone's time; not in the future."})
    note = fields.String(load_default="", allow_none=True, validate=validate.Length(max=300))
    photo_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=MAX_COMPLETION_PHOTOS),
        metadata={"description": "Photos of the result (they may upload later); required when the task needs one."},
    )


class TaskCompleteArgs(TaskCompleteSchema):
    task_id = fields.UUID(required=True)
