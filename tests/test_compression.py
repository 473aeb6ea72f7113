"""The app compresses its own answers (flask-compress): JSON and the PWA's files as the client's
Accept-Encoding asks, never small answers, the auth answers (BREACH), photos or partial content;
ETags and conditional requests still work. Real app, real database, real files."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from backports import zstd

from backend import create_app
from backend.config import _flag
from tests.factories import PASSWORD, new_id
from tests.photos.images import noisy_jpeg, upload
from tests.sync.helpers import Device, apply_changes

DECODE = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}
BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends
OPENAPI = "/api/openapi.json"  # public, and well over the minimum size


def decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    return DECODE[encoding](response.data) if encoding else response.data


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_a_json_answer_is_encoded_as_asked_and_decodes_to_the_same_json(app, client, encoding):
    plain = client.get(OPENAPI)
    r = client.get(OPENAPI, headers={"Accept-Encoding": encoding})
    assert plain.status_code == r.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert r.headers["Content-Encoding"] == encoding
    assert "accept-encoding" in vary(r) and "accept-encoding" in vary(plain)
    assert int(r.headers["Content-Length"]) == len(r.data) < len(plain.data) / 4
    assert r.mimetype == "application/json"
    assert json.loads(DECODE[encoding](r.data)) == plain.json


def test_the_client_s_preference_decides_and_the_server_s_order_breaks_ties(client):
    def chosen(accept: str) -> str | None:
        return client.get(OPENAPI, headers={"Accept-Encoding": accept}).headers.get("Content-Encoding")

    assert chosen(BROWSER) == "br"
    assert chosen("gzip, deflate") == "gzip"  # browsers over plain HTTP
    assert chosen("gzip, deflate, zstd") == "zstd"
    assert chosen("gzip;q=1, br;q=0.5") == "gzip"
    assert chosen("deflate") is None  # not offered: clients disagree on what it means
    assert chosen("*") == "br"


@pytest.mark.parametrize("accept", [None, "", "identity", "gzip;q=0", "identity;q=1, *;q=0", "compress"])
def test_not_encoded_unless_the_client_accepts_it(client, accept):
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    r = client.get(OPENAPI, headers=headers)
    assert r.status_code == 200
    assert "Content-Encoding" not in r.headers
    assert r.json["info"]["title"] == "Field Sales API"


def test_an_api_answer_with_data_is_encoded(api, world):
    rep = api(world.rep_a1)
    plain = rep.get("/api/v1/stores")
    r = rep.get("/api/v1/stores", headers={"Accept-Encoding": "gzip"})
    assert len(plain.data) >= 500, "the test needs an answer over COMPRESS_MIN_SIZE"
    assert r.headers["Content-Encoding"] == "gzip"
    assert json.loads(decoded(r)) == plain.json
    assert r.headers["X-Pagination"] == plain.headers["X-Pagination"]
    assert r.headers["Cache-Control"] == "no-store"  # the security headers' hook still ran


def test_small_answers_are_sent_as_they_are(app, client):
    r = client.get("/api/v1/health", headers={"Accept-Encoding": BROWSER})
    assert r.status_code == 200
    assert len(r.data) < app.config["COMPRESS_MIN_SIZE"]
    assert "Content-Encoding" not in r.headers


def test_error_answers_are_sent_as_they_are(api, world):
    r = api(world.rep_a1).get("/api/v1/stores/999999", headers={"Accept-Encoding": BROWSER})
    assert r.status_code == 404
    assert "Content-Encoding" not in r.headers and r.json["code"] == "not_found"


def test_the_login_answer_is_never_compressed(app, client, world):
    # BREACH: the token sits next to the username the client sent. A long display name takes
    # the answer over the minimum size, so that only the exclusion keeps it plain.
    world.rep_a1.display_name = "区域销售代表" * 20
    from backend.extensions import db

    db.session.commit()
    r = client.post(
        "/api/v1/auth/login",
        json={"username": world.rep_a1.username, "password": PASSWORD},
        headers={"Accept-Encoding": BROWSER},
    )
    assert r.status_code == 200, r.json
    assert len(r.data) >= app.config["COMPRESS_MIN_SIZE"]
    assert "Content-Encoding" not in r.headers
    assert "accept-encoding" not in vary(r)
    assert r.json["token"]

    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json['token']}", "Accept-Encoding": BROWSER}
    )
    assert me.status_code == 200 and "Content-Encoding" not in me.headers


def test_a_pull_round_trips_page_by_page(api, world):
    """A rep's whole snapshot in small pages, each encoded, gives the same replica as without."""
    rep = api(world.rep_a1)
    plain_items, _, _ = Device(rep, "dev-plain").pull_all(None, 3)
    device = Device(rep, "dev-compressed")
    items, cursor, pages, encodings = [], None, 0, set()
    while True:
        params = {"client_id": device.client_id, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        r = rep.get("/api/v1/sync/pull", query_string=params, headers={"Accept-Encoding": "gzip, br"})
        assert r.status_code == 200
        encodings.add(r.headers.get("Content-Encoding"))
        page = json.loads(decoded(r))
        items += page["changes"]
        cursor, pages = page["cursor"], pages + 1
        if not page["has_more"]:
            break
    assert pages > 3
    assert "br" in encodings and encodings <= {"br", None}  # a short last page may stay plain
    plain, compressed = {}, {}
    apply_changes(plain, plain_items)
    apply_changes(compressed, items)
    assert compressed == plain and compressed


@pytest.mark.usefixtures("rq_worker")
def test_photo_downloads_ranges_and_revalidation_are_untouched(api, world):
    rep = api(world.rep_a1)
    pid = new_id()
    upload(rep, pid, noisy_jpeg())
    url = f"/api/v1/photos/{pid}/file"
    plain = rep.get(url, query_string={"variant": "display"})
    r = rep.get(url, query_string={"variant": "display"}, headers={"Accept-Encoding": BROWSER})
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert "Content-Encoding" not in r.headers
    assert r.data == plain.data and len(r.data) > 1000
    assert r.headers["ETag"] == plain.headers["ETag"]

    part = rep.get(
        url, query_string={"variant": "display"}, headers={"Accept-Encoding": BROWSER, "Range": "bytes=100-599"}
    )
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-599/{len(plain.data)}"
    assert part.data == plain.data[100:600] and "Content-Encoding" not in part.headers

    again = rep.get(
        url,
        query_string={"variant": "display"},
        headers={"Accept-Encoding": BROWSER, "If-None-Match": r.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""


# --- the PWA's files ----------------------------------------------------------------------------

SCRIPT = ("export function hello(name) { return `hello ${name}`; }\n" * 200).encode()


@pytest.fixture
def dist(app, tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>shell</title>")
    (tmp_path / "assets" / "app-1234.js").write_bytes(SCRIPT)
    (tmp_path / "assets" / "logo-1234.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 4000)
    monkeypatch.setitem(app.config, "PWA_DIST", str(tmp_path))
    return tmp_path


def test_a_script_is_compressed_whole_with_its_own_etag(client, dist):
    plain = client.get("/assets/app-1234.js")
    r = client.get("/assets/app-1234.js", headers={"Accept-Encoding": "gzip"})
    assert plain.data == SCRIPT and "Content-Encoding" not in plain.headers
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(r.data) == SCRIPT
    assert int(r.headers["Content-Length"]) == len(r.data) < len(SCRIPT) / 10
    assert "Accept-Ranges" not in r.headers  # ranges are of the file, not of this body
    assert "immutable" in r.headers["Cache-Control"]
    # The encoded body has its own strong validator; revalidating it gives a 304.
    assert r.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    again = client.get("/assets/app-1234.js", headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # The plain file's validator still works without compression.
    plain_again = client.get("/assets/app-1234.js", headers={"If-None-Match": plain.headers["ETag"]})
    assert plain_again.status_code == 304


def test_a_range_of_a_script_is_the_file_s_bytes(client, dist):
    r = client.get("/assets/app-1234.js", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes 0-99/{len(SCRIPT)}"
    assert r.data == SCRIPT[:100] and "Content-Encoding" not in r.headers


def test_images_and_small_files_are_sent_as_they_are(client, dist):
    for path in ("/assets/logo-1234.png", "/", "/index.html"):
        r = client.get(path, headers={"Accept-Encoding": BROWSER})
        assert r.status_code == 200, path
        assert "Content-Encoding" not in r.headers, path


def test_the_docs_page_keeps_its_script_hash_when_compressed(client):
    plain = client.get("/api/docs")
    r = client.get("/api/docs", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(r.data) == plain.data
    # The policy hashes the inline script of the plain page: compression runs after it.
    assert r.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]


# --- the switch ---------------------------------------------------------------------------------


def test_compress_responses_off_sends_everything_as_it_is(app):
    off = create_app({"TESTING": True, "COMPRESS_RESPONSES": False})
    r = off.test_client().get(OPENAPI, headers={"Accept-Encoding": BROWSER})
    assert r.status_code == 200 and "Content-Encoding" not in r.headers
    assert "accept-encoding" not in vary(r)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        ("", True),
        ("1", True),
        ("true", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("no", False),
    ],
)
def test_the_compress_responses_variable(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("COMPRESS_RESPONSES", raising=False)
    else:
        monkeypatch.setenv("COMPRESS_RESPONSES", value)
    assert _flag("COMPRESS_RESPONSES", True) is expected
