"""What a rep hears and counts at a store about phones (not promo materials): units of our
models on hand (shop stock), units sold as the store reports them where no clerk registers
warranty cards (declared sell-out), and competitors' sales as estimated by whoever the rep asked.

All three are append-only field records (client UUID, idempotent), recorded offline in a visit
and synced like prices. Warranty cards stay the exact sell-out; these are what the store says.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.records import FieldRecordMixin
from ..extensions import db


class Source(StrEnum):
    """Who gave a sell-out figure."""

    PROMOTER = "promoter"  # our promoter at the counter (促销员)
    CLERK = "clerk"  # the store's own staff
    OWNER = "owner"  # the shop owner or manager
    COMPETITOR_PROMOTER = "competitor_promoter"  # the competitor's promoter
    REP_ESTIMATE = "rep_estimate"  # the rep's own estimate (shelf gaps, boxes, talk)


class Band(StrEnum):
    """A coarse weekly volume, for a competitor figure nobody will put a number on."""

    NONE = "0"
    FEW = "1-5"
    SOME = "6-20"
    MANY = "21-50"
    LOTS = "50+"


BAND_UNITS = {Band.NONE: 0, Band.FEW: 3, Band.SOME: 13, Band.MANY: 35, Band.LOTS: 60}
"""The units a band counts for in the rollups (its middle; 60 for "50+")."""


class ShopStockCount(FieldRecordMixin, db.Model):
    """Units of one of our models on hand at a store, counted by a rep. 0 is "out of stock",
    an answer of its own: the store's latest count of a model is its shop stock."""

    __tablename__ = "shop_stock_counts"
    __table_args__ = (Index("ix_shop_stock_counts_store_product_at", "store_id", "product_id", "counted_at"),)

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id"), index=True)
    # For the flush's order only (never read: lazy="raise"): see stock.models.StockMovement.
    visit = relationship("Visit", lazy="raise")
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    on_hand: Mapped[int] = mapped_column(Integer, nullable=False)
    demo_unit: Mapped[bool | None] = mapped_column(Boolean)  # a demo phone on the counter; None: not asked
    counted_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # the device's time


class SellOutReport(FieldRecordMixin, db.Model):
    """Units of one of our models a store says it sold from `period_start` to `period_end`
    (inclusive; usually since the last report), as told by `source`."""

    __tablename__ = "sellout_reports"
    __table_args__ = (Index("ix_sellout_reports_store_product_end", "store_id", "product_id", "period_end"),)

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id"), index=True)
    # For the flush's order only (never read: lazy="raise"): see stock.models.StockMovement.
    visit = relationship("Visit", lazy="raise")
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    units: Mapped[int] = mapped_column(Integer, nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(String(24), nullable=False)
    reported_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # the device's time


class CompetitorSellOut(FieldRecordMixin, db.Model):
    """A competitor model's sales at a store in one ISO week (Monday `week_start`): a number of
    units or a band, never both, as told by `source` (销量情况)."""

    __tablename__ = "competitor_sellout"
    __table_args__ = (Index("ix_competitor_sellout_store_model_week", "store_id", "competitor_model_id", "week_start"),)

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id"), index=True)
    # For the flush's order only (never read: lazy="raise"): see stock.models.StockMovement.
    visit = relationship("Visit", lazy="raise")
    competitor_model_id: Mapped[int] = mapped_column(ForeignKey("competitor_models.id"), nullable=False)
    week_start: Mapped[date] = mapped_column(Date, nullable=False)
    units: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(24), nullable=False)
    reported_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # the device's time
