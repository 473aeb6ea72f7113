"""Increments == rebuild, whatever happens: random sequences of transactions — shipments through
the import loader, cards registered, corrected and voided through the warranty service, declared
sell-out and competitor estimates through the sellout service — each operation in a savepoint
(as a sync push runs its mutations), some refused by the rules, some rolled back after they
succeeded, several to a transaction. After each sequence, every rollup table equals what
`rebuild()` computes from the raw rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

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
from backend.extensions import db
from backend.sellout import service as sellout
from backend.sellout.models import CompetitorSellOut, SellOutReport
from backend.sellout.schemas import CompetitorSellOutSchema, SellOutReportSchema
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
from tests.factories import competitor_sellout_body, imei, sellout_report_body
from tests.warranty.helpers import card_body

SERIALS = st.integers(0, 3)  # few phones: registrations, shipments and corrections meet
DAYS = st.sampled_from([0, 2, 9, 30, 100])

ship_op = st.tuples(st.just("ship"), st.lists(SERIALS, min_size=1, max_size=4), st.booleans(), st.booleans(), DAYS)
register_op = st.tuples(st.just("register"), SERIALS, st.booleans(), DAYS)
correct_op = st.tuples(
    st.just("correct"),
    st.integers(0, 20),
    st.one_of(st.tuples(st.just("day"), DAYS), st.tuples(st.just("imei"), SERIALS)),
)
void_op = st.tuples(st.just("void"), st.integers(0, 20))
report_op = st.tuples(st.just("report"), st.booleans(), st.integers(0, 30), st.integers(1, 40))
estimate_op = st.tuples(
    st.just("estimate"),
    st.booleans(),
    st.one_of(st.integers(0, 50), st.sampled_from(["0", "1-5", "6-20", "21-50", "50+"])),
    st.integers(1, 3),
)
operation = st.tuples(
    st.one_of(ship_op, ship_op, register_op, register_op, register_op, correct_op, void_op, report_op, estimate_op),
    st.sampled_from([False, False, False, True]),  # now and then rolled back after it succeeded
)
transactions = st.lists(st.lists(operation, min_size=1, max_size=6), min_size=2, max_size=8)


class RolledBack(Exception):
    """Raised to roll a savepoint back after its operation succeeded (a later refusal in a run)."""


def _clean() -> None:
    db.session.rollback()
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


def _apply(world, op, cards: list) -> None:
    kind = op[0]
    clerks = {world.store_a1.id: world.clerk_a1, world.store_b1.id: world.clerk_b1}
    if kind == "ship":
        _, serials, region_b, no_partner, days = op
        region = world.region_b.id if region_b else world.region_a.id
        partner = None if no_partner else world.partner.id
        ship(world.hq, *[(imei(serial=s), world.product.id, ago(days), region, partner) for s in serials], commit=False)
    elif kind == "register":
        _, serial, at_b, days = op
        clerk = world.clerk_b1 if at_b else world.clerk_a1
        data = WarrantyCardSchema().load(card_body(world, serial, purchase_date=ago(days).isoformat()))
        card, _ = warranty.register(clerk, data)
        cards.append(card.id)
    elif kind == "correct" and cards:
        _, index, (what, value) = op
        card = db.session.get(WarrantyCard, cards[index % len(cards)])
        if card is None:  # registered in a savepoint rolled back since
            return
        changes = {"purchase_date": ago(value)} if what == "day" else {"imei": imei(serial=value)}
        warranty.correct(clerks[card.store_id], card.id, changes)
    elif kind == "void" and cards:
        warranty.void(world.hq, cards[op[1] % len(cards)], "random")
    elif kind == "report":
        _, at_b, units, days = op
        store, rep = (world.store_b1, world.rep_b1) if at_b else (world.store_a1, world.rep_a1)
        end = ago(days)
        body = sellout_report_body(
            store.id,
            world.product.id,
            units,
            period_start=(end - timedelta(days=6)).isoformat(),
            period_end=end.isoformat(),
        )
        sellout.report_sellout(rep, SellOutReportSchema().load(body))
    elif kind == "estimate":
        _, at_b, amount, weeks_back = op
        store, rep = (world.store_b1, world.rep_b1) if at_b else (world.store_a1, world.rep_a1)
        week = (monday(ago(0)) - timedelta(weeks=weeks_back)).isoformat()
        if isinstance(amount, str):
            body = competitor_sellout_body(store.id, world.competitor_model.id, None, band=amount, week_start=week)
        else:
            body = competitor_sellout_body(store.id, world.competitor_model.id, amount, week_start=week)
        sellout.report_competitor(rep, CompetitorSellOutSchema().load(body))


def run_sequence(world, sequence) -> int:
    """Apply the transactions; after each commit, the increments' tables must equal what
    `rebuild()` makes of the raw rows. Returns the most units sold seen at once."""
    _clean()
    cards: list = []
    most = 0
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
        most = max(most, sum(v[1] for v in incremental["channel_cohorts"].values()))
    return most


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
        [(("report", True, 5, 2), False), (("estimate", False, "50+", 1), False), (("estimate", False, 7, 1), True)],
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
def test_increments_equal_rebuild(world, rq_worker, sequence):
    event(f"units sold at most: {run_sequence(world, sequence)}")


@pytest.fixture(autouse=True)
def _fresh(app):
    yield
    _clean()
