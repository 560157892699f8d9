"""Local stand-in for the part of the Cloud KMS v1 REST API the report signer uses.

Asymmetric EC_SIGN_P256_SHA256 key versions: create a key ring and key, add versions, read a
version's public key, and asymmetricSign a SHA-256 digest, with the CRC32C fields the real API
returns, so the real `google-cloud-kms` client (REST transport) runs against it unchanged.
Private keys live only in this process's memory, as in KMS they never leave the service.

Usage: python -m infra.local.kms_emulator --host 127.0.0.1 --port 8126 [--key NAME ...]
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import google_crc32c
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from flask import Flask, request

from infra.local._http_server import (
    ApiError,
    Route,
    ThreadedHttpServer,
    add_api_routes,
    cli_parser,
    make_app,
    run_until_signalled,
    ts_json,
)

log = logging.getLogger("kms_emulator")
ALGORITHM = "EC_SIGN_P256_SHA256"
# The client sends enums as numbers (`$alt=json;enum-encoding=int`); names are accepted too.
_PURPOSES = ("ASYMMETRIC_SIGN", 5)
_ALGORITHMS = (ALGORITHM, 12)
_RING = r"(projects/[^/]+/locations/[^/]+/keyRings/[A-Za-z0-9_-]{1,63})"
_KEY = _RING + r"/cryptoKeys/([A-Za-z0-9_-]{1,63})"
_VERSION = _KEY + r"/cryptoKeyVersions/([0-9]+)"


def _crc(data: bytes) -> str:
    return str(int(google_crc32c.value(data)))  # int64 fields travel as strings in JSON


@dataclass
class _Key:
    name: str
    created: float
    versions: list[ec.EllipticCurvePrivateKey] = field(default_factory=list)


class KmsEmulator:
    """In-process KMS stand-in for the real client (REST transport)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._rings: set[str] = set()
        self._keys: dict[str, _Key] = {}
        self.sign_calls = 0
        self.app = self._build_app()
        self._http = ThreadedHttpServer(self.app, host, port)

    @property
    def url(self) -> str:
        """Base URL to pass as the client's api_endpoint."""
        return self._http.url

    def start(self) -> None:
        """Start serving on a background thread."""
        self._http.start()

    def stop(self) -> None:
        """Stop serving."""
        self._http.stop()

    def add_version(self, key_name: str) -> str:
        """Create the key if needed and add a new version; returns the version's resource name."""
        with self._lock:
            key = self._keys.setdefault(key_name, _Key(key_name, time.time()))
            key.versions.append(ec.generate_private_key(ec.SECP256R1()))
            return f"{key_name}/cryptoKeyVersions/{len(key.versions)}"

    # ----- model (lock held) -----
    def _version(self, ring: str, key: str, number: str) -> ec.EllipticCurvePrivateKey:
        found = self._keys.get(f"{ring}/cryptoKeys/{key}")
        index = int(number)
        if found is None or not 1 <= index <= len(found.versions):
            raise ApiError(404, f"{ring}/cryptoKeys/{key}/cryptoKeyVersions/{number} not found.")
        return found.versions[index - 1]

    # ----- HTTP API -----
    def _build_app(self) -> Flask:
        app = make_app("kms_emulator", admin={"stats": lambda: {"sign_calls": self.sign_calls}})
        routes: list[Route] = [
            ("POST", r"(projects/[^/]+/locations/[^/]+)/keyRings", self._api_create_ring),
            ("POST", rf"{_RING}/cryptoKeys", self._api_create_key),
            ("POST", rf"{_KEY}/cryptoKeyVersions", self._api_create_version),
            ("GET", rf"{_VERSION}/publicKey", self._api_public_key),
            ("POST", rf"{_VERSION}:asymmetricSign", self._api_sign),
        ]
        add_api_routes(app, "v1", routes, self._lock)
        return app

    def _api_create_ring(self, parent: str) -> dict[str, Any]:
        name = f"{parent}/keyRings/{request.args.get('keyRingId', '')}"
        if name in self._rings:
            raise ApiError(409, f"KeyRing {name} already exists.")
        self._rings.add(name)
        return {"name": name, "createTime": ts_json(time.time())}

    def _api_create_key(self, ring: str) -> dict[str, Any]:
        body = request.get_json(silent=True) or {}
        algorithm = (body.get("versionTemplate") or {}).get("algorithm", ALGORITHM)
        if body.get("purpose") not in _PURPOSES or algorithm not in _ALGORITHMS:
            raise ApiError(400, f"the emulator only has ASYMMETRIC_SIGN keys with {ALGORITHM}")
        name = f"{ring}/cryptoKeys/{request.args.get('cryptoKeyId', '')}"
        if name in self._keys:
            raise ApiError(409, f"CryptoKey {name} already exists.")
        key = self._keys[name] = _Key(name, time.time())
        if request.args.get("skipInitialVersionCreation") not in ("true", "1"):
            key.versions.append(ec.generate_private_key(ec.SECP256R1()))
        return {"name": name, "purpose": "ASYMMETRIC_SIGN", "versionTemplate": {"algorithm": ALGORITHM}}

    def _api_create_version(self, ring: str, key: str) -> dict[str, Any]:
        found = self._keys.get(f"{ring}/cryptoKeys/{key}")
        if found is None:
            raise ApiError(404, f"CryptoKey {ring}/cryptoKeys/{key} not found.")
        found.versions.append(ec.generate_private_key(ec.SECP256R1()))
        return {"name": f"{found.name}/cryptoKeyVersions/{len(found.versions)}", "state": "ENABLED"}

    def _api_public_key(self, ring: str, key: str, number: str) -> dict[str, Any]:
        private = self._version(ring, key, number)
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "name": f"{ring}/cryptoKeys/{key}/cryptoKeyVersions/{number}",
            "pem": pem.decode(),
            "algorithm": ALGORITHM,
            "pemCrc32c": _crc(pem),
            "protectionLevel": "SOFTWARE",
        }

    def _api_sign(self, ring: str, key: str, number: str) -> dict[str, Any]:
        private = self._version(ring, key, number)
        body = request.get_json(silent=True) or {}
        encoded = (body.get("digest") or {}).get("sha256")
        if not encoded:
            raise ApiError(400, f"{ALGORITHM} needs digest.sha256")
        digest = base64.b64decode(encoded)
        if len(digest) != 32:
            raise ApiError(400, "digest.sha256 must be 32 bytes")
        claimed = body.get("digestCrc32c")
        if claimed is not None and str(claimed) != _crc(digest):
            raise ApiError(400, "The checksum in field digest_crc32c did not match the data in field digest.")
        signature = private.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        self.sign_calls += 1
        return {
            "name": f"{ring}/cryptoKeys/{key}/cryptoKeyVersions/{number}",
            "signature": base64.b64encode(signature).decode(),
            "signatureCrc32c": _crc(signature),
            "verifiedDigestCrc32c": claimed is not None,
            "protectionLevel": "SOFTWARE",
        }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: run the stand-in until SIGTERM/SIGINT."""
    p = cli_parser(__doc__, default_port=8126)
    p.add_argument("--key", action="append", default=[], help="a cryptoKey resource name to create with one version")
    a = p.parse_args(argv)
    emulator = KmsEmulator(a.host, a.port)
    for name in a.key:
        log.info("created %s", emulator.add_version(name))
    return run_until_signalled(emulator, "kms emulator", a.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
