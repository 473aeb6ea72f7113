"""Download links' tokens stay out of the access logs: an export followed through nginx
(docs/nginx.conf, its access log as configured there) in front of gunicorn
(backend/gunicorn_conf.py with its access log turned on, `--access-logfile`). Both logs still
say who fetched which export, with the token written `dl=-` (nginx writes a request line with a
second `dl` or a percent-encoded name without its query)."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests import servers
from tests.factories import token_for

STOCK = "/api/v1/channel/stock.csv"


def _log(path: Path, exports: int) -> str:
    """The log once it has `exports` lines of the export (a line is written after its answer)."""
    deadline = time.monotonic() + 10
    while True:
        text = path.read_text() if path.exists() else ""
        if text.count(f"GET {STOCK}?") >= exports or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_the_access_logs_leave_link_tokens_out(app, rq_worker, world, tmp_path):
    if not servers.nginx_installed():
        pytest.skip(f"no nginx at {servers.NGINX} (`make test` installs Debian's nginx)")
    gunicorn_log = tmp_path / "gunicorn-access.log"
    (tmp_path / "nginx").mkdir()
    nginx_log = tmp_path / "nginx" / "access.log"
    options = ("-c", servers.GUNICORN_CONF, "--workers", "1", "--access-logfile", str(gunicorn_log))
    with servers.gunicorn(tmp_path, *options) as upstream, servers.nginx(upstream, tmp_path / "nginx") as base:
        bearer = {"Authorization": f"Bearer {token_for(world.hq)}", "Connection": "close"}

        def new_link(**query) -> str:
            r = requests.post(
                f"{base}/api/v1/auth/download-link", json={"path": STOCK, "query": query}, headers=bearer, timeout=30
            )
            assert r.status_code == 200, r.text
            return r.json()["url"]

        def follow(url: str) -> tuple[int, bytes]:
            """GET the URL as it is written (requests would decode `%64` to `d`)."""
            conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=60)
            try:
                conn.request("GET", url, headers={"Connection": "close"})
                r = conn.getresponse()
                return r.status, r.read()
            finally:
                conn.close()

        url = new_link(group="region", lang="en")
        tokens = [dict(parse_qsl(urlsplit(url).query))["dl"]]
        status, body = follow(url)
        assert status == 200 and body.startswith(b"\xef\xbb\xbf")
        status, body = follow(url)
        assert status == 401 and json.loads(body)["reason"] == "auth.link_invalid"
        # The parameter's name percent-encoded: the app reads it as `dl` all the same.
        other = new_link()
        tokens.append(dict(parse_qsl(urlsplit(other).query))["dl"])
        status, body = follow(other.replace("dl=", "%64l="))
        assert status == 200, body[:300]

        for log in (nginx_log, gunicorn_log):
            text = _log(log, 3)
            assert text.count(f"GET {STOCK}?") == 3, text
            for token in tokens:
                assert token not in text and token.split(".")[-1] not in text, text
            assert f"GET {STOCK}?group=region&lang=en&dl=- HTTP/1." in text, text  # nginx proxies in 1.0
        assert f"GET {STOCK}?(query withheld) HTTP/1.1" in nginx_log.read_text()
        assert f"GET {STOCK}?%64l=- HTTP/1.0" in gunicorn_log.read_text()
