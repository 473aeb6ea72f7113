"""Login limits through a real multi-process server (gunicorn, three workers).

The failure count used to be read before the password hash was checked and the failure written
after it, so concurrent wrong guesses all saw a count under the limit: 48 at once got 14 to 20
passwords checked instead of 5. Each attempt now reserves its place in the counters before the
hash is checked (one atomic UPSERT per counter), so a 401 (a checked password) is at most the
limit and every other answer is a 429.

Each client here has its own loopback address (the whole of 127.0.0.0/8 is local on Linux), so
the server sees as many clients as the test wants without trusting any header.
"""

from __future__ import annotations

import http.client
import json
import math
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from argon2 import PasswordHasher

from backend.extensions import db
from tests.factories import PASSWORD

LOGIN = "/api/v1/auth/login"
GUESSES = 48


def _login(base: str, username: str, password: str, source_ip: str = "127.0.0.1") -> tuple[int, dict, dict]:
    """POST a login from `source_ip` (a loopback address): (status, headers, body)."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60, source_address=(source_ip, 0))
    try:
        body = json.dumps({"username": username, "password": password})
        conn.request("POST", LOGIN, body=body, headers={"Content-Type": "application/json", "Connection": "close"})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def _burst(base: str, calls: list[tuple[str, str, str]]) -> list[tuple[int, dict, dict]]:
    """Send every (username, password, source ip) at once."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda c: _login(base, *c), calls))


def test_concurrent_wrong_guesses_check_at_most_the_limit_of_passwords(live_server, world, app):
    # A hash as costly as a real one (verifying takes the cost written in the hash, not the test
    # session's low setting), so that checks overlap as they do in production.
    world.rep_a1.password_hash = PasswordHasher(time_cost=2, memory_cost=32768).hash(PASSWORD)
    db.session.commit()
    limit = app.config["LOGIN_MAX_FAILURES"]
    answers = _burst(live_server, [("rep_a1", f"guess {i}", "127.0.0.1") for i in range(GUESSES)])
    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] == limit, f"{statuses[401]} passwords checked, the limit is {limit}: {statuses}"
    for status, headers, body in answers:
        if status == 429:
            assert body["code"] == "too_many_requests"
            assert 0 < int(headers["Retry-After"]) <= app.config["LOGIN_FAILURE_WINDOW_SECONDS"]

    # That client stays limited, even with the right password...
    assert _login(live_server, "rep_a1", PASSWORD, "127.0.0.1")[0] == 429
    # ...but the owner, from their own client, logs in at once: no lockout of the account.
    status, _, body = _login(live_server, "rep_a1", PASSWORD, "127.0.0.2")
    assert status == 200, body
    assert body["user"]["username"] == "rep_a1"


def test_a_guesser_spread_over_many_clients_is_slowed_per_username(live_server, world, app):
    """Every client stays under its own limit; the username's backoff stops the burst after
    LOGIN_USER_BACKOFF_AFTER checked passwords (plus one per elapsed backoff step)."""
    cfg = app.config
    after, first_delay = cfg["LOGIN_USER_BACKOFF_AFTER"], cfg["LOGIN_USER_BACKOFF_SECONDS"]
    clients = [f"127.0.1.{i}" for i in range(1, after + GUESSES + 1)]
    start = time.monotonic()
    answers = _burst(live_server, [("rep_a2", "guess", ip) for ip in clients])
    elapsed = time.monotonic() - start
    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) <= {401, 429}, statuses
    # After `after` failures, the k-th next one waits first_delay * 2**(k-1): within `elapsed`
    # seconds at most 1 + log2(elapsed / first_delay + 1) of them can be let through.
    allowed = after + 1 + math.floor(math.log2(elapsed / first_delay + 1))
    assert after <= statuses[401] <= allowed, (statuses, elapsed)
    retry_after = {int(h["Retry-After"]) for s, h, _ in answers if s == 429}
    assert retry_after and max(retry_after) <= cfg["LOGIN_USER_BACKOFF_MAX_SECONDS"], retry_after
