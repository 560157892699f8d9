"""A token-key rotation with live accounts, as ops runs it: the owner's API keeps working before and
after re-encryption and after the old key is dropped; nobody is disconnected."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import secretmanager

from carpulse.crypto import TokenCipher
from carpulse.errors import ConfigError
from carpulse.keyring import parse_keyring
from infra.local.owner import ApiClient, SimulatedOwner
from infra.local.stack import PROJECT

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[2]
SECRET = "token-encryption-key"


def _add_version(stack, value: str) -> None:
    """What `make keys KEY=token-encryption-key` does in the cloud: one new version of the secret."""
    client = secretmanager.SecretManagerServiceClient(
        transport="rest",
        client_options=ClientOptions(api_endpoint=stack.urls["secrets"]),
        credentials=AnonymousCredentials(),
    )
    client.add_secret_version(
        parent=f"projects/{PROJECT}/secrets/{SECRET}", payload=secretmanager.SecretPayload(data=value.encode())
    )


def _reencrypt(stack, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "stack.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in stack.env_file_values().items()))
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'shared'}"}
    return subprocess.run(
        [sys.executable, "-m", "infra.ops.reencrypt", "--env-file", str(env_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _sealed(app) -> dict[str, tuple[str, str]]:
    docs = app.firestore.collection("accounts").stream()
    return {d.id: (d.get("access_token_enc"), d.get("refresh_token_enc")) for d in docs}


def _refresh_all(stack, app) -> None:
    """The scheduler's token refresh, with every account due: tokens rotated mid-rotation."""
    for account_id in _sealed(app):
        account = app.account_store.get(account_id)
        app.account_store.update(account_id, {"token_expires_at": account.created_at})
    headers = {"Authorization": f"Bearer {stack.id_token('token_refresh')}"}
    assert requests.post(stack.internal_url("token_refresh"), headers=headers, timeout=120).status_code == 200


def test_a_rotation_with_live_accounts_disconnects_nobody(stack, app, api, tmp_path):
    refresh_wait = float(stack.env["TOKEN_KEYRING_REFRESH_SECONDS"]) + 1
    before = parse_keyring(app.secrets.reread(SECRET))
    old_sealed = _sealed(app)
    assert all(a.startswith(f"v2:{before.current}:") for a, _ in old_sealed.values())
    assert api.vehicles()

    rotated = before.rotated()
    _add_version(stack, rotated.to_secret())
    assert api.vehicles()  # right after the rotation: instances on either ring open the tokens
    _refresh_all(stack, app)  # rotated tokens sealed by whichever ring an instance holds
    assert api.vehicles()

    too_soon = _reencrypt(stack, tmp_path)
    assert too_soon.returncode == 1
    assert "rotated less than" in too_soon.stderr
    time.sleep(refresh_wait)  # every instance has re-read the ring
    moved = _reencrypt(stack, tmp_path)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "left 0" in moved.stdout
    assert f"make keys ENV=… KEY={SECRET} RETIRE=1 APPLY=1" in moved.stdout
    assert rotated.to_secret() not in moved.stdout + moved.stderr
    after = _sealed(app)
    assert set(after) == set(old_sealed)
    assert all(
        a.startswith(f"v2:{rotated.current}:") and r.startswith(f"v2:{rotated.current}:") for a, r in after.values()
    )
    assert api.vehicles()
    status = api.wait(api.request_report([api.vehicles()[0]["vin"]]).json()["response"]["report_id"])
    assert status["status"] in ("complete", "partial")

    _add_version(stack, rotated.retired().to_secret())  # the old key dropped
    time.sleep(refresh_wait)
    stack.kill_function("reports")  # and a fresh instance, which never held it
    stack.wait_function("reports")
    assert api.vehicles()
    newcomer = ApiClient(stack.api_url, SimulatedOwner(stack.api_url).connect())
    assert newcomer.vehicles()
    with pytest.raises(ConfigError):  # tokens under the old key would no longer open
        TokenCipher(rotated.retired().to_secret()).decrypt(next(iter(old_sealed.values()))[0], context="x")
