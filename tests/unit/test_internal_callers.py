"""Internal functions let in only their own caller's Google-signed ID token: verified in code with
google-auth against real signed tokens (the local identity stand-in, served over HTTP like
Google's certificates), and every forgery answers 401 without the reason."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import flask
import google.auth.transport.requests
import pytest
import requests
from google.auth import crypt, jwt

from carpulse.errors import ConfigError, NotAuthenticatedError, RetryLaterError
from carpulse.gcp.id_tokens import CertsCache, IdTokenVerifier
from carpulse.http.api import require_internal_caller
from carpulse.http.errors import extra_headers_of, status_for
from infra.local.identity import IdentityServer, LocalIdentity

WORKER = "https://europe-west1-carpulse-dev.cloudfunctions.net/carpulse-dev-report-worker"
TASKS = "carpulse-tasks@carpulse-dev.iam.gserviceaccount.com"
SCHEDULER = "carpulse-scheduler@carpulse-dev.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def server() -> Iterator[IdentityServer]:
    running = IdentityServer()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def verifier(server: IdentityServer) -> IdTokenVerifier:
    http = google.auth.transport.requests.Request(requests.Session())
    return IdTokenVerifier(
        audience=WORKER,
        caller=TASKS,
        issuers=(server.url,),
        certs=CertsCache(server.url + "/oauth2/v1/certs", http),
    )


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(server: IdentityServer, **changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": server.url,
        "aud": WORKER,
        "sub": "1",
        "email": TASKS,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    }
    return {**claims, **changes}


def _unsigned(server: IdentityServer) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": server.identity.key_id}
    return f"{_b64(header)}.{_b64(_claims(server))}."


def _hs256_with_the_public_certificate(server: IdentityServer) -> str:
    # The classic key-confusion forgery: HMAC "signed" with the public key as the secret.
    import hashlib
    import hmac

    header = {"alg": "HS256", "typ": "JWT", "kid": server.identity.key_id}
    signed = f"{_b64(header)}.{_b64(_claims(server))}"
    mac = hmac.new(server.identity.certificate_pem.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _other_key_same_kid(server: IdentityServer) -> str:
    impostor = LocalIdentity(issuer=server.url)
    signer = crypt.RSASigner(impostor.key, key_id=server.identity.key_id)  # claims to be the real key
    return jwt.encode(signer, _claims(server)).decode()


def _tampered(server: IdentityServer) -> str:
    genuine = server.identity.mint(WORKER, SCHEDULER)  # a real token, of another identity
    header, _, signature = genuine.split(".")
    return f"{header}.{_b64(_claims(server))}.{signature}"  # its payload swapped for the worker's caller


FORGERIES = {
    "missing": lambda s: None,
    "not a JWT": lambda s: "not-a-token",
    "unsigned (alg none)": _unsigned,
    "HS256 with the public certificate as key": _hs256_with_the_public_certificate,
    "signed by another key under the real key id": _other_key_same_kid,
    "payload swapped under a genuine signature": _tampered,
    "expired": lambda s: s.identity.mint(WORKER, TASKS, issued_at=time.time() - 7200),
    "issued in the future": lambda s: s.identity.mint(WORKER, TASKS, issued_at=time.time() + 3600),
    "wrong audience (another function)": lambda s: s.identity.mint(WORKER.replace("worker", "refresh"), TASKS),
    "wrong caller (the scheduler's identity)": lambda s: s.identity.mint(WORKER, SCHEDULER),
    "wrong issuer": lambda s: s.identity.sign(_claims(s, iss="https://accounts.example.com")),
    "e-mail not verified": lambda s: s.identity.sign(_claims(s, email_verified=False)),
    "no key id": lambda s: jwt.encode(crypt.RSASigner(s.identity.key), _claims(s)).decode(),
    "oversized": lambda s: "e" * 9000,
}


@pytest.mark.parametrize("forge", list(FORGERIES.values()), ids=list(FORGERIES))
def test_every_forged_missing_or_misdirected_token_is_401(server, verifier, forge):
    with pytest.raises(NotAuthenticatedError) as refused:
        verifier.verify(forge(server))
    assert status_for(refused.value) == 401
    assert extra_headers_of(refused.value)["WWW-Authenticate"].startswith("Bearer")
    assert "Cloud Tasks" in refused.value.description  # the reason is logged, never answered


def test_the_callers_own_token_is_let_in_and_only_then_its_task_headers_are_read(server, verifier):
    token = server.identity.mint(WORKER, TASKS)
    app = flask.Flask(__name__)
    headers = {"Authorization": f"Bearer {token}", "X-CloudTasks-TaskRetryCount": "3"}
    with app.test_request_context("/", method="POST", headers=headers):
        call = require_internal_caller(flask.request, verifier)
    assert (call.caller, call.task_retry_count) == (TASKS, 3)
    forged = {**headers, "Authorization": f"Bearer {_unsigned(server)}"}
    with app.test_request_context("/", method="POST", headers=forged), pytest.raises(NotAuthenticatedError):
        require_internal_caller(flask.request, verifier)


@pytest.mark.parametrize("missing", ["audience", "caller"])
def test_without_its_configuration_an_internal_function_refuses_every_call(server, verifier, missing):
    setattr(verifier, missing, "")
    with pytest.raises(ConfigError):
        verifier.verify(server.identity.mint(WORKER, TASKS))


def test_certificates_are_cached_and_an_unknown_key_id_refetches_at_most_every_30_seconds(server):
    fetches = []
    http = google.auth.transport.requests.Request(requests.Session())

    def counting(url, **kwargs):
        fetches.append(url)
        return http(url, **kwargs)

    clock = [0.0]
    cache = CertsCache(server.url + "/oauth2/v1/certs", counting, clock=lambda: clock[0])
    kid = server.identity.key_id
    assert kid in cache.get(kid)
    cache.get(kid)
    cache.get("unknown")
    assert len(fetches) == 1  # fresh (max-age=300) and the unknown id was asked for too soon
    clock[0] = 31
    cache.get("unknown")
    assert len(fetches) == 2
    clock[0] = 400
    cache.get(kid)
    assert len(fetches) == 3  # stale


def test_unreachable_certificates_refuse_with_a_retry(verifier):
    verifier.certs = CertsCache("http://127.0.0.1:9/certs", google.auth.transport.requests.Request())
    with pytest.raises(RetryLaterError) as refused:
        verifier.verify(LocalIdentity(issuer="x").mint(WORKER, TASKS))
    assert status_for(refused.value) == 503
