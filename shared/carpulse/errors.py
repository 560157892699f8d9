"""Domain errors. They carry a short error enum and a safe description; HTTP status is chosen
only at the entry point (carpulse.http.errors)."""

from __future__ import annotations


class CarPulseError(Exception):
    """Base of every error we raise on purpose; its message is safe to show to a caller."""

    error = "internal_error"

    def __init__(self, description: str = "", *, messages: dict[str, list[str]] | None = None) -> None:
        super().__init__(description or self.error)
        self.description = description or self.error
        self.messages = messages or {}


class ConfigError(CarPulseError):
    """The deployment is misconfigured (missing URL, secret, ...)."""

    error = "configuration_error"


class InvalidRequestError(CarPulseError):
    """The request body or parameters failed validation."""

    error = "invalid_request"


class NotAcceptableError(CarPulseError):
    """A POST without a JSON content type (Tesla's convention: 406)."""

    error = "not_acceptable"


class NotAuthenticatedError(CarPulseError):
    """No valid session token."""

    error = "unauthorized"


class ForbiddenError(CarPulseError):
    """Authenticated, but not allowed to do this."""

    error = "forbidden"


class NotFoundError(CarPulseError):
    """The resource does not exist (or is not the caller's)."""

    error = "not_found"


class MethodNotAllowedError(CarPulseError):
    """The path exists, the method does not; `allowed` becomes the Allow header."""

    error = "method_not_allowed"

    def __init__(self, description: str = "", *, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(description or f"use {' or '.join(allowed)}")
        self.allowed = allowed


class PayloadTooLargeError(CarPulseError):
    """The request body is larger than the endpoint accepts."""

    error = "payload_too_large"


class InvalidLoginCodeError(CarPulseError):
    """A one-time login code that is unknown, expired or already used (OAuth's invalid_grant)."""

    error = "invalid_grant"


class InvalidStateError(CarPulseError):
    """OAuth state unknown, expired, replayed or not bound to this browser."""

    error = "invalid_state"


class ConsentDeniedError(CarPulseError):
    """The owner declined at Tesla's consent page."""

    error = "access_denied"


class ReconnectRequiredError(CarPulseError):
    """Tesla revoked the grant (login_required): the owner must connect again."""

    error = "reconnect_required"


class UpstreamError(CarPulseError):
    """Tesla (or another upstream) failed in a way we could not recover from."""

    error = "upstream_error"


class RetryLaterError(CarPulseError):
    """Temporarily unavailable; the caller may retry after `retry_after` seconds."""

    error = "retry_later"

    def __init__(self, description: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class LimitExceededError(RetryLaterError):
    """Past a cost limit (reports in flight, report requests per hour, login starts per client):
    429 with Retry-After."""

    error = "rate_limited"


class IdempotencyKeyReusedError(InvalidRequestError):
    """An Idempotency-Key presented again with a different request body."""

    error = "idempotency_key_reused"


class RequestInProgressError(RetryLaterError):
    """The first request with this Idempotency-Key is still being answered: retry shortly."""

    error = "request_in_progress"


class ReportInProgressError(CarPulseError):
    """The report is still being made: it can be deleted (or worked on again) once it has finished."""

    error = "report_in_progress"


class VehicleNotFailedError(CarPulseError):
    """Only a vehicle whose report failed can be tried again."""

    error = "vehicle_not_failed"
