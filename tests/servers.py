"""Real servers for the test session, shared by tests/live and tests/e2e: gunicorn serving
`wsgi:app` and nginx configured by docs/nginx.conf (the production recipe) in front of it. Each is
its own process on a free loopback port, with the test session's environment (tests/conftest.py
puts the configuration there: database, photo directory, queue), so it serves the session's
database and queues its jobs for the session's rq worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
# What `make serve` passes to gunicorn (relative to the repository, gunicorn's working directory).
GUNICORN_CONF = "backend/gunicorn_conf.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(base: str, proc: subprocess.Popen, seconds: float, interval: float, failed) -> None:
    """Until GET /api/v1/health answers 200; `failed()` raises when `proc` died or time is up.
    On a loaded machine a read timeout is "not yet", like a refused connection."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(f"{base}/api/v1/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            failed()
        time.sleep(interval)


def _stop(proc: subprocess.Popen, timeout: float) -> None:
    proc.terminate()  # gunicorn: graceful stop; nginx: fast shutdown
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def gunicorn(log_dir: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`gunicorn OPTIONS --bind 127.0.0.1:<free port> wsgi:app` (as `make serve` runs it, with
    `-c backend/gunicorn_conf.py` among the options), the session's environment updated with
    `env`; yields its base URL once it answers, and always stops it. Its output goes to
    `log_dir/gunicorn.log`."""
    port = free_port()
    log_path = log_dir / "gunicorn.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), *options, "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def failed():
        raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")

    try:
        _wait_healthy(base, proc, 120, 0.2, failed)
        yield base
    finally:
        _stop(proc, 30)
        log.close()


def nginx_conf(port: int, upstream: str, access_log: Path) -> str:
    """docs/nginx.conf as is, but for its lines marked LISTEN (a loopback port), UPSTREAM and
    ACCESS_LOG (the file, its format kept)."""
    recipe = (ROOT / "docs" / "nginx.conf").read_text()
    for marked, replacement in (
        ("listen 80;  # LISTEN", f"listen 127.0.0.1:{port};  # LISTEN"),
        ("server 127.0.0.1:8000;  # UPSTREAM", f"server {upstream};  # UPSTREAM"),
        (
            "access_log /var/log/nginx/access.log fieldsales;  # ACCESS_LOG",
            f"access_log {access_log} fieldsales;  # ACCESS_LOG",
        ),
    ):
        assert recipe.count(marked) == 1, f"docs/nginx.conf must have exactly one line `{marked}`"
        recipe = recipe.replace(marked, replacement)
    return recipe


@contextmanager
def nginx(upstream_base: str, tmp: Path) -> Iterator[str]:
    """nginx configured by docs/nginx.conf in front of `upstream_base` (http://host:port): its
    own foreground process on a free loopback port, with its configuration, logs (the recipe's
    access log: `tmp/access.log`) and temporary files in `tmp`; yields its base URL once a health
    check passes through it, and always stops it. The distribution's nginx (NGINX) is used as
    installed; its system service is not."""
    port = free_port()
    (tmp / "fieldsales.conf").write_text(nginx_conf(port, upstream_base.removeprefix("http://"), tmp / "access.log"))
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
    base = f"http://127.0.0.1:{port}"

    def failed():
        output = "".join(f.read_text() for f in (tmp / "stderr.log", tmp / "error.log") if f.exists())
        raise RuntimeError(f"nginx did not start:\n{output[-3000:]}")

    try:
        _wait_healthy(base, proc, 60, 0.1, failed)
        yield base
    finally:
        _stop(proc, 10)
        log.close()


def nginx_installed() -> bool:
    return os.access(NGINX, os.X_OK)
