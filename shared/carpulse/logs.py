"""Structured logging for Cloud Logging, with redaction of tokens and VINs as a safety net."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

# A VIN is 17 characters without I, O, Q. Anything that looks like one is masked to its last 4.
_VIN_RE = re.compile(r"\b[A-HJ-NPR-Z0-9]{13}([A-HJ-NPR-Z0-9]{4})\b")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_TOKEN_FIELD_RE = re.compile(
    r'(?i)("?(?:access_token|refresh_token|id_token|client_secret|code)"?\s*[:=]\s*"?)[^",&\s]+'
)


def mask_vin(vin: str | None) -> str:
    """A VIN as it may appear in logs and errors: its last four characters."""
    if not vin:
        return "-"
    return f"…{vin[-4:]}"


def redact(text: str) -> str:
    """Remove bearer tokens, token fields and full VINs from a log line."""
    text = _BEARER_RE.sub(r"\1[redacted]", text)
    text = _TOKEN_FIELD_RE.sub(r"\1[redacted]", text)
    return _VIN_RE.sub(lambda m: "…" + m.group(1), text)


class _JsonFormatter(logging.Formatter):
    """One JSON object per line, the shape Cloud Logging parses (severity + message)."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "severity": record.levelname,
            "message": redact(record.getMessage()),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            payload.update({k: redact(str(v)) if isinstance(v, str) else v for k, v in fields.items()})
        if record.exc_info and record.levelno >= logging.ERROR:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False, default=str)


_configured = False


def configure_logging(level: int = logging.INFO) -> None:
    """Install the JSON formatter on the root logger once per process."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The HTTP client libraries log full URLs (with VIN paths) at DEBUG; keep them quiet.
    for noisy in ("urllib3", "google", "werkzeug", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True


def log_fields(**fields: Any) -> dict[str, Any]:
    """`extra=` payload for structured fields: logger.info("msg", extra=log_fields(a=1))."""
    return {"fields": fields}
