"""Peak memory of photo uploads in a production-shaped server: gunicorn with one worker process
and 8 threads (so that concurrent uploads land in one process), and of the processing job.

    python -m bench.photo_upload_rss [--formats jpeg,mpo,png,webp] [--uploads 8]
                                     [--modes queue,inprocess] [--shapes limit,attack]

For each format and image shape, `--uploads` requests PUT a solid-colour image at once (tiny
files, huge when decoded: the worst case for the server's memory), and one more PUTs an image
just over the pixel limit, which must be refused with a 4xx. Shapes: `limit`, the largest 4:3
image the server's limit for that format accepts; `attack`, 8000×6000 (48 MP), the images of the
security report (refused by a server whose limit is lower).

Reported per format: the web worker's resident memory before the uploads and its peak during
them (VmHWM of /proc/<pid>/status, reset through /proc/<pid>/clear_refs before each batch, so
the peak is the batch's), the answers, and the processing job's peak per image, run one image
at a time in a process of its own as an rq worker's work horse runs it.

Modes: `queue`, as production runs it: REDIS_URL set, so the web worker only stores the upload
(jobs wait in the queue of a throwaway name; with no Redis at BENCH_REDIS_URL, default
redis://127.0.0.1:6379/0, in the outbox); the job figures come from running the stored jobs
afterwards. `inprocess`, the embedded setup: no Redis, each request runs its job before it
answers, so the web worker's peak includes the processing.

SQLite in a temporary directory, or BENCH_DATABASE_URL (PostgreSQL), as bench/run.py. Linux only
(/proc). Nothing is asserted: figures are printed.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from threading import Barrier

ROOT = Path(__file__).resolve().parent.parent
ATTACK = (8000, 6000)
FORMATS = ("jpeg", "mpo", "png", "webp")
PIL_FORMAT = {"jpeg": "JPEG", "mpo": "MPO", "png": "PNG", "webp": "WEBP"}
CONTENT_TYPE = {"jpeg": "image/jpeg", "mpo": "image/jpeg", "png": "image/png", "webp": "image/webp"}
STAMP = b"2026:05:01 10:20:00"  # EXIF date: varied per copy to make distinct bytes without re-encoding


# --- /proc ---------------------------------------------------------------------------------------


def _status(pid: int | str, key: str) -> int:
    """A VmXXX figure of /proc/<pid>/status, in MiB."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) // 1024


def rss(pid="self") -> int:
    return _status(pid, "VmRSS")


def peak(pid="self") -> int:
    return _status(pid, "VmHWM")


def reset_peak(pid="self") -> None:
    """Linux: writing 5 to clear_refs resets the peak resident set size to the current one."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def release_free_memory() -> None:
    """Hand memory freed earlier back to the system (glibc keeps it resident otherwise), so that
    the next peak measured is the next task's own."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


# --- images --------------------------------------------------------------------------------------


def largest_within(limit: int) -> tuple[int, int]:
    """The largest 4:3 image (sides multiples of 16) of at most `limit` pixels."""
    unit = int(math.sqrt(limit / 12) // 4) * 4  # 4u × 3u with u a multiple of 4: sides multiples of 16
    while (4 * unit) * (3 * unit) > limit:
        unit -= 4
    return 4 * unit, 3 * unit


def just_over(limit: int) -> tuple[int, int]:
    w, h = largest_within(limit)
    while w * h <= limit:
        w, h = w + 16, h + 12
    return w, h


def solid(fmt: str, size: tuple[int, int]) -> bytes:
    """A solid-colour image with an EXIF date (so copies can differ in that date alone)."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = STAMP.decode()
    img = Image.new("RGB", size, (40, 120, 200))
    out = io.BytesIO()
    if fmt == "mpo":  # a camera's multi-picture JPEG: the photo and a small second picture
        img.save(out, "MPO", exif=exif.tobytes(), save_all=True, append_images=[Image.new("RGB", (640, 480))])
    else:
        img.save(out, PIL_FORMAT[fmt], exif=exif.tobytes())
    return out.getvalue()


_made = 0  # files made so far: each one's EXIF time differs, so no two are the same bytes


def copies(fmt: str, data: bytes, n: int) -> list[bytes]:
    """`n` distinct files of the same image, distinct from all made before too (stored content is
    deduplicated: a copy already processed would be ready without any decoding): the EXIF time
    differs (a PNG's eXIf chunk gets its checksum fixed)."""
    import struct
    import zlib

    global _made
    assert STAMP in data, fmt
    out = []
    for _ in range(n):
        hour, minute, second = _made // 3600 % 24, _made // 60 % 60, _made % 60
        _made += 1
        blob = bytearray(data.replace(STAMP, STAMP[:-8] + b"%02d:%02d:%02d" % (hour, minute, second)))
        if fmt == "png":
            at = blob.index(b"eXIf") - 4
            length = struct.unpack(">I", blob[at : at + 4])[0]
            end = at + 8 + length
            blob[end : end + 4] = struct.pack(">I", zlib.crc32(blob[at + 4 : end]))
        out.append(bytes(blob))
    return out


# --- the server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn, one worker process with 8 threads, on a free loopback port."""

    def __init__(self, env: dict, log_path: Path, threads: int):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers",
                "1",
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "600",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        import requests

        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.base}/api/v1/health", timeout=10).status_code in (200, 503):
                    break
            except requests.RequestException:  # not listening yet, or still loading the app
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        workers = _children(self.proc.pid)
        if len(workers) != 1:
            raise RuntimeError(f"expected one gunicorn worker, found {workers}")
        self.worker = workers[0]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


def put(base: str, token: str, fmt: str, data: bytes) -> tuple[int, dict]:
    import requests

    pid = uuid.uuid4()
    r = requests.put(
        f"{base}/api/v1/photos/{pid}",
        params={"sha256": hashlib.sha256(data).hexdigest()},
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": CONTENT_TYPE[fmt]},
        timeout=600,
    )
    return r.status_code, r.json()


# --- the processing job, one image at a time, in a process of its own ------------------------------


def run_jobs(fmt: str, shas: list[str]) -> None:
    """(In a child process.) Run the processing job of each upload in turn, as an rq work horse
    would, and print each one's peak above the resident memory before it, as JSON."""
    from backend import create_app
    from backend.extensions import db
    from backend.photos import imaging
    from backend.photos.models import Photo
    from backend.photos.service import process_photo

    app = create_app({"REDIS_URL": None})
    with app.app_context():
        imaging.make_variants(solid(fmt, (64, 48)), 32, 16)  # warm up: Pillow's plugins loaded
        out = []
        for sha in shas:
            release_free_memory()  # as in a work horse freshly forked for each job
            before = rss()
            reset_peak()
            start = time.perf_counter()
            try:
                process_photo(sha)
                error = None
            except Exception as exc:  # reported, not raised: the figures matter
                error = f"{type(exc).__name__}: {exc}"
            seconds = time.perf_counter() - start
            db.session.rollback()
            statuses = sorted({p.status for p in db.session.query(Photo).filter_by(sha256=sha)})
            out.append({"rss": before, "peak": peak(), "s": seconds, "status": ",".join(statuses), "error": error})
    print(json.dumps(out))


def jobs_in_child(fmt: str, shas: list[str], env: dict) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.photo_upload_rss", "--run-jobs", fmt, *shas],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"jobs failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- one batch -------------------------------------------------------------------------------------


@dataclass
class Batch:
    mode: str
    fmt: str
    shape: str
    size: tuple[int, int]
    file_kb: float
    statuses: list[int] = field(default_factory=list)
    photo_status: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rss_before: int = 0
    rss_peak: int = 0
    over_size: tuple[int, int] = (0, 0)
    over_status: int = 0
    over_message: str = ""
    over_growth: int = 0
    jobs: list[dict] = field(default_factory=list)


def limits() -> dict[str, int]:
    """The pixel limit per format of the backend in this tree (older trees had one limit)."""
    from backend.config import Config

    general = Config.PHOTO_MAX_PIXELS
    png_webp = min(general, getattr(Config, "PHOTO_MAX_PIXELS_PNG_WEBP", general))
    return {"jpeg": general, "mpo": general, "png": png_webp, "webp": png_webp}


def batch(mode: str, fmt: str, shape: str, n: int, env: dict, token: str, tmp: Path) -> Batch:
    limit = limits()[fmt]
    size = ATTACK if shape == "attack" else largest_within(limit)
    blobs = copies(fmt, solid(fmt, size), n)
    result = Batch(mode, fmt, shape, size, len(blobs[0]) / 1024)
    server = Server(env, tmp / f"gunicorn-{mode}-{fmt}-{shape}.log", threads=max(8, n))
    try:
        status, body = put(server.base, token, fmt, copies(fmt, solid(fmt, (64, 48)), 1)[0])  # warm-up
        if status != 201:
            raise RuntimeError(f"warm-up upload -> {status}: {body}")

        result.over_size = just_over(limit)
        over = copies(fmt, solid(fmt, result.over_size), 1)[0]
        before = rss(server.worker)
        reset_peak(server.worker)
        result.over_status, body = put(server.base, token, fmt, over)
        result.over_message = body.get("message", "")
        result.over_growth = peak(server.worker) - before

        result.rss_before = rss(server.worker)
        reset_peak(server.worker)
        barrier = Barrier(n)

        def one(blob: bytes) -> tuple[int, dict]:
            barrier.wait()
            return put(server.base, token, fmt, blob)

        start = time.perf_counter()
        with ThreadPoolExecutor(n) as pool:
            answers = list(pool.map(one, blobs))
        result.seconds = time.perf_counter() - start
        result.rss_peak = peak(server.worker)
        result.statuses = [s for s, _ in answers]
        result.photo_status = [str(b["code"] if "code" in b else b.get("status")) for _, b in answers]
    finally:
        server.stop()
    if mode == "queue":
        shas = [b["sha256"] for s, b in answers if s == 201]
        if shas:
            job_env = {k: v for k, v in env.items() if k != "REDIS_URL"}
            result.jobs = jobs_in_child(fmt, shas, job_env)
    return result


def _redis_for_bench() -> tuple[str, str | None]:
    """(REDIS_URL for the server, queue to delete afterwards or None)."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        from redis import Redis

        Redis.from_url(url, socket_connect_timeout=1).ping()
        return url, f"fieldsales-bench-rss-{uuid.uuid4().hex[:8]}"
    except Exception:  # no Redis: the jobs wait in the outbox instead
        return f"redis://127.0.0.1:{_free_port()}/0", None


def run(formats: list[str], n: int, modes: list[str], shapes: list[str]) -> list[Batch]:
    from backend.auth.models import AuthToken, hash_token
    from backend.core.timeutil import utcnow
    from backend.extensions import db
    from backend.org.models import Region, Territory

    from .common import log, scratch_app
    from .data import make_user

    results = []
    with scratch_app("photo-rss") as app:
        with app.app_context():
            region = Region(code="GD", name="广东大区")
            db.session.add(region)
            db.session.flush()
            territory = Territory(code="GZ-NE", name="广州NE片区", region_id=region.id)
            db.session.add(territory)
            db.session.flush()
            rep = make_user("rep_photo_rss", "rep", territory_id=territory.id)
            token = uuid.uuid4().hex
            expires = utcnow().replace(year=utcnow().year + 1)
            db.session.add(AuthToken(token_hash=hash_token(token), user_id=rep.id, expires_at=expires))
            db.session.commit()
        tmp = Path(app.config["PHOTO_DIR"]).parent
        base_env = os.environ.copy()  # DATABASE_URL and PHOTO_DIR: set by scratch_app
        base_env["JOB_SWEEP_SECONDS"] = "0"
        for mode in modes:
            env = dict(base_env)
            queue = None
            if mode == "queue":
                env["REDIS_URL"], queue = _redis_for_bench()
                env["RQ_QUEUE"] = queue or "fieldsales-bench-rss"
            else:
                env.pop("REDIS_URL", None)
            try:
                for fmt in formats:
                    for shape in shapes:
                        log(f"{mode} {fmt} {shape}: {n} uploads at once…")
                        results.append(batch(mode, fmt, shape, n, env, token, tmp))
                        report_one(results[-1])
            finally:
                if queue is not None:
                    from redis import Redis
                    from rq import Queue

                    Queue(queue, connection=Redis.from_url(env["REDIS_URL"])).delete(delete_jobs=True)
    return results


def report_one(b: Batch) -> None:
    from .common import log

    w, h = b.size
    ow, oh = b.over_size
    answers = ", ".join(f"{s}×{b.statuses.count(s)}" for s in sorted(set(b.statuses)))
    states = ", ".join(sorted(set(b.photo_status)))
    log(
        f"  {b.mode:9} {b.fmt:4} {b.shape:6} {w}×{h} ({w * h / 1e6:.1f} MP, {b.file_kb:,.0f} KB): "
        f"{len(b.statuses)} PUTs -> {answers} ({states}) in {b.seconds:.1f} s; web worker RSS "
        f"{b.rss_before} MiB -> peak {b.rss_peak} MiB (+{b.rss_peak - b.rss_before} MiB)"
    )
    log(f"      over the limit {ow}×{oh}: {b.over_status} (+{b.over_growth} MiB) {b.over_message[:100]}")
    if b.jobs:
        growth = [j["peak"] - j["rss"] for j in b.jobs]
        seconds = [j["s"] for j in b.jobs]
        states = sorted({j["status"] for j in b.jobs})
        errors = sorted({j["error"] for j in b.jobs if j["error"]})
        log(
            f"      job, one image at a time: peak +{max(growth)} MiB per image (min +{min(growth)}), "
            f"{sum(seconds) / len(seconds):.1f} s per image, photos {', '.join(states)}"
            + (f"; errors: {errors[0][:120]}" if errors else "")
        )


def print_table(results: list[Batch]) -> None:
    from .common import log

    log("")
    log(
        "mode       format shape  image                 file KB  answers        "
        "web RSS MiB before -> peak   over-limit answer  job peak +MiB/image"
    )
    for b in results:
        w, h = b.size
        answers = ",".join(f"{s}x{b.statuses.count(s)}" for s in sorted(set(b.statuses)))
        job = f"+{max(j['peak'] - j['rss'] for j in b.jobs)}" if b.jobs else "-"
        log(
            f"{b.mode:10} {b.fmt:6} {b.shape:6} {w:>5}×{h:<5} {w * h / 1e6:5.1f} MP {b.file_kb:8,.0f}  "
            f"{answers:13}  {b.rss_before:6} -> {b.rss_peak:6} (+{b.rss_peak - b.rss_before:>5})   "
            f"{b.over_status:3} (+{b.over_growth} MiB)      {job}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.photo_upload_rss", description=__doc__.split("\n")[0])
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated: " + ",".join(FORMATS))
    parser.add_argument("--uploads", type=int, default=8, help="concurrent uploads per batch (default 8)")
    parser.add_argument("--modes", default="queue,inprocess", help="comma-separated: queue,inprocess")
    parser.add_argument("--shapes", default="limit,attack", help="comma-separated: limit,attack")
    parser.add_argument("--run-jobs", nargs="+", metavar=("FORMAT", "SHA256"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_jobs:
        run_jobs(args.run_jobs[0], args.run_jobs[1:])
        return
    from .common import log

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    if set(formats) - set(FORMATS) or set(modes) - {"queue", "inprocess"} or set(shapes) - {"limit", "attack"}:
        parser.error("unknown format, mode or shape")
    log(f"Pixel limits of this tree: {limits()}; tree {ROOT}")
    print_table(run(formats, args.uploads, modes, shapes))


if __name__ == "__main__":
    main()
