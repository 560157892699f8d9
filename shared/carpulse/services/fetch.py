"""What one vehicle task fetches from Tesla, and how each failure becomes a note, not a crash.

Core calls (cheap state, vehicle_data) decide whether the task goes on; every other module is
optional: its failure is recorded against its section and the report goes on. What does not
change (specs, options, invoices) is cached per VIN under the account, so a second report costs
less; the cache goes with the account on disconnect.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from carpulse.domain.snapshot import Section, SectionNote, SectionState
from carpulse.gcp.ports import BlobStore, Clock
from carpulse.logs import log_fields, mask_vin
from carpulse.services import layout
from carpulse.tesla import schemas
from carpulse.tesla import schemas_dx as dx
from carpulse.tesla.client import FleetClient
from carpulse.tesla.errors import RateLimitedError, ScopeOrTokenError, TeslaError, VehicleError

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
CACHE_DAYS = {"specs": 180, "options": 30}


class FetchedVehicle(BaseModel):
    """Everything fetched for one VIN (None = not available; see notes)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    service: dx.ServiceData | None = None
    alerts: dx.RecentAlerts | None = None
    release_notes: dx.ReleaseNotes | None = None
    warranty: dx.WarrantyDetails | None = None
    options: dx.VehicleOptions | None = None
    specs: dx.VehicleSpecs | None = None
    fleet_status: dx.FleetStatus | None = None
    stored_invoices: frozenset[str] = frozenset()
    notes: list[SectionNote] = []


def note_for(part: str, exc: TeslaError) -> SectionNote:
    """The reader-facing reason for a failed module; `part` is a section or an endpoint name."""
    if isinstance(exc, VehicleError):
        return SectionNote(section=part, state=SectionState.FAILED, reason="reason.vehicle_error")
    if isinstance(exc, ScopeOrTokenError):
        scope = "vehicle_charging_cmds" if part in ("charging_history", "invoices") else "vehicle_device_data"
        return SectionNote(
            section=part, state=SectionState.MISSING, reason="reason.scope_missing", detail={"scope": scope}
        )
    if exc.retryable:
        return SectionNote(section=part, state=SectionState.FAILED, reason="reason.tesla_unavailable")
    return SectionNote(
        section=part, state=SectionState.FAILED, reason="reason.tesla_status", detail={"status": str(exc.status or "?")}
    )


@dataclass
class ModuleFetcher:
    """Fetches the optional modules of one VIN."""

    fleet: FleetClient
    partner_fleet: Callable[[], FleetClient] | None  # a client with a partner token, for specs
    blobs: BlobStore
    account_id: str
    clock: Clock
    fetched: FetchedVehicle = field(default_factory=FetchedVehicle)

    def run(self, vin: str, sessions: list[schemas.ChargingSession]) -> FetchedVehicle:
        """Every module once; a rate limit stops the task (it is re-scheduled), other errors are notes."""
        f = self.fetched
        f.service = self._module("service_data", lambda: self.fleet.service_data(vin))
        f.warranty = self._module("warranty", lambda: self.fleet.warranty(vin))
        f.alerts = self._module(Section.ALERTS.value, lambda: self.fleet.recent_alerts(vin))
        f.release_notes = self._module("release_notes", lambda: self.fleet.release_notes(vin))
        f.fleet_status = self._module("fleet_status", lambda: self.fleet.fleet_status(vin))
        f.options = self._cached(vin, "options", dx.VehicleOptions, lambda: self.fleet.options(vin))
        f.specs = self._specs(vin)
        f.stored_invoices = self._invoices(vin, sessions)
        return f

    def _module(self, part: str, call: Callable[[], M]) -> M | None:
        try:
            return call()
        except RateLimitedError:
            raise
        except TeslaError as exc:
            self.fetched.notes.append(note_for(part, exc))
            return None

    def _cached(self, vin: str, name: str, model: type[M], call: Callable[[], M]) -> M | None:
        key = layout.vin_cache_object(self.account_id, vin, f"{name}.json")
        raw = self.blobs.get(key)
        if raw is not None:
            cached = json.loads(raw)
            fetched_at = datetime.fromisoformat(cached["fetched_at"])
            if self.clock() - fetched_at < timedelta(days=CACHE_DAYS[name]):
                return model.model_validate(cached["body"])
        value = self._module(name, call)
        if value is not None:
            record = {"fetched_at": self.clock().isoformat(), "body": value.model_dump(mode="json")}
            self.blobs.put(key, json.dumps(record).encode(), "application/json")
        return value

    def _specs(self, vin: str) -> dx.VehicleSpecs | None:
        if self.partner_fleet is None:
            self.fetched.notes.append(
                SectionNote(
                    section=Section.IDENTITY.value, state=SectionState.MISSING, reason="reason.partner_token_required"
                )
            )
            return None
        try:
            partner = self.partner_fleet()
        except TeslaError as exc:
            log.warning("no partner token", extra=log_fields(error=exc.error))
            self.fetched.notes.append(
                SectionNote(
                    section=Section.IDENTITY.value, state=SectionState.MISSING, reason="reason.partner_token_required"
                )
            )
            return None
        return self._cached(vin, "specs", dx.VehicleSpecs, lambda: partner.specs(vin))

    def _invoices(self, vin: str, sessions: list[schemas.ChargingSession]) -> frozenset[str]:
        """Download each invoice once per account (they never change); returns the stored ids."""
        stored: set[str] = set()
        failed = 0
        for session in sessions:
            for invoice in session.invoices:
                if not invoice.contentId:
                    continue
                key = layout.invoice_object(self.account_id, vin, invoice.contentId)
                if self.blobs.get(key) is not None:
                    stored.add(invoice.contentId)
                    continue
                try:
                    pdf = self.fleet.invoice(invoice.contentId)
                except RateLimitedError:
                    raise
                except TeslaError:
                    failed += 1
                    continue
                self.blobs.put(key, pdf, "application/pdf")
                stored.add(invoice.contentId)
        if failed:
            log.warning("invoices not downloaded", extra=log_fields(vin=mask_vin(vin), failed=failed))
            self.fetched.notes.append(
                SectionNote(
                    section="invoices",
                    state=SectionState.FAILED,
                    reason="reason.invoices_failed",
                    detail={"count": str(failed)},
                )
            )
        return frozenset(stored)
