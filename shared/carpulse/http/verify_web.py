"""The public check page (HTML) of the verify function: language choice, client address, the page.

The page is self-contained (no external resource, no cookie); its one script only hashes a file the
visitor picks, in the browser, and compares it with the record's SHA-256, so nothing is uploaded.
A strict Content-Security-Policy allows exactly that script and style, by hash.
"""

from __future__ import annotations

import base64
import hashlib
import html
from datetime import date, datetime

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from carpulse.domain.verification import PublicRecord, RecordStatus, ReportFacts
from carpulse.http.clients import client_address as client_address  # where the verify function reads it
from carpulse.report.i18n import LANGUAGES, Catalog

_STYLE = """
:root{color-scheme:light;--ink:#18304a;--muted:#5f6b78;--line:#d5dbe2}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2630;background:#f4f7fa}
main{max-width:46rem;margin:0 auto;padding:1.5rem 1.25rem 3rem;background:#fff;min-height:100vh}
.product{margin:0;color:var(--muted);font-size:.85rem}
h1{margin:.2rem 0 1rem;color:var(--ink);font-size:1.6rem}
h2{margin:2rem 0 .6rem;color:var(--ink);font-size:1.1rem}
.status{border-left:.4rem solid;padding:.8rem 1rem;border-radius:.3rem}
.status strong{display:block;font-size:1.35rem}
.valid{border-color:#1f8a4c;background:#e8f5ee}.valid strong{color:#15663a}
.expired{border-color:#c27c0e;background:#fdf3e0}.expired strong{color:#8a5606}
.revoked,.not_found{border-color:#b3261e;background:#fbeaea}.revoked strong,.not_found strong{color:#8c1d18}
dl{display:grid;grid-template-columns:minmax(9rem,14rem) 1fr;gap:.35rem 1rem;margin:0}
dt{color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
code,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;overflow-wrap:anywhere}
pre{background:#f0f3f6;padding:.7rem;border-radius:.3rem;white-space:pre-wrap;overflow-wrap:anywhere}
#result{font-weight:600}#result.ok{color:#15663a}#result.bad{color:#8c1d18}
nav{margin-top:2rem;font-size:.9rem}nav a{margin-right:1rem;color:var(--ink)}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem}
"""
_SCRIPT = """
document.getElementById("file").addEventListener("change", async (event) => {
  const out = document.getElementById("result");
  const file = event.target.files[0];
  if (!file) return;
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  const ok = hex === out.dataset.sha256;
  out.textContent = ok ? out.dataset.match : out.dataset.mismatch;
  out.className = ok ? "ok" : "bad";
});
"""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_hash(_STYLE)}; script-src {_hash(_SCRIPT)}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Cache-Control": "no-store",  # a revocation must show at once
}
_ACCEPTED_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def choose_language(query: str | None, accept_language: str | None) -> str:
    """`?lang=` first, else the best of Accept-Language we have, else English."""
    wanted = (query or "").strip().lower().replace("_", "-").split("-")[0]
    if wanted in LANGUAGES:
        return wanted
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        base = tag.split("-")[0].lower()
        if base in LANGUAGES and quality > 0:
            ranked.append((quality, base))
    return max(ranked, key=lambda item: item[0])[1] if ranked else "en"


def _when(value: datetime | date | None, language: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return format_datetime(value, "medium", tzinfo=value.tzinfo, locale=language) + " UTC"
    return format_date(value, "long", locale=language)


def _percent(value: float | None, language: str) -> str:
    return "—" if value is None else f"{format_decimal(value, '0.0', locale=language)} %"


def _fact_rows(facts: ReportFacts, record: PublicRecord, cat: Catalog, language: str) -> list[tuple[str, str, str]]:
    """(label, value, css class) rows: exactly the facts the PDF prints."""
    health = facts.battery_health
    odometer = (
        f"{format_decimal(facts.odometer.value, locale=language)} {facts.odometer.unit}" if facts.odometer else "—"
    )
    rows = [
        ("report_id", facts.report_id, ""),
        ("model", facts.model or "—", ""),
        ("model_year", str(facts.model_year) if facts.model_year else "—", ""),
        ("vin_last6", f"…{facts.vin_last6}", ""),
        ("odometer", odometer, ""),
    ]
    if health is not None:
        tesla = _percent(health.tesla_soh_percent, language)
        if health.tesla_soh_as_of is not None:
            tesla += f" ({_when(health.tesla_soh_as_of, language)})"
        estimate = _percent(health.estimate_percent, language)
        if health.estimate_percent is None:
            estimate = cat.text("verify.not_enough_data")
        rows += [("tesla_soh", tesla, ""), ("estimate", estimate, ""), ("method", health.method, "")]
    language_name = Locale.parse(facts.language).get_display_name(language) or facts.language
    rows += [
        ("data_as_of", _when(facts.data_as_of, language), ""),
        ("generated_at", _when(facts.generated_at, language), ""),
        ("language", language_name, ""),
        ("valid_until", _when(record.valid_until, language), ""),
        ("sha256", record.sha256 or "—", "hash"),
        ("key_id", record.key_id or "—", "hash"),
    ]
    return [(cat.text(f"verify.fact.{key}"), value, css) for key, value, css in rows]


def render_page(record: PublicRecord, language: str, *, page_url: str, api_url: str, ca_url: str) -> str:
    """The check page of one check id, in one language."""
    cat = Catalog(language)
    e = html.escape
    status = record.status
    moment = record.revoked_at if status is RecordStatus.REVOKED else record.valid_until
    lead = cat.text(f"verify.lead.{status.value}", date=_when(moment.date() if moment else None, language))
    parts = [
        f'<p class="product">{e(cat.text("verify.product"))}</p>',
        f"<h1>{e(cat.text('verify.title'))}</h1>",
        f'<div class="status {status.value}" role="status"><strong>{e(cat.text(f"verify.status.{status.value}"))}'
        f"</strong><p>{e(lead)}</p></div>",
    ]
    if record.facts is not None:
        rows = "".join(
            f'<dt>{e(label)}</dt><dd class="{css}">{e(value)}</dd>'
            for label, value, css in _fact_rows(record.facts, record, cat, language)
        )
        curl = f"curl -X POST -H 'Content-Type: application/pdf' --data-binary @report.pdf {api_url}"
        parts += [
            f"<h2>{e(cat.text('verify.facts_title'))}</h2><dl>{rows}</dl>",
            f"<h2>{e(cat.text('verify.how_title'))}</h2>",
            f"<p>{e(cat.text('verify.how.hash'))}</p>",
            f'<p><label>{e(cat.text("verify.how.pick"))} <input type="file" id="file" accept="application/pdf">'
            f'</label></p><p id="result" aria-live="polite" data-sha256="{e(record.sha256 or "")}" '
            f'data-match="{e(cat.text("verify.how.match"))}" data-mismatch="{e(cat.text("verify.how.mismatch"))}"></p>',
            f"<p>{e(cat.text('verify.how.upload'))}</p><pre><code>{e(curl)}</code></pre>",
            f"<p>{e(cat.text('verify.how.signature', ca_url=ca_url))}</p>",
        ]
    names = {code: (Locale.parse(code).get_display_name(code) or code).title() for code in LANGUAGES}
    links = " ".join(
        f'<a href="{e(page_url)}?lang={code}" hreflang="{code}">{e(name)}</a>' for code, name in names.items()
    )
    check_id = record.verification_id or page_url.rsplit("/", 1)[-1]
    safe_id = "".join(ch for ch in check_id if ch in _ACCEPTED_ID_CHARS)[:64]
    parts += [f"<nav>{links}</nav>", f"<footer>{e(cat.text('verify.footer_note', id=safe_id))}</footer>"]
    title = f"{cat.text('verify.title')} · {cat.text(f'verify.status.{status.value}')} — Car Pulse Tracker"
    script = f"<script>{_SCRIPT}</script>" if record.facts is not None else ""
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">'
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body><main>{''.join(parts)}</main>{script}</body></html>"
    )
