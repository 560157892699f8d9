"""The one place where errors become HTTP statuses and our JSON error envelope."""

from __future__ import annotations

import math

from carpulse import errors
from carpulse.domain import verification
from carpulse.tesla import errors as tesla

# Most specific first: the first isinstance match wins.
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (errors.InvalidRequestError, 422),
    (errors.NotAcceptableError, 406),
    (errors.NotAuthenticatedError, 401),
    (errors.ForbiddenError, 403),
    (errors.NotFoundError, 404),
    (errors.MethodNotAllowedError, 405),
    (errors.PayloadTooLargeError, 413),
    (errors.InvalidLoginCodeError, 400),
    (errors.InvalidStateError, 400),
    (errors.ConsentDeniedError, 403),
    (errors.ReconnectRequiredError, 409),
    (verification.RateLimitedError, 429),  # before RetryLaterError, its base
    (errors.LimitExceededError, 429),
    (errors.RequestInProgressError, 409),
    (errors.ReportInProgressError, 409),
    (errors.VehicleNotFailedError, 409),
    (verification.UploadTooLargeError, 413),
    (errors.RetryLaterError, 503),
    (errors.UpstreamError, 502),
    (errors.ConfigError, 500),
    (tesla.LoginRequiredError, 409),
    (tesla.TeslaError, 502),
)


def status_for(exc: errors.CarPulseError) -> int:
    """HTTP status for a domain error."""
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_body(exc: errors.CarPulseError) -> dict[str, object]:
    """Our error envelope (Tesla's conventions): error, error_description, messages."""
    body: dict[str, object] = {"error": exc.error, "error_description": exc.description}
    if exc.messages:
        body["messages"] = exc.messages
    # A configuration problem is ours to fix; its details are for logs, not callers.
    if isinstance(exc, errors.ConfigError):
        body["error_description"] = "the service is misconfigured; the operators have been told"
    return body


def extra_headers_of(exc: errors.CarPulseError) -> dict[str, str]:
    """Headers an error status requires: Allow on 405, WWW-Authenticate on 401, Retry-After."""
    headers: dict[str, str] = {}
    if isinstance(exc, errors.MethodNotAllowedError) and exc.allowed:
        headers["Allow"] = ", ".join(exc.allowed)
    if isinstance(exc, errors.NotAuthenticatedError):
        headers["WWW-Authenticate"] = 'Bearer realm="carpulse"'
    retry_after = retry_after_of(exc)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return headers


def retry_after_of(exc: errors.CarPulseError) -> float | None:
    """Seconds a caller should wait, when the error says so."""
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None
