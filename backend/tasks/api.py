"""HTTP endpoints for tasks: assign to stores, list with open / done / overdue, cancel."""

from ..core.blueprint import Blueprint
from . import models  # noqa: F401  (the tables, for the app and its migrations)

blp = Blueprint(
    "tasks",
    __name__,
    url_prefix="/api/v1",
    description="Tasks for reps (任务): assigned to a store by a manager or HQ, completed at a visit",
)
