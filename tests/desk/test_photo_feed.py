"""GET /photos/feed: a region's photos newest first, with filters and pages, scoped, in a constant
number of queries per page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from backend.core.timeutil import business_date, utcnow
from backend.extensions import db

from .helpers import Statements, display_check, price, task_done, upload, visit

SAME, SAME_NEAR = "0f0f0f0f0f0f0f0f", "0f0f0f0f0f0f0f0e"


@pytest.fixture
def feed(api, world):
    """Three days in region A (and one photo in region B). Newest first the photos are:
    task (day 3), p4 (day 3), p3 (day 2), p2 (day 1, a price), p1 (day 1); p3 is a copy of p1."""
    world.store_a1.tier, world.store_a1b.tier, world.store_a2.tier = "A", "B", "C"
    db.session.commit()
    a1, a1b, a2, b1 = (api(world.users[n]) for n in ("rep_a1", "rep_a1b", "rep_a2", "rep_b1"))
    noon = utcnow().replace(hour=4, minute=0, second=0, microsecond=0)  # 12:00 in Asia/Shanghai
    day1, day2, day3 = (noon - timedelta(days=n) for n in (3, 2, 1))
    logo, demo = world.yes_item.id, world.number_item.id

    v1 = visit(a1, world.store_a1, day1)
    p1 = upload(a1, 1, SAME)
    c1 = display_check(a1, v1, day1, [{"item_id": logo, "value": True}, {"item_id": demo, "value": 3}], [p1])
    p2 = upload(a1, 2)
    o2 = price(
        a1, world.store_a1, v1, day1 + timedelta(minutes=10), competitor_model=world.competitor_model, photo_ids=[p2]
    )

    v3 = visit(a1b, world.store_a1b, day2)
    p3 = upload(a1b, 3, SAME_NEAR)
    c3 = display_check(a1b, v3, day2, [{"item_id": demo, "value": 0}], [p3])

    v4 = visit(a2, world.store_a2, day3)
    p4 = upload(a2, 4)
    c4 = display_check(a2, v4, day3, [{"item_id": logo, "value": False}], [p4])
    p5 = upload(a2, 5)
    t5 = task_done(world.manager_a, world.rep_a2, world.store_a2, v4, day3 + timedelta(minutes=30), [p5])

    v6 = visit(b1, world.store_b1, day2 - timedelta(hours=1))
    p6 = upload(b1, 6)
    c6 = display_check(b1, v6, day2 - timedelta(hours=1), [{"item_id": logo, "value": True}], [p6])
    return {
        "days": [business_date(d) for d in (day1, day2, day3)],
        "p": {1: p1, 2: p2, 3: p3, 4: p4, 5: p5, 6: p6},
        "records": {1: c1, 2: o2, 3: c3, 4: c4, 5: str(t5), 6: c6},
        "visits": {1: v1, 2: v1, 3: v3, 4: v4, 5: v4, 6: v6},
    }


def photos(client, query="", status=200):
    r = client.get(f"/api/v1/photos/feed?page_size=100{'&' if query else ''}{query}")
    assert r.status_code == status, r.json
    return r


def order(feed, r):
    """The items as the test's photo numbers, in the answer's order."""
    number = {pid: n for n, pid in feed["p"].items()}
    return [number[i["photo_id"]] for i in r.json]


def test_a_managers_feed_is_their_region_newest_first(api, world, feed):
    r = photos(api(world.manager_a))
    assert order(feed, r) == [5, 4, 3, 2, 1]
    assert json.loads(r.headers["X-Pagination"])["total"] == 5
    by = {i["photo_id"]: i for i in r.json}
    first = by[feed["p"][1]]
    assert first["record_type"] == "display_check" and first["record_id"] == feed["records"][1]
    assert first["visit_id"] == feed["visits"][1]
    assert first["store"] == {"id": world.store_a1.id, "code": "A1-001", "name": "苏宁易购 天河城店", "tier": "A"}
    assert first["rep"] == {"id": world.rep_a1.id, "name": world.rep_a1.display_name}
    assert first["thumb_url"] == f"/api/v1/photos/{feed['p'][1]}/file?variant=thumb"
    assert first["full_url"] == f"/api/v1/photos/{feed['p'][1]}/file?variant=full"
    assert first["status"] == "ready"
    # the checklist items that check answered, in the checklist's order, and its score (3 ≥ 2: all pass)
    assert [(c["code"], c["label_zh"], c["label_en"], c["passed"]) for c in first["checklist_items"]] == [
        ("LOGO", "门头标识完好", "Fascia logo intact", True),
        ("DEMO", "可用演示机数量", "Working demo phones", True),
    ]
    assert first["score"] == 100.0
    assert by[feed["p"][4]]["score"] == 0.0 and by[feed["p"][4]]["checklist_items"][0]["passed"] is False
    price_item = by[feed["p"][2]]
    assert price_item["record_type"] == "price_observation" and price_item["checklist_items"] == []
    assert price_item["score"] is None
    task_item = by[feed["p"][5]]
    assert task_item["record_type"] == "task" and task_item["record_id"] == feed["records"][5]
    assert task_item["visit_id"] == feed["visits"][5] and task_item["rep"]["id"] == world.rep_a2.id
    # p1 and p3 are the same picture at two stores: both flagged, each naming the other
    assert [i["recycled"] for i in r.json] == [False, False, True, False, True]
    [match] = by[feed["p"][3]]["recycled_from"]
    assert match["other_photo_id"] == feed["p"][1] and match["uses"][0]["store_name"] == "苏宁易购 天河城店"


FILTERS = [
    ("checklist_item_id={logo}", [4, 1]),
    ("checklist_item_id={demo}", [3, 1]),
    ("checklist_item_id={logo}&record_type=price_observation", []),
    ("checklist_item_id=999999", []),
    ("tier=B", [3]),
    ("tier=C", [5, 4]),
    ("rep_id={rep_a1}", [2, 1]),
    ("recycled=1", [3, 1]),
    ("recycled=1&tier=A", [1]),
    ("since={day2}&until={day2}", [3]),
    ("since={day3}", [5, 4]),
    ("until={day1}", [2, 1]),
    ("record_type=price_observation", [2]),
    ("record_type=task", [5]),
    ("store_id={store_a1}", [2, 1]),
    ("region_id={region_a}", [5, 4, 3, 2, 1]),
    ("region_id={region_b}", []),  # another region: nothing, not an error
]
"""Each query (placeholders filled by the test) and the photos it finds, newest first."""


def test_filters(api, world, feed):
    values = {
        "logo": world.yes_item.id,
        "demo": world.number_item.id,
        "rep_a1": world.rep_a1.id,
        "store_a1": world.store_a1.id,
        "region_a": world.region_a.id,
        "region_b": world.region_b.id,
        **{f"day{i + 1}": d.isoformat() for i, d in enumerate(feed["days"])},
    }
    manager = api(world.manager_a)
    found = {query: order(feed, photos(manager, query.format(**values))) for query, _ in FILTERS}
    assert found == dict(FILTERS)


def test_scope(api, world, feed):
    assert order(feed, photos(api(world.hq))) == [5, 4, 3, 6, 2, 1]
    assert order(feed, photos(api(world.hq), f"region_id={world.region_b.id}")) == [6]
    assert order(feed, photos(api(world.admin), f"region_id={world.region_a.id}&tier=B")) == [3]
    assert order(feed, photos(api(world.manager_b))) == [6]
    assert order(feed, photos(api(world.rep_a1))) == [2, 1]  # a rep: their own
    assert order(feed, photos(api(world.rep_a2))) == [5, 4]  # the task they completed too
    r = photos(api(world.clerk_a1), status=403)
    assert r.json["reason"] == "role.forbidden"


def test_pages(api, world, feed):
    manager = api(world.manager_a)
    seen = []
    for page in (1, 2, 3):
        r = manager.get(f"/api/v1/photos/feed?page={page}&page_size=2")
        assert r.status_code == 200
        meta = json.loads(r.headers["X-Pagination"])
        assert meta["total"] == 5 and meta["total_pages"] == 3
        seen.append(order(feed, r))
    assert seen == [[5, 4], [3, 2], [1]]


def test_bad_input_is_a_clear_422(api, world, feed):
    manager = api(world.manager_a)
    r = manager.get("/api/v1/photos/feed?since=2026-05-02&until=2026-05-01")
    assert r.status_code == 422 and r.json["reason"] == "range.until_before_since"
    assert manager.get("/api/v1/photos/feed?tier=Z").status_code == 422
    assert manager.get("/api/v1/photos/feed?record_type=selfie").status_code == 422
    assert manager.get("/api/v1/photos/feed?checklist_item_id=abc").status_code == 422


def test_queries_per_page_do_not_grow_with_the_page(api, world, feed):
    """Pages of 6 and of 13 items of the same kinds (a task, display checks, a price, the
    recycled pair) cost the same statements."""
    rep = api(world.rep_a1)
    older = utcnow() - timedelta(days=10)
    v = visit(rep, world.store_a1, older)
    for i in range(8):
        display_check(rep, v, older, [{"item_id": world.yes_item.id, "value": True}], [upload(rep, 100 + i)])
    manager = api(world.manager_a)
    manager.get("/api/v1/photos/feed?page_size=1")  # warm
    counts = []
    for size in (6, 13):
        with Statements() as s:
            r = manager.get(f"/api/v1/photos/feed?page_size={size}")
        assert len(r.json) == size
        counts.append(s.n)
    assert counts[0] == counts[1], counts


def test_the_same_picture_twice_in_one_visit_is_no_fake(api, world):
    rep = api(world.rep_a1)
    at = utcnow() - timedelta(days=2)
    v = visit(rep, world.store_a1, at)
    first, again = upload(rep, 1, SAME), upload(rep, 2, SAME_NEAR)
    display_check(rep, v, at, [{"item_id": world.yes_item.id, "value": True}], [first])
    display_check(rep, v, at + timedelta(minutes=1), [{"item_id": world.yes_item.id, "value": True}], [again])
    manager = api(world.manager_a)
    r = photos(manager)
    assert [i["recycled"] for i in r.json] == [False, False]
    assert photos(manager, "recycled=1").json == []
    # …but the same picture at a visit the next day is
    later = visit(rep, world.store_a1, at + timedelta(days=1))
    third = upload(rep, 3, SAME)
    display_check(rep, later, at + timedelta(days=1), [{"item_id": world.yes_item.id, "value": True}], [third])
    r = photos(manager, "recycled=1")
    assert [i["photo_id"] for i in r.json] == [third, again, first]
    assert all(i["recycled"] for i in r.json)
