"""GET /visits/<id>/detail: a visit's whole story, scoped like the visit, in a constant number of
queries."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from backend.core.timeutil import utcnow
from tests.factories import iso, new_id

from .helpers import Statements, display_check, movement, price, task_done, training, upload, visit

SAME = "f0f0f0f0f0f0f0f0"  # the recycled pair's hash
SAME_NEAR = "f0f0f0f0f0f0f0f1"  # one bit away: still the same picture
PRICE_TAG = "123456789abcdef0"


@pytest.fixture
def story(api, world):
    """rep_a1's visit at store_a1 with one of everything; rep_a1b's visit at store_a1b whose
    display photo is (nearly) the same picture; rep_b1's price-tag photo in region B the same
    as rep_a1's."""
    rep, other, far = api(world.rep_a1), api(world.rep_a1b), api(world.rep_b1)
    at = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    # the older uses first: rep_a1b yesterday at store_a1b, rep_b1 in Nanning
    v_other = visit(other, world.store_a1b, at - timedelta(days=1))
    p_other = upload(other, 11, SAME)
    display_check(other, v_other, at - timedelta(days=1), [{"item_id": world.yes_item.id, "value": True}], [p_other])
    v_far = visit(far, world.store_b1, at - timedelta(days=2))
    p_far = upload(far, 12, PRICE_TAG)
    price(
        far, world.store_b1, v_far, at - timedelta(days=2), competitor_model=world.competitor_model, photo_ids=[p_far]
    )

    v = visit(rep, world.store_a1, at, out_after=42, notes="店长不在")
    p_display = upload(rep, 1, SAME_NEAR)
    p_fail = upload(rep, 2)
    check = display_check(
        rep,
        v,
        at + timedelta(minutes=5),
        [
            {"item_id": world.number_item.id, "value": 1},  # target 2: fails
            {"item_id": world.yes_item.id, "value": True},
        ],
        [p_display, p_fail],
        notes="演示机坏了一台",
    )
    p_price = upload(rep, 3, PRICE_TAG)
    obs = price(
        rep,
        world.store_a1,
        v,
        at + timedelta(minutes=10),
        competitor_model=world.competitor_model,
        shelf_price="2699.00",
        promo_price="2499.00",
        promo_text="国庆直降200",
        photo_ids=[p_price],
    )
    own = price(rep, world.store_a1, v, at + timedelta(minutes=11), product=world.product, shelf_price="2999.00")
    mov = movement(rep, world.store_a1, world.material, v, at + timedelta(minutes=12), quantity=5)
    r = rep.post(
        "/api/v1/intel-reports",
        json={
            "id": new_id(),
            "kind": "new_competitor_counter",
            "name": "OPPO 专柜",
            "latitude": world.store_a1.latitude,
            "longitude": world.store_a1.longitude,
            "store_id": world.store_a1.id,
            "reported_at": iso(at + timedelta(minutes=15)),
            "notes": "新开的",
        },
    )
    assert r.status_code == 201, r.json
    intel = r.json["id"]
    session = training(world.rep_a1, world.store_a1, v, at + timedelta(minutes=20))
    p_task = upload(rep, 4)
    task = task_done(world.manager_a, world.rep_a1, world.store_a1, v, at + timedelta(minutes=30), [p_task])
    return {
        "visit": v,
        "at": at,
        "check": check,
        "price": obs,
        "own_price": own,
        "movement": mov,
        "intel": intel,
        "session": str(session),
        "task": str(task),
        "photos": {"display": p_display, "fail": p_fail, "price": p_price, "task": p_task},
        "other_visit": v_other,
        "other_photo": p_other,
        "far_photo": p_far,
    }


def test_the_whole_story(api, world, story):
    r = api(world.manager_a).get(f"/api/v1/visits/{story['visit']}/detail")
    assert r.status_code == 200, r.json
    d = r.json
    v = d["visit"]
    assert v["id"] == story["visit"]
    assert v["rep"] == {"id": world.rep_a1.id, "name": world.rep_a1.display_name}
    assert v["store"]["id"] == world.store_a1.id and v["store"]["name"] == "苏宁易购 天河城店"
    assert v["store"]["latitude"] == pytest.approx(world.store_a1.latitude)
    assert v["checked_in_at"] == iso(story["at"]).replace("Z", "+00:00") or v["checked_in_at"].startswith(
        story["at"].isoformat()
    )
    assert v["check_in"]["accuracy_m"] == 15 and v["check_in"]["distance_m"] == pytest.approx(0, abs=0.5)
    assert v["off_site"] is False
    assert v["check_out"]["accuracy_m"] == 10
    assert v["minutes_on_site"] == 42
    assert v["notes"] == "店长不在"

    [check] = d["display_checks"]
    assert check["id"] == story["check"]
    # weights: LOGO 2 (passed), DEMO 1 (1 < target 2: failed) → 2/3 = 66.7
    assert check["score"] == 66.7
    assert check["notes"] == "演示机坏了一台"
    # in the checklist's order (LOGO sort 1, DEMO sort 2), whatever order they were sent in
    assert [(a["code"], a["label_zh"], a["label_en"], a["value"], a["passed"]) for a in check["answers"]] == [
        ("LOGO", "门头标识完好", "Fascia logo intact", True, True),
        ("DEMO", "可用演示机数量", "Working demo phones", 1, False),
    ]
    assert check["answers"][1]["target"] == 2 and check["answers"][1]["weight"] == 1
    assert sorted(p["photo_id"] for p in check["photos"]) == sorted(
        [story["photos"]["display"], story["photos"]["fail"]]
    )
    for p in check["photos"]:
        assert p["status"] == "ready"
        assert p["thumb_url"] == f"/api/v1/photos/{p['photo_id']}/file?variant=thumb"
        assert p["display_url"] == f"/api/v1/photos/{p['photo_id']}/file?variant=display"
        assert p["full_url"] == f"/api/v1/photos/{p['photo_id']}/file?variant=full"

    prices = {p["id"]: p for p in d["price_observations"]}
    assert list(prices) == [story["price"], story["own_price"]]  # by time
    theirs = prices[story["price"]]
    assert theirs["model"] == {
        "kind": "competitor",
        "id": world.competitor_model.id,
        "name": "Reno 12",
        "name_en": None,
        "brand": {"name": "OPPO", "name_en": None},
    }
    assert (theirs["shelf_price"], theirs["promo_price"], theirs["promo_text"]) == ("2699.00", "2499.00", "国庆直降200")
    assert [p["photo_id"] for p in theirs["photos"]] == [story["photos"]["price"]]
    ours = prices[story["own_price"]]
    assert ours["model"]["kind"] == "own" and ours["model"]["name"] == "星澜 P30" and ours["photos"] == []

    [mov] = d["stock_movements"]
    assert (mov["id"], mov["kind"], mov["quantity"], mov["note"]) == (story["movement"], "delivered", 5, "贴在门口")
    assert mov["material"]["code"] == "POSTER-P30" and mov["material"]["name"] == "P30 海报"

    [intel] = d["intel_reports"]
    assert (intel["id"], intel["kind"], intel["name"], intel["status"]) == (
        story["intel"],
        "new_competitor_counter",
        "OPPO 专柜",
        "pending",
    )

    [session] = d["training_sessions"]
    assert session["id"] == story["session"]
    assert session["topic"]["title"] == "P30 影像卖点" and session["topic"]["title_en"] == "P30 camera"
    assert session["duration_minutes"] == 20
    assert session["attendees"] == [
        {"name": "小王", "score": 2, "quiz_size": 3},
        {"name": "小李", "score": 3, "quiz_size": 3},
    ]

    [task] = d["tasks"]
    assert (task["id"], task["title"], task["done_note"], task["done_by_name"]) == (
        story["task"],
        "换新海报",
        "已换",
        world.rep_a1.display_name,
    )
    assert [p["photo_id"] for p in task["photos"]] == [story["photos"]["task"]]
    assert d["photo_count"] == 4


def test_recycled_photos_say_where_the_other_one_was(api, world, story):
    d = api(world.manager_a).get(f"/api/v1/visits/{story['visit']}/detail").json
    photos = {p["photo_id"]: p for p in d["display_checks"][0]["photos"]}
    same = photos[story["photos"]["display"]]
    assert same["recycled"] is True
    [match] = same["recycled_from"]
    assert match["other_photo_id"] == story["other_photo"] and match["distance"] == 1
    [use] = match["uses"]
    assert use["record_type"] == "display_check"
    assert use["visit_id"] == story["other_visit"] and use["store_name"] == "迪信通 体育西店"
    assert use["rep_name"] == world.rep_a1b.display_name
    assert use["visible"] is True and use["can_open"] is True
    assert photos[story["photos"]["fail"]]["recycled"] is False
    assert photos[story["photos"]["fail"]]["recycled_from"] == []

    # the price tag is the same as one in region B: flagged, but where is not told to manager A
    [tag] = d["price_observations"][0]["photos"]
    assert tag["recycled"] is True
    [use] = tag["recycled_from"][0]["uses"]
    assert use["visible"] is False and use["can_open"] is False
    assert use["store_name"] is None and use["visit_id"] is None and use["rep_name"] is None
    assert use["record_type"] == "price_observation" and use["at"] is not None

    # HQ sees where
    d = api(world.hq).get(f"/api/v1/visits/{story['visit']}/detail").json
    [use] = d["price_observations"][0]["photos"][0]["recycled_from"][0]["uses"]
    assert use["store_name"] == "中国移动 青秀营业厅" and use["visible"] is True

    # the rep sees the other rep's store (same territory) but may not open their visit
    d = api(world.rep_a1).get(f"/api/v1/visits/{story['visit']}/detail").json
    same = next(p for p in d["display_checks"][0]["photos"] if p["photo_id"] == story["photos"]["display"])
    [use] = same["recycled_from"][0]["uses"]
    assert use["visible"] is True and use["can_open"] is False


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("rep_a1", 200),
        ("rep_a1b", 404),
        ("rep_b1", 404),
        ("manager_a", 200),
        ("manager_b", 404),
        ("clerk_a1", 403),
        ("hq", 200),
        ("admin", 200),
    ],
)
def test_scope(api, world, story, who, status):
    r = api(world.users[who]).get(f"/api/v1/visits/{story['visit']}/detail")
    assert r.status_code == status, r.json
    if status == 404:
        assert r.json["reason"] == "visit.not_found"


def test_unknown_visit_and_bad_id(api, world):
    r = api(world.hq).get(f"/api/v1/visits/{uuid.uuid4()}/detail")
    assert r.status_code == 404 and r.json["reason"] == "visit.not_found"
    assert api(world.hq).get("/api/v1/visits/not-a-uuid/detail").status_code == 404


def test_a_visit_with_nothing_recorded(api, world):
    v = visit(api(world.rep_a1), world.store_a1, utcnow() - timedelta(hours=1), out_after=None)
    d = api(world.rep_a1).get(f"/api/v1/visits/{v}/detail").json
    assert d["visit"]["checked_out_at"] is None and d["visit"]["check_out"] is None
    assert d["visit"]["minutes_on_site"] is None
    for key in (
        "display_checks",
        "stock_movements",
        "price_observations",
        "intel_reports",
        "training_sessions",
        "tasks",
    ):
        assert d[key] == []
    assert d["photo_count"] == 0


def test_off_site_check_in_and_its_threshold(api, world):
    # 800 m east of the store with 30 m accuracy: off-site (threshold max(accuracy, OFFSITE_THRESHOLD_M))
    from geopy.distance import geodesic

    far = geodesic(meters=800).destination((world.store_a1.latitude, world.store_a1.longitude), 90)
    v = visit(
        api(world.rep_a1),
        world.store_a1,
        utcnow() - timedelta(hours=1),
        position=(far.latitude, far.longitude),
        accuracy=30,
    )
    d = api(world.manager_a).get(f"/api/v1/visits/{v}/detail").json["visit"]
    assert d["off_site"] is True
    assert d["check_in"]["distance_m"] == pytest.approx(800, abs=1)
    assert d["off_site_threshold_m"] < 800


def test_queries_do_not_grow_with_the_records(api, world):
    rep = api(world.rep_a1)
    at = (utcnow() - timedelta(hours=5)).replace(microsecond=0)

    def visit_with(n: int, seed: int) -> str:
        v = visit(rep, world.store_a1, at + timedelta(minutes=seed))
        for i in range(n):
            photos = [upload(rep, seed * 100 + i)]
            display_check(rep, v, at, [{"item_id": world.yes_item.id, "value": i % 2 == 0}], photos)
            price(
                rep,
                world.store_a1,
                v,
                at,
                competitor_model=world.competitor_model,
                photo_ids=[upload(rep, seed * 100 + 50 + i)],
            )
            movement(rep, world.store_a1, world.material, v, at)
            training(world.rep_a1, world.store_a1, v, at, names=(f"促{seed}{i}",), scores=((1, 1),))
            task_done(world.manager_a, world.rep_a1, world.store_a1, v, at, [upload(rep, seed * 100 + 80 + i)])
        return v

    one, five = visit_with(1, 1), visit_with(5, 2)
    manager = api(world.manager_a)
    counts = []
    for v in (one, five):
        manager.get(f"/api/v1/visits/{v}/detail")  # warm: the token's user, the app's caches
        with Statements() as s:
            r = manager.get(f"/api/v1/visits/{v}/detail")
        assert r.status_code == 200
        counts.append(s.n)
    assert len(r.json["display_checks"]) == 5 and r.json["photo_count"] == 15
    assert counts[0] == counts[1], counts
