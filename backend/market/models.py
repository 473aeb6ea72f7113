"""HQ's market intelligence: price rollups kept up to date as observations arrive, and price-drop
alerts raised from them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db

NATIONAL = 0  # region_id of the cells over all regions


class PriceCell(db.Model):
    """Prices of one model in one region (or nationwide, region 0) over one day or ISO week.

    `price` is what a buyer pays: the promotional price when there is one, else the shelf price.
    Dashboards read these instead of the raw observations; a job recomputes a cell whenever an
    observation of it arrives (see `PriceCellDirty`).
    """

    __tablename__ = "price_cells"
    __table_args__ = (
        UniqueConstraint("period", "model_key", "region_id", "period_start", name="uq_price_cells_key"),
        Index("ix_price_cells_period_start", "period", "period_start"),
        # Totals over a region (the promotions count) without reading every model's cells.
        Index("ix_price_cells_period_region_start", "period", "region_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(4), nullable=False)  # "day" | "week"
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    region_id: Mapped[int] = mapped_column(Integer, nullable=False)
    model_key: Mapped[str] = mapped_column(String(16), nullable=False)  # "p<product id>" | "c<competitor model id>"
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    competitor_model_id: Mapped[int | None] = mapped_column(ForeignKey("competitor_models.id"))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("competitor_brands.id"))  # None: ours
    n: Mapped[int] = mapped_column(Integer, nullable=False)
    n_promo: Mapped[int] = mapped_column(Integer, nullable=False)
    median: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    min: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    max: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    mean: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class PriceCellDirty(db.Model):
    """A cell whose observations changed since it was last computed (written with the observation)."""

    __tablename__ = "price_cells_dirty"

    period: Mapped[str] = mapped_column(String(4), primary_key=True)
    model_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)


class PriceAlert(db.Model):
    """A competitor model's median price in a region fell sharply from one period to the next.

    One alert per (model, region, period, period_start): a drop is reported once, however often
    its cells are recomputed.
    """

    __tablename__ = "price_alerts"
    __table_args__ = (
        UniqueConstraint("competitor_model_id", "region_id", "period", "period_start", name="uq_price_alerts_drop"),
        Index("ix_price_alerts_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competitor_model_id: Mapped[int] = mapped_column(ForeignKey("competitor_models.id"), nullable=False)
    brand_id: Mapped[int] = mapped_column(ForeignKey("competitor_brands.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), nullable=False)
    period: Mapped[str] = mapped_column(String(4), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    previous_start: Mapped[date] = mapped_column(Date, nullable=False)
    previous_median: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    current_median: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    drop_pct: Mapped[float] = mapped_column(Float, nullable=False)
    previous_n: Mapped[int] = mapped_column(Integer, nullable=False)
    current_n: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
