"""Retention: every object name the code makes gets the period the README promises, with Cloud
Storage's own matching rules; the TTL policies name the fields the code writes; the README's
retention table states every period."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from carpulse.services import object_names
from infra.deploy.retention import (
    OBJECT_KINDS,
    REPORT_DAYS,
    TTL_POLICIES,
    lifecycle_document,
    rule_days,
)

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REPORT = "0f3c9a1e5b7d4c2a", "5d41402abc4b2a76b9719d911017c592"
VINS = ("5YJSA7H40FF000001", "LRW3F7EK4NC700000", "7SAYGDEE1PF123456")  # Tesla VINs end in serial digits
# What each name-making function of carpulse.services.object_names stores, and how long it may live.
KIND_OF = {
    "raw_batch_object": REPORT_DAYS,
    "charging_partition": REPORT_DAYS,
    "pdf_object": REPORT_DAYS,
    "snapshot_object": REPORT_DAYS,
    "json_view_object": REPORT_DAYS,
    "sessions_csv_object": REPORT_DAYS,
    "invoices_zip_object": REPORT_DAYS,
    "request_vehicles_object": REPORT_DAYS,
    "rendition_pdf_object": REPORT_DAYS,
    "rendition_json_object": REPORT_DAYS,
    "rendition_csv_object": REPORT_DAYS,
    "vin_cache_object:modules.json": 180,
    "vin_cache_object:specs.json": 180,
    "vin_cache_object:options.json": 30,
    "invoice_object": None,  # kept while the account lives; disconnect deletes it
}
RULES = lifecycle_document()["rule"]


def _names(function: str, vin: str) -> dict[str, str]:
    make = getattr(object_names, function)
    if function == "vin_cache_object":
        return {
            f"{function}:{name}": make(ACCOUNT, vin, name) for name in ("modules.json", "specs.json", "options.json")
        }
    arguments = {
        "account_id": ACCOUNT,
        "report_id": REPORT,
        "vin": vin,
        "scope": vin,
        "endpoint": "vehicle_data",
        "seq": 7,
        "batch": 7,
        "content_id": "INV-2024-000917",
        "language": "sv",
    }
    wanted = inspect.signature(make).parameters
    return {function: make(**{name: arguments[name] for name in wanted})}


def test_every_object_name_of_the_layout_is_classified():
    makers = {name for name, fn in vars(object_names).items() if inspect.isfunction(fn) and name.endswith("_object")}
    makers |= {"charging_partition"}
    assert makers == {key.split(":")[0] for key in KIND_OF}, "a new kind of object needs its retention here"


@pytest.mark.parametrize("vin", VINS)
@pytest.mark.parametrize("kind", sorted(KIND_OF))
def test_each_object_lives_as_long_as_promised(kind, vin):
    name = _names(kind.split(":")[0], vin)[kind]
    assert name.startswith("accounts/")
    assert rule_days(name, RULES) == KIND_OF[kind], name


def test_raw_responses_of_every_page_expire_with_their_report():
    for seq in (0, 1, 9, 10, 99, 123):
        assert rule_days(object_names.raw_batch_object(ACCOUNT, REPORT, "account", seq), RULES) == REPORT_DAYS


def test_ttl_policies_cover_the_expiry_fields_the_code_writes():
    fields = {(policy.collection_group, policy.field) for policy in TTL_POLICIES}
    assert fields == {
        ("oauth_states", "expires_at"),
        ("login_codes", "expires_at"),
        ("sessions", "expires_at"),
        ("reports", "expires_at"),
        ("vehicles", "expires_at"),
        ("verifications", "delete_after"),
        ("verify_rate", "expires_at"),
        ("verification_slots", "expires_at"),
        ("report_slots", "expires_at"),
        ("idempotency_keys", "expires_at"),
        ("request_rate", "expires_at"),
    }
    assert len({policy.collection_group for policy in TTL_POLICIES}) == len(TTL_POLICIES), "one TTL field per group"


def _deploying_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Deploying") :].split("\n## ", 1)[0]


def test_readme_states_each_retention_period():
    section = _deploying_section()
    for kind in OBJECT_KINDS:
        period = "while the account" if kind.days is None else f"{kind.days} days"
        assert re.search(rf"\| {re.escape(kind.what)} \|[^\n]*{period}", section), kind.what
    for policy in TTL_POLICIES:
        assert f"`{policy.collection_group}.{policy.field}`" in section
        assert policy.lifetime in section


def test_reports_expire_when_the_code_says_they_do():
    from carpulse.config import Settings

    assert Settings().report_retention_days == REPORT_DAYS  # the expires_at the reports API writes
