"""HTTP endpoints for training topics, training sessions and training coverage."""

from ..core.blueprint import Blueprint
from . import models  # noqa: F401  (the tables, for the app and its migrations)

blp = Blueprint(
    "training",
    __name__,
    url_prefix="/api/v1",
    description="Promoters' training (导购培训): topics, sessions with quiz scores, coverage",
)
