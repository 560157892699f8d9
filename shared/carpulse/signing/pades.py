"""PAdES signatures with pyHanko: sign a rendered report, and check an uploaded one.

Signing is PAdES baseline B-B (B-T when a timestamp authority is configured): an invisible
signature field, SHA-256, ECDSA P-256, the signing certificate and our CA embedded. pyHanko
computes the signed attributes; only their SHA-256 digest goes to the SigningKey (Cloud KMS in
the cloud), so the private key never leaves its store.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from carpulse.errors import ConfigError
from carpulse.gcp.ports import SigningKey
from carpulse.signing.certs import key_id, public_key_pem_of

log = logging.getLogger(__name__)
# An upload signed by someone else is an expected answer ("modified"), not a fault worth a traceback.
logging.getLogger("pyhanko.sign.validation").setLevel(logging.ERROR)
FIELD_NAME = "CarPulseReportSignature"
SIGNER_NAME = "Car Pulse Tracker"
REASON = "Car Pulse Tracker vehicle report: issued and unchanged"
ECDSA_P256_MAX_DER = 72  # the longest DER ECDSA P-256 signature: room to reserve in a dry run
# The check page's address as the PDF carries it (footer link and QR code): /verify/<22+ chars>.
_VERIFY_ID = re.compile(rb"/verify/([A-Za-z0-9_-]{22,64})")


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class PortSigner(Signer):
    """A pyHanko Signer whose raw signature comes from a SigningKey port (KMS or local)."""

    def __init__(self, key: SigningKey, certificate: x509.Certificate, chain: list[x509.Certificate]) -> None:
        super().__init__(
            signing_cert=_asn1(certificate),
            # pyhanko_certvalidator leaves from_certs (and the store's constructor) unannotated.
            cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),  # type: ignore[no-untyped-call]
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            embed_roots=True,
        )
        self._key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        """ECDSA over SHA-256 of the signed attributes, made by the key's owner (KMS: a network call)."""
        if digest_algorithm != "sha256":
            raise SigningError(f"the report-signing key signs SHA-256 digests only, not {digest_algorithm}")
        if dry_run:
            return bytes(ECDSA_P256_MAX_DER)
        digest = hashlib.sha256(data).digest()
        return await asyncio.to_thread(self._key.sign_digest, digest)


class PadesSigner:
    """Signs report PDFs with one signing key and its certificate under our report CA."""

    def __init__(
        self,
        key: SigningKey,
        certificate: x509.Certificate,
        chain: list[x509.Certificate],
        *,
        timestamper: TimeStamper | None = None,
    ) -> None:
        # A certificate that is not the key's own would make every signature fail validation.
        if public_key_pem_of(certificate).strip() != key.public_key_pem().strip():
            raise ConfigError("the report-signing certificate does not belong to the configured signing key")
        self.key_id = key_id(certificate)
        self.signer_name = certificate.subject.rfc4514_string()
        self._signer = PortSigner(key, certificate, chain)
        self._timestamper = timestamper

    @property
    def profile(self) -> str:
        """The PAdES baseline level these signatures meet."""
        return "B-T" if self._timestamper else "B-B"

    def sign(self, pdf: bytes) -> bytes:
        """The PDF with an invisible PAdES signature over all of its bytes."""
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=REASON,
            name=SIGNER_NAME,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        pdf_signer = signers.PdfSigner(meta, signer=self._signer, timestamper=self._timestamper)
        signed = io.BytesIO()  # given rather than returned: pyHanko's sign_pdf is unannotated
        pdf_signer.sign_pdf(writer, output=signed)
        return signed.getvalue()


def timestamper_for(tsa_url: str, timeout: float = 10.0) -> TimeStamper | None:
    """An RFC 3161 client for the configured timestamp authority (None: B-B signatures)."""
    # pyHanko leaves RequestsHTTPTimeStamper's constructor unannotated.
    return RequestsHTTPTimeStamper(tsa_url, timeout=timeout) if tsa_url else None  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What a PDF's signature says, checked against our report CA(s)."""

    readable: bool  # pyHanko could parse the file
    signed: bool  # it carries a signature
    intact: bool  # the signed bytes hash to what was signed
    trusted: bool  # the signer certificate chains to one of our CAs (non-repudiation usage)
    whole_file: bool  # nothing was appended after signing
    signed_by: str | None
    signed_at: datetime | None
    key_id: str | None
    verification_id: str | None  # the check id the PDF links to

    @property
    def genuine(self) -> bool:
        """Our signature, intact, over the whole file."""
        return self.signed and self.intact and self.trusted and self.whole_file


def verification_id_in(data: bytes) -> str | None:
    """The check id the PDF's verify link carries (read from the raw bytes, so a damaged file still has one)."""
    match = _VERIFY_ID.search(data)
    return match.group(1).decode() if match else None


def check_pdf(data: bytes, trust_roots: list[x509.Certificate]) -> SignatureCheck:
    """Validate the last signature of a PDF with pyHanko against our CA(s) only (no fetching)."""
    found = verification_id_in(data)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        log.info("uploaded PDF could not be parsed")
        return SignatureCheck(False, False, False, False, False, None, None, None, found)
    if not signatures:
        return SignatureCheck(True, False, False, False, False, None, None, None, found)
    context = ValidationContext(
        trust_roots=[_asn1(c) for c in trust_roots], allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = validate_pdf_signature(signatures[-1], context)
    except Exception:
        log.info("uploaded PDF signature could not be evaluated")
        return SignatureCheck(True, True, False, False, False, None, None, None, found)
    signer = status.signing_cert
    timestamp = status.timestamp_validity.timestamp if status.timestamp_validity else None
    return SignatureCheck(
        readable=True,
        signed=True,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        whole_file=status.coverage is SignatureCoverageLevel.ENTIRE_FILE,
        signed_by=signer.subject.human_friendly if signer is not None else None,
        signed_at=timestamp or status.signer_reported_dt,
        key_id=key_id(x509.load_der_x509_certificate(signer.dump())) if signer is not None else None,
        verification_id=found,
    )
