"""Local stand-in for the Secret Manager v1 REST API (secrets, versions, access with `latest`).

Secret ids form one namespace shared by all projects, so seeds work whatever project id the caller uses.
Usage: python -m infra.local.secrets_emulator --host 127.0.0.1 --port 8124 [--seed-file secrets.json]
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
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
    ts_json,
)

log = logging.getLogger("secrets_emulator")

_PARENT = r"(projects/[^/]+(?:/locations/[^/]+)?)"
_SECRET = _PARENT + r"/secrets/([A-Za-z0-9_-]{1,255})"
_VERSION = _SECRET + r"/versions/(latest|[0-9]+)"


@dataclass
class _Version:
    number: int
    data: bytes
    create_time: float
    client_checksum: bool


@dataclass
class _Secret:
    secret_id: str
    create_time: float
    labels: dict[str, str]
    replication: dict[str, Any]
    versions: list[_Version] = field(default_factory=list)


def _crc32c(data: bytes) -> int:
    return int(google_crc32c.value(data))


def load_seed_file(path: str | Path) -> dict[str, str]:
    """Read a {"secret-id": "value", ...} JSON file."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ValueError(f"{path}: expected a JSON object of string -> string")
    return raw


class SecretsEmulator:
    """In-process Secret Manager stand-in for the real client (REST transport)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: Mapping[str, str | bytes] | None = None,
        seed_file: str | Path | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, _Secret] = {}
        self._seed: dict[str, str | bytes] = dict(load_seed_file(seed_file)) if seed_file else {}
        self._seed.update(seed or {})
        self._apply_seed()
        self.app = self._build_app()
        self._http = ThreadedHttpServer(self.app, host, port)

    @property
    def url(self) -> str:
        """Base URL to pass as the client's api_endpoint."""
        return self._http.url

    def start(self) -> None:
        """Start serving on a background thread."""
        self._http.start()
        log.info("secrets emulator listening on %s (%d seeded secrets)", self.url, len(self._seed))

    def stop(self) -> None:
        """Stop serving."""
        self._http.stop()

    def reset(self) -> None:
        """Drop everything, then re-apply the seed."""
        with self._lock:
            self._secrets.clear()
        self._apply_seed()

    def put(self, secret_id: str, value: str | bytes) -> int:
        """Create the secret if needed and add a version holding `value`; returns the version number."""
        data = value.encode() if isinstance(value, str) else value
        with self._lock:
            secret = self._secrets.get(secret_id) or self._new_secret(secret_id, {})
            return self._add_version(secret, data, client_checksum=False).number

    def secret_ids(self) -> list[str]:
        """Known secret ids (never values, so this is safe to expose and log)."""
        with self._lock:
            return sorted(self._secrets)

    def _apply_seed(self) -> None:
        for secret_id, value in self._seed.items():
            self.put(secret_id, value)

    # ----- model (lock held) -----
    def _new_secret(self, secret_id: str, body: dict[str, Any]) -> _Secret:
        secret = _Secret(
            secret_id=secret_id,
            create_time=time.time(),
            labels=dict(body.get("labels") or {}),
            replication=body.get("replication") or {"automatic": {}},
        )
        self._secrets[secret_id] = secret
        log.info("secret created: %s", secret_id)
        return secret

    def _add_version(self, secret: _Secret, data: bytes, client_checksum: bool) -> _Version:
        version = _Version(len(secret.versions) + 1, data, time.time(), client_checksum)
        secret.versions.append(version)
        log.info("secret version added: %s/%d (%d bytes)", secret.secret_id, version.number, len(data))
        return version

    def _secret(self, secret_id: str) -> _Secret:
        secret = self._secrets.get(secret_id)
        if secret is None:
            raise ApiError(404, f"Secret [{secret_id}] not found or has no versions.")
        return secret

    def _version(self, secret_id: str, version: str) -> _Version:
        secret = self._secret(secret_id)
        number = len(secret.versions) if version == "latest" else int(version)
        if not 1 <= number <= len(secret.versions):
            raise ApiError(404, f"Secret Version [{secret_id}/{version}] not found.")
        return secret.versions[number - 1]

    # ----- JSON views -----
    @staticmethod
    def _secret_json(prefix: str, s: _Secret) -> dict[str, Any]:
        return {
            "name": f"{prefix}/secrets/{s.secret_id}",
            "createTime": ts_json(s.create_time),
            "labels": s.labels,
            "replication": s.replication,
            "etag": f'"{len(s.versions)}"',
        }

    @staticmethod
    def _version_json(prefix: str, secret_id: str, v: _Version) -> dict[str, Any]:
        return {
            "name": f"{prefix}/secrets/{secret_id}/versions/{v.number}",
            "createTime": ts_json(v.create_time),
            "state": "ENABLED",
            "clientSpecifiedPayloadChecksum": v.client_checksum,
        }

    # ----- HTTP API -----
    def _build_app(self) -> Flask:
        app = make_app(
            "secrets_emulator",
            reset=self.reset,
            admin={
                "secrets": lambda: {"secrets": self.secret_ids()},
            },
        )
        routes: list[Route] = [
            ("POST", rf"{_PARENT}/secrets", self._api_create_secret),
            ("GET", rf"{_PARENT}/secrets", self._api_list_secrets),
            ("GET", _SECRET, self._api_get_secret),
            ("DELETE", _SECRET, self._api_delete_secret),
            ("POST", rf"{_SECRET}:addVersion", self._api_add_version),
            ("GET", rf"{_SECRET}/versions", self._api_list_versions),
            ("GET", _VERSION, self._api_get_version),
            ("GET", rf"{_VERSION}:access", self._api_access),
        ]
        add_api_routes(app, "v1", routes, self._lock)
        return app

    def _api_create_secret(self, prefix: str) -> dict[str, Any]:
        secret_id = request.args.get("secretId", "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", secret_id):
            raise ApiError(400, f"Invalid secretId: {secret_id!r}")
        if secret_id in self._secrets:
            raise ApiError(409, f"Secret [{prefix}/secrets/{secret_id}] already exists.", "ALREADY_EXISTS")
        return self._secret_json(prefix, self._new_secret(secret_id, request.get_json(silent=True) or {}))

    def _api_list_secrets(self, prefix: str) -> dict[str, Any]:
        secrets = [self._secret_json(prefix, s) for _, s in sorted(self._secrets.items())]
        return {"secrets": secrets, "totalSize": len(secrets)}

    def _api_get_secret(self, prefix: str, secret_id: str) -> dict[str, Any]:
        return self._secret_json(prefix, self._secret(secret_id))

    def _api_delete_secret(self, prefix: str, secret_id: str) -> dict[str, Any]:
        self._secret(secret_id)
        del self._secrets[secret_id]
        return {}

    def _api_add_version(self, prefix: str, secret_id: str) -> dict[str, Any]:
        secret = self._secret(secret_id)
        payload = (request.get_json(silent=True) or {}).get("payload") or {}
        data = base64.b64decode(payload.get("data") or "")
        checksum = payload.get("dataCrc32c")
        if checksum is not None and int(checksum) != _crc32c(data):
            raise ApiError(400, "Checksum mismatch: dataCrc32c does not match the payload.")
        return self._version_json(prefix, secret_id, self._add_version(secret, data, checksum is not None))

    def _api_list_versions(self, prefix: str, secret_id: str) -> dict[str, Any]:
        newest_first = reversed(self._secret(secret_id).versions)
        versions = [self._version_json(prefix, secret_id, v) for v in newest_first]
        return {"versions": versions, "totalSize": len(versions)}

    def _api_get_version(self, prefix: str, secret_id: str, version: str) -> dict[str, Any]:
        return self._version_json(prefix, secret_id, self._version(secret_id, version))

    def _api_access(self, prefix: str, secret_id: str, version: str) -> dict[str, Any]:
        v = self._version(secret_id, version)
        log.info("secret accessed: %s/%s -> version %d", secret_id, version, v.number)
        return {
            "name": f"{prefix}/secrets/{secret_id}/versions/{v.number}",
            # int64 fields travel as strings in proto3 JSON.
            "payload": {"data": base64.b64encode(v.data).decode(), "dataCrc32c": str(_crc32c(v.data))},
        }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: run the stand-in until SIGTERM/SIGINT."""
    p = cli_parser(__doc__, default_port=8124)
    p.add_argument("--seed-file", help='JSON object {"secret-id": "value", ...} loaded at start and on reset')
    p.add_argument("--seed-env", help="name of an environment variable holding the seed JSON (keeps secrets off disk)")
    a = p.parse_args(argv)
    seed = _seed_from_env(a.seed_env) if a.seed_env else None
    emulator = SecretsEmulator(a.host, a.port, seed=seed, seed_file=a.seed_file)
    return run_until_signalled(emulator, "secrets emulator", a.log_level)


def _seed_from_env(name: str) -> dict[str, str]:
    raw = json.loads(os.environ.get(name) or "{}")
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ValueError(f"${name}: expected a JSON object of string -> string")
    return raw


if __name__ == "__main__":
    raise SystemExit(main())
