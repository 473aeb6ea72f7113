"""Price observations and store intel reports, with duplicate-store detection.

A new price observation reaches HQ's price rollups without a call from here: the market domain,
above this one, notices new `PriceObservation` rows itself when they are flushed
(`backend/market/rollup.py`), so intel knows nothing of the dashboards built on its records.
"""

from __future__ import annotations

import re
import uuid
from difflib import SequenceMatcher

from flask import current_app
from sqlalchemy import select, update

from ..auth.models import Role, User
from ..catalogue.models import CompetitorModel, Product
from ..core import batch
from ..core.auth import check_role
from ..core.batch import reference
from ..core.errors import Conflict, InvalidInput, NotFound
from ..core.geo import distance_m
from ..core.records import check_device_time, create_once
from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Territory
from ..photos import service as photos
from ..stores.models import Store, StoreKind, StoreStatus, StoreTier
from ..stores.service import (
    FIELD_WRITERS,
    create_store,
    field_record_scope,
    field_record_visibility,
    near_clause,
    store_scope,
    update_store,
    visible_store,
)
from ..stores.signals import store_moved
from ..visits.service import own_visit
from .models import IntelDuplicateCandidate, IntelKind, IntelReport, IntelStatus, PriceObservation


@store_moved.connect
def _reports_follow_their_store(store: Store, old_territory_id: int | None = None, **_) -> None:
    """A report about a store is scoped by the store's territory: when the store moves, its
    reports move with it (the change log then sends them to the new scope, removes them from the
    old one)."""
    db.session.execute(
        update(IntelReport)
        .where(IntelReport.store_id == store.id)
        .values(territory_id=store.territory_id)
        .execution_options(synchronize_session="fetch")
    )


# --- price observations ---------------------------------------------------------------------


def observe_price(actor: User, data: dict) -> tuple[PriceObservation, bool]:
    check_role(actor, *FIELD_WRITERS)
    store = visible_store(actor, data["store_id"])
    check_device_time(data["observed_at"], "observed_at")
    if data.get("product_id") is not None and reference(Product, data["product_id"]) is None:
        raise InvalidInput(
            f"Unknown product_id: {data['product_id']}.",
            field="product_id",
            reason="price.unknown_product",
            params={"product_id": data["product_id"]},
        )
    cm = data.get("competitor_model_id")
    if cm is not None and reference(CompetitorModel, cm) is None:
        raise InvalidInput(
            f"Unknown competitor_model_id: {cm}.",
            field="competitor_model_id",
            reason="price.unknown_competitor_model",
            params={"competitor_model_id": cm},
        )
    if data.get("visit_id") is not None:
        own_visit(actor, data["visit_id"], store.id)
    values = {
        "rep_id": actor.id,
        "store_id": store.id,
        "visit_id": data.get("visit_id"),
        "product_id": data.get("product_id"),
        "competitor_model_id": cm,
        "shelf_price": data["shelf_price"],
        "promo_price": data.get("promo_price"),
        "promo_text": data.get("promo_text", ""),
        "observed_at": data["observed_at"],
    }
    obs, created = create_once(PriceObservation, data["id"], values, "price observation")
    photos.link_photos(actor, "price_observation", obs.id, data.get("photo_ids", []))
    return obs, created


def prices_query(actor: User, filters: dict):
    stmt = select(PriceObservation).where(field_record_scope(actor, PriceObservation))
    for name in ("store_id", "product_id", "competitor_model_id", "visit_id", "rep_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(PriceObservation, name) == filters[name])
    if filters.get("brand_id") is not None:
        models = select(CompetitorModel.id).where(CompetitorModel.brand_id == filters["brand_id"])
        stmt = stmt.where(PriceObservation.competitor_model_id.in_(models))
    if filters.get("since") is not None:
        stmt = stmt.where(PriceObservation.observed_at >= filters["since"])
    if filters.get("until") is not None:
        stmt = stmt.where(PriceObservation.observed_at < filters["until"])
    return stmt.order_by(PriceObservation.observed_at.desc(), PriceObservation.id)


def visible_price(actor: User, obs_id: uuid.UUID) -> PriceObservation:
    obs = db.session.scalar(
        select(PriceObservation).where(PriceObservation.id == obs_id, field_record_scope(actor, PriceObservation))
    )
    if obs is None:
        raise NotFound(
            f"No price observation {obs_id}.", reason="price.not_found", params={"observation_id": str(obs_id)}
        )
    return obs


# --- intel reports --------------------------------------------------------------------------

_NOISE = re.compile(r"[\s·\-_()（）【】\[\]]+|店$|专柜$|专卖店$|营业厅$")


def _normalise(name: str) -> str:
    return _NOISE.sub("", name.strip().lower())


def name_similarity(a: str, b: str) -> float:
    """0–1; names that contain one another count as 1 (a branch name added or left out)."""
    na, nb = _normalise(a), _normalise(b)
    if not na or not nb:
        return 0.0
    if na in nb or nb in na:
        return 1.0
    return round(SequenceMatcher(None, na, nb).ratio(), 3)


SIMILAR_NAME = 0.5


def duplicate_radii() -> dict[str, float]:
    """The duplicate rule's two radii: any store this close (`any_name_m`, DUPLICATE_STORE_RADIUS_M),
    a store with a similar name this close (`similar_name_m`, INTEL_DUPLICATE_RADIUS_M)."""
    cfg = current_app.config
    return {"any_name_m": cfg["DUPLICATE_STORE_RADIUS_M"], "similar_name_m": cfg["INTEL_DUPLICATE_RADIUS_M"]}


def is_duplicate_candidate(metres: float, similarity: float, radii: dict[str, float]) -> bool:
    """A known store may be the same place when it is very close whatever its name (a report
    names a shop by its sign, the store list by its contract), or nearby with a similar name."""
    return metres <= radii["any_name_m"] or (metres <= radii["similar_name_m"] and similarity >= SIMILAR_NAME)


def duplicate_candidates(name: str, lat: float, lon: float) -> list[tuple[int, float, float]]:
    """Known stores that may be the same place (`is_duplicate_candidate`): (id, metres,
    similarity), nearest first. Searches all stores: a duplicate may sit just over a territory
    border."""
    radii = duplicate_radii()
    radius = max(radii.values())
    rows = db.session.execute(
        select(Store.id, Store.name, Store.latitude, Store.longitude).where(near_clause(lat, lon, radius))
    )
    found = []
    for sid, sname, slat, slon in rows:
        d = distance_m((lat, lon), (slat, slon))
        sim = name_similarity(name, sname)
        if is_duplicate_candidate(d, sim, radii):
            found.append((sid, round(d, 1), sim))
    return sorted(found, key=lambda c: (c[1], -c[2]))


def report_intel(actor: User, data: dict) -> tuple[IntelReport, bool]:
    """Record a report from the field; known stores that may be the same place
    (`duplicate_candidates`) are attached as possible duplicates for the manager to review."""
    check_role(actor, *FIELD_WRITERS)
    check_device_time(data["reported_at"], "reported_at")
    store = visible_store(actor, data["store_id"]) if data.get("store_id") is not None else None
    if store is not None:
        territory_id = store.territory_id
    elif actor.role == Role.REP:
        territory_id = actor.territory_id
    else:
        territory_id = data.get("territory_id")
        territory = reference(Territory, territory_id) if territory_id is not None else None
        if territory is None or territory.region_id != actor.region_id:
            raise InvalidInput(
                "Say which territory of your region this is (territory_id).",
                field="territory_id",
                reason="intel.territory_needed",
            )
    values = {
        "rep_id": actor.id,
        "kind": data["kind"],
        "name": data["name"],
        "address": data.get("address", ""),
        "latitude": data["latitude"],
        "longitude": data["longitude"],
        "accuracy_m": data.get("accuracy_m"),
        "store_id": store.id if store else None,
        "territory_id": territory_id,
        "notes": data.get("notes", ""),
        "reported_at": data["reported_at"],
    }
    client_fields = tuple(k for k in values if k != "territory_id")
    report, created = create_once(IntelReport, data["id"], values, "intel report", compare=client_fields)
    if created and store is None:
        with batch.reading(Store):  # a push run's pending rows are not stores: no flush first
            candidates = duplicate_candidates(report.name, report.latitude, report.longitude)
        for rank, (sid, d, sim) in enumerate(candidates):
            db.session.add(
                IntelDuplicateCandidate(report_id=report.id, store_id=sid, distance_m=d, name_similarity=sim, rank=rank)
            )
    photos.link_photos(actor, "intel_report", report.id, data.get("photo_ids", []))
    if not batch.flush_deferred():  # in a push's run, the run flushes once at its end (core.batch)
        db.session.flush()
    return report, created


def intel_query(actor: User, filters: dict):
    stmt = select(IntelReport).where(field_record_scope(actor, IntelReport, IntelReport.territory_id))
    for name in ("kind", "status", "territory_id", "store_id", "rep_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(IntelReport, name) == filters[name])
    return stmt.order_by(IntelReport.reported_at.desc(), IntelReport.id)


def visible_report(actor: User, report_id: uuid.UUID) -> IntelReport:
    report = db.session.scalar(
        select(IntelReport).where(
            IntelReport.id == report_id, field_record_scope(actor, IntelReport, IntelReport.territory_id)
        )
    )
    if report is None:
        raise NotFound(f"No intel report {report_id}.", reason="intel.not_found", params={"report_id": str(report_id)})
    return report


def with_candidates(actor: User, reports: list[IntelReport]) -> list[IntelReport]:
    """Set `duplicate_candidates` (those in the actor's store scope) and `photo_ids` on each."""
    ids = [r.id for r in reports]
    by_report: dict = {rid: [] for rid in ids}
    if ids:
        rows = db.session.execute(
            select(IntelDuplicateCandidate, Store.name)
            .join(Store, Store.id == IntelDuplicateCandidate.store_id)
            .where(IntelDuplicateCandidate.report_id.in_(ids), store_scope(actor))
            .order_by(IntelDuplicateCandidate.rank)
        )
        for cand, store_name in rows:
            by_report[cand.report_id].append(
                {
                    "store_id": cand.store_id,
                    "store_name": store_name,
                    "distance_m": cand.distance_m,
                    "name_similarity": cand.name_similarity,
                }
            )
    radii = duplicate_radii()
    for r in reports:
        r.duplicate_candidates = by_report[r.id]
        r.duplicate_radii = radii
    return photos.attach_photo_ids("intel_report", reports)


photos.register_record_type(
    "price_observation",
    field_record_visibility(PriceObservation),
    author=PriceObservation.rep_id,
    writers=FIELD_WRITERS,
)
photos.register_record_type(
    "intel_report",
    field_record_visibility(IntelReport, IntelReport.territory_id),
    author=IntelReport.rep_id,
    writers=FIELD_WRITERS,
)


# --- review by the manager ----------------------------------------------------------------------

CREATES_STORE = (IntelKind.NEW_STORE, IntelKind.OPENING)


def review_report(actor: User, report_id: uuid.UUID, data: dict) -> IntelReport:
    """Approve (a new or opening store becomes a store; a closing closes it; a move moves it),
    mark as a duplicate of a known store, or reject. Once per report."""
    check_role(actor, Role.MANAGER, Role.ADMIN)
    report = visible_report(actor, report_id)
    if report.status != IntelStatus.PENDING:
        raise Conflict(
            f"This report was already reviewed ({report.status}).",
            reason="intel.already_reviewed",
            params={"status": str(report.status)},
        )
    decision = data["decision"]
    if decision == "duplicate":
        if data.get("store_id") is None:
            raise InvalidInput(
                "Say which known store this report duplicates (store_id).",
                field="store_id",
                reason="intel.duplicate_store_needed",
            )
        report.resolved_store_id = visible_store(actor, data["store_id"]).id
        report.status = IntelStatus.DUPLICATE
    elif decision == "reject":
        report.status = IntelStatus.REJECTED
    else:
        report.resolved_store_id = _apply(actor, report, data.get("store") or {})
        report.status = IntelStatus.CONFIRMED
    report.reviewed_by = actor.id
    report.reviewed_at = utcnow()
    report.review_note = data.get("note") or ""
    db.session.flush()
    return report


def _apply(actor: User, report: IntelReport, extra: dict) -> int | None:
    if report.kind in CREATES_STORE:
        values = {
            "code": extra.get("code") or f"N{report.id.hex[:10].upper()}",
            "name": extra.get("name") or report.name,
            "address": extra.get("address", report.address),
            "latitude": report.latitude,
            "longitude": report.longitude,
            "territory_id": extra.get("territory_id") or report.territory_id,
            "kind": extra.get("kind") or StoreKind.SHOP,
            "tier": extra.get("tier") or StoreTier.C,
            "status": StoreStatus.ACTIVE if report.kind == IntelKind.OPENING else StoreStatus.PROSPECT,
            "partner_id": extra.get("partner_id"),
        }
        return create_store(actor, values).id
    if report.store_id is None:
        return None
    if report.kind == IntelKind.CLOSING:
        update_store(actor, report.store_id, {"status": StoreStatus.CLOSED})
    elif report.kind == IntelKind.MOVING:
        moved = {"latitude": report.latitude, "longitude": report.longitude}
        if report.address:
            moved["address"] = report.address
        update_store(actor, report.store_id, moved)
    return report.store_id
