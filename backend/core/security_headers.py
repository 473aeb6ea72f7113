"""Security headers on every response (an after_request hook; no dependency).

Three Content-Security-Policies, chosen by what the response is:

- the app (the PWA's shell, its assets, the service worker: every path outside /api/):
  scripts from the app's origin only, plus 'wasm-unsafe-eval' so that the barcode reader can
  compile ZXing's .wasm (WebAssembly.instantiate; no 'unsafe-eval', no inline script: the built
  index.html has none, main.js registers the service worker); styles from the origin only (Leaflet,
  uPlot and Preact set styles through the CSSOM, which CSP does not restrict); images from the
  origin, data: (Leaflet's CSS icons), blob: (photo previews, thumbnails fetched with the token)
  and the map tile server, whose origin comes from MAP_TILE_URL;
- Swagger UI at /api/docs (flask-smorest's page): its one inline script allowed by its sha256
  hash, computed from the page as rendered; scripts and styles otherwise from the origin only;
- everything else under /api/ (JSON, errors, the OpenAPI document, photo bytes, Swagger UI's own
  files): `default-src 'none'`, nothing in such a response can load or run anything.

Every response also says nosniff, strict-origin-when-cross-origin (the tile server sees the app's
origin, which OpenStreetMap's tile policy asks for, never a path), frame-ancestors 'none' and
X-Frame-Options DENY; Strict-Transport-Security only when the request came over HTTPS
(request.is_secure: behind a proxy, that is what ProxyFix makes of X-Forwarded-Proto).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask.wrappers import Response

log = logging.getLogger("backend")

API_POLICY = "default-src 'none'; frame-ancestors 'none'"

_APP_POLICY = (
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src {img}",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

_DOCS_POLICY = (
    "default-src 'none'",
    "script-src 'self' {hashes}",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

# flask-smorest's Swagger UI page; its ReDoc and RapiDoc pages (not configured here) load their
# scripts from CDNs and would get the strict API policy.
DOCS_ENDPOINTS = {"api-docs.openapi_swagger_ui"}

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_HOST = re.compile(r"(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")


def install(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _policy_for(response))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/v1/") and "Cache-Control" not in headers:
        # API answers hold a user's data: no browser or proxy cache keeps them (a signed-out
        # phone's HTTP cache must not; photos say their own, private, caching).
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        hsts = hsts_value(current_app.config.get("HSTS_SECONDS", 0), current_app.config.get("HSTS_INCLUDE_SUBDOMAINS"))
        if hsts:
            headers.setdefault("Strict-Transport-Security", hsts)
    return response


def _policy_for(response: Response) -> str:
    path = request.path
    if not (path == "/api" or path.startswith("/api/")):
        return app_policy(current_app.config.get("MAP_TILE_URL") or "")
    if request.endpoint in DOCS_ENDPOINTS and response.mimetype == "text/html" and not response.direct_passthrough:
        return docs_policy(response.get_data())
    return API_POLICY


@lru_cache(maxsize=8)
def app_policy(tile_url: str) -> str:
    img = ["'self'", "data:", "blob:"]
    tiles = tile_source(tile_url)
    if tiles:
        img.append(tiles)
    return "; ".join(_APP_POLICY).replace("{img}", " ".join(img))


def docs_policy(html: bytes) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(_DOCS_POLICY).replace(" {hashes}", f" {hashes}" if hashes else "")


def tile_source(url_template: str) -> str | None:
    """The CSP source for the images of a Leaflet tile URL template: `https://tile.example.org`;
    `https://*.tile.example.org` for a `{s}` subdomain; None for no tiles or tiles on the app's
    own origin (a relative URL: 'self' has them). A template CSP cannot express narrowly (a
    placeholder deeper in the host name) allows its scheme, with a warning."""
    url = url_template.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.netloc:
        return None  # a path on the app's origin
    scheme = parts.scheme.lower()
    if scheme not in ("", "http", "https"):
        log.warning("MAP_TILE_URL %r: not an http(s) URL, no tile source in the CSP", url)
        return None
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    if "{" in labels[0] or "}" in labels[0]:
        labels[0] = "*"
    host = ".".join(labels)
    if "{" in port or "}" in port:
        port = "*"
    if not _HOST.fullmatch(host) or (port and not (port == "*" or port.isdigit())):
        if scheme:
            log.warning(
                "MAP_TILE_URL %r: its host cannot be a CSP source; images allowed from any %s: URL", url, scheme
            )
            return f"{scheme}:"
        log.warning("MAP_TILE_URL %r: its host cannot be a CSP source, no tile source in the CSP", url)
        return None
    source = f"{scheme}://{host}" if scheme else host
    return f"{source}:{port}" if port else source


def hsts_value(seconds, include_subdomains) -> str | None:
    seconds = int(seconds or 0)
    if seconds <= 0:
        return None
    return f"max-age={seconds}" + ("; includeSubDomains" if include_subdomains else "")
