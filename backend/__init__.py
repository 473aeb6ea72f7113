"""Field sales backend: the Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, send_from_directory
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .config import Config
from .extensions import api, db, migrate

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
    "routes",
    "market",
    "sync",
    "health",
)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    app.json.sort_keys = False
    app.url_map.converters["int"] = Int64Converter
    _prepare_storage(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir(), render_as_batch=True)
    api.init_app(app)

    from importlib import import_module

    for name in BLUEPRINTS:
        api.register_blueprint(import_module(f".{name}.api", __name__).blp)

    from .sync import changelog, clock

    changelog.install()
    clock.install()
    from .jobs import install as install_jobs

    install_jobs(app)
    from .market.service import install as install_market

    install_market()
    _install_error_handlers(app)
    _install_auth(app)
    _install_docs_assets(app)
    _install_sqlite_pragmas(app)

    from .cli import register_cli

    register_cli(app)
    return app


class Int64Converter(IntegerConverter):
    """`<int:…>` in routes, up to the largest 64-bit id: a longer number in a path is no route
    (404) rather than a value the database driver cannot bind (an OverflowError, a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def _migrations_dir() -> str:
    from .config import ROOT

    return str(ROOT / "migrations")


def _prepare_storage(app: Flask) -> None:
    from pathlib import Path

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    Path(app.config["PHOTO_DIR"]).mkdir(parents=True, exist_ok=True)


def _install_sqlite_pragmas(app: Flask) -> None:
    """SQLite: enforce foreign keys, and use WAL so readers do not block the writer."""
    from sqlalchemy import event

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
    from .core.auth import authenticate_request

    app.before_request(authenticate_request)


def _install_docs_assets(app: Flask) -> None:
    """Serve Swagger UI's files from the swagger-ui-bundle package: /api/docs works offline."""
    import swagger_ui_bundle

    @app.route("/api/swagger-ui/<path:filename>")
    def swagger_ui_assets(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    from .web import bp as web

    # Registered last: its catch-all route must not shadow the API's or the docs'.
    app.register_blueprint(web)


def _install_error_handlers(app: Flask) -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    from sync_protocol import SyncError

    from .core.errors import DomainError, TooManyRequests

    log = logging.getLogger("backend")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        response = jsonify(exc.to_dict() | {"status": _reason(exc.status)})
        response.status_code = exc.status
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(SyncError)
    def sync_error(exc: SyncError):
        db.session.rollback()
        body = {"code": 400, "status": "Bad Request", "error": exc.code, "message": exc.message}
        if exc.field:
            body["errors"] = {"json": {exc.field: [exc.message]}}
        if exc.details:
            body["details"] = exc.details
        return jsonify(body), 400

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):
        # The database is down or busy: nothing was committed, and the client should retry.
        db.session.rollback()
        log.warning("database unavailable: %s", exc.orig)
        response = jsonify(
            code=503,
            status="Service Unavailable",
            error="unavailable",
            message="The database is unavailable; try again shortly.",
        )
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        # Services check references and uniqueness first; this is the race they cannot see.
        db.session.rollback()
        log.warning("integrity error: %s", exc.orig)
        return jsonify(
            code=409,
            status="Conflict",
            error="conflict",
            message="The change conflicts with data saved at the same moment; try again.",
        ), 409

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        body = {"code": exc.code, "status": exc.name, "message": exc.description}
        data = getattr(exc, "data", None)  # webargs/flask-smorest put field errors here
        if data and "messages" in data:
            body["errors"] = data["messages"]
            body["message"] = _summary(data["messages"])
        response = jsonify(body)
        response.status_code = exc.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return jsonify(code=500, status="Internal Server Error", message="Something went wrong on our side."), 500


def _reason(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


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
