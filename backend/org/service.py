"""Regions, territories and partners: master data, written by admins, read by everyone."""

from sqlalchemy import select

from ..core.crud import MasterData
from ..core.errors import InvalidInput
from ..extensions import db
from .models import Partner, Region, Territory


def _no_partner_cycle(data: dict, current: Partner | None) -> None:
    """A partner may not be its own parent, directly or through the partners above it."""
    if current is None or data.get("parent_id") is None:
        return
    seen: set[int] = set()
    parent_id = data["parent_id"]
    while parent_id is not None and parent_id not in seen:
        if parent_id == current.id:
            raise InvalidInput(
                "A partner cannot be its own parent, directly or indirectly.",
                field="parent_id",
                reason="partner.parent_cycle",
            )
        seen.add(parent_id)
        parent_id = db.session.scalar(select(Partner.parent_id).where(Partner.id == parent_id))


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
    filters=("kind", "parent_id", "active", "repair_provider"),
    search=("code", "name"),
    order_by="code",
    rules=(_no_partner_cycle,),
)
