"""How long each kind of data lives: the one table behind the Firestore TTL policies, the bucket's
lifecycle rules, verify-env's lifecycle check and the README's retention table (a test compares).

Firestore deletes a document once its `expires_at` (written by the code) has passed; a document
without the field is never touched. The bucket deletes objects by age: every object of an account
lives under `accounts/{account}/` (so disconnect deletes it in one sweep), so the kinds are told
apart by how their names end (shared/carpulse/services/object_names.py; a test classifies every name
that module makes). Objects are rewritten when refreshed, so a cache's age restarts with its data.
Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT_PREFIX = "accounts/"
REPORT_DAYS = 30  # a report request, its per-VIN progress and every file it made


@dataclass(frozen=True, kw_only=True)
class TtlPolicy:
    """A Firestore TTL policy: documents of a collection group expire at their `field`."""

    collection_group: str
    field: str = "expires_at"
    what: str
    lifetime: str  # what the code writes into the field


TTL_POLICIES: tuple[TtlPolicy, ...] = (
    TtlPolicy(collection_group="oauth_states", what="pending OAuth logins", lifetime="10 minutes"),
    TtlPolicy(collection_group="login_codes", what="one-time login codes", lifetime="60 seconds"),
    TtlPolicy(collection_group="sessions", what="frontend sessions", lifetime="7 days"),
    TtlPolicy(collection_group="reports", what="report requests", lifetime=f"{REPORT_DAYS} days"),
    # Firestore never deletes subcollections with their parent: the per-VIN documents (full VINs)
    # carry the report's expiry themselves.
    TtlPolicy(collection_group="vehicles", what="per-VIN progress of a report", lifetime=f"{REPORT_DAYS} days"),
    # A buyer checks a report long after its PDF is gone (VERIFICATION_RETENTION_DAYS).
    TtlPolicy(
        collection_group="verifications",
        field="delete_after",
        what="verification records of reports",
        lifetime="6 years",
    ),
    TtlPolicy(collection_group="verify_rate", what="rate-limit windows of the public check", lifetime="minutes"),
    # One check id per report and VIN while a task may still render it (services/sealing.py, SLOT_DAYS).
    TtlPolicy(collection_group="verification_slots", what="check-id slots of report PDFs", lifetime="35 days"),
    # Cost limits (services/limits.py): an account's slots, its Idempotency-Keys, login starts per client.
    TtlPolicy(collection_group="report_slots", what="cost-limit slots of report requests", lifetime="1 day"),
    TtlPolicy(collection_group="idempotency_keys", what="Idempotency-Keys of report requests", lifetime="24 hours"),
    TtlPolicy(collection_group="request_rate", what="rate-limit windows of login starts", lifetime="minutes"),
)


@dataclass(frozen=True, kw_only=True)
class ObjectKind:
    """A kind of object in the reports bucket and its retention (None: kept while the account is)."""

    what: str
    days: int | None
    suffixes: tuple[str, ...]  # object names under accounts/ that end so are of this kind


# Raw responses are `…/raw/{scope}/exchanges-{run:03d}.json` and the charging partitions
# `…/work/charging/{vin}.json`: both end in a digit before `.json`, which no cache name does.
_DIGIT_JSON = tuple(f"{digit}.json" for digit in range(10))

OBJECT_KINDS: tuple[ObjectKind, ...] = (
    ObjectKind(
        what="report files: raw Tesla responses, snapshots, PDFs, JSON views, sessions CSV, invoice ZIP",
        days=REPORT_DAYS,
        suffixes=(
            *_DIGIT_JSON,
            "/snapshot.json",
            "/report.pdf",
            "/report.json",
            "/charging-sessions.csv",
            "/invoices.zip",
            "/work/vehicles.json",
        ),
    ),
    # One object per VIN (services/fetch.py): each entry carries its own fetched_at for freshness.
    ObjectKind(
        what="VIN cache: specs, options, release notes per firmware, stored invoice ids",
        days=180,
        suffixes=("/modules.json",),
    ),
    ObjectKind(what="specs cache (billed per result)", days=180, suffixes=("/specs.json",)),
    ObjectKind(what="options cache", days=30, suffixes=("/options.json",)),
    ObjectKind(what="invoice PDFs (fetched once per account)", days=None, suffixes=(".pdf",)),
)


def lifecycle_rule(kind: ObjectKind) -> dict[str, object]:
    """The bucket lifecycle rule deleting one kind at its age."""
    return {
        "action": {"type": "Delete"},
        "condition": {"age": kind.days, "matchesPrefix": [ACCOUNT_PREFIX], "matchesSuffix": list(kind.suffixes)},
    }


def lifecycle_document() -> dict[str, list[dict[str, object]]]:
    """The bucket's whole lifecycle configuration (`--lifecycle-file`)."""
    return {"rule": [lifecycle_rule(kind) for kind in OBJECT_KINDS if kind.days is not None]}


def rule_days(name: str, rules: list[dict[str, object]]) -> int | None:
    """Cloud Storage semantics: the smallest age of the Delete rules matching an object name."""
    ages = []
    for rule in rules:
        condition = rule["condition"]
        assert isinstance(condition, dict)
        prefixes = condition.get("matchesPrefix") or [""]
        suffixes = condition.get("matchesSuffix") or [""]
        if any(name.startswith(p) for p in prefixes) and any(name.endswith(s) for s in suffixes):
            ages.append(int(condition["age"]))
    return min(ages) if ages else None
