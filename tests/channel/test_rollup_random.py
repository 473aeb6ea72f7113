"""Increments == rebuild, whatever happens: random sequences of transactions — shipments through
the import loader, cards registered, corrected and voided through the warranty service, cards
exchanged through the after-sales service (and their faulty units registered again: resold
refurbished), declared sell-out (over one to three weeks, spread by days) and competitor
estimates through the sellout service, some outside a visit, some in one of two visits a store,
where a later record corrects (supersedes) the visit's earlier one of the model, whatever order
they arrive in, some at a store without a clerk (its declared units leave the channel's stock)
whose clerk comes, goes and is deleted — each operation in a savepoint (as a sync push runs its
mutations), some refused by the rules, some rolled back after they succeeded, several to a
transaction. After each sequence, every rollup table equals what `rebuild()` computes from the
raw rows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import aliased

from backend.aftersales import service as aftersales
from backend.aftersales.models import FaultCode
from backend.aftersales.schemas import ServiceEventSchema
from backend.auth.models import User
from backend.channel.models import (
    ChannelAlert,
    ChannelCohort,
    ChannelSale,
    ChannelStock,
    ChannelWeek,
    SellOutCell,
    StoreSellOutWeek,
)
from backend.channel.rollup import rebuild
from backend.core.errors import DomainError
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.sellout import service as sellout
from backend.sellout.models import CompetitorSellOut, SellOutReport
from backend.sellout.schemas import CompetitorSellOutSchema, SellOutReportSchema
from backend.visits.models import Visit
from backend.warranty import service as warranty
from backend.warranty.models import (
    DiversionFlag,
    Shipment,
    ShipmentImport,
    ShipmentImportError,
    WarrantyCard,
    WarrantyCardRevision,
    WarrantyImei,
)
from backend.warranty.schemas import WarrantyCardSchema
from tests.channel.helpers import ago, monday, rollups, ship
from tests.factories import competitor_sellout_body, imei, iso, make_user, new_id, sellout_report_body
from tests.warranty.helpers import card_body

SERIALS = st.integers(0, 3)  # few phones: registrations, shipments and corrections meet
DAYS = st.sampled_from([0, 2, 9, 30, 100])

ship_op = st.tuples(st.just("ship"), st.lists(SERIALS, min_size=1, max_size=4), st.booleans(), st.booleans(), DAYS)
# The card's second IMEI (None: a single-SIM phone) is one of the same few serials, so a unit is
# sometimes shipped under it, sometimes both of a card's IMEIs are (a data error: the first counts).
IMEI2 = st.one_of(st.none(), SERIALS)
register_op = st.tuples(st.just("register"), SERIALS, st.booleans(), DAYS, IMEI2)
correct_op = st.tuples(
    st.just("correct"),
    st.integers(0, 20),
    st.one_of(st.tuples(st.just("day"), DAYS), st.tuples(st.just("imei"), SERIALS), st.tuples(st.just("imei2"), IMEI2)),
)
void_op = st.tuples(st.just("void"), st.integers(0, 20))
# In which visit of the store (None: outside a visit), and a device time of a few minutes, so that
# records of one visit arrive in and out of their order and some tie (then received_at, then id).
VISIT = st.sampled_from([None, 0, 0, 1])
MINUTE = st.integers(0, 3)
# Where: store A1 (False), B1 (True) — both a clerk's — or A2 ("a2"), whose clerk comes and goes;
# the period's days after its first (one to three weeks, spread over them by days).
report_op = st.tuples(
    st.just("report"),
    st.sampled_from([False, True, "a2", "a2"]),
    st.integers(0, 30),
    st.integers(1, 40),
    VISIT,
    MINUTE,
    st.sampled_from([0, 6, 9, 20]),
)
clerk_op = st.tuples(st.just("clerk"), st.sampled_from(["add", "rep", "delete"]))
exchange_op = st.tuples(st.just("exchange"), st.integers(0, 20), SERIALS)
estimate_op = st.tuples(
    st.just("estimate"),
    st.booleans(),
    st.one_of(st.integers(0, 50), st.sampled_from(["0", "1-5", "6-20", "21-50", "50+"])),
    st.integers(1, 3),
    VISIT,
    MINUTE,
)
operation = st.tuples(
    st.one_of(
        ship_op,
        ship_op,
        register_op,
        register_op,
        register_op,
        correct_op,
        void_op,
        report_op,
        report_op,
        estimate_op,
        clerk_op,
        exchange_op,
        exchange_op,
    ),
    st.sampled_from([False, False, False, True]),  # now and then rolled back after it succeeded
)
transactions = st.lists(st.lists(operation, min_size=1, max_size=6), min_size=2, max_size=8)


class RolledBack(Exception):
    """Raised to roll a savepoint back after its operation succeeded (a later refusal in a run)."""


def _referring_to_cards() -> list:
    """Tables other domains keep about cards (after-sales' rollups…), other than the ones named
    below: emptied first, so the cards can go."""
    named = {WarrantyImei.__table__, WarrantyCardRevision.__table__, WarrantyCard.__table__}
    return [
        table
        for table in reversed(db.metadata.sorted_tables)
        if table not in named and any(fk.column.table is WarrantyCard.__table__ for fk in table.foreign_keys)
    ]


A2_CLERK = "clerk_a2_random"


def _clean() -> None:
    db.session.rollback()
    for table in _referring_to_cards():
        db.session.execute(delete(table))
    db.session.execute(delete(User).where(User.username == A2_CLERK))
    for model in (
        ChannelAlert,
        ChannelSale,
        ChannelCohort,
        ChannelStock,
        ChannelWeek,
        SellOutCell,
        StoreSellOutWeek,
        SellOutReport,
        CompetitorSellOut,
        DiversionFlag,
        WarrantyImei,
        WarrantyCardRevision,
        WarrantyCard,
        Shipment,
        ShipmentImportError,
        ShipmentImport,
    ):
        db.session.execute(delete(model))
    db.session.commit()


def _visit_uuid(store, index: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"visit/{store.id}/{index}")


def _make_visits(world) -> None:
    """Two visits of each store's rep (the same ids every run: made once, kept by `_clean`), and
    the fault code of the exchanges."""
    if db.session.scalar(select(FaultCode).where(FaultCode.code == "screen")) is None:
        db.session.add(FaultCode(code="screen", name="屏幕故障", name_en="Screen fault", position=1))
    for store, rep in ((world.store_a1, world.rep_a1), (world.store_b1, world.rep_b1)):
        for index in (0, 1):
            if db.session.get(Visit, _visit_uuid(store, index)) is None:
                db.session.add(
                    Visit(
                        id=_visit_uuid(store, index), rep_id=rep.id, store_id=store.id,
                        checked_in_at=utcnow() - timedelta(hours=2), check_in_latitude=store.latitude,
                        check_in_longitude=store.longitude, check_in_accuracy_m=10.0, check_in_distance_m=0.0,
                        off_site=False,
                    )
                )  # fmt: skip
    db.session.commit()


def _visit_id(world, at_b: bool, index: int | None) -> str | None:
    return None if index is None else str(_visit_uuid(world.store_b1 if at_b else world.store_a1, index))


def _reported_at(minute: int) -> str:
    """A device time `minute` (0–3) minutes into the hour before this one: equal minutes tie."""
    hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return iso(hour + timedelta(minutes=minute))


def _apply(world, op, cards: list) -> None:
    kind = op[0]
    clerks = {world.store_a1.id: world.clerk_a1, world.store_b1.id: world.clerk_b1}
    if kind == "ship":
        _, serials, region_b, no_partner, days = op
        region = world.region_b.id if region_b else world.region_a.id
        partner = None if no_partner else world.partner.id
        ship(world.hq, *[(imei(serial=s), world.product.id, ago(days), region, partner) for s in serials], commit=False)
    elif kind == "register":
        _, serial, at_b, days, *second = op  # the explicit examples below may leave imei2 out
        clerk = world.clerk_b1 if at_b else world.clerk_a1
        imei2 = imei(serial=second[0]) if second and second[0] is not None else None
        data = WarrantyCardSchema().load(card_body(world, serial, imei2=imei2, purchase_date=ago(days).isoformat()))
        card, _ = warranty.register(clerk, data)
        cards.append(card.id)
    elif kind == "correct" and cards:
        _, index, (what, value) = op
        card = db.session.get(WarrantyCard, cards[index % len(cards)])
        if card is None:  # registered in a savepoint rolled back since
            return
        if what == "day":
            changes = {"purchase_date": ago(value)}
        elif what == "imei":
            changes = {"imei": imei(serial=value)}
        else:
            changes = {"imei2": imei(serial=value) if value is not None else None}
        warranty.correct(clerks[card.store_id], card.id, changes)
    elif kind == "void" and cards:
        warranty.void(world.hq, cards[op[1] % len(cards)], "random")
    elif kind == "report":
        _, at_b, units, days, visit, minute, *length = op  # the explicit examples leave length out
        if at_b == "a2":
            store, rep, visit_id = world.store_a2, world.rep_a2, None
        else:
            store, rep = (world.store_b1, world.rep_b1) if at_b else (world.store_a1, world.rep_a1)
            visit_id = _visit_id(world, at_b, visit)
        end = ago(days)
        body = sellout_report_body(
            store.id,
            world.product.id,
            units,
            period_start=(end - timedelta(days=length[0] if length else 6)).isoformat(),
            period_end=end.isoformat(),
            visit_id=visit_id,
            reported_at=_reported_at(minute),
        )
        sellout.report_sellout(rep, SellOutReportSchema().load(body))
    elif kind == "clerk":
        user = db.session.scalar(select(User).where(User.username == A2_CLERK))
        if op[1] == "add":
            if user is None:
                make_user(A2_CLERK, "clerk", store_id=world.store_a2.id)
            else:
                user.role, user.store_id = "clerk", world.store_a2.id
        elif op[1] == "rep" and user is not None:
            user.role, user.store_id = "rep", None
        elif op[1] == "delete" and user is not None:
            db.session.delete(user)
    elif kind == "exchange" and cards:
        _, index, serial = op
        card = db.session.get(WarrantyCard, cards[index % len(cards)])
        if card is None:
            return
        body = {
            "id": new_id(),
            "kind": "exchange",
            "card_id": str(card.id),
            "fault_code": "screen",
            "occurred_at": iso(utcnow().replace(microsecond=0) - timedelta(minutes=1)),
            "new_card": {
                "id": new_id(),
                "imei": imei(serial=serial),
                "product_id": card.product_id,
                "serial_number": f"SN-NEW-{serial:06d}",
            },
        }
        event, _ = aftersales.record_exchange(clerks[card.store_id], ServiceEventSchema().load(body))
        cards.append(event.new_card_id)
    elif kind == "estimate":
        _, at_b, amount, weeks_back, visit, minute = op
        store, rep = (world.store_b1, world.rep_b1) if at_b else (world.store_a1, world.rep_a1)
        week = (monday(ago(0)) - timedelta(weeks=weeks_back)).isoformat()
        where = {"week_start": week, "visit_id": _visit_id(world, at_b, visit), "reported_at": _reported_at(minute)}
        if isinstance(amount, str):
            body = competitor_sellout_body(store.id, world.competitor_model.id, None, band=amount, **where)
        else:
            body = competitor_sellout_body(store.id, world.competitor_model.id, amount, **where)
        sellout.report_competitor(rep, CompetitorSellOutSchema().load(body))


def run_sequence(world, sequence) -> dict[str, int]:
    """Apply the transactions; after each commit, the increments' tables must equal what
    `rebuild()` makes of the raw rows. Returns the most units sold, units declared out of the
    channel, exchanged cards and resold exchanged units seen at once."""
    _clean()
    _make_visits(world)
    cards: list = []
    most = dict.fromkeys(("sold", "declared", "exchanged", "resold"), 0)
    for transaction in sequence:
        for op, roll_back in transaction:
            try:
                with db.session.begin_nested():
                    _apply(world, op, cards)
                    db.session.flush()
                    if roll_back:
                        raise RolledBack
            except (DomainError, RolledBack):
                pass
        db.session.commit()
        cards = [c for c in cards if db.session.get(WarrantyCard, c) is not None]
        incremental = rollups()
        rebuild()
        assert rollups() == incremental, transaction
        c, x = WarrantyCard, aliased(WarrantyCard)
        exchanged = (c.closed_kind == "exchanged", c.voided_at.is_(None))
        seen = {
            "sold": sum(v[1] for v in incremental["channel_cohorts"].values()),
            "declared": sum(n for k, n in incremental["channel_declared"].items() if k[0] == "channel_stock"),
            "exchanged": db.session.scalar(select(func.count()).select_from(c).where(*exchanged)),
            "resold": db.session.scalar(
                select(func.count())
                .select_from(c)
                .where(*exchanged, exists().where(x.imei == c.imei, x.voided_at.is_(None), x.closed_at.is_(None)))
            ),
        }
        most = {k: max(most[k], seen[k]) for k in most}
    return most


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transactions)
# A card before its shipment, corrected to another shipped unit, voided, registered again elsewhere;
# a card and its shipment in one transaction; one rolled back after it succeeded.
@example(
    [
        [(("register", 1, False, 2), False), (("ship", [2, 3], True, False, 30), False)],
        [(("ship", [1], False, False, 100), False), (("correct", 0, ("imei", 2)), False)],
        [(("correct", 0, ("day", 9)), False), (("void", 0), False), (("register", 2, True, 0), False)],
        [
            (("register", 3, False, 9), True),
            (("register", 4, False, 9), False),
            (("ship", [4, 5], False, True, 9), False),
        ],
        [
            (("report", True, 5, 2, None, 0), False),
            (("estimate", False, "50+", 1, None, 0), False),
            (("estimate", False, 7, 1, None, 0), True),
        ],
    ]
)
# A correction moving a card from one shipped unit to another and back, in one transaction.
@example(
    [
        [(("ship", [0, 1, 2], False, False, 30), False), (("register", 0, False, 2), False)],
        [
            (("correct", 0, ("imei", 1)), False),
            (("correct", 0, ("day", 30)), False),
            (("correct", 0, ("imei", 0)), False),
        ],
    ]
)
# Corrections in one visit: a report corrected in the same transaction and then in the next one
# (moving its period to another week), one arriving late and older than the counted one, a second
# visit's report beside them; an estimate corrected from a number to a band, a tie on device time.
@example(
    [
        [(("report", False, 6, 2, 0, 1), False), (("report", False, 4, 2, 0, 2), False)],
        [(("report", False, 3, 20, 0, 3), False), (("report", False, 9, 2, 0, 0), False)],
        [(("report", False, 5, 2, 1, 1), False), (("report", False, 7, 2, None, 1), False)],
        [(("estimate", False, 12, 1, 0, 1), False), (("estimate", False, "6-20", 1, 0, 2), False)],
        [(("estimate", False, 30, 1, 0, 2), False), (("estimate", False, 1, 2, 0, 0), True)],
    ]
)
# A card's second IMEI shipped before, its first after (the sale moves), in one import both;
# the second IMEI corrected away, then the card voided.
@example(
    [
        [(("ship", [1], False, False, 100), False), (("register", 2, False, 2, 1), False)],
        [(("ship", [2], True, True, 30), False), (("register", 0, True, 9, 3), False)],
        [(("ship", [0, 3], False, False, 9), False), (("correct", 0, ("imei2", None)), False)],
        [(("correct", 1, ("imei2", 1)), False), (("void", 1), False)],
    ]
)
# An exchange and the faulty unit sold again, before and after its shipment; reports over two
# and three weeks at A2 while its clerk comes, becomes a rep, comes back and is deleted.
@example(
    [
        [(("ship", [0, 1], False, False, 30), False), (("register", 0, False, 2), False)],
        [(("exchange", 0, 1), False), (("register", 0, False, 0), False)],
        [(("exchange", 1, 2), False), (("register", 1, False, 0), False), (("ship", [2], False, True, 9), False)],
        [(("report", "a2", 9, 2, None, 0, 9), False), (("clerk", "add"), False)],
        [(("report", "a2", 20, 9, None, 1, 20), False), (("clerk", "rep"), False)],
        [(("clerk", "add"), False), (("report", "a2", 3, 0, None, 2, 6), False), (("clerk", "delete"), True)],
        [(("clerk", "delete"), False), (("void", 0), False)],
    ]
)
def test_increments_equal_rebuild(world, rq_worker, sequence):
    for name, n in run_sequence(world, sequence).items():
        event(f"{name} at most: {min(n, 3)}{'+' if n >= 3 else ''}")


@pytest.fixture(autouse=True)
def _fresh(app):
    yield
    _clean()
