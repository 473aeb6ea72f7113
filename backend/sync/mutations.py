"""Mutation handlers: each business intent a device can queue, mapped to the domain service
function the REST API calls for the same thing (same schema, same rules, same access checks).

A handler gets the acting user, the mutation's `args` and the mutation itself (for its HLC), and
returns the conflicts its merge recorded (usually none). Validation and access errors propagate
as marshmallow `ValidationError` or `DomainError`, which the push turns into `rejected`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import fields, validate

from ..aftersales import service as aftersales
from ..aftersales.models import ServiceEvent
from ..aftersales.schemas import ExchangeArgs, RepairArgs, ReturnArgs
from ..auth.models import User
from ..core.schemas import BaseSchema
from ..intel import service as intel
from ..intel.models import IntelReport, PriceObservation
from ..intel.schemas import IntelReportSchema, PriceObservationSchema
from ..merge.clock import ORIGIN
from ..merge.models import SyncConflict
from ..routes import service as routes
from ..routes.schemas import VisitPlanSchema
from ..sellout import service as sellout
from ..sellout.models import CompetitorSellOut, SellOutReport, ShopStockCount
from ..sellout.schemas import CompetitorSellOutSchema, SellOutReportSchema, ShopStockCountSchema
from ..stock import service as stock
from ..stock.models import StockMovement
from ..stock.schemas import StockMovementSchema
from ..stores import service as stores
from ..stores.schemas import ContactUpsertSchema, StoreUpdateSchema
from ..tasks import service as tasks
from ..tasks.schemas import TaskCompleteArgs
from ..training import service as training
from ..training.models import TrainingSession
from ..training.schemas import TrainingSessionSchema
from ..visits import service as visits
from ..visits.models import DisplayCheck, Visit
from ..visits.schemas import CheckInSchema, CheckOutSchema, DisplayCheckSchema
from ..warranty import service as warranty
from ..warranty import spot_checks
from ..warranty.models import ImeiSpotCheck, WarrantyCard
from ..warranty.schemas import CardCorrectionSchema, SpotCheckSchema, WarrantyCardSchema

Handler = Callable[[User, dict, object], list[SyncConflict]]
HANDLERS: dict[str, Handler] = {}
ARG_SCHEMAS: dict[str, type] = {}
CREATES: dict[str, type] = {}
"""The model of the record a mutation creates under its client id (`args.id`), for the
mutations that create one once: a push asks once which of its ids exist (core.batch)."""


def mutation(name: str, schema: type, creates: type | None = None):
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        ARG_SCHEMAS[name] = schema
        if creates is not None:
            CREATES[name] = creates
        return fn

    return register


_SCHEMA_INSTANCES: dict[str, BaseSchema] = {}


def _load(name: str, args: dict) -> dict:
    # One instance per schema, made on first use and reused (as the REST endpoints do): building
    # a schema copies and binds all its fields, which cost as much as the load itself.
    schema = _SCHEMA_INSTANCES.get(name)
    if schema is None:
        schema = _SCHEMA_INSTANCES[name] = ARG_SCHEMAS[name]()
    return schema.load(args)


_HLC_MAP = fields.Dict(
    keys=fields.String(validate=validate.Length(max=64)),
    values=fields.String(validate=validate.Length(max=96)),
    load_default=None,
    metadata={"description": "The field HLCs the device last saw (from pull's `clock`)."},
)


class CheckOutArgs(CheckOutSchema):
    visit_id = fields.UUID(required=True)


class StoreUpdateArgs(BaseSchema):
    store_id = fields.Integer(required=True)
    changes = fields.Nested(StoreUpdateSchema(partial=True), required=True, data_key="fields")
    base = _HLC_MAP


class ContactUpsertArgs(BaseSchema):
    store_id = fields.Integer(required=True)
    id = fields.UUID(required=True)
    changes = fields.Nested(ContactUpsertSchema(partial=True), required=True, data_key="fields")
    base = _HLC_MAP


class ContactDeleteArgs(BaseSchema):
    store_id = fields.Integer(required=True)
    id = fields.UUID(required=True)


class CardCorrectionArgs(BaseSchema):
    id = fields.UUID(required=True)
    changes = fields.Nested(CardCorrectionSchema(partial=True), required=True, data_key="fields")


@mutation("visit.check_in", CheckInSchema, creates=Visit)
def _check_in(actor, args, m):
    visits.check_in(actor, _load("visit.check_in", args))
    return []


@mutation("visit.check_out", CheckOutArgs)
def _check_out(actor, args, m):
    data = _load("visit.check_out", args)
    visits.check_out(actor, data.pop("visit_id"), data)
    return []


@mutation("display.check", DisplayCheckSchema, creates=DisplayCheck)
def _display_check(actor, args, m):
    visits.record_display_check(actor, _load("display.check", args))
    return []


@mutation("stock.move", StockMovementSchema, creates=StockMovement)
def _stock_move(actor, args, m):
    stock.record_movement(actor, _load("stock.move", args))
    return []


@mutation("price.observe", PriceObservationSchema, creates=PriceObservation)
def _price(actor, args, m):
    intel.observe_price(actor, _load("price.observe", args))
    return []


@mutation("intel.report", IntelReportSchema, creates=IntelReport)
def _intel(actor, args, m):
    intel.report_intel(actor, _load("intel.report", args))
    return []


@mutation("shop_stock.count", ShopStockCountSchema, creates=ShopStockCount)
def _shop_stock_count(actor, args, m):
    sellout.record_count(actor, _load("shop_stock.count", args))
    return []


@mutation("sellout.report", SellOutReportSchema, creates=SellOutReport)
def _sellout_report(actor, args, m):
    sellout.report_sellout(actor, _load("sellout.report", args))
    return []


@mutation("sellout.competitor", CompetitorSellOutSchema, creates=CompetitorSellOut)
def _sellout_competitor(actor, args, m):
    sellout.report_competitor(actor, _load("sellout.competitor", args))
    return []


@dataclass(frozen=True)
class HeldField:
    """A field of an edit held for approval (a rep's big move of a store), reported like a
    conflict the edit lost: `kept` is the store's (approved) value, `lost` the proposed one. Not
    recorded as a sync conflict: the proposal is listed at /store-position-proposals."""

    field: str
    kept_value: object
    kept_hlc: str
    kept_by: int | None
    lost_value: object
    lost_hlc: str
    lost_by: int


@mutation("store.update", StoreUpdateArgs)
def _store_update(actor, args, m):
    data = _load("store.update", args)
    hlc = m.hlc.encode()
    store, conflicts, held = stores.update_store(
        actor, data["store_id"], data["changes"], hlc=hlc, base=data.get("base"), channel="sync"
    )
    if held is None:
        return conflicts
    # The other fields applied; the position waits for a manager: the device hears `merged`
    # with latitude/longitude as values that did not take effect (SPEC.md, store.update).
    clock = store.field_clock or {}
    return conflicts + [
        HeldField(
            field=f,
            kept_value=getattr(store, f),
            kept_hlc=clock.get(f, {}).get("hlc", ORIGIN),
            kept_by=_user_id(clock.get(f, {}).get("by")),
            lost_value=getattr(held, f),
            lost_hlc=hlc,
            lost_by=actor.id,
        )
        for f in ("latitude", "longitude")
        if f in data["changes"]
    ]


def _user_id(by) -> int | None:
    return int(by) if str(by or "").isdigit() else None


@mutation("contact.upsert", ContactUpsertArgs)
def _contact_upsert(actor, args, m):
    data = _load("contact.upsert", args)
    _contact, _created, conflicts = stores.upsert_contact(
        actor, data["store_id"], data["id"], data["changes"], hlc=m.hlc.encode(), base=data.get("base")
    )
    return conflicts


@mutation("contact.delete", ContactDeleteArgs)
def _contact_delete(actor, args, m):
    data = _load("contact.delete", args)
    stores.delete_contact(actor, data["store_id"], data["id"], hlc=m.hlc.encode())
    return []


@mutation("warranty.register", WarrantyCardSchema, creates=WarrantyCard)
def _warranty_register(actor, args, m):
    warranty.register(actor, _load("warranty.register", args))
    return []


@mutation("warranty.correct", CardCorrectionArgs)
def _warranty_correct(actor, args, m):
    data = _load("warranty.correct", args)
    warranty.correct(actor, data["id"], data["changes"])
    return []


@mutation("training.record", TrainingSessionSchema, creates=TrainingSession)
def _training_record(actor, args, m):
    training.record_session(actor, _load("training.record", args))
    return []


# 三包 service events at the counter (aftersales): the REST body of POST /service-events without `kind`.
@mutation("warranty.return", ReturnArgs, creates=ServiceEvent)
def _warranty_return(actor, args, m):
    aftersales.record_return(actor, _load("warranty.return", args))
    return []


@mutation("warranty.exchange", ExchangeArgs, creates=ServiceEvent)
def _warranty_exchange(actor, args, m):
    aftersales.record_exchange(actor, _load("warranty.exchange", args))
    return []


@mutation("warranty.repair", RepairArgs, creates=ServiceEvent)
def _warranty_repair(actor, args, m):
    aftersales.record_repair(actor, _load("warranty.repair", args))
    return []


@mutation("imei.spot_check", SpotCheckSchema, creates=ImeiSpotCheck)
def _spot_check(actor, args, m):
    spot_checks.record(actor, _load("imei.spot_check", args))
    return []


@mutation("task.complete", TaskCompleteArgs)
def _task_complete(actor, args, m):
    data = _load("task.complete", args)
    tasks.complete(actor, data.pop("task_id"), data)
    return []


@mutation("plan.save", VisitPlanSchema)
def _plan_save(actor, args, m):
    routes.save_plan(actor, _load("plan.save", args))
    return []
