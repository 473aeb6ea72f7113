"""HTTP endpoints for shop stock counts, declared sell-out and competitors' sell-out estimates."""

from ..core.blueprint import Blueprint
from . import models  # noqa: F401  (the tables exist before the endpoints do)

blp = Blueprint("sellout", __name__, url_prefix="/api/v1", description="Shop stock and sell-out heard at stores")
