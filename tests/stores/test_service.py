"""Store service rules: the bounding box behind nearby search, scope, and who may change what."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backend.auth.models import Role
from backend.core.errors import Forbidden, InvalidInput, NotFound
from backend.core.geo import bounding_box, distance_m
from backend.extensions import db
from backend.org.models import Territory
from backend.stores import service
from backend.stores.models import Store
from tests.factories import TIANHE, make_store, make_user

# --- bounding box ------------------------------------------------------------------------------


def lon_inside(lon: float, west: float, east: float) -> bool:
    """Inside [west, east], or outside [east, west] when the box crosses the antimeridian.
    -180 and 180 are the same meridian."""
    candidates = {lon, lon + 360, lon - 360}
    if west <= east:
        return any(west <= c <= east for c in candidates)
    return any(c >= west or c <= east for c in candidates)


latitudes = st.one_of(st.floats(-90, 90), st.floats(80, 90), st.floats(-90, -80))
longitudes = st.one_of(st.floats(-180, 180), st.floats(179, 180), st.floats(-180, -179))
radii = st.one_of(st.floats(1, 50_000), st.floats(1, 3_000_000))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lat=latitudes,
    lon=longitudes,
    radius=radii,
    bearing=st.floats(0, 360),
    frac=st.floats(0, 1, exclude_max=True),
)
# Near a pole, the longitude half-width came out just over 180° and wrapped into a narrow box.
@example(lat=89.49297818443587, lon=-179.67859098063002, radius=42232.17550102933, bearing=0.0, frac=0.5)
@example(lat=89.49297818443587, lon=100.0, radius=42232.17550102933, bearing=0.0, frac=0.5)
@example(lat=-17.0, lon=179.999, radius=5000.0, bearing=90.0, frac=0.99)
@example(lat=-17.0, lon=-179.999, radius=5000.0, bearing=270.0, frac=0.99)
def test_bounding_box_holds_every_point_within_the_radius(lat, lon, radius, bearing, frac):
    south, north, west, east = bounding_box(lat, lon, radius)
    assert -90 <= south <= north <= 90
    assert -180 <= west <= 180 and -180 <= east <= 180
    point = geodesic(meters=radius * frac).destination((lat, lon), bearing)
    assert south <= point.latitude <= north, (south, north, point)
    assert lon_inside(point.longitude, west, east), (south, north, west, east, point)


def test_bounding_box_wraps_at_the_antimeridian():
    south, north, west, east = bounding_box(-17.0, 179.99, 5000)
    assert west > east  # crosses: from about 179.94 east over 180 to about -179.96
    assert 179.9 < west < 179.99 and -180 < east < -179.9
    assert south < -17.0 < north


def test_bounding_box_is_tight_enough_to_be_useful():
    south, north, west, east = bounding_box(*TIANHE, 5000)
    assert west < east
    # 5 km is about 0.045° of latitude and 0.049° of longitude at Guangzhou; allow a few per cent.
    assert 0.045 < north - TIANHE[0] < 0.047
    assert 0.048 < east - TIANHE[1] < 0.051
    # Near a pole every longitude is in.
    assert bounding_box(89.95, 10.0, 100)[2:] == (-180.0, 180.0)


# --- scope and nearby search ---------------------------------------------------------------------


def scoped_codes(user) -> set[str]:
    return set(db.session.scalars(service.stores_query(user, {}).with_only_columns(Store.code)))


def test_store_scope_follows_the_organisation(world):
    assert scoped_codes(world.rep_a1) == {"A1-001", "A1-002"}
    assert scoped_codes(world.rep_a2) == {"A2-001"}
    assert scoped_codes(world.manager_a) == {"A1-001", "A1-002", "A2-001"}
    assert scoped_codes(world.manager_b) == {"B1-001"}
    assert scoped_codes(world.clerk_a1) == {"A1-001"}
    assert scoped_codes(world.hq) == scoped_codes(world.admin) == {"A1-001", "A1-002", "A2-001", "B1-001"}


def test_a_user_without_placement_sees_no_store(world):
    # Not creatable through the API, but the scope must not widen if the data is ever incomplete.
    rep = make_user("lost_rep", Role.REP)
    clerk = make_user("lost_clerk", Role.CLERK)
    manager = make_user("lost_manager", Role.MANAGER)
    for user in (rep, clerk, manager):
        assert scoped_codes(user) == set()


def test_visible_store_hides_out_of_scope_stores_as_missing(world):
    assert service.visible_store(world.rep_a1, world.store_a1.id) is world.store_a1
    with pytest.raises(NotFound) as out_of_scope:
        service.visible_store(world.rep_a1, world.store_b1.id)
    with pytest.raises(NotFound) as missing:
        service.visible_store(world.rep_a1, 999_999)
    assert out_of_scope.value.status == missing.value.status == 404
    assert out_of_scope.value.field == missing.value.field == "store_id"


def test_nearby_across_the_antimeridian(world):
    fiji = Territory(code="FJ", name="Fiji", region_id=world.region_b.id)
    db.session.add(fiji)
    db.session.flush()
    east = make_store("FJ-E", fiji, -17.0, 179.998)
    west = make_store("FJ-W", fiji, -17.0, -179.998)
    far = make_store("FJ-FAR", fiji, -17.0, -179.9)
    db.session.commit()
    found = service.nearby_stores(world.admin, -17.0, 179.999, 2000, {})
    assert [sid for sid, _ in found] in ([east.id, west.id], [west.id, east.id])
    for sid, d in found:
        store = db.session.get(Store, sid)
        assert d == pytest.approx(distance_m((-17.0, 179.999), (store.latitude, store.longitude)))
    assert far.id not in {sid for sid, _ in service.nearby_stores(world.admin, -17.0, -179.999, 2000, {})}
    assert {sid for sid, _ in service.nearby_stores(world.admin, -17.0, -179.999, 20_000, {})} == {
        east.id,
        west.id,
        far.id,
    }
    # The rep of region A sees none of them.
    assert service.nearby_stores(world.rep_a1, -17.0, 179.999, 2000, {}) == []


def test_nearby_radius_is_capped(world, app):
    cap = app.config["NEARBY_MAX_RADIUS_M"]
    assert service.nearby_stores(world.hq, *TIANHE, cap, {})
    with pytest.raises(InvalidInput) as err:
        service.nearby_stores(world.hq, *TIANHE, cap + 1, {})
    assert err.value.field == "radius_m"


# --- writes ----------------------------------------------------------------------------------------


def test_rep_may_correct_only_the_listed_fields(world):
    assert service.REP_EDITABLE == {"name", "address", "latitude", "longitude", "kind"}
    store, conflicts, held = service.update_store(world.rep_a1, world.store_a1.id, {"name": "新名字", "kind": "shop"})
    assert held is None
    assert conflicts == []
    assert (store.name, store.kind) == ("新名字", "shop")
    for field, value in (
        ("tier", "A"),
        ("status", "closed"),
        ("code", "X"),
        ("territory_id", world.terr_a2.id),
        ("partner_id", None),
    ):
        with pytest.raises(Forbidden) as err:
            service.update_store(world.rep_a1, world.store_a1.id, {"name": "n", field: value})
        assert err.value.field == field
    db.session.rollback()


def test_manager_writes_stay_in_their_region(world):
    base = {"code": "NEW-1", "name": "New", "kind": "shop", "latitude": 23.0, "longitude": 113.0}
    created = service.create_store(world.manager_a, base | {"territory_id": world.terr_a2.id})
    assert created.territory_id == world.terr_a2.id
    with pytest.raises(InvalidInput) as err:
        service.create_store(world.manager_a, base | {"code": "NEW-2", "territory_id": world.terr_b1.id})
    assert err.value.field == "territory_id"
    with pytest.raises(InvalidInput):
        service.update_store(world.manager_a, world.store_a1.id, {"territory_id": world.terr_b1.id})
    with pytest.raises(NotFound):
        service.update_store(world.manager_b, world.store_a1.id, {"name": "mine now"})
    for user in (world.rep_a1, world.hq, world.clerk_a1):
        with pytest.raises(Forbidden):
            service.create_store(user, base | {"code": "NEW-3", "territory_id": world.terr_a1.id})
    db.session.rollback()


def test_field_records_are_not_for_clerks(world):
    from backend.visits.models import Visit

    with pytest.raises(Forbidden):
        service.field_record_scope(world.clerk_a1, Visit)
    assert service.field_record_visibility(Visit)(world.clerk_a1, None) is False
