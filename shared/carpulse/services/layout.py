"""Object names in the private bucket. Everything of an account lives under one prefix, so
disconnecting deletes it in one sweep; names are deterministic so repeated tasks overwrite."""

from __future__ import annotations


def account_prefix(account_id: str) -> str:
    """Prefix of everything stored for an account."""
    return f"accounts/{account_id}/"


def report_prefix(account_id: str, report_id: str) -> str:
    """Prefix of one report request."""
    return f"{account_prefix(account_id)}reports/{report_id}/"


def raw_object(account_id: str, report_id: str, scope: str, endpoint: str, seq: int) -> str:
    """A raw Tesla response (`scope` is "account" or a VIN)."""
    return f"{report_prefix(account_id, report_id)}raw/{scope}/{endpoint}-{seq:03d}.json"


def charging_partition(account_id: str, report_id: str, vin: str) -> str:
    """This VIN's share of the account-level charging history."""
    return f"{report_prefix(account_id, report_id)}work/charging/{vin}.json"


def pdf_object(account_id: str, report_id: str, vin: str) -> str:
    """The report PDF of one VIN."""
    return f"{report_prefix(account_id, report_id)}vehicles/{vin}/report.pdf"


def snapshot_object(account_id: str, report_id: str, vin: str) -> str:
    """The normalised snapshot the PDF was rendered from (re-render without Tesla)."""
    return f"{report_prefix(account_id, report_id)}vehicles/{vin}/snapshot.json"
