"""Geodesic helpers (geopy) shared by stores, visits and intel."""

from __future__ import annotations

import math

from geographiclib.geodesic import Geodesic
from geopy.distance import ELLIPSOIDS, geodesic

# Metres per degree of latitude is at least this anywhere on the WGS-84 ellipsoid; using the
# minimum makes the bounding box a little larger than needed, never smaller.
_MIN_M_PER_DEG_LAT = 110_570.0
_EQUATOR_M_PER_DEG_LON = 111_320.0


# The WGS-84 solver geopy's geodesic() builds anew for every call (in km, as geopy does).
_WGS84_KM = Geodesic(ELLIPSOIDS["WGS-84"][0], ELLIPSOIDS["WGS-84"][2])
_MEAN_EARTH_RADIUS_M = 6_371_008.8
# The haversine distance on the mean sphere exceeds the geodesic one by at most 0.57% (north-south
# near the equator, where the meridian curves least); with margin:
HAVERSINE_MAX_RATIO = 1.01


def _plain(point) -> tuple[float, float] | None:
    """(lat, lon) exactly as geopy reads a pair of numbers, or None for what geopy should handle."""
    if not (isinstance(point, tuple) and len(point) == 2):
        return None
    lat, lon = point
    if not (isinstance(lat, int | float) and isinstance(lon, int | float)):
        return None
    lat, lon = float(lat or 0.0), float(lon or 0.0)
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    return lat, lon


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic metres on WGS-84: exactly `geopy.distance.geodesic(a, b).meters`, but reusing one
    solver (building it costs about as much as the distance itself)."""
    pa, pb = _plain(a), _plain(b)
    if pa is None or pb is None:
        return geodesic(a, b).meters
    km = _WGS84_KM.Inverse(pa[0], pa[1], pb[0], pb[1], Geodesic.DISTANCE)["s12"]
    return (km + 0.0) * 1000  # geopy: units.meters(kilometers=km)


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle metres on the mean sphere: cheap, within 0.6% of the geodesic distance."""
    phi1, phi2 = math.radians(a[0]), math.radians(b[0])
    dlon = math.radians(b[1] - a[1])
    h = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlon / 2) ** 2
    return 2 * _MEAN_EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) of a box holding every point within `radius_m` of (lat, lon).

    Longitudes may wrap: west > east means the box crosses the antimeridian.
    """
    dlat = radius_m / _MIN_M_PER_DEG_LAT * 1.01
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    widest = max(abs(south), abs(north))
    if widest >= 89.9:
        return south, north, -180.0, 180.0
    dlon = radius_m / (_EQUATOR_M_PER_DEG_LON * math.cos(math.radians(widest))) * 1.01
    if dlon >= 180:  # the circle spans every meridian (compared with the margin included)
        return south, north, -180.0, 180.0
    west, east = lon - dlon, lon + dlon
    if west < -180:
        west += 360
    if east > 180:
        east -= 360
    return south, north, west, east
