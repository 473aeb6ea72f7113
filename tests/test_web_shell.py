"""What the server answers outside the API: the built PWA at `/` (client routes get the app
shell, /favicon.ico the app's icon, a missing file a 404, never the shell under a script's or an
image's name) and the OpenAPI document's description."""

from __future__ import annotations

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


@pytest.fixture
def dist(app, tmp_path, monkeypatch):
    (tmp_path / "icons").mkdir()
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>shell</title>")
    (tmp_path / "icons" / "icon-192.png").write_bytes(PNG)
    (tmp_path / "assets" / "app-1234.js").write_text("console.log(1)")
    monkeypatch.setitem(app.config, "PWA_DIST", str(tmp_path))
    return tmp_path


def test_client_routes_answer_the_shell(app, dist):
    client = app.test_client()
    for path in ("/", "/visits/today", "/manager"):
        r = client.get(path)
        assert r.status_code == 200 and b"<title>shell</title>" in r.data, path


def test_favicon_is_the_app_icon(app, dist):
    r = app.test_client().get("/favicon.ico")
    assert r.status_code == 200
    assert r.mimetype == "image/png" and r.data == PNG


def test_a_missing_file_is_a_404_not_the_shell(app, dist):
    client = app.test_client()
    assert client.get("/assets/app-1234.js").status_code == 200
    for path in ("/assets/app-old.js", "/robots.txt", "/icons/missing.png"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert b"<title>shell</title>" not in r.data


def test_the_openapi_description_lists_every_domain(client):
    doc = client.get("/api/openapi.json").json
    description = doc["info"]["description"]
    tags = [tag["name"] for tag in doc["tags"]]
    assert {"auth", "stores", "visits", "warranty", "market", "sync"} <= set(tags)
    for tag in doc["tags"]:
        assert f"**{tag['name']}**: {tag['description']}" in description
