"""Provision and deploy against a fake gcloud: the order is enforced, the first failure stops the
run with a non-zero exit, a re-run after any failure converges, and a steady-state run creates
nothing. Dry runs print the whole first run and call nothing."""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass

import pytest

from infra.deploy.environment import load
from infra.functions import FUNCTION_SPECS
from tests.sweeps import first_then_sweep

from .conftest import FakeGcloud, make_fake
from .fake_gcloud import FakeGcloudServer, FakeProject

ENV = load("dev")


def _first_run(fake: FakeGcloud) -> None:
    """The README's order: provision, (ops adds the secret values), deploy."""
    assert fake.provision("base").returncode == 0
    fake.secret_values_added()
    deploy = fake.provision("functions", "wire")
    assert deploy.returncode == 0, deploy.stderr


@dataclass(frozen=True)
class CleanRun:
    """A clean first run: the resources it leaves (what every run must converge to) and its calls."""

    resources: set[str]
    base: list[list[str]]
    deploy: list[list[str]]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    """One clean first run, in the README's order."""
    server = FakeGcloudServer(FakeProject())
    try:
        fake = make_fake(tmp_path_factory.mktemp("clean"), server)
        assert fake.provision("base").returncode == 0
        base = fake.calls()
        fake.secret_values_added()
        assert fake.provision("functions", "wire").returncode == 0
        return CleanRun(resources=fake.resources(), base=base, deploy=fake.calls()[len(base) :])
    finally:
        server.stop()


# Where a run is made to fail: the first call of (phase, command) in a clean run, or a fixed call.
FAILURE_POINTS = {
    "first call": ("base", None),
    "a service account create": ("base", ["iam", "service-accounts", "create"]),
    "the bucket's lifecycle update": ("base", ["storage", "buckets", "update"]),
    "a secret's accessors": ("base", ["secrets", "set-iam-policy"]),
    "a function deploy": ("deploy", ["functions", "deploy"]),
    "the scheduler job": ("deploy", ["scheduler", "jobs", "create"]),
    "the URL map import": ("deploy", ["compute", "url-maps", "import"]),
}


def _failure_index(clean: CleanRun, phase: str, prefix: list[str] | None) -> int:
    calls = clean.base if phase == "base" else clean.deploy
    if prefix is None:
        return 1
    return 1 + next(i for i, call in enumerate(calls) if call[: len(prefix)] == prefix)


def _verbs(calls: list[list[str]], verb: str) -> list[list[str]]:
    return [call for call in calls if verb in call]


def test_first_run_in_readme_order_then_a_rerun_creates_nothing(fake_gcloud, clean):
    _first_run(fake_gcloud)
    assert fake_gcloud.resources() == clean.resources
    before = len(fake_gcloud.calls())
    assert fake_gcloud.provision("base").returncode == 0
    assert fake_gcloud.provision("functions", "wire").returncode == 0
    rerun = fake_gcloud.calls()[before:]
    assert _verbs(rerun, "create") == []
    # What exists is converged, not skipped: the queue's retries and the scheduler job are updated.
    (queue_update,) = [c for c in rerun if c[:3] == ["tasks", "queues", "update"]]
    assert f"--max-attempts={ENV.task_max_attempts}" in queue_update
    scheduled = [row for row in FUNCTION_SPECS if row.schedule]
    assert [c[:5] for c in rerun if c[:2] == ["scheduler", "jobs"] and "update" in c] == [
        ["scheduler", "jobs", "update", "http", ENV.function_name(row)] for row in scheduled
    ]
    assert len(_verbs(rerun, "deploy")) == len(FUNCTION_SPECS)
    assert fake_gcloud.resources() == clean.resources


def test_deploy_refuses_to_start_before_provision(fake_gcloud):
    run = fake_gcloud.provision("functions", "wire")
    assert run.returncode == 3
    assert "make provision ENV=dev" in run.stderr
    assert _verbs(fake_gcloud.calls(), "deploy") == []
    assert all(call[1:3] == ["service-accounts", "describe"] for call in fake_gcloud.calls())


def test_deploy_refuses_while_a_secret_has_no_value(fake_gcloud):
    assert fake_gcloud.provision("base").returncode == 0
    run = fake_gcloud.provision("functions")
    assert run.returncode == 3
    assert "tesla-client-secret has a value" in run.stderr
    assert _verbs(fake_gcloud.calls(), "deploy") == []


def test_wire_refuses_before_the_functions_are_deployed(fake_gcloud):
    assert fake_gcloud.provision("base").returncode == 0
    fake_gcloud.secret_values_added()
    run = fake_gcloud.provision("wire")
    assert run.returncode == 3
    assert "is ACTIVE" in run.stderr
    assert "make deploy ENV=dev" in run.stderr
    assert _verbs(fake_gcloud.calls(), "add-invoker-policy-binding") == []


def test_deploy_refuses_without_bundles_or_public_key(fake_gcloud):
    _first_run(fake_gcloud)
    shutil.rmtree(fake_gcloud.work / "bundles" / "reports")
    run = fake_gcloud.provision("functions")
    assert run.returncode == 3
    assert "make bundles" in run.stderr
    (fake_gcloud.work / "bundles" / "reports").mkdir()
    (fake_gcloud.work / "bundles" / "reports" / "main.py").write_text("")
    (fake_gcloud.work / "keys" / "dev.public-key.pem").unlink()
    run = fake_gcloud.provision("functions")
    assert run.returncode == 3
    assert "make keys ENV=dev KEY=tesla-private-key" in run.stderr


@pytest.mark.parametrize("point", first_then_sweep(FAILURE_POINTS))
def test_a_failure_stops_the_run_and_a_rerun_converges(fake_gcloud, clean, point):
    phase, prefix = FAILURE_POINTS[point]
    fail_at = _failure_index(clean, phase, prefix)
    if phase == "deploy":
        assert fake_gcloud.provision("base").returncode == 0
        fake_gcloud.secret_values_added()
    offset = len(fake_gcloud.calls())
    phases = ("base",) if phase == "base" else ("functions", "wire")
    failed = fake_gcloud.provision(*phases, fail_at=fail_at)
    assert failed.returncode != 0
    assert "stopped: failed" in failed.stderr
    # Nothing ran after the failing command.
    assert len(fake_gcloud.calls()) == offset + fail_at
    assert shlex.split(failed.commands()[-1])[1:] == fake_gcloud.calls()[-1]
    if phase == "base":
        assert fake_gcloud.provision("base").returncode == 0
        fake_gcloud.secret_values_added()
    rerun = fake_gcloud.provision("functions", "wire")
    assert rerun.returncode == 0, rerun.stderr
    assert fake_gcloud.resources() == clean.resources


def test_dry_run_calls_nothing_and_prints_the_edge_and_every_ingress(fake_gcloud):
    run = fake_gcloud.provision("base", "functions", "wire", dry=True)
    assert run.returncode == 0, run.stderr
    assert fake_gcloud.calls() == []
    text = "\n".join(run.commands())
    for piece in (
        "gcloud compute addresses create carpulse-dev-api-ip --global",
        "gcloud compute ssl-certificates create carpulse-dev-cert-dev-api-carpulsetracker-com "
        "--domains=dev.api.carpulsetracker.com --global",
        "gcloud compute url-maps import carpulse-dev-api",
        "gcloud compute target-https-proxies create carpulse-dev-api-https --url-map=carpulse-dev-api",
        "--target-https-proxy=carpulse-dev-api-https --ports=443",
        "--target-http-proxy=carpulse-dev-api-http --ports=80",
    ):
        assert piece in text
    deploys = {line.split()[3]: line for line in run.commands() if line.startswith("gcloud functions deploy")}
    assert len(deploys) == len(FUNCTION_SPECS)
    for row in FUNCTION_SPECS:
        line = deploys[ENV.function_name(row)]
        public = row.access == "public"
        assert ("--ingress-settings=internal-and-gclb" if public else "--ingress-settings=internal-only") in line
        assert ("--allow-unauthenticated" if public else "--no-allow-unauthenticated") in line.split()
        assert f"--service-account={ENV.function_account(row)}" in line
        assert f"--max-instances={row.max_instances}" in line
        assert f"--concurrency={row.concurrency}" in line
        negs = [
            c for c in run.commands() if c.startswith(f"gcloud compute network-endpoint-groups create {ENV.prefix()}")
        ]
        assert any(f"--cloud-run-service={ENV.function_name(row)}" in c for c in negs) is public


def test_unknown_environment_and_phase_order_are_refused(fake_gcloud):
    assert fake_gcloud.provision("base", env="staging").returncode == 2
    backwards = fake_gcloud.provision("wire", "functions")
    assert backwards.returncode != 0
    assert "order" in backwards.stderr
    assert fake_gcloud.calls() == []


def test_a_new_account_that_iam_does_not_see_yet_is_waited_for(fake_gcloud):
    fake_gcloud.project.flaky["projects add-iam-policy-binding"] = 2
    run = fake_gcloud.provision("base")
    assert run.returncode == 0, run.stderr
    bindings = [call for call in fake_gcloud.calls() if call[:2] == ["projects", "add-iam-policy-binding"]]
    assert bindings[0] == bindings[1] == bindings[2]  # the first binding, tried three times
    assert "IAM does not see the account yet (2/8)" in run.stdout


def test_an_account_iam_never_sees_stops_the_run(fake_gcloud):
    fake_gcloud.project.flaky["projects add-iam-policy-binding"] = 100
    run = fake_gcloud.provision("base")
    assert run.returncode != 0
    assert "does not exist" in run.stderr
    last = fake_gcloud.calls()[-8:]
    assert all(call == last[0] and call[:2] == ["projects", "add-iam-policy-binding"] for call in last)
