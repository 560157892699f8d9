"""The deploy tooling itself: runs on a bare Python (Cloud Build's Cloud SDK image), is what Cloud
Build's deploy step runs, and never shows a secret: keys go to gcloud through stdin only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from carpulse.partner_key import public_key_pem

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_tooling_needs_nothing_but_the_standard_library(tmp_path):
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'shared'}"}
    # -S: no site-packages, like python3 on the Cloud SDK image (no pydantic, no yaml there).
    for argv in (
        ["-m", "infra.deploy.provision", "--env", "prd", "--phase", "base", "--phase", "functions", "--phase", "wire"],
        ["-c", "import infra.deploy.verify_env"],
    ):
        result = subprocess.run(
            [sys.executable, "-S", *argv, *(["--dry-run", "--out", str(tmp_path)] if argv[0] == "-m" else [])],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-1500:]


def test_cloud_build_deploys_like_make_deploy():
    build = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    steps = {step["id"]: step for step in build["steps"]}
    deploy = steps["deploy"]
    assert deploy["name"].startswith("gcr.io/google.com/cloudsdktool/google-cloud-cli")
    assert deploy["entrypoint"] == "python3"
    assert deploy["args"] == [
        "-m",
        "infra.deploy.provision",
        "--env",
        "${_ENV}",
        "--phase",
        "functions",
        "--phase",
        "wire",
    ]
    assert "PYTHONPATH=.:shared" in deploy["env"]
    assert deploy["waitFor"] == ["bundles"]
    makefile = (ROOT / "Makefile").read_text()
    assert "--phase functions --phase wire" in makefile
    assert "--phase base" in makefile


def test_a_new_partner_key_reaches_gcloud_on_stdin_only(fake_gcloud):
    keys = fake_gcloud.work / "keys"
    (keys / "dev.public-key.pem").unlink()
    argv = ["-m", "infra.deploy.keys", "--env", "dev", "--key", "tesla-private-key", "--keys-dir", str(keys)]
    shown = fake_gcloud.run(argv)  # without --apply: nothing runs, nothing is written
    assert shown.returncode == 0
    assert fake_gcloud.calls() == []
    assert not (keys / "dev.public-key.pem").exists()
    applied = fake_gcloud.run([*argv, "--apply"])
    assert applied.returncode == 0, applied.stderr
    (call,) = fake_gcloud.project.calls
    assert call.args == ["secrets", "versions", "add", "tesla-private-key", "--project=carpulse-dev", "--data-file=-"]
    private = call.stdin.decode()
    assert "PRIVATE KEY" in private
    for output in (shown.stdout, shown.stderr, applied.stdout, applied.stderr):
        assert "PRIVATE KEY" not in output
    assert (keys / "dev.public-key.pem").read_text() == public_key_pem(private)


def test_the_token_key_is_never_printed(fake_gcloud):
    argv = ["-m", "infra.deploy.keys", "--env", "dev", "--key", "token-encryption-key", "--apply"]
    run = fake_gcloud.run([*argv, "--keys-dir", str(fake_gcloud.work / "keys")])
    assert run.returncode == 0, run.stderr
    read, call = fake_gcloud.project.calls  # the keyring is read first (carpulse.keyring), then added
    assert read.args[:3] == ["secrets", "versions", "access"]
    value = call.stdin.decode().strip()
    assert len(value) >= 40
    assert value not in run.stdout + run.stderr


def test_provisioning_passes_no_value_to_gcloud(fake_gcloud):
    assert fake_gcloud.provision("base").returncode == 0
    fake_gcloud.secret_values_added()
    assert fake_gcloud.provision("functions", "wire").returncode == 0
    assert all(call.stdin == b"" for call in fake_gcloud.project.calls)
    assert not any("versions" in call.args and "add" in call.args for call in fake_gcloud.project.calls)
