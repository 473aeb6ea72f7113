"""HTTP endpoints for regions, territories and channel partners."""

from ..core.blueprint import Blueprint
from ..core.crud import partial, register_crud
from . import schemas as s
from . import service

blp = Blueprint("org", __name__, url_prefix="/api/v1", description="Regions, territories, partners")

register_crud(blp, "/regions", service.regions, s.RegionSchema, partial(s.RegionSchema), s.RegionQuerySchema)
register_crud(
    blp, "/territories", service.territories, s.TerritorySchema, partial(s.TerritorySchema), s.TerritoryQuerySchema
)
register_crud(blp, "/partners", service.partners, s.PartnerSchema, partial(s.PartnerSchema), s.PartnerQuerySchema)
