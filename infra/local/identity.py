"""Local stand-in for Google's ID-token signing: the identity that Cloud Tasks and Cloud Scheduler
present to our internal functions, with real signatures.

One RSA key is made at start, in memory only (never written, never in an environment or log).
`POST /token {"audience": …, "email": …}` (tests may add "age_seconds") mints an ID token shaped
like Google's for a service account (RS256, `kid` header; iss, aud, azp, sub, email,
email_verified, iat, exp), and
`GET /oauth2/v1/certs` publishes the public key as Google publishes its own: `{kid: X.509 PEM}`.
The functions verify with the same code as in the cloud, only pointed at this issuer and these
certificates (OIDC_ISSUERS, OIDC_CERTS_URL). The Tasks emulator and the scheduler stand-in ask for
a token per call, as the platform does.

    python -m infra.local.identity --port 0
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import jsonify, request
from google.auth import crypt, jwt

from infra.local._http_server import ApiError, ThreadedHttpServer, cli_parser, make_app, run_until_signalled

CERTS_PATH = "/oauth2/v1/certs"
TOKEN_PATH = "/token"
TOKEN_SECONDS = 3600  # what Google's ID tokens live


@dataclass
class LocalIdentity:
    """A signing key with its certificate, and ID tokens minted with it."""

    issuer: str
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def __post_init__(self) -> None:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.key_id = hashlib.sha256(public).hexdigest()[:40]
        self.certificate_pem = _self_signed(self.key).public_bytes(serialization.Encoding.PEM).decode()
        pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self._signer = crypt.RSASigner.from_string(pem, key_id=self.key_id)

    def certs(self) -> dict[str, str]:
        """The certificate document, in the shape of Google's v1 certs endpoint."""
        return {self.key_id: self.certificate_pem}

    def mint(self, audience: str, email: str, *, lifetime: int = TOKEN_SECONDS, issued_at: float | None = None) -> str:
        """An ID token for the service account `email`, for `audience` (the URL it calls)."""
        now = int(time.time() if issued_at is None else issued_at)
        subject = str(int(hashlib.sha256(email.encode()).hexdigest()[:16], 16))  # a stable numeric id
        claims = {
            "iss": self.issuer,
            "aud": audience,
            "azp": subject,
            "sub": subject,
            "email": email,
            "email_verified": True,
            "iat": now,
            "exp": now + lifetime,
        }
        return self.sign(claims)

    def sign(self, claims: dict[str, Any]) -> str:
        """Any claims, signed RS256 with this key under its key id (tests forge with other claims)."""
        return jwt.encode(self._signer, claims).decode()


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "carpulse local identity")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )


class IdentityServer:
    """The stand-in over HTTP (start/stop/url like the other local stand-ins); its URL is the issuer."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._http = ThreadedHttpServer(self._app(), host, port)
        self._identity: LocalIdentity | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """Base URL (also the `iss` of every token)."""
        return self._http.url

    @property
    def identity(self) -> LocalIdentity:
        """The key and minting, made once the URL (the issuer) is known."""
        with self._lock:
            if self._identity is None:
                self._identity = LocalIdentity(issuer=self.url)
            return self._identity

    def start(self) -> None:
        """Serve (the key is made before the first answer)."""
        self._http.start()
        _ = self.identity

    def stop(self) -> None:
        """Stop serving."""
        self._http.stop()

    def _app(self) -> Any:
        app = make_app("identity")

        @app.get(CERTS_PATH)
        def _certs() -> Any:
            response = jsonify(self.identity.certs())
            response.headers["Cache-Control"] = "public, max-age=300"
            return response

        @app.post(TOKEN_PATH)
        def _token() -> Any:
            body = request.get_json(silent=True) or {}
            audience, email = body.get("audience"), body.get("email")
            if not isinstance(audience, str) or not isinstance(email, str) or not audience or not email:
                raise ApiError(400, "audience and email are required")
            age = body.get("age_seconds", 0)  # tests ask for a genuinely signed token that has expired
            issued_at = time.time() - float(age) if isinstance(age, int | float) else None
            return jsonify({"id_token": self.identity.mint(audience, email, issued_at=issued_at)})

        return app


def fetch_id_token(
    identity_url: str, audience: str, email: str, *, age_seconds: float = 0, timeout: float = 10.0
) -> str:
    """Ask the stand-in for a token (what the Tasks emulator and the scheduler stand-in do per call)."""
    body = {"audience": audience, "email": email, "age_seconds": age_seconds}
    response = requests.post(identity_url + TOKEN_PATH, json=body, timeout=timeout)
    response.raise_for_status()
    return str(response.json()["id_token"])


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: serve until SIGTERM/SIGINT."""
    args = cli_parser(__doc__, default_port=0).parse_args(argv)
    return run_until_signalled(IdentityServer(args.host, args.port), "identity", args.log_level)


if __name__ == "__main__":
    raise SystemExit(main())
