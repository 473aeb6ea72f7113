"""What syncs to devices: each entity's model, who may see which rows, how rows are sent.

The order of ENTITIES is the order of an initial snapshot: reference data first, then stores
and contacts, then field records, so a client can always resolve what a row refers to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, missing
from marshmallow import fields as ma_fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import ensure_text_type
from sqlalchemy import ColumnElement, false, select, true

from ..aftersales.models import FaultCode, ServiceEvent
from ..aftersales.schemas import FaultCodeSchema, ServiceEventSchema
from ..aftersales.service import present as present_events
from ..auth.models import Role, User
from ..catalogue import schemas as cat_schemas
from ..catalogue.models import ChecklistItem, CompetitorBrand, CompetitorModel, Product, PromoMaterial
from ..channel.alert_schemas import ChannelAlertSchema
from ..channel.models import AlertKind, ChannelAlert
from ..core.schemas import UTCDateTime
from ..core.sql import among
from ..extensions import db
from ..intel.models import IntelReport, PriceObservation
from ..intel.schemas import IntelReportSchema, PriceObservationSchema
from ..intel.service import with_candidates
from ..org import schemas as org_schemas
from ..org.models import Partner, Region, Territory
from ..photos.service import attach_photo_ids
from ..routes.models import VisitPlan
from ..routes.schemas import VisitPlanSchema
from ..routes.service import reps_scope, territory_of_rep
from ..sellout.models import CompetitorSellOut, SellOutReport, ShopStockCount
from ..sellout.schemas import CompetitorSellOutSchema, SellOutReportSchema, ShopStockCountSchema
from ..stock.models import StockMovement
from ..stock.schemas import StockMovementSchema
from ..stores.models import Store, StoreContact
from ..stores.schemas import ContactSchema, StoreSchema
from ..stores.service import FIELD_READERS, field_record_scope, store_scope
from ..tasks.models import Task, TaskStatus
from ..tasks.schemas import TaskSyncSchema
from ..training.models import TrainingSession, TrainingTopic
from ..training.schemas import TopicSchema, TrainingSessionSchema
from ..training.service import with_attendees
from ..visits.models import DisplayCheck, Visit
from ..visits.schemas import DisplayCheckSchema, VisitSchema
from ..warranty.models import ImeiSpotCheck, WarrantyCard
from ..warranty.schemas import SpotCheckSchema, WarrantyCardSchema
from ..warranty.service import present

GLOBAL, STORE, RECORD = "global", "store", "record"
# Rows only the store's own counter (its clerks) receives: warranty cards carry buyers' data.
COUNTER = "counter"


@dataclass
class Entity:
    name: str
    model: type
    audience: str
    schema: Any
    visible: Callable[[User], ColumnElement[bool]]
    prepare: Callable[[User, list], list] | None = None
    is_tombstone: Callable[[Any], bool] | None = None
    snapshot_filter: Callable[[], ColumnElement[bool]] | None = None
    has_clock: bool = False
    # The territory a change is logged in, when it is not the row's store's (see changelog).
    territory: Callable[[Any], int | None] | None = None
    # Snapshots read this entity's rows as plain records of their columns (`select_records`)
    # rather than ORM objects; False when `prepare` needs the objects themselves.
    plain_rows: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def pk(self):
        return self.model.__mapper__.primary_key[0]

    def parse_pk(self, text: str):
        return uuid.UUID(text) if self.pk.type.python_type is uuid.UUID else int(text)

    def __post_init__(self) -> None:
        self._dumper = _Dumper(self.schema)
        self._column_keys: list[str] | None = None

    def select_records(self, stmt) -> list:
        """The rows of `stmt` (a select of this entity's model, with its filters and order): ORM
        objects, or, with `plain_rows`, a `Record` of each row's column attributes - the same
        values through the same column types, without building and tracking an ORM instance for
        each (the largest cost left once dumping was fast). The schemas read only columns (and what
        `prepare` sets), so they dump both alike."""
        if not self.plain_rows:
            return list(db.session.scalars(stmt))
        if self._column_keys is None:
            self._column_keys = [a.key for a in self.model.__mapper__.column_attrs]
        keys = self._column_keys
        columns = stmt.with_only_columns(*(getattr(self.model, k) for k in keys), maintain_column_froms=True)
        # Core's execution on the session's connection (its transaction, so the pull's snapshot):
        # the same rows through the same column types, without the ORM's execution around a
        # select of columns (a quarter of the time of reading them).
        rows = db.session.connection().execute(columns)
        return [Record(zip(keys, row, strict=True)) for row in rows]

    def dump(self, rows: list) -> list[dict]:
        return self._dumper.dump(rows)


class Record:
    """A row's column values as attributes (`prepare` may set more, such as `photo_ids`)."""

    def __init__(self, values) -> None:
        self.__dict__.update(values)


class _Dumper:
    """`schema.dump(rows, many=True)`, value for value, without marshmallow's indirections per
    value (Field.serialize → get_value → the schema's accessor → utils.get_value → hasattr…),
    which were most of a first pull's time.

    Each row is dumped by a function compiled once per schema (`_compile`): for each field, in
    the schema's order, it takes the value `utils.get_value` would find (an object's attribute;
    a plain dict's key, then its attribute), applies the field's dump default as
    `Field.serialize` does, and converts it as the field's own `_serialize` would — inline for
    the field types a pull is made of (`_inline`: text, UUIDs, numbers, booleans, dates and UTC
    times, exactly as their `_serialize`), by calling that `_serialize` for any other; a list of
    nested objects (a display check's answers) is dumped item by item as List/Nested do. A
    schema with dump hooks or its own accessor or serialisation, and a field with its own
    `serialize`/`get_value` or a dotted attribute, are left to marshmallow (the schema whole, or
    that field). Rows of other mapping or sequence types go through marshmallow's accessor."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        cls = type(schema)
        self.plain = (
            not schema.many
            and not schema._hooks[PRE_DUMP]
            and not schema._hooks[POST_DUMP]
            and cls.get_attribute is Schema.get_attribute
            and cls._serialize is Schema._serialize
            and cls.dump is Schema.dump
            and schema.dict_class is dict
        )
        self.fields = []
        for name, f in schema.dump_fields.items():
            key = f.data_key if f.data_key is not None else name
            check_key = name if f.attribute is None else f.attribute
            direct = (
                type(f).serialize is ma_fields.Field.serialize
                and type(f).get_value is ma_fields.Field.get_value
                and "." not in check_key
            )
            nested = None
            if direct and type(f) is ma_fields.List and type(f.inner) is ma_fields.Nested and not f.inner.many:
                nested = _Dumper(f.inner.schema)
                if not nested.plain:
                    nested = None
            self.fields.append((name, key, check_key, f, direct, nested))
        self._by_type: dict[type, Callable[[Any], dict]] = {}
        if self.plain:
            self.dump_object = self._compile(from_dict=False)
            self.dump_dict = self._compile(from_dict=True)

    def dump(self, rows: list) -> list[dict]:
        if not self.plain:
            return self.schema.dump(rows, many=True)
        by_type = self._by_type
        out = []
        for obj in rows:
            cls = type(obj)
            dump_one = by_type.get(cls)
            if dump_one is None:
                dump_one = by_type[cls] = self._dumper_for(cls)
            out.append(dump_one(obj))
        return out

    def dump_one(self, obj) -> dict:
        return self._dumper_for(type(obj))(obj)

    def _dumper_for(self, cls: type) -> Callable[[Any], dict]:
        # An object's attribute, or a plain dict's key (then its attribute, as utils.get_value).
        # Other mappings and sequences (rows a `prepare` turned into something else) go through
        # marshmallow's accessor, field by field.
        if cls is dict:
            return self.dump_dict
        if hasattr(cls, "__getitem__"):
            return self._dump_by_accessor
        return self.dump_object

    def _dump_by_accessor(self, obj) -> dict:
        ret = {}
        for name, key, _check_key, f, _direct, _nested in self.fields:
            value = f.serialize(name, obj, accessor=self.schema.get_attribute)
            if value is not missing:
                ret[key] = value
        return ret

    def _compile(self, *, from_dict: bool) -> Callable[[Any], dict]:
        """The source of one row's dump, for objects or for plain dicts, made into a function."""
        env: dict[str, Any] = {"MISSING": missing, "_getattr": getattr, "_dumper": self}
        lines = ["def dump_one(obj):", "    ret = {}"]
        for i, (name, key, check_key, f, direct, nested) in enumerate(self.fields):
            env[f"f{i}"] = f
            if not direct:
                lines += [
                    f"    v = f{i}.serialize({name!r}, obj, accessor=_dumper.schema.get_attribute)",
                    f"    if v is not MISSING: ret[{key!r}] = v",
                ]
                continue
            if not f._CHECK_ATTRIBUTE:  # Function, Method: computed from the object
                lines += [f"    v = f{i}._serialize(None, {name!r}, obj)", f"    if v is not MISSING: ret[{key!r}] = v"]
                continue
            if from_dict:
                lines.append(
                    f"    v = obj[{check_key!r}] if {check_key!r} in obj else _getattr(obj, {check_key!r}, MISSING)"
                )
            else:
                lines.append(f"    v = _getattr(obj, {check_key!r}, MISSING)")
            if f.dump_default is not missing:
                env[f"default{i}"] = f.dump_default
                call = "()" if callable(f.dump_default) else ""
                lines.append(f"    if v is MISSING: v = default{i}{call}")
            if nested is not None:
                env[f"nested{i}"] = nested.dump_one
                value = f"v if v is None else [None if each is None else nested{i}(each) for each in v]"
            else:
                value = _inline(f, i, name, env)
            lines.append(f"    if v is not MISSING: ret[{key!r}] = {value}")
        lines.append("    return ret")
        exec("\n".join(lines), env)  # the source above: the schema's field names as literals
        return env["dump_one"]


def _utc_iso(value) -> str:
    """UTCDateTime._serialize of a value that is not None, in ISO format."""
    if value.__class__ is datetime and value.tzinfo is None:
        return value.isoformat() + "+00:00"  # = value.replace(tzinfo=UTC).isoformat()
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return datetime.isoformat(value)


def _inline(f: ma_fields.Field, i: int, name: str, env: dict) -> str:
    """An expression of `v` (not missing) equal to `f._serialize(v, name, obj)`: inline for the
    usual field types, the call itself for any other."""
    serialize = type(f)._serialize
    if serialize is ma_fields.Field._serialize:  # Boolean, Raw: the value as it is
        return "v"
    if serialize is ma_fields.String._serialize:
        env["_text"] = ensure_text_type
        return "v if v is None or v.__class__ is str else _text(v)"
    if serialize is ma_fields.UUID._serialize:
        return "v if v is None else str(v)"
    if (
        serialize is ma_fields.Number._serialize
        and not f.as_string
        and type(f)._format_num is ma_fields.Number._format_num
        and f.num_type in (int, float)
    ):
        return f"v if v is None else {f.num_type.__name__}(v)"
    if isinstance(f, ma_fields._TemporalField):
        as_text = f.SERIALIZATION_FUNCS.get(f.format or f.DEFAULT_FORMAT)
        if serialize is UTCDateTime._serialize and as_text is datetime.isoformat:
            env["_utc_iso"] = _utc_iso
            return "v if v is None else _utc_iso(v)"
        if serialize is ma_fields._TemporalField._serialize and as_text is not None:
            env[f"format{i}"] = as_text
            return f"v if v is None else format{i}(v)"
    return f"f{i}._serialize(v, {name!r}, obj)"


def _everyone(actor: User) -> ColumnElement[bool]:
    return true()


def _records(model, territory_column=None):
    def visible(actor: User) -> ColumnElement[bool]:
        if actor.role not in FIELD_READERS:
            return false()
        return field_record_scope(actor, model, territory_column)

    return visible


def _contacts_visible(actor: User) -> ColumnElement[bool]:
    return StoreContact.store_id.in_(select(Store.id).where(store_scope(actor)))


def _counter_visible(actor: User) -> ColumnElement[bool]:
    if actor.role != Role.CLERK or actor.store_id is None:
        return false()
    return WarrantyCard.store_id == actor.store_id


def _plans_visible(actor: User) -> ColumnElement[bool]:
    if actor.role not in FIELD_READERS:
        return false()
    return VisitPlan.rep_id.in_(select(User.id).where(reps_scope(actor)))


def _plan_territory(plan: VisitPlan) -> int | None:
    return territory_of_rep(plan.rep_id)


def _alerts_visible(actor: User) -> ColumnElement[bool]:
    """Stock-out alerts of the stores in `actor`'s scope (a rep's territory, a manager's region,
    all for HQ), for Today's card; cover alerts concern regions, not phones. Not clerks."""
    if actor.role == Role.CLERK:
        return false()
    return (ChannelAlert.kind == AlertKind.STOCK_OUT) & ChannelAlert.store_id.in_(
        select(Store.id).where(store_scope(actor))
    )


def _cards_prepare(actor: User, rows: list) -> list:
    return present(actor, rows)


def _service_events_visible(actor: User) -> ColumnElement[bool]:
    """A store's 三包 service events go with its warranty cards: to its clerks only."""
    if actor.role != Role.CLERK or actor.store_id is None:
        return false()
    return ServiceEvent.store_id == actor.store_id


def _service_events_prepare(actor: User, rows: list) -> list:
    return present_events(rows)


def _with_photos(record_type: str):
    return lambda actor, rows: attach_photo_ids(record_type, rows)


def _intel_prepare(actor: User, rows: list) -> list:
    return with_candidates(actor, rows)


def _tasks_visible(actor: User) -> ColumnElement[bool]:
    """The tasks of the stores in `actor`'s scope (a rep's territory, a manager's region, all for
    HQ); not clerks."""
    if actor.role not in FIELD_READERS:
        return false()
    return Task.store_id.in_(select(Store.id).where(store_scope(actor)))


ENTITIES: list[Entity] = [
    Entity("region", Region, GLOBAL, org_schemas.RegionSchema(), _everyone),
    Entity("territory", Territory, GLOBAL, org_schemas.TerritorySchema(), _everyone),
    Entity("partner", Partner, GLOBAL, org_schemas.PartnerSchema(), _everyone),
    Entity("product", Product, GLOBAL, cat_schemas.ProductSchema(), _everyone),
    Entity("competitor_brand", CompetitorBrand, GLOBAL, cat_schemas.CompetitorBrandSchema(), _everyone),
    Entity("competitor_model", CompetitorModel, GLOBAL, cat_schemas.CompetitorModelSchema(), _everyone),
    Entity("promo_material", PromoMaterial, GLOBAL, cat_schemas.PromoMaterialSchema(), _everyone),
    Entity("checklist_item", ChecklistItem, GLOBAL, cat_schemas.ChecklistItemSchema(), _everyone),
    # The fault codes a clerk picks from (inactive ones too: an event may name one; the PWA
    # lists the active ones).
    Entity("fault_code", FaultCode, GLOBAL, FaultCodeSchema(), _everyone),
    Entity("store", Store, STORE, StoreSchema(), store_scope, has_clock=True),
    Entity(
        "contact",
        StoreContact,
        STORE,
        ContactSchema(),
        _contacts_visible,
        is_tombstone=lambda c: c.deleted_at is not None,
        snapshot_filter=lambda: StoreContact.deleted_at.is_(None),
        has_clock=True,
    ),
    Entity("visit", Visit, RECORD, VisitSchema(), _records(Visit)),
    Entity(
        "display_check",
        DisplayCheck,
        RECORD,
        DisplayCheckSchema(),
        _records(DisplayCheck),
        prepare=_with_photos("display_check"),
    ),
    Entity("stock_movement", StockMovement, RECORD, StockMovementSchema(), _records(StockMovement)),
    Entity(
        "price_observation",
        PriceObservation,
        RECORD,
        PriceObservationSchema(),
        _records(PriceObservation),
        prepare=_with_photos("price_observation"),
    ),
    Entity("shop_stock_count", ShopStockCount, RECORD, ShopStockCountSchema(), _records(ShopStockCount)),
    Entity("sellout_report", SellOutReport, RECORD, SellOutReportSchema(), _records(SellOutReport)),
    Entity("competitor_sellout", CompetitorSellOut, RECORD, CompetitorSellOutSchema(), _records(CompetitorSellOut)),
    Entity(
        "channel_alert",
        ChannelAlert,
        STORE,
        ChannelAlertSchema(),
        _alerts_visible,
        # A snapshot brings the open ones; an acknowledgment later comes as a put with its time.
        snapshot_filter=lambda: ChannelAlert.acknowledged_at.is_(None),
    ),
    Entity(
        "intel_report",
        IntelReport,
        RECORD,
        IntelReportSchema(),
        _records(IntelReport, IntelReport.territory_id),
        prepare=_intel_prepare,
    ),
    Entity("imei_spot_check", ImeiSpotCheck, RECORD, SpotCheckSchema(), _records(ImeiSpotCheck)),
    Entity("visit_plan", VisitPlan, RECORD, VisitPlanSchema(), _plans_visible, territory=_plan_territory),
    Entity("training_topic", TrainingTopic, GLOBAL, TopicSchema(), _everyone),
    Entity(
        "training_session",
        TrainingSession,
        RECORD,
        TrainingSessionSchema(),
        _records(TrainingSession),
        # The attendees (their answers and scores) travel inside the session's row.
        prepare=lambda actor, rows: with_attendees(rows),
    ),
    Entity(
        "task",
        Task,
        STORE,
        TaskSyncSchema(),
        _tasks_visible,
        # A snapshot brings the open ones; a task done or cancelled later comes as a put.
        snapshot_filter=lambda: Task.status == TaskStatus.OPEN,
        prepare=_with_photos("task"),
    ),
    Entity(
        "warranty_card",
        WarrantyCard,
        COUNTER,
        WarrantyCardSchema(),
        _counter_visible,
        prepare=_cards_prepare,
        plain_rows=False,
    ),
    Entity(
        "service_event",
        ServiceEvent,
        COUNTER,
        ServiceEventSchema(),
        _service_events_visible,
        prepare=_service_events_prepare,
    ),
]

BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}
BY_MODEL: dict[type, Entity] = {e.model: e for e in ENTITIES}


def stream_filter(actor: User, change_model) -> ColumnElement[bool]:
    """The change-log rows that concern `actor` (the pull stream of their scope)."""
    c = change_model
    if actor.sees_everything:
        return c.audience != COUNTER
    if actor.role == Role.REP:
        return (
            (c.audience == GLOBAL)
            | ((c.audience == STORE) & (c.territory_id == actor.territory_id))
            | ((c.audience == RECORD) & (c.rep_id == actor.id))
        )
    if actor.role == Role.MANAGER:
        return (c.audience == GLOBAL) | (c.audience.in_((STORE, RECORD)) & (c.region_id == actor.region_id))
    if actor.role == Role.CLERK:
        return (c.audience == GLOBAL) | (c.audience.in_((STORE, COUNTER)) & (c.store_id == actor.store_id))
    return c.audience == GLOBAL


def load_visible(actor: User, entity: Entity, ids: list) -> dict:
    """The rows among `ids` that `actor` may see, by primary key."""
    if not ids:
        return {}
    stmt = select(entity.model).where(among(entity.pk, ids), entity.visible(actor))
    return {getattr(row, entity.pk.key): row for row in db.session.scalars(stmt)}


def serialise(actor: User, entity: Entity, rows: list) -> list[dict]:
    """Pull items {"entity", "id", "op": "put"|"delete", "data", "clock"?} for visible rows."""
    keys = [str(getattr(row, entity.pk.key)) for row in rows]
    gone = [entity.is_tombstone is not None and entity.is_tombstone(row) for row in rows]
    # `prepare` may return rows or plain dicts (e.g. cards with computed terms): keys come first.
    data = entity.dump(entity.prepare(actor, rows) if entity.prepare is not None else rows)
    items = []
    for row, key, tombstone, body in zip(rows, keys, gone, data, strict=True):
        if tombstone:
            items.append({"entity": entity.name, "id": key, "op": "delete"})
            continue
        item = {"entity": entity.name, "id": key, "op": "put", "data": body}
        if entity.has_clock:
            item["clock"] = {f: c["hlc"] for f, c in (row.field_clock or {}).items()}
        items.append(item)
    return items
