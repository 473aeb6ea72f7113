"""Serves the built PWA (pwa/dist) at `/`, with client-side routes falling back to the app."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.routing import PathConverter

from . import config

bp = Blueprint("web", __name__)


class AppPathConverter(PathConverter):
    """A path outside `/api/`: unknown API URLs stay 404 (or 405) JSON answers for every method,
    instead of matching the app shell's GET-only catch-all (which would make them 405)."""

    regex = r"(?!api(?:/|$))[^/].*?"


@bp.record_once
def _converter(state):
    state.app.url_map.converters["app_path"] = AppPathConverter


_NOT_BUILT = (
    '<!doctype html><meta charset="utf-8"><title>Field Sales</title>'
    "<h1>Field Sales</h1><p>The app is not built yet: run <code>make run</code> "
    "(or <code>cd pwa &amp;&amp; npm ci &amp;&amp; npm run build</code>).</p>"
    '<p><a href="/api/docs">Interactive API docs</a></p>'
)


_ICON = "icons/icon-192.png"


def _dist() -> Path:
    return Path(current_app.config["PWA_DIST"])


@bp.route("/lan-ca.crt")
def lan_ca():
    """The LAN trial's certificate authority (`flask lan-cert`), for a phone to install; 404
    when there is none. A CA certificate is public: serving it gives nothing away."""
    folder = config.INSTANCE / "tls"  # read at each call: tests point it elsewhere
    if not (folder / "ca.crt").is_file():
        abort(404)
    return send_from_directory(folder, "ca.crt", mimetype="application/x-x509-ca-cert")


@bp.route("/", defaults={"path": ""})
@bp.route("/<app_path:path>")
def app_shell(path: str):
    dist = _dist()
    if path and (dist / path).is_file():
        response = send_from_directory(dist, path)
        if path in ("sw.js", "index.html", "manifest.webmanifest") or path.startswith("workbox-"):
            # The service worker must see a new version as soon as it is deployed.
            response.cache_control.no_cache = True
            response.cache_control.max_age = 0
        elif path.startswith("assets/"):
            response.cache_control.max_age = 31536000  # content-hashed file names
            response.cache_control.immutable = True
        return response
    if path == "favicon.ico" and (dist / _ICON).is_file():
        # Browsers ask for /favicon.ico on their own; the app's icon answers it.
        return send_from_directory(dist, _ICON, mimetype="image/png")
    if "." in path.rsplit("/", 1)[-1]:
        # A missing file (an old asset, a typo) is a 404, not the app shell with a 200: a
        # browser or cache would otherwise keep HTML under a script's or an image's name.
        abort(404)
    if not (dist / "index.html").is_file():
        return _NOT_BUILT, 200
    response = send_from_directory(dist, "index.html")
    response.cache_control.no_cache = True
    return response
