"""Diversion (窜货) detection: a unit sold or seen in another region than it was shipped to.

The check runs from both sides, so the order in which things reach us does not matter: when a card
or spot check arrives, against the shipments already loaded; when shipments are imported, against
the cards and spot checks already there. Flags are kept in `DiversionFlag` (one per card or spot
check) so HQ's report is a plain grouped count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select

from ..auth.models import Role, User
from ..catalogue.models import Product
from ..core.auth import check_role
from ..core.sql import among
from ..core.timeutil import business_date
from ..extensions import db
from ..org.models import Partner, Region, Territory
from ..stores.models import Store
from .models import DiversionFlag, FlagSource, ImeiSpotCheck, Shipment, ShipmentMatch, WarrantyCard


def _store_regions(store_ids: Iterable[int]) -> dict[int, int]:
    ids = set(store_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Store.id, Territory.region_id)
        .join(Territory, Territory.id == Store.territory_id)
        .where(Store.id.in_(ids))
    )
    return dict(rows.all())


def _shipments(imeis: Iterable[str]) -> dict[str, Shipment]:
    wanted = {i for i in imeis if i}
    if not wanted:
        return {}
    return {s.imei: s for s in db.session.scalars(select(Shipment).where(Shipment.imei.in_(wanted)))}


def check_cards(cards: list[WarrantyCard], shipments: dict[str, Shipment] | None = None, new: bool = False) -> int:
    """Raise, move or drop the flags of `cards` (live ones) against shipments; `new`: the cards
    were just created, so they have no flags yet. Returns flags raised."""
    if shipments is None:
        shipments = _shipments(i for c in cards for i in (c.imei, c.imei2))
    regions = _store_regions(c.store_id for c in cards)
    existing = (
        {}
        if new
        else {
            f.card_id: f
            for f in db.session.scalars(select(DiversionFlag).where(DiversionFlag.card_id.in_([c.id for c in cards])))
        }
    )
    raised = 0
    for card in cards:
        ship = shipments.get(card.imei) or (shipments.get(card.imei2) if card.imei2 else None)
        live = card.voided_at is None and card.closed_at is None
        diverted = live and ship is not None and ship.region_id != regions[card.store_id]
        flag = existing.get(card.id)
        if not diverted:
            if flag is not None:
                db.session.delete(flag)
            continue
        if flag is None:
            flag = DiversionFlag(source=FlagSource.CARD, card_id=card.id)
            db.session.add(flag)
            raised += 1
        _fill(flag, ship, card.store_id, regions[card.store_id], card.purchase_date)
    db.session.flush()
    return raised


def check_spot_checks(checks: list[ImeiSpotCheck], shipments: dict[str, Shipment] | None = None) -> int:
    """Set each spot check's `shipment_match` and raise its flag if the unit was diverted."""
    if shipments is None:
        shipments = _shipments(c.imei for c in checks)
    regions = _store_regions(c.store_id for c in checks)
    existing = {
        f.spot_check_id: f
        for f in db.session.scalars(
            select(DiversionFlag).where(DiversionFlag.spot_check_id.in_([c.id for c in checks]))
        )
    }
    raised = 0
    for check in checks:
        ship = shipments.get(check.imei)
        if ship is None:
            match = ShipmentMatch.NO_RECORD
        elif ship.region_id == regions[check.store_id]:
            match = ShipmentMatch.MATCHES
        else:
            match = ShipmentMatch.DIVERTED
        if check.shipment_match != match:
            check.shipment_match = match  # the rep's device gets the answer through pull
        if match == ShipmentMatch.DIVERTED and check.id not in existing:
            flag = DiversionFlag(source=FlagSource.SPOT_CHECK, spot_check_id=check.id)
            # The day the rep saw it where the stores are (seen_at is UTC), like a purchase date.
            _fill(flag, ship, check.store_id, regions[check.store_id], business_date(check.seen_at))
            db.session.add(flag)
            raised += 1
    db.session.flush()
    return raised


def check_new_imeis(imeis: list[str]) -> int:
    """After an import batch: the cards and spot checks already registered for these units (the
    shipments themselves are loaded only for those)."""
    if not imeis:
        return 0
    # `among`: an array parameter each, not an IN list of a batch's 5,000 placeholders (three of
    # them here), which psycopg binds and PostgreSQL parses and plans anew per batch.
    cards = list(
        db.session.scalars(
            select(WarrantyCard).where(
                WarrantyCard.voided_at.is_(None),
                WarrantyCard.closed_at.is_(None),
                or_(among(WarrantyCard.imei, imeis), among(WarrantyCard.imei2, imeis)),
            )
        )
    )
    checks = list(db.session.scalars(select(ImeiSpotCheck).where(among(ImeiSpotCheck.imei, imeis))))
    raised = 0
    if cards:
        raised += check_cards(cards)
    if checks:
        raised += check_spot_checks(checks)
    return raised


def drop_card_flag(card_id: uuid.UUID) -> None:
    db.session.execute(delete(DiversionFlag).where(DiversionFlag.card_id == card_id))


def _fill(flag: DiversionFlag, ship: Shipment, store_id: int, sold_region: int, seen_on) -> None:
    flag.imei = ship.imei
    flag.store_id = store_id
    flag.sold_region_id = sold_region
    flag.shipped_region_id = ship.region_id
    flag.partner_id = ship.partner_id
    flag.product_id = ship.product_id
    flag.ship_date = ship.ship_date
    flag.seen_on = seen_on


# --- HQ's report ---------------------------------------------------------------------------------

DIMENSIONS = {
    "partner": (DiversionFlag.partner_id, Partner, Partner.name),
    "shipped_region": (DiversionFlag.shipped_region_id, Region, Region.name),
    "sold_region": (DiversionFlag.sold_region_id, Region, Region.name),
    "model": (DiversionFlag.product_id, Product, Product.model_code),
}
FILTERS = ("partner_id", "shipped_region_id", "sold_region_id", "product_id", "source")


def _filtered(stmt, filters: dict):
    for name in FILTERS:
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(DiversionFlag, name) == filters[name])
    if filters.get("since") is not None:
        stmt = stmt.where(DiversionFlag.seen_on >= filters["since"])
    if filters.get("until") is not None:
        stmt = stmt.where(DiversionFlag.seen_on <= filters["until"])
    return stmt


def summary(actor: User, by: str, filters: dict) -> list[dict]:
    """Flag counts grouped by partner, shipped region, sold region or model; largest first."""
    check_role(actor, Role.HQ, Role.ADMIN)
    column, model, name = DIMENSIONS[by]
    count = func.count(DiversionFlag.id).label("count")
    stmt = _filtered(
        select(column.label("id"), name.label("name"), count)
        .select_from(DiversionFlag)
        .outerjoin(model, model.id == column)
        .group_by(column, name),
        filters,
    ).order_by(count.desc(), column.asc().nulls_last())
    return [{"id": r.id, "name": r.name, "count": r.count} for r in db.session.execute(stmt)]


def flags_query(actor: User, filters: dict):
    check_role(actor, Role.HQ, Role.ADMIN)
    return _filtered(select(DiversionFlag), filters).order_by(DiversionFlag.flagged_at.desc(), DiversionFlag.id.desc())


def describe(flags: list[DiversionFlag]) -> list[dict]:
    """Flags with the names HQ reads (store, regions, partner, model)."""
    if not flags:
        return []
    stores = dict(
        db.session.execute(select(Store.id, Store.name).where(Store.id.in_({f.store_id for f in flags}))).all()
    )
    regions = dict(db.session.execute(select(Region.id, Region.name)).all())
    partner_ids = {f.partner_id for f in flags} - {None}
    partners = (
        dict(db.session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(partner_ids))).all())
        if partner_ids
        else {}
    )
    models = dict(db.session.execute(select(Product.id, Product.model_code)).all())
    out = []
    for f in flags:
        item = {c.key: getattr(f, c.key) for c in DiversionFlag.__table__.columns}
        item.update(
            store_name=stores.get(f.store_id),
            sold_region_name=regions.get(f.sold_region_id),
            shipped_region_name=regions.get(f.shipped_region_id),
            partner_name=partners.get(f.partner_id),
            model_code=models.get(f.product_id),
        )
        out.append(item)
    return out
