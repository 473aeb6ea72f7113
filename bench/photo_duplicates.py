"""Recycled photos: the near-duplicate look-up per photo at 10,000 and 100,000 stored hashes,
against a brute-force scan measured in the same run.

    python -m bench.photo_duplicates [--sizes 10000,100000] [--queries 200]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/fieldsales_bench \\
        python -m bench.photo_duplicates

SQLite by default, PostgreSQL with BENCH_DATABASE_URL (a scratch database, dropped after). For
each size: that many photos with their hashes and bands (PHOTO_HASH_BANDS, the defaults), then

- `candidates()` (the indexed band probe plus the exact Hamming check, what the photo job runs
  for each new photo) for `--queries` hashes: a fifth of them with planted neighbours at 2, 6
  and 10 bits, the rest new random hashes;
- `record_phash()` for 50 new photos (all the job's duplicate work: bands written, look-up,
  matches written);
- the brute-force scan: every stored hash read and compared in Python, 5 times; and a check
  that the probe found exactly what the scan found for the planted queries.

The stored hashes are random 64-bit values with 32 ones, as a pHash has (each bit says whether a
DCT coefficient is above the median). Real pHashes are not uniform (similar scenes share their
lowest frequencies), so a real look-up meets more candidates than here: the candidate counts are
printed so that the cost per candidate can be judged.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.photos import duplicates
from backend.photos.duplicates import bands_of, candidates, distance, record_phash
from backend.photos.models import Photo, PhotoHashBand

from . import common
from .common import analyze, insert_in_chunks, log, note, record, scratch_app
from .data import make_user


def balanced(rnd: random.Random) -> int:
    """A random 64-bit value with 32 ones."""
    value = 0
    for bit in rnd.sample(range(64), 32):
        value |= 1 << bit
    return value


def neighbour(rnd: random.Random, value: int, bits: int) -> int:
    """`value` with `bits` bits moved (half of them 1→0, half 0→1): the ones stay 32."""
    ones = [b for b in range(64) if value >> b & 1]
    zeros = [b for b in range(64) if not value >> b & 1]
    for b in rnd.sample(ones, bits // 2) + rnd.sample(zeros, bits // 2):
        value ^= 1 << b
    return value


def fill(size: int, planted: list[int], rnd: random.Random) -> dict[uuid.UUID, str]:
    """`size` photos: three neighbours (2, 6, 10 bits) of each planted hash, the rest random."""
    user = make_user(f"bench-rep-{size}", "rep")
    db.session.commit()
    hashes = [neighbour(rnd, p, d) for p in planted for d in (2, 6, 10)]
    hashes += [balanced(rnd) for _ in range(size - len(hashes))]
    n = duplicates._settings()[1]
    now = utcnow() - timedelta(days=1)
    photos, bands, stored = [], [], {}
    for h in hashes:
        pid, hexed = uuid.uuid4(), f"{h:016x}"
        stored[pid] = hexed
        photos.append(
            {
                "id": pid,
                "sha256": pid.hex * 2,
                "size_bytes": 1,
                "format": "JPEG",
                "width": 1,
                "height": 1,
                "status": "ready",
                "uploaded_by": user.id,
                "uploaded_at": now,
                "phash": hexed,
            }
        )
        bands += [{"photo_id": pid, "band": i, "value": v} for i, v in enumerate(bands_of(hexed, n))]
    insert_in_chunks(Photo, photos)
    insert_in_chunks(PhotoHashBand, bands)
    analyze()
    return stored


def brute_force(query: str, bits: int) -> list[tuple[uuid.UUID, int]]:
    rows = db.session.execute(select(Photo.id, Photo.phash).where(Photo.phash.is_not(None)))
    found = [(pid, d) for pid, h in rows if (d := distance(query, h)) <= bits]
    return sorted(found, key=lambda x: (x[1], str(x[0])))


def run_size(app, size: int, queries: int, rnd: random.Random) -> None:
    with app.app_context():
        bits, bands = duplicates._settings()
        planted = [balanced(rnd) for _ in range(queries // 5)]
        start = time.perf_counter()
        fill(size, planted, rnd)
        log(f"  {size:,} hashes stored in {time.perf_counter() - start:.1f} s")
        asked = [f"{p:016x}" for p in planted] + [f"{balanced(rnd):016x}" for _ in range(queries - len(planted))]
        samples, seen = [], []
        for q in asked:
            t = time.perf_counter()
            seen.append(len(candidates(q)))
            samples.append((time.perf_counter() - t) * 1000)
        record(
            f"look-up at {size:,} hashes",
            samples,
            f"{bits} bits, {bands} bands; found per planted query (3 planted) "
            f"{min(seen[: len(planted)])}–{max(seen[: len(planted)])}",
        )
        # The candidates the probe fetched before the exact check: its real cost.
        fetched = [
            db.session.scalar(
                select(func.count(PhotoHashBand.photo_id.distinct())).where(duplicates.probe(q, bits, bands))
            )
            for q in asked[len(planted) :]
        ]
        pairs = sum(map(len, duplicates.probe_values(asked[0], bits, bands)))
        note(
            f"{size:,} hashes: a look-up probes {pairs} (band, value) pairs and fetches "
            f"{sum(fetched) / len(fetched):.0f} candidates on average (max {max(fetched)}) for the exact check"
        )

        user_id = db.session.scalar(select(Photo.uploaded_by).limit(1))
        samples = []
        for _ in range(50):
            photo = Photo(
                id=uuid.uuid4(),
                sha256=uuid.uuid4().hex * 2,
                size_bytes=1,
                format="JPEG",
                width=1,
                height=1,
                status="ready",
                uploaded_by=user_id,
            )
            db.session.add(photo)
            db.session.flush()
            h = f"{neighbour(rnd, planted[rnd.randrange(len(planted))], 4):016x}"
            t = time.perf_counter()
            record_phash(photo, h)
            db.session.commit()
            samples.append((time.perf_counter() - t) * 1000)
        record(f"record_phash at {size:,} hashes", samples, "bands + look-up + matches, committed")

        samples = []
        for q in asked[:5]:
            t = time.perf_counter()
            brute = brute_force(q, bits)
            samples.append((time.perf_counter() - t) * 1000)
            assert brute == candidates(q), "the banded look-up missed what the scan found"
        record(f"brute-force scan at {size:,} hashes", samples, "all hashes read, compared in Python")
        db.session.remove()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.photo_duplicates", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="stored hashes, comma-separated")
    parser.add_argument("--queries", type=int, default=200, help="timed look-ups per size")
    args = parser.parse_args(argv)
    log(f"photo near-duplicates: database {common.database_label()}")
    start = time.perf_counter()
    rnd = random.Random(18)
    for size in (int(s) for s in args.sizes.split(",")):
        with scratch_app(f"phash-{size}") as app:
            run_size(app, size, args.queries, rnd)
    common.print_table(common.database_label(), time.perf_counter() - start)


if __name__ == "__main__":
    main()
