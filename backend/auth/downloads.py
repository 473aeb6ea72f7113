"""Signed download links: a file the server makes (a CSV export) downloads straight into the
browser's download manager through a plain `<a href download>` — which cannot send the bearer
header — instead of being fetched into a Blob held in the page's memory.

POST /auth/download-link (with the bearer token) answers a URL of the export with `dl=<token>`:
an itsdangerous signature (the app's SECRET_KEY, a salt of its own: good for nothing else) of
{user, session, path, query, nonce}, valid DOWNLOAD_LINK_SECONDS (60 s). Following it, the
request is that user's (`authenticate_request`), so the export's scope applies as to a bearer
request — a manager still gets their region only; another path or query, another user's or a
tampered, expired, logged-out (session revoked) link: 401 `auth.link_invalid`. Only `.csv` GET
endpoints take links.

A link works once: its first use inserts the link's random nonce into `download_link_uses`
(INSERT … ON CONFLICT DO NOTHING on its primary key, committed before the export runs), and a
use that inserts nothing — the link was followed before, by this or any other worker — is
refused. Whoever sees the URL later (a shared screen, a proxy's log, the browser's history)
cannot fetch the file again. The nonce, not the token, is the key: the token's base64 text has
spellings that decode alike (the unused bits of its last character), the signed payload does
not. A row is kept a minute past its link's end (`prune-download-links`, a housekeeping task,
deletes it then). A browser that retries or resumes a download (a Range request) asks again
with the same link and is refused: the exports are streamed (no Range support, so the
download manager could only restart from scratch anyway), and a new export click makes a new
link."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import current_app, g, request
from flask.views import MethodView
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import fields, validate
from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from ..core.errors import InvalidInput, Unauthorized
from ..core.schemas import BaseSchema
from ..core.timeutil import to_naive_utc, utcnow
from ..extensions import db
from ..jobs.periodic import periodic
from .api import blp
from .models import AuthToken, User, hash_token

LINK_PARAM = "dl"
SALT = "field-sales.download-link"
API = "/api/v1/"
# A used link's row outlives the link by this much (clocks of several hosts may differ a little).
KEEP_AFTER = timedelta(minutes=1)


class DownloadLinkUse(db.Model):
    """A download link followed once (its nonce), kept until the link has expired anyway."""

    __tablename__ = "download_link_uses"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)


def _seconds() -> int:
    return int(current_app.config.get("DOWNLOAD_LINK_SECONDS", 60))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _pairs(query) -> list[list[str]]:
    """The query as sorted [name, value] pairs, the link's own parameter left out."""
    return sorted([str(k), str(v)] for k, v in query if k != LINK_PARAM)


def _exports(path: str) -> bool:
    """A GET endpoint of this app under /api/v1 whose path ends in .csv."""
    if not path.startswith(API) or not path.endswith(".csv") or "?" in path:
        return False
    try:
        current_app.url_map.bind("").match(path, method="GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return False
    return True


def link_for(user: User, bearer: str, path: str, query: dict) -> str:
    """The export's URL with its signed link parameter."""
    if not _exports(path):
        raise InvalidInput(
            f"{path} is no export of this server.", field="path", reason="download.not_an_export", params={"path": path}
        )
    session = db.session.scalar(select(AuthToken.id).where(AuthToken.token_hash == hash_token(bearer)))
    pairs = _pairs((k, v) for k, v in query.items() if v is not None and v != "")
    nonce = secrets.token_urlsafe(16)  # which makes each link a use of its own
    token = _serializer().dumps({"u": user.id, "s": session, "p": path, "q": pairs, "n": nonce})
    return f"{path}?{urlencode([*map(tuple, pairs), (LINK_PARAM, token)])}"


def user_for_link(token: str) -> User:
    """The user a link of this request was made for, or 401: signed by us for this path and
    query, within its minute, its session still open, its user active, never followed before.
    The use is committed here (the request's transaction has written nothing yet)."""
    refused = Unauthorized("The download link is invalid or expired: export again.", reason="auth.link_invalid")
    try:
        data, signed_at = _serializer().loads(token, max_age=_seconds(), return_timestamp=True)
    except BadSignature:  # SignatureExpired is one
        raise refused from None
    if (
        not isinstance(data, dict)
        or data.get("p") != request.path
        or data.get("q") != _pairs(request.args.items(multi=True))
        or not isinstance(data.get("n"), str)
        or not 0 < len(data["n"]) <= 32
    ):
        raise refused
    session = db.session.get(AuthToken, data.get("s")) if isinstance(data.get("s"), int) else None
    if session is None or session.user_id != data.get("u") or session.revoked_at is not None:
        raise refused
    if session.expires_at <= utcnow():
        raise refused
    user = db.session.get(User, session.user_id)
    if user is None or not user.active:
        raise refused
    if not _first_use(data["n"], to_naive_utc(signed_at) + timedelta(seconds=_seconds()) + KEEP_AFTER):
        raise refused
    return user


def _first_use(nonce: str, keep_until: datetime) -> bool:
    """Record the link's use and commit it: False when it was used before. One statement on
    the primary key, so of two workers following one link at the same moment exactly one
    inserts the row (on PostgreSQL the other waits for its commit, then inserts nothing)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(DownloadLinkUse)
        .values(nonce=nonce, expires_at=keep_until)
        .on_conflict_do_nothing(index_elements=[DownloadLinkUse.nonce])
        .returning(DownloadLinkUse.nonce)
    )
    first = db.session.execute(stmt).first() is not None
    db.session.commit()
    return first


@periodic("prune-download-links")
def _prune_uses() -> str:
    """Forget the uses of links that have expired (their signature refuses them by itself)."""
    deleted = db.session.execute(delete(DownloadLinkUse).where(DownloadLinkUse.expires_at < utcnow())).rowcount
    db.session.commit()
    return f"deleted {deleted} used download links"


def link_token() -> str | None:
    """The link parameter of a GET request without a bearer header (else None: the header rules)."""
    if request.method != "GET" or request.headers.get("Authorization"):
        return None
    return request.args.get(LINK_PARAM) or None


class DownloadLinkSchema(BaseSchema):
    path = fields.String(
        required=True,
        validate=validate.Length(max=500),
        metadata={"description": "An export's path, e.g. /api/v1/channel/stock.csv"},
    )
    query = fields.Dict(
        keys=fields.String(validate=validate.Length(max=100)),
        values=fields.String(allow_none=True, validate=validate.Length(max=200)),
        load_default=dict,
        metadata={"description": "Its query parameters (empty and null ones are left out)"},
    )


class DownloadLinkAnswerSchema(BaseSchema):
    url = fields.String(metadata={"description": "The export's path and query with its `dl` link parameter"})
    expires_in = fields.Integer(metadata={"description": "Seconds the link works (once: a second use is refused)"})


@blp.route("/auth/download-link")
class DownloadLink(MethodView):
    @blp.arguments(DownloadLinkSchema)
    @blp.response(200, DownloadLinkAnswerSchema)
    def post(self, data):
        """A single-use link to an export (a .csv GET) for `<a href download>`: no bearer header, one minute.

        The link is bound to the user, their session, the path and the query. Following it a
        second time (a retry, a resumed download, anyone else who saw the URL) answers 401
        `auth.link_invalid`: ask for a new link.
        """
        return {"url": link_for(g.user, g.token, data["path"], data["query"]), "expires_in": _seconds()}
