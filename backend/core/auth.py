"""Role checks, for views (`require_roles`) and for the service functions REST and sync share
(`check_role`). Authenticating a request is the auth domain's (`backend/auth/requests.py`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g

from .errors import Forbidden


def current_user():
    return g.user


def require_roles(*roles: str) -> Callable:
    """Decorate a view method: callers whose role is not listed get 403."""

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if g.user.role not in roles:
                raise Forbidden(
                    f"Your role ({g.user.role}) may not do this.", reason="role.forbidden", params={"role": g.user.role}
                )
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def check_role(user, *roles: str) -> None:
    """The same check for service functions (called by REST and by sync alike)."""
    if user.role not in roles:
        raise Forbidden(
            f"Your role ({user.role}) may not do this.", reason="role.forbidden", params={"role": user.role}
        )
