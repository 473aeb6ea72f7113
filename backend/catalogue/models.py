"""What reps talk about in stores: our products, competitors' models, promo materials, VI checklist."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Product(db.Model):
    """One of our own phone models."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)  # the Chinese (primary) name
    name_en: Mapped[str | None] = mapped_column(String(120))  # the English name, when it differs
    launch_date: Mapped[date | None] = mapped_column(Date)
    list_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Days after which a unit of this model still unsold in the channel counts as aging (its
    # life cycle); None: CHANNEL_AGING_DAYS.
    aging_days: Mapped[int | None] = mapped_column(Integer)
    # The Type Allocation Codes (first 8 IMEI digits) of this model's units: a warranty card whose
    # IMEI starts with another model's TAC was filled in with the wrong model (or IMEI).
    tac_codes: Mapped[list] = mapped_column(JSON, default=list, server_default="[]", nullable=False)
    # 三包 terms from the purchase date, per model (the national rules are 7 / 15 days, 1 year).
    return_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7", nullable=False)
    exchange_days: Mapped[int] = mapped_column(Integer, default=15, server_default="15", nullable=False)
    repair_months: Mapped[int] = mapped_column(Integer, default=12, server_default="12", nullable=False)
    # The competitor models this one is set against (HQ's price charts show them side by side).
    rival_model_ids: Mapped[list] = mapped_column(JSON, default=list, server_default="[]", nullable=False)


class CompetitorBrand(db.Model):
    __tablename__ = "competitor_brands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)  # the Chinese (primary) name
    name_en: Mapped[str | None] = mapped_column(String(80))  # the English name, when it differs
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class CompetitorModel(db.Model):
    __tablename__ = "competitor_models"
    __table_args__ = (UniqueConstraint("brand_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("competitor_brands.id"), index=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)  # the Chinese (primary) name
    name_en: Mapped[str | None] = mapped_column(String(120))  # the English name, when it differs
    launch_date: Mapped[date | None] = mapped_column(Date)
    list_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class MaterialKind(StrEnum):
    POSTER = "poster"
    STANDEE = "standee"
    DEMO_UNIT = "demo_unit"
    GIFT = "gift"
    OTHER = "other"


class PromoMaterial(db.Model):
    """促销物品: posters, standees, demo units, gifts; issued to stores and tracked by ledger."""

    __tablename__ = "promo_materials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)  # the Chinese (primary) name
    name_en: Mapped[str | None] = mapped_column(String(120))  # the English name, when it differs
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class AnswerType(StrEnum):
    YES_NO = "yes_no"
    NUMBER = "number"


class OnFail(StrEnum):
    """What a failed answer ("no", or a number under target) must come with."""

    NONE = "none"
    REASON = "reason"  # the answer's `reason` text
    PHOTO = "photo"  # a photo on the display check
    PHOTO_OR_REASON = "photo_or_reason"


class ChecklistItem(db.Model):
    """One VI norm (VI规范) checked on every display check.

    A yes/no item passes on "yes"; a number item passes when the answer reaches `target`
    (e.g. "working demo phones ≥ 2"). `weight` is its share of the score. `on_fail` (OnFail)
    says what a failed answer must come with: a reason, a photo on the check, either, or nothing.
    """

    __tablename__ = "checklist_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    label_zh: Mapped[str] = mapped_column(String(200), nullable=False)
    label_en: Mapped[str] = mapped_column(String(200), nullable=False)
    answer_type: Mapped[str] = mapped_column(String(16), nullable=False)
    target: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    on_fail: Mapped[str] = mapped_column(String(16), default=OnFail.NONE, server_default="none", nullable=False)
