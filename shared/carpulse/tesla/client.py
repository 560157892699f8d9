"""Fleet API client: typed endpoints over one injected HTTP session and token provider.

Transport policy lives here (refresh once on an expired token, bounded retries with backoff and
jitter on 5xx and timeouts, short Retry-After waits); business decisions (wake or not, re-region,
mark a section failed) are left to the services that call it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from carpulse.tesla.errors import (
    RateLimitedError,
    TeslaError,
    TeslaServerError,
    TokenExpiredError,
    UnexpectedResponseError,
    error_for,
)
from carpulse.tesla.schemas import (
    ChargingHistoryPage,
    ChargingSession,
    Pagination,
    UserRegion,
    VehicleData,
    VehicleSummary,
)

VEHICLE_DATA_ENDPOINTS = (
    "charge_state",
    "climate_state",
    "closures_state",
    "drive_state",
    "gui_settings",
    "vehicle_config",
    "vehicle_state",
)
M = TypeVar("M", bound=BaseModel)
MAX_HISTORY_PAGES = 500  # 25,000 sessions: a bound, so a server that never says "no more" cannot loop us


class TokenProvider(Protocol):
    """Where the client gets a bearer token, and asks for a fresh one after a 401."""

    def access_token(self) -> str:
        """The current access token."""
        ...

    def refresh_after_expiry(self, stale_token: str) -> str:
        """A new access token, refreshing only if `stale_token` is still the current one."""
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


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries for transient failures."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_wait_for_retry_after: float = 10.0  # longer waits are the caller's decision, not a sleep


@dataclass
class FleetClient:
    """The Fleet API at one region's base URL, on behalf of one token provider."""

    base_url: str
    tokens: TokenProvider
    http: requests.Session
    timeout: float = 20.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    observer: Callable[[RawExchange], None] | None = None
    sleep: Callable[[float], None] = time.sleep

    # --- endpoints -----------------------------------------------------------------------------

    def user_region(self) -> UserRegion:
        """GET /api/1/users/region: the user's region and base URL."""
        return self._get_model("users_region", "/api/1/users/region", UserRegion)

    def vehicles(self) -> list[VehicleSummary]:
        """GET /api/1/vehicles, all pages."""
        found: list[VehicleSummary] = []
        page = 1
        while True:
            body = self._get_json("vehicles", "/api/1/vehicles", params={"page": page, "per_page": 100})
            items = body.get("response")
            found.extend(self._parse(VehicleSummary, item) for item in (items if isinstance(items, list) else []))
            pagination = self._parse(Pagination, body.get("pagination") or {})
            if not pagination.next or pagination.next <= page:
                return found
            page = pagination.next

    def vehicle(self, vin: str) -> VehicleSummary:
        """GET /api/1/vehicles/{vin}: cheap state, never wakes the car."""
        return self._get_model("vehicle", f"/api/1/vehicles/{vin}", VehicleSummary)

    def vehicle_data(self, vin: str, endpoints: tuple[str, ...] = VEHICLE_DATA_ENDPOINTS) -> VehicleData:
        """GET /api/1/vehicles/{vin}/vehicle_data with an endpoint selection (408 when asleep)."""
        return self._get_model(
            "vehicle_data",
            f"/api/1/vehicles/{vin}/vehicle_data",
            VehicleData,
            params={"endpoints": ";".join(endpoints)},
        )

    def wake_up(self, vin: str) -> VehicleSummary:
        """POST /api/1/vehicles/{vin}/wake_up (billed as a wake: only when a request allows it)."""
        response = self._send("POST", "wake_up", f"/api/1/vehicles/{vin}/wake_up", json_body={})
        body = response.json() if response.content else {}
        return self._parse(VehicleSummary, body.get("response") if isinstance(body, dict) else {})

    def charging_history(self, *, vin: str | None = None, page_size: int = 50) -> list[ChargingSession]:
        """GET /api/1/dx/charging/history: every page, sessions de-duplicated by id.

        Tesla documents `pageNo` without saying where it starts; we start at 0 and drop repeats, so
        a 1-based server (page 0 == page 1) costs one extra call instead of duplicated or lost sessions.
        """
        sessions: dict[str, ChargingSession] = {}
        stale_pages = 0
        for page_no in range(MAX_HISTORY_PAGES):
            params: dict[str, Any] = {"pageNo": page_no, "pageSize": page_size, "sortBy": "chargeStartDateTime"}
            if vin:
                params["vin"] = vin
            page = self._get_model("charging_history", "/api/1/dx/charging/history", ChargingHistoryPage, params)
            before = len(sessions)
            for index, session in enumerate(page.data):
                key = str(session.sessionId) if session.sessionId is not None else f"p{page_no}-{index}"
                sessions.setdefault(key, session)
            stale_pages = stale_pages + 1 if len(sessions) == before else 0
            # One repeated page is the 1-based case; two in a row is a server going round in circles.
            if not page.data or not _has_more(page, len(sessions), page_size) or stale_pages >= 2:
                break
        return list(sessions.values())

    # --- transport -----------------------------------------------------------------------------

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
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.request(
                    method,
                    f"{self.base_url.rstrip('/')}{path}",
                    params=params,
                    json=json_body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                error: TeslaError = TeslaServerError(f"{endpoint}: no answer from Tesla ({type(exc).__name__})")
            else:
                self._observe(endpoint, method, path, response)
                if response.status_code < 300:
                    return response
                error = error_for(response.status_code, response.content, response.headers)
            if isinstance(error, TokenExpiredError) and not refreshed:
                token = self.tokens.refresh_after_expiry(token)
                refreshed = True
                continue
            if attempt < self.retry.attempts and self._wait_before_retry(error, attempt):
                continue
            raise error

    def _wait_before_retry(self, error: TeslaError, attempt: int) -> bool:
        if isinstance(error, RateLimitedError):
            wait = error.retry_after if error.retry_after is not None else self.retry.base_delay
            if wait > self.retry.max_wait_for_retry_after:
                return False
            self.sleep(wait)
            return True
        if isinstance(error, TeslaServerError):
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


def _has_more(page: ChargingHistoryPage, seen: int, page_size: int) -> bool:
    if page.hasMoreData is not None:
        return page.hasMoreData
    if page.totalResults is not None:
        return seen < page.totalResults
    return len(page.data) >= page_size
