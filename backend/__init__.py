"""Field sales backend: the Flask application factory."""

from __future__ import annotations

import logging
from importlib import import_module
from pathlib import Path

import swagger_ui_bundle
from flask import Flask, Response, jsonify, request, send_from_directory
from flask_compress import Compress
from sqlalchemy import event
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from sync_protocol import SyncError

from .auth.requests import authenticate_request
from .cli import register_cli
from .config import ROOT, Config
from .core import security_headers
from .core.blueprint import api
from .core.errors import DomainError, TooManyRequests, code_for_status, error_body, first_field
from .core.requests import JSONProvider
from .core.schemas import INT32_MAX
from .extensions import db, migrate
from .jobs.app import use_factory
from .warranty import models as warranty_models
from .web import bp as web

BLUEPRINTS = (
    "auth",
    "org",
    "stores",
    "catalogue",
    "visits",
    "stock",
    "intel",
    "photos",
    "warranty",
    "sellout",
    "aftersales",
    "training",
    "tasks",
    "routes",
    "market",
    "channel",
    "desk",
    "sync",
    "health",
)

INIT_APP = ("jobs", "merge", "market", "channel", "aftersales", "sync")
"""Packages whose `init_app(app)` registers what they need at every commit (`core.transaction`
states), at the end of a request and so on. In layer order, which is the order the commit hooks
run in: the job outbox, the merge's clock, the domains, then the transport (the change log goes
last)."""


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.json = JSONProvider(app)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    app.json.sort_keys = False
    app.url_map.converters["int"] = IdConverter
    if app.config["TRUSTED_PROXY_HOPS"]:
        # Behind that many trusted reverse proxies, the client is what they say: its address
        # (X-Forwarded-For, for the login limits) and scheme (X-Forwarded-Proto). Without
        # proxies (0) those headers are ignored: anyone can send them.
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
    _prepare_storage(app)
    # First of the after_request hooks, so the last to run (Flask runs them in reverse): every
    # other hook (the security headers, which hash the API docs' HTML) sees the plain body.
    _install_compression(app)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=_migrations_dir(), render_as_batch=True, include_object=warranty_models.in_migrations
    )
    api.init_app(app)

    blueprints = [import_module(f".{name}.api", __name__).blp for name in BLUEPRINTS]
    for blp in blueprints:
        api.register_blueprint(blp)
    _describe_domains(blueprints)

    for name in INIT_APP:
        import_module(f".{name}", __name__).init_app(app)
    _install_error_handlers(app)
    _install_auth(app)
    security_headers.install(app)  # CSP, nosniff, HSTS on https
    _install_docs_assets(app)
    _install_sqlite_pragmas(app)
    register_cli(app)
    return app


UNCOMPRESSED_PATHS = ("/api/v1/auth/",)
"""Answers never compressed (BREACH): the login answer carries a new bearer token next to what the
client sent; under the prefix so that any later token endpoint is covered too."""

FILE_BUFFER_MAX = 4 * 1024 * 1024
"""A file response (the PWA's scripts, styles, HTML and WebAssembly, Swagger UI's) up to this size
is read into memory to be compressed whole, with a Content-Length and a conditional answer."""


class _Compress(Compress):
    """flask-compress, minus what must stay as it is: the auth answers, partial content (206:
    its Content-Range counts the file's bytes), larger files and streams (photos are images, not
    compressed anyway). A file of a compressible type is read first (flask-compress compresses
    only whole bodies here: `COMPRESS_STREAMS` is off)."""

    def after_request(self, response: Response) -> Response:
        if request.path.startswith(UNCOMPRESSED_PATHS) or response.status_code == 206:
            return response
        if not any(request.accept_encodings[name] > 0 for name in self.enabled_algorithms):
            # Nothing we offer is acceptable: no Accept-Encoding, or e.g. "gzip;q=0" (which
            # flask-compress 1.25 takes for a choice of gzip): the answer as it is.
            response.vary.add("Accept-Encoding")
            return response
        if (
            response.status_code == 200
            and response.is_streamed
            and response.direct_passthrough  # send_file's open file
            and response.mimetype in self.compress_mimetypes_set
            and response.content_length is not None
            and response.content_length <= FILE_BUFFER_MAX
        ):
            response.direct_passthrough = False
            response.make_sequence()  # the file is closed with the response
        response = super().after_request(response)
        if "Content-Encoding" in response.headers:
            # Ranges are served from the file itself, unencoded (under its own ETag): none of
            # the encoded body, which nginx's gzip does not offer either.
            response.headers.pop("Accept-Ranges", None)
        return response


def _install_compression(app: Flask) -> None:
    """JSON and the text files the app serves, gzip-, br- or zstd-encoded as the client's
    Accept-Encoding asks (flask-compress; the settings are config.py's `COMPRESS_*`)."""
    if app.config["COMPRESS_RESPONSES"]:
        _Compress(app)


def _describe_domains(blueprints) -> None:
    """The OpenAPI description ends with the list of domains, from the registered blueprints, so
    it never lags behind them (read off the blueprints: building the whole document at start-up,
    in every web and rq worker, only to list them would cost more)."""
    info = dict(api.spec.options.get("info", {}))
    lines = [f"- **{blp.name}**: {blp.description}" for blp in blueprints]
    info["description"] = info.get("description", "") + "\n\nDomains:\n\n" + "\n".join(lines)
    api.spec.options["info"] = info  # a copy: the config's dict is shared by every app


class IdConverter(IntegerConverter):
    """`<int:…>` in routes, up to the largest id of an INTEGER column: a larger number in a path
    is no route (404, like any id that does not exist) rather than a value PostgreSQL refuses
    (a DataError, a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT32_MAX, signed=False):  # werkzeug's names
        super().__init__(map, fixed_digits, min, max, signed)


def _migrations_dir() -> str:
    return str(ROOT / "migrations")


def _prepare_storage(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    Path(app.config["PHOTO_DIR"]).mkdir(parents=True, exist_ok=True)


def _install_sqlite_pragmas(app: Flask) -> None:
    """SQLite: enforce foreign keys, and use WAL so readers do not block the writer."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()


def _install_auth(app: Flask) -> None:
    app.before_request(authenticate_request)


def _install_docs_assets(app: Flask) -> None:
    """Serve Swagger UI's files from the swagger-ui-bundle package: /api/docs works offline."""

    @app.route("/api/swagger-ui/<path:filename>")
    def swagger_ui_assets(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    # Registered last: its catch-all route must not shadow the API's or the docs'.
    app.register_blueprint(web)


def _install_error_handlers(app: Flask) -> None:
    """Every error answers the one body of `core.errors.error_body`: code, status, message,
    field, errors, details."""
    log = logging.getLogger("backend")

    def answer(body: dict):
        response = jsonify(body)
        response.status_code = body["status"]
        return response

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        response = answer(exc.to_dict())
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(SyncError)
    def sync_error(exc: SyncError):
        db.session.rollback()
        errors = {"json": {exc.field: [exc.message]}} if exc.field else None
        return answer(
            error_body(exc.code, exc.message, status=400, field=exc.field, errors=errors, details=exc.details)
        )

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):
        # The database is down or busy: nothing was committed, and the client should retry.
        db.session.rollback()
        log.warning("database unavailable: %s", exc.orig)
        response = answer(error_body("unavailable", "The database is unavailable; try again shortly.", status=503))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        # Services check references and uniqueness first; this is the race they cannot see.
        db.session.rollback()
        log.warning("integrity error: %s", exc.orig)
        return answer(
            error_body(
                "conflict",
                "The change conflicts with data saved at the same moment; try again.",
                status=409,
                reason="write_conflict",
            )
        )

    @app.errorhandler(DataError)
    def data_error(exc: DataError):
        # A safety net: schemas bound every value to its column (core/schemas.py), so reaching
        # here means a bound is missing somewhere: logged as an error, to be fixed at the schema.
        db.session.rollback()
        log.error("database refused a value (a missing input bound): %s", exc.orig)
        return answer(
            error_body(
                "invalid", "A value is out of the range the database can store.", status=422, reason="out_of_range"
            )
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        data = getattr(exc, "data", None)  # webargs/flask-smorest put field errors here
        if data and "messages" in data:
            messages = data["messages"]
            field = first_field(messages)
            # "json.store_id" names the location too; the field path is what follows it.
            field = field.partition(".")[2] or None if field else None
            # The reason names the first field at fault, for a client to say it in its language.
            return answer(
                error_body(
                    code_for_status(status),
                    _summary(messages),
                    status=status,
                    field=field,
                    errors=messages,
                    reason="invalid_value" if status == 422 else None,
                    params={"field": field or ""} if status == 422 else None,
                )
            )
        return answer(error_body(code_for_status(status), exc.description or exc.name, status=status))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return answer(error_body("internal_error", "Something went wrong on our side.", status=500))


def _summary(messages: dict) -> str:
    """One readable line naming the fields, e.g. 'json.latitude: Must be between -90 and 90.'"""
    parts = []

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            parts.append(f"{prefix}: {' '.join(value)}")
        else:
            parts.append(f"{prefix}: {value}")

    walk("", messages)
    return "; ".join(parts)[:1000] or "Invalid input."


# A job run outside a request (an RQ worker) builds its app with this factory: handed over rather
# than imported by backend.jobs, which sits below every domain the factory imports.
use_factory(create_app)
