"""Slow clients against the production recipe: nginx (docs/nginx.conf, run as documented) in
front of gunicorn.

A sync gunicorn worker reading a request body waits for every byte of it. Forty clients that
send a login POST's headers (Content-Length 100000) and then one byte a second hold all of the
live server's workers (three, one request at a time each) and any other request waits as long
as they like: measured here against bare gunicorn, so this test can fail and shows that the
proxy is what helps. Through nginx, which reads each body itself and hands gunicorn only
complete requests, health checks and logins keep answering at once while the forty dribble.
"""

from __future__ import annotations

import select
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit

import requests

from tests.factories import PASSWORD

from .conftest import WORKERS

SLOW_CLIENTS = 40
BODY_BYTES = 100_000
# The live server runs WORKERS sync workers (no --threads): that many requests at a time in all.
assert SLOW_CLIENTS >= WORKERS * 1 + 5, "the slow clients must outnumber what gunicorn serves at once"
PROBE_LIMIT = 2.0  # s: each normal request through nginx answers within this
PROBE_SECONDS = 5.0  # how long normal requests are sent while the slow clients dribble
STARVED_WAIT = 3.0  # s: how long a normal request straight to gunicorn waits for an answer


class SlowClients:
    """`n` connections that each send a login POST's headers, then one byte of its body a second."""

    def __init__(self, base: str, n: int):
        url = urlsplit(base)
        head = (
            f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {BODY_BYTES}\r\n\r\n{{"
        ).encode()
        self.socks: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._dribble, daemon=True)
        try:
            for _ in range(n):
                s = socket.create_connection((url.hostname, url.port), timeout=5)
                self.socks.append(s)
                s.sendall(head)
        except BaseException:
            self.close()
            raise
        self._thread.start()

    def _dribble(self) -> None:
        while not self._stop.wait(1.0):
            for s in self.socks:
                try:
                    s.send(b" ")
                except OSError:
                    pass

    def answered(self) -> int:
        """How many were answered or dropped by the server (their socket became readable)."""
        readable, _, _ = select.select(self.socks, [], [], 0)
        return len(readable)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for s in self.socks:
            s.close()

    def __enter__(self) -> SlowClients:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _timed(method: str, url: str, timeout: float, **kw) -> tuple[float, int | None]:
    """(seconds, status) of one request on a new connection; status None when it timed out."""
    start = time.monotonic()
    try:
        r = requests.request(method, url, headers={"Connection": "close"}, timeout=timeout, **kw)
    except requests.Timeout:
        return time.monotonic() - start, None
    return time.monotonic() - start, r.status_code


def test_slow_clients_starve_bare_gunicorn_but_not_nginx_in_front(live_server, nginx_server, world):
    login = {"username": world.rep_a1.username, "password": PASSWORD}

    # Through nginx: normal requests keep answering while forty clients dribble their bodies.
    via_nginx: list[tuple[str, float, int | None]] = []
    with SlowClients(nginx_server, SLOW_CLIENTS) as slow:
        time.sleep(1.0)  # every slow client is in the middle of its body
        end = time.monotonic() + PROBE_SECONDS
        while time.monotonic() < end:
            via_nginx.append(("GET /health", *_timed("GET", f"{nginx_server}/api/v1/health", 10)))
            via_nginx.append(("POST login", *_timed("POST", f"{nginx_server}/api/v1/auth/login", 10, json=login)))
            time.sleep(0.3)
        still_dribbling = SLOW_CLIENTS - slow.answered()

    # Straight to gunicorn: the same forty hold its workers, and a health check gets nothing.
    with SlowClients(live_server, SLOW_CLIENTS):
        time.sleep(1.0)  # the workers have taken the first slow clients
        direct_wait, direct_status = _timed("GET", f"{live_server}/api/v1/health", STARVED_WAIT)

    # Once they are gone gunicorn serves again (the other tests of the session share it).
    recovered_in, recovered_status = _timed("GET", f"{live_server}/api/v1/health", 30)

    worst = max(seconds for _, seconds, _ in via_nginx)
    print(
        f"\n{SLOW_CLIENTS} slow clients: through nginx {len(via_nginx)} requests, worst {worst:.3f} s, "
        f"mean {sum(s for _, s, _ in via_nginx) / len(via_nginx):.3f} s; straight to gunicorn "
        f"{'no answer' if direct_status is None else direct_status} after {direct_wait:.2f} s; "
        f"gunicorn answered again {recovered_in:.2f} s after they left"
    )
    slow_or_failed = [(what, round(s, 3), status) for what, s, status in via_nginx if s > PROBE_LIMIT or status != 200]
    assert not slow_or_failed, f"through nginx, under {SLOW_CLIENTS} slow clients: {slow_or_failed}"
    assert len(via_nginx) >= 6
    assert still_dribbling == SLOW_CLIENTS, "nginx dropped or answered slow clients: the load was not applied"
    assert direct_status is None, (
        f"bare gunicorn answered ({direct_status}) in {direct_wait:.2f} s under {SLOW_CLIENTS} slow clients: "
        "the contrast this test relies on is gone (more workers or threads in tests/live/conftest.py?)"
    )
    assert recovered_status == 200


def _status_for_headers(base: str, method: str, path: str, length: int) -> int:
    """The status nginx answers to a request's headers alone (`Expect: 100-continue`): 100 when
    it would read a body of `length` bytes, 413 when that is over its limit."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=5) as s:
        s.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        answer = b""
        while b"\r\n" not in answer:
            chunk = s.recv(1024)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_recipe_body_limits_match_the_app_and_json_is_gzipped(app, nginx_server):
    photo = f"/api/v1/photos/{uuid.uuid4()}?sha256={'0' * 64}"
    body_limit = app.config["MAX_CONTENT_LENGTH"]
    assert _status_for_headers(nginx_server, "PUT", photo, body_limit) == 100
    assert _status_for_headers(nginx_server, "PUT", photo, body_limit + 1) == 413
    import_limit = app.config["IMPORT_MAX_BYTES"] + 1024 * 1024  # what the import endpoint allows
    assert _status_for_headers(nginx_server, "POST", "/api/v1/shipment-imports", import_limit) == 100
    assert _status_for_headers(nginx_server, "POST", "/api/v1/shipment-imports", import_limit + 1) == 413

    r = requests.get(f"{nginx_server}/api/openapi.json", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert r.status_code == 200
    assert r.headers.get("Content-Encoding") == "gzip"
