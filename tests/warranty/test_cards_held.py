"""`diversion.cards_holding` records its read for the transaction; `held_cards` answers from it
only for IMEIs it read, until a card is written or the transaction ends."""

from __future__ import annotations

from backend.extensions import db
from backend.warranty.diversion import cards_holding, forget_held_cards, held_cards
from tests.factories import imei
from tests.warranty.helpers import card_body, register


def test_held_cards_answer_only_what_was_read_in_the_transaction(api, world):
    card = register(api(world.clerk_a1), card_body(world, 1))
    first, other = imei(serial=1), imei(serial=2)
    read = cards_holding([first, other])
    assert [values[0] for values in read.values()] == [first]
    assert held_cards(db.session, {first}) == read
    assert held_cards(db.session, {other}) == {}  # read: no card holds it
    assert held_cards(db.session, {imei(serial=3)}) is None  # not read
    forget_held_cards(db.session)
    assert held_cards(db.session, {first}) is None
    cards_holding([first])
    db.session.commit()
    assert held_cards(db.session, {first}) is None  # the transaction ended
    assert str(next(iter(read))) == card["id"]


def test_a_card_written_makes_the_read_stale(api, world):
    import uuid

    from backend.warranty.models import WarrantyCard

    card = register(api(world.clerk_a1), card_body(world, 1))
    cards_holding([imei(serial=1)])
    row = db.session.get(WarrantyCard, uuid.UUID(card["id"]))
    row.serial_number = "SN-CHANGED"
    db.session.flush()
    assert held_cards(db.session, {imei(serial=1)}) is None
    db.session.rollback()
