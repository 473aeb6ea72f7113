"""Chaos: the deployment the README documents (PostgreSQL, Redis, `rq worker` processes) with its
parts failing. The test starts its own redis-server on a free port and its own rq workers, then
(1) SIGKILLs a worker mid-import, (2) stops Redis while a photo, an import and prices arrive,
(3) fills the photo disk — and checks that every job runs to the end exactly once.

Runs when REDIS_URL is set (CI's PostgreSQL stage); needs `redis-server` on the PATH, and root
to mount the small photo volume of (3)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.core.timeutil import utcnow
from backend.extensions import db
from backend.jobs import OutboxJob
from backend.jobs.sweeper import sweep
from backend.market.models import PriceCellDirty
from backend.photos.models import Photo
from backend.warranty.models import Shipment, ShipmentImport
from tests.factories import imei
from tests.photos.images import noisy_jpeg, put, wait_processed
from tests.sync.helpers import Device, price_args
from tests.warranty.helpers import csv_bytes, shipment_row, upload, wait_import

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (run by .ci/run)"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A redis-server of the test's own, without persistence: a restart loses what it held."""

    def __init__(self, log: Path):
        self.port, self.log, self.proc = free_port(), log, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=open(self.log, "a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Worker:
    """`rq worker -w backend.jobs.worker.AppWorker` on the test's Redis and queue."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "rq"), "worker", "-w", "backend.jobs.worker.AppWorker"]
            + ["--url", env["REDIS_URL"], env["RQ_QUEUE"]],
            cwd=ROOT,
            env=env,
            stdout=open(log, "a"),
            stderr=subprocess.STDOUT,
        )

    def horses(self) -> list[int]:
        """The work-horse processes it forked (each in its own process group)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: the worker and its work horse."""
        horses = self.horses()
        self.proc.send_signal(signal.SIGKILL)
        for pid in horses:
            os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        for pid in horses:  # gone (reaped by init) before anything else happens
            deadline = time.monotonic() + 10
            while Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid) and time.monotonic() < deadline:
                time.sleep(0.01)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].strip().lower()
    except (FileNotFoundError, IndexError):
        return "gone"


@pytest.fixture
def chaos(app, rq_worker, monkeypatch, tmp_path):
    # The session's own worker (on the session's Redis) sweeps the same database: it would take
    # this test's jobs onto its Redis and run them beside the test's workers. Pause it meanwhile.
    paused = _pause(rq_worker)
    try:
        yield from _chaos(app, monkeypatch, tmp_path)
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)


def _pause(proc) -> list[int]:
    if proc is None or proc.poll() is not None:
        return []
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    pids = [proc.pid, *(int(p) for p in children.read_text().split())] if children.exists() else [proc.pid]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    return pids


def _chaos(app, monkeypatch, tmp_path):
    redis = Redis(tmp_path / "redis.log")
    redis.start()
    queue = f"chaos-{uuid.uuid4().hex[:8]}"
    settings = {"JOB_STALE_SECONDS": 3, "JOB_HEARTBEAT_SECONDS": 1, "JOB_RETRY_SECONDS": 1, "JOB_SWEEP_SECONDS": 1}
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.config, "REDIS_URL", redis.url)
    monkeypatch.setitem(app.config, "RQ_QUEUE", queue)
    env = os.environ | {k: str(v) for k, v in settings.items()} | {"REDIS_URL": redis.url, "RQ_QUEUE": queue}
    workers: list[Worker] = []

    class Chaos:
        def worker(self, **extra) -> Worker:
            w = Worker(env | extra, tmp_path / "worker.log")
            workers.append(w)
            return w

    Chaos.redis = redis
    Chaos.log = tmp_path / "worker.log"
    yield Chaos()
    for w in workers:
        w.stop()
    if redis.proc.poll() is None:
        redis.stop()


def _jobs() -> list[OutboxJob]:
    db.session.rollback()
    return db.session.scalars(select(OutboxJob).order_by(OutboxJob.id)).all()


def outbox_rows() -> list[tuple[str, str, int]]:
    """The outbox's jobs as (name, state, attempts), leaving out the channel's weeks-of-cover check:
    every import batch asks for it (backend/channel/alerts.py), and it is not these tests' subject."""
    rows = [(j.name.split(":")[1], j.state, j.attempts) for j in _jobs()]
    return [row for row in rows if row[0] != "check_cover"]


def wait_for(predicate, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            rows = [(j.id, j.state, j.attempts, j.rq_job_id, j.next_attempt_at, j.last_error) for j in _jobs()]
            raise AssertionError(f"{what} within {timeout} s; outbox: {rows}; worker log:\n{tail}")
        time.sleep(0.05)


def test_a_worker_killed_mid_import_is_replaced_and_the_import_finishes_exactly_once(api, world, chaos):
    worker = chaos.worker(IMPORT_BATCH_ROWS="500")
    hq = api(world.hq)
    total = 40_000
    imp = upload(hq, csv_bytes(*(shipment_row(imei(serial=i)) for i in range(1, total + 1))))

    def loading():
        i = db.session.get(ShipmentImport, imp["id"], populate_existing=True)
        return i.status == "running" and i.rows_loaded >= 3000 and worker.horses()

    wait_for(loading, 30, "the import did not start loading", chaos.log)
    worker.kill()
    db.session.rollback()
    cut = db.session.get(ShipmentImport, imp["id"])
    assert cut.status == "running" and 0 < cut.rows_loaded < total, "killed too late: the import had finished"
    assert outbox_rows() == [("run_import", "running", 1)]

    chaos.worker(IMPORT_BATCH_ROWS="500")  # a new worker; its first sweep, or ours, re-queues the import
    time.sleep(3.2)  # JOB_STALE_SECONDS without a heartbeat
    sweep()
    done = wait_import(hq, imp["id"], timeout=60)
    assert (done["status"], done["rows_read"], done["rows_loaded"], done["rows_unchanged"], done["rows_bad"]) == (
        "done",
        total,
        total,
        0,
        0,
    ), done
    assert db.session.scalar(select(func.count()).select_from(Shipment)) == total
    assert db.session.scalar(select(func.count(func.distinct(Shipment.imei)))) == total
    assert outbox_rows() == [("run_import", "done", 2)]


def test_with_redis_stopped_nothing_fails_and_everything_runs_once_it_is_back(api, world, chaos):
    chaos.worker()
    rep, hq = api(world.rep_a1), api(world.hq)
    chaos.redis.stop()

    pid, photo = str(uuid.uuid4()), noisy_jpeg((300, 300))
    r = put(rep, pid, photo)
    assert r.status_code == 201 and r.json["status"] == "received", r.json
    assert put(rep, pid, photo).status_code == 200  # the phone's retry
    imp = upload(hq, csv_bytes(*(shipment_row(imei(serial=i)) for i in range(1, 101))))
    device = Device(rep)
    prices = [price_args(world.store_a1, world.competitor_model.id, price=p) for p in ("2399.00", "2299.00")]
    r = device.push([device.mutation("price.observe", p) for p in prices])
    assert r.status_code == 200 and [m["status"] for m in r.json["results"]] == ["applied"] * 2, r.data[:300]
    health = hq.get("/api/v1/health")
    assert health.status_code == 200 and health.json["status"] == "degraded"
    assert [(name, state) for name, state, _ in outbox_rows()] == [
        ("process_photo", "pending"),
        ("run_import", "pending"),
        ("refresh_price_cells", "pending"),
    ]

    chaos.redis.start()  # empty: nothing of before the outage survives in it
    # No sweep by the test: the worker reconnects and its periodic sweep (JOB_SWEEP_SECONDS) sends them.
    assert wait_processed(rep, pid, timeout=60)["status"] == "ready"
    done = wait_import(hq, imp["id"], timeout=60)
    assert (done["status"], done["rows_loaded"], done["rows_unchanged"]) == ("done", 100, 0)
    wait_for(lambda: db.session.query(PriceCellDirty).count() == 0, 30, "the price rollup did not run", chaos.log)
    wait_for(lambda: all(s == "done" for _, s, _ in outbox_rows()), 10, "jobs not done", chaos.log)
    assert [a for _, _, a in outbox_rows()] == [1, 1, 1]
    assert hq.get("/api/v1/health").json["status"] == "ok"


def test_a_full_photo_disk_507_then_processing_waits_for_space_and_runs_once(
    api, world, app, chaos, tmp_path, monkeypatch
):
    volume = tmp_path / "photos"
    volume.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(volume)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    filler = volume / "filler"
    try:
        monkeypatch.setitem(app.config, "PHOTO_DIR", str(volume))

        def fill():
            with open(filler, "ab", buffering=0) as fh:
                try:
                    while True:
                        fh.write(b"\0" * 4096)
                except OSError:
                    pass

        rep = api(world.rep_a1)
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        data = noisy_jpeg((700, 700))
        fill()
        r = put(rep, first, data)
        assert r.status_code == 507, r.json
        filler.unlink()
        assert put(rep, first, data).status_code == 201  # no worker yet: its job is queued

        fill()  # the disk fills before the worker gets to it
        worker = chaos.worker(PHOTO_DIR=str(volume))
        wait_for(lambda: outbox_rows()[0][2] == 1 and outbox_rows()[0][1] == "pending", 30, "no attempt", chaos.log)
        photo = db.session.get(Photo, uuid.UUID(first))
        assert photo.status == "received" and photo.error.startswith("waiting for disk space"), photo.error

        filler.unlink()  # space is freed
        time.sleep(1.1)  # the retry's delay (JOB_RETRY_SECONDS)
        sweep()
        assert wait_processed(rep, first, timeout=30)["status"] == "ready"
        assert outbox_rows() == [("process_photo", "done", 2)]
        assert put(rep, second, noisy_jpeg((200, 200))).status_code == 201
        assert wait_processed(rep, second, timeout=30)["status"] == "ready"
        worker.stop()
    finally:
        subprocess.run(["umount", "-l", str(volume)], check=False)


def _push_prices(device, world, *prices) -> None:
    batch = [
        device.mutation("price.observe", price_args(world.store_a1, world.competitor_model.id, price=p)) for p in prices
    ]
    r = device.push(batch)
    assert r.status_code == 200 and [m["status"] for m in r.json["results"]] == ["applied"] * len(prices), r.data[:300]


def test_a_delayed_rollup_waits_out_a_redis_outage_and_runs_once(api, world, app, chaos, monkeypatch):
    monkeypatch.setitem(app.config, "PRICE_ROLLUP_DELAY_SECONDS", 2)
    chaos.worker()
    device = Device(api(world.rep_a1))
    chaos.redis.stop()
    for price in ("2399.00", "2299.00", "2199.00"):  # three pushes in the window, Redis down
        _push_prices(device, world, price)
    assert outbox_rows() == [("refresh_price_cells", "pending", 0)]
    chaos.redis.start()  # empty; the worker's periodic sweep hands the job over once it is due
    wait_for(lambda: db.session.query(PriceCellDirty).count() == 0, 30, "the price rollup did not run", chaos.log)
    wait_for(lambda: outbox_rows() == [("refresh_price_cells", "done", 1)], 10, "the rollup not done once", chaos.log)


def test_a_delayed_rollup_whose_worker_and_scheduler_died_is_queued_by_the_sweeper(api, world, app, chaos, monkeypatch):
    monkeypatch.setitem(app.config, "PRICE_ROLLUP_DELAY_SECONDS", 8)  # the kill must come before it is due
    monkeypatch.setitem(app.config, "JOB_QUEUED_CHECK_SECONDS", 1)
    worker = chaos.worker(JOB_QUEUED_CHECK_SECONDS="1")
    device = Device(api(world.rep_a1))
    _push_prices(device, world, "2399.00")
    _push_prices(device, world, "2299.00")
    assert outbox_rows() == [("refresh_price_cells", "queued", 0)]  # in RQ's scheduled registry
    wait_for(lambda: worker.horses(), 10, "the worker's scheduler did not start", chaos.log)
    (job,) = _jobs()
    assert utcnow() < job.next_attempt_at - timedelta(seconds=1), "too slow a machine: the job fell due"
    worker.kill()  # the worker and its scheduler (which holds the queue's scheduler lock for 61 s)
    # A new worker cannot take the scheduler lock over yet (61 s): a sweep (JOB_QUEUED_CHECK_SECONDS=1)
    # queues the job RQ's scheduler left scheduled after it fell due. The test sweeps itself, as in
    # the import test above: the dead worker's queued sweep holds off the workers' own for a while.
    chaos.worker(JOB_QUEUED_CHECK_SECONDS="1")
    time.sleep(max(0.0, (job.next_attempt_at - utcnow()).total_seconds()) + 1.2)
    sweep()
    wait_for(lambda: db.session.query(PriceCellDirty).count() == 0, 30, "the price rollup did not run", chaos.log)
    # Done once, by either path: the sweep re-queues it as an abandoned attempt (attempts 2), or,
    # when the dead worker's scheduler had not taken the queue's lock yet, the new worker's
    # scheduler queues it when due (attempts 1; seen in CI).
    wait_for(
        lambda: outbox_rows() in ([("refresh_price_cells", "done", 2)], [("refresh_price_cells", "done", 1)]),
        10,
        "the rollup not done once",
        chaos.log,
    )


def test_a_worker_killed_inside_a_light_rollup_leaves_its_cells_dirty_for_the_next_attempt(
    api, world, app, chaos, monkeypatch
):
    """The price rollup is light: the worker runs it in its own process, no work horse. Killed
    between taking the dirty cells and committing them (held here by a lock on the cells table),
    it commits nothing: the cells stay dirty, the sweeper re-queues the attempt (no heartbeat),
    and a new worker computes them, every observation once (the cells of a rebuild)."""
    from sqlalchemy import text

    from backend.market.models import PriceCell
    from backend.market.rollup import rebuild_cells

    monkeypatch.setitem(app.config, "PRICE_ROLLUP_DELAY_SECONDS", 0)
    holder = db.engine.connect()
    try:
        holder.execute(text("LOCK TABLE price_cells IN EXCLUSIVE MODE"))  # reads pass, writes wait
        worker = chaos.worker()
        _push_prices(Device(api(world.rep_a1)), world, "2399.00", "2299.00")
        waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'price_cells'::regclass")
        wait_for(lambda: db.session.scalar(waiting), 30, "the rollup did not reach the cells", chaos.log)
        assert outbox_rows() == [("refresh_price_cells", "running", 1)]
        worker.kill()
    finally:
        holder.rollback()
        holder.close()
    wait_for(lambda: db.session.query(PriceCellDirty).count() > 0, 10, "the killed run's cells are not dirty again")
    assert db.session.query(PriceCell).count() == 0

    chaos.worker()
    time.sleep(3.2)  # JOB_STALE_SECONDS without a heartbeat
    sweep()
    wait_for(lambda: db.session.query(PriceCellDirty).count() == 0, 30, "the price rollup did not run", chaos.log)
    wait_for(lambda: outbox_rows() == [("refresh_price_cells", "done", 2)], 10, "the rollup not done", chaos.log)

    def made():
        rows = db.session.query(PriceCell)
        return sorted((c.period, c.model_key, c.region_id, c.period_start, c.n, c.median) for c in rows)

    rolled_up = made()
    assert rolled_up and {n for *_, n, _ in rolled_up} == {2}  # both prices, once each
    rebuild_cells()
    assert made() == rolled_up
