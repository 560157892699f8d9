"""Partner registration: POST /api/1/partner_accounts fetches the domain's public key, as Tesla does."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import UTC, datetime

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
from flask import Blueprint, Response, request

from .guard import caller, fleet_endpoint, sim_state
from .replies import error, ok

partner = Blueprint("partner", __name__, url_prefix="/fleet/<any(na,eu,cn):region>")

WELL_KNOWN = "/.well-known/appspecific/com.tesla.3p.public-key.pem"


def public_key_url(domain: str) -> str:
    """Where Tesla looks for the key; loopback domains use http because the local stack has no TLS."""
    if domain.startswith(("http://", "https://")):
        return domain.rstrip("/") + WELL_KNOWN
    host = domain.rsplit(":", 1)[0].strip("[]")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return f"{'http' if loopback else 'https'}://{domain}{WELL_KNOWN}"


def fetch_public_key(url: str) -> str:
    """GET the PEM (tests replace this function to avoid network calls)."""
    reply = requests.get(url, timeout=5)
    reply.raise_for_status()
    return reply.text


def _p256_point(pem: str) -> str:
    key = load_pem_public_key(pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("the key must be an EC prime256v1 (secp256r1) public key")
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint).hex()


@partner.post("/api/1/partner_accounts")
@fleet_endpoint(kind="partner", regional=False, registered=False)
def register() -> Response:
    """Register the partner domain in this region after checking its well-known public key."""
    body = request.get_json(silent=True)
    domain = body.get("domain") if isinstance(body, dict) else None
    if not isinstance(domain, str) or not domain.strip():
        return error(422, "invalid_resource", "domain is required", messages={"domain": ["is required"]})
    url = public_key_url(domain.strip())
    try:
        pem = fetch_public_key(url)
        point = _p256_point(pem)
    except (requests.RequestException, ValueError) as exc:
        return error(422, "invalid_resource", f"Public key not found or invalid at {url}: {exc}")
    account = sim_state().register_partner(caller().region, domain.strip(), point)
    stamp = datetime.fromtimestamp(account.registered_at, UTC).isoformat().replace("+00:00", "Z")
    return ok(
        {
            "account_id": secrets.token_hex(8),
            "domain": account.domain,
            "name": "Simulated partner",
            "description": "",
            "client_id": sim_state().config.client_id,
            "ca": None,
            "created_at": stamp,
            "updated_at": stamp,
            "enterprise_tier": "free",
            "csr": None,
            "public_key": pem,
        }
    )


@partner.get("/api/1/partner_accounts/public_key")
@fleet_endpoint(kind="partner", regional=False, registered=False)
def public_key() -> Response:
    """The registered public key (hex of the uncompressed point) for ?domain= in this region."""
    account = sim_state().partner(caller().region)
    domain = request.args.get("domain", "")
    if account is None or account.domain != domain:
        return error(404, "not_found", "no partner account for this domain in this region")
    return ok({"public_key": account.public_key})
