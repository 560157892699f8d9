"""The ports the services use to reach Tesla: the Fleet API for one account, and Tesla's OAuth
servers. FleetClient and TeslaAuthClient implement them; unit tests use fakes that subclass them,
so a method that is missing or changed in a fake fails the type check."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from carpulse.tesla.auth import TokenResponse
from carpulse.tesla.client import HISTORY_PAGE_SIZE
from carpulse.tesla.schemas import ChargingSession, UserRegion, VehicleData, VehicleSummary
from carpulse.tesla.schemas_dx import (
    FleetStatus,
    RecentAlerts,
    ReleaseNotes,
    ServiceData,
    VehicleOptions,
    VehicleSpecs,
    WarrantyDetails,
)
from carpulse.tesla.transport import TokenProvider

__all__ = ["FleetApi", "PartnerApi", "RegionApi", "TeslaAuth", "TokenProvider"]


class RegionApi(Protocol):
    """Where an account lives (connect, and re-discovery after a 421)."""

    def user_region(self) -> UserRegion:
        """GET /api/1/users/region: the account's region and its base URL (not billed)."""
        ...


class PartnerApi(Protocol):
    """Our partner registration in one region (ops: make register-partner)."""

    def register_partner(self, domain: str) -> dict[str, Any]:
        """POST /api/1/partner_accounts for our domain in this region (partner token)."""
        ...

    def partner_public_key(self, domain: str) -> str | None:
        """The public key Tesla holds for our domain in this region, or None."""
        ...


class FleetApi(Protocol):
    """The Fleet API endpoints a report reads, at one region for one token provider."""

    def vehicles(self) -> list[VehicleSummary]:
        """GET /api/1/vehicles, every page: the cheap list that never wakes a car."""
        ...

    def vehicle(self, vin: str) -> VehicleSummary:
        """GET /api/1/vehicles/{vin}: one car's state (online, asleep, offline)."""
        ...

    def vehicle_data(self, vin: str, *, with_location: bool = False) -> VehicleData:
        """GET /api/1/vehicles/{vin}/vehicle_data with our endpoint list (408 when asleep)."""
        ...

    def service_data(self, vin: str) -> ServiceData:
        """GET /api/1/vehicles/{vin}/service_data."""
        ...

    def recent_alerts(self, vin: str) -> RecentAlerts:
        """GET /api/1/vehicles/{vin}/recent_alerts."""
        ...

    def release_notes(self, vin: str, *, staged: bool = False, language: str | None = None) -> ReleaseNotes:
        """GET /api/1/vehicles/{vin}/release_notes (nested or flat answer, normalised)."""
        ...

    def warranty(self, vin: str) -> WarrantyDetails:
        """GET /api/1/dx/warranty/details?vin=."""
        ...

    def options(self, vin: str) -> VehicleOptions:
        """GET /api/1/dx/vehicles/options?vin=."""
        ...

    def specs(self, vin: str) -> VehicleSpecs:
        """GET /api/1/vehicles/{vin}/specs (needs a partner token)."""
        ...

    def fleet_status(self, vins: Sequence[str]) -> FleetStatus:
        """POST /api/1/vehicles/fleet_status for several VINs in one call."""
        ...

    def invoice(self, content_id: str) -> bytes:
        """GET /api/1/dx/charging/invoice/{id}: the PDF."""
        ...

    def wake_up(self, vin: str) -> VehicleSummary:
        """POST /api/1/vehicles/{vin}/wake_up (billed as a wake)."""
        ...

    def charging_history(
        self,
        *,
        vin: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        sort_order: str = "DESC",
        page_size: int = HISTORY_PAGE_SIZE,
    ) -> list[ChargingSession]:
        """GET /api/1/dx/charging/history, every page, sessions de-duplicated."""
        ...


class TeslaAuth(Protocol):
    """One Tesla OAuth server with our application there."""

    def authorize_url(self, state: str) -> str:
        """Where the owner logs in and consents."""
        ...

    def exchange_code(self, code: str, *, audience: str) -> TokenResponse:
        """The authorization code for tokens."""
        ...

    def refresh(self, refresh_token: str) -> TokenResponse:
        """A single-use refresh token for a new pair."""
        ...

    def partner_token(self, *, audience: str) -> str:
        """Our client-credentials token for a region (cached until it expires)."""
        ...

    def forget_partner_token(self, audience: str) -> None:
        """Drop a cached partner token that Tesla refused."""
        ...
