"""Structured logging for Cloud Logging, with one redaction for every line of the process.

Policy: no token, secret, e-mail address or full VIN reaches a log, at any level. Our own code logs
masked VINs (`mask_vin`) and no secrets; the redaction here is the safety net for slips and for
what libraries and exceptions say: it runs on every record at creation (message, arguments and
traceback, whoever logs it and whichever handler writes it) and again on every structured field,
strings or not. A VIN in any case, bare or URL-encoded (`vehicles%2F<VIN>`), keeps its last four.

Per request, the HTTP entry wrapper binds the Cloud Trace context and the execution id
(`bound_request`); the JSON line then carries `logging.googleapis.com/trace`, so Cloud Logging
shows a request's lines together under its trace.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

_VIN_CHARS = "A-HJ-NPR-Z0-9"  # a VIN is 17 characters without I, O, Q
# A VIN stands alone: no letter or digit on either side, except a percent-escape before it (a
# URL-encoded path such as `vehicles%2F<VIN>`, or `%252F` encoded twice). Either case.
_VIN_RE = re.compile(
    rf"(?:(?<=%[0-9A-Fa-f]{{2}})|(?<=%25[0-9A-Fa-f]{{2}})|(?<![A-Za-z0-9]))"
    rf"[{_VIN_CHARS}]{{13}}([{_VIN_CHARS}]{{4}})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_PRIVATE_KEY_RE = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----.*?(?:-----END \1-----|\Z)", re.DOTALL)
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_TOKEN_FIELD_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9_])("
    r"[\"']?(?:access_token|refresh_token|id_token|session_token|client_secret|private_key|api_key|password"
    r"|token|secret|code)[\"']?\s*[:=]\s*[\"']?)[^\"',&;\s}]+"
)
# JWTs (and anything else that is base64url of a JSON object): `eyJ…`, with or without dots.
_JWT_RE = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}")
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*(?:@|%40)"
    r"([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
# Structured fields whose whole value is a secret, whatever it looks like.
_SECRET_KEY_RE = re.compile(r"(?i)(?:^|_)(?:token|secret|password|private_key|api_key|authorization|cookie)s?$")
_MAX_DEPTH = 6


def mask_vin(vin: str | None) -> str:
    """A VIN as it may appear in logs and errors: its last four characters."""
    if not vin:
        return "-"
    return f"…{vin[-4:]}"


def redact(text: str) -> str:
    """Remove private keys, bearer and JWT-shaped tokens, token fields, e-mail addresses and full
    VINs from a log line."""
    text = _PRIVATE_KEY_RE.sub(r"[redacted \1]", text)
    text = _BEARER_RE.sub(r"\1[redacted]", text)
    text = _TOKEN_FIELD_RE.sub(r"\1[redacted]", text)
    text = _JWT_RE.sub("[redacted jwt]", text)
    text = _EMAIL_RE.sub(r"\1…@\2", text)
    return _VIN_RE.sub(lambda m: "…" + m.group(1), text)


def redact_value(value: object, depth: int = 0) -> object:
    """A structured log value with every string in it redacted: numbers, booleans and None as
    they are, containers walked, anything else (an exception, an object) as its redacted text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if depth < _MAX_DEPTH and isinstance(value, Mapping):
        return {redact(str(k)): _redact_field(str(k), v, depth + 1) for k, v in value.items()}
    if depth < _MAX_DEPTH and isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item, depth + 1) for item in value]
    return redact(str(value))


def _redact_field(key: str, value: object, depth: int = 0) -> object:
    if value not in (None, "") and _SECRET_KEY_RE.search(key):
        return "[redacted]"
    return redact_value(value, depth)


def redact_record(record: logging.LogRecord) -> None:
    """Redact a record in place: its message (arguments merged in), traceback and stack."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not break the caller's log call
        message = f"{record.msg!s} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install_record_redaction() -> None:
    """Redact every log record of this process when it is created (once; for any handler)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_carpulse_redacts", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    make._carpulse_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)


# --- request context (Cloud Trace correlation) ----------------------------------------------------

_TRACE_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_CLOUD_TRACE_RE = re.compile(r"^([0-9a-fA-F]{32})(?:/(\d{1,20}))?(?:;o=([01]))?$")
_TRACEPARENT_RE = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_EXECUTION_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
TRACE_FIELD = "logging.googleapis.com/trace"
SPAN_FIELD = "logging.googleapis.com/spanId"
SAMPLED_FIELD = "logging.googleapis.com/trace_sampled"
LABELS_FIELD = "logging.googleapis.com/labels"  # where functions-framework puts execution_id too


@dataclass(frozen=True, kw_only=True)
class RequestContext:
    """What every log line of one request carries for Cloud Logging."""

    trace: str | None = None  # projects/{project}/traces/{trace id}
    span_id: str | None = None  # 16 hex digits
    sampled: bool | None = None
    execution_id: str | None = None  # Function-Execution-Id

    def fields(self) -> dict[str, Any]:
        """The special fields Cloud Logging reads from a JSON line."""
        out: dict[str, Any] = {}
        if self.trace:
            out[TRACE_FIELD] = self.trace
        if self.span_id:
            out[SPAN_FIELD] = self.span_id
        if self.sampled is not None:
            out[SAMPLED_FIELD] = self.sampled
        if self.execution_id:
            out[LABELS_FIELD] = {"execution_id": self.execution_id}
        return out


_request: ContextVar[RequestContext | None] = ContextVar("carpulse_log_request", default=None)


class HeaderLookup(Protocol):
    """Headers as `request_context` reads them: a mapping, or Werkzeug's Headers (not a Mapping)."""

    def get(self, key: str, default: str, /) -> str: ...


def request_context(headers: HeaderLookup, project: str) -> RequestContext:
    """The trace (`X-Cloud-Trace-Context`, else W3C `traceparent`) and execution id of a request;
    malformed or all-zero values are left out rather than trusted."""
    trace_id = span_id = None
    sampled: bool | None = None
    cloud = _CLOUD_TRACE_RE.match(headers.get("X-Cloud-Trace-Context", "").strip())
    parent = _TRACEPARENT_RE.match(headers.get("traceparent", "").strip().lower())
    if cloud:
        trace_id = cloud.group(1).lower()
        # Cloud Trace's span id is decimal here; the log field wants 16 hex digits.
        span = int(cloud.group(2)) if cloud.group(2) else 0
        span_id = f"{span:016x}" if 0 < span < 2**64 else None
        sampled = cloud.group(3) == "1" if cloud.group(3) else None
    elif parent:
        trace_id, span_id = parent.group(1), parent.group(2)
        sampled = bool(int(parent.group(3), 16) & 1)
        span_id = None if span_id == "0" * 16 else span_id
    if trace_id is not None and (not _TRACE_ID_RE.match(trace_id) or trace_id == "0" * 32):
        trace_id = span_id = sampled = None
    execution = headers.get("Function-Execution-Id", "").strip()
    return RequestContext(
        trace=f"projects/{project}/traces/{trace_id}" if trace_id and project else None,
        span_id=span_id if trace_id else None,
        sampled=sampled if trace_id else None,
        execution_id=execution if _EXECUTION_ID_RE.match(execution) else None,
    )


@contextlib.contextmanager
def bound_request(context: RequestContext) -> Iterator[None]:
    """Every line logged inside the block (in this context) carries `context`; cleared after."""
    token = _request.set(context)
    try:
        yield
    finally:
        _request.reset(token)


# --- output ---------------------------------------------------------------------------------------


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
            payload.update({k: _redact_field(k, v) for k, v in fields.items()})
        if record.exc_info and record.levelno >= logging.ERROR:
            payload["exception"] = redact(record.exc_text or self.formatException(record.exc_info))
        context = _request.get()
        if context is not None:
            payload.update(context.fields())
        return json.dumps(payload, ensure_ascii=False, default=str)


# Libraries that log request lines (full URLs, VIN paths) or noise at DEBUG. They stay at WARNING
# whatever LOG_LEVEL says; what they do log is redacted like everything else.
QUIET_LIBRARIES = (
    "urllib3",
    "requests",
    "google",
    "googleapiclient",
    "grpc",
    "werkzeug",
    "fontTools",
    "fpdf",
    "tzlocal",
    "PIL",
    "pyhanko",
    "pyhanko_certvalidator",
    "pypdf",
    "asyncio",
    "charset_normalizer",
    "multipart",
    "httpx",
    "httpcore",
)
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_configured = False


def configure_logging(level: int | str = logging.INFO) -> None:
    """Install the JSON formatter on the root logger once per process, at `level`, and route
    every other output of log records and uncaught exceptions through the redaction."""
    global _configured
    if _configured:
        return
    install_record_redaction()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for noisy in QUIET_LIBRARIES:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _send_flask_logs_to_root()
    logging.captureWarnings(True)  # warnings go through the JSON handler, not raw to stderr
    threading.excepthook = _log_thread_exception
    _configured = True


def reset_logging() -> None:
    """Make the next configure_logging call configure again (tests: a new handler on their stdout)."""
    # Only the once-per-process guard: restoring the handlers, levels and hooks configure_logging
    # replaced is up to the test, which knows what they were before.
    global _configured
    _configured = False


def _send_flask_logs_to_root() -> None:
    # Flask gives an app logger its own plain stderr handler when the root has none yet (as at
    # import time); without it the app's lines reach our JSON handler like any other.
    from flask.logging import default_handler

    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and default_handler in logger.handlers:
            logger.removeHandler(default_handler)


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    # The default hook prints the traceback raw to stderr; a log line is redacted.
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread else "?"
    logging.getLogger("carpulse.threads").error(
        "uncaught exception in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
    )


def log_fields(**fields: Any) -> dict[str, Any]:
    """`extra=` payload for structured fields: logger.info("msg", extra=log_fields(a=1))."""
    return {"fields": fields}
