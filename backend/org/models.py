"""The sales organisation: regions (大区), territories (片区) and channel partners (渠道伙伴)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)


class Territory(db.Model):
    __tablename__ = "territories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True, nullable=False)


class PartnerKind(StrEnum):
    NATIONAL_DISTRIBUTOR = "national_distributor"  # 国包商
    PROVINCIAL_DISTRIBUTOR = "provincial_distributor"  # 省包商
    LOCAL_DISTRIBUTOR = "local_distributor"  # 地包商
    RETAIL_CHAIN = "retail_chain"  # 国美、苏宁、迪信通…
    CARRIER = "carrier"  # 移动、联通、电信
    ONLINE = "online"


class Partner(db.Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    # A local distributor buys from a provincial one, which buys from a national one.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # An authorised repair provider: a clerk may refer a phone under 三包 repair to it.
    repair_provider: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
