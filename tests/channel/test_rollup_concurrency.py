"""A card and its unit's shipment committed at the same moment by two transactions, on
PostgreSQL (SQLite has one writer at a time: no race): under READ COMMITTED neither sees the
other's uncommitted row, so without the rollup's advisory lock the unit's sale would be counted
by neither. With it, whoever commits second reads the first's row and counts the sale once."""

from __future__ import annotations

import os
import threading

import pytest

from backend.auth.models import User
from backend.channel import alerts, rollup
from backend.extensions import db
from backend.warranty import service as warranty
from backend.warranty.schemas import WarrantyCardSchema
from tests.channel.helpers import ago, rollups, ship
from tests.factories import imei
from tests.warranty.helpers import card_body

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency needs PostgreSQL: SQLite serialises writers, so there is no race to test",
)

ROUNDS = 4


def _race(app, world, serial: int) -> None:
    """The card and the shipment of unit `serial`, each flushed in its own transaction, then
    committed at once."""
    data = WarrantyCardSchema().load(card_body(world, serial, purchase_date=ago(2).isoformat()))
    unit = (imei(serial=serial), world.product.id, ago(30), world.region_a.id, world.partner.id)
    clerk_id, hq_id = world.clerk_a1.id, world.hq.id
    flushed = threading.Barrier(2)
    errors: list[BaseException] = []

    def card():
        try:
            with app.app_context():
                warranty.register(db.session.get(User, clerk_id), data)
                db.session.flush()
                flushed.wait(timeout=10)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def shipment():
        try:
            with app.app_context():
                ship(db.session.get(User, hq_id), unit, commit=False)
                flushed.wait(timeout=10)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=card), threading.Thread(target=shipment)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors


def test_a_card_and_its_shipment_committed_at_once_count_the_sale_once(app, world):
    for serial in range(1, ROUNDS + 1):
        _race(app, world, serial)
    db.session.rollback()
    got = rollups()
    key = (world.region_a.id, world.partner.id, world.product.id)
    assert got["channel_stock"] == {key: (ROUNDS, ROUNDS)}
    rollup.rebuild()
    assert rollups() == got


def test_without_the_lock_the_sale_is_lost(app, world, monkeypatch):
    """The race is real: the same sequence with the lock switched off loses sales (what the
    test above guards against). Each side's commit is held just after its reads until the other
    side has read too — the moment the lock would have made one of them wait — so both read
    before either commits, every round, however the two threads happen to be scheduled (with
    the split reads of `_out_cards_holding`, left to the scheduler the card side mostly read the
    shipment committed)."""
    monkeypatch.setattr(rollup, "_lock", lambda session, shared: None)
    count_units = rollup._count_units
    both_read = threading.Barrier(2)

    def read_then_wait(*args):
        count_units(*args)
        if threading.current_thread() is not threading.main_thread():
            both_read.wait(timeout=10)

    monkeypatch.setattr(rollup, "_count_units", read_then_wait)
    # Nor may anything else make one commit wait for the other: both would ask for the cover
    # check, whose pending job the second transaction joins under a row lock.
    monkeypatch.setattr(alerts, "_ask_cover", lambda session, noted: None)
    for serial in range(1, ROUNDS + 1):
        _race(app, world, serial)
    db.session.rollback()
    sold = rollups()["channel_stock"][(world.region_a.id, world.partner.id, world.product.id)][1]
    assert sold < ROUNDS
