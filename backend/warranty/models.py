"""Warranty cards (保修卡), shipments from HQ's logistics, IMEI spot checks, and diversion flags.

A card belongs to the store that sold the phone. Shipments say where each unit was meant to be
sold (destination region, channel partner). A card or a spot check in another region than the
unit's shipment raises a `DiversionFlag` (窜货), whichever of the two reached us first.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.records import FieldRecordMixin
from ..core.timeutil import utcnow
from ..extensions import db

# A live card: neither voided (registered in error) nor closed by a 三包 return or exchange.
_LIVE = text("voided_at IS NULL AND closed_at IS NULL")


class ClosedKind(StrEnum):
    """Why a card stopped being live through a 三包 service event (aftersales)."""

    RETURNED = "returned"  # 退货: the buyer returned the phone; the unit is back in channel stock
    EXCHANGED = "exchanged"  # 换货: replaced by another unit, whose card `replaces_card_id` names this one


class WarrantyCard(db.Model):
    """One phone sold at one store to one buyer. The id is the clerk's device's UUID."""

    __tablename__ = "warranty_cards"
    __table_args__ = (
        # One live card per IMEI; a voided card (registered in error) frees its IMEI, and so does a
        # card closed by a return or an exchange (the unit may be sold again).
        Index("uq_warranty_cards_live_imei", "imei", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("ix_warranty_cards_imei", "imei"),
        Index("ix_warranty_cards_imei2", "imei2"),
        Index("ix_warranty_cards_store_registered", "store_id", "registered_at"),
        # A store's cards of a model over a period (the channel's declared-vs-cards list).
        Index("ix_warranty_cards_store_product_purchase", "store_id", "product_id", "purchase_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    imei: Mapped[str] = mapped_column(String(15), nullable=False)
    imei2: Mapped[str | None] = mapped_column(String(15))  # the second slot of a dual-SIM phone
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    serial_number: Mapped[str] = mapped_column(String(40), nullable=False)
    buyer_name: Mapped[str] = mapped_column(String(60), nullable=False)
    buyer_phone: Mapped[str] = mapped_column(String(20), nullable=False)
    buyer_address: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    invoice_number: Mapped[str] = mapped_column(String(40), nullable=False)
    purchase_date: Mapped[date] = mapped_column(Date, nullable=False)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    registered_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    registered_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # the device's time
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    revision: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    corrected_at: Mapped[datetime | None] = mapped_column(DateTime)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime)
    voided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    # 三包 (aftersales): set by a return or an exchange, never both, never undone. A closed card
    # frees its IMEIs (warranty_imeis) like a voided one, and counts as no sell-out; a returned
    # unit is back in channel stock, an exchanged one is not (it went to after-sales: rollup).
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_kind: Mapped[str | None] = mapped_column(String(16))  # ClosedKind
    # The card of the unit this one replaced in an exchange: this card inherits its purchase date
    # (an exchange does not restart 三包) and its buyer.
    replaces_card_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("warranty_cards.id"), index=True)


class WarrantyImei(db.Model):
    """The IMEIs held by live cards, one row per IMEI whichever slot it is in: the database's
    guarantee of one live card per phone (a unique index on `imei` alone cannot see `imei2`, so
    two counters registering the same phone by its two IMEIs at once could both pass). Written
    by the service with the card; a voided or closed card's rows are deleted, freeing its IMEIs."""

    __tablename__ = "warranty_imeis"

    imei: Mapped[str] = mapped_column(String(15), primary_key=True)
    card_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("warranty_cards.id", ondelete="CASCADE"), index=True, nullable=False
    )


class WarrantyCardRevision(db.Model):
    """The history of a card: what each correction, the voiding or a 三包 service event changed,
    by whom, when."""

    __tablename__ = "warranty_card_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("warranty_cards.id"), index=True, nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)  # the card's revision after it
    # "correct" | "void" | "return" | "exchange" | "repair" (the 三包 service events, aftersales)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    changes: Mapped[dict] = mapped_column(JSON, nullable=False)  # {field: [old, new]}
    changed_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ShipmentImport(db.Model):
    """One CSV file of shipments uploaded by HQ, loaded by a background job."""

    __tablename__ = "shipment_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    duplicate_of: Mapped[int | None] = mapped_column(Integer)  # an earlier import of the same bytes
    total_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    processed_bytes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.QUEUED, nullable=False)
    rows_read: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rows_bad: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    flags_raised: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    error: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    # The error's reason code (core/reasons.py) and params, for a client to say it in its language.
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_params: Mapped[dict | None] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def progress(self) -> float:
        """0–1, by bytes read."""
        return round(self.processed_bytes / self.total_bytes, 4) if self.total_bytes else 1.0


class ShipmentImportError(db.Model):
    """A row of an import that was not loaded, with its line number and why."""

    __tablename__ = "shipment_import_errors"
    __table_args__ = (Index("ix_shipment_import_errors_import_line", "import_id", "line"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("shipment_imports.id"), nullable=False)
    line: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(String(300), nullable=False)
    code: Mapped[str | None] = mapped_column(String(64))  # the reason's code (core/reasons.py)
    params: Mapped[dict | None] = mapped_column(JSON)  # and its params
    raw: Mapped[str] = mapped_column(String(500), default="", nullable=False)


class Shipment(db.Model):
    """A unit that left our warehouse for a region's channel partner. One row per IMEI.

    Its four parents (import, product, region, partner) are declared as foreign keys below, and
    SQLite has them. On PostgreSQL they are checked by statement-level triggers instead
    (migration d16v00000001: the same rules, one check of each distinct parent per statement,
    not one trigger call per row, which took two thirds of an import batch's INSERT), so rows go
    in many to a statement (`warranty.imports.insert_shipments`); `in_migrations` keeps
    Alembic's comparison from asking for the foreign keys back there."""

    __tablename__ = "shipments"
    # A region's units of a model by ship date: the channel's aging and FIFO lists name them. The
    # partner and the IMEI make a cohort's units (region, model, week, partner) an index-only read.
    __table_args__ = (
        Index("ix_shipments_cohort", "region_id", "product_id", "ship_date", "partner_id", postgresql_include=["imei"]),
    )

    imei: Mapped[str] = mapped_column(String(15), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    ship_date: Mapped[date] = mapped_column(Date, nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), nullable=False)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    import_id: Mapped[int] = mapped_column(ForeignKey("shipment_imports.id"), nullable=False)
    line: Mapped[int] = mapped_column(Integer, nullable=False)


SET_WISE_PARENTS = frozenset(("import_id", "product_id", "region_id", "partner_id"))
"""The shipments' columns whose parents PostgreSQL checks per statement (`Shipment`)."""


def in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's `include_object`: everything but, on PostgreSQL, the shipments' foreign keys to
    the parents that triggers check there (`Shipment`)."""
    if type_ != "foreign_key_constraint" or db.engine.dialect.name != "postgresql":
        return True
    table = getattr(obj, "table", None) if reflected else getattr(obj, "parent", None)
    columns = {c.name for c in obj.columns}
    return not (getattr(table, "name", None) == Shipment.__tablename__ and columns <= SET_WISE_PARENTS)


class ShipmentMatch(StrEnum):
    MATCHES = "matches"
    DIVERTED = "diverted"
    NO_RECORD = "no_record"


class ImeiSpotCheck(FieldRecordMixin, db.Model):
    """An IMEI a rep saw on a store's shelf (抽查), checked against shipments like a card."""

    __tablename__ = "imei_spot_checks"
    __table_args__ = (Index("ix_imei_spot_checks_store_seen", "store_id", "seen_at"),)

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id"), index=True)
    # For the flush's order only (never read: lazy="raise"): a push adds a visit and the records
    # made in it in one flush, and the unit of work puts the visit's INSERT first only when a
    # relationship links the two (core.batch.find_record relies on it).
    visit = relationship("Visit", lazy="raise")
    imei: Mapped[str] = mapped_column(String(15), index=True, nullable=False)
    seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    shipment_match: Mapped[str] = mapped_column(String(16), default=ShipmentMatch.NO_RECORD, nullable=False)


class FlagSource(StrEnum):
    CARD = "card"
    SPOT_CHECK = "spot_check"


class DiversionFlag(db.Model):
    """A unit sold or seen in another region than it was shipped to (possible 窜货)."""

    __tablename__ = "diversion_flags"
    __table_args__ = (
        Index("ix_diversion_flags_partner", "partner_id"),
        Index("ix_diversion_flags_shipped_region", "shipped_region_id"),
        Index("ix_diversion_flags_sold_region", "sold_region_id"),
        Index("ix_diversion_flags_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imei: Mapped[str] = mapped_column(String(15), index=True, nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    card_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("warranty_cards.id"), unique=True)
    spot_check_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("imei_spot_checks.id"), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), nullable=False)
    sold_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), nullable=False)
    shipped_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), nullable=False)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), nullable=False)
    ship_date: Mapped[date] = mapped_column(Date, nullable=False)
    seen_on: Mapped[date] = mapped_column(Date, nullable=False)  # purchase date, or spot-check day
    flagged_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
