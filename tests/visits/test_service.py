"""Visit rules at the service level: distance and off-site flag, idempotency, check-out, scoring."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from geopy.distance import geodesic

from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.visits import service
from backend.visits.models import Visit
from tests.factories import TIANHE


def point_at(origin: tuple[float, float], metres: float, bearing: float = 45.0) -> tuple[float, float]:
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


def check_in_data(store, position, accuracy=10.0, **kw) -> dict:
    return {
        "id": kw.pop("id", uuid.uuid4()),
        "store_id": store.id,
        "checked_in_at": kw.pop("checked_in_at", utcnow() - timedelta(minutes=30)),
        "latitude": position[0],
        "longitude": position[1],
        "accuracy_m": accuracy,
        **kw,
    }


# --- distance and the off-site rule -------------------------------------------------------------


@pytest.mark.parametrize("metres,bearing", [(0.0, 0), (37.0, 10), (420.0, 200), (2500.0, 300)])
def test_distance_is_geodesic_to_the_store(world, metres, bearing):
    here = point_at(TIANHE, metres, bearing)
    visit, created = service.check_in(world.rep_a1, check_in_data(world.store_a1, here))
    assert created
    expected = geodesic(here, (world.store_a1.latitude, world.store_a1.longitude)).meters
    assert visit.check_in_distance_m == pytest.approx(expected, abs=0.5)


def test_distance_to_a_far_store_is_geodesic_too(world):
    """Checking in 500 km from the store (Nanning store, position in Guangzhou) is measured right."""
    here = TIANHE
    visit, _ = service.check_in(world.manager_b, check_in_data(world.store_b1, here))
    expected = geodesic(here, (world.store_b1.latitude, world.store_b1.longitude)).meters
    assert expected > 400_000
    assert visit.check_in_distance_m == pytest.approx(expected, abs=0.5)
    assert visit.off_site is True


@pytest.mark.parametrize(
    "metres,accuracy,off_site",
    [
        (149.8, 10.0, False),  # just inside the 150 m threshold
        (150.2, 10.0, True),  # just beyond it
        (149.8, 150.0, False),
        (299.8, 300.0, False),  # within a large reported accuracy
        (300.2, 300.0, True),  # beyond it
        (499.8, 5000.0, False),  # a very poor fix excuses a check-in up to the cap…
        (500.2, 5000.0, True),  # …and no farther (OFFSITE_MAX_ALLOWANCE_M)
        (2000.0, 100_000.0, True),  # a claimed 100 km accuracy excuses nothing more
    ],
)
def test_off_site_exactly_beyond_max_of_accuracy_and_threshold(world, app, metres, accuracy, off_site):
    assert app.config["OFFSITE_THRESHOLD_M"] == 150.0
    here = point_at(TIANHE, metres)
    visit, _ = service.check_in(world.rep_a1, check_in_data(world.store_a1, here, accuracy=accuracy))
    assert visit.off_site is off_site, visit.check_in_distance_m


def test_threshold_comes_from_config(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "OFFSITE_THRESHOLD_M", 50.0)
    near, far = point_at(TIANHE, 49.7), point_at(TIANHE, 50.3)
    assert service.check_in(world.rep_a1, check_in_data(world.store_a1, near))[0].off_site is False
    assert service.check_in(world.rep_a1, check_in_data(world.store_a1, far))[0].off_site is True
    monkeypatch.setitem(app.config, "OFFSITE_THRESHOLD_M", 1000.0)
    assert service.check_in(world.rep_a1, check_in_data(world.store_a1, point_at(TIANHE, 900)))[0].off_site is False


def test_offsite_threshold_helper(app, monkeypatch):
    monkeypatch.setitem(app.config, "OFFSITE_THRESHOLD_M", 150.0)
    assert service.offsite_threshold_m(10.0) == 150.0
    assert service.offsite_threshold_m(400.0) == 400.0
    assert service.offsite_threshold_m(100_000.0) == 500.0
    monkeypatch.setitem(app.config, "OFFSITE_MAX_ALLOWANCE_M", 100.0)  # below the threshold: the threshold holds
    assert service.offsite_threshold_m(100_000.0) == 150.0


# --- idempotency ----------------------------------------------------------------------------------


def test_same_id_same_content_is_one_row(world):
    data = check_in_data(world.store_a1, point_at(TIANHE, 20))
    first, created = service.check_in(world.rep_a1, data)
    db.session.commit()
    again, created_again = service.check_in(world.rep_a1, dict(data))
    assert created and not created_again
    assert again.id == first.id
    assert db.session.query(Visit).count() == 1


def test_same_id_different_content_conflicts(world):
    data = check_in_data(world.store_a1, point_at(TIANHE, 20))
    service.check_in(world.rep_a1, data)
    db.session.commit()
    with pytest.raises(Conflict) as err:
        service.check_in(world.rep_a1, data | {"latitude": data["latitude"] + 0.001})
    assert err.value.details["fields"] == ["latitude"]


def test_same_id_from_another_rep_conflicts(world):
    data = check_in_data(world.store_a1, point_at(TIANHE, 20))
    service.check_in(world.rep_a1, data)
    db.session.commit()
    with pytest.raises(Conflict):
        service.check_in(world.rep_a1b, data)


def test_out_of_scope_store_is_not_found(world):
    with pytest.raises(NotFound) as err:
        service.check_in(world.rep_a1, check_in_data(world.store_a2, point_at(TIANHE, 10)))
    assert err.value.field == "store_id"


def test_future_device_time_is_refused(world, app):
    skew = app.config["DEVICE_CLOCK_SKEW_SECONDS"]
    data = check_in_data(world.store_a1, TIANHE, checked_in_at=utcnow() + timedelta(seconds=skew + 120))
    with pytest.raises(InvalidInput) as err:
        service.check_in(world.rep_a1, data)
    assert err.value.field == "checked_in_at"
    # A little skew is tolerated.
    ok = check_in_data(world.store_a1, TIANHE, checked_in_at=utcnow() + timedelta(seconds=skew // 2))
    assert service.check_in(world.rep_a1, ok)[1] is True


# --- check-out ------------------------------------------------------------------------------------


def test_check_out_sets_time_position_distance(world):
    visit, _ = service.check_in(world.rep_a1, check_in_data(world.store_a1, TIANHE))
    out_at = visit.checked_in_at + timedelta(minutes=25)
    here = point_at(TIANHE, 80, 120)
    done = service.check_out(
        world.rep_a1, visit.id, {"checked_out_at": out_at, "latitude": here[0], "longitude": here[1], "accuracy_m": 12}
    )
    assert done.checked_out_at == out_at
    assert (done.check_out_latitude, done.check_out_longitude, done.check_out_accuracy_m) == (*here, 12)
    assert done.check_out_distance_m == pytest.approx(80, abs=0.5)
    assert done.check_out_received_at is not None


def test_check_out_without_position(world):
    visit, _ = service.check_in(world.rep_a1, check_in_data(world.store_a1, TIANHE))
    done = service.check_out(world.rep_a1, visit.id, {"checked_out_at": visit.checked_in_at + timedelta(minutes=5)})
    assert done.check_out_distance_m is None and done.check_out_latitude is None


def test_check_out_before_check_in_is_refused(world):
    visit, _ = service.check_in(world.rep_a1, check_in_data(world.store_a1, TIANHE))
    with pytest.raises(InvalidInput) as err:
        service.check_out(world.rep_a1, visit.id, {"checked_out_at": visit.checked_in_at - timedelta(seconds=1)})
    assert err.value.field == "checked_out_at"


def test_check_out_of_another_reps_visit_is_not_found(world):
    visit, _ = service.check_in(world.rep_a1, check_in_data(world.store_a1, TIANHE))
    with pytest.raises(NotFound):
        service.check_out(world.rep_a1b, visit.id, {"checked_out_at": visit.checked_in_at + timedelta(minutes=5)})


def test_repeat_check_out_same_is_no_op_and_different_conflicts(world):
    visit, _ = service.check_in(world.rep_a1, check_in_data(world.store_a1, TIANHE))
    out = {"checked_out_at": visit.checked_in_at + timedelta(minutes=5), "latitude": TIANHE[0], "longitude": TIANHE[1]}
    first = service.check_out(world.rep_a1, visit.id, dict(out))
    received = first.check_out_received_at
    again = service.check_out(world.rep_a1, visit.id, dict(out))
    assert again.check_out_received_at == received
    with pytest.raises(Conflict):
        service.check_out(
            world.rep_a1, visit.id, out | {"checked_out_at": out["checked_out_at"] + timedelta(minutes=1)}
        )


# --- display-check scoring ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "logo,demo,score",
    [
        (True, 2, 100.0),  # both pass
        (True, 5, 100.0),
        (True, 1, 66.7),  # logo (weight 2) passes, demo below target 2 fails
        (False, 2, 33.3),  # only demo (weight 1) passes
        (False, 0, 0.0),
        (True, 1.5, 66.7),
        (False, 2.0, 33.3),
    ],
)
def test_score_weights_yes_no_and_number_target(world, logo, demo, score):
    answers = [{"item_id": world.yes_item.id, "value": logo}, {"item_id": world.number_item.id, "value": demo}]
    assert service.score_answers(answers) == score


def test_score_of_a_subset_of_items(world):
    assert service.score_answers([{"item_id": world.number_item.id, "value": 3}]) == 100.0
    assert service.score_answers([{"item_id": world.yes_item.id, "value": False}]) == 0.0


@pytest.mark.parametrize(
    "answers",
    [
        [],
        [{"item_id": 999_999, "value": True}],
        [{"item_id": "YES", "value": 1}],  # yes/no item given a number
        [{"item_id": "YES", "value": "true"}],
        [{"item_id": "NUM", "value": True}],  # number item given a yes/no
        [{"item_id": "NUM", "value": "3"}],
        [{"item_id": "NUM", "value": -1}],
        [{"item_id": "NUM", "value": None}],
        [{"item_id": "NUM", "value": float("nan")}],
        [{"item_id": "NUM", "value": float("inf")}],
        [{"item_id": "YES", "value": True}, {"item_id": "YES", "value": False}],  # twice
    ],
)
def test_bad_answers_are_refused(world, answers):
    ids = {"YES": world.yes_item.id, "NUM": world.number_item.id}
    answers = [a | {"item_id": ids.get(a["item_id"], a["item_id"])} for a in answers]
    with pytest.raises(InvalidInput) as err:
        service.score_answers(answers)
    assert err.value.field == "answers"


def test_inactive_item_is_refused(world):
    world.yes_item.active = False
    db.session.flush()
    with pytest.raises(InvalidInput):
        service.score_answers([{"item_id": world.yes_item.id, "value": True}])
