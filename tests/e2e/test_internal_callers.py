"""The internal functions on the stack, as deployed: each lets in only its own caller's signed ID
token (the Tasks emulator's and the scheduler stand-in's, minted by the local identity stand-in),
and answers 401 to a missing, unsigned, expired, misdirected or forged one, before it reads the
body or a task header."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from google.auth import crypt, jwt

from infra.local.identity import LocalIdentity
from infra.local.stack import PROJECT

pytestmark = pytest.mark.stack
INTERNAL = ("report_worker", "token_refresh", "sweeper")
# The worker is given a task for a report that does not exist: with a valid token it is let in
# (and has nothing to do); with an invalid one it must not get that far.
BODY = {"kind": "prepare", "report_id": "0" * 32}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims_of(token: str) -> dict:
    return jwt.decode(token, verify=False)


def _forged_with_another_key(stack, name: str) -> str:
    genuine = stack.id_token(name)
    kid = jwt.decode_header(genuine)["kid"]
    return jwt.encode(crypt.RSASigner(LocalIdentity(issuer="x").key, key_id=kid), _claims_of(genuine)).decode()


def _unsigned(stack, name: str) -> str:
    genuine = stack.id_token(name)
    header = {"alg": "none", "typ": "JWT", "kid": jwt.decode_header(genuine)["kid"]}
    return f"{_b64(header)}.{_b64(_claims_of(genuine))}."


def _other(name: str) -> str:
    return next(other for other in INTERNAL if other != name)


FORGERIES = {
    "missing": lambda stack, name: None,
    "unsigned": _unsigned,
    "expired": lambda stack, name: stack.id_token(name, age=7200),
    "for another function": lambda stack, name: stack.id_token(name, audience=stack.internal_url(_other(name))),
    "another identity": lambda stack, name: stack.id_token(name, email=f"someone@{PROJECT}.iam.gserviceaccount.com"),
    "forged with another key": _forged_with_another_key,
}


def _call(stack, name: str, token: str | None) -> requests.Response:
    headers = {"X-CloudTasks-TaskRetryCount": "4", **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.post(stack.internal_url(name), json=BODY, headers=headers, timeout=120)


@pytest.mark.parametrize("name", INTERNAL)
@pytest.mark.parametrize("forgery", list(FORGERIES), ids=list(FORGERIES))
def test_a_bad_token_gets_401_from_every_internal_function(stack, name, forgery):
    response = _call(stack, name, FORGERIES[forgery](stack, name))
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("name", INTERNAL)
def test_the_callers_own_token_is_let_in(stack, name):
    response = _call(stack, name, stack.id_token(name))
    assert response.status_code == 200, response.text


def test_the_scheduler_identity_cannot_run_worker_tasks(stack):
    response = _call(stack, "report_worker", stack.id_token("report_worker", email=stack.caller_account("scheduler")))
    assert response.status_code == 401
