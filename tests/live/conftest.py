"""A real multi-process server for HTTP-level tests: gunicorn with three worker processes on a
free loopback port, on the test session's database (and, with REDIS_URL, its queue and rq
worker), as the README's production recipe runs it. Each request may land on any process.
The servers are started by tests/servers.py (shared with tests/e2e's production mode)."""

from __future__ import annotations

import pytest
import requests

from tests import servers
from tests.factories import token_for

WORKERS = 3


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
    with servers.gunicorn(
        tmp_path_factory.mktemp("gunicorn"), "--workers", str(WORKERS), "--timeout", "60", *extra
    ) as base:
        yield base


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


@pytest.fixture(scope="session")
def nginx_server(live_server, tmp_path_factory):
    """The base URL of nginx configured by docs/nginx.conf (the production recipe, run as is but
    for its LISTEN and UPSTREAM lines) in front of `live_server`: its own foreground process on a
    free loopback port, with its temporary files in a temporary directory. `make test` installs
    Debian's nginx when it is missing; the package's system service is not used."""
    if not servers.nginx_installed():
        pytest.skip(f"no nginx at {servers.NGINX} (`make test` installs Debian's nginx)")
    with servers.nginx(live_server, tmp_path_factory.mktemp("nginx")) as base:
        yield base
