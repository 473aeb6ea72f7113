"""Catalogue master data: written by admins, read by everyone."""

from sqlalchemy import select

from ..core.crud import MasterData
from ..core.errors import Conflict, InvalidInput
from ..extensions import db
from .models import AnswerType, ChecklistItem, CompetitorBrand, CompetitorModel, Product, PromoMaterial


def _number_items_need_target(data: dict, current: ChecklistItem | None) -> None:
    """A number item passes when the answer reaches `target`, so it must keep one; the schema
    checks a new item, this also checks a change (answer_type or target alone)."""
    answer_type = data.get("answer_type", getattr(current, "answer_type", None))
    target = data["target"] if "target" in data else getattr(current, "target", None)
    if answer_type == AnswerType.NUMBER and target is None:
        raise InvalidInput(
            "A number item needs a target (the value that passes).", field="target", reason="checklist.target_needed"
        )


def _tac_codes_belong_to_one_model(data: dict, current: Product | None) -> None:
    """A TAC names one model: the same code on two products would make the IMEI check useless."""
    codes = data.get("tac_codes")
    if not codes:
        return
    if len(set(codes)) != len(codes):
        raise InvalidInput("A TAC is listed twice.", field="tac_codes", reason="product.tac_twice")
    wanted = set(codes)
    others = select(Product.model_code, Product.tac_codes)
    if current is not None:
        others = others.where(Product.id != current.id)
    for model_code, tacs in db.session.execute(others):
        shared = wanted & set(tacs or ())
        if shared:
            raise Conflict(
                f"TAC {min(shared)} is already listed for {model_code}.",
                field="tac_codes",
                reason="product.tac_taken",
                params={"tac": min(shared), "model": model_code},
            )


def _rivals_exist(data: dict, current: Product | None) -> None:
    wanted = set(data.get("rival_model_ids") or ())
    if not wanted:
        return
    found = set(db.session.scalars(select(CompetitorModel.id).where(CompetitorModel.id.in_(wanted))))
    if wanted - found:
        raise InvalidInput(
            f"Unknown competitor model: {min(wanted - found)}.",
            field="rival_model_ids",
            reason="product.unknown_rival",
            params={"competitor_model_id": min(wanted - found)},
        )


def tac_owners() -> dict[str, tuple[int, str]]:
    """{TAC: (product id, model code)} over all our models."""
    owners: dict[str, tuple[int, str]] = {}
    for pid, code, tacs in db.session.execute(select(Product.id, Product.model_code, Product.tac_codes)):
        for t in tacs or ():
            owners[t] = (pid, code)
    return owners


products = MasterData(
    Product,
    "product",
    unique=("model_code",),
    filters=("active",),
    search=("model_code", "name", "name_en"),
    order_by="model_code",
    rules=(_tac_codes_belong_to_one_model, _rivals_exist),
)
competitor_brands = MasterData(
    CompetitorBrand,
    "competitor brand",
    unique=("name",),
    filters=("active",),
    search=("name", "name_en"),
    order_by="name",
)
competitor_models = MasterData(
    CompetitorModel,
    "competitor model",
    unique=(("brand_id", "name"),),
    references={"brand_id": CompetitorBrand},
    filters=("brand_id", "active"),
    search=("name", "name_en"),
    order_by="name",
)
promo_materials = MasterData(
    PromoMaterial,
    "promo material",
    unique=("code",),
    filters=("kind", "active"),
    search=("code", "name", "name_en"),
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
