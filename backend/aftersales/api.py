"""HTTP endpoints for 三包 service events, fault codes, repair points and HQ's quality figures."""

from ..core.blueprint import Blueprint
from . import models  # noqa: F401  (the tables, for the app and its migrations)

blp = Blueprint(
    "aftersales",
    __name__,
    url_prefix="/api/v1",
    description="三包 service events (returns, exchanges, repair referrals) and quality by model",
)
