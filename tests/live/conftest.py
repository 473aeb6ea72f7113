"""A real multi-process server for HTTP-level tests: gunicorn with three worker processes on a
free loopback port, on the test session's database (and, with REDIS_URL, its queue and rq
worker), as the README's production recipe runs it. Each request may land on any process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.factories import token_for

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app, rq_worker, tmp_path_factory):
    """The base URL of gunicorn (WORKERS processes) serving this test session's database."""
    yield from _gunicorn(tmp_path_factory)


@pytest.fixture(scope="session")
def fresh_process_server(app, rq_worker, tmp_path_factory):
    """gunicorn whose every request is served by a process that never served another: the app
    is loaded once and forked (`--preload`), and a worker exits after one request. Whatever a
    process keeps in memory (a clock, a cache) is then never what the previous request left."""
    yield from _gunicorn(tmp_path_factory, "--preload", "--max-requests", "1")


def _gunicorn(tmp_path_factory, *extra: str):
    port = _free_port()
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            *extra,
            "wsgi:app",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # A loaded machine boots the workers slowly: a read timeout is "not yet", like a refusal.
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base}/api/v1/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Http:
    """One user's HTTP client against the live server (a new connection per request, so
    successive requests are spread over the worker processes)."""

    def __init__(self, base: str, user):
        self.base = base
        self.user = user
        self.headers = {"Authorization": f"Bearer {token_for(user)}", "Connection": "close"}

    def request(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, f"{self.base}{path}", headers=self.headers, timeout=60, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw) -> requests.Response:
        return self.request("PATCH", path, **kw)


@pytest.fixture
def http(live_server, world):
    """`http(user)` → an HTTP client of the live server sending that user's token."""

    def make(user) -> Http:
        return Http(live_server, user)

    return make


@pytest.fixture
def http_fresh(fresh_process_server, world):
    """`http_fresh(user)` → the same, against `fresh_process_server`."""

    def make(user) -> Http:
        return Http(fresh_process_server, user)

    return make


NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")


@pytest.fixture(scope="session")
def nginx_server(live_server, tmp_path_factory):
    """The base URL of nginx configured by docs/nginx.conf (the production recipe, run as is but
    for its LISTEN and UPSTREAM lines) in front of `live_server`: its own foreground process on a
    free loopback port, with its temporary files in a temporary directory. `make test` installs
    Debian's nginx when it is missing; the package's system service is not used."""
    if not os.access(NGINX, os.X_OK):
        pytest.skip(f"no nginx at {NGINX} (`make test` installs Debian's nginx)")
    tmp = tmp_path_factory.mktemp("nginx")
    port = _free_port()
    recipe = (ROOT / "docs" / "nginx.conf").read_text()
    upstream = live_server.removeprefix("http://")
    for marked, replacement in (
        ("listen 80;  # LISTEN", f"listen 127.0.0.1:{port};  # LISTEN"),
        ("server 127.0.0.1:8000;  # UPSTREAM", f"server {upstream};  # UPSTREAM"),
    ):
        assert recipe.count(marked) == 1, f"docs/nginx.conf must have exactly one line `{marked}`"
        recipe = recipe.replace(marked, replacement)
    (tmp / "fieldsales.conf").write_text(recipe)
    # What a distribution's nginx.conf gives the recipe (it is a file of the http context), with
    # every path in `tmp`. As root the workers would switch to `nobody`, who cannot enter `tmp`.
    (tmp / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"""worker_processes 1;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/fieldsales.conf;
}}
"""
    )
    log = open(tmp / "stderr.log", "w")
    proc = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf")]
        + ["-g", f"daemon off; pid {tmp}/nginx.pid;"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/api/v1/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or gunicorn slow under load
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                output = "".join(f.read_text() for f in (tmp / "stderr.log", tmp / "error.log") if f.exists())
                raise RuntimeError(f"nginx did not start:\n{output[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
