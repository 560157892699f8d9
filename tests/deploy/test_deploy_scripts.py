"""Deploy configuration: every environment file is a valid Settings, and the deploy script renders
one gen2 python312 deploy per function with the right access level."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from carpulse.config import settings_from_env
from infra.deploy.bundle import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
ENVS = ("dev", "tst", "prd")


def _env_file(name: str) -> dict[str, str]:
    values = {}
    for line in (ROOT / "infra" / "envs" / f"{name}.yaml").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(":")
            values[key.strip()] = value.strip().strip('"')
    return values


@pytest.mark.parametrize("env", ENVS)
def test_environment_file_is_valid_settings(env):
    settings = settings_from_env(_env_file(env))
    assert settings.env == env
    assert settings.oauth_redirect_uri.startswith("https://")
    assert settings.oauth_redirect_uri.endswith("/api/v1/tesla/oauth/callback")
    assert all(origin.startswith("https://") for origin in settings.frontend_origins)
    assert not settings.internal_auth_token  # the cloud relies on IAM, never on a shared token


@pytest.mark.parametrize("env", ENVS)
def test_deploy_script_renders_every_function(env):
    result = subprocess.run(
        ["bash", str(ROOT / "infra" / "deploy" / "deploy.sh"), env],
        env={**os.environ, "DRY_RUN": "1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    commands = [line for line in result.stdout.splitlines() if line.startswith("gcloud functions deploy")]
    assert len(commands) == len(FUNCTIONS)
    for name, command in zip(FUNCTIONS, commands, strict=True):
        assert f"carpulse-{env}-{name.replace('_', '-')}" in command
        assert "--gen2" in command
        assert "--runtime=python312" in command
        assert f"--entry-point={name}" in command
        assert f"--env-vars-file=infra/envs/{env}.yaml" in command
        private = name in ("report_worker", "token_refresh")
        assert ("--no-allow-unauthenticated" in command) is private


def test_unknown_environment_is_refused():
    result = subprocess.run(
        ["bash", str(ROOT / "infra" / "deploy" / "deploy.sh"), "staging"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "unknown environment" in result.stderr
