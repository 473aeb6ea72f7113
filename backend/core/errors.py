"""Domain errors raised by service functions.

Service functions raise these; the REST layer turns them into HTTP answers and the sync layer
turns them into `rejected` mutation outcomes, so each rule is written once and reported the same
way everywhere.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, details: dict | None = None, location: str = "json"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}
        self.location = location  # where the field was: json (the body) or query

    def to_dict(self) -> dict:
        body: dict = {"code": self.status, "error": self.code, "message": self.message}
        if self.field:
            body["errors"] = {self.location: {self.field: [self.message]}}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(DomainError):
    """A value passed type checks but breaks a business rule; `field` names it."""

    status = 422
    code = "invalid"


class NotFound(DomainError):
    """Missing, or outside the caller's scope: both answer the same so scope is not leaked."""

    status = 404
    code = "not_found"


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

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(DomainError):
    status = 413
    code = "too_large"
