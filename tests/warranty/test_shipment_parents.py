"""A shipment's parents (its import, product, region and partner) must exist, and a parent a
shipment names cannot go away: foreign keys on SQLite, statement-level triggers on PostgreSQL
(migration d16v00000001, `Shipment`'s docstring). Both refuse with an IntegrityError."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from backend.extensions import db
from backend.org.models import Partner, Region
from backend.warranty.models import Shipment, ShipmentImport
from tests.channel.helpers import ago, ship
from tests.factories import imei

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


def _parents(world) -> tuple[Region, Partner]:
    """A region and a partner that nothing but these tests' shipments names."""
    region = Region(code="ZZ", name="测试大区")
    partner = Partner(code="ZZ", name="测试渠道", kind="retail_chain")
    db.session.add_all([region, partner])
    db.session.commit()
    return region, partner


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Shipment))


def test_an_import_batch_naming_a_missing_parent_loads_none_of_its_rows(world):
    good = (imei(serial=1), world.product.id, ago(3), world.region_a.id, world.partner.id)
    for bad in (
        (imei(serial=2), world.product.id, ago(3), 999_999, world.partner.id),  # no such region
        (imei(serial=2), 999_999, ago(3), world.region_a.id, world.partner.id),  # no such product
        (imei(serial=2), world.product.id, ago(3), world.region_a.id, 999_999),  # no such partner
    ):
        with pytest.raises(IntegrityError):
            ship(world.hq, good, bad)
        db.session.rollback()
        assert _count() == 0
    ship(world.hq, good, (imei(serial=2), world.product.id, ago(3), world.region_a.id, None))
    assert _count() == 2  # no partner is allowed, as the column allows it


def test_a_row_inserted_alone_naming_a_missing_import_is_refused(world):
    row = {
        "imei": imei(serial=3),
        "product_id": world.product.id,
        "ship_date": ago(1),
        "region_id": world.region_a.id,
        "partner_id": None,
        "import_id": 999_999,
        "line": 2,
    }
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Shipment), [row])
        db.session.flush()
    db.session.rollback()
    assert _count() == 0


def test_a_parent_a_shipment_names_cannot_be_deleted_nor_renumbered(world):
    region, partner = _parents(world)
    imp = ship(world.hq, (imei(serial=4), world.product.id, ago(5), region.id, partner.id))
    region_id, partner_id, import_id = region.id, partner.id, imp.id
    for statement, parent_id in (
        ("DELETE FROM regions WHERE id = :id", region_id),
        ("UPDATE regions SET id = id + 100000 WHERE id = :id", region_id),
        ("DELETE FROM partners WHERE id = :id", partner_id),
        ("DELETE FROM shipment_imports WHERE id = :id", import_id),
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(text(statement), {"id": parent_id})
            db.session.flush()
        db.session.rollback()
    # Other changes to a parent go through, and so does deleting one nothing names any more.
    db.session.execute(text("UPDATE regions SET name = '改名' WHERE id = :id"), {"id": region_id})
    db.session.commit()
    db.session.execute(text("DELETE FROM shipments WHERE imei = :imei"), {"imei": imei(serial=4)})
    db.session.execute(text("DELETE FROM regions WHERE id = :id"), {"id": region_id})
    db.session.execute(text("DELETE FROM partners WHERE id = :id"), {"id": partner_id})
    db.session.commit()
    assert db.session.get(Region, region_id) is None


def test_parents_nothing_names_can_be_deleted_together(world):
    region, partner = _parents(world)
    ship(world.hq, (imei(serial=5), world.product.id, ago(5), world.region_a.id, world.partner.id))
    db.session.execute(text("DELETE FROM partners WHERE id = :id"), {"id": partner.id})
    db.session.execute(text("DELETE FROM regions WHERE id = :id"), {"id": region.id})
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ShipmentImport)) == 1


@pytest.mark.skipif(not POSTGRES, reason="SQLite has one writer at a time: no race to test")
@pytest.mark.parametrize("first", ["shipment", "delete"])
def test_a_parent_deleted_while_a_shipment_naming_it_is_written_leaves_no_orphan(app, world, first):
    """Two transactions at once: one ships a unit to a partner, the other deletes the partner.
    Whichever comes second waits for the first's commit and is refused: the shipment keeps its
    partner, or the partner's deletion leaves no shipment naming it."""
    _region, partner = _parents(world)
    partner_id, hq_id = partner.id, world.hq.id
    unit = (imei(serial=6), world.product.id, ago(2), world.region_a.id, partner_id)
    errors: dict[str, BaseException] = {}
    started = threading.Event()

    def delete_partner(commit_when: threading.Event | None) -> None:
        with app.app_context():
            try:
                started.set()
                db.session.execute(text("DELETE FROM partners WHERE id = :id"), {"id": partner_id})
                if commit_when is not None:
                    commit_when.wait(timeout=10)
                db.session.commit()
            except BaseException as exc:
                errors["delete"] = exc
                db.session.rollback()
            finally:
                db.session.remove()

    def ship_unit() -> None:
        with app.app_context():
            try:
                started.set()
                ship(db.session.get(type(world.hq), hq_id), unit)
            except BaseException as exc:
                errors["shipment"] = exc
                db.session.rollback()
            finally:
                db.session.remove()

    if first == "shipment":
        ship(world.hq, unit, commit=False)  # flushed, not committed: it holds the partner
        second = threading.Thread(target=delete_partner, args=(None,))
    else:
        db.session.execute(text("DELETE FROM partners WHERE id = :id"), {"id": partner_id})
        second = threading.Thread(target=ship_unit)
    second.start()
    started.wait(timeout=10)
    time.sleep(0.5)
    assert second.is_alive(), "the second transaction should wait for the first's commit"
    db.session.commit()
    second.join(timeout=30)
    assert not second.is_alive()
    loser = "delete" if first == "shipment" else "shipment"
    assert isinstance(errors.get(loser), IntegrityError), errors
    db.session.expire_all()
    named = db.session.scalar(select(func.count()).select_from(Shipment).where(Shipment.partner_id == partner_id))
    exists = db.session.get(Partner, partner_id) is not None
    assert (named, exists) == ((1, True) if first == "shipment" else (0, False))


@pytest.mark.skipif(not POSTGRES, reason="the triggers are PostgreSQL's; SQLite's foreign keys need no such rule")
def test_a_parent_cannot_go_away_under_a_stricter_isolation(world):
    """Under REPEATABLE READ a trigger's queries keep the transaction's snapshot and could miss a
    shipment committed meanwhile, so a parent's deletion is refused there (the application's
    writers run under READ COMMITTED)."""
    _region, partner = _parents(world)
    partner_id = partner.id
    db.session.commit()
    db.session.connection().exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    with pytest.raises(OperationalError, match="READ COMMITTED"):
        db.session.execute(text("DELETE FROM partners WHERE id = :id"), {"id": partner_id})
    db.session.rollback()
    db.session.execute(text("DELETE FROM partners WHERE id = :id"), {"id": partner_id})
    db.session.commit()
    assert db.session.get(Partner, partner_id) is None
