"""Catalogue master data: written by admins, read by everyone."""

from ..core.crud import MasterData
from ..core.errors import InvalidInput
from .models import AnswerType, ChecklistItem, CompetitorBrand, CompetitorModel, Product, PromoMaterial


def _number_items_need_target(data: dict, current: ChecklistItem | None) -> None:
    """A number item passes when the answer reaches `target`, so it must keep one; the schema
    checks a new item, this also checks a change (answer_type or target alone)."""
    answer_type = data.get("answer_type", getattr(current, "answer_type", None))
    target = data["target"] if "target" in data else getattr(current, "target", None)
    if answer_type == AnswerType.NUMBER and target is None:
        raise InvalidInput("A number item needs a target (the value that passes).", field="target")


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
    rules=(_number_items_need_target,),
)
