"""Helpers for route, coverage and plan tests: visits made through the API at given local times
(a rep's day is a calendar day in BUSINESS_TIMEZONE, Asia/Shanghai), and plan bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from geopy.distance import geodesic

from backend.core.timeutil import business_today, to_naive_utc
from backend.extensions import db
from tests.factories import ApiClient, iso, make_store

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Shanghai on `day`, as the naive UTC the API stores."""
    return to_naive_utc(datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI))


def out(dt: datetime) -> str:
    """A naive UTC time as the API writes it."""
    return dt.isoformat() + "+00:00"


def days_ago(n: int) -> date:
    return business_today() - timedelta(days=n)


def point_at(origin: tuple[float, float], metres: float, bearing: float = 0.0) -> tuple[float, float]:
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


def position(store) -> tuple[float, float]:
    return store.latitude, store.longitude


def check_in(client: ApiClient, store, at: datetime, where: tuple[float, float] | None = None, accuracy=15) -> str:
    lat, lon = where or position(store)
    body = {
        "id": str(uuid.uuid4()),
        "store_id": store.id,
        "checked_in_at": iso(at),
        "latitude": lat,
        "longitude": lon,
        "accuracy_m": accuracy,
    }
    r = client.post("/api/v1/visits", json=body)
    assert r.status_code == 201, r.json
    return body["id"]


def check_out(client: ApiClient, visit_id: str, at: datetime, where: tuple[float, float] | None = None) -> None:
    body: dict = {"checked_out_at": iso(at)}
    if where is not None:
        body |= {"latitude": where[0], "longitude": where[1], "accuracy_m": 10}
    r = client.post(f"/api/v1/visits/{visit_id}/check-out", json=body)
    assert r.status_code == 200, r.json


def visit(client: ApiClient, store, start: datetime, minutes: float | None = None, **kw) -> str:
    """A visit from `start`, checked out `minutes` later (None: never checked out)."""
    vid = check_in(client, store, start, kw.get("where"), kw.get("accuracy", 15))
    if minutes is not None:
        check_out(client, vid, start + timedelta(minutes=minutes), kw.get("out_where"))
    return vid


def plan_body(day: date, stores, **kw) -> dict:
    return {"id": kw.pop("id", str(uuid.uuid4())), "day": day.isoformat(), "store_ids": [s.id for s in stores], **kw}


def street(world, n: int, step_deg: float = 0.01, territory=None) -> list:
    """`n` more stores of territory A1 (by default) due east of store_a1, `step_deg` of longitude
    apart (about 1 km each)."""
    base = world.store_a1
    stores = [
        make_store(
            f"ST-{i}", territory or world.terr_a1, base.latitude, base.longitude + step_deg * i, name=f"Street {i}"
        )
        for i in range(1, n + 1)
    ]
    db.session.commit()
    return stores
