"""Who is calling: the bearer-token authentication of every API request (a before_request hook
the app factory installs). Tokens are stored hashed (`models.hash_token`)."""

from __future__ import annotations

from flask import g, request

from ..core.errors import Unauthorized
from . import downloads
from .service import user_for_token

# Paths that answer without a token (the docs live outside /api/v1).
PUBLIC_PATHS = {"/api/v1/auth/login", "/api/v1/health", "/api/v1/app-config"}


def authenticate_request() -> None:
    """before_request hook: every /api/v1 path but the public ones needs a valid bearer token."""
    if not request.path.startswith("/api/v1/") or request.path in PUBLIC_PATHS:
        return
    if request.method == "OPTIONS":
        return
    link = downloads.link_token()
    if link is not None:  # an export's signed download link (`downloads`): no bearer header
        g.user, g.token = downloads.user_for_link(link), None
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Log in first: send 'Authorization: Bearer <token>'.", reason="auth.login_first")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("The token is invalid, expired or revoked: log in again.", reason="auth.token_invalid")
    g.user = user
    g.token = token.strip()
