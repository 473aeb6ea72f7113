"""Regions, territories and partners: master data, written by admins, read by everyone."""

from ..core.crud import MasterData
from .models import Partner, Region, Territory

regions = MasterData(Region, "region", unique=("code",), search=("code", "name"), order_by="code")
territories = MasterData(
    Territory,
    "territory",
    unique=("code",),
    references={"region_id": Region},
    filters=("region_id",),
    search=("code", "name"),
    order_by="code",
)
partners = MasterData(
    Partner,
    "partner",
    unique=("code",),
    references={"parent_id": Partner},
    filters=("kind", "parent_id", "active"),
    search=("code", "name"),
    order_by="code",
)
