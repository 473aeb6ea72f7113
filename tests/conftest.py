"""Test fixtures: one real database per test session (SQLite file by default, PostgreSQL when
TEST_DATABASE_URL says so — never the app's DATABASE_URL), built by the Alembic migrations; a
real `rq worker` when REDIS_URL is set; tables emptied after each test; API clients logged in per
role."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_TMP = Path(tempfile.mkdtemp(prefix="fieldsales-tests-"))


def database_for_tests(environ) -> str:
    """The database the tests use, which they empty and rebuild: TEST_DATABASE_URL, whose
    database name must say "test", else a fresh SQLite file. Never DATABASE_URL: a shell that
    exported it to run the app or a production command would lose that database's data."""
    url = environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{_TMP / 'test.db'}"
    from sqlalchemy.engine import make_url

    name = make_url(url).database or ""
    if "test" not in Path(name).name.lower():
        raise pytest.UsageError(
            f"TEST_DATABASE_URL names the database {name!r}: the tests drop all its tables, so its name "
            "must contain 'test' (e.g. fieldsales_test)."
        )
    return url


# Configuration goes through the environment so that the rq worker process sees the same.
os.environ["DATABASE_URL"] = database_for_tests(os.environ)
os.environ["PHOTO_DIR"] = str(_TMP / "photos")
os.environ["ARGON2_TIME_COST"] = "1"
os.environ["ARGON2_MEMORY_COST"] = "1024"
os.environ["RQ_QUEUE"] = f"fieldsales-test-{uuid.uuid4().hex[:8]}"
os.environ["INSTANCE_DIR"] = str(_TMP / "instance")
# The price rollup runs right after each commit, as the tests expect; tests/market/test_coalesced_rollup.py
# and tests/jobs/test_delayed.py set a window themselves.
os.environ["PRICE_ROLLUP_DELAY_SECONDS"] = "0"
os.environ["CHANNEL_ALERT_DELAY_SECONDS"] = "0"  # the channel alert jobs, likewise

from backend import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402

from .factories import ApiClient, World, build_world  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def app():
    app = create_app({"TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade

        if db.engine.dialect.name == "postgresql":
            _drop_everything()
        upgrade()
    return app


def _drop_everything():
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def rq_worker(app):
    """A real `rq worker` process on the test queue, when REDIS_URL is set."""
    if not os.environ.get("REDIS_URL"):
        yield None
        return
    log = open(_TMP / "rq-worker.log", "w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "rq"),
            "worker",
            "-w",
            "backend.jobs.worker.AppWorker",
            "--url",
            os.environ["REDIS_URL"],
            os.environ["RQ_QUEUE"],
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_until_registered(proc)
    yield proc
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def _wait_until_registered(proc, timeout: float = 30.0) -> None:
    """Until the worker has registered on its queue (it builds the app first, about a second)."""
    from redis import Redis
    from rq import Queue, Worker

    queue = Queue(os.environ["RQ_QUEUE"], connection=Redis.from_url(os.environ["REDIS_URL"]))
    deadline = time.monotonic() + timeout
    while not Worker.all(queue=queue):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the rq worker did not start: see {_TMP / 'rq-worker.log'}")
        time.sleep(0.1)


@pytest.fixture(autouse=True)
def _app_context(app, rq_worker):
    # With REDIS_URL every test gets the session's worker: recording a price observation queues
    # the price-rollup job, so any test may queue one (without a worker, _wait_for_jobs would
    # wait out its timeout and the job would run later, on another test's data).
    with app.app_context():
        yield
        db.session.rollback()
        _wait_for_jobs()
        empty_tables()
        db.session.remove()


def _wait_for_jobs(timeout: float = 30.0) -> None:
    """With a real worker, let the test's jobs finish before the next test starts: a photo job
    running late would write files into the next test's photo directory."""
    if not os.environ.get("REDIS_URL"):
        return
    from redis import Redis
    from rq import Queue

    queue = Queue(os.environ["RQ_QUEUE"], connection=Redis.from_url(os.environ["REDIS_URL"]))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if queue.count == 0 and queue.started_job_registry.count == 0:
            return
        time.sleep(0.05)


def empty_tables(attempts: int = 5):
    """Empty every table. On PostgreSQL one TRUNCATE; it takes its exclusive locks table by
    table, so a request still running in the production-shape e2e server (a page's last poll,
    reading one table and then another) can deadlock with it, and PostgreSQL may pick the
    TRUNCATE as the victim: then it is tried again once that request has ended."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    for attempt in range(attempts):
        try:
            with db.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
                else:
                    for name in tables:
                        conn.execute(text(f"DELETE FROM {name}"))
            break
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "40P01" or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    photo_dir = Path(os.environ["PHOTO_DIR"])
    shutil.rmtree(photo_dir, ignore_errors=True)
    photo_dir.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app) -> World:
    """A small organisation: two regions, three territories, stores, one user per role and more."""
    return build_world()


@pytest.fixture
def api(app, world):
    """`api(user)` → a test client that sends that user's bearer token."""

    def make(user) -> ApiClient:
        return ApiClient(app.test_client(), user)

    return make


# --- an S3-compatible server for the storage tests ---------------------------------------------

S3_BUCKET = "fieldsales-test"


def _s3_free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server on a free port, with a bucket; yields its endpoint URL."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed")
    import boto3

    port = _s3_free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"  # boto3's chain reads them (the server takes any)
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto's S3 server did not start: see {log.name}") from None
                time.sleep(0.1)
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=S3_BUCKET)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
