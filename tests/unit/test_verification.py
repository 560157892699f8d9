"""Sealing and checking reports: real signatures (pyHanko, a local key under a fresh CA), real PDFs,
in-memory stores. What a buyer is told for each kind of file and check id."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from pypdf import PdfReader

from carpulse.domain.verification import (
    CheckStatus,
    NotAPdfError,
    RateLimitedError,
    RecordStatus,
    RevocationReason,
    UploadTooLargeError,
    owner_key,
)
from carpulse.report.pdf import render_vehicle_pdf
from carpulse.report.verify_mark import VerifyMark
from carpulse.services.battery_health import with_battery_health
from carpulse.services.sealing import ReportSealer, facts_of
from carpulse.services.verification import MAX_UPLOAD_BYTES, VerificationService
from carpulse.signing import certs
from carpulse.signing.keys import LocalSigningKey
from carpulse.signing.pades import PadesSigner, check_pdf, verification_id_in
from tests.fakes import FakeClock
from tests.report_samples import EU_VIN, full_eu
from tests.verification_fakes import FakeRateLimiter, FakeVerificationStore

BASE = "https://api.example.test"
ACCOUNT = "acc-1"


@dataclass
class World:
    material: certs.LocalMaterial
    store: FakeVerificationStore
    clock: FakeClock
    sealer: ReportSealer
    service: VerificationService


def _signer(material: certs.LocalMaterial) -> PadesSigner:
    key = LocalSigningKey(certs.private_key_pem(material.signing_key))
    return PadesSigner(key, material.signing_certificate, [material.authority.certificate])


@pytest.fixture(scope="module")
def material() -> certs.LocalMaterial:
    return certs.local_material("test")


def _world(material: certs.LocalMaterial) -> World:
    store, clock = FakeVerificationStore(), FakeClock()
    signer = _signer(material)
    sealer = ReportSealer(
        store=store, signer=lambda: signer, render=render_vehicle_pdf, clock=clock, verify_base_url=BASE, valid_days=90
    )
    service = VerificationService(
        store=store,
        limiter=FakeRateLimiter(),
        clock=clock,
        trust_roots=lambda: [material.authority.certificate],
        check=check_pdf,
        page_per_minute=5,
    )
    return World(material, store, clock, sealer, service)


@pytest.fixture
def world(material: certs.LocalMaterial) -> World:
    return _world(material)


@pytest.fixture(scope="module")
def sealed_once(material: certs.LocalMaterial) -> tuple[bytes, FakeVerificationStore]:
    """The EU report sealed once per module (rendering and signing are the slow part), with its store."""
    first = _world(material)
    return first.sealer.seal(ACCOUNT, with_battery_health(full_eu())), first.store


@pytest.fixture
def sealed(world: World, sealed_once: tuple[bytes, FakeVerificationStore]) -> bytes:
    """The sealed report, its check id's slot and its record in this test's store, as if sealed in
    this world: the sealing world was built the same way and its clock read the same time."""
    pdf, store = sealed_once
    world.store.slots.update(store.slots)
    world.store.records.update(store.records)
    return pdf


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    """The EU report rendered without a check mark or signature, once per module."""
    return render_vehicle_pdf(full_eu())


def _only_record(world: World):
    (record,) = world.store.records.values()
    return record


def test_a_sealed_report_is_signed_recorded_and_links_its_check_page(world: World, sealed: bytes) -> None:
    record = _only_record(world)
    assert record.sha256 == hashlib.sha256(sealed).hexdigest()
    assert record.key_id == certs.key_id(world.material.signing_certificate)
    assert record.valid_until == world.clock.now + timedelta(days=90)
    assert record.owner == owner_key(ACCOUNT)
    assert record.facts == facts_of(with_battery_health(full_eu()))
    assert record.facts.vin_last6 == EU_VIN[-6:]
    assert EU_VIN not in record.model_dump_json()  # the full VIN stays in the PDF only
    check = check_pdf(sealed, [world.material.authority.certificate])
    assert check.genuine
    assert check.verification_id == record.verification_id
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sealed)).pages)
    pages = len(PdfReader(io.BytesIO(sealed)).pages)
    url = f"{BASE}/verify/{record.verification_id}"
    assert text.count(url) == pages  # the URL in words on every page, beside the report id
    assert text.count(f"Report {record.facts.report_id}") >= pages


def test_check_ids_are_random_128_bits_and_one_per_report_and_vin(world: World, sealed: bytes) -> None:
    first = _only_record(world)
    assert len(first.verification_id) >= 22
    again = world.sealer.seal(ACCOUNT, with_battery_health(full_eu()))  # a retried task renders again
    second = _only_record(world)
    assert second.verification_id == first.verification_id
    assert second.sha256 == hashlib.sha256(again).hexdigest() != first.sha256
    other = world.sealer.seal(ACCOUNT, with_battery_health(full_eu(report_id="rpt-other")))
    assert verification_id_in(other) != first.verification_id


def test_the_genuine_file_reads_valid_with_signature_and_facts(world: World, sealed: bytes) -> None:
    result = world.service.check_upload(sealed)
    record = _only_record(world)
    assert result.status is CheckStatus.VALID
    assert (result.report_id, result.verification_id) == (record.facts.report_id, record.verification_id)
    assert result.signature is not None
    assert result.signature.intact
    assert result.signature.trusted
    assert result.signature.covers_whole_file
    assert "report signing" in (result.signature.signed_by or "")
    assert result.facts == record.facts


@pytest.mark.parametrize("where", [0.25, 0.5, 0.9])
def test_a_one_byte_change_reads_modified(world: World, sealed: bytes, where: float) -> None:
    changed = bytearray(sealed)
    changed[int(len(changed) * where)] ^= 0x01
    assert world.service.check_upload(bytes(changed)).status is CheckStatus.MODIFIED


def test_appending_after_the_signature_reads_modified(world: World, sealed: bytes) -> None:
    result = world.service.check_upload(sealed + b"\n% appended\n")
    assert result.status is CheckStatus.MODIFIED


def test_a_pdf_without_signature_reads_unsigned(world: World, unsigned: bytes) -> None:
    assert world.service.check_upload(unsigned).status is CheckStatus.UNSIGNED


def test_a_signature_by_another_ca_reads_modified_and_an_unknown_id_unknown(
    world: World, sealed: bytes, unsigned: bytes
) -> None:
    forger = _signer(certs.local_material("forger"))
    assert world.service.check_upload(forger.sign(unsigned)).status is CheckStatus.UNKNOWN
    url = f"{BASE}/verify/{_only_record(world).verification_id}"  # a copy of a genuine check mark
    forged = forger.sign(render_vehicle_pdf(full_eu(odometer_mi=5000), VerifyMark(url, url)))
    assert world.service.check_upload(forged).status is CheckStatus.MODIFIED
    world.store.records.clear()
    assert world.service.check_upload(sealed).status is CheckStatus.UNKNOWN


def test_expired_and_revoked_reports(world: World, sealed: bytes) -> None:
    record = _only_record(world)
    world.clock.advance(91 * 24 * 3600)
    assert world.service.check_upload(sealed).status is CheckStatus.EXPIRED
    assert world.service.lookup(record.verification_id, "c").status is RecordStatus.EXPIRED
    assert world.service.revoke_report(ACCOUNT, record.facts.report_id) == 1
    assert world.service.check_upload(sealed).status is CheckStatus.REVOKED  # revoked beats expired
    looked = world.service.lookup(record.verification_id, "c")
    assert (looked.status, looked.revoked_at) == (RecordStatus.REVOKED, world.clock.now)


def test_revocation_is_per_owner_and_survives_a_re_render(world: World, sealed: bytes) -> None:
    record = _only_record(world)
    assert world.service.revoke_report("someone-else", record.facts.report_id) == 0
    assert world.service.revoke_account(ACCOUNT) == 1
    assert world.service.revoke_account(ACCOUNT) == 0  # already revoked: counted once
    assert _only_record(world).revocation_reason is RevocationReason.DISCONNECTED
    world.sealer.seal(ACCOUNT, with_battery_health(full_eu()))
    assert _only_record(world).revoked_at is not None


def test_lookup_of_unknown_or_malformed_ids_reads_not_found(world: World, sealed: bytes) -> None:
    assert world.service.lookup("A" * 22, "c").status is RecordStatus.NOT_FOUND
    reads = world.store.reads
    assert world.service.lookup("../../etc", "c").status is RecordStatus.NOT_FOUND
    assert world.store.reads == reads  # a malformed id never reaches the store
    found = world.service.lookup(_only_record(world).verification_id, "c")
    assert found.status is RecordStatus.VALID
    assert found.sha256 == _only_record(world).sha256
    assert "owner" not in found.model_dump()


def test_each_client_is_rate_limited_alone(world: World) -> None:
    for _ in range(5):
        world.service.lookup("A" * 22, "client-a")
    with pytest.raises(RateLimitedError) as raised:
        world.service.lookup("A" * 22, "client-a")
    assert raised.value.retry_after is not None
    assert 0 < raised.value.retry_after <= 60
    world.service.lookup("A" * 22, "client-b")
    world.clock.advance(60)
    world.service.lookup("A" * 22, "client-a")


def test_uploads_that_are_not_pdfs_or_too_large_are_refused(world: World) -> None:
    with pytest.raises(NotAPdfError):
        world.service.check_upload(b"GIF89a...")
    with pytest.raises(UploadTooLargeError):
        world.service.check_upload(b"%PDF-1.7" + bytes(MAX_UPLOAD_BYTES))


def test_a_certificate_of_another_key_is_refused_at_start(material: certs.LocalMaterial) -> None:
    from carpulse.errors import ConfigError

    other = certs.local_material("other")
    with pytest.raises(ConfigError, match="does not belong"):
        PadesSigner(LocalSigningKey(certs.private_key_pem(other.signing_key)), material.signing_certificate, [])
