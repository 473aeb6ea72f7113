"""HTTP endpoints for the catalogue."""

from ..core.blueprint import Blueprint
from ..core.crud import partial, register_crud
from . import schemas as s
from . import service

blp = Blueprint(
    "catalogue",
    __name__,
    url_prefix="/api/v1",
    description="Our products, competitor brands and models, promo materials, display checklist",
)

register_crud(blp, "/products", service.products, s.ProductSchema, partial(s.ProductSchema), s.CatalogueQuerySchema)
register_crud(
    blp,
    "/competitor-brands",
    service.competitor_brands,
    s.CompetitorBrandSchema,
    partial(s.CompetitorBrandSchema),
    s.CatalogueQuerySchema,
)
register_crud(
    blp,
    "/competitor-models",
    service.competitor_models,
    s.CompetitorModelSchema,
    partial(s.CompetitorModelSchema),
    s.CompetitorModelQuerySchema,
)
register_crud(
    blp,
    "/promo-materials",
    service.promo_materials,
    s.PromoMaterialSchema,
    partial(s.PromoMaterialSchema),
    s.PromoMaterialQuerySchema,
)
register_crud(
    blp,
    "/checklist-items",
    service.checklist_items,
    s.ChecklistItemSchema,
    partial(s.ChecklistItemSchema),
    s.CatalogueQuerySchema,
)
