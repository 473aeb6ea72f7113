"""IMEI spot checks (抽查): a rep notes an IMEI seen on a store's shelf during a visit."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from ..auth.models import User
from ..core.auth import check_role
from ..core.errors import InvalidInput, NotFound
from ..core.records import check_device_time, create_once
from ..extensions import db
from ..stores.service import FIELD_WRITERS, field_record_scope, visible_store
from ..visits.service import own_visit
from . import diversion, rules
from .models import ImeiSpotCheck


def record(actor: User, data: dict) -> tuple[ImeiSpotCheck, bool]:
    check_role(actor, *FIELD_WRITERS)
    store = visible_store(actor, data["store_id"])
    check_device_time(data["seen_at"], "seen_at")
    fault = rules.imei_fault(data["imei"])
    if fault:
        raise InvalidInput(fault[0], field="imei", reason=fault[1], params=fault[2])
    if data.get("visit_id") is not None:
        own_visit(actor, data["visit_id"], store.id)
    values = {
        "rep_id": actor.id,
        "store_id": store.id,
        "visit_id": data.get("visit_id"),
        "imei": data["imei"],
        "seen_at": data["seen_at"],
    }
    check, created = create_once(ImeiSpotCheck, data["id"], values, "spot check")
    if created:
        diversion.check_spot_checks([check])
    return check, created


def query(actor: User, filters: dict):
    stmt = select(ImeiSpotCheck).where(field_record_scope(actor, ImeiSpotCheck))
    for name in ("store_id", "visit_id", "rep_id", "imei", "shipment_match"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(ImeiSpotCheck, name) == filters[name])
    return stmt.order_by(ImeiSpotCheck.seen_at.desc(), ImeiSpotCheck.id)


def visible(actor: User, check_id: uuid.UUID) -> ImeiSpotCheck:
    check = db.session.scalar(query(actor, {}).where(ImeiSpotCheck.id == check_id))
    if check is None:
        raise NotFound(f"No spot check {check_id}.", reason="spot_check.not_found", params={"check_id": str(check_id)})
    return check
