"""三包 service events at the counter: returns, exchanges and repair referrals of warranty cards,
the fault codes they carry and the repair points a phone can be referred to. The REST endpoints
(`POST /service-events`) and the sync mutations (`warranty.return`, `warranty.exchange`,
`warranty.repair`) both call `record_return` / `record_exchange` / `record_repair`.

An event is the clerk's, at the store that sold the phone (the card's store), idempotent by the
device's UUID: the same event sent again is answered with the one recorded (even once the card
it closed is closed, its window has passed, or the clerk who recorded it has moved to another
store since), other content under its id is a 409. A new
event is checked in this order: the card (this store's, not voided, not closed), what the kind
takes, the fault code (and the no-fault policy), the day (its business day, not before the
purchase, within the kind's term: warranty/rules.service_refusal), then what the kind needs —
an exchange's replacement unit, a repair's repair point.

- A return closes the card (`returned`): its IMEIs are free, the channel counts it as no sale (the
  unit is back in channel stock).
- An exchange closes the card (`exchanged`) and registers the replacement unit's card, which
  inherits the buyer, invoice and purchase date (三包 is not restarted) and names the old card in
  `replaces_card_id` (the channel: one sell-out still, the replacement's; the faulty unit went to
  after-sales and stays out of channel stock); its IMEIs pass the checks of a registration
  (Luhn, TAC → model, one live card per IMEI), its model is the old one's unless
  WARRANTY_EXCHANGE_OTHER_MODEL, and the diversion check runs on it.
- A repair referral leaves the card live; its history shows the referral.

The card is read FOR UPDATE (PostgreSQL; `warranty.lock_card`, as a correction and a voiding read
it), so an event racing a correction, a voiding or another event of the same card waits for it and
then sees what it did (a correction after a return sees the card closed).
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from ..auth.models import Role, User
from ..catalogue.models import Product
from ..core.auth import check_role
from ..core.batch import created, find_record, reference
from ..core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..core.records import check_device_time
from ..core.timeutil import business_date
from ..extensions import db
from ..org.models import Partner, Territory
from ..stores.models import Store, StoreKind, StoreStatus
from ..stores.service import region_territories
from ..warranty import rules
from ..warranty import service as warranty
from ..warranty.models import ClosedKind, WarrantyCard
from .models import EventKind, FaultCode, ServiceEvent

READERS = (Role.CLERK, Role.MANAGER, Role.HQ, Role.ADMIN)
EDITORS = (Role.HQ, Role.ADMIN)

# What each kind takes besides the common fields; the others must be absent (or null).
_KIND_FIELDS = {
    EventKind.RETURN: (),
    EventKind.EXCHANGE: ("new_card",),
    EventKind.REPAIR: ("repair_store_id", "repair_partner_id"),
}
_OPTIONAL = ("new_card", "repair_store_id", "repair_partner_id")


# --- recording -------------------------------------------------------------------------------------


def record_return(actor: User, data: dict) -> tuple[ServiceEvent, bool]:
    """A return (退货) within the return days: the card closes, the unit is back in channel stock."""
    return _record(actor, EventKind.RETURN, data)


def record_exchange(actor: User, data: dict) -> tuple[ServiceEvent, bool]:
    """An exchange (换货) within the exchange days: the card closes and the replacement unit gets
    a card with the same buyer and purchase date."""
    return _record(actor, EventKind.EXCHANGE, data)


def record_repair(actor: User, data: dict) -> tuple[ServiceEvent, bool]:
    """A repair referral (维修) within the repair months to a service point or repair provider."""
    return _record(actor, EventKind.REPAIR, data)


def _record(actor: User, kind: EventKind, data: dict) -> tuple[ServiceEvent, bool]:
    check_role(actor, Role.CLERK)
    check_device_time(data["occurred_at"], "occurred_at")
    own = find_record(ServiceEvent, data["id"])
    if own is not None and own.recorded_by == actor.id:
        # A resend of the clerk's own event (a lost answer) is the event recorded, whatever
        # happened since — also once the clerk has moved to another store: it is
        # compared with what was sent at the store it was recorded at; nothing new is written.
        return _same_event(own, kind, data, own.store_id), False
    store_id = warranty.clerk_store(actor)
    card = warranty.lock_card(data["card_id"])
    existing = find_record(ServiceEvent, data["id"])
    if existing is not None:
        return _same_event(existing, kind, data, store_id), False
    if card is None:
        raise NotFound(
            f"No warranty card {data['card_id']}.",
            field="card_id",
            reason="card.not_found",
            params={"card_id": str(data["card_id"])},
        )
    if card.store_id != store_id:
        raise Forbidden(
            "This card was sold by another store: 三包 service is done by the store that sold it.",
            field="card_id",
            reason="service.not_your_store",
        )
    _check_card_open(card)
    _check_kind_fields(kind, data)
    fault = _fault_code(kind, data["fault_code"])
    product = db.session.get(Product, card.product_id)
    t = rules.terms(card.purchase_date, product.return_days, product.exchange_days, product.repair_months)
    occurred_on = business_date(data["occurred_at"])
    _check_day(kind, card, t, occurred_on)
    values = {
        "kind": kind.value,
        "card_id": card.id,
        "store_id": card.store_id,
        "region_id": _region_of(card.store_id),
        "product_id": card.product_id,
        "purchase_date": card.purchase_date,
        "fault_code_id": fault.id,
        "note": data.get("note") or "",
        "occurred_at": data["occurred_at"],
        "occurred_on": occurred_on,
        "terms": {k: v.isoformat() for k, v in t.as_dict().items()},
        "recorded_by": actor.id,
    }
    if kind == EventKind.RETURN:
        warranty.close(actor, card, ClosedKind.RETURNED, {"fault_code": [None, fault.code]})
    elif kind == EventKind.EXCHANGE:
        unit = _replacement_unit(card, product, data.get("new_card"))
        warranty.close(
            actor,
            card,
            ClosedKind.EXCHANGED,
            {"fault_code": [None, fault.code], "replaced_by": [None, str(unit["id"])]},
        )
        new = warranty.register_replacement(actor, card, unit, data["occurred_at"])
        values["new_card_id"] = new.id
    else:
        point_store, point_partner, point_name = _repair_point(data)
        values["repair_store_id"], values["repair_partner_id"] = point_store, point_partner
        warranty.note_repair(actor, card, {"repair": [None, point_name], "fault_code": [None, fault.code]})
    event = ServiceEvent(id=data["id"], **values)
    created(ServiceEvent, event.id, event)
    db.session.add(event)
    db.session.flush()
    return event, True


def _check_card_open(card: WarrantyCard) -> None:
    if card.voided_at is not None:
        raise Conflict(
            "This card was voided by HQ: no 三包 service on it.", field="card_id", reason="service.card_voided"
        )
    if card.closed_at is not None:
        raise Conflict(
            f"This card was closed by a 三包 {'return' if card.closed_kind == ClosedKind.RETURNED else 'exchange'} "
            f"on {business_date(card.closed_at).isoformat()}: no further 三包 service on it.",
            field="card_id",
            reason="service.card_closed",
            params={"closed_kind": card.closed_kind},
        )


def _check_kind_fields(kind: EventKind, data: dict) -> None:
    for name in _OPTIONAL:
        if data.get(name) is not None and name not in _KIND_FIELDS[kind]:
            raise InvalidInput(
                f"{name} does not apply to a {kind.value}.",
                field=name,
                reason="service.field_not_for_kind",
                params={"field": name, "kind": kind.value},
            )


def _fault_code(kind: EventKind, code: str) -> FaultCode:
    fault = db.session.scalar(select(FaultCode).where(FaultCode.code == code, FaultCode.active.is_(True)))
    if fault is None:
        raise InvalidInput(
            f"Unknown fault code {code!r}.",
            field="fault_code",
            reason="service.unknown_fault_code",
            params={"fault_code": code},
        )
    if not fault.is_fault:
        if kind != EventKind.RETURN:
            raise InvalidInput(
                '"No fault" is for returns only: name the fault for an exchange or a repair.',
                field="fault_code",
                reason="service.no_fault_only_return",
            )
        if not current_app.config["WARRANTY_NO_FAULT_RETURNS"]:
            raise InvalidInput(
                "Returns without a fault are not accepted under the current policy: name the fault.",
                field="fault_code",
                reason="service.no_fault_not_allowed",
            )
    return fault


def _check_day(kind: EventKind, card: WarrantyCard, t: rules.Terms, occurred_on: date) -> None:
    if occurred_on < card.purchase_date:
        raise InvalidInput(
            f"The event's day ({occurred_on.isoformat()}) is before the purchase date "
            f"({card.purchase_date.isoformat()}): check the phone's clock.",
            field="occurred_at",
            reason="service.before_purchase",
            params={"purchase_date": card.purchase_date.isoformat(), "occurred_on": occurred_on.isoformat()},
        )
    refusal = rules.service_refusal(kind.value, t, occurred_on)
    if refusal is not None:
        reason, params = refusal
        raise InvalidInput(
            f"The {kind.value} term of this phone ended on {params['until']}; the {kind.value} is dated "
            f"{params['occurred_on']}.",
            field="occurred_at",
            reason=reason,
            params=params,
        )


def _replacement_unit(card: WarrantyCard, product: Product, unit: dict | None) -> dict:
    """The exchange's replacement unit, checked as at registration (but for what the old card gives)."""
    if unit is None:
        raise InvalidInput(
            "An exchange needs the replacement unit (new_card): scan it and fill in its details.",
            field="new_card",
            reason="service.new_card_required",
        )
    unit = {**unit, "imei2": unit.get("imei2") or None}
    new_product = reference(Product, unit["product_id"])
    if new_product is None:
        raise InvalidInput(
            f"Unknown product_id: {unit['product_id']}.",
            field="new_card.product_id",
            reason="card.unknown_product",
            params={"product_id": unit["product_id"]},
        )
    if new_product.id != card.product_id and not current_app.config["WARRANTY_EXCHANGE_OTHER_MODEL"]:
        raise InvalidInput(
            f"An exchange gives the same model: the phone brought back is a {product.model_code}, "
            f"the new one a {new_product.model_code}.",
            field="new_card.product_id",
            reason="service.other_model_not_allowed",
            params={"model": product.model_code, "new_model": new_product.model_code},
        )
    old_imeis = {card.imei, card.imei2} - {None}
    for name in ("imei", "imei2"):
        if unit[name] is not None and unit[name] in old_imeis:
            raise InvalidInput(
                f"IMEI {unit[name]} is the phone brought back: scan the replacement unit.",
                field=f"new_card.{name}",
                reason="service.same_unit",
                params={"imei": unit[name]},
            )
    warranty.check_replacement_unit(unit, new_product)
    return unit


def _repair_point(data: dict) -> tuple[int | None, int | None, str]:
    """(repair_store_id, repair_partner_id, its name): exactly one, active, authorised."""
    store_id, partner_id = data.get("repair_store_id"), data.get("repair_partner_id")
    if (store_id is None) == (partner_id is None):
        raise InvalidInput(
            "Name one repair point: repair_store_id (a service point) or repair_partner_id (a repair provider).",
            field="repair_store_id",
            reason="service.repair_point_required",
        )
    if store_id is not None:
        store = db.session.get(Store, store_id)
        if store is None or store.kind != StoreKind.SERVICE_POINT or store.status != StoreStatus.ACTIVE:
            raise InvalidInput(
                f"Store {store_id} is not an active service point.",
                field="repair_store_id",
                reason="service.unknown_repair_point",
            )
        return store.id, None, store.name
    partner = db.session.get(Partner, partner_id)
    if partner is None or not partner.repair_provider or not partner.active:
        raise InvalidInput(
            f"Partner {partner_id} is not an active repair provider.",
            field="repair_partner_id",
            reason="service.unknown_repair_point",
        )
    return None, partner.id, partner.name


def _region_of(store_id: int) -> int:
    return db.session.scalar(
        select(Territory.region_id).join(Store, Store.territory_id == Territory.id).where(Store.id == store_id)
    )


def _same_event(existing: ServiceEvent, kind: EventKind, data: dict, store_id: int) -> ServiceEvent:
    """A resend: the event recorded under this id, if it is the same; else a 409 naming the
    fields that differ (as the API names them)."""
    if existing.store_id != store_id:
        differing = ["id"]
    else:
        code = db.session.scalar(select(FaultCode.code).where(FaultCode.id == existing.fault_code_id))
        sent = {
            "kind": kind.value,
            "card_id": data["card_id"],
            "fault_code": data["fault_code"],
            "note": data.get("note") or "",
            "occurred_at": data["occurred_at"],
            "repair_store_id": data.get("repair_store_id"),
            "repair_partner_id": data.get("repair_partner_id"),
        }
        have = {
            "kind": existing.kind,
            "card_id": existing.card_id,
            "fault_code": code,
            "note": existing.note,
            "occurred_at": existing.occurred_at,
            "repair_store_id": existing.repair_store_id,
            "repair_partner_id": existing.repair_partner_id,
        }
        differing = sorted(k for k in sent if sent[k] != have[k])
        if not _same_new_card(existing, data.get("new_card")):
            differing = sorted([*differing, "new_card"])
    if differing:
        raise Conflict(
            f"A service event with id {existing.id} already exists with different content ({', '.join(differing)}).",
            details={"id": str(existing.id), "fields": differing},
            reason="service.id_taken_other_content",
            params={"event_id": str(existing.id), "fields": differing},
        )
    return existing


def _same_new_card(existing: ServiceEvent, unit: dict | None) -> bool:
    if existing.new_card_id is None or unit is None:
        return existing.new_card_id is None and unit is None
    if unit["id"] != existing.new_card_id:
        return False
    card = db.session.get(WarrantyCard, existing.new_card_id)
    if card is None or card.revision > 1:
        return True  # corrected since: the id is what identifies the unit sent
    sent = (unit["imei"], unit.get("imei2") or None, unit["product_id"], unit["serial_number"])
    return sent == (card.imei, card.imei2, card.product_id, card.serial_number)


# --- reading ---------------------------------------------------------------------------------------


def events_query(actor: User, filters: dict):
    """The events `actor` may read, newest first: a clerk their store's, a manager their
    region's stores', HQ and admins all."""
    check_role(actor, *READERS)
    e = ServiceEvent
    stmt = select(e)
    if actor.role == Role.CLERK:
        stmt = stmt.where(e.store_id == actor.store_id)
    elif actor.role == Role.MANAGER:
        stmt = stmt.where(
            e.store_id.in_(select(Store.id).where(Store.territory_id.in_(region_territories(actor.region_id))))
        )
    for name in ("card_id", "store_id", "kind"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(e, name) == filters[name])
    if filters.get("since") is not None:
        stmt = stmt.where(e.occurred_on >= filters["since"])
    if filters.get("until") is not None:
        stmt = stmt.where(e.occurred_on <= filters["until"])
    return stmt.order_by(e.occurred_at.desc(), e.id)


def present(events: list) -> list[dict]:
    """Events as the API shows them: with their fault code's code and the terms as dates."""
    if not events:
        return []
    codes = dict(
        db.session.execute(
            select(FaultCode.id, FaultCode.code).where(FaultCode.id.in_({e.fault_code_id for e in events}))
        ).all()
    )
    out = []
    for event in events:
        item = {c.key: getattr(event, c.key) for c in ServiceEvent.__table__.columns}
        item["fault_code"] = codes.get(event.fault_code_id)
        item["terms"] = {k: date.fromisoformat(v) for k, v in (event.terms or {}).items()}
        out.append(item)
    return out


# --- fault codes and repair points -------------------------------------------------------------------


def fault_codes(actor: User | None = None, include_inactive: bool = False) -> list[FaultCode]:
    """The fault codes in list order; the inactive ones too for HQ and admins who ask."""
    stmt = select(FaultCode).order_by(FaultCode.position, FaultCode.id)
    if not (include_inactive and actor is not None and actor.role in EDITORS):
        stmt = stmt.where(FaultCode.active.is_(True))
    return list(db.session.scalars(stmt))


def _check_code_free(code: str, current_id: int | None = None) -> None:
    stmt = select(FaultCode.id).where(FaultCode.code == code)
    if current_id is not None:
        stmt = stmt.where(FaultCode.id != current_id)
    if db.session.scalar(stmt) is not None:
        raise Conflict(
            f"A fault code {code!r} already exists.",
            field="code",
            reason="record.duplicate",
            params={"fields": ["code"]},
        )


def create_fault_code(actor: User, data: dict) -> FaultCode:
    check_role(actor, *EDITORS)
    _check_code_free(data["code"])
    fault = FaultCode(**data)
    db.session.add(fault)
    db.session.flush()
    return fault


def update_fault_code(actor: User, fault_id: int, data: dict) -> FaultCode:
    check_role(actor, *EDITORS)
    fault = db.session.get(FaultCode, fault_id)
    if fault is None:
        raise NotFound(f"No fault code {fault_id}.", reason="record.not_found", params={"id": fault_id})
    if "code" in data and data["code"] != fault.code:
        _check_code_free(data["code"], fault.id)
        if db.session.scalar(select(ServiceEvent.id).where(ServiceEvent.fault_code_id == fault.id).limit(1)):
            # Events carry the code: a resend of one names it (a new code would be a 409 on a
            # recorded event), and phones may have events queued with it.
            raise Conflict(
                f"Fault code {fault.code!r} is named by service events and cannot be renamed: "
                "add a new code and deactivate this one.",
                field="code",
                reason="service.fault_code_in_use",
                params={"fault_code": fault.code},
            )
    for key, value in data.items():
        setattr(fault, key, value)
    db.session.flush()
    return fault


def repair_points(actor: User) -> list[dict]:
    """Where a clerk may refer a phone for a 三包 repair: active service-point stores and active
    partners that are repair providers, by name."""
    check_role(actor, *READERS)
    stores = db.session.execute(
        select(Store.id, Store.name, Store.address).where(
            Store.kind == StoreKind.SERVICE_POINT, Store.status == StoreStatus.ACTIVE
        )
    ).all()
    partners = db.session.execute(
        select(Partner.id, Partner.name).where(Partner.repair_provider.is_(True), Partner.active.is_(True))
    ).all()
    points = [{"kind": "store", "id": i, "name": n, "address": a} for i, n, a in stores]
    points += [{"kind": "partner", "id": i, "name": n, "address": None} for i, n in partners]
    return sorted(points, key=lambda p: (p["name"], p["kind"], p["id"]))
