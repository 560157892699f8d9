"""docs/openapi.yaml against the live local stack, through the API host: Schemathesis generates
requests from the schema (valid and invalid ones) for every documented operation and checks every
answer against it: a documented status, body, content type and headers as the schema says, no 5xx,
invalid input refused, valid input accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Err

from infra.local.owner import ApiClient, SimulatedOwner

pytestmark = pytest.mark.stack
SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
SCHEMA = schemathesis.openapi.from_path(SPEC)


def _operation_labels() -> list[str]:
    """Every documented operation's label; a part of the schema Schemathesis cannot read is raised."""
    labels = []
    for result in SCHEMA.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        labels.append(result.ok().label)
    return sorted(labels)


OPERATIONS = _operation_labels()
# They end the session (or the whole account) they are called with: each example gets its own.
ENDS_ITS_SESSION = {"DELETE /api/v1/session", "DELETE /api/v1/account"}
# Schema-valid, refused for what no schema can say (a login code we issued, bytes that are a PDF):
# the documented status and error, checked here instead of "valid data is accepted".
SEMANTIC_REFUSALS = {
    "POST /api/v1/session": (400, "invalid_grant"),
    "POST /api/v1/verify": (422, "invalid_request"),
    "GET /api/v1/reports": (422, "invalid_request"),  # a page_token we did not give
    "POST /api/v1/reports/{report_id}/renditions": (422, "invalid_request"),  # the report's own language
}


@schemathesis.serializer("application/pdf")
def _pdf_bytes(ctx, value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture
def signed_in(stack) -> dict[str, str]:
    """Headers of the scenario's owner, signed in (per test: a disconnect ends every session)."""
    return {"Authorization": f"Bearer {SimulatedOwner(stack.api_url).connect()}"}


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_answers_as_documented(stack, signed_in, label):
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None, label
    own_session = label in ENDS_ITS_SESSION
    refusal = SEMANTIC_REFUSALS.get(label)
    calls: list[int] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=5 if own_session else 25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,  # the same requests every run: CI is reproducible (widen max_examples to explore)
    )
    def check(case) -> None:
        headers = {"Authorization": f"Bearer {SimulatedOwner(stack.api_url).connect()}"} if own_session else signed_in
        response = case.call_and_validate(
            base_url=stack.api_url,
            headers=dict(headers),  # a copy: a check may take the credentials out of it
            excluded_checks=[positive_data_acceptance] if refusal else None,
        )
        calls.append(response.status_code)
        if refusal and response.status_code == refusal[0]:
            assert response.json()["error"] == refusal[1]

    check()
    assert calls  # the operation was really called
    if not own_session:  # the session is still good: no answer above was an accidental 401
        assert requests.get(f"{stack.api_url}/api/v1/vehicles", headers=signed_in, timeout=30).status_code == 200


def test_linked_calls_in_sequence_answer_as_documented(stack, signed_in):
    # The schema's links: a report requested, then its status, its deletion, the list and its pages.
    api = ApiClient(stack.api_url, signed_in["Authorization"].removeprefix("Bearer "))
    made = api.request_report([api.vehicles()[0]["vin"]])
    assert made.status_code == 202, made.text
    api.wait(made.json()["response"]["report_id"], timeout=180)  # the list has a finished report
    seen: list[tuple[str, int, bool]] = []  # operation, status, whether the request carried credentials

    # Without the two calls that end the session the sequence runs in (each has its own run above).
    sequences_schema = schemathesis.openapi.from_path(SPEC)
    # Valid requests only: invalid ones are sent per operation above, and Schemathesis' negative
    # generation inside a state machine trips Hypothesis' check for a strategy that changes.
    sequences_schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
    keeping_the_session = sequences_schema.exclude(method="DELETE", path_regex="^/api/v1/(session|account)$")

    # Schemathesis builds the state machine's class from the schema at run time: no static base for mypy.
    class Sequences(keeping_the_session.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case):
            return {"base_url": stack.api_url, "headers": dict(signed_in)}  # a copy: checks may alter it

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            refusal = SEMANTIC_REFUSALS.get(case.operation.label)
            excluded = [positive_data_acceptance] if refusal else []
            seen.append((case.operation.label, response.status_code, "Authorization" in response.request.headers))
            case.validate_response(response, excluded_checks=excluded)

    # Derandomized: the same sequences every run (a chance miss of the linked read must not flake CI).
    sequence_settings = settings(
        max_examples=30,
        stateful_step_count=6,
        deadline=None,
        database=None,
        derandomize=True,
        # No shrinking: what the stack has learned (reports made, links seen) changes between replays,
        # which Hypothesis would take for a flaky strategy; a failure is reported as found.
        phases=[Phase.explicit, Phase.generate],
    )
    Sequences.run(settings=sequence_settings)
    print(f"stateful: {len(seen)} calls, {len(set(seen))} distinct operation/status pairs")
    assert ("GET /api/v1/reports/{report_id}", 200, True) in seen, sorted(set(seen))  # a link led to a report
