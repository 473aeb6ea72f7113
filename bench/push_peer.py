"""Sync push side by side with a peer: the project (gunicorn + rq worker, as in production) and
pouchdb-server 4.2 fed by PouchDB 9's `replicate.to`, same documents, interleaved rounds.

    .venv/bin/python -m bench.push_peer [--rounds 3] [--only sqlite,pg,concurrent]
                                        [--mutations 1000] [--devices 20] [--device-mutations 500] [--floor]

Scenarios (issue 13):

* `sqlite`: one device pushes `--mutations` mixed mutations to the project on a fresh SQLite
  file; the peer replicates the same number of documents from one local PouchDB.
* `pg`: the same with the project on a fresh PostgreSQL database.
* `concurrent`: `--devices` devices × `--device-mutations` mutations at once, the project on
  PostgreSQL; the peer runs as many local PouchDBs replicating at once to one remote database
  (as the project's devices all push into one database).

The project is run as README's production recipe runs it (`make serve`): `gunicorn -c
backend/gunicorn_conf.py` with WEB_CONCURRENCY=4 sync workers, and one `rq worker -w
backend.jobs.worker.AppWorker` on the machine's Redis (a queue of this run's own, deleted after),
on a fresh migrated database (SQLite in bench/out/, or `fieldsales_bench_push_<pid>` on the
PostgreSQL at BENCH_PG, default postgresql+psycopg://postgres@127.0.0.1:5432, dropped after)
with a small organisation (bench/data.py: 3,000 stores; a rep per territory with a real
password). Each device logs in over HTTP (not timed), then POSTs /api/v1/sync/push in batches of
200 (the PWA's BATCH_SIZE) with increasing mutation ids, one batch after the other, as the PWA
does; every result must be `applied` (the run stops otherwise). The mutations are bench/sync.py's
visits: check-in, display check, prices, stock movements, check-out, sometimes an intel report, a
store correction or a contact. The rate is mutations over the wall time of the pushes; after the
pushes the run waits until the rq queue is empty and nothing is scheduled (the jobs the pushes
queued, the price rollup a few seconds later: "drain"), so their CPU counts.

The peer (bench/pouchdb/: package.json and package-lock.json pin pouchdb-server 4.2.0 with its
default LevelDB backend, pouchdb 9.0.0 and pouchdb-adapter-memory 9.0.0) is installed with `npm
ci` into bench/out/push_peer/peer/ (reinstalled when the lock changes) and started on a loopback
port with its data in that folder. bench/pouchdb/feed.mjs puts each device's documents into a
local in-memory PouchDB (not timed), then times `db.replicate.to(remote, {batch_size: 200})`.
The documents are the very mutation bodies the project receives (`{"id", "name", "args",
"hlc"}`), each with `_id` = "<client id>:<mutation id>": same count, same JSON.

Latency of one batch of 200: the project's is one POST's round trip; the peer's is the time
between two of the replication's `change` events (a batch's revs_diff, _bulk_docs and checkpoint
requests; the first includes the replication's set-up). p95 by nearest rank over all batches.

Server CPU per 1,000 mutations, from /proc/<pid>/stat (utime + stime + cutime + cstime, so
children that exited count too), before and after each run including the drain: the project's
gunicorn master and its workers, the rq worker and the work horses it forks, and — on PostgreSQL
— the backends of the benchmark's database (pg_stat_activity's pids of that database, read before
and after) plus PostgreSQL's shared walwriter, checkpointer and background writer, plus the
postmaster's own CPU and that of the backends that exited meanwhile (the postmaster reaps them:
their CPU lands in its cutime/cstime; a connection that lives for one job or one request is only
seen there). Other databases' work on the same server, such as tests run meanwhile, shows there too. SQLite runs inside
the gunicorn workers. The peer's is the pouchdb-server process tree (LevelDB runs in its
threads). The clients' CPU (this process's threads; the Node feeder) is printed apart.

`--floor` adds a third contender to every round: bench/push_floor.py, a server of a few dozen
lines under the same gunicorn settings, on a database of its own, that checks the token, parses
the body and stores each mutation once (idempotency key, change-log row) and nothing else. The
project does strictly more per mutation, so the floor's rate bounds what any implementation of
the project could reach in this stack on this machine.

Rounds interleave per scenario: each contender goes first in turn (project, peer, floor). Each
round prints both rates and the ratio (project / peer); the end prints the medians as a Markdown
table. Statements per mutation are not counted here.

Needs: node and npm (the npm registry, for the first `npm ci`), Redis at BENCH_REDIS_URL (default
redis://127.0.0.1:6379/0), and for `pg` and `concurrent` a PostgreSQL where BENCH_PG's user may
create databases. Linux only (/proc). Because it needs these services, bench/run.py does not run
it. Scratch files go to bench/out/push_peer/ (gitignored); every process started is stopped at the
end, on failure too.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "push_peer"
PEER_SRC = ROOT / "bench" / "pouchdb"
PEER_DIR = OUT / "peer"
VENV_BIN = Path(sys.executable).parent
BATCH = 200  # pwa/src/sync/engine.js BATCH_SIZE
N_STORES = 3_000
PASSWORD = "bench-push-peer-password"
SCENARIOS = ("sqlite", "pg", "concurrent")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PG_BASE = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def p95(samples: list[float]) -> float:
    from .common import p95 as nearest_rank

    return nearest_rank(samples) if samples else float("nan")


# --- CPU from /proc ----------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, utime + stime + cutime + cstime in seconds) of a process, or None if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15), 0-based here.
    return int(fields[1]), sum(int(x) for x in fields[11:15]) / CLK_TCK


def tree_cpu(root: int) -> float:
    """CPU seconds of a process and all its live descendants (those that exited and were waited
    for are in their parent's cutime/cstime)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None:
                stats[int(entry.name)] = st
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo.extend(children.get(pid, []))
    return total


# --- processes -----------------------------------------------------------------------------------


class Proc:
    """A process of ours with its output in a log file; stop() always ends it."""

    def __init__(self, name: str, argv: list[str], env: dict, cwd: Path, log_path: Path):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def wait_http(self, url: str, seconds: float = 120) -> None:
        import requests

        deadline = time.monotonic() + seconds
        while True:
            try:
                if requests.get(url, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- the peer ------------------------------------------------------------------------------------


def install_peer() -> dict[str, str]:
    """npm ci of bench/pouchdb/ into PEER_DIR (again when the lock changed); returns versions."""
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "feed.mjs"):
        shutil.copyfile(PEER_SRC / name, PEER_DIR / name)
    lock_hash = hashlib.sha256((PEER_SRC / "package-lock.json").read_bytes()).hexdigest()
    stamp = PEER_DIR / "node_modules" / ".bench-lock-sha256"
    if not stamp.exists() or stamp.read_text() != lock_hash:
        log("peer: npm ci (pouchdb-server, pouchdb) …")
        # No install scripts: leveldown loads the prebuilt binary its package ships; the optional
        # sqlite3 (pouchdb-server --sqlite, unused) would try to download or compile one.
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEER_DIR, check=True
        )
        stamp.write_text(lock_hash)

    def version(package: str) -> str:
        return json.loads((PEER_DIR / "node_modules" / package / "package.json").read_text())["version"]

    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    return {
        "pouchdb-server": version("pouchdb-server"),
        "pouchdb": version("pouchdb"),
        "pouchdb-adapter-memory": version("pouchdb-adapter-memory"),
        "leveldown": version("leveldown"),
        "node": node,
    }


@contextlib.contextmanager
def peer_server() -> Iterator[tuple[str, Proc]]:
    data = PEER_DIR / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    port = free_port()
    proc = Proc(
        "pouchdb-server",
        [
            "node",
            str(PEER_DIR / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data),
            "--config",
            str(data / "config.json"),
            "--no-stdout-logs",
            "--no-color",
        ],
        env=os.environ.copy(),
        cwd=data,
        log_path=OUT / "pouchdb-server.log",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        proc.wait_http(base + "/", 60)
        yield base, proc
    finally:
        proc.stop()


# --- the project ---------------------------------------------------------------------------------


@dataclass
class Rep:
    username: str
    stores: list
    seen: dict = field(default_factory=dict)


@dataclass
class Deployment:
    kind: str  # sqlite | pg
    base: str
    web: Proc
    worker: Proc | None  # None: the floor (bench/push_floor.py), which queues no job
    queue: str | None
    pg_admin: object | None  # psycopg connection to the server's postgres database
    pg_name: str | None
    reps: list[Rep]
    cat: object
    contacts: dict

    def db_pids(self) -> list[int]:
        if self.pg_admin is None:
            return []
        rows = self.pg_admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s "
            "OR backend_type IN ('walwriter', 'checkpointer', 'background writer')",
            (self.pg_name,),
        ).fetchall()
        return [r[0] for r in rows]

    def postmaster_pid(self) -> int | None:
        if self.pg_admin is None:
            return None
        st = _stat(self.pg_admin.execute("SELECT pg_backend_pid()").fetchone()[0])
        return st[0] if st is not None else None  # a backend's parent is the postmaster

    def cpu(self) -> dict[str, float | dict[int, float]]:
        db = {}
        for pid in self.db_pids():
            st = _stat(pid)
            if st is not None:
                db[pid] = st[1]
        postmaster = self.postmaster_pid()
        st = _stat(postmaster) if postmaster is not None else None
        return {
            "web": tree_cpu(self.web.pid),
            "worker": tree_cpu(self.worker.pid) if self.worker is not None else 0.0,
            "db": db,
            "postmaster": st[1] if st is not None else 0.0,
        }

    def wait_drained(self, seconds: float = 300) -> float:
        """Until the rq queue is empty, no job runs and none is scheduled (the price rollup waits
        PRICE_ROLLUP_DELAY_SECONDS in RQ's scheduler); returns the seconds waited."""
        if self.queue is None:
            return 0.0
        from redis import Redis
        from rq import Queue
        from rq.registry import ScheduledJobRegistry, StartedJobRegistry

        conn = Redis.from_url(REDIS_URL)
        queue = Queue(self.queue, connection=conn)
        started = StartedJobRegistry(self.queue, connection=conn)
        scheduled = ScheduledJobRegistry(self.queue, connection=conn)
        start = time.perf_counter()
        quiet = 0
        while time.perf_counter() - start < seconds:
            if queue.count == 0 and started.count == 0 and scheduled.count == 0:
                quiet += 1
                if quiet >= 2:
                    break
            else:
                quiet = 0
            time.sleep(0.1)
        return time.perf_counter() - start


def cpu_delta(before: dict, after: dict) -> dict[str, float]:
    """Server CPU of a run. The database's: its live backends' growth, plus what the postmaster
    gained (its own work and the whole CPU of each backend that exited: for one alive at the
    start, less what was already counted of it then)."""
    db = sum(v - before["db"].get(pid, 0.0) for pid, v in after["db"].items())
    db += after["postmaster"] - before["postmaster"]
    db -= sum(v for pid, v in before["db"].items() if pid not in after["db"])
    return {"web": after["web"] - before["web"], "worker": after["worker"] - before["worker"], "db": db}


def _build(app, n_reps: int) -> tuple[list[Rep], object, dict]:
    """The organisation, catalogue, contacts and `n_reps` reps (one per territory, real passwords)."""
    from sqlalchemy import select

    from backend.auth.service import hash_password
    from backend.core.timeutil import utcnow
    from backend.extensions import db
    from backend.org.models import Territory

    from .data import build_org, make_user
    from .sync import Catalogue, _contacts

    rng = random.Random(13)
    with app.app_context():
        org = build_org(N_STORES)
        for stores in org.stores_by_territory.values():
            stores.sort()
        cat = Catalogue()
        contacts = _contacts(org, rng, utcnow().replace(microsecond=0))
        code_of = {t.id: t.code for t in db.session.scalars(select(Territory))}
        # The busiest territories first: each rep works a territory of their own.
        tids = sorted(org.stores_by_territory, key=lambda t: (-len(org.stores_by_territory[t]), t))
        if n_reps > len(tids):
            raise SystemExit(f"at most {len(tids)} devices (one rep per territory)")
        password_hash = hash_password(PASSWORD)
        reps = []
        for tid in tids[:n_reps]:
            user = make_user(f"rep_{code_of[tid]}", "rep", territory_id=tid)
            user.password_hash = password_hash
            reps.append(Rep(user.username, org.stores_by_territory[tid]))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return reps, cat, contacts


def _pg_admin():
    """An autocommit connection to BENCH_PG's server (its postgres database)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_BASE + "/postgres")
    return psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        dbname="postgres", autocommit=True,
    )  # fmt: skip


@contextlib.contextmanager
def floor_deployment(kind: str) -> Iterator[Deployment]:
    """The floor (bench/push_floor.py) on a fresh database of its own, under gunicorn with the
    project's settings and worker count; no rq worker (it queues nothing)."""
    from .push_floor import floor_database, new_token

    with floor_database(kind, PG_BASE, OUT) as url:
        env = os.environ.copy()
        env.update({"FLOOR_DATABASE_URL": url, "FLOOR_TOKEN": new_token(), "WEB_CONCURRENCY": "4"})
        port = free_port()
        web = Proc(
            "gunicorn (floor)",
            [str(VENV_BIN / "gunicorn"), "-c", "backend/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}",
             "bench.push_floor:application"],
            env,
            ROOT,
            OUT / f"gunicorn-floor-{kind}.log",
        )  # fmt: skip
        pg_admin = None
        try:
            base = f"http://127.0.0.1:{port}"
            web.wait_http(base + "/api/v1/health")
            pg_admin = _pg_admin() if kind == "pg" else None
            name = url.rsplit("/", 1)[1] if kind == "pg" else None
            yield Deployment(kind, base, web, None, None, pg_admin, name, [], None, {})
        finally:
            web.stop()
            if pg_admin is not None:
                pg_admin.close()


@contextlib.contextmanager
def deployment(kind: str, n_reps: int) -> Iterator[Deployment]:
    """A fresh migrated database with the organisation, gunicorn and an rq worker serving it."""
    from redis import Redis
    from rq import Queue

    from .common import scratch_app

    pg_name = f"fieldsales_bench_push_{os.getpid()}" if kind == "pg" else None
    saved = os.environ.get("BENCH_DATABASE_URL")
    if kind == "pg":
        os.environ["BENCH_DATABASE_URL"] = f"{PG_BASE}/{pg_name}"
    else:
        os.environ.pop("BENCH_DATABASE_URL", None)
    procs: list[Proc] = []
    pg_admin = None
    queue = f"fieldsales-bench-push-{uuid.uuid4().hex[:8]}"
    try:
        with scratch_app(f"push-{kind}") as app:
            t = time.perf_counter()
            reps, cat, contacts = _build(app, n_reps)
            log(
                f"{kind}: database migrated and filled ({N_STORES:,} stores, {n_reps} reps) "
                f"in {time.perf_counter() - t:.1f} s"
            )
            env = os.environ.copy()  # DATABASE_URL, PHOTO_DIR (scratch_app), INSTANCE_DIR (bench.common)
            env.update({"REDIS_URL": REDIS_URL, "RQ_QUEUE": queue, "WEB_CONCURRENCY": "4"})
            env.pop("BENCH_DATABASE_URL", None)
            worker = Proc(
                "rq worker",
                [str(VENV_BIN / "rq"), "worker", "-w", "backend.jobs.worker.AppWorker", "--url", REDIS_URL, queue],
                env,
                ROOT,
                OUT / f"rq-{kind}.log",
            )
            procs.append(worker)
            port = free_port()
            web = Proc(
                "gunicorn",
                [
                    str(VENV_BIN / "gunicorn"),
                    "-c",
                    "backend/gunicorn_conf.py",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "wsgi:app",
                ],
                env,
                ROOT,
                OUT / f"gunicorn-{kind}.log",
            )
            procs.append(web)
            base = f"http://127.0.0.1:{port}"
            web.wait_http(base + "/api/v1/health")
            if kind == "pg":
                pg_admin = _pg_admin()
            yield Deployment(kind, base, web, worker, queue, pg_admin, pg_name, reps, cat, contacts)
    finally:
        for proc in reversed(procs):
            proc.stop()
        if pg_admin is not None:
            pg_admin.close()
        with contextlib.suppress(Exception):
            Queue(queue, connection=Redis.from_url(REDIS_URL)).delete(delete_jobs=True)
        if saved is None:
            os.environ.pop("BENCH_DATABASE_URL", None)
        else:
            os.environ["BENCH_DATABASE_URL"] = saved


# --- one device's mutations ------------------------------------------------------------------------


@dataclass
class Device:
    rep: Rep
    phone: object
    mutations: list[dict]
    token: str = ""

    def docs(self) -> list[dict]:
        """The same mutation bodies as CouchDB documents."""
        return [{"_id": f"{self.phone.client_id}:{m['id']:08d}", **m} for m in self.mutations]


def make_devices(dep: Deployment, n_devices: int, n_mutations: int, tag: str) -> list[Device]:
    from .sync import Phone, queue

    rng = random.Random(zlib.crc32(tag.encode()))
    devices = []
    for rep in dep.reps[:n_devices]:
        phone = Phone(f"{tag}-{rep.username}", rep.seen)
        devices.append(Device(rep, phone, queue(phone, n_mutations, rep.stores, dep.contacts, dep.cat, rng)))
    return devices


# --- a timed run -----------------------------------------------------------------------------------


@dataclass
class Run:
    who: str  # project | peer
    mutations: int
    wall_s: float
    batch_ms: list[float]
    cpu: dict[str, float]  # server CPU seconds by part
    client_cpu_s: float
    drain_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.mutations / self.wall_s

    @property
    def cpu_per_1000(self) -> float:
        return sum(self.cpu.values()) * 1000 / self.mutations

    def describe(self) -> str:
        parts = " + ".join(f"{k} {v * 1000 / self.mutations:.2f}" for k, v in self.cpu.items())
        drain = f", queue drained {self.drain_s:.1f} s after" if self.who == "project" else ""
        return (
            f"{self.rate:8,.0f} /s ({self.mutations:,} in {self.wall_s:.2f} s{drain}); batch median "
            f"{statistics.median(self.batch_ms):.0f} ms, p95 {p95(self.batch_ms):.0f} ms (n={len(self.batch_ms)}); "
            f"server CPU {self.cpu_per_1000:.2f} s/1000 ({parts}); client CPU {self.client_cpu_s:.2f} s"
        )


def login(base: str, username: str) -> str:
    import requests

    r = requests.post(f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=60)
    if r.status_code != 200:
        raise RuntimeError(f"login {username} -> {r.status_code}: {r.text[:300]}")
    return r.json()["token"]


def push_device(base: str, device: Device, barrier: threading.Barrier, batch_ms: list[float]) -> None:
    import requests

    with requests.Session() as session:
        session.headers.update({"Authorization": f"Bearer {device.token}", "Content-Type": "application/json"})
        barrier.wait()
        for i in range(0, len(device.mutations), BATCH):
            batch = device.mutations[i : i + BATCH]
            body = device.phone.body(batch)
            t = time.perf_counter()
            r = session.post(f"{base}/api/v1/sync/push", data=body, timeout=300)
            batch_ms.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"push -> {r.status_code}: {r.text[:300]}")
            results = r.json()["results"]
            bad = [x for x in results if x["status"] != "applied"]
            if bad or len(results) != len(batch):
                raise RuntimeError(f"push: {len(bad)} of {len(batch)} not applied; first: {bad[:1] or results[-1:]}")


def run_project(dep: Deployment, devices: list[Device], who: str = "project") -> Run:
    for d in devices:
        d.token = login(dep.base, d.rep.username)
    dep.wait_drained()
    batch_ms: list[float] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(devices) + 1)

    def one(device: Device) -> None:
        try:
            push_device(dep.base, device, barrier, batch_ms)
        except BaseException as exc:  # reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=one, args=(d,)) for d in devices]
    for th in threads:
        th.start()
    cpu0, client0 = dep.cpu(), time.process_time()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    start = time.perf_counter()
    for th in threads:
        th.join()
    wall = time.perf_counter() - start
    client = time.process_time() - client0
    if errors:
        raise RuntimeError(f"project push failed: {errors[0]}") from errors[0]
    drain = dep.wait_drained()
    cpu = cpu_delta(cpu0, dep.cpu())
    if dep.kind == "sqlite":
        cpu.pop("db")
    if dep.worker is None:
        cpu.pop("worker")
    return Run(who, sum(len(d.mutations) for d in devices), wall, batch_ms, cpu, client, drain)


def run_peer(base: str, server: Proc, dbname: str, devices: list[Device]) -> Run:
    spec_path = OUT / f"feed-{dbname}.json"
    spec = {
        "remote": f"{base}/{dbname}",
        "batch_size": BATCH,
        "devices": [{"name": f"{i}-{d.phone.client_id}", "docs": d.docs()} for i, d in enumerate(devices)],
    }
    spec_path.write_text(json.dumps(spec, ensure_ascii=False))
    cpu0 = tree_cpu(server.pid)
    done = subprocess.run(
        ["node", str(PEER_DIR / "feed.mjs"), str(spec_path)], cwd=PEER_DIR, capture_output=True, text=True
    )
    cpu1 = tree_cpu(server.pid)
    spec_path.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"feed.mjs failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    expected = [len(d.mutations) for d in devices]
    written = [dev["docs_written"] for dev in out["devices"]]
    failures = sum(dev.get("doc_write_failures", 0) for dev in out["devices"])
    if written != expected or failures or not all(dev["ok"] for dev in out["devices"]):
        raise RuntimeError(f"peer replication incomplete: written {written} of {expected}; {out['devices'][0]}")
    batch_ms = [ms for dev in out["devices"] for ms in dev["batch_ms"]]
    return Run("peer", sum(expected), out["wall_s"], batch_ms, {"pouchdb-server": cpu1 - cpu0}, out["client_cpu_s"])


# --- rounds ----------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    kind: str  # the project's database
    devices: int
    mutations: int  # per device
    rounds: list[tuple[Run, Run]] = field(default_factory=list)  # (project, peer)
    floors: list[Run] = field(default_factory=list)  # with --floor: the floor's run of each round

    @property
    def label(self) -> str:
        if self.devices == 1:
            return f"{self.name}: 1 device × {self.mutations:,} ({'SQLite' if self.kind == 'sqlite' else 'PostgreSQL'})"
        return f"{self.name}: {self.devices} devices × {self.mutations:,} at once (PostgreSQL)"


def warm_up(dep: Deployment, peer_base: str, peer: Proc, floor: Deployment | None = None) -> None:
    """A few small pushes on each side first (gunicorn workers' first requests, PouchDB's JIT)."""
    n = min(4, len(dep.reps))
    run_project(dep, make_devices(dep, n, 40, f"warm-{dep.kind}"))
    if floor is not None:
        run_project(floor, make_devices(dep, n, 40, f"warm-floor-{dep.kind}"), "floor")
    import requests

    requests.put(f"{peer_base}/warmup-{dep.kind}", timeout=60)
    run_peer(peer_base, peer, f"warmup-{dep.kind}", make_devices(dep, n, 40, f"warm-peer-{dep.kind}"))


def run_scenario(
    sc: Scenario, dep: Deployment, peer_base: str, peer: Proc, n_rounds: int, floor: Deployment | None = None
) -> None:
    import requests

    dbname = f"push-{sc.name}"
    r = requests.put(f"{peer_base}/{dbname}", timeout=60)
    if r.status_code != 201:
        raise RuntimeError(f"PUT {dbname} -> {r.status_code}: {r.text[:200]}")
    log(f"\n## {sc.label}")
    for i in range(1, n_rounds + 1):
        devices = make_devices(dep, sc.devices, sc.mutations, f"{sc.name}-r{i}")
        if i == 1:
            from .sync import _mix

            mutations = [m for d in devices for m in d.mutations]
            body = sum(len(d.phone.body(d.mutations)) for d in devices)
            docs = sum(len(json.dumps(d.docs(), ensure_ascii=False).encode()) for d in devices)
            log(
                f"mix: {_mix(mutations)}; JSON {body / len(mutations):.0f} bytes a mutation in the push bodies, "
                f"{docs / len(mutations):.0f} bytes a document for PouchDB"
            )
        runs: dict[str, Run] = {}
        order = ["project", "peer"] + (["floor"] if floor is not None else [])
        order = order[(i - 1) % len(order) :] + order[: (i - 1) % len(order)]  # each goes first in turn
        for who in order:
            if who == "project":
                runs[who] = run_project(dep, devices)
            elif who == "floor":
                runs[who] = run_project(floor, devices, "floor")
            else:
                runs[who] = run_peer(peer_base, peer, dbname, devices)
        project, peer_run = runs["project"], runs["peer"]
        sc.rounds.append((project, peer_run))
        floor_note = ""
        if floor is not None:
            sc.floors.append(runs["floor"])
            floor_note = f"; the floor's {runs['floor'].rate / peer_run.rate:.2f}"
        log(f"round {i} ({' → '.join(order)}): ratio {project.rate / peer_run.rate:.2f}{floor_note}")
        log(f"  project  {project.describe()}")
        log(f"  PouchDB  {peer_run.describe()}")
        if floor is not None:
            log(f"  floor    {runs['floor'].describe()}")


def summary(scenarios: list[Scenario]) -> None:
    log("\nMedians over the rounds (rate = mutations or documents per second of wall time; CPU = server")
    log("CPU seconds per 1,000: project web + worker + database, PouchDB pouchdb-server):\n")
    log(
        "| scenario | project /s | PouchDB /s | ratio (per round) | batch p95 project | batch p95 PouchDB "
        "| CPU s/1000 project (web + worker + db) | CPU s/1000 PouchDB |"
    )
    log("|---|---:|---:|---|---:|---:|---|---:|")
    for sc in scenarios:
        if not sc.rounds:
            continue
        proj = [p for p, _ in sc.rounds]
        peer = [q for _, q in sc.rounds]
        ratios = [p.rate / q.rate for p, q in sc.rounds]
        parts = {k: statistics.median(r.cpu[k] * 1000 / r.mutations for r in proj) for k in proj[0].cpu}
        log(
            f"| {sc.label} | {statistics.median(r.rate for r in proj):,.0f} "
            f"| {statistics.median(r.rate for r in peer):,.0f} "
            f"| {statistics.median(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)}) "
            f"| {statistics.median(p95(r.batch_ms) for r in proj):,.0f} ms "
            f"| {statistics.median(p95(r.batch_ms) for r in peer):,.0f} ms "
            f"| {statistics.median(r.cpu_per_1000 for r in proj):.2f} "
            f"({' + '.join(f'{v:.2f}' for v in parts.values())}) "
            f"| {statistics.median(r.cpu_per_1000 for r in peer):.2f} |"
        )
    floored = [sc for sc in scenarios if sc.floors]
    if floored:
        log("\nThe floor (bench/push_floor.py: an exactly-once push's least work, this stack) in the same rounds:\n")
        log("| scenario | floor /s | PouchDB /s | floor ÷ PouchDB (per round) | batch p95 floor | CPU s/1000 floor |")
        log("|---|---:|---:|---|---:|---|")
        for sc in floored:
            peer = [q for _, q in sc.rounds]
            ratios = [f.rate / q.rate for f, q in zip(sc.floors, peer, strict=True)]
            parts = {k: statistics.median(r.cpu[k] * 1000 / r.mutations for r in sc.floors) for k in sc.floors[0].cpu}
            log(
                f"| {sc.label} | {statistics.median(r.rate for r in sc.floors):,.0f} "
                f"| {statistics.median(r.rate for r in peer):,.0f} "
                f"| {statistics.median(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)}) "
                f"| {statistics.median(p95(r.batch_ms) for r in sc.floors):,.0f} ms "
                f"| {statistics.median(r.cpu_per_1000 for r in sc.floors):.2f} "
                f"({' + '.join(f'{v:.2f}' for v in parts.values())}) |"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.push_peer", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per scenario (default 3)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated: " + ",".join(SCENARIOS))
    parser.add_argument("--mutations", type=int, default=1000, help="one device's mutations (default 1000)")
    parser.add_argument("--devices", type=int, default=20, help="devices at once in `concurrent` (default 20)")
    parser.add_argument("--device-mutations", type=int, default=500, help="each one's mutations (default 500)")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run the floor (bench/push_floor.py) on the same bodies in each round: the least work of an "
        "exactly-once push in this stack, without the project's code",
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    if set(chosen) - set(SCENARIOS):
        parser.error(f"unknown scenario; choose from {', '.join(SCENARIOS)}")
    scenarios = [
        Scenario(
            name,
            "sqlite" if name == "sqlite" else "pg",
            *((args.devices, args.device_mutations) if name == "concurrent" else (1, args.mutations)),
        )
        for name in SCENARIOS
        if name in chosen
    ]
    import platform

    import requests  # noqa: F401 - fail early when missing
    from redis import Redis

    Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    OUT.mkdir(parents=True, exist_ok=True)
    versions = install_peer()
    log(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; peer: " + ", ".join(f"{k} {v}" for k, v in versions.items())
    )
    tree = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    log(
        f"project: {ROOT} ({tree.stdout.strip() or 'not a git checkout'}): gunicorn -c backend/gunicorn_conf.py "
        f"(WEB_CONCURRENCY=4) + rq worker; batches of {BATCH}"
    )
    start = time.perf_counter()
    with peer_server() as (peer_base, peer):
        for kind in ("sqlite", "pg"):
            mine = [sc for sc in scenarios if sc.kind == kind]
            if not mine:
                continue
            n_reps = max(sc.devices for sc in mine + [Scenario("", kind, 4, 0)])
            with (
                deployment(kind, n_reps) as dep,
                floor_deployment(kind) if args.floor else contextlib.nullcontext() as floor,
            ):
                warm_up(dep, peer_base, peer, floor)
                for sc in mine:
                    run_scenario(sc, dep, peer_base, peer, args.rounds, floor)
    summary(scenarios)
    log(f"\nTotal run time: {time.perf_counter() - start:.0f} s; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
