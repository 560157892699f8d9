"""What a log line may hold: the redaction of every record and field, LOG_LEVEL, and the Cloud Trace
fields each request's lines carry."""

from __future__ import annotations

import json
import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import flask
import pytest

from carpulse import logs
from carpulse.config import settings_from_env
from carpulse.errors import ConfigError
from carpulse.http.api import endpoint, json_response
from carpulse.logs import redact, redact_value, request_context

VIN = "5YJ3E1EA7KF000001"
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlLXN0YW5kLWlu"


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """configure_logging as a function does it, undone afterwards; yields a reader of the JSON lines."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogRecordFactory(), threading.excepthook)
    quiet = {name: logging.getLogger(name).level for name in logs.QUIET_LIBRARIES}
    logs.reset_logging()
    capsys.readouterr()

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]

    try:
        yield lines
    finally:
        root.handlers[:], level, factory, hook = saved
        root.setLevel(level)
        logging.setLogRecordFactory(factory)
        threading.excepthook = hook
        logging.captureWarnings(False)
        for name, was in quiet.items():
            logging.getLogger(name).setLevel(was)
        logs.reset_logging()


@pytest.mark.parametrize(
    "line",
    [
        f"GET /api/1/vehicles/{VIN.lower()}/vehicle_data",  # lowercase
        f"/b/reports/o/accounts%2Facc_1%2Fvehicles%2F{VIN}%2Fsnapshot.json",  # URL-encoded path
        f"o/vehicles%252F{VIN}%252Fsnapshot.json",  # encoded twice
        f"vin={VIN}&state=x",
        f'{{"vin": "{VIN}"}}',
    ],
)
def test_a_vin_in_any_case_or_encoding_keeps_only_its_last_four(line):
    out = redact(line)
    assert VIN.casefold() not in out.casefold()
    assert "…0001" in out.casefold()


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f"token {JWT} rejected", JWT.split(".")[0]),  # JWT-shaped, without any "Bearer"
        ("Authorization: Bearer opaque-session-7f3a", "opaque-session-7f3a"),
        ('{"client_secret": "s3cr3t-v4lue"}', "s3cr3t-v4lue"),
        ("session_token=abcdef123456; Path=/", "abcdef123456"),
        ("?code=NA_c0de_from_tesla&state=s", "NA_c0de_from_tesla"),
        ("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----", "MIGHAgEAMBMGByqGSM49"),
        ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIC7truncated", "MHcCAQEEIC7truncated"),
    ],
)
def test_tokens_and_keys_are_removed(line, secret):
    assert secret not in redact(line)


def test_an_email_address_keeps_its_first_letter_and_domain_only():
    out = redact("owner aino.esimerkki@example.com and aino%40example.fi")
    assert "aino.esimerkki" not in out
    assert "aino%40" not in out
    assert "a…@example.com" in out
    assert "a…@example.fi" in out


def test_ordinary_text_is_left_alone():
    line = "report 4c77085b16ab47bc9de31771d8d75acc sealed in 0.21 s, 3 vehicles, key f01da0ca193de910"
    assert redact(line) == line


def test_non_string_fields_are_redacted_inside_out():
    value = {
        "vins": [VIN, VIN.lower()],
        "nested": {"error": ValueError(f"no vehicle {VIN}"), "count": 3, "ok": True, "none": None},
        "refresh_token": "opaque-without-shape",  # the key says what it is
        "tuple": (f"https://fleet/api/1/vehicles/{VIN}",),
    }
    out = redact_value(value)
    text = json.dumps(out)
    assert VIN.casefold() not in text.casefold()
    assert "opaque-without-shape" not in text
    assert isinstance(out, dict)
    assert out["nested"]["count"] == 3
    assert out["nested"]["ok"] is True
    assert out["nested"]["none"] is None


def test_a_json_line_redacts_fields_message_and_exception(json_logs):
    logs.configure_logging()
    log = logging.getLogger("carpulse.test")
    try:
        raise RuntimeError(f"500 Server Error for url: https://fleet/api/1/vehicles/{VIN}/vehicle_data")
    except RuntimeError:
        log.exception("fetch of %s failed", VIN.lower(), extra=logs.log_fields(vins=[VIN], why=KeyError(VIN)))
    (line,) = json_logs()
    text = json.dumps(line)
    assert line["severity"] == "ERROR"
    assert "RuntimeError" in line["exception"]
    assert VIN.casefold() not in text.casefold()


def test_every_record_is_redacted_whoever_writes_it(json_logs):
    logs.configure_logging()
    # A library's own handler (not ours) still gets the redacted record.
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage() + (record.exc_text or ""))

    library = logging.getLogger("somelibrary.connectionpool")
    library.addHandler(keep := Keep())
    try:
        library.warning("Retrying %s after %s", f"/api/1/vehicles/{VIN}", "Bearer " + JWT)
    finally:
        library.removeHandler(keep)
    assert seen
    assert VIN not in seen[0]
    assert JWT not in seen[0]


def test_uncaught_thread_exceptions_and_warnings_go_through_the_redaction(json_logs):
    logs.configure_logging()

    def fail() -> None:
        raise RuntimeError(f"worker died on {VIN}")

    thread = threading.Thread(target=fail, name="w1")
    thread.start()
    thread.join()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(f"deprecated call for {VIN}", UserWarning, stacklevel=1)
    lines = json_logs()
    text = json.dumps(lines)
    assert any(line["message"].startswith("uncaught exception in thread w1") for line in lines)
    assert any("deprecated call" in line["message"] for line in lines)
    assert VIN not in text


def test_log_level_is_a_setting_and_libraries_stay_quiet_at_debug(json_logs):
    settings = settings_from_env({"LOG_LEVEL": " debug "})
    assert settings.log_level == "DEBUG"
    logs.configure_logging(settings.log_level)
    assert logging.getLogger().level == logging.DEBUG
    for name in ("urllib3", "google", "werkzeug", "fpdf"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
    logging.getLogger("carpulse.x").debug("detail for %s", VIN)
    logging.getLogger("urllib3.connectionpool").debug("GET /api/1/vehicles/%s", VIN)
    lines = json_logs()
    assert [line["message"] for line in lines] == ["detail for …0001"]


def test_an_unknown_log_level_names_the_variable_not_the_value():
    with pytest.raises(ConfigError) as caught:
        settings_from_env({"LOG_LEVEL": "chatty-s3cret"})
    assert "LOG_LEVEL" in caught.value.description
    assert "chatty-s3cret" not in caught.value.description


def test_trace_context_from_cloud_trace_header():
    context = request_context(
        {"X-Cloud-Trace-Context": "105445AA7843BC8BF206B12000100000/1;o=1", "Function-Execution-Id": "abc123"}, "p"
    )
    assert context.fields() == {
        "logging.googleapis.com/trace": "projects/p/traces/105445aa7843bc8bf206b12000100000",
        "logging.googleapis.com/spanId": "0000000000000001",
        "logging.googleapis.com/trace_sampled": True,
        "logging.googleapis.com/labels": {"execution_id": "abc123"},
    }


def test_trace_context_from_traceparent_and_refusal_of_bad_values():
    parent = request_context({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}, "p")
    assert parent.trace == "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    assert parent.span_id == "00f067aa0ba902b7"
    assert parent.sampled is False
    for bad in ("0" * 32 + "/1;o=1", "not-a-trace", "105445aa/1", ""):
        assert request_context({"X-Cloud-Trace-Context": bad}, "p").fields() == {}
    assert request_context({"Function-Execution-Id": "a b\nc"}, "p").execution_id is None


def test_each_request_line_carries_its_trace_and_only_inside_the_request(json_logs):
    @endpoint(methods=["GET"])
    def handler(request: flask.Request) -> flask.Response:
        logging.getLogger("carpulse.handler").info("handling", extra=logs.log_fields(vin=VIN))
        return json_response({"response": "ok"})

    app = flask.Flask("t")
    header = {"X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/7;o=1", "Function-Execution-Id": "e1"}
    with app.test_request_context("/x", headers=header):
        assert handler(flask.request).status_code == 200
    logging.getLogger("carpulse.after").info("outside any request")
    inside, outside = json_logs()
    assert inside["logging.googleapis.com/trace"].endswith("/traces/105445aa7843bc8bf206b12000100000")
    assert inside["logging.googleapis.com/labels"] == {"execution_id": "e1"}
    assert inside["vin"] == "…0001"
    assert "logging.googleapis.com/trace" not in outside


def test_a_bad_log_level_answers_in_our_envelope_and_logs_why(json_logs, monkeypatch):
    from carpulse.config import get_settings

    @endpoint(methods=["GET"])
    def handler(request: flask.Request) -> flask.Response:
        return json_response({"response": "not reached"})

    monkeypatch.setenv("LOG_LEVEL", "loud")
    get_settings.cache_clear()
    try:
        with flask.Flask("t").test_request_context("/x"):
            response = handler(flask.request)
    finally:
        get_settings.cache_clear()
    assert response.status_code == 500
    assert response.get_json()["error"] == "configuration_error"
    assert "loud" not in response.get_data(as_text=True)
    (line,) = json_logs()
    assert line["severity"] == "ERROR"
    assert "LOG_LEVEL" in line["detail"]
