"""Application errors with stable codes. Framework-free: contracts of every app subclass these.

The HTTP layer maps each family to a status (logitrack.http.problems); nothing here knows HTTP.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApplicationError(Exception):
    """An expected failure a caller can act on. `code` is stable and machine-readable."""

    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Request failed"

    def __init__(self, message: str = "", *, code: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title
        if code is not None:
            self.code = code  # type: ignore[misc]  # per-instance override of the class default
        self.extra: dict[str, Any] = extra or {}


class ValidationFailed(ApplicationError):
    """Input is malformed or breaks a rule; `extra["errors"]` may map fields to messages."""

    code = "validation_failed"
    title = "Invalid input"


class Unauthenticated(ApplicationError):
    """Credentials are missing, wrong, expired or revoked."""

    code = "not_authenticated"
    title = "Authentication failed"


class NotFound(ApplicationError):
    code = "not_found"
    title = "Not found"


class Conflict(ApplicationError):
    """The request is well-formed but clashes with the current state (illegal transition, stale version)."""

    code = "conflict"
    title = "Conflict with the current state"


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    title = "Permission denied"


class Unprocessable(ApplicationError):
    """Understood and valid in shape, but cannot be processed as sent (e.g. idempotency key reused)."""

    code = "unprocessable"
    title = "Unprocessable request"


class RateLimited(ApplicationError):
    """Too many attempts; `retry_after` seconds until the caller may try again."""

    code = "throttled"
    title = "Too many requests"

    def __init__(self, message: str = "", *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, extra={"retry_after": max(1, int(retry_after))})
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(ApplicationError):
    """A dependency is down; the client may retry later (after `retry_after` seconds when known: Retry-After)."""

    code = "service_unavailable"
    title = "Service temporarily unavailable"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.retry_after = None if retry_after is None else max(1, int(retry_after))
        if self.retry_after is not None:
            extra = {**(extra or {}), "retry_after": self.retry_after}
        super().__init__(message, code=code, extra=extra)
