"""A fake `gcloud` on PATH (tests/deploy/fake_gcloud.py) and helpers to run the deploy tooling."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from carpulse.partner_key import new_private_key_pem, public_key_pem
from infra.deploy.access import SECRETS
from infra.functions import FUNCTIONS

from .fake_gcloud import FakeGcloudServer, FakeProject

ROOT = Path(__file__).resolve().parents[2]
SECRETS_WITH_VALUES = tuple(secret.name for secret in SECRETS if secret.required)


@dataclass
class Run:
    """One run of a deploy command."""

    returncode: int
    stdout: str
    stderr: str

    def commands(self) -> list[str]:
        """The gcloud commands it printed (dry runs print what a first run would do)."""
        return [line for line in self.stdout.splitlines() if line.startswith("gcloud ")]


@dataclass
class FakeGcloud:
    """The fake project, the shim's folder and a work folder with bundles and a public key."""

    project: FakeProject
    bin_dir: Path
    work: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a run: the fake first on PATH, the repo importable."""
        env = {k: v for k, v in os.environ.items() if k != "DRY_RUN"}
        env.update(
            PATH=f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "shared")]),
            DEPLOY_SETTLE_SECONDS="0",  # waiting for IAM is counted in calls, not seconds
        )
        env.update(extra)
        return env

    def calls(self) -> list[list[str]]:
        """Every call so far, in order."""
        return [call.args for call in self.project.calls]

    def resources(self) -> set[str]:
        """Keys (`group|name`) of every resource the fake project holds."""
        return set(self.project.resources)

    def secret_values_added(self) -> None:
        """What ops does after `make provision`: the required secrets get a version."""
        for name in SECRETS_WITH_VALUES:
            self.project.resources[f"secrets versions|{name}"] = {"state": "ENABLED"}

    def run(self, argv: list[str], *, fail_at: int | None = None, dry: bool = False, stdin: str = "") -> Run:
        """Run a command of the tooling against the fake; `fail_at` counts calls of this run."""
        self.project.fail_at = len(self.project.calls) + fail_at if fail_at else None
        result = subprocess.run(
            [sys.executable, *argv],
            cwd=ROOT,
            env=self.env(**({"DRY_RUN": "1"} if dry else {})),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.project.fail_at = None
        return Run(result.returncode, result.stdout, result.stderr)

    def provision(self, *phases: str, fail_at: int | None = None, dry: bool = False, env: str = "dev") -> Run:
        """Run infra.deploy.provision with the given phases."""
        argv = ["-m", "infra.deploy.provision", "--env", env]
        for phase in phases:
            argv += ["--phase", phase]
        argv += ["--out", str(self.work / "out"), "--bundles", str(self.work / "bundles")]
        argv += ["--keys-dir", str(self.work / "keys")]
        return self.run(argv, fail_at=fail_at, dry=dry)


def make_fake(tmp_path: Path, server: FakeGcloudServer) -> FakeGcloud:
    """A fresh fake project: nothing exists yet; bundles and a public key are in place locally."""
    bin_dir, work = tmp_path / "bin", tmp_path / "work"
    for folder in (bin_dir, work / "keys"):
        folder.mkdir(parents=True)
    server.start(bin_dir)
    for name in FUNCTIONS:
        (work / "bundles" / name).mkdir(parents=True)
        (work / "bundles" / name / "main.py").write_text("# bundle\n")
    (work / "keys" / "dev.public-key.pem").write_text(public_key_pem(new_private_key_pem()))
    return FakeGcloud(project=server.project, bin_dir=bin_dir, work=work)


@pytest.fixture
def fake_gcloud(tmp_path: Path) -> Iterator[FakeGcloud]:
    """A fake gcloud with a project where nothing exists yet."""
    server = FakeGcloudServer(FakeProject())
    try:
        yield make_fake(tmp_path, server)
    finally:
        server.stop()
