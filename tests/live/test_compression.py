"""Compression over real HTTP: gunicorn alone compresses (the app does it), and nginx with
docs/nginx.conf in front passes an answer the app has encoded through as it is — encoded once,
with the app's encoding, not gzipped again."""

from __future__ import annotations

import gzip
import json

import brotli
import requests

from tests.factories import token_for

PULL = "/api/v1/sync/pull?client_id=live-compression&limit=50"


def _raw(url: str, accept: str | None, token: str) -> requests.Response:
    """The answer's bytes as they came over the wire (requests would decode them)."""
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    if accept is not None:
        headers["Accept-Encoding"] = accept
    r = requests.get(url, headers=headers, timeout=30, stream=True)
    r.wire = r.raw.read(decode_content=False)
    return r


def test_gunicorn_alone_and_nginx_in_front_send_the_app_s_encoding(live_server, nginx_server, world):
    token = token_for(world.rep_a1)
    plain = _raw(live_server + PULL, "identity", token)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    expected = json.loads(plain.wire)["changes"]
    assert len(plain.wire) > 1000

    for base in (live_server, nginx_server):
        for accept, encoding, decode in (("gzip", "gzip", gzip.decompress), ("gzip, br", "br", brotli.decompress)):
            r = _raw(base + PULL, accept, token)
            assert r.status_code == 200, (base, accept)
            assert r.headers["Content-Encoding"] == encoding, (base, accept)
            assert json.loads(decode(r.wire))["changes"] == expected, (base, accept)
            assert [v.strip() for v in r.headers["Vary"].split(",")].count("Accept-Encoding") == 1
