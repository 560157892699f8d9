"""Fleet API client: every documented endpoint, typed, over the transport in transport.py."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from carpulse.tesla.errors import UnexpectedResponseError
from carpulse.tesla.fanout import run_all
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
from carpulse.tesla.transport import (
    FleetTransport,
    RawExchange,
    RetryPolicy,
    TokenProvider,
    response_object,
)

__all__ = ["FleetClient", "RawExchange", "RetryPolicy", "TokenProvider"]

VEHICLE_DATA_ENDPOINTS = (
    "charge_state",
    "climate_state",
    "closures_state",
    "drive_state",
    "gui_settings",
    "vehicle_config",
    "vehicle_state",
)
MAX_HISTORY_PAGES = 500  # 50,000 sessions: a bound, so a server that never says "no more" cannot loop us
HISTORY_PAGE_SIZE = 100  # Tesla's largest page: the fewest billed calls for a history
VEHICLES_PER_PAGE = 100  # Tesla's largest page of GET /api/1/vehicles (reports count its billed pages)


@dataclass
class FleetClient(FleetTransport):
    """The Fleet API at one region's base URL, on behalf of one token provider."""

    def user_region(self) -> UserRegion:
        """GET /api/1/users/region: the user's region and base URL."""
        return self._get_model("users_region", "/api/1/users/region", UserRegion)

    def vehicles(self) -> list[VehicleSummary]:
        """GET /api/1/vehicles, all pages."""
        found: list[VehicleSummary] = []
        page = 1
        while True:
            body = self._get_json("vehicles", "/api/1/vehicles", params={"page": page, "per_page": VEHICLES_PER_PAGE})
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

    def fleet_status(self, vins: Sequence[str]) -> FleetStatus:
        """POST /api/1/vehicles/fleet_status for several VINs in one billed call."""
        body = {"vins": list(vins)}
        response = self._send("POST", "fleet_status", "/api/1/vehicles/fleet_status", json_body=body)
        return self._parse(FleetStatus, response_object(response, "fleet_status"))

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
        return response_object(response, "partner_accounts")

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
        page_size: int = HISTORY_PAGE_SIZE,
    ) -> list[ChargingSession]:
        """GET /api/1/dx/charging/history: every page, sessions de-duplicated by id.

        The first page tells how many sessions there are; the other pages are then fetched side by
        side. Tesla documents `pageNo` without saying where it starts; we start at 0 and drop
        repeats, so a 1-based server (page 0 == page 1) costs one extra call instead of duplicated
        or lost sessions: what is still missing after the known pages is read page by page.
        """
        filters: dict[str, Any] = {"pageSize": page_size, "sortBy": "chargeStartDateTime", "sortOrder": sort_order}
        if vin:
            filters["vin"] = vin
        if start_time:
            filters["startTime"] = start_time.isoformat()
        if end_time:
            filters["endTime"] = end_time.isoformat()

        def page(page_no: int) -> ChargingHistoryPage:
            params = {"pageNo": page_no, **filters}
            return self._get_model("charging_history", "/api/1/dx/charging/history", ChargingHistoryPage, params)

        pages = [page(0)]
        total = pages[0].totalResults
        if total is not None and _has_more(pages[0], len(pages[0].data), page_size):
            known = min(math.ceil(total / page_size), MAX_HISTORY_PAGES)
            pages += run_all([partial(page, n) for n in range(1, known)])
        sessions: dict[str, ChargingSession] = {}
        stale_pages = 0
        for page_no in range(MAX_HISTORY_PAGES):
            current = pages[page_no] if page_no < len(pages) else page(page_no)
            before = len(sessions)
            for index, session in enumerate(current.data):
                key = str(session.sessionId) if session.sessionId is not None else f"p{page_no}-{index}"
                sessions.setdefault(key, session)
            stale_pages = stale_pages + 1 if len(sessions) == before else 0
            # One repeated page is the 1-based case; two in a row is a server going round in circles.
            if not current.data or not _has_more(current, len(sessions), page_size) or stale_pages >= 2:
                break
        return list(sessions.values())


def _has_more(page: ChargingHistoryPage, seen: int, page_size: int) -> bool:
    if page.hasMoreData is not None:
        return page.hasMoreData
    if page.totalResults is not None:
        return seen < page.totalResults
    return len(page.data) >= page_size
