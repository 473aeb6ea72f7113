"""HQ's quality figures kept current as data arrives: `QualityDay` (units sold and events per
model, region of the sale and purchase day) and `QualityFaultDay` (the events by fault code), in
the transaction that writes the cards and events they count, as the channel's rollups are
(`channel/rollup.py`). Neither warranty nor the aftersales service calls in here: a transaction
state (`NOTED`, registered by `aftersales.init_app`) notices what each flush wrote.

The rules (the same ones `rebuild()` applies to the raw rows):

- A unit sold: a warranty card not voided and not a replacement (`replaces_card_id`: an exchange's
  new card inherits the purchase date and is no new sale), closed ones included (a returned phone
  was sold, then returned), in its model, its purchase day and the REGION OF THE SALE.
- An event (return, exchange, repair referral) of a card not voided, counted against the event's
  own model and purchase date (copied from the card it serviced: the model of the unit that
  failed — a replacement of another model (WARRANTY_EXCHANGE_OTHER_MODEL) that fails later counts
  against its own model, though it sold no unit of it) and in the region of that card's sale.
- The region of the sale (`QualitySaleRegion`, one row per card counted): the card's store's region
  when the card was first counted, i.e. registered; a replacement's card takes the region of the
  card it replaces. A store moved to another region later leaves its earlier sales, and their
  events, where they were sold; units and events of one card are always in the same region (the
  event's own `region_id` — its store's region the day it happened — is not used for this).

How: at each flush the cards added or changed (product, store, purchase date, voided, replaced
card) are noted with their ORIGINAL values (attribute history), and the events added. Just before
the commit one SELECT reads those cards' final state with their store's region and recorded sale
region, one their events; for each card, its contribution now (final values, all its events) minus
its contribution before (original values, the events committed before this transaction; nothing if
it had no sale region yet: it was never counted) is summed per cell and upserted
(`core.sql.upsert_add`: INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x, keys sorted).
Additions commute: concurrent transactions never lose a count. Two transactions changing one card
at once do not happen through the services (the card is read FOR UPDATE by a correction, a voiding
and an event). `rebuild()` holds an exclusive advisory lock (PostgreSQL), the increments a shared
one, so none lands between its passes.

Not seen (run `flask rebuild-quality` after them): cards or events written by bulk Core INSERTs
(the demo seed, the bench), raw SQL. A card changed without its values loaded first has no
original to take back (the warranty service always reads the card it corrects or voids, FOR
UPDATE; as in the channel's rollups).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Integer, case, delete, func, insert, inspect, literal, select, text, union_all
from sqlalchemy.orm import Session, aliased

from ..core.sql import among, chunks, upsert_add
from ..core.transaction import TransactionState, original_values
from ..extensions import db
from ..org.models import Territory
from ..stores.models import Store
from ..warranty.models import WarrantyCard
from .models import EventKind, QualityDay, QualityFaultDay, QualitySaleRegion, ServiceEvent

LOCK_KEY = 0x5F5C_0017  # pg_advisory_xact_lock: shared by the increments, exclusive by rebuild()
CARD_FIELDS = ("product_id", "store_id", "purchase_date", "voided_at", "replaces_card_id")
KIND_COLUMNS = {EventKind.RETURN.value: 0, EventKind.EXCHANGE.value: 1, EventKind.REPAIR.value: 2}
DAY_COLUMNS = ("units", "returns", "exchanges", "repairs")
FAULT_COLUMNS = ("returns", "exchanges", "repairs")


class Noted:
    __slots__ = ("cards", "events")

    def __init__(self) -> None:
        # card id → (the object if added here, else None; its original CARD_FIELDS, None if new)
        self.cards: dict = {}
        self.events: dict = {}  # event id → the object added


def _notice(session: Session) -> None:
    noted = None
    for obj in session.new:
        if isinstance(obj, WarrantyCard):
            noted = noted or NOTED.get(session)
            entry = noted.cards.get(obj.id)
            noted.cards[obj.id] = (obj, entry[1] if entry is not None else None)
        elif isinstance(obj, ServiceEvent):
            noted = noted or NOTED.get(session)
            noted.events[obj.id] = obj
    for obj in session.dirty:
        if isinstance(obj, WarrantyCard) and obj.id not in (noted.cards if noted else ()):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in CARD_FIELDS):
                noted = noted or NOTED.get(session)
                noted.cards.setdefault(obj.id, (None, original_values(obj, CARD_FIELDS)))


def _lock(session: Session, shared: bool) -> None:
    if session.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {fn}(:k)"), {"k": LOCK_KEY})


class Deltas:
    def __init__(self) -> None:
        self.days: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        self.faults: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])

    def card(self, values: tuple, region_id: int, events: list[tuple], sign: int) -> None:
        """A card's contribution: its unit (unless a replacement) and its events, unless voided."""
        product_id, _store, purchase_date, voided_at, replaces = values
        if voided_at is not None:
            return
        if replaces is None:
            self.days[(product_id, region_id, purchase_date)][0] += sign
        for kind, e_product, e_date, fault_id in events:
            i = KIND_COLUMNS[kind]
            self.days[(e_product, region_id, e_date)][1 + i] += sign
            self.faults[(e_product, region_id, e_date, fault_id)][i] += sign


def _write(session: Session, noted: Noted) -> None:
    cards = {cid: orig for cid, (obj, orig) in noted.cards.items() if obj is None or inspect(obj).persistent}
    new_events = {eid for eid, obj in noted.events.items() if inspect(obj).persistent}
    ids = set(cards) | {noted.events[eid].card_id for eid in new_events}
    if not ids:
        return
    _lock(session, shared=True)
    c, r = WarrantyCard, QualitySaleRegion
    final: dict = {}
    for chunk in chunks(sorted(ids)):
        stmt = (
            select(c.id, *(getattr(c, f) for f in CARD_FIELDS), Territory.region_id, r.region_id)
            .select_from(c)
            .join(Store, Store.id == c.store_id)
            .join(Territory, Territory.id == Store.territory_id)
            .outerjoin(r, r.card_id == c.id)
            .where(among(c.id, chunk, session))
        )
        for card_id, *values, store_region, recorded in session.execute(stmt):
            final[card_id] = (tuple(values[:5]), store_region, recorded)
    events: dict = defaultdict(list)  # card id → [(event id, kind, product, purchase date, fault)]
    e = ServiceEvent
    for chunk in chunks(sorted(ids)):
        stmt = select(e.card_id, e.id, e.kind, e.product_id, e.purchase_date, e.fault_code_id).where(
            among(e.card_id, chunk, session)
        )
        for card_id, *row in session.execute(stmt):
            events[card_id].append(tuple(row))
    # The sale region of replacements whose replaced card is not among these (one SELECT).
    replaced = {v[4] for v, _s, _r in final.values() if v[4] is not None} - set(final)
    replaced_region = (
        dict(session.execute(select(r.card_id, r.region_id).where(r.card_id.in_(replaced))).all()) if replaced else {}
    )
    sale_region: dict = {}

    def region_now(card_id) -> int:
        """The card's sale region after this transaction."""
        if card_id in sale_region:
            return sale_region[card_id]
        values, store_region, recorded = final[card_id]
        original = cards[card_id] if card_id in cards else values
        moved = original is not None and original[1] != values[1]
        if recorded is not None and not moved:
            region = recorded
        elif values[4] is not None:  # a replacement: where the unit it replaces was sold
            other = values[4]
            region = region_now(other) if other in final else replaced_region.get(other, store_region)
        else:
            region = store_region
        sale_region[card_id] = region
        return region

    deltas = Deltas()
    writes = []
    for card_id in sorted(ids):
        if card_id not in final:
            continue  # deleted: cards never are
        values, _store_region, recorded = final[card_id]
        all_events = events.get(card_id, [])
        before = [x[1:] for x in all_events if x[0] not in new_events]
        if recorded is not None:  # counted before: take back what it counted
            original = cards.get(card_id) or values
            deltas.card(original, recorded, before, -1)
        region = region_now(card_id)
        deltas.card(values, region, [x[1:] for x in all_events], +1)
        if region != recorded:
            writes.append((card_id, region, recorded is None))
    for card_id, region, new in writes:
        if new:
            session.execute(insert(r).values(card_id=card_id, region_id=region))
        else:
            session.execute(r.__table__.update().where(r.card_id == card_id).values(region_id=region))
    upsert_add(session, QualityDay, ("product_id", "region_id", "purchase_date"), DAY_COLUMNS, deltas.days)
    upsert_add(
        session,
        QualityFaultDay,
        ("product_id", "region_id", "purchase_date", "fault_code_id"),
        FAULT_COLUMNS,
        deltas.faults,
    )


NOTED = TransactionState("quality_noted", Noted, after_flush=_notice, before_commit=_write)
"""The open transaction's cards and service events, to count at its commit."""


def register() -> None:
    NOTED.register()


# --- recomputing everything -----------------------------------------------------------------------


def rebuild(session: Session | None = None) -> dict[str, int]:
    """Recompute the quality rollups from the raw rows (first deployment, after a bulk load, and
    the tests' check of the increments). A card without a sale region gets its store's current
    region (a replacement: its replaced card's); recorded ones are kept (they are where the unit
    was sold). Holds the exclusive lock; commits; returns the rows per table."""
    session = session or db.session
    session.flush()  # the transaction's own writes are read below
    _lock(session, shared=False)
    session.execute(delete(QualityFaultDay))
    session.execute(delete(QualityDay))
    c, r = WarrantyCard, QualitySaleRegion
    missing = ~select(r.card_id).where(r.card_id == c.id).exists()
    originals = (
        select(c.id, Territory.region_id)
        .join(Store, Store.id == c.store_id)
        .join(Territory, Territory.id == Store.territory_id)
        .where(c.replaces_card_id.is_(None), missing)
    )
    session.execute(insert(r).from_select(["card_id", "region_id"], originals))
    # Replacements, a generation at a time (a replacement of a replacement waits for its parent).
    old = aliased(QualitySaleRegion)
    while True:
        stmt = (
            select(c.id, func.coalesce(old.region_id, Territory.region_id))
            .join(Store, Store.id == c.store_id)
            .join(Territory, Territory.id == Store.territory_id)
            .outerjoin(old, old.card_id == c.replaces_card_id)
            .where(c.replaces_card_id.is_not(None), missing)
        )
        rows = session.execute(stmt).all()
        if not rows:
            break
        session.execute(insert(r), [{"card_id": cid, "region_id": region} for cid, region in rows])
    e = ServiceEvent
    zero = literal(0)

    def n(kind: str):
        return case((e.kind == kind, 1), else_=0)

    units = (
        select(
            c.product_id.label("product_id"),
            r.region_id.label("region_id"),
            c.purchase_date.label("purchase_date"),
            literal(1).label("u"),
            zero.label("rt"),
            zero.label("ex"),
            zero.label("rp"),
        )
        .join(r, r.card_id == c.id)
        .where(c.voided_at.is_(None), c.replaces_card_id.is_(None))
    )
    live_events = (
        select(
            e.product_id,
            r.region_id,
            e.purchase_date,
            e.fault_code_id,
            n(EventKind.RETURN.value).label("rt"),
            n(EventKind.EXCHANGE.value).label("ex"),
            n(EventKind.REPAIR.value).label("rp"),
        )
        .join(c, c.id == e.card_id)
        .join(r, r.card_id == c.id)
        .where(c.voided_at.is_(None))
        .subquery()
    )
    ev = live_events.c
    both = union_all(units, select(ev.product_id, ev.region_id, ev.purchase_date, zero, ev.rt, ev.ex, ev.rp)).subquery()
    b = both.c
    key = (b.product_id, b.region_id, b.purchase_date)
    days = select(*key, *(func.sum(b[x]).cast(Integer) for x in ("u", "rt", "ex", "rp"))).group_by(*key)
    session.execute(insert(QualityDay).from_select(["product_id", "region_id", "purchase_date", *DAY_COLUMNS], days))
    fkey = (ev.product_id, ev.region_id, ev.purchase_date, ev.fault_code_id)
    faults = select(*fkey, *(func.sum(x).cast(Integer) for x in (ev.rt, ev.ex, ev.rp))).group_by(*fkey)
    session.execute(
        insert(QualityFaultDay).from_select(
            ["product_id", "region_id", "purchase_date", "fault_code_id", *FAULT_COLUMNS], faults
        )
    )
    counts = {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (QualitySaleRegion, QualityDay, QualityFaultDay)
    }
    # What this transaction wrote before (flushed, so read above) is counted: its notes must not
    # be added again at the commit (the demo seed records events, then rebuilds, then commits).
    session.flush()
    NOTED.pop(session)
    session.commit()
    return counts


def snapshot(session: Session | None = None) -> dict[str, dict]:
    """The rollups' non-zero rows (the tests compare increments with `rebuild()` by it)."""
    session = session or db.session
    d, f = QualityDay, QualityFaultDay
    days = {
        (p, rg, day): tuple(v)
        for p, rg, day, *v in session.execute(
            select(d.product_id, d.region_id, d.purchase_date, d.units, d.returns, d.exchanges, d.repairs)
        )
        if any(v)
    }
    faults = {
        (p, rg, day, fc): tuple(v)
        for p, rg, day, fc, *v in session.execute(
            select(f.product_id, f.region_id, f.purchase_date, f.fault_code_id, f.returns, f.exchanges, f.repairs)
        )
        if any(v)
    }
    return {"days": days, "faults": faults}
