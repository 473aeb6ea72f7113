"""Login limits: per client and username, per client, and a backoff per username.

Five failures used to lock a username for a quarter of an hour for everyone, its owner too, and
fifty failures from one address locked every login behind a proxy (all clients had its address).
Now a client over its limits is refused alone; a guesser spread over many clients is slowed by a
per-username backoff whose wait stays short; X-Forwarded-For counts only through the configured
number of trusted proxies. Times come from a fake clock (`clock`) so windows end on demand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from backend import create_app
from backend.auth import limits
from backend.core.timeutil import utcnow
from backend.extensions import db
from tests.factories import PASSWORD

LOGIN = "/api/v1/auth/login"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(limits, "utcnow", fake)
    return fake


def login(client, username, password=PASSWORD, ip="10.0.0.1", forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(
        LOGIN, json={"username": username, "password": password}, headers=headers, environ_base={"REMOTE_ADDR": ip}
    )


def fail(client, username, times, **kw):
    for i in range(times):
        r = login(client, username, f"guess {i}", **kw)
        assert r.status_code == 401, (i, r.json)


# --- one client at one username -------------------------------------------------------------


def test_a_client_over_its_limit_gets_429_but_the_owner_elsewhere_logs_in(client, world, app, clock):
    limit, window = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_FAILURE_WINDOW_SECONDS"]
    fail(client, "rep_a1", limit, ip="10.0.0.1")
    r = login(client, "rep_a1", ip="10.0.0.1")  # the right password, from the guesser's client
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) == window
    assert r.json["code"] == "too_many_requests" and r.json["status"] == 429
    assert r.json["message"] == limits.MESSAGES[limits.USER_IP]
    assert "token" not in r.json
    # The owner, from their own client: no lockout.
    assert login(client, "rep_a1", ip="10.0.0.2").status_code == 200
    # The guesser's client may still log in to other usernames.
    assert login(client, "rep_a2", ip="10.0.0.1").status_code == 200


def test_the_limit_ends_with_its_window(client, world, app, clock):
    limit, window = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_FAILURE_WINDOW_SECONDS"]
    fail(client, "rep_a1", limit)
    clock.advance(window - 10)
    r = login(client, "rep_a1")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 10
    clock.advance(10)
    assert login(client, "rep_a1").status_code == 200


def test_a_right_password_clears_that_clients_failures(client, world, app, clock):
    limit = app.config["LOGIN_MAX_FAILURES"]
    fail(client, "rep_a1", limit - 1)
    assert login(client, "rep_a1").status_code == 200
    fail(client, "rep_a1", limit)  # a fresh allowance: the earlier typos are forgotten
    assert login(client, "rep_a1").status_code == 429


def test_refused_attempts_take_no_place(client, world, app, clock, monkeypatch):
    """A 429 checks no password and counts nowhere: hammering after the limit changes nothing."""
    limit = app.config["LOGIN_MAX_FAILURES"]
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", limit + 2)
    fail(client, "rep_a1", limit)
    for _ in range(10):
        assert login(client, "rep_a1", "guess").status_code == 429
    fail(client, "rep_a2", 2)  # the client's allowance over all usernames is not used up by 429s
    assert login(client, "rep_b1", "guess").status_code == 429


# --- one client at many usernames -----------------------------------------------------------


def test_a_client_failing_at_many_usernames_is_limited_alone(client, world, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", 6)
    for i in range(6):
        assert login(client, f"someone_{i}", "guess", ip="10.0.0.1").status_code == 401
    r = login(client, "rep_a1", ip="10.0.0.1")
    assert r.status_code == 429 and r.json["message"] == limits.MESSAGES[limits.IP]
    assert int(r.headers["Retry-After"]) == app.config["LOGIN_FAILURE_WINDOW_SECONDS"]
    assert login(client, "someone_6", "guess", ip="10.0.0.2").status_code == 401
    assert login(client, "rep_a1", ip="10.0.0.2").status_code == 200


def test_a_right_password_gives_back_its_place_in_the_clients_count(client, world, app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", 3)
    fail(client, "someone", 2)
    for _ in range(3):
        assert login(client, "rep_a1").status_code == 200  # successes are no failures
    assert login(client, "someone", "guess").status_code == 401
    assert login(client, "someone", "guess").status_code == 429


def test_expired_counters_are_pruned(client, world, app, clock, monkeypatch):
    from sqlalchemy import func, select

    from backend.auth.models import LoginCounter

    monkeypatch.setattr(limits, "PRUNE_EVERY", 1)
    fail(client, "someone", 1, ip="10.0.0.1")
    fail(client, "someone", 1, ip="10.0.0.2")
    assert db.session.scalar(select(func.count()).select_from(LoginCounter)) == 5  # 2 ip, 2 user_ip, 1 user
    clock.advance(app.config["LOGIN_FAILURE_WINDOW_SECONDS"])
    fail(client, "other", 1, ip="10.0.0.3")
    rows = db.session.execute(select(LoginCounter.scope, LoginCounter.username, LoginCounter.ip)).all()
    assert sorted(rows) == [("ip", "", "10.0.0.3"), ("user", "other", ""), ("user_ip", "other", "10.0.0.3")]


# --- many clients at one username ------------------------------------------------------------


def test_many_clients_at_one_username_meet_a_growing_backoff_the_owner_waits_it_out(
    client, world, app, clock, monkeypatch
):
    after = 6
    monkeypatch.setitem(app.config, "LOGIN_USER_BACKOFF_AFTER", after)
    monkeypatch.setitem(app.config, "LOGIN_USER_BACKOFF_SECONDS", 2)
    monkeypatch.setitem(app.config, "LOGIN_USER_BACKOFF_MAX_SECONDS", 8)
    clients = iter(f"10.1.0.{i}" for i in range(1, 200))

    def guess():
        return login(client, "rep_a1", "guess", ip=next(clients))

    # Each client stays far under its own limit; the username's count goes past `after`.
    for _ in range(after):
        assert guess().status_code == 401
    assert guess().status_code == 401  # the first one beyond: the next must wait 2 s
    waits = []
    while len(waits) < 3:
        r = guess()
        assert r.status_code == 429, r.json
        assert r.json["message"] == limits.MESSAGES[limits.USER]
        waits.append(int(r.headers["Retry-After"]))
        clock.advance(waits[-1] - 1)
        assert guess().status_code == 429  # one second early
        clock.advance(1)
        assert guess().status_code == 401
    assert waits == [2, 4, 8]  # doubling...
    assert int(guess().headers["Retry-After"]) == 8  # ...up to the maximum

    # The owner waits at most the maximum backoff, from any client.
    owner = login(client, "rep_a1", ip="10.9.9.9")
    assert owner.status_code == 429 and int(owner.headers["Retry-After"]) <= 8
    clock.advance(int(owner.headers["Retry-After"]))
    assert login(client, "rep_a1", ip="10.9.9.9").status_code == 200
    # Other usernames are not slowed.
    assert login(client, "rep_a2", ip=next(clients)).status_code == 200

    # A whole window without a failure: the count starts over.
    clock.advance(app.config["LOGIN_FAILURE_WINDOW_SECONDS"])
    for _ in range(after + 1):
        assert guess().status_code == 401
    assert guess().status_code == 429


def test_unknown_usernames_are_limited_like_known_ones(client, world, app, clock):
    """The answers must not tell which usernames exist."""
    limit = app.config["LOGIN_MAX_FAILURES"]
    answers = {}
    for name in ("rep_a1", "nobody_here"):
        fail(client, name, limit)
        r = login(client, name, "guess")
        answers[name] = (r.status_code, r.headers["Retry-After"], r.json)
    assert answers["rep_a1"] == answers["nobody_here"]


# --- behind a reverse proxy -----------------------------------------------------------------


def test_without_trusted_proxies_a_forged_x_forwarded_for_is_ignored(client, world, app, clock):
    assert app.config["TRUSTED_PROXY_HOPS"] == 0
    limit = app.config["LOGIN_MAX_FAILURES"]
    for i in range(limit):
        r = login(client, "rep_a1", "guess", ip="10.0.0.1", forwarded=f"203.0.113.{i}")
        assert r.status_code == 401
    # A new forged address does not make a new client: still the same 10.0.0.1.
    r = login(client, "rep_a1", ip="10.0.0.1", forwarded="203.0.113.99")
    assert r.status_code == 429


@pytest.fixture(scope="module")
def proxied_app(app):
    """The app as deployed behind one nginx: TRUSTED_PROXY_HOPS=1."""
    proxied = create_app({"TESTING": True, "TRUSTED_PROXY_HOPS": 1})
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def test_behind_one_trusted_proxy_each_forwarded_client_is_counted_alone(proxied_app, world, app, clock, monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix

    assert isinstance(proxied_app.wsgi_app, ProxyFix)
    client = proxied_app.test_client()
    nginx = "10.0.0.5"  # every request reaches the app from the proxy's address
    limit = app.config["LOGIN_MAX_FAILURES"]
    # The client may send its own X-Forwarded-For; nginx appends the address it really saw, and
    # only that last entry is trusted.
    fail(client, "rep_a1", limit, ip=nginx, forwarded="198.51.100.7, 203.0.113.1")
    assert login(client, "rep_a1", ip=nginx, forwarded="203.0.113.1").status_code == 429
    assert login(client, "rep_a1", ip=nginx, forwarded="198.51.100.7, 203.0.113.2").status_code == 200

    # The per-client limit over all usernames is per forwarded client too, not the proxy's.
    monkeypatch.setitem(proxied_app.config, "LOGIN_MAX_FAILURES_PER_IP", limit + 2)
    fail(client, "someone", 2, ip=nginx, forwarded="203.0.113.1")
    assert login(client, "rep_a2", ip=nginx, forwarded="203.0.113.1").status_code == 429
    assert login(client, "rep_a2", ip=nginx, forwarded="203.0.113.3").status_code == 200
