"""Why a section is missing or failed: message keys shared by normalisation and the report catalog.

The English text here is the reference wording; the report's message catalog must translate every
key (a test checks that). `{placeholders}` are filled from SectionNote.detail. A reason that counts
something is a plural entry, one text per English plural category, chosen by detail["count"].
"""

from __future__ import annotations

REASONS: dict[str, str | dict[str, str]] = {
    "reason.vehicle_asleep": "The vehicle was {state}; live data was not fetched because waking it was not allowed.",
    "reason.vehicle_offline": (
        "The vehicle was offline (not connected to Tesla), so live data could not be fetched; "
        "an offline vehicle cannot be woken."
    ),
    "reason.vehicle_not_woken": "The vehicle did not wake up in time; live data is missing.",
    "reason.vehicle_unavailable": "The vehicle was not reachable (Tesla answered 408) after several tries.",
    "reason.vehicle_error": "The vehicle answered with an error (Tesla status 540).",
    "reason.scope_missing": "The owner did not grant the {scope} permission.",
    "reason.partner_token_required": "Tesla only gives this with a partner token, which was not available.",
    "reason.tesla_status": "Tesla answered with status {status}.",
    "reason.tesla_unavailable": "Tesla did not answer in time.",
    "reason.not_prepared": "The account-level data was not prepared for this report.",
    "reason.location_not_granted": "Location is not shown: the vehicle_location permission was not granted.",
    "reason.invoices_failed": {
        "one": "{count} invoice PDF could not be downloaded from Tesla.",
        "other": "{count} invoice PDFs could not be downloaded from Tesla.",
    },
    "reason.not_supported": "This vehicle or account does not provide this data.",
}


def reason_text(key: str, detail: dict[str, str] | None = None) -> str:
    """The English wording of a reason (or the key itself if unknown)."""
    entry = REASONS.get(key, key)
    # English plural rule: "one" for exactly 1 (the catalog chooses with Babel for every language).
    template = entry if isinstance(entry, str) else entry["one" if (detail or {}).get("count") == "1" else "other"]
    try:
        return template.format(**(detail or {}))
    except (KeyError, IndexError):
        return template
