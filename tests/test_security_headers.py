"""Security headers on every kind of response (backend/core/security_headers.py): the app's shell
and files get the app's Content-Security-Policy (no inline script, no eval, only the wasm
compilation the barcode reader needs; images from the tile server of MAP_TILE_URL), Swagger UI
its own policy (its one inline script by hash), every other /api response `default-src 'none'`;
nosniff, the referrer policy and framing refused everywhere; HSTS only over HTTPS."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

APP_PATHS = ["/", "/assets/app-1234.js", "/manifest.webmanifest", "/some/client/route"]
API_PATHS = [
    "/api/v1/app-config",  # JSON, no token needed
    "/api/v1/stores",  # 401 without a token
    "/api/no-such-thing",  # 404
    "/api/openapi.json",
    "/api/swagger-ui/swagger-ui.css",  # Swagger UI's own files
    "/api/swagger-ui/index.html",  # the bundle's demo page: inert under the strict policy
]
DOCS = "/api/docs"
ALL_PATHS = APP_PATHS + API_PATHS + [DOCS]


@pytest.fixture
def shell(app, tmp_path, monkeypatch):
    """A built PWA of three files (the real pwa/dist need not be built for these tests)."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><script type="module" src="/assets/app-1234.js"></script>')
    (tmp_path / "assets" / "app-1234.js").write_text("console.log('app')")
    (tmp_path / "manifest.webmanifest").write_text("{}")
    monkeypatch.setitem(app.config, "PWA_DIST", str(tmp_path))
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    return tmp_path


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        assert name not in out, f"{name} twice in {policy!r}"
        out[name] = values
    return out


@pytest.mark.parametrize("path", ALL_PATHS)
def test_every_response_carries_the_headers(client, shell, path):
    r = client.get(path)
    assert r.status_code in (200, 401, 404), (path, r.status_code)
    assert r.headers.get("Content-Security-Policy"), path
    assert directives(r.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"
    assert r.headers.get("X-Frame-Options") == "DENY"
    assert "Strict-Transport-Security" not in r.headers  # plain http


def test_the_kinds_of_response_that_are_checked(client, shell):
    """The paths above are what they stand for: the shell, a file, JSON, errors, the docs."""
    assert client.get("/").mimetype == "text/html"
    assert client.get("/some/client/route").mimetype == "text/html"
    assert client.get("/assets/app-1234.js").mimetype == "text/javascript"
    assert client.get("/api/v1/app-config").status_code == 200
    assert client.get("/api/v1/stores").status_code == 401
    assert client.get("/api/no-such-thing").status_code == 404
    assert client.get("/api/v1/stores").is_json and client.get("/api/no-such-thing").is_json
    assert client.get(DOCS).mimetype == "text/html"


@pytest.mark.parametrize("path", ALL_PATHS)
def test_hsts_only_over_https(client, shell, path):
    assert "Strict-Transport-Security" not in client.get(path).headers
    r = client.get(path, base_url="https://localhost")
    assert r.headers.get("Strict-Transport-Security") == "max-age=31536000"


def test_hsts_follows_the_configuration(app, client, shell, monkeypatch):
    monkeypatch.setitem(app.config, "HSTS_INCLUDE_SUBDOMAINS", True)
    r = client.get("/", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 0)
    assert "Strict-Transport-Security" not in client.get("/", base_url="https://localhost").headers


@pytest.mark.parametrize("path", APP_PATHS)
def test_the_app_policy(client, shell, path):
    d = directives(client.get(path).headers["Content-Security-Policy"])
    # Scripts: the app's own files only; ZXing's .wasm may be compiled, nothing may be eval'd.
    assert d["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert "'unsafe-eval'" not in d["script-src"] and "'unsafe-inline'" not in d["script-src"]
    assert d["default-src"] == ["'self'"]
    assert d["style-src"] == ["'self'"]
    assert d["img-src"] == ["'self'", "data:", "blob:", "https://tile.openstreetmap.org"]
    assert d["connect-src"] == ["'self'"]
    assert d["worker-src"] == ["'self'"] and d["manifest-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"]
    assert d["base-uri"] == ["'self'"] and d["form-action"] == ["'self'"]


@pytest.mark.parametrize("path", API_PATHS)
def test_api_responses_load_nothing(client, shell, path):
    assert client.get(path).headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_an_api_error_from_a_post_carries_the_strict_policy(client, shell):
    r = client.post("/api/v1/auth/login", json={"username": "nobody"})
    assert r.status_code == 422
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_swagger_ui_runs_its_inline_script_by_hash_only(client, shell):
    r = client.get(DOCS)
    d = directives(r.headers["Content-Security-Policy"])
    inline = re.findall(rb"<script>(.*?)</script>", r.data, re.S)
    assert len(inline) == 1  # flask-smorest's page: the bundle's files, then one inline script
    digest = base64.b64encode(hashlib.sha256(inline[0]).digest()).decode()
    assert d["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert d["default-src"] == ["'none'"]
    assert d["style-src"] == ["'self'"] and d["connect-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"] and d["base-uri"] == ["'none'"]


@pytest.mark.parametrize(
    ("tile_url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("https://tiles-{s}.example.org:8443/{z}/{x}/{y}.png", "https://*.example.org:8443"),
        ("//maps.example.org/{z}/{x}/{y}.png", "maps.example.org"),
        ("https://a.{s}.example.org/{z}/{x}/{y}.png", "https:"),  # not expressible: the scheme
        ("/tiles/{z}/{x}/{y}.png", None),  # the app's own origin: 'self'
        ("", None),  # no tiles
        ("javascript:alert(1)//{z}", None),
        ("https://x.example.org; script-src * 'unsafe-inline'/{z}", "https:"),
    ],
)
def test_img_src_follows_map_tile_url(app, client, shell, monkeypatch, tile_url, source):
    monkeypatch.setitem(app.config, "MAP_TILE_URL", tile_url)
    d = directives(client.get("/").headers["Content-Security-Policy"])
    assert d["img-src"] == ["'self'", "data:", "blob:"] + ([source] if source else [])
    assert d["script-src"] == ["'self'", "'wasm-unsafe-eval'"]  # nothing in the URL reaches it
    assert client.get("/api/v1/app-config").json["map_tile_url"] == tile_url


def test_api_answers_are_not_cached_the_app_shell_is(api, world, client):
    for r in (api(world.rep_a1).get("/api/v1/auth/me"), client.get("/api/v1/stores")):
        assert r.headers["Cache-Control"] == "no-store"
    shell = client.get("/")
    assert "no-store" not in shell.headers.get("Cache-Control", "")
