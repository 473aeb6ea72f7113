"""Market intelligence from the field: price observations and store intel reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, Numeric, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.records import FieldRecordMixin
from ..extensions import db

_PROMO = text("promo_price IS NOT NULL OR promo_text <> ''")


class PriceObservation(FieldRecordMixin, db.Model):
    """A price seen on a shelf: exactly one of our product or a competitor's model."""

    __tablename__ = "price_observations"
    __table_args__ = (
        CheckConstraint("(product_id IS NULL) <> (competitor_model_id IS NULL)", name="one_model"),
        Index("ix_price_observations_store_observed", "store_id", "observed_at"),
        Index("ix_price_observations_cmodel_observed", "competitor_model_id", "observed_at"),
        Index("ix_price_observations_product_observed", "product_id", "observed_at"),
        # HQ's "promotions seen", newest first: only the observations with a promotion.
        Index(
            "ix_price_observations_promo_observed",
            "observed_at",
            postgresql_where=_PROMO,
            sqlite_where=_PROMO,
        ),
    )

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id"), index=True)
    # For the flush's order only (never read: lazy="raise"): a push adds a visit and the records
    # made in it in one flush, and the unit of work puts the visit's INSERT first only when a
    # relationship links the two (core.batch.find_record relies on it).
    visit = relationship("Visit", lazy="raise")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    competitor_model_id: Mapped[int | None] = mapped_column(ForeignKey("competitor_models.id"))
    shelf_price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    promo_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    promo_text: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    observed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class IntelKind(StrEnum):
    NEW_STORE = "new_store"
    OPENING = "opening"
    MOVING = "moving"
    RENOVATION = "renovation"
    CLOSING = "closing"
    NEW_COMPETITOR_COUNTER = "new_competitor_counter"


class IntelStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class IntelReport(FieldRecordMixin, db.Model):
    __tablename__ = "intel_reports"

    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    # The known store the report is about (moving, closing…), if any.
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    # Where the report belongs for scoping: the store's territory, else the rep's.
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True, nullable=False)
    notes: Mapped[str] = mapped_column(String(2000), default="", nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=IntelStatus.PENDING, nullable=False)
    reported_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    # The manager's review: who, when, why, and the store it led to (created, or the duplicate).
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str] = mapped_column(String(500), default="", server_default="", nullable=False)
    resolved_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))


class IntelDuplicateCandidate(db.Model):
    """A known store very close to a reported one, or near it with a similar name: maybe the
    same place (`service.is_duplicate_candidate`)."""

    __tablename__ = "intel_duplicate_candidates"

    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("intel_reports.id"), primary_key=True)
    # For the flush's order only (never read): a push run writes a report and its candidates in
    # one flush, and the unit of work inserts the report first only when a relationship says so.
    report = relationship("IntelReport", lazy="raise")
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    distance_m: Mapped[float] = mapped_column(Float, nullable=False)
    name_similarity: Mapped[float] = mapped_column(Float, nullable=False)
    rank: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
