"""A signed download link works once (backend/auth/downloads.py): its first use is recorded in
`download_link_uses` (the link's nonce) and any later use — the same URL, a retry or resumed
download, another spelling of the same token, another worker at the same moment — is refused
401 auth.link_invalid. The rows are pruned once their links have expired."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import func, select

from backend.auth import downloads
from backend.extensions import db
from backend.jobs import periodic
from tests.channel.test_download_links import link, refused, with_query
from tests.channel.test_export import STOCK, rows_of

pytestmark = pytest.mark.usefixtures("rq_worker")

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def uses() -> int:
    db.session.rollback()  # a fresh snapshot: the requests committed on their own connections
    return db.session.scalar(select(func.count()).select_from(downloads.DownloadLinkUse))


def test_a_link_works_once(app, api, world):
    hq = api(world.hq)
    plain = app.test_client()
    url = link(hq, STOCK, group="region")
    first = plain.get(url)
    assert first.status_code == 200 and rows_of(first) == rows_of(hq.get(STOCK, query_string={"group": "region"}))
    assert uses() == 1
    refused(plain.get(url))  # the same URL again
    refused(app.test_client().get(url, headers={"Range": "bytes=100-"}))  # a download manager resuming
    # The signature's last base64 character has two bits no byte uses: another spelling of the
    # same token that itsdangerous accepts as well. The link's nonce, not its text, was used.
    token = dict(parse_qsl(urlsplit(url).query))["dl"]
    last = B64.index(token[-1])
    twin = token[:-1] + B64[last ^ 1]
    assert downloads._serializer().loads(twin) == downloads._serializer().loads(token)
    refused(plain.get(with_query(url, dl=twin)))
    assert uses() == 1


def test_each_link_is_a_use_of_its_own(app, api, world):
    """Links asked for in the same second, for the same export, are different links (a double
    click exports twice); a refused use of one does not use up the other."""
    hq = api(world.hq)
    plain = app.test_client()
    one, two = link(hq, STOCK), link(hq, STOCK)
    assert one != two
    assert plain.get(one).status_code == 200
    refused(plain.get(one))
    assert plain.get(two).status_code == 200
    refused(plain.get(two))
    assert uses() == 2


def _race(app, url: str, n: int) -> list:
    """`n` clients follow `url` at once (a barrier before each): their (status, reason)."""
    barrier = threading.Barrier(n)
    answers: list = [None] * n
    errors: list[BaseException] = []

    def follow(i: int) -> None:
        try:
            client = app.test_client()
            barrier.wait(timeout=30)
            r = client.get(url)
            answers[i] = (r.status_code, r.json.get("reason") if r.is_json else None)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=follow, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return answers


def test_two_uses_at_once_one_wins(app, api, world):
    """Several clients follow one link at the same moment (each request its own thread, app
    context and database connection, as in workers): exactly one gets the file, the others 401
    — never two files, never a 500. On SQLite the writers take turns; on PostgreSQL the inserts
    of the same key meet in the unique index (the later waits for the first one's commit)."""
    hq = api(world.hq)
    for _round in range(5):
        answers = _race(app, link(hq, STOCK), 3)
        assert sorted(answers) == [(200, None), (401, "auth.link_invalid"), (401, "auth.link_invalid")], answers
    assert uses() == 5


def test_used_links_are_forgotten_once_expired(app, api, world, monkeypatch):
    hq = api(world.hq)
    plain = app.test_client()
    monkeypatch.setattr(downloads, "KEEP_AFTER", timedelta(0))
    url = link(hq, STOCK)
    app.config["DOWNLOAD_LINK_SECONDS"] = 4  # room for a loaded machine between the link and the first prune
    try:
        assert plain.get(url).status_code == 200
        assert periodic.run_task("prune-download-links", force=True) == "deleted 0 used download links"
        assert uses() == 1  # its link still works for a moment: the row stays
        time.sleep(6.2)  # past the link's age in whole seconds too (the signature's timestamp)
        assert periodic.run_task("prune-download-links", force=True) == "deleted 1 used download links"
        assert uses() == 0
        refused(plain.get(url))  # gone from the table, refused by its signature's age
    finally:
        app.config["DOWNLOAD_LINK_SECONDS"] = 60
