"""Domain errors raised by service functions.

Service functions raise these; the REST layer turns them into HTTP answers and the sync layer
turns them into `rejected` mutation outcomes, so each rule is written once and reported the same
way everywhere.
"""

from __future__ import annotations

import errno
import os
from http import HTTPStatus

from sqlalchemy.exc import OperationalError, StatementError

from .reasons import checked_reason

# Machine codes of answers that are not domain errors (webargs' 422, werkzeug's 404…): the
# status phrase in snake case, but for these, named like the domain errors of the same status.
_STATUS_CODES = {413: "too_large", 422: "invalid", 500: "internal_error", 503: "unavailable"}


def code_for_status(status: int) -> str:
    """The machine code of an HTTP status: `not_found`, `method_not_allowed`, `invalid`…"""
    if status in _STATUS_CODES:
        return _STATUS_CODES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"http_{status}"
    return "_".join(phrase.lower().replace("-", " ").replace("'", "").split())


def error_body(
    code: str,
    message: str,
    *,
    status: int | None = None,
    field: str | None = None,
    errors: dict | None = None,
    details: dict | None = None,
    reason: str | None = None,
    params: dict | None = None,
) -> dict:
    """The one error body: `code` (a machine code, string), `message` (the fallback text), the
    `field` at fault as a path, `errors` ({location: {field: [messages]}} over REST, {field:
    [messages]} in a mutation) and `details`. REST answers add `status` (the HTTP status);
    a refused sync mutation has none. `reason` (which rule refused, from core/reasons.py) and
    `params` (its numbers and names, as data) let a client say it in the user's language."""
    reason, params = checked_reason(reason, params)
    body: dict = {"code": code}
    if status is not None:
        body["status"] = status
    body["message"] = message
    if reason:
        body["reason"] = reason
        body["params"] = params or {}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    if details:
        body["details"] = details
    return body


def first_field(messages: object) -> str | None:
    """The path of the first field in marshmallow-style messages ({"answers": {0: {"item_id":
    [...]}}} → "answers.0.item_id"); None when they name no field."""
    path: list[str] = []
    while isinstance(messages, dict) and messages:
        key, messages = next(iter(messages.items()))
        if key == "_schema":
            break
        path.append(str(key))
    return ".".join(path) or None


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: dict | None = None,
        location: str = "json",
        reason: str | None = None,
        params: dict | None = None,
    ):
        super().__init__(message)
        reason, params = checked_reason(reason, params)
        self.message = message
        self.reason = reason  # which rule refused (core/reasons.py); `message` is its English text
        self.params = params
        self.field = field
        self.details = details or {}
        self.location = location  # where the field was: json (the body) or query

    def to_dict(self, *, rest: bool = True) -> dict:
        """The error body: over REST (with `status` and `errors` by location), or as a refused
        sync mutation's `error` (`rest=False`)."""
        if not rest:
            return error_body(
                self.code, self.message, field=self.field, details=self.details, reason=self.reason, params=self.params
            )
        errors = {self.location: {self.field: [self.message]}} if self.field else None
        return error_body(
            self.code,
            self.message,
            status=self.status,
            field=self.field,
            errors=errors,
            details=self.details,
            reason=self.reason,
            params=self.params,
        )


class InvalidInput(DomainError):
    """A value passed type checks but breaks a business rule; `field` names it."""

    status = 422
    code = "invalid"


class NotFound(DomainError):
    """Missing, or outside the caller's scope: both answer the same so scope is not leaked."""

    status = 404
    code = "not_found"


class Unauthorized(DomainError):
    """No valid bearer token, or a wrong username or password (401)."""

    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """The caller's role may not do this at all."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request contradicts existing state (same id with different content, a duplicate…)."""

    status = 409
    code = "conflict"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int, *, reason: str | None = None, params: dict | None = None):
        super().__init__(message, reason=reason, params=params)
        self.retry_after = retry_after


class PayloadTooLarge(DomainError):
    status = 413
    code = "too_large"


class InsufficientStorage(DomainError):
    """The server's disk is full: nothing was kept; the client should send it again later."""

    status = 507
    code = "insufficient_storage"


def public_reason(exc: BaseException) -> str:
    """What went wrong, fit to show a user or keep on a row they read: a database error names
    its kind and the database's first line, never the SQL or its parameters (which hold buyers'
    names, phones and addresses)."""
    if isinstance(exc, OperationalError):
        return "OperationalError: the database was unavailable"
    if isinstance(exc, StatementError):
        orig = exc.orig if exc.orig is not None else exc
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
        return f"{type(exc).__name__}: {first}"[:300]
    return f"{type(exc).__name__}: {exc}"[:1000]


def out_of_space(exc: BaseException) -> bool:
    """The disk (or the user's quota) is full: an error that freeing space fixes."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def storage_full(exc: OSError, message: str, *, reason: str | None = None) -> InsufficientStorage:
    """The 507 for a write that found the disk full; says why without the server's paths."""
    return InsufficientStorage(message, details={"reason": os.strerror(exc.errno)}, reason=reason)
