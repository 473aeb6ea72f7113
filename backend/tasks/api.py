"""HTTP endpoints for tasks: assign to stores, list with open / done / overdue, cancel, complete."""

from uuid import UUID

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
    TaskBatchResultSchema,
    TaskBatchSchema,
    TaskCompleteSchema,
    TaskCreateSchema,
    TaskQuerySchema,
    TaskSchema,
    TaskSummaryQuerySchema,
    TaskSummarySchema,
)

blp = Blueprint(
    "tasks",
    __name__,
    url_prefix="/api/v1",
    description="Tasks for reps (任务): assigned to a store by a manager or HQ, completed at a visit",
)


class TaskPage(SelectPage):
    @property
    def items(self):
        return service.present(super().items)


@blp.route("/tasks")
class Tasks(MethodView):
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate(TaskPage)
    def get(self, filters):
        """Tasks in your scope (a rep their territory's stores', a manager their region's, HQ all),
        by due day; `status=overdue`: open and due before today."""
        return service.tasks_query(g.user, filters)

    @blp.arguments(TaskCreateSchema)
    @blp.response(201, TaskSchema)
    @blp.alt_response(200, schema=TaskSchema, description="Already made (the same id and content)")
    def post(self, data):
        """Assign a task to a store (a manager: their region's; HQ, admins: any). Idempotent by id."""
        task, created = service.create_task(g.user, data)
        db.session.commit()
        return service.present([task])[0], 201 if created else 200


@blp.route("/tasks/batch")
class TaskBatch(MethodView):
    @blp.arguments(TaskBatchSchema)
    @blp.response(201, TaskBatchResultSchema)
    def post(self, data):
        """The same task at many stores (a campaign): by `store_ids` or a `filter` of your stores.
        Resending creates no second task at a store."""
        result = service.create_batch(g.user, data)
        db.session.commit()
        return result


@blp.route("/tasks/summary")
class TaskSummary(MethodView):
    @blp.arguments(TaskSummaryQuerySchema, location="query")
    @blp.response(200, TaskSummarySchema)
    def get(self, filters):
        """Counts of the tasks in your scope: open (overdue included), overdue, done, cancelled."""
        return service.summary(g.user, filters)


@blp.route("/tasks/<uuid:task_id>")
class TaskById(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id: UUID):
        """One task in your scope."""
        return service.present([service.visible_task(g.user, task_id)])[0]


@blp.route("/tasks/<uuid:task_id>/cancel")
class TaskCancel(MethodView):
    @blp.response(200, TaskSchema)
    def post(self, task_id: UUID):
        """Cancel an open task (its creator, the region's manager, HQ, admins); a done task cannot
        be (409 `task.already_done`)."""
        task = service.cancel(g.user, task_id)
        db.session.commit()
        return service.present([task])[0]


@blp.route("/tasks/<uuid:task_id>/complete")
class TaskComplete(MethodView):
    @blp.arguments(TaskCompleteSchema)
    @blp.response(200, TaskSchema)
    def post(self, data, task_id: UUID):
        """Complete a task at a visit (a rep online; the same as the sync mutation `task.complete`).
        The same `completion_id` again is a no-op."""
        task, _ = service.complete(g.user, task_id, data)
        db.session.commit()
        return service.present([task])[0]
