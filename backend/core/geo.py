"""Geodesic helpers (geopy) shared by stores, visits and intel."""

from __future__ import annotations

import math

from geopy.distance import geodesic

# Metres per degree of latitude is at least this anywhere on the WGS-84 ellipsoid; using the
# minimum makes the bounding box a little larger than needed, never smaller.
_MIN_M_PER_DEG_LAT = 110_570.0
_EQUATOR_M_PER_DEG_LON = 111_320.0


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return geodesic(a, b).meters


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) of a box holding every point within `radius_m` of (lat, lon).

    Longitudes may wrap: west > east means the box crosses the antimeridian.
    """
    dlat = radius_m / _MIN_M_PER_DEG_LAT * 1.01
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    widest = max(abs(south), abs(north))
    cos = math.cos(math.radians(widest))
    if widest >= 89.9 or cos * _EQUATOR_M_PER_DEG_LON * 180 <= radius_m:
        return south, north, -180.0, 180.0
    dlon = radius_m / (_EQUATOR_M_PER_DEG_LON * cos) * 1.01
    west, east = lon - dlon, lon + dlon
    if west < -180:
        west += 360
    if east > 180:
        east -= 360
    return south, north, west, east
