"""Tesla Fleet API errors: one table maps (status, error key) to a typed exception that says
whether and when to retry. Decisions (re-auth, re-region, back off) are taken by callers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from carpulse.errors import CarPulseError


class TeslaError(CarPulseError):
    """A Fleet API call failed. `retryable` says whether the same call may succeed later."""

    error = "tesla_error"
    retryable = False

    def __init__(
        self,
        description: str = "",
        *,
        status: int | None = None,
        tesla_error: str | None = None,
        retry_after: float | None = None,
        body: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(description or self.__doc__ or self.error)
        self.status = status
        self.tesla_error = tesla_error
        self.retry_after = retry_after
        self.body = dict(body or {})


class TeslaBadRequestError(TeslaError):
    """Tesla rejected the request as malformed (400)."""

    error = "tesla_bad_request"


class TokenExpiredError(TeslaError):
    """The access token expired (401 without a body): refresh once and retry."""

    error = "token_expired"


class LoginRequiredError(TeslaError):
    """The grant is gone (password reset, refresh token reused, access revoked): re-consent."""

    error = "login_required"


class MobileAccessDisabledError(TeslaError):
    """The owner turned off remote access in the vehicle."""

    error = "mobile_access_disabled"


class PaymentRequiredError(TeslaError):
    """Our Tesla developer account needs payment (402)."""

    error = "payment_required"


class ScopeOrTokenError(TeslaError):
    """403: scope not granted, or the endpoint needs a partner token."""

    error = "forbidden"


class TeslaNotFoundError(TeslaError):
    """404: the vehicle or resource does not exist for this token."""

    error = "not_found"


class NotAllowedError(TeslaError):
    """405: the operation is not allowed."""

    error = "not_allowed"


class ContentTypeError(TeslaError):
    """406: we sent a request without a JSON content type (a bug on our side)."""

    error = "not_acceptable"


class VehicleOfflineError(TeslaError):
    """408: the vehicle is asleep or offline; try later (or wake it, when allowed)."""

    error = "vehicle_unavailable"
    retryable = True


class PartnerNotRegisteredError(TeslaError):
    """412: our partner domain is not registered in this region; ops must register it."""

    error = "partner_not_registered"


class ClientTooOldError(TeslaError):
    """418: Tesla considers the client too old."""

    error = "client_too_old"


class WrongRegionError(TeslaError):
    """421: the user lives in another region; re-discover and retry there."""

    error = "wrong_region"

    @property
    def suggested_base_url(self) -> str | None:
        """The base URL Tesla named in the body, if any."""
        for key in ("fleet_api_base_url", "base_url"):
            value = self.body.get(key)
            if isinstance(value, str) and value.startswith("http"):
                return value
        response = self.body.get("response")
        if isinstance(response, Mapping):
            value = response.get("fleet_api_base_url")
            if isinstance(value, str):
                return value
        return None


class InvalidResourceError(TeslaError):
    """422: semantically invalid, e.g. the vehicle needs the command protocol."""

    error = "invalid_resource"


class AccountLockedError(TeslaError):
    """423: the Tesla account is locked and must be unlocked by Tesla."""

    error = "account_locked"


class RateLimitedError(TeslaError):
    """429: rate limited; wait `retry_after` seconds."""

    error = "rate_limited"
    retryable = True


class LegalRestrictionError(TeslaError):
    """451: unavailable for legal reasons (privacy settings, wrong region)."""

    error = "unavailable_for_legal_reasons"


class ClientClosedError(TeslaError):
    """499: the request was closed before Tesla answered."""

    error = "client_closed_request"
    retryable = True


class TeslaServerError(TeslaError):
    """500/503/504 or a transport failure: retry with backoff."""

    error = "tesla_unavailable"
    retryable = True


class VehicleError(TeslaError):
    """540: the vehicle itself answered with an error; mark the section failed and go on."""

    error = "vehicle_error"


class UnexpectedResponseError(TeslaError):
    """Tesla answered 2xx with a body we cannot read."""

    error = "unexpected_response"


@dataclass(frozen=True)
class _Rule:
    status: int
    tesla_error: str | None  # None matches any error key (and an empty body)
    exc: type[TeslaError]


# Order matters: the first rule whose status and error key match wins.
_RULES: tuple[_Rule, ...] = (
    _Rule(401, "login_required", LoginRequiredError),
    _Rule(401, "mobile_access_disabled", MobileAccessDisabledError),
    _Rule(401, None, TokenExpiredError),
    _Rule(400, None, TeslaBadRequestError),
    _Rule(402, None, PaymentRequiredError),
    _Rule(403, None, ScopeOrTokenError),
    _Rule(404, None, TeslaNotFoundError),
    _Rule(405, None, NotAllowedError),
    _Rule(406, None, ContentTypeError),
    _Rule(408, None, VehicleOfflineError),
    _Rule(412, None, PartnerNotRegisteredError),
    _Rule(418, None, ClientTooOldError),
    _Rule(421, None, WrongRegionError),
    _Rule(422, None, InvalidResourceError),
    _Rule(423, None, AccountLockedError),
    _Rule(429, None, RateLimitedError),
    _Rule(451, None, LegalRestrictionError),
    _Rule(499, None, ClientClosedError),
    _Rule(500, None, TeslaServerError),
    _Rule(502, None, TeslaServerError),
    _Rule(503, None, TeslaServerError),
    _Rule(504, None, TeslaServerError),
    _Rule(540, None, VehicleError),
)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from Retry-After or RateLimit-Reset (both are seconds in Tesla's API)."""
    for name in ("Retry-After", "RateLimit-Reset"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            continue
    return None


def _body_of(raw: bytes) -> dict[str, object]:
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def error_for(status: int, raw_body: bytes, headers: Mapping[str, str]) -> TeslaError:
    """The typed exception for a non-2xx Fleet API response."""
    body = _body_of(raw_body)
    raw_key, raw_description = body.get("error"), body.get("error_description")
    key = raw_key if isinstance(raw_key, str) else None
    description = raw_description if isinstance(raw_description, str) else None
    for rule in _RULES:
        if rule.status == status and (rule.tesla_error is None or rule.tesla_error == key):
            exc_type = rule.exc
            break
    else:
        exc_type = TeslaServerError if status >= 500 else TeslaError
    text = f"Tesla returned {status}" + (f" ({key})" if key else "") + (f": {description}" if description else "")
    return exc_type(text, status=status, tesla_error=key, retry_after=parse_retry_after(headers), body=body)
