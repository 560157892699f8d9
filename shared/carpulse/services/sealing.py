"""Sealing a rendered report: check id → QR mark on every page → PAdES signature → record.

The record is written before the signed PDF is returned for upload, so no PDF ever exists without
its record. A retried task reuses the check id of its report and VIN (a slot), renders and signs
again, and overwrites the record's hash (a revocation made meanwhile stands).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Protocol

from carpulse.domain.snapshot import VehicleSnapshot
from carpulse.domain.verification import (
    HealthFacts,
    Odometer,
    ReportFacts,
    VerificationRecord,
    new_verification_id,
    owner_key,
    slot_key,
)
from carpulse.gcp.ports import Clock, VerificationStore
from carpulse.logs import log_fields, mask_vin
from carpulse.report.i18n import Catalog
from carpulse.report.units import display_units, miles_to
from carpulse.report.verify_mark import VerifyMark

log = logging.getLogger(__name__)
VERIFY_PATH = "/verify/"
SLOT_DAYS = 35  # longer than a report request lives: no task re-renders one after that


class PdfSigner(Protocol):
    """Signs PDFs (signing/pades.PadesSigner); key_id names its certificate."""

    key_id: str

    def sign(self, pdf: bytes) -> bytes:
        """The signed PDF."""
        ...


def verify_url(base_url: str, verification_id: str) -> str:
    """The public check page of one PDF."""
    return f"{base_url.rstrip('/')}{VERIFY_PATH}{verification_id}"


def facts_of(snapshot: VehicleSnapshot) -> ReportFacts:
    """What the PDF shows that a buyer compares: nothing more (no location, no full VIN)."""
    units = display_units(snapshot)
    odometer = (
        Odometer(value=round(miles_to(snapshot.odometer_mi, units.distance)), unit=units.distance.value)
        if snapshot.odometer_mi is not None
        else None
    )
    health = snapshot.battery_health
    as_of = health.tesla_soh_as_of if health else None
    return ReportFacts(
        report_id=snapshot.report_id,
        model=snapshot.identity.model,
        model_year=snapshot.identity.vin_facts.model_year,
        vin_last6=snapshot.identity.vin[-6:],
        odometer=odometer,
        battery_health=HealthFacts(
            method=health.method,
            tesla_soh_percent=health.tesla_soh_percent,
            tesla_soh_as_of=as_of.astimezone(UTC).date() if as_of else None,
            estimate_percent=health.estimate_percent,
        )
        if health
        else None,
        data_as_of=snapshot.data_as_of,
        generated_at=snapshot.generated_at,
        language=snapshot.language,
    )


@dataclass(kw_only=True)
class ReportSealer:
    """Turns a snapshot into the signed PDF a buyer can check."""

    store: VerificationStore
    signer: Callable[[], PdfSigner]  # built on first use: reads secrets, may reach KMS
    render: Callable[[VehicleSnapshot, VerifyMark], bytes]
    clock: Clock
    verify_base_url: str
    valid_days: int = 90
    retention_days: int = 6 * 365

    def seal(self, account_id: str, snapshot: VehicleSnapshot, rendition: str | None = None) -> bytes:
        """The signed PDF of the snapshot; its verification record is stored first. A rendition in
        another language is a PDF of its own with a check id of its own."""
        slot = slot_key(snapshot.report_id, snapshot.identity.vin, rendition)
        now = self.clock()
        verification_id = self.store.reserve(slot, new_verification_id(), now + timedelta(days=SLOT_DAYS))
        url = verify_url(self.verify_base_url, verification_id)
        mark = VerifyMark(url=url, caption=Catalog(snapshot.language).text("verify.footer", url=url))
        signer = self.signer()
        signed = signer.sign(self.render(snapshot, mark))
        self.store.save(
            VerificationRecord(
                verification_id=verification_id,
                facts=facts_of(snapshot),
                sha256=hashlib.sha256(signed).hexdigest(),
                key_id=signer.key_id,
                signed_at=now,
                valid_until=now + timedelta(days=self.valid_days),
                owner=owner_key(account_id),
                delete_after=now + timedelta(days=self.retention_days),
            )
        )
        log.info(
            "report sealed",
            extra=log_fields(report=snapshot.report_id, vin=mask_vin(snapshot.identity.vin), key_id=signer.key_id),
        )
        return signed
