"""What one vehicle task fetches from Tesla, and how each failure becomes a note, not a crash.

Core calls (state, vehicle_data) decide whether the task goes on; every other module is optional:
its failure is recorded against its section and the report goes on. The modules do not depend on
each other, so they run side by side (bounded by the account's gate). What does not change is
cached per VIN under the account in one object (specs and options for a while, release notes per
firmware version, the ids of the invoices stored), so a second report costs less and a VIN's
cache is one read; the cache goes with the account on disconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from carpulse.domain import billing
from carpulse.domain.snapshot import Section, SectionNote, SectionState
from carpulse.gcp.ports import BlobStore, Clock
from carpulse.logs import log_fields, mask_vin
from carpulse.services import normalise_sections as sections
from carpulse.services import object_names
from carpulse.services.fetched import FetchedVehicle
from carpulse.tesla import schemas
from carpulse.tesla import schemas_dx as dx
from carpulse.tesla.errors import (
    RateLimitedError,
    ScopeOrTokenError,
    TeslaError,
    VehicleError,
)
from carpulse.tesla.fanout import run_all
from carpulse.tesla.ports import FleetApi

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
CACHE_DAYS = {"specs": 180, "options": 30}
CACHE_OBJECT = "modules.json"
# A module failing so ends the task (it is deferred). A module's 404 is that section's alone: only
# vehicle_data's 404 (services/live_data.py) says the car left the account.
_FATAL = (RateLimitedError,)


class CachedModule(BaseModel):
    """One cached answer, when it was fetched, and (release notes) for which firmware."""

    fetched_at: datetime
    body: dict[str, Any]
    firmware: str | None = None


class VinCache(BaseModel):
    """Everything cached for one VIN, in one object."""

    modules: dict[str, CachedModule] = {}
    invoices: list[str] = []  # content ids stored under cache/{vin}/invoices/


def _over_budget(section: str) -> _Module:
    """A billed extra left out to keep the report within the owner's budget."""
    return _Module(None, [SectionNote(section=section, state=SectionState.MISSING, reason="reason.budget_specs")])


def cached_trim(blobs: BlobStore, account_id: str, vin: str) -> str | None:
    """The trim of the VIN's cached specs (an earlier report read them), or None: no Tesla call."""
    raw = blobs.get(object_names.vin_cache_object(account_id, vin, CACHE_OBJECT))
    if raw is None:
        return None
    try:
        cached = VinCache.model_validate_json(raw).modules.get("specs")
        specs = dx.VehicleSpecs.model_validate(cached.body) if cached else None
    except ValueError:  # a cache we cannot read is no trim, not an error for the vehicle list
        return None
    found = sections.specs_of(specs, None) if specs else None
    return found.trim if found else None


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
class _Module:
    """One optional module's outcome (kept apart per module, so notes keep a fixed order)."""

    value: Any = None
    notes: list[SectionNote] = field(default_factory=list)


@dataclass(kw_only=True)
class ModuleFetcher:
    """Fetches the optional modules of one VIN, side by side."""

    fleet: FleetApi
    partner_fleet: Callable[[], FleetApi] | None  # a client with a partner token, for specs
    blobs: BlobStore
    account_id: str
    clock: Clock
    allowance_usd: float | None = None  # this vehicle's share of the report's budget (None: no budget)
    prices: billing.PriceTable = field(default_factory=billing.PriceTable)

    def run(
        self,
        vin: str,
        sessions: list[schemas.ChargingSession],
        fleet_status: dx.FleetStatus | None = None,
        fleet_status_note: SectionNote | None = None,
    ) -> FetchedVehicle:
        """Every module once (fleet_status only if prepare did not bring it); a rate limit stops the
        task (it is re-scheduled), other errors (a 404 included) are notes on their sections."""
        cache_name = object_names.vin_cache_object(self.account_id, vin, CACHE_OBJECT)
        raw = self.blobs.get(cache_name)
        cache = VinCache.model_validate_json(raw) if raw is not None else VinCache()
        before = cache.model_copy(deep=True)
        firmware = _firmware(fleet_status, vin)
        need_status = fleet_status is None and fleet_status_note is None
        wanted = {i.contentId for s in sessions for i in s.invoices if i.contentId} - set(cache.invoices)
        specs_needed = self.partner_fleet is not None and self._fresh(cache, "specs", dx.VehicleSpecs) is None
        fetch_specs, invoice_room = billing.extras_within(self.allowance_usd, self.prices, specs_needed, len(wanted))
        calls: dict[str, Callable[[], _Module]] = {
            "service": lambda: self._module("service_data", lambda: self.fleet.service_data(vin)),
            "warranty": lambda: self._module("warranty", lambda: self.fleet.warranty(vin)),
            "alerts": lambda: self._module(Section.ALERTS.value, lambda: self.fleet.recent_alerts(vin)),
            "release_notes": lambda: self._release_notes(vin, cache, firmware),
            "fleet_status": lambda: (
                self._module("fleet_status", lambda: self.fleet.fleet_status([vin]))
                if need_status
                else _Module(fleet_status, [fleet_status_note] if fleet_status_note else [])
            ),
            "options": lambda: self._cached(cache, "options", dx.VehicleOptions, lambda: self.fleet.options(vin)),
            "specs": lambda: self._specs(vin, cache) if fetch_specs or not specs_needed else _over_budget("specs"),
            "invoices": lambda: self._invoices(vin, sessions, cache, invoice_room),
        }
        outcome = dict(zip(calls, run_all(list(calls.values())), strict=True))
        if cache != before:
            self.blobs.put(cache_name, cache.model_dump_json().encode(), "application/json")
        return FetchedVehicle(
            **{name: result.value for name, result in outcome.items() if name != "invoices"},
            stored_invoices=outcome["invoices"].value,
            notes=[note for result in outcome.values() for note in result.notes],
        )

    def _module(self, part: str, call: Callable[[], M]) -> _Module:
        try:
            return _Module(call())
        except _FATAL:
            raise
        except TeslaError as exc:
            return _Module(None, [note_for(part, exc)])

    def _fresh(self, cache: VinCache, name: str, model: type[M]) -> M | None:
        entry = cache.modules.get(name)
        if entry is not None and self.clock() - entry.fetched_at < timedelta(days=CACHE_DAYS[name]):
            return model.model_validate(entry.body)
        return None

    def _cached(self, cache: VinCache, name: str, model: type[M], call: Callable[[], M]) -> _Module:
        fresh = self._fresh(cache, name, model)
        if fresh is not None:
            return _Module(fresh)
        result = self._module(name, call)
        if result.value is not None:
            cache.modules[name] = CachedModule(fetched_at=self.clock(), body=result.value.model_dump(mode="json"))
        return result

    def _release_notes(self, vin: str, cache: VinCache, firmware: str | None) -> _Module:
        """The notes of the installed firmware: fetched again only when the version changed."""
        entry = cache.modules.get("release_notes")
        if firmware and entry is not None and entry.firmware == firmware:
            return _Module(dx.ReleaseNotes.model_validate(entry.body))
        result = self._module("release_notes", lambda: self.fleet.release_notes(vin))
        if firmware and result.value is not None:
            body = result.value.model_dump(mode="json")
            cache.modules["release_notes"] = CachedModule(fetched_at=self.clock(), body=body, firmware=firmware)
        return result

    def _specs(self, vin: str, cache: VinCache) -> _Module:
        if self.partner_fleet is None:
            return _Module(None, [_partner_token_required()])
        fresh = self._fresh(cache, "specs", dx.VehicleSpecs)
        if fresh is not None:
            return _Module(fresh)  # no partner token needed either
        try:
            partner = self.partner_fleet()
        except TeslaError as exc:
            log.warning("no partner token", extra=log_fields(error=exc.error))
            return _Module(None, [_partner_token_required()])
        return self._cached(cache, "specs", dx.VehicleSpecs, lambda: partner.specs(vin))

    def _invoices(
        self, vin: str, sessions: list[schemas.ChargingSession], cache: VinCache, room: int | None = None
    ) -> _Module:
        """Download each invoice once per account (they never change), side by side, as many as the
        budget has room for; the stored ids."""
        wanted = {i.contentId for s in sessions for i in s.invoices if i.contentId}
        missing = sorted(wanted - set(cache.invoices))
        skipped = missing[room:] if room is not None else []
        missing = missing[: len(missing) - len(skipped)]
        downloads = run_all([partial(self._invoice, vin, cid) for cid in missing])
        fetched = [cid for cid, ok in zip(missing, downloads, strict=True) if ok]
        cache.invoices = sorted(set(cache.invoices) | set(fetched))
        failed = len(missing) - len(fetched)
        notes = []
        if failed:
            log.warning("invoices not downloaded", extra=log_fields(vin=mask_vin(vin), failed=failed))
            notes.append(
                SectionNote(
                    section="invoices",
                    state=SectionState.FAILED,
                    reason="reason.invoices_failed",
                    detail={"count": str(failed)},
                )
            )
        if skipped:
            notes.append(
                SectionNote(
                    section="invoices",
                    state=SectionState.MISSING,
                    reason="reason.budget_invoices",
                    detail={"count": str(len(skipped))},
                )
            )
        return _Module(frozenset(wanted & set(cache.invoices)), notes)

    def _invoice(self, vin: str, content_id: str) -> bool:
        try:
            pdf = self.fleet.invoice(content_id)
        except RateLimitedError:
            raise
        except TeslaError:
            return False
        self.blobs.put(object_names.invoice_object(self.account_id, vin, content_id), pdf, "application/pdf")
        return True


def _firmware(status: dx.FleetStatus | None, vin: str) -> str | None:
    info = status.vehicle_info.get(vin) if status else None
    return info.firmware_version if info else None


def _partner_token_required() -> SectionNote:
    return SectionNote(
        section=Section.IDENTITY.value, state=SectionState.MISSING, reason="reason.partner_token_required"
    )
