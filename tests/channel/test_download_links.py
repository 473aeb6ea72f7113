"""Signed download links (backend/auth/downloads.py): an export followed by a plain link, no
bearer header — once, within its minute, for its own path and query, as the user who asked for
it (whose scope applies), and refused (401 auth.link_invalid) when expired, tampered, another
user's or logged out. Single use: tests/channel/test_download_links_once.py."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer

from backend.auth import downloads
from backend.auth.models import AuthToken, hash_token
from backend.extensions import db
from tests.channel.test_export import AGING, STOCK, aging, rows_of  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("rq_worker")

LINK = "/api/v1/auth/download-link"


def link(client, path, **query):
    r = client.post(LINK, json={"path": path, "query": query})
    assert r.status_code == 200, r.json
    assert r.json["expires_in"] == 60
    return r.json["url"]


def refused(r):
    assert r.status_code == 401, r.data[:300]
    assert r.json["reason"] == "auth.link_invalid"


def with_query(url, **changes):
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def test_a_link_downloads_the_export_without_the_bearer(app, api, world, aging):  # noqa: F811
    hq = api(world.hq)
    url = link(hq, STOCK, group="partner", region_id=str(world.region_a.id), lang="zh-CN", product_id="")
    assert url.startswith(f"{STOCK}?") and "product_id" not in url  # empty values left out
    plain = app.test_client()  # no Authorization header
    first = plain.get(url)
    assert first.headers["Content-Disposition"].startswith('attachment; filename="channel-stock-')
    bearer = hq.get(STOCK, query_string={"group": "partner", "region_id": world.region_a.id, "lang": "zh-CN"})
    assert rows_of(first) == rows_of(bearer)
    assert plain.get(STOCK).status_code == 401  # the export itself still needs a token


def test_the_scope_of_the_user_applies(app, api, world, aging):  # noqa: F811
    plain = app.test_client()
    manager = api(world.manager_a)
    _, rows = rows_of(plain.get(link(manager, AGING)))
    assert len(rows) == 9 and {row["Region"] for row in rows} == {"广东大区"}  # region A only
    r = plain.get(link(manager, AGING, region_id=str(world.region_b.id)))
    assert r.status_code == 404 and r.json["reason"] == "region.not_found"
    rep = plain.get(link(api(world.rep_a1), AGING))
    assert rep.status_code == 403 and rep.json["reason"] == "role.forbidden"


def test_an_expired_link_is_refused(app, api, world):
    hq = api(world.hq)
    now, later = link(hq, STOCK), link(hq, STOCK)
    app.config["DOWNLOAD_LINK_SECONDS"] = 1
    try:
        assert app.test_client().get(now).status_code == 200
        time.sleep(2.2)
        refused(app.test_client().get(later))  # never followed, but its second is over
    finally:
        app.config["DOWNLOAD_LINK_SECONDS"] = 60


def test_a_tampered_or_other_link_is_refused(app, api, world, aging):  # noqa: F811
    plain = app.test_client()
    manager = api(world.manager_a)
    url = link(manager, AGING, region_id=str(world.region_a.id))
    token = dict(parse_qsl(urlsplit(url).query))["dl"]
    refused(plain.get(with_query(url, region_id=str(world.region_b.id))))  # another query
    refused(plain.get(with_query(url, partner_id="0")))  # a parameter more
    refused(plain.get(f"{STOCK}?{urlsplit(url).query}"))  # another export
    refused(plain.get(f"/api/v1/channel/aging?{urlsplit(url).query}"))  # not even a CSV
    refused(plain.get(with_query(url, dl=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))))  # its signature
    # Another user's: the payload names HQ with the manager's session (a key that leaked would
    # be needed to sign it; the session would still not be HQ's).
    with app.app_context():
        session = db.session.scalar(db.select(AuthToken.id).where(AuthToken.token_hash == hash_token(manager.token)))
        forged = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=downloads.SALT).dumps(
            {"u": world.hq.id, "s": session, "p": AGING, "q": [["region_id", str(world.region_b.id)]]}
        )
        elsewhere = URLSafeTimedSerializer("another key", salt=downloads.SALT).dumps(
            {"u": world.manager_a.id, "s": session, "p": AGING, "q": []}
        )
    refused(plain.get(f"{AGING}?region_id={world.region_b.id}&dl={forged}"))
    refused(plain.get(f"{AGING}?dl={elsewhere}"))
    # With a bearer header the header rules, the link is not looked at.
    other = api(world.manager_b).get(url)
    assert other.status_code == 404 and other.json["reason"] == "region.not_found"
    # None of the refusals above used the link up.
    assert plain.get(url).status_code == 200
    # Logged out: the session's links end with it.
    unused = link(manager, AGING)
    assert manager.post("/api/v1/auth/logout").status_code == 204
    refused(plain.get(unused))


def test_only_exports_get_links(api, world, client):
    hq = api(world.hq)
    for path in ("/api/v1/channel/stock", "/api/v1/auth/me", "/api/v1/channel/nothing.csv", "/elsewhere.csv"):
        r = hq.post(LINK, json={"path": path})
        assert r.status_code == 422 and r.json["reason"] == "download.not_an_export", path
    r = client.post(LINK, json={"path": STOCK})
    assert r.status_code == 401 and r.json["reason"] == "auth.login_first"
    assert hq.post(LINK, json={"path": STOCK, "query": {"lang": ["en"]}}).status_code == 422
