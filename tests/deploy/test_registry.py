"""The function registry (infra/functions.py) holds together: every row deployable as written."""

from __future__ import annotations

import re

import pytest

from carpulse.config import Settings
from carpulse.http import routes
from infra.deploy.access import GRANT_BINDINGS, SECRETS
from infra.deploy.edge import public_function_names
from infra.deploy.environment import function_account_id, load
from infra.functions import CLIENT_SECRET, FUNCTION_SPECS, PRIVATE_KEY, TOKEN_KEY

ROWS = pytest.mark.parametrize("row", FUNCTION_SPECS, ids=lambda row: row.name)


@ROWS
def test_row_is_deployable(row):
    assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", function_account_id(row)), "service account id: 6-30 chars"
    assert row.concurrency >= 1
    assert row.max_instances >= 1
    if row.concurrency > 1:
        assert float(row.cpu) >= 1, "Cloud Run serves concurrent requests only with at least 1 vCPU"
    assert set(row.grants) <= set(GRANT_BINDINGS)
    assert set(row.secrets) <= {secret.name for secret in SECRETS}
    assert PRIVATE_KEY not in row.secrets, "the private key is for ops; the public key is configuration"


@ROWS
def test_only_internal_functions_have_a_caller_and_only_scheduled_ones_a_schedule(row):
    assert (row.caller is not None) == (row.access == "internal")
    assert (row.schedule is not None) <= (row.caller == "scheduler")


def test_one_tasks_target_and_the_refresh_runs_every_30_minutes():
    assert [row.name for row in FUNCTION_SPECS if row.caller == "tasks"] == ["report_worker"]
    (refresh,) = [row for row in FUNCTION_SPECS if row.name == "token_refresh"]
    assert refresh.schedule == "*/30 * * * *"


def test_public_key_function_reads_no_secret_and_needs_no_grant():
    (row,) = [row for row in FUNCTION_SPECS if row.name == "public_key"]
    assert row.secrets == ()
    assert row.grants == ()


def test_secret_names_are_the_ones_the_code_reads():
    defaults = Settings()
    assert defaults.tesla_client_secret_name == CLIENT_SECRET
    assert defaults.token_encryption_key_name == TOKEN_KEY
    assert defaults.tesla_private_key_name == PRIVATE_KEY
    code_names = {value for name, value in defaults.model_dump().items() if name.endswith("_secret_name")}
    assert code_names <= {secret.name for secret in SECRETS}, "every secret the code reads is provisioned"


def test_the_balancer_serves_exactly_the_routed_functions():
    assert set(public_function_names(load("dev"))) == set(routes.public_functions())
