"""The channel's rollups (`models.py`) kept current in the transaction that writes what they
count: shipments (sell-in), warranty cards (exact sell-out), declared sell-out reports and
competitor estimates. Neither warranty nor sellout knows the channel exists: what they write is
noticed here, by session events, and turned into increments just before the commit.

What is noticed, and how:

- Shipments: inserted in bulk by the import loader with Core `session.execute(insert(Shipment),
  rows)` (and by the demo seed). A `do_orm_execute` listener runs the statement, then notes the
  units of its parameters (only once it succeeded: a failed insert notes nothing). Just before
  the commit the cards holding those IMEIs in either slot are read (`_count_units`): a unit
  whose card was registered before its shipment arrived counts as sold the moment the shipment
  does (and a card's first IMEI shipped after its second moves its sale to it). Units
  inserted inside a savepoint are checked against the table first (it may have rolled back).
  Shipments are never updated or deleted. (A bulk path whose rows are not the statement's
  parameters — COPY, raw SQL, `insert().values(...)`, `insert().from_select` — is not seen: run
  `rebuild()` after it.)
- Warranty cards: registered, corrected (IMEI, model, store, purchase date may change), voided,
  and closed by a 三包 return or exchange (aftersales; an exchange also registers the replacement
  unit's card), by REST and by sync pushes whose mutations run in savepoints that may roll back. At the first
  flush that touches a card its ORIGINAL values (from the attributes' history: what the
  transaction started with) are noted by card id; just before the commit one SELECT reads the
  cards' FINAL state (a rolled-back savepoint's changes are then simply not there), and final −
  original is applied. A card counts in two ways (`card_flags`): as one phone of sell-out
  (`sells`: neither voided nor closed) to StoreSellOutWeek.card_units and SellOutCell (the
  store's region and NATIONAL) in its purchase week — per card, final − original; and its unit
  as out of the channel's stock (`out`: neither voided nor returned) — per UNIT, not per card.
  A card's unit is the shipment of its first IMEI, else of its second (`unit_imei`: either slot
  is the phone's, as `warranty_imeis` says; both shipped is a data error that still sells one
  unit). A shipped unit is out when at least one out card's unit it is, and it then counts ONCE
  in its cohort (ChannelCohort.sold, so ChannelStock / ChannelWeek) and in ChannelSale, in the
  week of the earliest purchase date of those cards (`unit_days`). `_count_units` takes every
  unit the transaction may have changed (its cards' IMEIs before and after, its new shipments,
  the other IMEI of a card holding a new one), reads all the out cards holding them, and
  applies the unit's sale now − its sale at the transaction's start (touched cards as they
  were, without this transaction's shipments).

  The 三包 accounting this gives: a voided card counts nothing. A RETURNED card (`closed_kind`)
  counts neither way: the unit is back on the store's shelf, in channel stock, unsold. An
  EXCHANGED card no longer counts as sell-out — the replacement's new card, which inherits the
  purchase date, counts the one phone the buyer has — but its unit stays out of the channel:
  the store handed the buyer a new unit from its stock and the faulty one went to after-sales,
  not back on the shelf. So an exchange leaves sell-out at one phone and channel stock two
  units down: the faulty unit out once, the replacement out once (both in the card's purchase
  week, the replacement's card having inherited it); ChannelSale counts both, since it is what
  left the stock (Σ ChannelSale = ChannelCohort.sold, stock = shipped − sold: one identity;
  sell-through and weeks of cover read an exchange as stock used up, which it is). The faulty
  unit refurbished and sold again (aftersales lets a closed card's IMEI be registered anew) is a
  second buyer — sell-out counts the new card — but not a second unit out of the channel: it
  came from after-sales, not the shelf, and the unit left the stock when it was first sold; the
  exchanged card and the resale's card hold one unit, counted once, in the first sale's week.
  Should the resale's card be voided, or the exchanged card, the other still holds it out.

  A card new in this transaction is counted only if the object that was added is still in the
  session (not rolled back with its savepoint): a retry that re-adds it is a new object, noted
  again.
- Sell-out reports and competitor estimates (sellout package): append-only, so new objects only,
  those still persistent at the commit. Outside a visit each counts, from its object's values (no
  SELECT). Within a visit a correction is a second record that supersedes the first (only the
  visit's latest of a product, or of a competitor model and week, counts: SPEC I.3.2, like
  prices): one SELECT reads the records of the visits the transaction added to, and the record
  counted before is taken back where the latest now is counted (`_count_records`). A report's
  units are spread over the ISO weeks of its period by days (`report_weeks`,
  `rules.spread_over_weeks`: largest remainder, whole units adding up to the report's); it
  counts once in `declared_reports`, in the week its period ends. At a store that registers no
  cards (`registers_cards`: no clerk) the same units also leave the channel's stock: its
  region's, its partner's (NO_PARTNER: none), ChannelStock and ChannelWeek `sold` and
  `declared` — one sell-out figure per store, never cards and declared both. Declared units
  name no IMEI: the cohorts, ChannelSale, aging and FIFO breaks stay IMEI-level (cards only).
- Users: a clerk created, moved to another store, given another role or deleted may change
  whether a store registers cards, and so whether its declared units leave the channel. At the
  first flush that touches a user's role or store its original pair is noted (the attributes
  keep their old value: `_keep_old_value`); at the commit the stores that flipped have all
  their declared units, every week, taken out of the channel or put back (`_count_clerks`).

How increments are applied: summed per key in Python, then one upsert per table
(`core.sql.upsert_add`: `INSERT … ON CONFLICT DO UPDATE SET x = table.x + excluded.x`), keys
sorted and the tables always in one order (cohorts, sales, stock, weeks, store weeks, cells), zero
deltas skipped. Additions commute, so concurrent transactions never lose a count, and since every
transaction locks rows in one order they never deadlock on them. On PostgreSQL the units shipped
are not summed in Python: one statement groups them by cohort and adds them to the cohorts, weeks
and stock (`_add_shipped`; shipment writers hold the exclusive lock, so no other writer's order
matters). A batch of a bulk load (its INSERT's execution option `bulk_load`: the import's
batches) appends those groups to channel_shipped_pending instead, and `fold_pending` adds them
all at once (one DELETE … RETURNING feeding the same three upserts) when the session has
appended CHANNEL_FOLD_UNITS units, at the commit that flushes an import done or failed, and in
the housekeeping task `channel-fold`; `rebuild()` drops them (it counts the shipments). An import
of units shipped over a year touches thousands of cohort and week rows per batch: appending them
costs the batch a fraction of updating them, batch after batch (measured in bench/channel_scale).
A card registered meanwhile counts its sale at once (its unit's shipment is in the table) and
the fold adds the unit shipped: additions commute. The screens see a running import's units
up to a fold late. Per commit: at most one SELECT for the cards touched, one or two for the out cards
holding the units concerned (and one for those cards' shipments, when there are any), one for
the visits' sell-out records, one for the stores (region, partner, clerk), three when clerks
changed; nothing when the transaction touched none of these.

A card and its shipment committed at the same moment by two transactions (a clerk registers a
phone while HQ's import of its shipment runs) would each not see the other under READ COMMITTED
and the unit's sale would be counted by neither. So on PostgreSQL the writers take a
transaction-level advisory lock before they read: card and sell-out writers a SHARED one (they
do not block each other), shipment writers, clerk changes and `rebuild()` an EXCLUSIVE one (a
clerk's arrival and a report at the store committed at once are then counted in one order). Whoever locks
second reads after the first has committed (each statement of READ COMMITTED sees the latest
commits), so the pair is counted once, by the second: the shipment side counts the cards
committed, the card side the shipments committed. Within one transaction that writes both, the
card side leaves the transaction's own new shipments to the shipment side. The lock is taken
before any rollup row is written and is held for the last moments of a commit only. (SQLite has
one writer at a time: nothing to lock.)

What could still drift (and `flask rebuild-channel` puts right, from the raw rows):
- a store moved to another region: its earlier cards (and declared units) stay in the old
  region's sell-out cells (and channel)
  (where they were sold), while a later correction or void of one of them is taken off the new
  region's; rebuild puts all of a store's cards in its current region;
- two transactions changing the same card at once (a correction racing HQ's void): the warranty
  service does not lock the card, so one transaction's original may be stale; likewise two
  card writers (shared lock) changing two cards of one unit at once — the resale of an
  exchanged unit registered while HQ voids the exchanged card — each reading the other's card
  as it was;
- a store whose partner changes: its earlier declared units stay with the old partner;
- shipments written by a path that bypasses the ORM statement (above);
- two transactions adding reports or estimates to the same visit at once (one rep's visit on two
  devices pushing at the same moment; one device's pushes are serialized): each would take back
  the same earlier record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from flask import current_app
from sqlalchemy import (
    Date,
    String,
    and_,
    case,
    cast,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from ..auth.models import Role, User
from ..core.sql import among, array_text, chunks, upsert_add
from ..core.transaction import TransactionState, original_values
from ..extensions import db
from ..jobs.periodic import periodic
from ..org.models import Territory
from ..sellout.models import BAND_UNITS, CompetitorSellOut, SellOutReport
from ..sellout.rules import week_start as week_of
from ..stores.models import Store
from ..warranty.models import ImportStatus, Shipment, ShipmentImport, WarrantyCard
from . import rules
from .models import (
    NATIONAL,
    NO_PARTNER,
    ChannelCohort,
    ChannelSale,
    ChannelShippedPending,
    ChannelStock,
    ChannelWeek,
    SellOutCell,
    StoreSellOutWeek,
)

LOCK_KEY = 0x5F5C_0016  # pg_advisory_xact_lock: shared by card/sell-out writers, exclusive by shipment writers
CHUNK = 5000  # rows read at a time (yield_per)

CARD_FIELDS = ("imei", "imei2", "product_id", "store_id", "purchase_date", "voided_at", "closed_at", "closed_kind")
EXCHANGED = "exchanged"  # warranty.models.ClosedKind.EXCHANGED
LOAD_ENDED = (ImportStatus.DONE, ImportStatus.FAILED)  # an import flushed so folds what is pending


def card_flags(voided_at, closed_at, closed_kind) -> tuple[bool, bool]:
    """(sells, out) of a card: `sells` — it counts one unit of sell-out (neither voided nor
    closed); `out` — its unit has left the channel's stock (neither voided nor returned: a live
    card's, or an exchanged card's faulty unit, which went to after-sales, not back on the shelf)."""
    voided = voided_at is not None
    closed = closed_at is not None
    return (not voided and not closed, not voided and (not closed or closed_kind == EXCHANGED))


def registers_cards(store_id):
    """SQL: the store `store_id` (a column or a value) registers warranty cards — a clerk works
    there. The one rule of which sell-out figure a store-week has: its cards where it registers
    cards, else the units its promoter or owner declared, never both (a clerk's store whose
    promoter also declares would count each sale twice). `alerts.region_units` (where the
    region sells a model) and the channel's stock (declared units subtract only at stores
    without a clerk) both read it."""
    return exists().where(User.store_id == store_id, User.role == Role.CLERK)


def _out_sql(c):
    """SQL: card `c`'s unit is out of the channel's stock (`card_flags`' `out`)."""
    return and_(c.voided_at.is_(None), or_(c.closed_at.is_(None), c.closed_kind == EXCHANGED))


def product_key(product_id: int) -> str:
    return f"p{product_id}"


def competitor_key(competitor_model_id: int) -> str:
    return f"c{competitor_model_id}"


# --- noticing what a transaction writes -----------------------------------------------------------


class Noted:
    """What the open transaction wrote that the rollups count."""

    __slots__ = ("bulk", "cards", "load_ended", "records", "shipments", "unsure", "users")

    def __init__(self) -> None:
        # card id → (the object, if added by this transaction, else None; its original values
        # (imei, imei2, product_id, store_id, purchase_date, sells, out), or None for a card new
        # here); sells / out: `card_flags`
        self.cards: dict = {}
        self.records: dict = {}  # report / estimate id → the object added
        # IMEI → (region_id, partner_id, product_id, ship_date) of the shipments inserted, as the
        # statement's parameters said; `unsure`: those inserted inside a savepoint, which may
        # have rolled back since (checked against the table at the commit).
        self.shipments: dict[str, tuple] = {}
        self.unsure: set[str] = set()
        # `bulk`: an insert said it is a batch of a bulk load (execution option `bulk_load`): its
        # units are appended to channel_shipped_pending, folded later (`fold_pending`).
        # `load_ended`: an import was flushed done or failed: every pending unit is folded now.
        self.bulk = False
        self.load_ended = False
        # user id → (role, store_id) when the transaction started (None: a user new here): who
        # is a clerk where decides which stores' declared sell-out the channel's stock subtracts.
        self.users: dict[int, tuple | None] = {}


def _original(obj: WarrantyCard) -> tuple | None:
    """The card's values when the transaction started (its attributes' history at their first
    change: whatever changed before was noted at an earlier flush)."""
    imei, imei2, product_id, store_id, purchase_date, voided_at, closed_at, closed_kind = original_values(
        obj, CARD_FIELDS
    )
    return (imei, imei2, product_id, store_id, purchase_date, *card_flags(voided_at, closed_at, closed_kind))


def _changes_counted(obj: WarrantyCard) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in CARD_FIELDS)


USER_FIELDS = ("role", "store_id")


def _user_original(obj: User) -> tuple:
    return original_values(obj, USER_FIELDS)


def import_ended(obj: ShipmentImport) -> bool:
    """A changed import whose status was just set to done or failed (not one that ended before
    and had a counter updated since, as the demo seed's does)."""
    return obj.status in LOAD_ENDED and inspect(obj).attrs.status.history.has_changes()


def _notice(session: Session) -> None:
    """After a flush: note new and changed cards, new sell-out records, and users who became or
    stopped being a store's clerk."""
    noted = None
    for obj in session.new:
        if isinstance(obj, User):
            if obj.role == Role.CLERK and obj.store_id is not None:
                noted = noted or NOTED.get(session)
                noted.users.setdefault(obj.id, None)
        elif isinstance(obj, WarrantyCard):
            noted = noted or NOTED.get(session)
            entry = noted.cards.get(obj.id)
            # A card re-added after its savepoint rolled back is a new object: follow it.
            noted.cards[obj.id] = (obj, entry[1] if entry is not None else None)
        elif isinstance(obj, (SellOutReport, CompetitorSellOut)):
            noted = noted or NOTED.get(session)
            noted.records[(type(obj).__name__, obj.id)] = obj
        elif isinstance(obj, ShipmentImport) and obj.status in LOAD_ENDED:
            noted = noted or NOTED.get(session)
            noted.load_ended = True
    for obj in session.dirty:
        if isinstance(obj, ShipmentImport) and import_ended(obj):
            noted = noted or NOTED.get(session)
            noted.load_ended = True
        elif isinstance(obj, WarrantyCard) and _changes_counted(obj):
            noted = noted or NOTED.get(session)
            if obj.id not in noted.cards:
                noted.cards[obj.id] = (None, _original(obj))
        elif isinstance(obj, User):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in USER_FIELDS):
                noted = noted or NOTED.get(session)
                if obj.id not in noted.users:
                    noted.users[obj.id] = _user_original(obj)
    for obj in session.deleted:
        if isinstance(obj, WarrantyCard):
            noted = noted or NOTED.get(session)
            if obj.id not in noted.cards:
                noted.cards[obj.id] = (None, _original(obj))
        elif isinstance(obj, User):
            noted = noted or NOTED.get(session)
            if obj.id not in noted.users:
                noted.users[obj.id] = _user_original(obj)


_SHIPMENT_KEYS = frozenset(("imei", "region_id", "product_id", "ship_date"))


def _notice_shipments(orm_execute_state):
    """`do_orm_execute`: run an INSERT into shipments, then note its IMEIs (a failed statement
    notes nothing)."""
    if not orm_execute_state.is_insert:
        return None
    table = getattr(orm_execute_state.statement, "table", None)  # an annotated copy of the Table
    if getattr(table, "name", None) != Shipment.__tablename__:
        return None
    result = orm_execute_state.invoke_statement()
    # An executemany's rows are its parameters; an INSERT … SELECT of arrays names its rows in
    # the execution option `shipment_rows` (warranty.imports._insert_arrays).
    params = orm_execute_state.execution_options.get("shipment_rows", orm_execute_state.parameters)
    rows = params if isinstance(params, list | tuple) else [params] if params else []
    # (One statement's rows name the same columns: checked on the first, not per row.)
    units = (
        {row["imei"]: (row["region_id"], row.get("partner_id"), row["product_id"], row["ship_date"]) for row in rows}
        if rows and _SHIPMENT_KEYS <= rows[0].keys()
        else {}
    )
    if units:
        session = orm_execute_state.session
        noted = NOTED.get(session)
        noted.shipments.update(units)
        if session.in_nested_transaction():
            noted.unsure.update(units)
        if orm_execute_state.execution_options.get("bulk_load"):
            noted.bulk = True
    return result


# --- turning notes into increments ----------------------------------------------------------------


class Deltas:
    """Increments per rollup row, summed in Python before one upsert per table."""

    def __init__(self) -> None:
        self.cohorts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])  # shipped, sold
        self.sales: dict[tuple, int] = defaultdict(int)
        self.stock: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])  # shipped, sold, declared
        self.weeks: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])  # shipped, sold, declared
        self.store_weeks: dict[tuple, list[int]] = defaultdict(lambda: [0] * 5)
        self.cells: dict[tuple, list[int]] = defaultdict(lambda: [0] * 5)

    def sale(self, shipment: tuple, sale_week: date, sign: int) -> None:
        region_id, partner_id, product_id, ship_date = shipment
        cohort = (region_id, partner_id if partner_id is not None else NO_PARTNER, product_id, week_of(ship_date))
        self.cohorts[cohort][1] += sign
        self.sales[(*cohort, sale_week)] += sign
        self.stock[cohort[:3]][1] += sign
        self.weeks[(*cohort[:3], sale_week)][1] += sign

    def shipped(self, shipment: tuple) -> None:
        region_id, partner_id, product_id, ship_date = shipment
        cohort = (region_id, partner_id if partner_id is not None else NO_PARTNER, product_id, week_of(ship_date))
        self.cohorts[cohort][0] += 1
        self.stock[cohort[:3]][0] += 1
        self.weeks[cohort][0] += 1

    def declared(self, store: tuple, product_id: int, week: date, units: int) -> None:
        """Units declared sold at a store that registers no cards, out of its region's channel:
        its partner's (`store`: (region_id, partner_id | None, registers cards))."""
        region_id, partner_id, _registers = store
        key = (region_id, partner_id if partner_id is not None else NO_PARTNER, product_id)
        for row in (self.stock[key], self.weeks[(*key, week)]):
            row[1] += units
            row[2] += units

    def sellout(self, store_id: int, region_id: int, key: str, week: date, values: tuple[int, ...]) -> None:
        """Add (card units, declared units, declared reports, estimated units, estimates)."""
        for row in (self.store_weeks[(store_id, key, week)], self.cells[(region_id, key, week)]):
            for i, v in enumerate(values):
                row[i] += v
        national = self.cells[(NATIONAL, key, week)]
        for i, v in enumerate(values):
            national[i] += v

    def card(self, values: tuple, region_id: int, sign: int) -> None:
        """A card's phone as sell-out, counted (+1) or taken back (−1), if the card `sells`
        (`card_flags`). Its unit's way out of the channel's stock is `_count_units`'."""
        _imei, _imei2, product_id, store_id, purchase_date, sells, _out = values
        if sells:
            self.sellout(store_id, region_id, product_key(product_id), week_of(purchase_date), (sign, 0, 0, 0, 0))


def _regions_of(session: Session, store_ids: set[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for chunk in chunks(sorted(store_ids)):
        found.update(
            session.execute(
                select(Store.id, Territory.region_id)
                .join(Territory, Territory.id == Store.territory_id)
                .where(Store.id.in_(chunk))
            ).all()
        )
    return found


def _shipments_of(session: Session, imeis: set[str]) -> dict[str, tuple]:
    s = Shipment
    found: dict[str, tuple] = {}
    for chunk in chunks(sorted(imeis)):
        for imei, *shipment in session.execute(
            select(s.imei, s.region_id, s.partner_id, s.product_id, s.ship_date).where(among(s.imei, chunk, session))
        ):
            found[imei] = tuple(shipment)
    return found


def _lock(session: Session, shared: bool) -> None:
    if session.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {fn}(:k)"), {"k": LOCK_KEY})


def unit_unsold(s):
    """SQL, for a shipment row `s` (the `Shipment` class or an alias): its unit is still in the
    channel's stock — no card took it out (`unit_imei`, `card_flags`' `out`). A unit is out when a
    live card holds its IMEI as the first; or an exchanged card does (the faulty unit went to
    after-sales, not back on the shelf); or a live or exchanged card holds it as the second while
    the card's first IMEI was not shipped. A voided card's or a returned card's unit is in stock.

    Three NOT EXISTS, AND-ed, each over one index of the cards, which PostgreSQL runs as anti-joins
    probing per unit: the live cards' first IMEIs by `uq_warranty_cards_live_imei` (an index-only
    probe: the partial index's condition is the card's being live), the exchanged cards by
    `ix_warranty_cards_imei` (a sold unit's live card is found by the first probe, so this one
    only meets the unsold units, which no card holds), the second IMEIs by `ix_warranty_cards_imei2`.
    (The same test as "no row of `warranty_imeis`, the live cards' IMEIs, …": read through that
    table and the cards' primary key it took two index probes and a heap fetch per sold unit, and
    the planner's estimate of the OR of subplans went past PostgreSQL's JIT thresholds — half a
    second of compiling per cohort read at 10 M shipments.)"""
    c, x2, first = WarrantyCard, aliased(WarrantyCard), aliased(Shipment)
    x = aliased(WarrantyCard)
    return and_(
        ~exists().where(c.imei == s.imei, c.voided_at.is_(None), c.closed_at.is_(None)),
        ~exists().where(x.imei == s.imei, x.closed_kind == EXCHANGED, x.voided_at.is_(None)),
        ~exists().where(x2.imei2 == s.imei, _out_sql(x2), ~exists().where(first.imei == x2.imei)),
    )


def _count_cards(session: Session, noted: Noted, deltas: Deltas) -> tuple[dict, dict]:
    """Sell-out: final − original for every card the transaction touched (one SELECT for the
    final state). Returns the cards touched {id: original values | None} and their final values
    {id: values}, for `_count_units`."""
    cards = {
        card_id: original
        for card_id, (obj, original) in noted.cards.items()
        # A card added here whose object is gone (its savepoint rolled back) was never ours to
        # count, even if another transaction's card of that id is in the table now.
        if obj is None or inspect(obj).persistent
    }
    if not cards:
        return {}, {}
    c = WarrantyCard
    final: dict = {}
    for chunk in chunks(list(cards)):
        rows = session.execute(
            select(
                c.id,
                c.imei,
                c.imei2,
                c.product_id,
                c.store_id,
                c.purchase_date,
                c.voided_at,
                c.closed_at,
                c.closed_kind,
                Territory.region_id,
            )
            .select_from(c)
            .join(Store, Store.id == c.store_id)
            .join(Territory, Territory.id == Store.territory_id)
            .where(among(c.id, chunk, session))
        )
        for card_id, imei, imei2, product_id, store_id, day, voided_at, closed_at, kind, region_id in rows:
            flags = card_flags(voided_at, closed_at, kind)
            final[card_id] = ((imei, imei2, product_id, store_id, day, *flags), region_id)
    selling = [o for o in cards.values() if o is not None and o[5]]
    known_regions = {values[3]: region for values, region in final.values()}
    regions = _regions_of(session, {o[3] for o in selling} - set(known_regions))
    regions.update(known_regions)
    for card_id, original in cards.items():
        if original is not None and original[5]:
            deltas.card(original, regions[original[3]], -1)
        if card_id in final:
            values, region_id = final[card_id]
            deltas.card(values, region_id, +1)
    return cards, {card_id: values for card_id, (values, _region) in final.items()}


def _count_shipments(session: Session, noted: Noted, deltas: Deltas) -> list[tuple]:
    """Units shipped, as their INSERT's parameters said (those inserted in a savepoint checked
    against the table: one SELECT, to drop those rolled back with it). What the new units change
    in the sales is `_count_units`'. On PostgreSQL the units are returned, for `_add_shipped` to
    count in SQL with the other writes; elsewhere they go into `deltas`."""
    if not noted.shipments:
        return []
    units = noted.shipments
    if noted.unsure:
        gone = set(noted.unsure)
        for chunk in chunks(sorted(noted.unsure)):
            gone -= set(session.scalars(select(Shipment.imei).where(among(Shipment.imei, chunk, session))))
        units = {imei: unit for imei, unit in units.items() if imei not in gone}
    if session.get_bind().dialect.name == "postgresql":
        return list(units.values())
    for shipment in units.values():
        deltas.shipped(shipment)
    return []


# The units (region_id, partner_id, product_id, week, n) of four arrays of shipments' values
# (a NULL partner: NO_PARTNER), unnested in step and grouped by cohort; `{source}` names the
# arrays: a statement's parameters, or the pending rows a fold moves. Unnested by set-returning
# functions in a select list, which PostgreSQL runs in step without first storing their rows,
# as `unnest(a, b, …)` in a FROM does; the week's Monday by date arithmetic (2000-01-03 was a
# Monday), not date_trunc through a timestamp. A fold of 100,000 units' grouping: 70 → 28 ms.
_UNITS_OF = f"""
    units AS (
        SELECT u.region_id, coalesce(u.partner_id, {NO_PARTNER}) AS partner_id, u.product_id,
               u.ship_date - ((u.ship_date - DATE '2000-01-03') % 7 + 7) % 7 AS week, count(*) AS n
        FROM (SELECT {{source}}) AS u (region_id, partner_id, product_id, ship_date)
        GROUP BY 1, 2, 3, 4
    )"""
_PARAMETER_ARRAYS = (
    "unnest(CAST(:regions AS integer[])), unnest(CAST(:partners AS integer[])), "
    "unnest(CAST(:products AS integer[])), unnest(CAST(:days AS date[]))"
)

# `units` added to the cohorts, the weeks and the stock (data-modifying CTEs: each runs once,
# whatever the statement's SELECT reads).
_UPSERT_UNITS = """
    cohorts AS (
        INSERT INTO channel_cohorts (region_id, partner_id, product_id, ship_week, shipped, sold)
        SELECT region_id, partner_id, product_id, week, n, 0 FROM units ORDER BY 1, 2, 3, 4
        ON CONFLICT (region_id, partner_id, product_id, ship_week)
        DO UPDATE SET shipped = channel_cohorts.shipped + excluded.shipped
    ), weeks AS (
        INSERT INTO channel_weeks (region_id, partner_id, product_id, week_start, shipped, sold, declared)
        SELECT region_id, partner_id, product_id, week, n, 0, 0 FROM units ORDER BY 1, 2, 3, 4
        ON CONFLICT (region_id, partner_id, product_id, week_start)
        DO UPDATE SET shipped = channel_weeks.shipped + excluded.shipped
    ), stock AS (
        INSERT INTO channel_stock (region_id, partner_id, product_id, shipped, sold, declared)
        SELECT region_id, partner_id, product_id, sum(n), 0, 0 FROM units GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (region_id, partner_id, product_id) DO UPDATE SET shipped = channel_stock.shipped + excluded.shipped
    )"""

_ADD_SHIPPED = text(
    f"WITH {_UNITS_OF.format(source=_PARAMETER_ARRAYS)}, {_UPSERT_UNITS} SELECT coalesce(sum(n), 0) FROM units"
)

# A bulk load's batch: its units' four arrays as one row, as they came (no grouping, no row per
# cohort: a few kilobytes written once).
_PEND_SHIPPED = text("""
    INSERT INTO channel_shipped_pending (regions, partners, products, days)
    VALUES (CAST(:regions AS integer[]), CAST(:partners AS integer[]), CAST(:products AS integer[]),
            CAST(:days AS date[]))
""")

_FOLD_PENDING = text(f"""
    WITH moved AS (
        DELETE FROM channel_shipped_pending RETURNING regions, partners, products, days
    ), {_UNITS_OF.format(source="unnest(regions), unnest(partners), unnest(products), unnest(days) FROM moved")},
    {_UPSERT_UNITS}
    SELECT coalesce(sum(n), 0) FROM units
""")

_WAITING = "channel_units_pending"  # session.info: units this session appended since its last fold


def _add_shipped(session: Session, units: Iterable[tuple], pending: bool = False) -> None:
    """PostgreSQL: the units shipped (region_id, partner_id | None, product_id, ship_date) added to
    the cohorts, the channel weeks and the stock in one statement: the database groups the units
    by cohort (4 arrays of the units' values, unnested in step) and upserts each table's sums, as
    `Deltas.shipped` + `upsert_add` do. An import's batch of 5,000 units is one statement whatever the
    number of cohorts it touches, without a Python dict per key nor an array per table's column.
    Written after every read of `_write` (so the reads come as early in the commit as before), and
    before its other upserts; the three tables in one statement, so not in the order `_write`
    keeps them: no other rollup writer runs meanwhile (shipment writers hold the exclusive lock).

    `pending` (a bulk load's batch): the four arrays are appended to channel_shipped_pending as one
    row instead, for `fold_pending` to group and add later, many batches at once."""
    units = list(units)
    if units:
        columns = zip(*units, strict=True)
        params = dict(zip(("regions", "partners", "products", "days"), map(array_text, columns), strict=True))
        session.execute(_PEND_SHIPPED if pending else _ADD_SHIPPED, params)
        if pending:
            session.info[_WAITING] = session.info.get(_WAITING, 0) + len(units)


def fold_pending(session: Session) -> int:
    """PostgreSQL: every pending unit (whichever session appended it) grouped by cohort and added
    to the cohorts, the channel weeks and the stock, and the pending rows deleted, in one statement. Callers hold the
    exclusive lock (as shipment writers do), so no batch appends meanwhile nor `rebuild()`
    recounts. Returns the units folded."""
    session.info.pop(_WAITING, None)
    return int(session.execute(_FOLD_PENDING).scalar_one())


@periodic("channel-fold")
def fold_leftovers() -> str:
    """Housekeeping: fold what an import cut short left pending (its next attempt would fold it
    too, but a given-up import has none); on a quiet server, nothing."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return "nothing to fold: units are added at their commit on this database"
    _lock(session, shared=False)
    units = fold_pending(session)
    session.commit()
    return f"folded {units} pending shipped units into the channel's rollups"


def unit_imei(imei: str, imei2: str | None, shipment_of) -> str | None:
    """The IMEI of the shipped unit a card holds: its first if shipped, else its second if
    shipped, else None (the warranty side treats either IMEI as the phone's: `warranty_imeis`,
    `diversion`). A card whose two IMEIs were both shipped (a data error) still holds one unit,
    the first's. `shipment_of(imei)` gives an IMEI's shipment or None."""
    if shipment_of(imei) is not None:
        return imei
    return imei2 if imei2 is not None and shipment_of(imei2) is not None else None


def unit_days(cards: Iterable[tuple], shipment_of) -> dict[str, date]:
    """{unit IMEI: the day it left the channel's stock} for these cards (imei, imei2, purchase
    date) whose unit is out (`card_flags`): each shipped unit once, on the earliest purchase date
    of the cards whose unit it is. So a faulty unit taken back in an exchange (its card stays
    out) and sold again refurbished (a live card holds it again) leaves the stock once, when it
    was first sold; after-sales, not the store's shelf, supplied the resale."""
    days: dict[str, date] = {}
    for imei, imei2, day in cards:
        unit = unit_imei(imei, imei2, shipment_of)
        if unit is not None and (unit not in days or day < days[unit]):
            days[unit] = day
    return days


def _out_cards_holding(session: Session, imeis: set[str]) -> tuple[dict, dict]:
    """The cards whose unit is out (`_out_sql`: live or exchanged) holding any of these IMEIs in
    either slot ({id: (imei, imei2, purchase date)}), and their IMEIs' shipments ({IMEI: shipment
    or None}): one SELECT of the cards per chunk, by `ix_warranty_cards_imei` and `_imei2`, then
    one of the shipments of the IMEIs those cards hold, if any. (An import's batch of new units
    mostly finds no card: joined to the shipments in one statement, the planner's estimate made
    it a parallel query, whose workers took longer to start than the index probes take.)"""
    c = WarrantyCard
    cards: dict = {}
    for chunk in chunks(sorted(imeis)):
        rows = session.execute(
            select(c.id, c.imei, c.imei2, c.purchase_date).where(
                or_(among(c.imei, chunk, session), among(c.imei2, chunk, session)), _out_sql(c)
            )
        )
        for card_id, imei, imei2, day in rows:
            cards[card_id] = (imei, imei2, day)
    held = {i for imei, imei2, _day in cards.values() for i in (imei, imei2) if i is not None}
    shipments: dict[str, tuple | None] = dict.fromkeys(held)
    if held:
        shipments.update(_shipments_of(session, held))
    return cards, shipments


def _count_units(session: Session, noted: Noted, deltas: Deltas, touched: dict, finals: dict) -> None:
    """The units out of the channel's stock (cohorts' `sold`, sales): for every unit the
    transaction may have changed — an IMEI of a card it touched (before or after), an IMEI it
    shipped, and the other IMEI of a card holding a newly shipped one (the card's unit may move
    to it) — its sale as at the transaction's start (`unit_days` over the out cards holding it,
    touched cards as they were, without this transaction's shipments) and as now, and the
    difference. All cards holding these IMEIs are read (one SELECT, twice at most: the second
    for those other IMEIs), with their IMEIs' shipments."""
    seeds = set(noted.shipments)
    for values in [*finals.values(), *(o for o in touched.values() if o is not None)]:
        seeds.update(i for i in values[:2] if i is not None)
    if not seeds:
        return
    related, shipments = _out_cards_holding(session, seeds)
    extra = {imei2 for imei, imei2, _day in related.values() if imei in noted.shipments and imei2 is not None}
    extra -= seeds
    if extra:
        more, found = _out_cards_holding(session, extra)
        related.update(more)
        shipments.update(found)
        seeds |= extra
    unknown = {i for o in touched.values() if o is not None for i in o[:2] if i is not None} - set(shipments)
    if unknown:
        shipments.update(dict.fromkeys(unknown))
        shipments.update(_shipments_of(session, unknown))

    def shipped_before(imei: str) -> tuple | None:
        # The shipments committed before this transaction: not its own new ones.
        return None if imei in noted.shipments else shipments.get(imei)

    after = unit_days(related.values(), shipments.get)
    before_cards = [values for card_id, values in related.items() if card_id not in touched]
    before_cards += [(o[0], o[1], o[4]) for o in touched.values() if o is not None and o[6]]
    before = unit_days(before_cards, shipped_before)
    for unit in sorted(seeds & (before.keys() | after.keys())):
        was = (shipped_before(unit), week_of(before[unit])) if unit in before else None
        now = (shipments[unit], week_of(after[unit])) if unit in after else None
        if was != now:
            if was is not None:
                deltas.sale(*was, -1)
            if now is not None:
                deltas.sale(*now, +1)


def report_weeks(units: int, period_start: date, period_end: date) -> list[tuple[date, int, int]]:
    """A report's [(week, units, reports)] in the sell-out rollups: its units spread over the
    weeks of its period by days (`rules.spread_over_weeks`), weeks of 0 units left out; the
    report itself counted once (`declared_reports`), in the week its period ends."""
    last = week_of(period_end)
    return [
        (week, n, int(week == last))
        for week, n in rules.spread_over_weeks(units, period_start, period_end)
        if n or week == last
    ]


def _contribution(kind: str, model_id: int, day: date, units: int | None, band: str | None, start: date | None):
    """A report's or an estimate's model key and [(week, values)] in the sell-out rollups: a
    report over the weeks of its period (`report_weeks`), an estimate in its week."""
    if kind == "r":
        return product_key(model_id), [(week, (0, n, k, 0, 0)) for week, n, k in report_weeks(units, start, day)]
    return competitor_key(model_id), [(day, (0, 0, 0, units if units is not None else BAND_UNITS[band], 1))]


def _record_row(obj) -> tuple:
    """A new record as the rows `_visits_records` reads: (kind, id, visit, store, model, day,
    units, band, period start)."""
    if isinstance(obj, SellOutReport):
        r = obj
        return ("r", r.id, r.visit_id, r.store_id, r.product_id, r.period_end, r.units, None, r.period_start)
    e = obj
    return ("c", e.id, e.visit_id, e.store_id, e.competitor_model_id, e.week_start, e.units, e.band, None)


def _visits_records(session: Session, records: list) -> list[tuple]:
    """Every report and estimate of the visits these new records belong to, this transaction's
    included (flushed; a savepoint's rolled back are not there): one SELECT, a UNION ALL of the
    kinds present. A visit holds a few records per model it saw, so reading them all is cheap
    (`ix_*_visit_id`)."""
    r, e = SellOutReport, CompetitorSellOut
    kinds = {type(x) for x in records}
    parts = []
    for model, model_id, day, band, start in (
        (r, r.product_id, r.period_end, literal(None, String), r.period_start),
        (e, e.competitor_model_id, e.week_start, e.band, literal(None, Date)),
    ):
        if model in kinds:
            visits = sorted({x.visit_id for x in records if type(x) is model})
            parts.append(
                select(
                    literal("r" if model is r else "c"),
                    model.id,
                    model.visit_id,
                    model.store_id,
                    model_id,
                    day,
                    model.units,
                    band,
                    start,
                    model.reported_at,
                    model.received_at,
                ).where(model.visit_id.in_(visits))
            )
    stmt = parts[0] if len(parts) == 1 else parts[0].union_all(*parts[1:])
    return [tuple(row) for row in session.execute(stmt)]


def _count_records(session: Session, noted: Noted, deltas: Deltas) -> None:
    """New reports and estimates. Outside a visit each counts. Within one visit only the latest
    of a store's product (a report) or of a competitor model and week (an estimate) counts —
    latest by reported_at, then received_at, then id, as `counted_reports()` /
    `counted_estimates()` and the price rollups' `counted()` order them (SPEC I.3.2): a rep
    who corrects the number sends a second record, which supersedes the first instead of
    adding to it. So for every (visit, model[, week]) this transaction added to, the record
    counted before it (the latest of those already committed) is taken back, in ITS week, and
    the latest of all now is counted: one SELECT of the visits' records (`_visits_records`),
    whatever the number of rows. Several new records of one key count once (the latest); a new
    record older than the one counted (a late arrival from offline) changes nothing.

    Two transactions adding to the same visit at once would each take back the same earlier
    record and count their own: a visit is one rep's, captured on one phone, which pushes one
    batch at a time and waits for its answer (the sync engine holds a Web Lock across its tabs);
    the REST POSTs are the same rep's. Should it happen anyway (the same visit typed on two
    devices at the same moment), `rebuild()` counts the latest only again."""
    records = [obj for obj in noted.records.values() if inspect(obj).persistent]
    if not records:
        return
    counts: list[tuple[tuple, int]] = [(_record_row(x), +1) for x in records if x.visit_id is None]
    in_visits = [x for x in records if x.visit_id is not None]
    if in_visits:
        new = {(kind, record_id) for kind, record_id, *_ in map(_record_row, in_visits)}
        touched = {_superseding_key(row) for row in map(_record_row, in_visits)}
        groups: dict[tuple, list[tuple]] = defaultdict(list)
        for row in _visits_records(session, in_visits):
            if _superseding_key(row) in touched:
                groups[_superseding_key(row)].append(row)

        def order(row: tuple) -> tuple:
            return (row[9], row[10], row[1])  # reported_at, received_at, id

        for rows in groups.values():
            latest = max(rows, key=order)
            old = [row for row in rows if (row[0], row[1]) not in new]
            before = max(old, key=order) if old else None
            if before is latest:
                continue  # a late record older than the one counted: nothing changes
            if before is not None:
                counts.append((before, -1))
            counts.append((latest, +1))
    stores = _stores_of(session, {row[3] for row, _ in counts})
    for row, sign in counts:
        kind, _id, _visit, store_id, model_id, day, units, band, start = row[:9]
        store = stores[store_id]
        key, weeks = _contribution(kind, model_id, day, units, band, start)
        for week, values in weeks:
            deltas.sellout(store_id, store[0], key, week, tuple(sign * v for v in values))
            if kind == "r" and not store[2] and values[1]:
                deltas.declared(store, model_id, week, sign * values[1])


def _stores_of(session: Session, store_ids: set[int]) -> dict[int, tuple]:
    """{store id: (region_id, partner_id | None, registers cards)} (`registers_cards`)."""
    found: dict[int, tuple] = {}
    for chunk in chunks(sorted(store_ids)):
        for store_id, *info in session.execute(
            select(Store.id, Territory.region_id, Store.partner_id, registers_cards(Store.id))
            .join(Territory, Territory.id == Store.territory_id)
            .where(Store.id.in_(chunk))
        ):
            found[store_id] = (info[0], info[1], bool(info[2]))
    return found


def _count_clerks(session: Session, noted: Noted, deltas: Deltas) -> None:
    """A store that starts or stops registering cards (`registers_cards`: a clerk was added,
    moved, made something else, removed) changes which of its sell-out figures the channel's
    stock subtracts: all its declared units, of every week, leave the channel's `sold` (it has
    a clerk now: its cards count) or come back to it (its last clerk is gone). Before and after
    per store: the clerks now (one SELECT), and the clerks the transaction did not touch plus
    the touched ones as they were (another); the declared units of the stores that flipped, as
    committed before this transaction (its own new reports count with the stores' final state:
    `_count_records`), from their store-weeks (one SELECT, the store's rows of its primary key)."""
    if not noted.users:
        return
    was_clerk = {o[1] for o in noted.users.values() if o is not None and o[0] == Role.CLERK and o[1] is not None}
    ids = sorted(noted.users)
    u = User
    stores = was_clerk | set(
        session.scalars(select(u.store_id).where(u.id.in_(ids), u.role == Role.CLERK, u.store_id.is_not(None)))
    )
    if not stores:
        return
    now = {store_id for store_id, (_r, _p, registers) in _stores_of(session, stores).items() if registers}
    untouched = select(u.store_id).where(u.store_id.in_(sorted(stores)), u.role == Role.CLERK, u.id.not_in(ids))
    others = set(session.scalars(untouched))
    before = others | was_clerk
    flipped = {store_id: store_id in now for store_id in stores if (store_id in before) != (store_id in now)}
    if not flipped:
        return
    info = _stores_of(session, set(flipped))
    w = StoreSellOutWeek
    rows = session.execute(
        select(w.store_id, w.model_key, w.week_start, w.declared_units).where(
            w.store_id.in_(sorted(flipped)), w.model_key.like("p%"), w.declared_units != 0
        )
    )
    for store_id, key, week, units in rows:
        if store_id in info:
            deltas.declared(info[store_id], int(key[1:]), week, -units if flipped[store_id] else units)


def _superseding_key(row: tuple) -> tuple:
    """Records of one visit with the same key supersede each other: a report per product (its
    period may change with the correction), an estimate per competitor model and week."""
    kind, _id, visit_id, _store, model_id, day = row[:6]
    return (kind, visit_id, model_id) if kind == "r" else (kind, visit_id, model_id, day)


SELLOUT_COLUMNS = ("card_units", "declared_units", "declared_reports", "estimated_units", "estimates")
COHORT_KEY = ("region_id", "partner_id", "product_id", "ship_week")


def _write(session: Session, noted: Noted) -> None:
    """Before the commit: the noted changes as increments, in the same transaction."""
    if not (noted.cards or noted.records or noted.shipments or noted.users or noted.load_ended):
        return
    # Exclusive for shipment writers, clerk changes and folds, shared for the others: see the
    # module's docstring.
    _lock(session, shared=not (noted.shipments or noted.users or noted.load_ended))
    deltas = Deltas()
    touched, finals = _count_cards(session, noted, deltas)
    shipped = _count_shipments(session, noted, deltas)
    _count_units(session, noted, deltas, touched, finals)
    _count_records(session, noted, deltas)
    _count_clerks(session, noted, deltas)
    _add_shipped(session, shipped, pending=noted.bulk and not noted.load_ended)
    totals = ("shipped", "sold", "declared")
    upsert_add(session, ChannelCohort, COHORT_KEY, ("shipped", "sold"), deltas.cohorts)
    upsert_add(session, ChannelSale, (*COHORT_KEY, "sale_week"), ("units",), deltas.sales)
    upsert_add(session, ChannelStock, COHORT_KEY[:3], totals, deltas.stock)
    upsert_add(session, ChannelWeek, (*COHORT_KEY[:3], "week_start"), totals, deltas.weeks)
    upsert_add(session, StoreSellOutWeek, ("store_id", "model_key", "week_start"), SELLOUT_COLUMNS, deltas.store_weeks)
    upsert_add(session, SellOutCell, ("region_id", "model_key", "week_start"), SELLOUT_COLUMNS, deltas.cells)
    if noted.load_ended or session.info.get(_WAITING, 0) >= current_app.config["CHANNEL_FOLD_UNITS"]:
        if session.get_bind().dialect.name == "postgresql":
            fold_pending(session)


NOTED = TransactionState("channel_noted", Noted, after_flush=_notice, before_commit=_write)
"""The open transaction's shipments, cards and sell-out records, to count at its commit."""


def _keep_old_value(target, value, oldvalue, initiator):
    """An attribute `set` listener that does nothing but, registered with active_history, has
    the old value loaded first: a user's role or store set after a commit expired them (an admin
    screen, a test) still shows what it was (`_user_original`)."""
    return value


def register() -> None:
    """Notice the writes the rollups count (once per process): `channel.init_app`."""
    NOTED.register()
    if not event.contains(Session, "do_orm_execute", _notice_shipments):
        event.listen(Session, "do_orm_execute", _notice_shipments)
    for attribute in (User.role, User.store_id):
        if not event.contains(attribute, "set", _keep_old_value):
            event.listen(attribute, "set", _keep_old_value, active_history=True)


# --- recomputing everything -----------------------------------------------------------------------


def _week_sql(column, session: Session):
    """The Monday of a date column, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("week", column), Date)
    # SQLite: %w is 0 on Sunday; back (weekday + 6) % 7 days to the Monday.
    back = (cast(func.strftime("%w", column), db.Integer) + 6) % 7
    return func.date(column, literal("-").concat(cast(back, String)).concat(" days"))


def _key_sql(prefix: str, column):
    return literal(prefix).concat(cast(column, String))


def _later(later, o):
    """`later` comes after `o`: by reported_at, then received_at, then id (as `counted()` in the
    price rollups orders observations)."""
    return or_(
        later.reported_at > o.reported_at,
        and_(
            later.reported_at == o.reported_at,
            or_(later.received_at > o.received_at, and_(later.received_at == o.received_at, later.id > o.id)),
        ),
    )


def counted_reports():
    """The sell-out reports the rollups count: within one visit, a product's latest report only
    (a correction supersedes, SPEC I.3.2); reports outside a visit all count (a NULL visit_id
    equals nothing, so the NOT EXISTS holds for them, as in the price rollups' `counted()`)."""
    r, later = SellOutReport, aliased(SellOutReport)
    return ~exists().where(later.visit_id == r.visit_id, later.product_id == r.product_id, _later(later, r))


def counted_estimates():
    """The competitor estimates the rollups count: within one visit, a competitor model's latest
    estimate for a week only; outside a visit all."""
    e, later = CompetitorSellOut, aliased(CompetitorSellOut)
    return ~exists().where(
        later.visit_id == e.visit_id,
        later.competitor_model_id == e.competitor_model_id,
        later.week_start == e.week_start,
        _later(later, e),
    )


def rebuild(session: Session | None = None) -> dict[str, int]:
    """Recompute every channel rollup from the raw rows, in set-based passes (the store weeks
    from live cards, reports and estimates, the cells from the store weeks; shipments ⋈ the
    units out — each shipped unit once, on the earliest purchase date of the live or exchanged
    cards whose unit it is; the declared units of stores that register no cards from their
    store weeks): for a first deployment, after a bulk load that bypassed the ORM, and as the
    check that the increments are right (the tests compare the two). Reports are spread over
    their weeks in Python (`report_weeks`, the rule the increments use), one pass over the
    counted reports. Holds the exclusive lock, so no increment lands between its passes. Returns
    the rows written per table; commits."""
    session = session or db.session
    _lock(session, shared=False)
    session.info.pop(_WAITING, None)
    for model in (
        ChannelShippedPending,  # units counted below from the shipments themselves
        ChannelSale,
        ChannelCohort,
        ChannelStock,
        ChannelWeek,
        SellOutCell,
        StoreSellOutWeek,
    ):
        session.execute(delete(model))
    s, c = Shipment, WarrantyCard

    # Sell-out where it was sold: per store and week, then per region and nationwide.
    zero = literal(0)
    e = CompetitorSellOut
    band_units = case({band.value: units for band, units in BAND_UNITS.items()}, value=e.band, else_=0)
    parts = (
        select(
            c.store_id.label("store_id"),
            _key_sql("p", c.product_id).label("model_key"),
            _week_sql(c.purchase_date, session).label("week_start"),
            literal(1).label("a"),
            zero.label("b"),
            zero.label("n"),
            zero.label("d"),
            zero.label("m"),
        ).where(c.voided_at.is_(None), c.closed_at.is_(None)),
        select(
            e.store_id,
            _key_sql("c", e.competitor_model_id),
            e.week_start,
            zero,
            zero,
            zero,
            func.coalesce(e.units, band_units),
            1,
        ).where(counted_estimates()),
    )
    u = parts[0].union_all(*parts[1:]).subquery()
    store_weeks = select(u.c.store_id, u.c.model_key, u.c.week_start, *(func.sum(u.c[x]) for x in "abndm")).group_by(
        u.c.store_id, u.c.model_key, u.c.week_start
    )
    key = ("store_id", "model_key", "week_start")
    session.execute(insert(StoreSellOutWeek).from_select([*key, *SELLOUT_COLUMNS], store_weeks))
    r = SellOutReport
    reported: dict[tuple, list[int]] = defaultdict(lambda: [0] * 5)
    counted = select(r.store_id, r.product_id, r.period_start, r.period_end, r.units).where(counted_reports())
    for store_id, product_id, start, end, units in session.execute(counted.execution_options(yield_per=CHUNK)):
        for week, n, k in report_weeks(units, start, end):
            row = reported[(store_id, product_key(product_id), week)]
            row[1] += n
            row[2] += k
    upsert_add(session, StoreSellOutWeek, key, SELLOUT_COLUMNS, reported)

    w = StoreSellOutWeek
    sums = [func.sum(getattr(w, col)) for col in SELLOUT_COLUMNS]
    by_region = (
        select(Territory.region_id, w.model_key, w.week_start, *sums)
        .join(Store, Store.id == w.store_id)
        .join(Territory, Territory.id == Store.territory_id)
        .group_by(Territory.region_id, w.model_key, w.week_start)
    )
    national = select(literal(NATIONAL), w.model_key, w.week_start, *sums).group_by(w.model_key, w.week_start)
    cell_key = ("region_id", "model_key", "week_start")
    session.execute(insert(SellOutCell).from_select([*cell_key, *SELLOUT_COLUMNS], by_region))
    session.execute(insert(SellOutCell).from_select([*cell_key, *SELLOUT_COLUMNS], national))

    # The channel. The unit of each card whose unit is out (`card_flags`: live or exchanged;
    # `unit_imei`): its first IMEI's shipment, else its second's; each unit once, on the earliest
    # purchase date (`unit_days`).
    partner = func.coalesce(s.partner_id, NO_PARTNER)
    ship_week = _week_sql(s.ship_date, session)
    s1, s2 = aliased(Shipment), aliased(Shipment)
    held = (
        select(func.coalesce(s1.imei, s2.imei).label("imei"), c.purchase_date)
        .select_from(c)
        .outerjoin(s1, s1.imei == c.imei)
        .outerjoin(s2, s2.imei == c.imei2)
        .where(_out_sql(c), or_(s1.imei.is_not(None), s2.imei.is_not(None)))
        .subquery()
    )
    units = select(held.c.imei, func.min(held.c.purchase_date).label("purchase_date")).group_by(held.c.imei).subquery()
    cohorts = (
        select(s.region_id, partner, s.product_id, ship_week, func.count(), func.count(units.c.imei))
        .outerjoin(units, units.c.imei == s.imei)
        .group_by(s.region_id, partner, s.product_id, ship_week)
    )
    session.execute(insert(ChannelCohort).from_select([*COHORT_KEY, "shipped", "sold"], cohorts))
    sale_week = _week_sql(units.c.purchase_date, session)
    sales = (
        select(s.region_id, partner, s.product_id, ship_week, sale_week, func.count())
        .join(units, units.c.imei == s.imei)
        .group_by(s.region_id, partner, s.product_id, ship_week, sale_week)
    )
    session.execute(insert(ChannelSale).from_select([*COHORT_KEY, "sale_week", "units"], sales))
    # The units declared sold at stores that register no cards (`registers_cards`), out of their
    # region's channel, their partner's.
    declared = (
        select(
            Territory.region_id.label("region_id"),
            func.coalesce(Store.partner_id, NO_PARTNER).label("partner_id"),
            cast(func.substr(w.model_key, 2), db.Integer).label("product_id"),
            w.week_start.label("week"),
            w.declared_units.label("units"),
        )
        .join(Store, Store.id == w.store_id)
        .join(Territory, Territory.id == Store.territory_id)
        .where(w.model_key.like("p%"), w.declared_units != 0, ~registers_cards(w.store_id))
        .subquery()
    )
    d = declared.c
    co, sa = ChannelCohort, ChannelSale
    moves = (
        select(
            co.region_id,
            co.partner_id,
            co.product_id,
            co.ship_week.label("week"),
            co.shipped,
            literal(0).label("sold"),
            literal(0).label("declared"),
        )
        .union_all(
            select(sa.region_id, sa.partner_id, sa.product_id, sa.sale_week, zero, sa.units, zero),
            select(d.region_id, d.partner_id, d.product_id, d.week, zero, d.units, d.units),
        )
        .subquery()
    )
    m = moves.c
    figures = (func.sum(m.shipped), func.sum(m.sold), func.sum(m.declared))
    by_week = select(m.region_id, m.partner_id, m.product_id, m.week, *figures).group_by(
        m.region_id, m.partner_id, m.product_id, m.week
    )
    session.execute(
        insert(ChannelWeek).from_select([*COHORT_KEY[:3], "week_start", "shipped", "sold", "declared"], by_week)
    )
    totals = select(m.region_id, m.partner_id, m.product_id, *figures).group_by(m.region_id, m.partner_id, m.product_id)
    session.execute(insert(ChannelStock).from_select([*COHORT_KEY[:3], "shipped", "sold", "declared"], totals))
    counts = {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (ChannelCohort, ChannelSale, ChannelStock, ChannelWeek, StoreSellOutWeek, SellOutCell)
    }
    session.commit()
    return counts
