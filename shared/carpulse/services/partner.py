"""Ops: register our partner domain with Tesla per region, and check the public key end to end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
from pydantic import BaseModel

from carpulse.config import Settings
from carpulse.errors import ConfigError
from carpulse.partner_key import public_key_pem
from carpulse.tesla.auth import AuthDirectory, PartnerTokenProvider
from carpulse.tesla.client import TokenProvider
from carpulse.tesla.errors import TeslaError
from carpulse.tesla.ports import PartnerApi

log = logging.getLogger(__name__)
WELL_KNOWN = "/.well-known/appspecific/com.tesla.3p.public-key.pem"
REGIONS = ("na", "eu", "cn")


class RegionResult(BaseModel):
    """Outcome of registering in one region."""

    region: str
    registered: bool
    tesla_key_matches: bool | None = None
    message: str


class PartnerReport(BaseModel):
    """Outcome of a registration run."""

    domain: str
    served_key_matches: bool
    served_key_problem: str | None = None
    regions: list[RegionResult]

    @property
    def ok(self) -> bool:
        """Everything registered with the right key."""
        return self.served_key_matches and all(r.registered and r.tesla_key_matches is not False for r in self.regions)


def key_point(pem: str) -> str:
    """The uncompressed EC point of a PEM public key, as hex (how Tesla reports keys)."""
    key = load_pem_public_key(pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an EC public key")
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint).hex()


def well_known_url(domain: str) -> str:
    """Where Tesla fetches our key (plain http only for loopback, i.e. the local stack)."""
    host = domain.split(":")[0]
    scheme = "http" if host in ("127.0.0.1", "localhost") else "https"
    return f"{scheme}://{domain}{WELL_KNOWN}"


@dataclass
class PartnerRegistration:
    """Registers one domain in one or all regions."""

    settings: Settings
    auth: AuthDirectory
    private_key_pem: Callable[[], str]
    fleet: Callable[[str, TokenProvider], PartnerApi]
    http: requests.Session

    def run(self, domain: str, region: str) -> PartnerReport:
        """Check the served key, then register in `region` ("all" for na, eu and cn)."""
        ours = key_point(public_key_pem(self.private_key_pem()))
        served_ok, problem = self._served_key_matches(domain, ours)
        regions = REGIONS if region == "all" else (region,)
        results = [self._register(domain, r, ours) for r in regions]
        return PartnerReport(domain=domain, served_key_matches=served_ok, served_key_problem=problem, regions=results)

    def _served_key_matches(self, domain: str, ours: str) -> tuple[bool, str | None]:
        url = well_known_url(domain)
        try:
            response = self.http.get(url, timeout=10)
            response.raise_for_status()
            served = key_point(response.text)
        except (requests.RequestException, ValueError) as exc:
            return False, f"{url}: {type(exc).__name__}"
        return (True, None) if served == ours else (False, f"{url} serves a different key")

    def _register(self, domain: str, region: str, ours: str) -> RegionResult:
        base = self.settings.region_base_url(region)
        try:
            auth = self.auth.for_region(region)
        except ConfigError as exc:  # China without its own developer.tesla.cn application
            return RegionResult(region=region, registered=False, message=exc.description)
        client = self.fleet(base, PartnerTokenProvider(auth, audience=base))
        try:
            client.register_partner(domain)
        except TeslaError as exc:
            return RegionResult(region=region, registered=False, message=exc.description)
        try:
            held = client.partner_public_key(domain)
        except TeslaError as exc:
            return RegionResult(region=region, registered=True, message=f"registered; key check failed: {exc.error}")
        matches = held == ours if held else None
        message = "registered" + (
            "; Tesla holds our key" if matches else "; Tesla holds a DIFFERENT key" if held else ""
        )
        return RegionResult(region=region, registered=True, tesla_key_matches=matches, message=message)
