"""Check-in and check-out measure against the store's approved position, never a rep's pending
proposal to move it; an approved move counts from the approval on."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from geopy.distance import geodesic

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.stores import service as stores
from backend.visits import service
from tests.factories import TIANHE


def point_at(origin, metres, bearing=45.0):
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


def check_in(user, store, position, **kw):
    data = {
        "id": uuid.uuid4(),
        "store_id": store.id,
        "checked_in_at": utcnow() - timedelta(minutes=30),
        "latitude": position[0],
        "longitude": position[1],
        "accuracy_m": 10.0,
        **kw,
    }
    visit, created = service.check_in(user, data)
    assert created
    return visit


def test_a_pending_move_does_not_count_for_check_in_or_check_out(world):
    far = point_at(TIANHE, 45_000)
    _store, _conflicts, held = stores.update_store(
        world.rep_a1, world.store_a1.id, {"latitude": far[0], "longitude": far[1]}
    )
    assert held is not None and held.status == "pending"
    visit = check_in(world.rep_a1, world.store_a1, far)
    assert visit.off_site is True
    assert visit.check_in_distance_m == pytest.approx(45_000, abs=1)
    out = service.check_out(
        world.rep_a1,
        visit.id,
        {"checked_out_at": utcnow() - timedelta(minutes=5), "latitude": far[0], "longitude": far[1]},
    )
    assert out.check_out_distance_m == pytest.approx(45_000, abs=1)
    db.session.commit()


def test_after_approval_the_new_position_counts(world):
    moved = point_at(TIANHE, 3_000)
    _store, _c, held = stores.update_store(
        world.rep_a1, world.store_a1.id, {"latitude": moved[0], "longitude": moved[1]}
    )
    before = check_in(world.rep_a1, world.store_a1, moved)
    assert before.off_site is True
    stores.decide_proposal(world.manager_a, held.id, approve=True)
    after = check_in(world.rep_a1, world.store_a1, moved)
    assert after.off_site is False and after.check_in_distance_m == pytest.approx(0, abs=0.5)
    db.session.commit()


def test_a_small_correction_counts_at_once(world):
    near = point_at(TIANHE, 120)
    _store, _c, held = stores.update_store(world.rep_a1, world.store_a1.id, {"latitude": near[0], "longitude": near[1]})
    assert held is None
    visit = check_in(world.rep_a1, world.store_a1, near)
    assert visit.check_in_distance_m == pytest.approx(0, abs=0.5)
    db.session.commit()
