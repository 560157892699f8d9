"""Fleet API transport: one injected HTTP session and token provider, and the policy for answers.

Refresh once on an expired token, re-region once on 421, bounded retries with backoff and jitter on
transient errors, short Retry-After waits in place; every response is shown to an observer first
(raw-first). Business decisions (wake or not, mark a section failed) belong to the services.

Calls may run on several threads at once: every call of an account passes its AccountGate (at most
so many in flight, and one shared pause after a 429: Tesla's limits are per account, so the
account backs off as a whole), a refresh after a 401 happens once for all of them, and a 421
re-discovers the region once.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from carpulse.errors import ReconnectRequiredError
from carpulse.logs import log_fields
from carpulse.tesla.errors import (
    LoginRequiredError,
    PartnerNotRegisteredError,
    RateLimitedError,
    TeslaError,
    TeslaServerError,
    TokenExpiredError,
    UnexpectedResponseError,
    VehicleOfflineError,
    WrongRegionError,
    error_for,
)

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
CALLS_IN_FLIGHT_PER_ACCOUNT = 16  # the bound of one account's concurrent Tesla calls per instance


class TokenProvider(Protocol):
    """Where the client gets a bearer token, and asks for a fresh one after a 401."""

    def access_token(self) -> str:
        """The current access token."""
        ...

    def refresh_after_expiry(self, stale_token: str) -> str:
        """A new access token, refreshing only if `stale_token` is still the current one."""
        ...

    def revoked(self) -> None:
        """Tesla said login_required: the grant is gone (mark the account for re-consent)."""
        ...


class HttpSession(Protocol):
    """The one call the transport makes on its HTTP session (a requests.Session)."""

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str],
        timeout: float,
    ) -> requests.Response:
        """Send one request; connection failures raise requests.RequestException."""
        ...


@dataclass(frozen=True)
class RawExchange:
    """One Tesla response as received, kept so reports can be re-rendered without Tesla."""

    endpoint: str
    method: str
    path: str
    status: int
    received_at: datetime
    content_type: str
    body: bytes


class SingleFlightTokens:
    """A TokenProvider shared by concurrent calls: one refresh at a time, and a call whose token
    went stale while another call refreshed takes the new token instead of refreshing again."""

    def __init__(self, inner: TokenProvider) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def access_token(self) -> str:
        """The current access token (refreshed ahead of expiry by one caller only)."""
        with self._lock:
            return self._inner.access_token()

    def refresh_after_expiry(self, stale_token: str) -> str:
        """A fresh token: refreshes only if no other call has replaced `stale_token` meanwhile."""
        with self._lock:
            current = self._inner.access_token()
            return current if current != stale_token else self._inner.refresh_after_expiry(stale_token)

    def revoked(self) -> None:
        """Tesla said login_required."""
        with self._lock:
            self._inner.revoked()


class AccountGate:
    """One account's Tesla budget in this process: at most `limit` calls in flight, and one pause
    for all of them after a 429 (Tesla's rate limits are per vehicle and per account)."""

    def __init__(self, limit: int = CALLS_IN_FLIGHT_PER_ACCOUNT) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._resume_at = 0.0

    @contextmanager
    def slot(self, sleep: Callable[[float], None], max_wait: float) -> Iterator[None]:
        """Hold one of the account's slots for one HTTP exchange, after any pause has passed; a
        pause longer than `max_wait` fails the call at once (the task is deferred, not a sleep)."""
        with self._slots:
            with self._lock:
                left = self._resume_at - time.monotonic()
            if left > max_wait:
                raise RateLimitedError("the account is rate limited", status=429, retry_after=math.ceil(left))
            if left > 0:
                sleep(left)
            yield

    def pause(self, seconds: float) -> None:
        """Hold back every call of the account for `seconds` (a 429's Retry-After)."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)


class AccountGates:
    """The gate of each account, shared by every client acting for it in this process."""

    def __init__(self, limit: int = CALLS_IN_FLIGHT_PER_ACCOUNT) -> None:
        self._limit = limit
        self._gates: dict[str, AccountGate] = {}
        self._lock = threading.Lock()

    def of(self, key: str) -> AccountGate:
        """The gate of one account (created on first use)."""
        with self._lock:
            return self._gates.setdefault(key, AccountGate(self._limit))


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries for transient failures."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_wait_for_retry_after: float = 10.0  # longer waits are the caller's decision, not a sleep


@dataclass
class FleetTransport:
    """HTTP to one region's base URL with one token provider, and the policy for Tesla's answers."""

    base_url: str
    tokens: TokenProvider
    http: HttpSession
    timeout: float = 20.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    observer: Callable[[RawExchange], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    region: str | None = None
    # Called on 421 with the error; returns the base URL to retry at (after persisting it).
    on_wrong_region: Callable[[WrongRegionError], str] | None = None
    gate: AccountGate = field(default_factory=AccountGate)
    _region_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.tokens, SingleFlightTokens):
            self.tokens = SingleFlightTokens(self.tokens)

    def _get_model(self, endpoint: str, path: str, model: type[M], params: Mapping[str, Any] | None = None) -> M:
        body = self._get_json(endpoint, path, params=params)
        response = body.get("response")
        return self._parse(model, response if isinstance(response, dict) else {})

    @staticmethod
    def _parse(model: type[M], data: Any) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise UnexpectedResponseError(f"unreadable {model.__name__} from Tesla") from exc

    def _get_json(self, endpoint: str, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = self._send("GET", endpoint, path, params=params)
        try:
            body = response.json()
        except ValueError as exc:
            raise UnexpectedResponseError(f"{endpoint}: Tesla returned a body that is not JSON") from exc
        if not isinstance(body, dict):
            raise UnexpectedResponseError(f"{endpoint}: Tesla returned JSON that is not an object")
        return body

    def _send(
        self,
        method: str,
        endpoint: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> requests.Response:
        token = self.tokens.access_token()
        refreshed = re_regioned = False
        attempt = 0
        while True:
            attempt += 1
            base_url = self.base_url
            started = time.monotonic()
            try:
                with self.gate.slot(self.sleep, self.retry.max_wait_for_retry_after):
                    response = self.http.request(
                        method,
                        f"{base_url.rstrip('/')}{path}",
                        params=params,
                        json=json_body,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                        timeout=self.timeout,
                    )
            except requests.RequestException as exc:
                error: TeslaError = TeslaServerError(f"{endpoint}: no answer from Tesla ({type(exc).__name__})")
                status: int | str = type(exc).__name__
            else:
                status = response.status_code
                self._observe(endpoint, method, path, response)
                if response.status_code < 300:
                    self._log_answer(endpoint, method, attempt, status, started)
                    return response
                error = error_for(response.status_code, response.content, response.headers)
            self._log_answer(endpoint, method, attempt, status, started)
            if isinstance(error, TokenExpiredError) and not refreshed:
                token = self.tokens.refresh_after_expiry(token)
                refreshed = True
                continue
            if isinstance(error, WrongRegionError) and self.on_wrong_region and not re_regioned:
                with self._region_lock:  # concurrent calls re-discover once; the others follow
                    if self.base_url == base_url:
                        self.base_url = self.on_wrong_region(error)
                re_regioned = True
                continue
            if isinstance(error, LoginRequiredError):
                self.tokens.revoked()
                raise ReconnectRequiredError("Tesla revoked access: the owner must connect again") from error
            if isinstance(error, PartnerNotRegisteredError):
                region = self.region or self.base_url
                raise PartnerNotRegisteredError(
                    f"our partner domain is not registered with Tesla in region {region!r}; "
                    f"ops: run `make register-partner REGION={self.region or 'all'}`",
                    status=error.status,
                    tesla_error=error.tesla_error,
                    body=error.body,
                ) from error
            if attempt < self.retry.attempts and self._wait_before_retry(error, attempt):
                continue
            raise error

    def _log_answer(self, endpoint: str, method: str, attempt: int, status: int | str, started: float) -> None:
        # By endpoint name, never by path: the path holds the VIN.
        log.debug(
            "tesla answered",
            extra=log_fields(
                endpoint=endpoint,
                method=method,
                status=status,
                attempt=attempt,
                region=self.region,
                ms=round((time.monotonic() - started) * 1000),
            ),
        )

    def _wait_before_retry(self, error: TeslaError, attempt: int) -> bool:
        if isinstance(error, RateLimitedError):
            wait = error.retry_after if error.retry_after is not None else self.retry.base_delay
            self.gate.pause(wait)  # every call of the account waits, not just this one
            # A longer wait is the task's: it is deferred by Retry-After instead of sleeping here.
            return wait <= self.retry.max_wait_for_retry_after
        # 408 is retryable too, but later and by the task (a sleeping car does not wake in seconds).
        if error.retryable and not isinstance(error, VehicleOfflineError):
            ceiling = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
            self.sleep(random.uniform(ceiling / 2, ceiling))  # jitter: spread retries of parallel tasks
            return True
        return False

    def _observe(self, endpoint: str, method: str, path: str, response: requests.Response) -> None:
        if self.observer is None:
            return
        self.observer(
            RawExchange(
                endpoint=endpoint,
                method=method,
                path=path,
                status=response.status_code,
                received_at=datetime.now(UTC),
                content_type=response.headers.get("Content-Type", ""),
                body=response.content,
            )
        )


def response_object(response: requests.Response, endpoint: str) -> dict[str, Any]:
    """The `response` object of a JSON body ({} when it is not an object)."""
    try:
        body = response.json()
    except ValueError as exc:
        raise UnexpectedResponseError(f"{endpoint}: Tesla returned a body that is not JSON") from exc
    inner = body.get("response") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else {}
