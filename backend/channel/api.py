"""HTTP endpoints for the channel: stock and weeks of cover, sell-through, aging, FIFO breaks, alerts."""

from ..core.blueprint import Blueprint
from . import models  # noqa: F401  (the tables exist before the endpoints do)

blp = Blueprint("channel", __name__, url_prefix="/api/v1/channel", description="Sell-in, sell-out and channel stock")

# The alerts, the CSV exports and a store's figures add their routes to `blp` (alert_api.py).
from . import alert_api  # noqa: E402, F401
