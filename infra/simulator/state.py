"""Mutable simulator state (clock, tokens, vehicle sleep/wake, faults, log, partner registrations).

The server runs threaded, so every piece of state is guarded by a lock. `reset()` returns everything
to the scenario's starting point without reloading files.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .billing import RequestLog
from .config import SimulatorConfig
from .faults import FaultBook
from .scenario import Scenario, VehicleState
from .tokens import Clock, TokenStore


@dataclass
class _VehicleRuntime:
    state: VehicleState
    wake_at: float | None = None


@dataclass(frozen=True)
class PartnerAccount:
    """A partner registration in one region."""

    region: str
    domain: str
    public_key: str
    registered_at: float


class SimState:
    """All runtime state of one simulator instance."""

    def __init__(self, config: SimulatorConfig, scenario: Scenario, clock: Clock = time.time) -> None:
        self.config = config
        self.scenario = scenario
        self._base_clock = clock
        self._offset = 0.0
        self._lock = threading.RLock()
        self.tokens = TokenStore(
            clock=self.now,
            access_ttl=config.access_token_ttl,
            refresh_ttl=config.refresh_token_ttl,
            code_ttl=config.auth_code_ttl,
            user_subject=scenario.account.vault_uuid,
        )
        self.faults = FaultBook()
        self.log = RequestLog(config.log_capacity, self.now)
        self._vehicles: dict[str, _VehicleRuntime] = {}
        self._partners: dict[str, PartnerAccount] = {}
        self._invoices: dict[str, bytes] = {}
        self.reset()

    def now(self) -> float:
        """Simulator time: the real (or injected) clock plus any offset from POST /_sim/clock."""
        with self._lock:
            return self._base_clock() + self._offset

    def advance(self, seconds: float) -> float:
        """Move simulator time forward (token expiry, code expiry and wake-ups all follow it)."""
        with self._lock:
            self._offset += seconds
            return self.now()

    def reset(self) -> None:
        """Back to the scenario's start: tokens, vehicle states, log, faults and registrations."""
        with self._lock:
            self._offset = 0.0
            self._vehicles = {vin: _VehicleRuntime(v.entry.state) for vin, v in self.scenario.vehicles.items()}
            self._partners.clear()
        self.tokens.reset()
        self.faults.clear()
        self.log.clear()

    def vehicle_state(self, vin: str) -> VehicleState:
        """The vehicle's current state; a pending wake-up completes once its delay has passed."""
        with self._lock:
            runtime = self._vehicles[vin]
            if runtime.wake_at is not None and self.now() >= runtime.wake_at:
                runtime.state, runtime.wake_at = "online", None
            return runtime.state

    def wake(self, vin: str) -> VehicleState:
        """Start waking an asleep vehicle (offline ones stay offline); return the state right now."""
        with self._lock:
            runtime = self._vehicles[vin]
            if runtime.state == "asleep" and runtime.wake_at is None:
                runtime.wake_at = self.now() + self.config.wake_seconds
            return self.vehicle_state(vin)

    def set_vehicle_state(self, vin: str, state: VehicleState) -> None:
        """Force a state (control API), cancelling any pending wake-up."""
        with self._lock:
            self._vehicles[vin] = _VehicleRuntime(state)

    def vehicle_states(self) -> dict[str, VehicleState]:
        """Current state of every vehicle."""
        return {vin: self.vehicle_state(vin) for vin in self.scenario.vehicles}

    def register_partner(self, region: str, domain: str, public_key: str) -> PartnerAccount:
        """Record a successful partner registration in a region."""
        with self._lock:
            account = PartnerAccount(region, domain, public_key, self.now())
            self._partners[region] = account
            return account

    def partner(self, region: str) -> PartnerAccount | None:
        """The partner registration of a region, if any."""
        with self._lock:
            return self._partners.get(region)

    def invoice_pdf(self, content_id: str, build: Callable[[], bytes]) -> bytes:
        """Scenario PDF if present, else a generated one (built once, then cached)."""
        path = self.scenario.invoice_files.get(content_id)
        if path is not None:
            return path.read_bytes()
        with self._lock:
            if content_id not in self._invoices:
                self._invoices[content_id] = build()
            return self._invoices[content_id]
