"""Warranty cards: registration at the counter, correction by the store, voiding by HQ, look-up,
三包 terms and masking of buyers' data. The REST endpoints and the sync mutations both call these.

A card is live until it is voided (registered in error) or closed by a 三包 return or exchange
(aftersales calls `close` and `register_replacement` here): either frees its IMEIs, and a closed
card can no longer be corrected.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.exc import IntegrityError

from ..auth.models import Role, User
from ..catalogue.models import Product
from ..catalogue.service import tac_owners
from ..core.auth import check_role
from ..core.batch import created, find_record, reference
from ..core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..core.records import check_device_time
from ..core.timeutil import business_date, business_today, utcnow
from ..extensions import db
from ..stores.models import Store
from ..stores.service import region_territories
from . import diversion, rules
from .models import ClosedKind, WarrantyCard, WarrantyCardRevision, WarrantyImei

CORRECTABLE = (
    "imei",
    "imei2",
    "product_id",
    "serial_number",
    "buyer_name",
    "buyer_phone",
    "buyer_address",
    "invoice_number",
    "purchase_date",
)
READERS = (Role.CLERK, Role.MANAGER, Role.HQ, Role.ADMIN)


# --- checks ------------------------------------------------------------------------------------


def _check_imei(value: str, field: str, product: Product, owners: dict) -> None:
    fault = rules.imei_fault(value)
    if fault:
        raise InvalidInput(fault[0], field=field, reason=fault[1], params=fault[2])
    owner = owners.get(rules.tac(value))
    if owner is not None and owner[0] != product.id:
        raise InvalidInput(
            f"IMEI {value} belongs to a {owner[1]} (TAC {rules.tac(value)}), not a {product.model_code}: "
            "check the model or the IMEI.",
            field=field,
            reason="card.imei_other_model",
            params={"imei": value, "tac": rules.tac(value), "owner_model": owner[1], "model": product.model_code},
        )
    if owner is None and product.tac_codes:
        raise InvalidInput(
            f"IMEI {value} does not start with a TAC of the {product.model_code} "
            f"({', '.join(product.tac_codes)}): check the IMEI.",
            field=field,
            reason="card.imei_not_model_tac",
            params={"imei": value, "model": product.model_code, "tacs": list(product.tac_codes)},
        )


def _check_card(values: dict) -> Product:
    """The rules a card's content must meet, on registration and after a correction."""
    product = reference(Product, values["product_id"])
    if product is None:
        raise InvalidInput(
            f"Unknown product_id: {values['product_id']}.",
            field="product_id",
            reason="card.unknown_product",
            params={"product_id": values["product_id"]},
        )
    owners = tac_owners()
    _check_imei(values["imei"], "imei", product, owners)
    if values.get("imei2"):
        _check_imei(values["imei2"], "imei2", product, owners)
        if values["imei2"] == values["imei"]:
            raise InvalidInput("The second IMEI repeats the first.", field="imei2", reason="card.imei2_repeats")
    phone = rules.normalise_phone(values["buyer_phone"])
    if phone is None:
        raise InvalidInput(
            "Give a mainland mobile number (11 digits, e.g. 13812345678) or an international one "
            "starting with + and the country code.",
            field="buyer_phone",
            reason="card.bad_phone",
        )
    values["buyer_phone"] = phone
    purchased = values["purchase_date"]
    if purchased > business_today():
        raise InvalidInput("The purchase date is in the future.", field="purchase_date", reason="card.future_purchase")
    if product.launch_date is not None and purchased < product.launch_date:
        raise InvalidInput(
            f"The {product.model_code} went on sale on {product.launch_date.isoformat()}; "
            "the purchase date is before that.",
            field="purchase_date",
            reason="card.before_launch",
            params={"model": product.model_code, "launch_date": product.launch_date.isoformat()},
        )
    return product


def _check_imei_free(card_id: uuid.UUID, imeis: list[str], actor: User) -> None:
    """One live card per phone: neither IMEI may be on another live card (in either slot)."""
    clash = db.session.scalar(
        select(WarrantyCard)
        .where(
            WarrantyCard.id != card_id,
            WarrantyCard.voided_at.is_(None),
            WarrantyCard.closed_at.is_(None),
            or_(WarrantyCard.imei.in_(imeis), WarrantyCard.imei2.in_(imeis)),
        )
        .limit(1)
    )
    if clash is None:
        return
    imei = next(i for i in imeis if i in (clash.imei, clash.imei2))
    where = "at this store" if clash.store_id == actor.store_id else "at another store"
    # The day where the store is (registered_at is UTC), as the clerk's receipt would say.
    details = {"imei": imei, "registered_on": business_date(clash.registered_at).isoformat()}
    if clash.store_id == actor.store_id:
        details["card_id"] = str(clash.id)
    raise Conflict(
        f"IMEI {imei} already has a warranty card, registered {where} on {details['registered_on']}. "
        "A phone gets one card; correct that card instead, or ask HQ to void it if it was a mistake.",
        field="imei" if imei == imeis[0] else "imei2",  # the field of this card that holds it
        details=details,
        reason="card.imei_taken_here" if clash.store_id == actor.store_id else "card.imei_taken_elsewhere",
        params={"imei": imei, "registered_on": details["registered_on"]},
    )


def _claim_imeis(card_id: uuid.UUID, imeis: list[str]) -> None:
    """Make `imeis` the IMEIs the card holds in `warranty_imeis` (an IntegrityError when a live
    card holds one of them already: the database's own check, under concurrent registrations)."""
    db.session.execute(delete(WarrantyImei).where(WarrantyImei.card_id == card_id))
    db.session.execute(insert(WarrantyImei), [{"imei": i, "card_id": card_id} for i in imeis])


def _clerk_store(actor: User) -> int:
    check_role(actor, Role.CLERK)
    if actor.store_id is None:
        raise Forbidden("Your account is not attached to a store; ask an administrator.", reason="card.no_store")
    return actor.store_id


def clerk_store(actor: User) -> int:
    """The store of a clerk acting on its cards (registration, correction, 三包 service events)."""
    return _clerk_store(actor)


# --- register / correct / void ------------------------------------------------------------------

_CLIENT_FIELDS = (*CORRECTABLE, "registered_at")


def register(actor: User, data: dict) -> tuple[WarrantyCard, bool]:
    """Register the card a clerk filled in at the counter. Idempotent by card id: the same card
    sent again (a resend after a lost answer) is returned as it is; other content under the same
    id, or another card for the same IMEI, is refused."""
    store_id = _clerk_store(actor)
    check_device_time(data["registered_at"], "registered_at")
    values = {k: data.get(k) for k in _CLIENT_FIELDS}
    values["buyer_address"] = values["buyer_address"] or ""
    values["imei2"] = values["imei2"] or None
    existing = find_record(WarrantyCard, data["id"])
    if existing is not None:
        return _same_card(existing, values, store_id), False
    _check_card(values)
    imeis = [values["imei"], *([values["imei2"]] if values["imei2"] else [])]
    _check_imei_free(data["id"], imeis, actor)
    card = WarrantyCard(id=data["id"], store_id=store_id, registered_by=actor.id, **values)
    created(WarrantyCard, card.id)
    # Its own savepoint even inside a sync push's: when another counter's card for the IMEI
    # commits first, the refusal should say so, which needs a session that can still query.
    try:
        with db.session.begin_nested():
            db.session.add(card)
            db.session.flush()
            _claim_imeis(card.id, imeis)
    except IntegrityError:
        # Another counter registered the same IMEI (or this id) at the same moment.
        existing = db.session.get(WarrantyCard, data["id"])
        if existing is not None:
            return _same_card(existing, values, store_id), False
        _check_imei_free(data["id"], imeis, actor)
        raise
    diversion.check_cards([card], new=True)
    return card, True


def _same_card(existing: WarrantyCard, values: dict, store_id: int) -> WarrantyCard:
    if existing.store_id != store_id:
        raise Conflict(
            f"A warranty card with id {existing.id} already exists.",
            field="id",
            reason="card.id_taken",
            params={"card_id": str(existing.id)},
        )
    phone = rules.normalise_phone(values["buyer_phone"]) or values["buyer_phone"]
    sent = {**values, "buyer_phone": phone}
    if existing.revision == 1:
        differing = sorted(k for k in _CLIENT_FIELDS if getattr(existing, k) != sent[k])
        if differing:
            raise Conflict(
                f"A warranty card with id {existing.id} already exists with different content "
                f"({', '.join(differing)}).",
                details={"id": str(existing.id), "fields": differing},
                reason="card.id_taken_other_content",
                params={"card_id": str(existing.id), "fields": differing},
            )
    return existing


def lock_card(card_id: uuid.UUID) -> WarrantyCard | None:
    """The card, its row locked for the transaction (PostgreSQL; SQLite has one writer) and read
    again once the lock is ours. Every change of an existing card (correction, voiding, a 三包
    service event) takes it first: one that read the card without waiting would act on what a
    concurrent one has just changed (correct a card a return has closed, repeat its revision
    number, claim IMEIs for it, or deadlock with it on its IMEI rows)."""
    return db.session.scalar(
        select(WarrantyCard)
        .where(WarrantyCard.id == card_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def correct(actor: User, card_id: uuid.UUID, changes: dict) -> WarrantyCard:
    """A correction by the store that registered the card; the history keeps what changed."""
    store_id = _clerk_store(actor)
    card = lock_card(card_id)
    if card is None or card.store_id != store_id:
        raise NotFound(
            f"No warranty card {card_id} at your store.", reason="card.not_found", params={"card_id": str(card_id)}
        )
    if card.voided_at is not None:
        raise Conflict("This card was voided by HQ and can no longer be corrected.", reason="card.voided")
    if card.closed_at is not None:
        raise Conflict(
            f"This card was closed by a 三包 {'return' if card.closed_kind == 'returned' else 'exchange'} "
            "and can no longer be corrected.",
            reason="card.closed",
            params={"closed_kind": card.closed_kind},
        )
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise InvalidInput(
            f"These fields cannot be corrected: {', '.join(sorted(unknown))}.",
            field=min(unknown),
            reason="card.not_correctable",
            params={"fields": sorted(unknown)},
        )
    values = {k: getattr(card, k) for k in CORRECTABLE}
    values.update(changes)
    values["buyer_address"] = values["buyer_address"] or ""
    values["imei2"] = values["imei2"] or None
    _check_card(values)
    imeis = [values["imei"], *([values["imei2"]] if values["imei2"] else [])]
    _check_imei_free(card.id, imeis, actor)
    diff = {k: [_plain(getattr(card, k)), _plain(values[k])] for k in CORRECTABLE if getattr(card, k) != values[k]}
    if not diff:
        return card
    if card.replaces_card_id is not None and "purchase_date" in diff:
        # An exchange's replacement card carries the replaced card's purchase date: moving it
        # would restart (or cut) the buyer's 三包 terms, which an exchange never does.
        raise InvalidInput(
            f"This card replaced another in an exchange and keeps its purchase date "
            f"({card.purchase_date.isoformat()}): it cannot be corrected.",
            field="purchase_date",
            reason="card.purchase_date_inherited",
            params={"purchase_date": card.purchase_date.isoformat()},
        )
    if {"imei", "imei2"} & set(diff):
        try:
            with db.session.begin_nested():
                _claim_imeis(card.id, imeis)
        except IntegrityError:  # another counter took one of them at the same moment
            _check_imei_free(card.id, imeis, actor)
            raise
    for key in diff:
        setattr(card, key, values[key])
    card.revision += 1
    card.corrected_at = utcnow()
    db.session.add(
        WarrantyCardRevision(card_id=card.id, revision=card.revision, kind="correct", changes=diff, changed_by=actor.id)
    )
    db.session.flush()
    if {"imei", "imei2", "product_id", "purchase_date"} & set(diff):
        diversion.check_cards([card])
    return card


def void(actor: User, card_id: uuid.UUID, reason: str) -> WarrantyCard:
    """HQ voids a card registered in error; its IMEI is then free for a new card."""
    check_role(actor, Role.HQ, Role.ADMIN)
    card = lock_card(card_id)
    if card is None:
        raise NotFound(f"No warranty card {card_id}.", reason="card.not_found", params={"card_id": str(card_id)})
    if card.voided_at is not None:
        voided_on = business_date(card.voided_at).isoformat()
        raise Conflict(
            f"Card {card_id} was already voided on {voided_on}.",
            reason="card.already_voided",
            params={"card_id": str(card_id), "voided_on": voided_on},
        )
    db.session.execute(delete(WarrantyImei).where(WarrantyImei.card_id == card.id))
    card.voided_at = utcnow()
    card.voided_by = actor.id
    card.void_reason = reason
    card.revision += 1
    db.session.add(
        WarrantyCardRevision(
            card_id=card.id,
            revision=card.revision,
            kind="void",
            changes={"voided_at": [None, card.voided_at.isoformat()], "void_reason": ["", reason]},
            changed_by=actor.id,
        )
    )
    db.session.flush()
    diversion.drop_card_flag(card.id)
    return card


# --- 三包 service events (aftersales) --------------------------------------------------------------


def check_replacement_unit(values: dict, product: Product) -> None:
    """The checks a replacement unit's IMEIs pass in an exchange, as at registration: Luhn, the
    TAC of the model, a second IMEI other than the first (the buyer's data and the purchase date
    are the old card's, already checked)."""
    owners = tac_owners()
    _check_imei(values["imei"], "new_card.imei", product, owners)
    if values.get("imei2"):
        _check_imei(values["imei2"], "new_card.imei2", product, owners)
        if values["imei2"] == values["imei"]:
            raise InvalidInput(
                "The second IMEI repeats the first.", field="new_card.imei2", reason="card.imei2_repeats"
            )


def register_replacement(actor: User, old: WarrantyCard, unit: dict, registered_at) -> WarrantyCard:
    """The new card of an exchange's replacement unit (`unit`: id, imei, imei2, product_id,
    serial_number, checked by `check_replacement_unit`): at the old card's store, with its buyer,
    invoice and purchase date (an exchange does not restart 三包), `replaces_card_id` = the old
    card. Call after closing the old card (its IMEIs are then free). One live card per IMEI as at
    registration; the diversion check runs on the new card."""
    if find_record(WarrantyCard, unit["id"]) is not None:
        raise Conflict(
            f"A warranty card with id {unit['id']} already exists.",
            field="new_card.id",
            reason="card.id_taken",
            params={"card_id": str(unit["id"])},
        )
    imeis = [unit["imei"], *([unit["imei2"]] if unit.get("imei2") else [])]
    _check_imei_free(unit["id"], imeis, actor)
    card = WarrantyCard(
        id=unit["id"],
        imei=unit["imei"],
        imei2=unit.get("imei2") or None,
        product_id=unit["product_id"],
        serial_number=unit["serial_number"],
        buyer_name=old.buyer_name,
        buyer_phone=old.buyer_phone,
        buyer_address=old.buyer_address,
        invoice_number=old.invoice_number,
        purchase_date=old.purchase_date,
        store_id=old.store_id,
        registered_by=actor.id,
        registered_at=registered_at,
        replaces_card_id=old.id,
    )
    created(WarrantyCard, card.id)
    try:
        with db.session.begin_nested():
            db.session.add(card)
            db.session.flush()
            _claim_imeis(card.id, imeis)
    except IntegrityError:
        # Another counter registered one of the IMEIs (or a card of this id) at the same moment.
        if db.session.get(WarrantyCard, unit["id"]) is not None:
            raise Conflict(
                f"A warranty card with id {unit['id']} already exists.",
                field="new_card.id",
                reason="card.id_taken",
                params={"card_id": str(unit["id"])},
            ) from None
        _check_imei_free(unit["id"], imeis, actor)
        raise
    diversion.check_cards([card], new=True)
    return card


def close(actor: User, card: WarrantyCard, kind: str, changes: dict) -> None:
    """Close a live card by a 三包 return or exchange (`kind`: ClosedKind): its IMEIs are freed
    (the unit may be sold again, or was replaced), its diversion flag dropped like a voided
    card's (a resale raises it again), and its history gets a revision of `kind` "return" or
    "exchange" with `changes` ({field: [before, after]}) besides the closing itself. The channel
    counts a closed card as no sell-out; a returned unit is back in channel stock, an exchanged
    (faulty) one is not (channel.rollup)."""
    db.session.execute(delete(WarrantyImei).where(WarrantyImei.card_id == card.id))
    card.closed_at = utcnow()
    card.closed_kind = kind
    card.revision += 1
    db.session.add(
        WarrantyCardRevision(
            card_id=card.id,
            revision=card.revision,
            kind="return" if kind == ClosedKind.RETURNED else "exchange",
            changes={"closed_at": [None, card.closed_at.isoformat()], "closed_kind": [None, kind], **changes},
            changed_by=actor.id,
        )
    )
    db.session.flush()
    diversion.drop_card_flag(card.id)


def note_repair(actor: User, card: WarrantyCard, changes: dict) -> None:
    """A repair referral in the card's history (a revision of kind "repair"); the card stays live."""
    card.revision += 1
    db.session.add(
        WarrantyCardRevision(
            card_id=card.id, revision=card.revision, kind="repair", changes=changes, changed_by=actor.id
        )
    )
    db.session.flush()


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


# --- reading -----------------------------------------------------------------------------------


def card_scope(actor: User, by_imei: bool = False):
    """The cards `actor` may read: a clerk their store's, a manager their region's, HQ all.

    `by_imei`: the query also asks for an IMEI. The store column is then wrapped (`+ 0`) so no
    planner walks a store's whole history by the store index instead of the IMEI indexes (SQLite,
    with no statistics, does: 42 ms instead of 4 ms at a store with 5,600 cards)."""
    check_role(actor, *READERS)
    store = WarrantyCard.store_id + 0 if by_imei else WarrantyCard.store_id
    if actor.role == Role.CLERK:
        return store == actor.store_id
    if actor.role == Role.MANAGER:
        stores = select(Store.id).where(Store.territory_id.in_(region_territories(actor.region_id)))
        return store.in_(stores)
    return WarrantyCard.id.is_not(None)


def cards_query(actor: User, filters: dict):
    stmt = select(WarrantyCard).where(card_scope(actor, by_imei=bool(filters.get("imei"))))
    imei = filters.get("imei")
    if imei:
        stmt = stmt.where(or_(WarrantyCard.imei == imei, WarrantyCard.imei2 == imei))
    for name in ("store_id", "product_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(WarrantyCard, name) == filters[name])
    if filters.get("purchased_since") is not None:
        stmt = stmt.where(WarrantyCard.purchase_date >= filters["purchased_since"])
    if filters.get("purchased_until") is not None:
        stmt = stmt.where(WarrantyCard.purchase_date <= filters["purchased_until"])
    if not filters.get("include_void", True):
        stmt = stmt.where(WarrantyCard.voided_at.is_(None))
    return stmt.order_by(WarrantyCard.registered_at.desc(), WarrantyCard.id)


def visible_card(actor: User, card_id: uuid.UUID) -> WarrantyCard:
    card = db.session.scalar(select(WarrantyCard).where(WarrantyCard.id == card_id, card_scope(actor)))
    if card is None:
        raise NotFound(f"No warranty card {card_id}.", reason="card.not_found", params={"card_id": str(card_id)})
    return card


_BUYER_MASKS = {"buyer_name": rules.mask_name, "buyer_phone": rules.mask_phone, "buyer_address": rules.mask_address}


def revisions(actor: User, card_id: uuid.UUID) -> list[WarrantyCardRevision] | list[dict]:
    """The card's history; the buyer's data in it masked as on the card itself."""
    card = visible_card(actor, card_id)
    rows = list(
        db.session.scalars(
            select(WarrantyCardRevision)
            .where(WarrantyCardRevision.card_id == card.id)
            .order_by(WarrantyCardRevision.revision)
        )
    )
    if sees_buyer(actor, card):
        return rows
    return [
        {
            "revision": r.revision,
            "kind": r.kind,
            "changes": {
                k: [_BUYER_MASKS[k](v) for v in pair] if k in _BUYER_MASKS else pair for k, pair in r.changes.items()
            },
            "changed_by": r.changed_by,
            "changed_at": r.changed_at,
        }
        for r in rows
    ]


def sees_buyer(actor: User, card: WarrantyCard) -> bool:
    """Only the store that sold the phone (and serves its 三包) needs the buyer's contact data."""
    return actor.role == Role.CLERK and actor.store_id == card.store_id


def present(actor: User, cards: list[WarrantyCard]) -> list[dict]:
    """Cards as the API shows them to `actor`: with terms and standing, buyers' data masked
    unless the actor needs it."""
    if not cards:
        return []
    products = {
        p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_({c.product_id for c in cards})))
    }
    today = business_today()
    out = []
    for card in cards:
        product = products[card.product_id]
        t = rules.terms(card.purchase_date, product.return_days, product.exchange_days, product.repair_months)
        item = {c.key: getattr(card, c.key) for c in WarrantyCard.__table__.columns}
        item["terms"] = t.as_dict()
        item["standing"] = rules.standing(t, today, card.voided_at is not None, card.closed_kind)
        item["masked"] = not sees_buyer(actor, card)
        if item["masked"]:
            item["buyer_name"] = rules.mask_name(card.buyer_name)
            item["buyer_phone"] = rules.mask_phone(card.buyer_phone)
            item["buyer_address"] = rules.mask_address(card.buyer_address)
        out.append(item)
    return out
