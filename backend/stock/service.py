"""The promo-material stock ledger and the current stock derived from it."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select

from ..auth.models import User
from ..catalogue.models import PromoMaterial
from ..core.auth import check_role
from ..core.batch import reference
from ..core.errors import InvalidInput, NotFound
from ..core.records import check_device_time, create_once
from ..extensions import db
from ..stores.service import FIELD_READERS, FIELD_WRITERS, field_record_scope, visible_store
from ..visits.service import own_visit
from .models import MovementKind, StockMovement

SIGN = {MovementKind.DELIVERED: 1, MovementKind.USED: -1, MovementKind.RETURNED: -1}


def record_movement(actor: User, data: dict) -> tuple[StockMovement, bool]:
    """Add one entry to the ledger (entries are never changed). Idempotent by id."""
    check_role(actor, *FIELD_WRITERS)
    store = visible_store(actor, data["store_id"])
    material = reference(PromoMaterial, data["material_id"])
    if material is None:
        raise InvalidInput(
            f"Unknown material_id: {data['material_id']}.",
            field="material_id",
            reason="stock.unknown_material",
            params={"material_id": data["material_id"]},
        )
    if data["kind"] != MovementKind.COUNTED and data["quantity"] == 0:
        raise InvalidInput(
            "A delivery, use or return needs a quantity above 0.", field="quantity", reason="stock.quantity_zero"
        )
    check_device_time(data["recorded_at"], "recorded_at")
    if data.get("visit_id") is not None:
        own_visit(actor, data["visit_id"], store.id)
    values = {
        "rep_id": actor.id,
        "store_id": store.id,
        "material_id": material.id,
        "visit_id": data.get("visit_id"),
        "kind": data["kind"],
        "quantity": data["quantity"],
        "recorded_at": data["recorded_at"],
        "note": data.get("note", ""),
    }
    return create_once(StockMovement, data["id"], values, "stock movement")


def movements_query(actor: User, filters: dict):
    stmt = select(StockMovement).where(field_record_scope(actor, StockMovement))
    for name in ("store_id", "material_id", "kind", "visit_id", "rep_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(StockMovement, name) == filters[name])
    return stmt.order_by(StockMovement.recorded_at.desc(), StockMovement.id)


def visible_movement(actor: User, movement_id: uuid.UUID) -> StockMovement:
    row = db.session.scalar(
        select(StockMovement).where(StockMovement.id == movement_id, field_record_scope(actor, StockMovement))
    )
    if row is None:
        raise NotFound(
            f"No stock movement {movement_id}.", reason="stock.not_found", params={"movement_id": str(movement_id)}
        )
    return row


def fold(movements: list[StockMovement]) -> dict:
    """Stock after a store's movements of one material, in the order they happened.

    A count sets the stock; deliveries add, uses and returns subtract. Entries made before the
    latest count only matter through it.
    """
    stock = 0
    counted_at = last_at = None
    for m in movements:
        if m.kind == MovementKind.COUNTED:
            stock, counted_at = m.quantity, m.recorded_at
        else:
            stock += SIGN[MovementKind(m.kind)] * m.quantity
        last_at = m.recorded_at
    return {"quantity": stock, "last_counted_at": counted_at, "last_movement_at": last_at}


def current_stock(actor: User, store_id: int) -> list[dict]:
    """Current stock per material at a store = the latest count plus the movements after it."""
    check_role(actor, *FIELD_READERS)
    visible_store(actor, store_id)
    rows = db.session.scalars(
        select(StockMovement)
        .where(StockMovement.store_id == store_id)
        .order_by(StockMovement.material_id, StockMovement.recorded_at, StockMovement.received_at)
    )
    by_material: dict[int, list[StockMovement]] = defaultdict(list)
    for m in rows:
        by_material[m.material_id].append(m)
    materials = {
        m.id: m for m in db.session.scalars(select(PromoMaterial).where(PromoMaterial.id.in_(list(by_material))))
    }
    return [
        {"material_id": mid, "material_code": materials[mid].code, "material_name": materials[mid].name} | fold(moves)
        for mid, moves in sorted(by_material.items())
    ]
