"""Catalogue master data: written by admins, read by everyone."""

from ..core.crud import MasterData
from .models import ChecklistItem, CompetitorBrand, CompetitorModel, Product, PromoMaterial

products = MasterData(
    Product,
    "product",
    unique=("model_code",),
    filters=("active",),
    search=("model_code", "name"),
    order_by="model_code",
)
competitor_brands = MasterData(
    CompetitorBrand, "competitor brand", unique=("name",), filters=("active",), search=("name",), order_by="name"
)
competitor_models = MasterData(
    CompetitorModel,
    "competitor model",
    unique=(("brand_id", "name"),),
    references={"brand_id": CompetitorBrand},
    filters=("brand_id", "active"),
    search=("name",),
    order_by="name",
)
promo_materials = MasterData(
    PromoMaterial,
    "promo material",
    unique=("code",),
    filters=("kind", "active"),
    search=("code", "name"),
    order_by="code",
)
checklist_items = MasterData(
    ChecklistItem,
    "checklist item",
    unique=("code",),
    filters=("active",),
    search=("code", "label_zh", "label_en"),
    order_by="sort_order",
)
