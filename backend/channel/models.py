"""The channel's rollups: units shipped into each region's channel (sell-in, from shipment
imports) and sold out of it (warranty cards, exact at IMEI level), and the sell-out stores
declare and estimate (sellout package), by ISO week (Monday). Kept current in the transaction
that writes what they count (see `rollup.py`); `rebuild` recomputes them all from the raw rows.

The screens read these, never the raw tables: channel stock, weeks of cover, sell-through,
aging and FIFO breaks are sums over a few thousand cells, whatever the number of units.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db

_INTS = ARRAY(Integer).with_variant(JSON, "sqlite")  # PostgreSQL's integer[] (SQLite: never written)

NO_PARTNER = 0  # partner_id of units shipped to a region without a named partner
NATIONAL = 0  # region_id of sell-out cells over all regions


class ChannelCohort(db.Model):
    """The units of one model shipped to one region's partner in one week, and how many of them
    have left the channel's stock (a live or exchanged warranty card holds their IMEI: each unit
    once, `rollup.py`). shipped − sold is what is left of them in the channel; the cohort's age
    is its ship week's. Cards only: declared sell-out names no IMEI, so aging and FIFO breaks,
    which read the cohorts, are IMEI-level."""

    __tablename__ = "channel_cohorts"
    __table_args__ = (Index("ix_channel_cohorts_product_region", "product_id", "region_id", "ship_week"),)

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # NO_PARTNER: none named
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ship_week: Mapped[date] = mapped_column(Date, primary_key=True)
    shipped: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    sold: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class ChannelSale(db.Model):
    """Units of a cohort (region, partner, model, ship week) sold in one week (the cards'
    purchase dates). A cohort's `sold` is the sum of its sales; a region's weekly sell-out of
    a model, the sum over its cohorts."""

    __tablename__ = "channel_sales"
    __table_args__ = (
        Index("ix_channel_sales_product_region_week", "product_id", "region_id", "sale_week"),
        Index("ix_channel_sales_week", "sale_week"),  # the last few weeks' sales (FIFO breaks)
    )

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ship_week: Mapped[date] = mapped_column(Date, primary_key=True)
    sale_week: Mapped[date] = mapped_column(Date, primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class ChannelStock(db.Model):
    """All-time totals of one model in one region's partner's channel: units shipped, units sold.
    `sold` is the partner's cohorts' sold (units out, by their IMEIs) plus `declared`: the units
    stores of the region that register no cards (no clerk) declared sold (sellout reports), for
    the store's partner (NO_PARTNER: none), which no IMEI says. Kept apart so that the stock
    screen and the alerts read a row per (region, partner, model) — a few thousand — not a row
    per cohort. Stock = shipped − sold, never below 0 (`figures`)."""

    __tablename__ = "channel_stock"
    __table_args__ = (Index("ix_channel_stock_product", "product_id", "region_id"),)

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipped: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    sold: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # declared included
    declared: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)


class ChannelShippedPending(db.Model):
    """The units of a bulk load's batch (the shipment import's) not yet added to the cohorts, the
    channel weeks and the stock: one row per batch holding its units' values as four arrays, as
    the batch's INSERT had them, appended by the batch's commit and grouped and added to those
    three tables (`rollup.fold_pending`) once the load has gathered CHANNEL_FOLD_UNITS units, when
    the import ends, and by the housekeeping task `channel-fold` (an import cut short). One row of
    arrays costs a batch far less than updating the thousands of cohort and week rows an import of
    units shipped over a year touches at every batch; the screens see a running import's units a
    fold later. PostgreSQL only (arrays): elsewhere the units are added at the batch's commit."""

    __tablename__ = "channel_shipped_pending"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True)
    regions: Mapped[list[int]] = mapped_column(_INTS, nullable=False)
    partners: Mapped[list[int | None]] = mapped_column(_INTS, nullable=False)  # None: no partner named
    products: Mapped[list[int]] = mapped_column(_INTS, nullable=False)
    days: Mapped[list[date]] = mapped_column(ARRAY(Date).with_variant(JSON, "sqlite"), nullable=False)


class ChannelWeek(db.Model):
    """Units of one model shipped into (by ship week) and sold out of (by the cards' purchase
    week; declared units as `ChannelStock` says, spread over their report's weeks) one region's
    partner's channel in one week, whatever the cohort: weekly sell-out, weeks of cover and
    sell-through read a few weeks of these rather than every cohort's sales."""

    __tablename__ = "channel_weeks"
    __table_args__ = (
        Index("ix_channel_weeks_week", "week_start"),
        Index("ix_channel_weeks_product_week", "product_id", "week_start"),
    )

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    shipped: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    sold: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # declared included
    declared: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)


class StoreSellOutWeek(db.Model):
    """One store's sell-out of one model in one week, where it was sold: units on live warranty
    cards registered there (exact), units the store declared (sellout reports, spread over the
    weeks of their period by days: `rules.spread_over_weeks`; a report counts once in
    `declared_reports`, in the week its period ends), and, for competitor models, the estimates heard (bands counted at
    their middle). A store with cards and declarations keeps both: the screens show where they
    disagree."""

    __tablename__ = "store_sellout_weeks"
    __table_args__ = (Index("ix_store_sellout_weeks_model_week", "model_key", "week_start"),)

    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_key: Mapped[str] = mapped_column(String(16), primary_key=True)  # "p<product id>" | "c<competitor model id>"
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    card_units: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    declared_units: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    declared_reports: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    estimated_units: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    estimates: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class SellOutCell(db.Model):
    """The same figures summed over a region's stores (or all stores: region NATIONAL) for one
    model and week: the sell-through trend HQ reads beside the price trend."""

    __tablename__ = "sellout_cells"
    __table_args__ = (Index("ix_sellout_cells_region_week", "region_id", "week_start"),)

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    card_units: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    declared_units: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    declared_reports: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    estimated_units: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    estimates: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class AlertKind(StrEnum):
    STOCK_OUT = "stock_out"  # a store counted 0 of a model its region is selling
    COVER_LOW = "cover_low"  # a region's weeks of cover of a model fell below the threshold
    COVER_HIGH = "cover_high"  # … or rose above the other one (overstock risk)


class ChannelAlert(db.Model):
    """A replenishment or stock alert, raised once per (kind, model, store or region, week)."""

    __tablename__ = "channel_alerts"
    __table_args__ = (
        UniqueConstraint("kind", "product_id", "scope_key", "week_start", name="uq_channel_alerts_once"),
        Index("ix_channel_alerts_created", "created_at"),
        Index("ix_channel_alerts_region", "region_id", "created_at"),
        Index("ix_channel_alerts_store", "store_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), nullable=False)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))  # stock_out only
    scope_key: Mapped[str] = mapped_column(String(24), nullable=False)  # "s<store id>" | "r<region id>"
    week_start: Mapped[date] = mapped_column(Date, nullable=False)
    # The evidence: channel stock and average weekly sell-out of the model in the region (the
    # last CHANNEL_SALES_WEEKS complete weeks), the weeks of cover they make, and for a
    # stock-out the count that said 0.
    stock: Mapped[int] = mapped_column(Integer, nullable=False)
    weekly_sales: Mapped[float] = mapped_column(Float, nullable=False)
    cover_weeks: Mapped[float | None] = mapped_column(Float)
    count_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("shop_stock_counts.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
