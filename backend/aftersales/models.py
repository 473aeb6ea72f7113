"""三包 service events: what a store's clerk does with a sold phone the buyer brings back.

- a return (退货) within the model's return days closes the card (`WarrantyCard.closed_kind =
  returned`): the unit is back in channel stock and may be sold again under a new card;
- an exchange (换货) within the exchange days closes the card (`exchanged`) and registers a new
  card for the replacement unit, which inherits the purchase date (三包 is not restarted) and the
  buyer (`WarrantyCard.replaces_card_id`); the faulty unit is not back in channel stock;
- a repair referral (维修) within the repair months hands the phone to an authorised repair point
  (a store of kind `service_point`, or a partner that is a `repair_provider`); the card stays
  live and its history shows the referral.

Events are field records of the clerk's device: client UUID, idempotent, over REST and sync.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import utcnow
from ..extensions import db


class EventKind(StrEnum):
    RETURN = "return"  # 退货
    EXCHANGE = "exchange"  # 换货
    REPAIR = "repair"  # 维修 (a referral to a repair point)


class FaultCode(db.Model):
    """A fault a clerk can name for a return, an exchange or a repair: HQ's list (configurable)."""

    __tablename__ = "fault_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)  # e.g. "screen", "no_fault"
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # Chinese
    name_en: Mapped[str | None] = mapped_column(String(100))
    # False for "no fault / changed mind" (无理由): allowed for a return only where
    # WARRANTY_NO_FAULT_RETURNS says so, never for an exchange or a repair.
    is_fault: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # order in the clerk's list
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class ServiceEvent(db.Model):
    """One return, exchange or repair referral of a warranty card, at the store that sold it."""

    __tablename__ = "service_events"
    __table_args__ = (
        # HQ's quality figures: a model's events by the week its units were bought, per region.
        Index("ix_service_events_product_purchase", "product_id", "purchase_date"),
        Index("ix_service_events_store_occurred", "store_id", "occurred_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the clerk's device's UUID
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # EventKind
    card_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("warranty_cards.id"), index=True, nullable=False)
    # Copied from the card when the event is recorded (the rates group by them without a join):
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True, nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    purchase_date: Mapped[date] = mapped_column(Date, nullable=False)
    fault_code_id: Mapped[int] = mapped_column(ForeignKey("fault_codes.id"), nullable=False)
    note: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # the device's time (UTC)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)  # its business day: the window's day
    # An exchange: the replacement unit's new card (created with the event, id from the device).
    new_card_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("warranty_cards.id"), unique=True)
    # A repair referral: where the phone went (exactly one of the two).
    repair_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    repair_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    # The 三包 dates that allowed it, as the server computed them (the card's history shows them).
    terms: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


# --- HQ's quality figures, kept as data arrives (quality_rollup.py, quality_alerts.py) ---------------


class QualitySaleRegion(db.Model):
    """The region a warranty card's unit was sold in: its store's region when the card was
    registered (a replacement unit's card: the region of the card it replaces — the same sale).
    Written by the quality rollup the first time it counts a card (and again if a correction moves
    the card to another store), never when a store later moves to another region: the unit was
    sold where the store was then. A card without a row has not been counted (bulk-loaded: run
    `flask rebuild-quality`, which gives it its store's current region)."""

    __tablename__ = "quality_sale_regions"

    card_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("warranty_cards.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), nullable=False)


class QualityDay(db.Model):
    """Units sold and service events per model, region of the sale and purchase day (the day, not
    the week: `since`/`until` are days; a week is a GROUP BY of a few rows). Units: cards not
    voided and not replacements; events: of cards not voided, against the event's model."""

    __tablename__ = "quality_days"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    purchase_date: Mapped[date] = mapped_column(Date, primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    returns: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    exchanges: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    repairs: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class QualityFaultDay(db.Model):
    """The events of `QualityDay` split by fault code (the models' top faults)."""

    __tablename__ = "quality_fault_days"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    purchase_date: Mapped[date] = mapped_column(Date, primary_key=True)
    fault_code_id: Mapped[int] = mapped_column(ForeignKey("fault_codes.id"), primary_key=True)
    returns: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    exchanges: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    repairs: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class QualityAlert(db.Model):
    """An early-life quality alert, raised once per (model, scope, window): scope "all" (every
    region: HQ's) or "r<region id>" (a region's: its manager's); the window starts at `since`
    (the model's launch, else its first card). The figures are the evidence when it was raised."""

    __tablename__ = "quality_alerts"
    __table_args__ = (UniqueConstraint("product_id", "scope_key", "since", name="uq_quality_alerts_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)  # None: every region
    scope_key: Mapped[str] = mapped_column(String(16), nullable=False)
    since: Mapped[date] = mapped_column(Date, nullable=False)
    weeks: Mapped[int] = mapped_column(Integer, nullable=False)  # weeks on sale when raised
    units_sold: Mapped[int] = mapped_column(Integer, nullable=False)
    returns_exchanges: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_per_1000: Mapped[float] = mapped_column(Float, nullable=False)
    threshold_per_1000: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
