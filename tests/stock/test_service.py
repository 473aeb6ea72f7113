"""The stock ledger's fold: current stock = the latest count plus the movements after it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.stock import service
from backend.stock.models import MovementKind, StockMovement
from backend.stock.service import fold
from backend.visits import service as visits
from tests.factories import TIANHE

T0 = datetime(2026, 5, 1, 9, 0)
KINDS = [k.value for k in MovementKind]


def move(kind: str, quantity: int, minute: int):
    return SimpleNamespace(kind=kind, quantity=quantity, recorded_at=T0 + timedelta(minutes=minute))


def reference(moves) -> dict:
    """Written from the rule, not from the code: find the latest count, add what moved after it."""
    counts = [i for i, m in enumerate(moves) if m.kind == "counted"]
    start = counts[-1] if counts else -1
    base = moves[start].quantity if counts else 0
    delta = sum(
        m.quantity if m.kind == "delivered" else -m.quantity
        for m in moves[start + 1 :]
        if m.kind in ("delivered", "used", "returned")
    )
    return {
        "quantity": base + delta,
        "last_counted_at": moves[start].recorded_at if counts else None,
        "last_movement_at": moves[-1].recorded_at if moves else None,
    }


def test_empty_ledger():
    assert fold([]) == {"quantity": 0, "last_counted_at": None, "last_movement_at": None}


def test_signs():
    assert fold([move("delivered", 10, 0)])["quantity"] == 10
    assert fold([move("delivered", 10, 0), move("used", 3, 1)])["quantity"] == 7
    assert fold([move("delivered", 10, 0), move("returned", 4, 1)])["quantity"] == 6


def test_count_resets_and_later_movements_add():
    moves = [move("delivered", 50, 0), move("used", 5, 1), move("counted", 30, 2), move("used", 2, 3)]
    result = fold(moves)
    assert result["quantity"] == 28
    assert result["last_counted_at"] == T0 + timedelta(minutes=2)
    assert result["last_movement_at"] == T0 + timedelta(minutes=3)


def test_count_of_zero():
    assert fold([move("delivered", 5, 0), move("counted", 0, 1)])["quantity"] == 0


movement = st.builds(
    lambda kind, q: SimpleNamespace(kind=kind, quantity=q),
    st.sampled_from(KINDS),
    st.integers(min_value=0, max_value=1_000_000),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(movement, max_size=40))
def test_fold_matches_reference_model(moves):
    for i, m in enumerate(moves):
        m.recorded_at = T0 + timedelta(minutes=i)
    assert fold(moves) == reference(moves)


@settings(max_examples=200, deadline=None)
@given(st.lists(movement, max_size=30), st.lists(movement, min_size=1, max_size=30))
def test_only_the_latest_count_matters_for_what_came_before(before, after):
    """Anything before a count is forgotten: replacing the history before it changes nothing."""
    count = SimpleNamespace(kind="counted", quantity=17)
    full = [*before, count, *after]
    alt = [SimpleNamespace(kind="delivered", quantity=999), count, *after]
    for i, m in enumerate(full):
        m.recorded_at = T0 + timedelta(minutes=i)
    alt_moves = [SimpleNamespace(**vars(m)) for m in alt]
    for i, m in enumerate(alt_moves):
        m.recorded_at = T0 + timedelta(minutes=len(before) + i - 1)
    a, b = fold(full), fold(alt_moves)
    assert a["quantity"] == b["quantity"]
    assert a["last_movement_at"] == b["last_movement_at"]


# --- through the database: arrival order does not matter ---------------------------------------


def record(actor, store, material, kind, quantity, at, **kw):
    data = {
        "id": kw.pop("id", uuid.uuid4()),
        "store_id": store.id,
        "material_id": material.id,
        "kind": kind,
        "quantity": quantity,
        "recorded_at": at,
        **kw,
    }
    return service.record_movement(actor, data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_current_stock_does_not_depend_on_arrival_order(world, data):
    moves = data.draw(st.lists(movement, min_size=1, max_size=12))
    start = utcnow() - timedelta(days=2)
    for i, m in enumerate(moves):
        m.recorded_at = start + timedelta(minutes=7 * i)
        if m.kind != "counted" and m.quantity == 0:
            m.quantity = 1
    arrival = data.draw(st.permutations(moves))
    try:
        for m in arrival:
            record(world.rep_a1, world.store_a1, world.material, m.kind, m.quantity, m.recorded_at)
        [level] = service.current_stock(world.manager_a, world.store_a1.id)
        expected = reference(moves)
        assert level["quantity"] == expected["quantity"]
        assert level["last_counted_at"] == expected["last_counted_at"]
        assert level["last_movement_at"] == expected["last_movement_at"]
        assert level["material_code"] == world.material.code
    finally:
        db.session.rollback()
        db.session.query(StockMovement).delete()
        db.session.commit()


def test_record_rules(world):
    now = utcnow() - timedelta(hours=1)
    with pytest.raises(InvalidInput) as err:
        record(world.rep_a1, world.store_a1, world.material, "used", 0, now)
    assert err.value.field == "quantity"
    movement, created = record(world.rep_a1, world.store_a1, world.material, "counted", 0, now)
    assert created and movement.quantity == 0
    with pytest.raises(NotFound):
        record(world.rep_a1, world.store_b1, world.material, "delivered", 1, now)
    with pytest.raises(InvalidInput) as err:
        record(world.rep_a1, world.store_a1, world.material, "delivered", 1, utcnow() + timedelta(days=1))
    assert err.value.field == "recorded_at"


def test_visit_must_be_own_and_at_the_same_store(world):
    now = utcnow() - timedelta(hours=1)
    visit, _ = visits.check_in(
        world.rep_a1,
        {
            "id": uuid.uuid4(),
            "store_id": world.store_a1b.id,
            "checked_in_at": now,
            "latitude": TIANHE[0],
            "longitude": TIANHE[1],
            "accuracy_m": 10,
        },
    )
    with pytest.raises(InvalidInput) as err:
        record(world.rep_a1, world.store_a1, world.material, "delivered", 3, now, visit_id=visit.id)
    assert err.value.field == "visit_id"
    with pytest.raises(NotFound):
        record(world.rep_a1b, world.store_a1b, world.material, "delivered", 3, now, visit_id=visit.id)
    movement, _ = record(world.rep_a1, world.store_a1b, world.material, "delivered", 3, now, visit_id=visit.id)
    assert movement.visit_id == visit.id


def test_entries_are_never_overwritten(world):
    now = utcnow() - timedelta(hours=1)
    movement, _ = record(world.rep_a1, world.store_a1, world.material, "delivered", 5, now)
    with pytest.raises(Conflict) as err:
        record(world.rep_a1, world.store_a1, world.material, "delivered", 6, now, id=movement.id)
    assert err.value.details["fields"] == ["quantity"]
    assert db.session.get(StockMovement, movement.id).quantity == 5
