"""Signed download links: a file the server makes (a CSV export) downloads straight into the
browser's download manager through a plain `<a href download>` — which cannot send the bearer
header — instead of being fetched into a Blob held in the page's memory.

POST /auth/download-link (with the bearer token) answers a URL of the export with `dl=<token>`:
an itsdangerous signature (the app's SECRET_KEY, a salt of its own: good for nothing else) of
{user, session, path, query}, valid DOWNLOAD_LINK_SECONDS (60 s). Following it, the request is
that user's (`authenticate_request`), so the export's scope applies as to a bearer request — a
manager still gets their region only; another path or query, another user's or a tampered,
expired, logged-out (session revoked) link: 401 `auth.link_invalid`. Only `.csv` GET endpoints
take links. A link works for its minute, as often as it is followed (a browser may resume)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, g, request
from flask.views import MethodView
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import fields, validate
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from ..core.errors import InvalidInput, Unauthorized
from ..core.schemas import BaseSchema
from ..core.timeutil import utcnow
from ..extensions import db
from .api import blp
from .models import AuthToken, User, hash_token

LINK_PARAM = "dl"
SALT = "field-sales.download-link"
API = "/api/v1/"


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
    token = _serializer().dumps({"u": user.id, "s": session, "p": path, "q": pairs})
    return f"{path}?{urlencode([*map(tuple, pairs), (LINK_PARAM, token)])}"


def user_for_link(token: str) -> User:
    """The user a link of this request was made for, or 401: signed by us for this path and
    query, within its minute, its session still open, its user active."""
    refused = Unauthorized("The download link is invalid or expired: export again.", reason="auth.link_invalid")
    try:
        data = _serializer().loads(token, max_age=_seconds())
    except BadSignature:  # SignatureExpired is one
        raise refused from None
    if (
        not isinstance(data, dict)
        or data.get("p") != request.path
        or data.get("q") != _pairs(request.args.items(multi=True))
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
    return user


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
    expires_in = fields.Integer(metadata={"description": "Seconds the link works"})


@blp.route("/auth/download-link")
class DownloadLink(MethodView):
    @blp.arguments(DownloadLinkSchema)
    @blp.response(200, DownloadLinkAnswerSchema)
    def post(self, data):
        """A link to an export (a .csv GET) that needs no bearer header, for a minute: for `<a href download>`."""
        return {"url": link_for(g.user, g.token, data["path"], data["query"]), "expires_in": _seconds()}
