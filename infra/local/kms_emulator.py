"""Local stand-in for the two Cloud KMS v1 REST calls the report signer makes (carpulse/gcp/kms_signing.py).

Cloud KMS API (google-cloud-kms, transport="rest"), on EC_SIGN_P256_SHA256 key versions:
  GET  /v1/{keyVersion}/publicKey        get_public_key: the PEM with its pemCrc32c
  POST /v1/{keyVersion}:asymmetricSign   asymmetric_sign of a SHA-256 digest: checks digestCrc32c,
                                         answers the signature with signatureCrc32c and verifiedDigestCrc32c
so the real client runs against it unchanged. Keys are made by the stand-in's owner, not through
the API: `add_version(key name)` in process, `--key NAME` on the command line (the cloud's keys
are made with gcloud, infra/deploy/report_keys.py). Private keys live only in this process's
memory, as in KMS they never leave the service.

Usage: python -m infra.local.kms_emulator --host 127.0.0.1 --port 8126 [--key NAME ...]
"""

from __future__ import annotations

import base64
import logging
import threading
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
)

log = logging.getLogger("kms_emulator")
ALGORITHM = "EC_SIGN_P256_SHA256"
_KEY = r"(projects/[^/]+/locations/[^/]+/keyRings/[A-Za-z0-9_-]{1,63}/cryptoKeys/[A-Za-z0-9_-]{1,63})"
_VERSION = _KEY + r"/cryptoKeyVersions/([0-9]+)"


def _crc(data: bytes) -> str:
    return str(int(google_crc32c.value(data)))  # int64 fields travel as strings in JSON


class KmsEmulator:
    """In-process KMS stand-in for the real client (REST transport)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, list[ec.EllipticCurvePrivateKey]] = {}  # key name -> versions; N is at N - 1
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
            versions = self._keys.setdefault(key_name, [])
            versions.append(ec.generate_private_key(ec.SECP256R1()))
            return f"{key_name}/cryptoKeyVersions/{len(versions)}"

    def _version(self, key: str, number: str) -> ec.EllipticCurvePrivateKey:
        versions = self._keys.get(key, [])
        if not 1 <= int(number) <= len(versions):
            raise ApiError(404, f"{key}/cryptoKeyVersions/{number} not found.")
        return versions[int(number) - 1]

    def _build_app(self) -> Flask:
        app = make_app("kms_emulator")
        routes: list[Route] = [
            ("GET", rf"{_VERSION}/publicKey", self._public_key),
            ("POST", rf"{_VERSION}:asymmetricSign", self._sign),
        ]
        add_api_routes(app, "v1", routes, self._lock)
        return app

    def _public_key(self, key: str, number: str) -> dict[str, Any]:
        pem = (
            self._version(key, number)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        return {
            "name": f"{key}/cryptoKeyVersions/{number}",
            "pem": pem.decode(),
            "algorithm": ALGORITHM,
            "pemCrc32c": _crc(pem),
            "protectionLevel": "SOFTWARE",
        }

    def _sign(self, key: str, number: str) -> dict[str, Any]:
        private = self._version(key, number)
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
            "name": f"{key}/cryptoKeyVersions/{number}",
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
