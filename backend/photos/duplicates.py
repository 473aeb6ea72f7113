"""Recycled photos: near-duplicates found by a perceptual hash.

The classic way to fake a round of visits is to send yesterday's (or another store's) display or
price-tag photo again, re-encoded, resized or cropped a little so that its bytes differ. The photo
job (`service.process_photo`) computes each photo's 64-bit pHash (`phash_of`, imagehash's DCT
hash: it survives re-encoding, resizing and slight crops, unlike the sha256) and `record_phash`
stores it with its bands and records the near-duplicates among the photos hashed before.

The look-up is an index probe, not a scan (multi-index hashing): the hash is cut into
PHOTO_HASH_BANDS bands of equal width (`bands_of`), stored in `photo_hash_bands` with an index on
(band, value). Two hashes within r = PHOTO_NEAR_DUPLICATE_BITS bits of each other spread those
bits over the m bands, so at least one band differs in at most p = ⌊r / m⌋ bits (pigeonhole): the
candidates are the photos with, in some band, a value within p bits of ours — one query over the
values listed (`probe_values`), p = 0 (an exact band match) when there are more bands than bits —
and their true Hamming distance is then checked here.

Why 10 bits and 4 bands of 16 (tests/photos/test_duplicates.py, bench/photo_duplicates.py):
re-encoded, resized and brightened copies stay within 0–2 bits, but a crop of 3–5 % on one side
moves the low frequencies the hash is made of, 2–16 bits (about 90 % of 5 % crops within 10);
unrelated pictures were 20 or more apart. A pHash has 32 ones out of 64 (each bit says whether a
coefficient is above the median), so distances are even. With 4 bands, r = 10 needs p = 2: 137
values per band, a candidate rate of 0.8 % of the photos for uniform hashes.

A match is stored once, newer photo → older (`PhotoMatch`); `matches_for` reads both directions and
resolves where each photo is used (its `PhotoLink`s) at read time, so a record whose photo was
uploaded before the record itself still shows the match once the record arrives.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

import imagehash
from flask import current_app
from PIL import Image
from sqlalchemy import and_, delete, false, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..auth.models import User
from ..extensions import db
from ..intel.models import IntelReport, PriceObservation
from ..stores.models import Store
from ..tasks.models import Task
from ..visits.models import DisplayCheck
from . import storage
from .models import Photo, PhotoHashBand, PhotoLink, PhotoMatch

log = logging.getLogger(__name__)

HASH_BITS = 64
DEFAULT_BITS = 10
DEFAULT_BANDS = 4
MAX_PROBES = 5000  # (band, value) pairs in one look-up: more means too few bands for the bits


def phash_of(img_or_bytes: Image.Image | bytes) -> str:
    """The 64-bit perceptual hash (imagehash.phash, 8×8 DCT of a 32×32 greyscale copy) as 16
    hex digits. Pass the decoded image when it is in memory (the photo job does): bytes are
    decoded here, which the job avoids."""
    if isinstance(img_or_bytes, bytes | bytearray):
        with Image.open(io.BytesIO(img_or_bytes)) as img:
            img.draft("L", (64, 64))  # a JPEG decodes at 1/8 scale: plenty for a 32×32 hash
            return str(imagehash.phash(img))
    return str(imagehash.phash(img_or_bytes))


def _spans(n: int) -> list[tuple[int, int]]:
    """Band i covers bits [start, end) counted from the most significant; widths differ by at
    most one when n does not divide 64. A band's value must fit a 32-bit signed integer."""
    if not 3 <= n <= HASH_BITS:
        raise ValueError(f"PHOTO_HASH_BANDS must be between 3 and {HASH_BITS}, not {n}")
    return [(i * HASH_BITS // n, (i + 1) * HASH_BITS // n) for i in range(n)]


def bands_of(phash: str, n: int) -> list[int]:
    """The hash cut into `n` bands (most significant first), each as an integer."""
    value = int(phash, 16)
    return [(value >> (HASH_BITS - end)) & ((1 << (end - start)) - 1) for start, end in _spans(n)]


def probe_radius(bits: int, bands: int) -> int:
    """The smallest p such that `bits` differing bits spread over `bands` bands leave one band
    within p bits: bands × (p + 1) > bits."""
    return bits // bands


def _within(value: int, width: int, radius: int) -> list[int]:
    """All `width`-bit values within `radius` bits of `value`, `value` first."""
    out = [value]
    for r in range(1, radius + 1):
        for flips in combinations(range(width), r):
            out.append(value ^ sum(1 << b for b in flips))
    return out


def probe_values(phash: str, bits: int, bands: int) -> list[list[int]]:
    """For each band, the values a hash within `bits` of `phash` may have in it, in at least
    one band: those within `probe_radius` bits of ours."""
    radius = probe_radius(bits, bands)
    widths = [end - start for start, end in _spans(bands)]
    out = [_within(v, w, radius) for v, w in zip(bands_of(phash, bands), widths, strict=True)]
    if sum(map(len, out)) > MAX_PROBES:
        raise ValueError(
            f"PHOTO_NEAR_DUPLICATE_BITS={bits} with PHOTO_HASH_BANDS={bands} probes {sum(map(len, out))} "
            "band values per look-up: use more bands"
        )
    return out


def distance(a: str, b: str) -> int:
    """Hamming distance between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _settings() -> tuple[int, int]:
    cfg = current_app.config
    bits = int(cfg.get("PHOTO_NEAR_DUPLICATE_BITS", DEFAULT_BITS))
    bands = int(cfg.get("PHOTO_HASH_BANDS", DEFAULT_BANDS))
    if not 0 <= bits < HASH_BITS:
        raise ValueError(f"PHOTO_NEAR_DUPLICATE_BITS must be between 0 and {HASH_BITS - 1}, not {bits}")
    return bits, bands


def _valid(phash: str) -> str:
    phash = phash.lower()
    if len(phash) != 16 or any(c not in "0123456789abcdef" for c in phash):
        raise ValueError(f"not a 64-bit hex hash: {phash!r}")
    return phash


def _insert():
    return pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert


def candidates(phash: str, *, exclude: uuid.UUID | None = None) -> list[tuple[uuid.UUID, int]]:
    """The photos whose hash is within PHOTO_NEAR_DUPLICATE_BITS of `phash`, with the distance,
    closest first: one indexed query for the photos with a band value near ours
    (`probe_values`), then the exact Hamming check."""
    return [(pid, d) for pid, d, _ in _near(phash, exclude)]


def probe(phash: str, bits: int, bands: int):
    """The WHERE clause on `photo_hash_bands` that picks the candidates: in some band, a value
    within `probe_radius` bits of ours (an index probe per band: band = i AND value IN …)."""
    return or_(
        *(
            and_(PhotoHashBand.band == i, PhotoHashBand.value.in_(values))
            if len(values) > 1
            else and_(PhotoHashBand.band == i, PhotoHashBand.value == values[0])
            for i, values in enumerate(probe_values(phash, bits, bands))
        )
    )


def _near(phash: str, exclude: uuid.UUID | None) -> list[tuple[uuid.UUID, int, datetime]]:
    bits, n = _settings()
    phash = _valid(phash)
    ids = select(PhotoHashBand.photo_id).where(probe(phash, bits, n)).distinct()
    if exclude is not None:
        ids = ids.where(PhotoHashBand.photo_id != exclude)
    # One query. Fetching the candidates' ids first and then their rows by id (PostgreSQL scans
    # the photos for the subquery) measured slower on both databases at 100 k photos: sending
    # ~850 ids back costs more than the scan (bench/photo_duplicates.py, docs/benchmarks.md).
    rows = db.session.execute(select(Photo.id, Photo.phash, Photo.uploaded_at).where(Photo.id.in_(ids)))
    found = [(pid, d, at) for pid, other, at in rows if other and (d := distance(phash, other)) <= bits]
    return sorted(found, key=lambda x: (x[1], str(x[0])))


HASHING_LOCK = 0x70_68_61_73_68  # "phash": the advisory lock key of `_serialise_lookups`


def _serialise_lookups() -> None:
    """One hashing transaction at a time (PostgreSQL; SQLite has one writer anyway). A probe
    sees only committed bands: two jobs hashing two copies of one picture at once would each
    miss the other, and the recycled photo would never be flagged. A transaction-level advisory
    lock, released at the caller's commit, makes the second wait for the first's bands. Hashing
    is one probe and a few rows and the callers commit soon after (the job, an upload's twin, a
    rehash batch), so the wait is short; it is taken before this photo's rows are written."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(HASHING_LOCK)))


def record_phash(photo: Photo, phash: str) -> list[tuple[uuid.UUID, int]]:
    """Store `photo`'s hash and bands and record its near-duplicates among the other photos
    (PhotoMatch, newer → older by upload time). Idempotent: running it again (a retried job, a
    rehash) leaves the same rows; matches that no longer hold for a changed hash are removed.
    Returns the matches found. Flushes; the caller commits."""
    _bits, n = _settings()
    phash = _valid(phash)
    _serialise_lookups()
    photo.phash = phash
    db.session.execute(delete(PhotoHashBand).where(PhotoHashBand.photo_id == photo.id))
    db.session.execute(
        _insert()(PhotoHashBand)
        .values([{"photo_id": photo.id, "band": i, "value": v} for i, v in enumerate(bands_of(phash, n))])
        .on_conflict_do_nothing()
    )
    found = _near(phash, photo.id)
    keep = {other for other, _, _ in found}
    stale = select(PhotoMatch).where(
        or_(
            and_(PhotoMatch.photo_id == photo.id, PhotoMatch.other_photo_id.not_in(keep) if keep else true()),
            and_(PhotoMatch.other_photo_id == photo.id, PhotoMatch.photo_id.not_in(keep) if keep else true()),
        )
    )
    for row in db.session.scalars(stale):
        db.session.delete(row)
    if found:
        rows = []
        for other, dist, uploaded_at in found:
            newer = (photo.uploaded_at, str(photo.id)) >= (uploaded_at, str(other))
            rows.append(
                {
                    "photo_id": photo.id if newer else other,
                    "other_photo_id": other if newer else photo.id,
                    "distance": dist,
                }
            )
        stmt = _insert()(PhotoMatch).values(rows)
        # Two jobs hashing the two photos of a pair at once both write the same row: no error.
        db.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[PhotoMatch.photo_id, PhotoMatch.other_photo_id],
                set_={"distance": stmt.excluded.distance},
            )
        )
    db.session.flush()
    return [(pid, d) for pid, d, _ in found]


def hash_quietly(photo_ids: Iterable[uuid.UUID], compute: Callable[[], str | None]) -> None:
    """For the photo job: compute the hash and record it for the photos, logging any failure
    instead of raising (a missing hash never fails a photo). Runs in a savepoint so a failed
    insert leaves the job's transaction usable."""
    try:
        phash = compute()
        if phash is None:
            return
        with db.session.begin_nested():
            for photo in db.session.scalars(select(Photo).where(Photo.id.in_(list(photo_ids)))):
                record_phash(photo, phash)
    except Exception:
        log.exception("perceptual hash of photos %s skipped", list(photo_ids))


# --- where a photo is used ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    """How to find, for one record type, the visit, store, rep and time of its records."""

    model: Any
    visit: Any
    store: Any
    rep: Any
    at: Any


_PLACES: dict[str, _Place] = {
    "display_check": _Place(
        DisplayCheck, DisplayCheck.visit_id, DisplayCheck.store_id, DisplayCheck.rep_id, DisplayCheck.checked_at
    ),
    "price_observation": _Place(
        PriceObservation,
        PriceObservation.visit_id,
        PriceObservation.store_id,
        PriceObservation.rep_id,
        PriceObservation.observed_at,
    ),
    "intel_report": _Place(IntelReport, None, IntelReport.store_id, IntelReport.rep_id, IntelReport.reported_at),
    "task": _Place(Task, Task.done_visit_id, Task.store_id, Task.done_by, Task.done_at),
}


def _uses(photo_ids: set[uuid.UUID], actor: User | None) -> dict[uuid.UUID, list[dict]]:
    """Each photo's uses: one query for the links, one per record type."""
    out: dict[uuid.UUID, list[dict]] = defaultdict(list)
    if not photo_ids:
        return out
    links = db.session.execute(
        select(PhotoLink.photo_id, PhotoLink.record_type, PhotoLink.record_id).where(
            PhotoLink.photo_id.in_(list(photo_ids))
        )
    ).all()
    by_type: dict[str, dict[uuid.UUID, list[uuid.UUID]]] = defaultdict(lambda: defaultdict(list))
    for pid, rtype, rid in links:
        by_type[rtype][rid].append(pid)
    everything = actor is None or actor.sees_everything
    if not everything:
        from ..stores.service import store_scope  # noqa: PLC0415  (stores.service imports photos)

        # Others see a use at a store of their scope; one without a store (a new store's intel
        # report) is hidden from them, the safe side.
        scope = Store.id.is_not(None) & store_scope(actor)
    for rtype, records in by_type.items():
        place = _PLACES.get(rtype)
        if place is None:  # a record type this module does not know: shown without a place
            for rid, pids in records.items():
                for pid in pids:
                    out[pid].append(_use(rtype, rid, None, None, None, None, None, None, False))
            continue
        visit = place.visit if place.visit is not None else literal(None, type_=DisplayCheck.visit_id.type)
        stmt = (
            select(place.model.id, visit, place.store, Store.name, place.rep, User.display_name, place.at)
            .add_columns(true() if everything else scope if place.store is not None else false())
            .select_from(place.model)
            .outerjoin(Store, Store.id == place.store)
            .outerjoin(User, User.id == place.rep)
            .where(place.model.id.in_(list(records)))
        )
        for rid, visit_id, store_id, store_name, rep_id, rep_name, at, visible in db.session.execute(stmt):
            for pid in records[rid]:
                out[pid].append(_use(rtype, rid, visit_id, store_id, store_name, rep_id, rep_name, at, bool(visible)))
    return out


def _use(rtype, rid, visit_id, store_id, store_name, rep_id, rep_name, at: datetime | None, visible: bool) -> dict:
    return {
        "record_type": rtype,
        "record_id": rid,
        "visit_id": visit_id,
        "store_id": store_id,
        "store_name": store_name,
        "rep_id": rep_id,
        "rep_name": rep_name,
        "at": at,
        "visible": visible,
    }


def _same_place(a: dict, b: dict) -> bool:
    """Two uses are at the same place when they are in the same visit, or (either has no
    visit) at the same store."""
    if a["visit_id"] is not None and b["visit_id"] is not None:
        return a["visit_id"] == b["visit_id"]
    return a["store_id"] is not None and a["store_id"] == b["store_id"]


def is_recycled(mine: list[dict], theirs: list[dict]) -> bool:
    """True when the other photo is used at another visit or store than this one: the same
    picture attached twice within one visit is no fake. Unknown until both are linked: False."""
    return any(not _same_place(a, b) for a in mine for b in theirs)


def _redacted(use: dict) -> dict:
    """A use outside the reader's scope: the reader learns it exists, not where or by whom."""
    hidden = ("record_id", "visit_id", "store_id", "store_name", "rep_id", "rep_name")
    return {**use, **dict.fromkeys(hidden)}


def matches_for(photo_ids: Iterable[uuid.UUID], actor: User | None = None) -> dict[uuid.UUID, list[dict]]:
    """For each given photo (every one is a key), its near-duplicates either way round, the
    recycled ones first, then the closest: `other_photo_id`, `distance` (bits), `found_at`,
    `uses` (where the other photo is used: record type and id, visit, store id and name, rep id
    and name, time, `visible`) and `recycled` (the other photo is used at another visit or store
    than this one).

    With `actor`, uses at stores outside the actor's scope keep only their record type and time
    (`visible` False); `recycled` still counts them. A constant number of queries for any list:
    the matches, the links, one per record type."""
    wanted = list(dict.fromkeys(photo_ids))
    result: dict[uuid.UUID, list[dict]] = {pid: [] for pid in wanted}
    if not wanted:
        return result
    rows = db.session.execute(
        select(PhotoMatch.photo_id, PhotoMatch.other_photo_id, PhotoMatch.distance, PhotoMatch.found_at).where(
            or_(PhotoMatch.photo_id.in_(wanted), PhotoMatch.other_photo_id.in_(wanted))
        )
    ).all()
    pairs: list[tuple[uuid.UUID, uuid.UUID, int, datetime]] = []
    for a, b, dist, found in rows:
        if a in result:
            pairs.append((a, b, dist, found))
        if b in result:
            pairs.append((b, a, dist, found))
    uses = _uses({p for a, b, *_ in pairs for p in (a, b)}, actor)
    for mine, other, dist, found in pairs:
        theirs = uses.get(other, [])
        result[mine].append(
            {
                "other_photo_id": other,
                "distance": dist,
                "found_at": found,
                "recycled": is_recycled(uses.get(mine, []), theirs),
                "uses": [u if u["visible"] else _redacted(u) for u in theirs],
            }
        )
    for found_list in result.values():
        found_list.sort(key=lambda m: (not m["recycled"], m["distance"], str(m["other_photo_id"])))
    return result


def recycled_photo_ids(photo_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The given photos that have at least one recycled match (for a feed's flag)."""
    return {pid for pid, found in matches_for(photo_ids).items() if any(m["recycled"] for m in found)}


# --- backfill -------------------------------------------------------------------------------------


@dataclass
class RehashProgress:
    done: int  # photos hashed so far in this run
    total: int  # photos to do when the run started
    with_matches: int  # of those, photos with at least one near-duplicate
    skipped: int  # photos whose thumbnail could not be read (logged)
    last_id: uuid.UUID | None  # resume after this id (`--after`)


def rehash(*, everything: bool = False, batch: int = 200, after: uuid.UUID | None = None) -> Iterable[RehashProgress]:
    """Hash the ready photos that have no hash yet (`everything`: all of them, e.g. after
    PHOTO_HASH_BANDS changed), in batches of `batch` by id, committing each batch: an
    interrupted run loses at most one batch, and running it again carries on (without
    `everything`, the photos done are skipped by themselves; with it, pass `after`, the last id
    reported). Hashes the stored thumbnail, once per content (photos with the same bytes share
    it). Yields the progress after each batch."""
    wanted = select(Photo.id).where(Photo.status == "ready")
    if not everything:
        wanted = wanted.where(Photo.phash.is_(None))
    if after is not None:
        wanted = wanted.where(Photo.id > after)
    total = db.session.scalar(select(func.count()).select_from(wanted.subquery())) or 0
    where = storage.store()
    progress = RehashProgress(0, total, 0, 0, after)
    while True:
        page = wanted.order_by(Photo.id).limit(batch)
        if progress.last_id is not None:
            page = page.where(Photo.id > progress.last_id)
        ids = list(db.session.scalars(page))
        if not ids:
            return
        by_content: dict[str, str | None] = {}
        for photo in db.session.scalars(select(Photo).where(Photo.id.in_(ids)).order_by(Photo.id)):
            if photo.sha256 not in by_content:
                try:
                    by_content[photo.sha256] = phash_of(where.get(storage.variant_key(photo.sha256, "thumb")))
                except Exception:
                    log.exception("photo %s: thumbnail unreadable, not hashed", photo.id)
                    by_content[photo.sha256] = None
            phash = by_content[photo.sha256]
            if phash is None:
                progress.skipped += 1
            else:
                progress.with_matches += bool(record_phash(photo, phash))
                progress.done += 1
        db.session.commit()
        progress.last_id = ids[-1]
        yield progress
