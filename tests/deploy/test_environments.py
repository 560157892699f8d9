"""Environment files and what each function is given: valid Settings, nothing a second time, the
public key only where it is served, and no secret value anywhere."""

from __future__ import annotations

import pytest
import yaml

from carpulse.config import settings_from_env
from infra.deploy.access import SECRETS, secret_policy
from infra.deploy.environment import DERIVED_KEYS, ENV_NAMES, EnvFileError, load
from infra.deploy.provision import write_files
from infra.functions import FUNCTION_SPECS, PRIVATE_KEY


@pytest.mark.parametrize("name", ENV_NAMES)
def test_each_function_gets_valid_settings_and_its_own_identity(tmp_path, name):
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / f"{name}.public-key.pem").write_text("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n")
    env = load(name, keys)
    files = write_files(env, tmp_path / "out", tmp_path / "bundles")
    for row in FUNCTION_SPECS:
        values = yaml.safe_load(files.env_files[row.name].read_text())
        assert all(isinstance(value, str) for value in values.values()), "env vars are strings"
        settings = settings_from_env(values)
        assert settings.env == name
        assert settings.oauth_redirect_uri == f"https://{env.host}/api/v1/tesla/oauth/callback"
        assert all(origin.startswith("https://") for origin in settings.frontend_origins)
        # An internal function checks its caller's ID token: its own URL and its caller's identity.
        internal = (env.function_url(row), env.caller_account(row.caller)) if row.caller else ("", "")
        assert (settings.internal_audience, settings.internal_caller) == internal
        assert settings.oidc_issuers == ("https://accounts.google.com", "accounts.google.com")
        assert settings.task_max_attempts == env.task_max_attempts  # what the queue is given too
        assert settings.signing_service_account == env.function_account(row)
        assert settings.tasks_service_account == env.caller_account("tasks")
        assert settings.worker_url == env.function_url(env.worker())
        assert values["THREADS"] == str(row.concurrency)
        assert settings.verify_client_ip_hops == 2  # the client's address as our balancer forwards it
        # The key is configuration of the one function serving it, byte for byte (a PEM keeps its newlines).
        served = values.get("PUBLIC_KEY_PEM")
        assert served == ((keys / f"{name}.public-key.pem").read_text() if row.name == "public_key" else None)


@pytest.mark.parametrize("name", ENV_NAMES)
def test_environment_files_hold_no_derived_value_and_no_secret(name):
    env = load(name)
    assert not set(DERIVED_KEYS) & set(env.values)
    for value in env.values.values():
        assert "PRIVATE KEY" not in value
    assert env.host == env.values["PARTNER_DOMAIN"]


def test_unknown_environment_is_refused():
    with pytest.raises(EnvFileError, match="unknown environment"):
        load("staging")


def test_each_secret_is_readable_by_exactly_the_functions_naming_it():
    env = load("dev")
    for secret in SECRETS:
        (members,) = [b["members"] for b in secret_policy(env, secret)["bindings"]] or [[]]
        expected = sorted(
            f"serviceAccount:{env.function_account(row)}" for row in FUNCTION_SPECS if secret.name in row.secrets
        )
        assert members == expected
    private = next(secret for secret in SECRETS if secret.name == PRIVATE_KEY)
    assert secret_policy(env, private) == {"bindings": []}  # ops only: no function reads the private key
