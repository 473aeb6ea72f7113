from datetime import timedelta

from backend.core.timeutil import utcnow

from .factories import TIANHE, iso, new_id


def test_check_in_flow(api, world):
    rep = api(world.rep_a1)
    vid = new_id()
    body = {
        "id": vid,
        "store_id": world.store_a1.id,
        "checked_in_at": iso(utcnow() - timedelta(minutes=5)),
        "latitude": TIANHE[0] + 0.0005,
        "longitude": TIANHE[1],
        "accuracy_m": 20,
    }
    r = rep.post("/api/v1/visits", json=body)
    assert r.status_code == 201, r.json
    assert r.json["off_site"] is False
    r2 = rep.post("/api/v1/visits", json=body)
    assert r2.status_code == 200
    r3 = rep.get("/api/v1/visits")
    assert r3.status_code == 200 and len(r3.json) == 1, r3.json
    print(r3.headers.get("X-Pagination"))
