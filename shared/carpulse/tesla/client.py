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

from carpulse.errors import ReconnectRequiredError
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
from carpulse.tesla.schemas import (
    ChargingHistoryPage,
    ChargingSession,
    Pagination,
    UserRegion,
    VehicleData,
    VehicleSummary,
)
from carpulse.tesla.schemas_dx import (
    BusinessChargingSession,
    FeatureConfig,
    FleetStatus,
    Order,
    RecentAlerts,
    ReleaseNotes,
    ServiceData,
    UserMe,
    VehicleOptions,
    VehicleSpecs,
    WarrantyDetails,
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

    def revoked(self) -> None:
        """Tesla said login_required: the grant is gone (mark the account for re-consent)."""
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
    region: str | None = None
    # Called on 421 with the error; returns the base URL to retry at (after persisting it).
    on_wrong_region: Callable[[WrongRegionError], str] | None = None

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

    def vehicle_data(self, vin: str, *, with_location: bool = False) -> VehicleData:
        """GET /api/1/vehicles/{vin}/vehicle_data (408 when asleep).

        Since firmware 2023.38 location needs `location_data` in the selection and the
        vehicle_location scope; asking without the scope only earns an error, so we don't.
        """
        endpoints = VEHICLE_DATA_ENDPOINTS + (("location_data",) if with_location else ())
        return self._get_model(
            "vehicle_data",
            f"/api/1/vehicles/{vin}/vehicle_data",
            VehicleData,
            params={"endpoints": ";".join(endpoints)},
        )

    def service_data(self, vin: str) -> ServiceData:
        """GET /api/1/vehicles/{vin}/service_data (usually {})."""
        return self._get_model("service_data", f"/api/1/vehicles/{vin}/service_data", ServiceData)

    def recent_alerts(self, vin: str) -> RecentAlerts:
        """GET /api/1/vehicles/{vin}/recent_alerts."""
        return self._get_model("recent_alerts", f"/api/1/vehicles/{vin}/recent_alerts", RecentAlerts)

    def release_notes(self, vin: str, *, staged: bool = False, language: str | None = None) -> ReleaseNotes:
        """GET /api/1/vehicles/{vin}/release_notes (nested or flat shape)."""
        params: dict[str, Any] = {"staged": "true"} if staged else {}
        if language:
            params["language"] = language
        return self._get_model("release_notes", f"/api/1/vehicles/{vin}/release_notes", ReleaseNotes, params)

    def warranty(self, vin: str) -> WarrantyDetails:
        """GET /api/1/dx/warranty/details?vin= (Tesla answers 500 without the VIN)."""
        return self._get_model("warranty", "/api/1/dx/warranty/details", WarrantyDetails, {"vin": vin})

    def options(self, vin: str) -> VehicleOptions:
        """GET /api/1/dx/vehicles/options?vin=."""
        return self._get_model("options", "/api/1/dx/vehicles/options", VehicleOptions, {"vin": vin})

    def specs(self, vin: str) -> VehicleSpecs:
        """GET /api/1/vehicles/{vin}/specs: needs a client built with a partner token (billed per result)."""
        return self._get_model("specs", f"/api/1/vehicles/{vin}/specs", VehicleSpecs)

    def fleet_status(self, vin: str) -> FleetStatus:
        """POST /api/1/vehicles/fleet_status for one VIN (Tesla recommends one at a time)."""
        response = self._send("POST", "fleet_status", "/api/1/vehicles/fleet_status", json_body={"vins": [vin]})
        return self._parse(FleetStatus, _response_object(response, "fleet_status"))

    def invoice(self, content_id: str) -> bytes:
        """GET /api/1/dx/charging/invoice/{contentId}: the invoice PDF's bytes."""
        response = self._send("GET", "invoice", f"/api/1/dx/charging/invoice/{content_id}")
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith("application/pdf") or not response.content.startswith(b"%PDF"):
            raise UnexpectedResponseError(f"invoice: expected a PDF, got {content_type or 'no content type'}")
        return response.content

    def register_partner(self, domain: str) -> dict[str, Any]:
        """POST /api/1/partner_accounts (partner token): Tesla fetches our key from the domain."""
        response = self._send("POST", "partner_accounts", "/api/1/partner_accounts", json_body={"domain": domain})
        return _response_object(response, "partner_accounts")

    def partner_public_key(self, domain: str) -> str | None:
        """GET /api/1/partner_accounts/public_key: the key Tesla holds for the domain (hex point)."""
        body = self._get_json("partner_public_key", "/api/1/partner_accounts/public_key", {"domain": domain})
        response = body.get("response")
        key = response.get("public_key") if isinstance(response, dict) else None
        return key if isinstance(key, str) else None

    def user_me(self) -> UserMe:
        """GET /api/1/users/me (user_data scope)."""
        return self._get_model("users_me", "/api/1/users/me", UserMe)

    def user_orders(self) -> list[Order]:
        """GET /api/1/users/orders."""
        body = self._get_json("users_orders", "/api/1/users/orders")
        items = body.get("response")
        return [
            self._parse(Order, item) for item in (items if isinstance(items, list) else []) if isinstance(item, dict)
        ]

    def user_feature_config(self) -> FeatureConfig:
        """GET /api/1/users/feature_config (user_data scope)."""
        return self._get_model("users_feature_config", "/api/1/users/feature_config", FeatureConfig)

    def business_charging_sessions(self, *, vin: str | None = None, limit: int = 50) -> list[BusinessChargingSession]:
        """GET /api/1/dx/charging/sessions (business fleet accounts only), all pages."""
        found: list[BusinessChargingSession] = []
        for page in range(MAX_HISTORY_PAGES):
            params: dict[str, Any] = {"limit": limit, "offset": page * limit}
            if vin:
                params["vin"] = vin
            body = self._get_json("charging_sessions", "/api/1/dx/charging/sessions", params)
            response = body.get("response")
            data = response.get("data") if isinstance(response, dict) else None
            items = [item for item in (data if isinstance(data, list) else []) if isinstance(item, dict)]
            found.extend(self._parse(BusinessChargingSession, item) for item in items)
            if len(items) < limit:
                break
        return found

    def wake_up(self, vin: str) -> VehicleSummary:
        """POST /api/1/vehicles/{vin}/wake_up (billed as a wake: only when a request allows it)."""
        response = self._send("POST", "wake_up", f"/api/1/vehicles/{vin}/wake_up", json_body={})
        body = response.json() if response.content else {}
        return self._parse(VehicleSummary, body.get("response") if isinstance(body, dict) else {})

    def charging_history(
        self,
        *,
        vin: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        sort_order: str = "DESC",
        page_size: int = 50,
    ) -> list[ChargingSession]:
        """GET /api/1/dx/charging/history: every page, sessions de-duplicated by id.

        Tesla documents `pageNo` without saying where it starts; we start at 0 and drop repeats, so
        a 1-based server (page 0 == page 1) costs one extra call instead of duplicated or lost sessions.
        """
        sessions: dict[str, ChargingSession] = {}
        stale_pages = 0
        for page_no in range(MAX_HISTORY_PAGES):
            params: dict[str, Any] = {
                "pageNo": page_no,
                "pageSize": page_size,
                "sortBy": "chargeStartDateTime",
                "sortOrder": sort_order,
            }
            if vin:
                params["vin"] = vin
            if start_time:
                params["startTime"] = start_time.isoformat()
            if end_time:
                params["endTime"] = end_time.isoformat()
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
        refreshed = re_regioned = False
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
            if isinstance(error, WrongRegionError) and self.on_wrong_region and not re_regioned:
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

    def _wait_before_retry(self, error: TeslaError, attempt: int) -> bool:
        if isinstance(error, RateLimitedError):
            wait = error.retry_after if error.retry_after is not None else self.retry.base_delay
            if wait > self.retry.max_wait_for_retry_after:
                return False
            self.sleep(wait)
            return True
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


def _response_object(response: requests.Response, endpoint: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise UnexpectedResponseError(f"{endpoint}: Tesla returned a body that is not JSON") from exc
    inner = body.get("response") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else {}


def _has_more(page: ChargingHistoryPage, seen: int, page_size: int) -> bool:
    if page.hasMoreData is not None:
        return page.hasMoreData
    if page.totalResults is not None:
        return seen < page.totalResults
    return len(page.data) >= page_size
