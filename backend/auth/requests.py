"""Who is calling: the bearer-token authentication of every API request (a before_request hook
the app factory installs), and the hash under which a token is stored."""

from __future__ import annotations

import hashlib

from flask import g, request

from ..core.errors import Unauthorized

# Paths that answer without a token (the docs live outside /api/v1).
PUBLIC_PATHS = {"/api/v1/auth/login", "/api/v1/health", "/api/v1/app-config"}


def hash_token(token: str) -> str:
    """Only the sha256 of a token is stored, so a database leak does not leak sessions."""
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate_request() -> None:
    """before_request hook: every /api/v1 path but the public ones needs a valid bearer token."""
    if not request.path.startswith("/api/v1/") or request.path in PUBLIC_PATHS:
        return
    if request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Log in first: send 'Authorization: Bearer <token>'.")
    from .service import user_for_token  # service imports hash_token from here

    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("The token is invalid, expired or revoked: log in again.")
    g.user = user
    g.token = token.strip()
