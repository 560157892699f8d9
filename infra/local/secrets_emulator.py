"""Local stand-in for the two Secret Manager v1 REST calls made here, seeded with the stack's secrets.

Secret Manager API (google-cloud-secret-manager, transport="rest"):
  GET  /v1/projects/P/secrets/S/versions/{latest|N}:access   access_secret_version: how the product
       reads every secret (SecretManagerSource); answers the payload with its CRC32C
  POST /v1/projects/P/secrets/S:addVersion                   add_secret_version: a rotation, as
       `make keys` does in the cloud (tests/e2e/test_key_rotation.py); checks a given CRC32C
There is no create: the secrets are the seed (the stack passes its values in an environment
variable, so they never land on disk), and a version can only be added to one of them.
Secret ids form one namespace shared by all projects, so the seed works whatever project id the caller uses.

Emulator control: GET /_emulator/health (the stack waits for it).

Usage: python -m infra.local.secrets_emulator --host 127.0.0.1 --port 8124 --seed-env VAR
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import google_crc32c
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

log = logging.getLogger("secrets_emulator")

_SECRET = r"(projects/[^/]+/secrets/([A-Za-z0-9_-]{1,255}))"
_VERSION = _SECRET + r"/versions/(latest|[0-9]+)"


def _crc32c(data: bytes) -> str:
    return str(int(google_crc32c.value(data)))  # int64 fields travel as strings in proto3 JSON


class SecretsEmulator:
    """In-process Secret Manager stand-in for the real client (REST transport)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: Mapping[str, str] | None = None) -> None:
        self._lock = threading.Lock()
        # secret id -> its versions' payloads; version N is at index N - 1
        self._versions: dict[str, list[bytes]] = {k: [v.encode()] for k, v in (seed or {}).items()}
        self.app = self._build_app()
        self._http = ThreadedHttpServer(self.app, host, port)

    @property
    def url(self) -> str:
        """Base URL to pass as the client's api_endpoint."""
        return self._http.url

    def start(self) -> None:
        """Start serving on a background thread."""
        self._http.start()
        log.info("secrets emulator listening on %s (%d seeded secrets)", self.url, len(self._versions))

    def stop(self) -> None:
        """Stop serving."""
        self._http.stop()

    def _build_app(self) -> Flask:
        app = make_app("secrets_emulator")
        routes: list[Route] = [
            ("GET", rf"{_VERSION}:access", self._access),
            ("POST", rf"{_SECRET}:addVersion", self._add_version),
        ]
        add_api_routes(app, "v1", routes, self._lock)
        return app

    def _secret(self, secret_id: str) -> list[bytes]:
        versions = self._versions.get(secret_id)
        if versions is None:
            raise ApiError(404, f"Secret [{secret_id}] not found or has no versions.")
        return versions

    def _access(self, name: str, secret_id: str, version: str) -> dict[str, Any]:
        versions = self._secret(secret_id)
        number = len(versions) if version == "latest" else int(version)
        if not 1 <= number <= len(versions):
            raise ApiError(404, f"Secret Version [{secret_id}/{version}] not found.")
        data = versions[number - 1]
        log.info("secret accessed: %s/%s -> version %d", secret_id, version, number)
        return {
            "name": f"{name}/versions/{number}",
            "payload": {"data": base64.b64encode(data).decode(), "dataCrc32c": _crc32c(data)},
        }

    def _add_version(self, name: str, secret_id: str) -> dict[str, Any]:
        versions = self._secret(secret_id)
        payload = (request.get_json(silent=True) or {}).get("payload") or {}
        data = base64.b64decode(payload.get("data") or "")
        checksum = payload.get("dataCrc32c")
        if checksum is not None and str(checksum) != _crc32c(data):
            raise ApiError(400, "Checksum mismatch: dataCrc32c does not match the payload.")
        versions.append(data)
        log.info("secret version added: %s/%d (%d bytes)", secret_id, len(versions), len(data))
        return {"name": f"{name}/versions/{len(versions)}", "state": "ENABLED"}


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: run the stand-in until SIGTERM/SIGINT."""
    p = cli_parser(__doc__, default_port=8124)
    p.add_argument("--seed-env", help='name of an environment variable holding {"secret-id": "value", ...}')
    a = p.parse_args(argv)
    emulator = SecretsEmulator(a.host, a.port, seed=_seed_from_env(a.seed_env) if a.seed_env else None)
    return run_until_signalled(emulator, "secrets emulator", a.log_level)


def _seed_from_env(name: str) -> dict[str, str]:
    raw = json.loads(os.environ.get(name) or "{}")
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ValueError(f"${name}: expected a JSON object of string -> string")
    return raw


if __name__ == "__main__":
    raise SystemExit(main())
