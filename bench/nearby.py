"""Nearby-store search: GET /api/v1/stores?near=LAT,LON&radius_m=R over many clustered stores.

Timed through the Flask test client as an HQ user (sees every store) and as a rep (only their
territory: the city centre's north-east quadrant), then the service function alone, then the
two halves of the service (the bounding-box query and the per-candidate geodesic) at the
densest centre. A reference computation with geopy's own geodesic checks the results.
"""

from __future__ import annotations

import statistics
import time

from geopy.distance import geodesic
from sqlalchemy import select

from backend.auth.models import User
from backend.core.geo import bounding_box, distance_m, haversine_m
from backend.extensions import db
from backend.stores import service
from backend.stores.models import Store

from .common import Caller, analyze, in_turns, log, note, record, scratch_app, timed, total_of
from .data import CITY, build_org, make_user

CENTRES = ("GZ", "SZ", "CS")  # the densest centre, another big one, a provincial capital
RADII = (1000, 5000, 20000)
REPEATS = {1000: 30, 5000: 20, 20000: 6}


def _label(radius: int) -> str:
    return f"{radius / 1000:g}km"


def _reference(user: User, lat: float, lon: float, radius: float, box_scale: float = 1.5) -> list[tuple[int, float]]:
    """What the service must return, computed the plain way: geopy's geodesic for every store
    in scope within a box (by default half as wide again as the service's)."""
    south, north, west, east = bounding_box(lat, lon, radius * box_scale)
    stmt = select(Store.id, Store.latitude, Store.longitude).where(
        service.store_scope(user), Store.latitude.between(south, north), Store.longitude.between(west, east)
    )
    found = []
    for store_id, s_lat, s_lon in db.session.execute(stmt):
        d = geodesic((lat, lon), (s_lat, s_lon)).meters
        if d <= radius:
            found.append((d, store_id))
    found.sort()
    return [(store_id, d) for d, store_id in found]


def run(n_stores: int) -> None:
    log(f"nearby: {n_stores:,} stores around {len(CITY)} cities")
    with scratch_app("nearby") as app:
        with app.app_context():
            start = time.perf_counter()
            org = build_org(n_stores)
            hq = make_user("hq", "hq")
            reps = {c: make_user(f"rep_{c.lower()}", "rep", territory_id=org.centre_territory(c)) for c in CENTRES}
            db.session.commit()
            analyze()
            note(f"nearby: {org.store_count:,} stores inserted and indexed in {time.perf_counter() - start:.1f} s")
            hq_api = Caller(app, hq)
            rep_api = {c: Caller(app, u) for c, u in reps.items()}
            hq_id, rep_ids = hq.id, {c: u.id for c, u in reps.items()}

        # 1. Through the API (each request in its own app context and session).
        for code in CENTRES:
            city = CITY[code]
            for radius in RADII:
                url = f"/api/v1/stores?near={city.lat},{city.lon}&radius_m={radius}"
                for who, caller in (("hq", hq_api), ("rep", rep_api[code])):
                    samples, response = timed(lambda c=caller, u=url: c.get(u), REPEATS[radius])
                    record(
                        f"nearby API {who:3} {code} r={_label(radius)}",
                        samples,
                        f"{total_of(response)} matches, page of {len(response.json)}",
                    )

        # 2. The service function alone, and a check of its results against the reference.
        with app.app_context():
            hq = db.session.get(User, hq_id)
            reps = {c: db.session.get(User, i) for c, i in rep_ids.items()}
            mismatches = []
            for code in CENTRES:
                city = CITY[code]
                for radius in RADII:
                    for who, user in (("hq", hq), ("rep", reps[code])):
                        got = service.nearby_stores(user, city.lat, city.lon, radius, {"radius_m": radius})
                        if got != _reference(user, city.lat, city.lon, radius):
                            mismatches.append(f"{who} {code} {radius}")
                    samples, pairs = timed(
                        lambda c=city, r=radius: service.nearby_stores(hq, c.lat, c.lon, r, {"radius_m": r}),
                        REPEATS[radius],
                    )
                    record(f"nearby service hq {code} r={_label(radius)}", samples, f"{len(pairs)} matches")
            if mismatches:
                note(f"nearby results DIFFER from the geopy reference: {', '.join(mismatches)}")
            else:
                note("nearby results equal the plain geopy reference for every centre, radius and user")

            # 3. Where the time goes at the densest centre, 5 km, timed in turns so that load
            # from elsewhere on the machine hits every variant alike.
            city, radius = CITY["GZ"], 5000
            here = (city.lat, city.lon)
            south, north, west, east = bounding_box(city.lat, city.lon, radius)
            box = select(Store.id, Store.latitude, Store.longitude).where(
                Store.latitude.between(south, north), Store.longitude.between(west, east)
            )
            candidates = db.session.execute(box).all()
            points = [(la, lo) for _, la, lo in candidates]
            inside = service.nearby_stores(hq, city.lat, city.lon, radius, {"radius_m": radius})
            runs = in_turns(
                {
                    "service": lambda: service.nearby_stores(hq, city.lat, city.lon, radius, {"radius_m": radius}),
                    "plain": lambda: _reference(hq, city.lat, city.lon, radius, box_scale=1.0),
                    "sql": lambda: db.session.execute(box).all(),
                    "distance_m": lambda: [distance_m(here, p) for p in points],
                    "geodesic": lambda: [geodesic(here, p).meters for p in points],
                    "haversine": lambda: [haversine_m(here, p) for p in points],
                },
                n=15,
            )
            per = {k: statistics.median(v) * 1000 / len(points) for k, v in runs.items()}
            record("GZ r=5km hq: nearby_stores()", runs["service"], f"{len(inside)} matches")
            record(
                "GZ r=5km hq: plain algorithm",
                runs["plain"],
                "same box, geopy geodesic() for every candidate, no prefilter",
            )
            record(
                "GZ r=5km hq: bounding-box SQL only",
                runs["sql"],
                f"{len(candidates)} candidates in the box (ix_stores_lat_lon)",
            )
            for key, label in (
                ("geodesic", "geopy geodesic()"),
                ("distance_m", "core.geo.distance_m"),
                ("haversine", "core.geo.haversine_m"),
            ):
                record(f"GZ r=5km hq: {label} x candidates", runs[key], f"{per[key]:.2f} us per candidate")
