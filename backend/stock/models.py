"""Promo-material stock ledger: deliveries, uses, returns and counts per store and material."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.records import FieldRecordMixin
from ..extensions import db


class MovementKind(StrEnum):
    DELIVERED = "delivered"  # arrived at the store: +quantity
    USED = "used"  # handed out / put up / worn out: -quantity
    RETURNED = "returned"  # sent back from the store: -quantity
    COUNTED = "counted"  # a stock count: stock is now exactly quantity


class StockMovement(FieldRecordMixin, db.Model):
    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_store_material_at", "store_id", "material_id", "recorded_at"),
        Index("ix_stock_movements_recorded_at", "recorded_at"),  # HQ's material use by period
    )

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    material_id: Mapped[int] = mapped_column(ForeignKey("promo_materials.id"), nullable=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id"), index=True)
    # For the flush's order only (never read: lazy="raise"): a push adds a visit and the records
    # made in it in one flush, and the unit of work puts the visit's INSERT first only when a
    # relationship links the two (core.batch.find_record relies on it).
    visit = relationship("Visit", lazy="raise")
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    note: Mapped[str] = mapped_column(String(500), default="", nullable=False)
