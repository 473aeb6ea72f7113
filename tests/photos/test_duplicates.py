"""Recycled photos: the perceptual hash, the banded look-up and the matches on visits.

The hashes are the ones the photo job makes (`imaging.make_variants(...).phash`, of the
thumbnail), from shelf-like pictures (tests/photos/scenes.py) and the copies a rep would send to
fake a visit. The job end to end goes through the API like the other photo tests (in-process
jobs without REDIS_URL, a real rq worker with it).
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.photos import duplicates, imaging
from backend.photos.duplicates import bands_of, candidates, distance, matches_for, probe_values, record_phash
from backend.photos.models import Photo, PhotoHashBand, PhotoLink, PhotoMatch
from tests.factories import iso, new_id
from tests.photos.images import put, upload, wait_processed
from tests.photos.scenes import SIDES, copies, cropped, jpeg, shelf

BITS, BANDS = duplicates.DEFAULT_BITS, duplicates.DEFAULT_BANDS


def job_hash(data: bytes) -> str:
    """The hash the photo job stores for an upload of `data`."""
    phash = imaging.make_variants(data, 1600, 320).phash
    assert phash is not None and len(phash) == 16
    return phash


# --- the hash: copies match, different pictures do not ------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_copies_of_a_picture_are_within_the_threshold(seed):
    img = shelf(seed)
    original = job_hash(jpeg(img))
    far = {name: d for name, data in copies(img).items() if (d := distance(original, job_hash(data))) > BITS}
    assert far == {}, f"copies beyond {BITS} bits: {far}"


def test_most_crops_of_4_to_5_percent_match():
    """A 4–5 % crop moves the low frequencies the hash is made of more than a 3 % one: most,
    not all, stay within the threshold (measured: about 90 %; the rest 12 bits)."""
    dists = []
    for seed in range(6):
        img = shelf(seed)
        original = job_hash(jpeg(img))
        dists += [distance(original, job_hash(jpeg(cropped(img, f, side)))) for f in (0.04, 0.05) for side in SIDES]
    within = sum(d <= BITS for d in dists) / len(dists)
    assert within >= 0.8, sorted(dists)
    assert max(dists) <= 16


def test_different_pictures_do_not_match():
    hashes = [job_hash(jpeg(shelf(seed))) for seed in range(100, 124)]
    closest = min(distance(a, b) for a, b in itertools.combinations(hashes, 2))
    assert closest > BITS + 4, closest  # a margin, not just a miss


def test_a_hash_from_bytes_is_the_jobs_hash_of_the_stored_thumbnail():
    """`flask photos rehash` hashes the stored thumbnail: the same as the job's in-memory one
    give or take the thumbnail's JPEG encoding."""
    data = jpeg(shelf(7))
    variants = imaging.make_variants(data, 1600, 320)
    assert distance(variants.phash, duplicates.phash_of(variants["thumb"])) <= 2


def test_a_pure_colour_picture_still_gets_a_hash():
    assert len(job_hash(jpeg(shelf(1).resize((8, 8))))) == 16


# --- the banded look-up finds exactly what a scan finds -------------------------------------------

hashes64 = st.integers(min_value=0, max_value=2**64 - 1)


def flip(value: int, bits: list[int]) -> int:
    for b in bits:
        value ^= 1 << b
    return value


def banded_lookup(stored: dict[int, str], query: str, bits: int, bands: int) -> set[int]:
    """What `candidates` does, with a dict for the (band, value) index."""
    index: dict[tuple[int, int], set[int]] = {}
    for key, h in stored.items():
        for i, v in enumerate(bands_of(h, bands)):
            index.setdefault((i, v), set()).add(key)
    found = set()
    for i, values in enumerate(probe_values(query, bits, bands)):
        for v in values:
            found |= index.get((i, v), set())
    return {k for k in found if distance(stored[k], query) <= bits}


@settings(max_examples=150, deadline=None)
@given(
    base=hashes64,
    others=st.lists(hashes64, max_size=30),
    near=st.lists(st.lists(st.integers(0, 63), min_size=0, max_size=14, unique=True), max_size=12),
    config=st.sampled_from([(10, 4), (6, 8), (7, 8), (3, 4), (11, 4), (12, 6), (0, 4), (9, 16)]),
)
def test_banded_lookup_equals_brute_force(base, others, near, config):
    bits, bands = config
    stored = {i: f"{h:016x}" for i, h in enumerate(others)}
    # Planted neighbours at every distance up to 14, so the boundary is always exercised.
    stored |= {100 + i: f"{flip(base, flips):016x}" for i, flips in enumerate(near)}
    query = f"{base:016x}"
    brute = {k for k, h in stored.items() if distance(h, query) <= bits}
    assert banded_lookup(stored, query, bits, bands) == brute


@given(hashes64, st.sampled_from([3, 4, 5, 7, 8, 16]))
def test_bands_put_back_together_are_the_hash(value, bands):
    h = f"{value:016x}"
    spans = duplicates._spans(bands)
    back = 0
    for (start, end), v in zip(spans, bands_of(h, bands), strict=True):
        assert 0 <= v < 2 ** (end - start) <= 2**31
        back = (back << (end - start)) | v
    assert back == value


def test_too_few_bands_for_the_bits_is_refused():
    with pytest.raises(ValueError, match="more bands"):
        probe_values("0" * 16, 40, 4)


def photo_row(world, phash: str | None = None, uploaded_at=None) -> Photo:
    photo = Photo(
        id=uuid.uuid4(),
        sha256=uuid.uuid4().hex * 2,
        size_bytes=1,
        format="JPEG",
        width=1,
        height=1,
        uploaded_by=world.rep_a1.id,
        uploaded_at=uploaded_at or utcnow(),
        status="ready",
    )
    db.session.add(photo)
    db.session.flush()
    if phash:
        record_phash(photo, phash)
    return photo


def test_the_database_lookup_equals_brute_force(world):
    rnd = random.Random(18)
    base = [rnd.getrandbits(64) for _ in range(8)]
    stored = {}
    for b in base:  # each with neighbours at 0–14 bits, among 250 random hashes
        for d in range(0, 15):
            h = f"{flip(b, rnd.sample(range(64), d)):016x}"
            stored[photo_row(world, h).id] = h
    for _ in range(250):
        h = f"{rnd.getrandbits(64):016x}"
        stored[photo_row(world, h).id] = h
    db.session.commit()
    assert db.session.query(PhotoHashBand).count() == len(stored) * BANDS
    for b in base:
        query = f"{b:016x}"
        brute = sorted((pid, distance(h, query)) for pid, h in stored.items() if distance(h, query) <= BITS)
        assert sorted(candidates(query)) == brute
        assert len(brute) >= BITS + 1  # the planted neighbours within reach were found


def test_record_phash_writes_newer_to_older_once_and_is_idempotent(world):
    old = photo_row(world, "f0f0f0f0f0f0f0f0", uploaded_at=utcnow() - timedelta(days=2))
    new = photo_row(world, "f0f0f0f0f0f0f0f3")  # 2 bits apart
    far = photo_row(world, "0f0f0f0f0f0f0f0f")
    for _ in range(2):
        record_phash(new, "f0f0f0f0f0f0f0f3")
        record_phash(old, "f0f0f0f0f0f0f0f0")
    db.session.commit()
    rows = db.session.execute(select(PhotoMatch.photo_id, PhotoMatch.other_photo_id, PhotoMatch.distance)).all()
    assert rows == [(new.id, old.id, 2)]
    assert matches_for([far.id]) == {far.id: []}
    # A changed hash (say, bands re-cut) drops the matches that no longer hold.
    record_phash(new, "0f0f0f0f0f0f0f0e")
    db.session.commit()
    got = {
        (a, b)
        for a, b, _ in db.session.execute(select(PhotoMatch.photo_id, PhotoMatch.other_photo_id, PhotoMatch.distance))
    }
    assert got == {(far.id, new.id)}  # far was uploaded after new


def test_matches_for_takes_a_constant_number_of_queries(world):
    rnd = random.Random(12)
    photos = [photo_row(world, f"{rnd.getrandbits(64):016x}") for _ in range(12)]
    twins = [photo_row(world, p.phash) for p in photos]
    for i, (p, t) in enumerate(zip(photos, twins, strict=True)):
        db.session.add(PhotoLink(photo_id=p.id, record_type="display_check", record_id=uuid.uuid4()))
        db.session.add(
            PhotoLink(photo_id=t.id, record_type="price_observation" if i % 2 else "task", record_id=uuid.uuid4())
        )
    db.session.commit()

    def queries(ids) -> int:
        count = 0

        def seen(*args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            result = matches_for(ids)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        assert all(len(result[i]) == 1 for i in ids)
        return count

    # The matches, the links, one query per record type (here three): not one per photo.
    few = queries([p.id for p in photos[:2] + twins[:2]])
    assert few == queries([p.id for p in photos + twins]) == 2 + 3


# --- the job end to end, and where the other photo is used ----------------------------------------


def visit(api, rep, store, minutes_ago: int = 60) -> str:
    vid = new_id()
    body = {
        "id": vid,
        "store_id": store.id,
        "checked_in_at": iso(utcnow() - timedelta(minutes=minutes_ago)),
        "latitude": store.latitude,
        "longitude": store.longitude,
        "accuracy_m": 10,
    }
    r = api(rep).post("/api/v1/visits", json=body)
    assert r.status_code == 201, r.json
    return vid


def display_check(api, world, rep, visit_id: str, photo_ids: list[str]) -> str:
    cid = new_id()
    body = {
        "id": cid,
        "visit_id": visit_id,
        "checked_at": iso(utcnow() - timedelta(minutes=20)),
        "answers": [{"item_id": world.yes_item.id, "value": True}],
        "photo_ids": photo_ids,
    }
    r = api(rep).post("/api/v1/display-checks", json=body)
    assert r.status_code == 201, r.json
    return cid


def price_observation(api, world, rep, visit_id: str, photo_ids: list[str]) -> str:
    oid = new_id()
    body = {
        "id": oid,
        "store_id": world.store_a1.id,
        "competitor_model_id": world.competitor_model.id,
        "shelf_price": "2699.00",
        "observed_at": iso(utcnow() - timedelta(minutes=10)),
        "visit_id": visit_id,
        "photo_ids": photo_ids,
    }
    r = api(rep).post("/api/v1/price-observations", json=body)
    assert r.status_code == 201, r.json
    return oid


@pytest.mark.usefixtures("rq_worker")
def test_the_job_flags_a_photo_recycled_from_another_store(api, world):
    rep = api(world.rep_a1)
    img = shelf(42)
    shots = {
        "original": jpeg(img),
        "half size": copies(img)["resized 50 %"],
        "quality 50": copies(img)["quality 50"],
        "cropped": copies(img)["cropped 3 % left"],
        "other picture": jpeg(shelf(43)),
    }
    ids = {name: new_id() for name in shots}
    for name, data in shots.items():
        upload(rep, ids[name], data)
    db.session.rollback()
    hashed = {str(p.id): p.phash for p in db.session.scalars(select(Photo))}
    assert all(hashed[ids[n]] for n in shots), hashed

    # Yesterday at store A1: the original; today at store A1b: its half-size copy (a fake), and,
    # within the same visit at A1, the original again as a price-tag photo's quality-50 copy.
    v1 = visit(api, world.rep_a1, world.store_a1, minutes_ago=26 * 60)
    v2 = visit(api, world.rep_a1, world.store_a1b)
    check1 = display_check(api, world, world.rep_a1, v1, [ids["original"]])
    check2 = display_check(api, world, world.rep_a1, v2, [ids["half size"]])
    price_observation(api, world, world.rep_a1, v1, [ids["quality 50"]])
    display_check(api, world, world.rep_a1, v2, [ids["other picture"]])
    db.session.rollback()

    pid = {name: uuid.UUID(i) for name, i in ids.items()}
    found = matches_for(pid.values())
    assert found[pid["other picture"]] == []
    by_other = {m["other_photo_id"]: m for m in found[pid["original"]]}
    assert set(by_other) == {pid["half size"], pid["quality 50"], pid["cropped"]}
    assert by_other[pid["half size"]]["recycled"] is True  # another visit at another store
    assert by_other[pid["quality 50"]]["recycled"] is False  # the same visit
    assert by_other[pid["cropped"]]["recycled"] is False  # not attached to anything yet: unknown
    use = by_other[pid["half size"]]["uses"][0]
    assert use | {"at": None} == {
        "record_type": "display_check",
        "record_id": uuid.UUID(check2),
        "visit_id": uuid.UUID(v2),
        "store_id": world.store_a1b.id,
        "store_name": world.store_a1b.name,
        "rep_id": world.rep_a1.id,
        "rep_name": world.rep_a1.display_name,
        "at": None,
        "visible": True,
    }
    back = {m["other_photo_id"]: m for m in found[pid["half size"]]}
    assert back[pid["original"]]["recycled"] is True
    assert back[pid["original"]]["uses"][0]["record_id"] == uuid.UUID(check1)
    assert all(m["distance"] <= BITS for m in found[pid["original"]])

    # The cropped copy's record arrives after the photo: the match shows at once, read time.
    v3 = visit(api, world.rep_a1, world.store_a1b, minutes_ago=30)
    display_check(api, world, world.rep_a1, v3, [ids["cropped"]])
    db.session.rollback()
    again = {m["other_photo_id"]: m for m in matches_for([pid["cropped"]])[pid["cropped"]]}
    assert again[pid["original"]]["recycled"] is True
    assert again[pid["half size"]]["recycled"] is True  # same store, another visit

    # A manager of another region learns that the photo is used elsewhere, not where.
    seen_by_b = {m["other_photo_id"]: m for m in matches_for([pid["original"]], world.manager_b)[pid["original"]]}
    hidden = seen_by_b[pid["half size"]]["uses"][0]
    assert hidden["visible"] is False and hidden["store_name"] is None and hidden["visit_id"] is None
    assert seen_by_b[pid["half size"]]["recycled"] is True
    seen_by_a = matches_for([pid["original"]], world.manager_a)[pid["original"]]
    assert all(u["visible"] for m in seen_by_a for u in m["uses"])


@pytest.mark.usefixtures("rq_worker")
def test_the_same_bytes_under_two_ids_match_at_distance_zero(api, world):
    """The second upload's job finds the copies made already and takes the first one's hash."""
    rep = api(world.rep_a1)
    data = jpeg(shelf(5))
    first, second = new_id(), new_id()
    upload(rep, first, data)
    upload(rep, second, data)
    db.session.rollback()
    rows = db.session.execute(select(PhotoMatch.photo_id, PhotoMatch.other_photo_id, PhotoMatch.distance)).all()
    assert rows == [(uuid.UUID(second), uuid.UUID(first), 0)]


@pytest.mark.usefixtures("rq_worker")
def test_a_damaged_photo_still_fails_with_its_reason(api, world):
    from tests.photos.images import png_with_alpha, with_damaged_image_data

    rep = api(world.rep_a1)
    pid = new_id()
    assert put(rep, pid, with_damaged_image_data(png_with_alpha()), content_type="image/png").status_code == 201
    photo = wait_processed(rep, pid)
    assert photo["status"] == "failed" and "damaged" in photo["error"]
    db.session.rollback()
    assert db.session.get(Photo, uuid.UUID(pid)).phash is None


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="patches the job in this process")
def test_a_hash_that_cannot_be_made_does_not_fail_the_job(api, world, monkeypatch):
    def broken(img):
        raise RuntimeError("no hash today")

    monkeypatch.setattr(duplicates, "phash_of", broken)
    rep = api(world.rep_a1)
    pid = new_id()
    photo = upload(rep, pid, jpeg(shelf(9)))
    assert photo["status"] == "ready"
    db.session.rollback()
    assert db.session.get(Photo, uuid.UUID(pid)).phash is None


# --- the backfill: flask photos rehash ----------------------------------------------------------


@pytest.mark.usefixtures("rq_worker")
def test_rehash_backfills_photos_from_before_the_hash_and_resumes(api, world, app):
    rep = api(world.rep_a1)
    img = shelf(21)
    ids = [new_id() for _ in range(4)]
    for pid, data in zip(ids, [jpeg(img), copies(img)["resized 30 %"], jpeg(shelf(22)), jpeg(img)], strict=True):
        upload(rep, pid, data)
    db.session.rollback()
    hashed = {p.id: p.phash for p in db.session.scalars(select(Photo))}
    # As they were before the hash existed.
    db.session.execute(PhotoMatch.__table__.delete())
    db.session.execute(PhotoHashBand.__table__.delete())
    db.session.execute(Photo.__table__.update().values(phash=None))
    db.session.commit()

    # A run interrupted after its first batch of one photo…
    first = next(iter(duplicates.rehash(batch=1)))
    assert (first.done, first.total) == (1, 4)
    db.session.rollback()
    assert db.session.query(Photo).filter(Photo.phash.is_not(None)).count() == 1
    # …and a second run does the rest.
    out = app.test_cli_runner().invoke(args=["photos", "rehash", "--batch", "2"])
    assert out.exit_code == 0, out.output
    assert "3/3 photos: 3 hashed" in out.output and out.output.strip().endswith("Done.")
    db.session.rollback()
    again = {p.id: p.phash for p in db.session.scalars(select(Photo))}
    assert all(distance(again[k], hashed[k]) <= 2 for k in hashed)  # from the stored thumbnail
    pairs = {frozenset((a, b)) for a, b in db.session.execute(select(PhotoMatch.photo_id, PhotoMatch.other_photo_id))}
    u = [uuid.UUID(i) for i in ids]
    assert pairs == {frozenset((u[0], u[1])), frozenset((u[0], u[3])), frozenset((u[1], u[3]))}
    # Nothing left: the next run says so; --all hashes everything again, with the same result.
    assert "Nothing to hash." in app.test_cli_runner().invoke(args=["photos", "rehash"]).output
    out = app.test_cli_runner().invoke(args=["photos", "rehash", "--all"])
    assert "4/4 photos: 4 hashed" in out.output
    db.session.rollback()
    assert {frozenset(r) for r in db.session.execute(select(PhotoMatch.photo_id, PhotoMatch.other_photo_id))} == pairs


@pytest.mark.usefixtures("rq_worker")
def test_a_use_without_a_store_is_shown_to_hq_and_hidden_from_a_manager(api, world):
    """A new store's intel report has no store: HQ sees it, a manager (scope by store) does not."""
    rep = api(world.rep_a1)
    img = shelf(77)
    report_photo, check_photo = new_id(), new_id()
    upload(rep, report_photo, jpeg(img))
    upload(rep, check_photo, copies(img)["resized 50 %"])
    body = {
        "id": new_id(),
        "kind": "new_store",
        "name": "华为授权体验店",
        "latitude": world.store_a1.latitude + 0.01,
        "longitude": world.store_a1.longitude,
        "reported_at": iso(utcnow() - timedelta(minutes=5)),
        "photo_ids": [report_photo],
    }
    r = rep.post("/api/v1/intel-reports", json=body)
    assert r.status_code == 201, r.json
    display_check(api, world, world.rep_a1, visit(api, world.rep_a1, world.store_a1), [check_photo])
    db.session.rollback()
    pid = uuid.UUID(check_photo)
    (hq,) = matches_for([pid], world.hq)[pid]
    assert hq["recycled"] is True  # a display photo that is also a new store's report photo
    assert hq["uses"][0] | {"at": None} == {
        "record_type": "intel_report",
        "record_id": uuid.UUID(body["id"]),
        "visit_id": None,
        "store_id": None,
        "store_name": None,
        "rep_id": world.rep_a1.id,
        "rep_name": world.rep_a1.display_name,
        "at": None,
        "visible": True,
    }
    (manager,) = matches_for([pid], world.manager_a)[pid]
    assert manager["uses"][0]["visible"] is False and manager["uses"][0]["rep_name"] is None
