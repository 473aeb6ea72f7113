"""Who is calling: bearer-token authentication for the API, and role checks for views."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import g, request

from .errors import DomainError, Forbidden

# Paths that answer without a token (the docs live outside /api/v1).
PUBLIC_PATHS = {"/api/v1/auth/login", "/api/v1/health", "/api/v1/app-config"}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def hash_token(token: str) -> str:
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
    from ..auth.service import user_for_token

    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("The token is invalid, expired or revoked: log in again.")
    g.user = user
    g.token = token.strip()


def current_user():
    return g.user


def require_roles(*roles: str) -> Callable:
    """Decorate a view method: callers whose role is not listed get 403."""

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if g.user.role not in roles:
                raise Forbidden(f"Your role ({g.user.role}) may not do this.")
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def check_role(user, *roles: str) -> None:
    """The same check for service functions (called by REST and by sync alike)."""
    if user.role not in roles:
        raise Forbidden(f"Your role ({user.role}) may not do this.")
