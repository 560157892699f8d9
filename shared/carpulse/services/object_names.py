"""Object names in the private bucket. Everything of an account lives under one prefix, so
disconnecting deletes it in one sweep; names are deterministic so repeated tasks overwrite."""

from __future__ import annotations


def account_prefix(account_id: str) -> str:
    """Prefix of everything stored for an account."""
    return f"accounts/{account_id}/"


def report_prefix(account_id: str, report_id: str) -> str:
    """Prefix of one report request."""
    return f"{account_prefix(account_id)}reports/{report_id}/"


def raw_batch_object(account_id: str, report_id: str, scope: str, batch: int) -> str:
    """The raw Tesla responses of one run (`scope` is "account" or a VIN; `batch` its run number)."""
    return f"{report_prefix(account_id, report_id)}raw/{scope}/exchanges-{batch:03d}.json"


def request_vehicles_object(account_id: str, report_id: str) -> str:
    """The account's vehicle list as Tesla gave it when the report was requested."""
    return f"{report_prefix(account_id, report_id)}work/vehicles.json"


def charging_partition(account_id: str, report_id: str, vin: str) -> str:
    """This VIN's share of the account-level charging history."""
    return f"{report_prefix(account_id, report_id)}work/charging/{vin}.json"


def pdf_object(account_id: str, report_id: str, vin: str) -> str:
    """The report PDF of one VIN."""
    return f"{report_prefix(account_id, report_id)}vehicles/{vin}/report.pdf"


def snapshot_object(account_id: str, report_id: str, vin: str) -> str:
    """The normalised snapshot the PDF was rendered from (re-render without Tesla)."""
    return f"{report_prefix(account_id, report_id)}vehicles/{vin}/snapshot.json"


def vin_cache_object(account_id: str, vin: str, name: str) -> str:
    """Per-VIN cache of what does not change (specs, options, release notes), kept with the account."""
    return f"{account_prefix(account_id)}cache/{vin}/{name}"


def invoice_object(account_id: str, vin: str, content_id: str) -> str:
    """An invoice PDF, downloaded once per account."""
    return f"{account_prefix(account_id)}cache/{vin}/invoices/{content_id}.pdf"


def json_view_object(account_id: str, report_id: str, vin: str) -> str:
    """The report as JSON for a browser view, beside the PDF."""
    return f"{report_prefix(account_id, report_id)}vehicles/{vin}/report.json"


def sessions_csv_object(account_id: str, report_id: str) -> str:
    """All sessions of the report's VINs as CSV."""
    return f"{report_prefix(account_id, report_id)}charging-sessions.csv"


def invoices_zip_object(account_id: str, report_id: str) -> str:
    """The invoice PDFs of the report, one folder per VIN."""
    return f"{report_prefix(account_id, report_id)}invoices.zip"


def rendition_prefix(account_id: str, report_id: str, language: str) -> str:
    """Where a report rendered again in another language lives (inside the report: deleted with it)."""
    return f"{report_prefix(account_id, report_id)}renditions/{language}/"


def rendition_pdf_object(account_id: str, report_id: str, language: str, vin: str) -> str:
    """One VIN's PDF of a rendition."""
    return f"{rendition_prefix(account_id, report_id, language)}vehicles/{vin}/report.pdf"


def rendition_json_object(account_id: str, report_id: str, language: str, vin: str) -> str:
    """One VIN's JSON view of a rendition."""
    return f"{rendition_prefix(account_id, report_id, language)}vehicles/{vin}/report.json"


def rendition_csv_object(account_id: str, report_id: str, language: str) -> str:
    """The sessions CSV of a rendition (headers in its language)."""
    return f"{rendition_prefix(account_id, report_id, language)}charging-sessions.csv"
