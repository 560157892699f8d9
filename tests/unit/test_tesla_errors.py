"""Every status of Tesla's conventions maps to a typed error that says whether to retry."""

import json

import pytest

from carpulse.tesla import errors as e


@pytest.mark.parametrize(
    ("status", "body", "expected", "retryable"),
    [
        (400, {"error": "invalid_command"}, e.TeslaBadRequestError, False),
        (400, {"error": "invalid_auth_code"}, e.TeslaBadRequestError, False),
        (401, None, e.TokenExpiredError, False),
        (401, {"error": "login_required"}, e.LoginRequiredError, False),
        (401, {"error": "mobile_access_disabled"}, e.MobileAccessDisabledError, False),
        (402, {"error": "payment_required"}, e.PaymentRequiredError, False),
        (403, {"error": "unauthorized"}, e.ScopeOrTokenError, False),
        (404, {"error": "not_found"}, e.TeslaNotFoundError, False),
        (405, None, e.NotAllowedError, False),
        (406, None, e.ContentTypeError, False),
        (408, {"error": "vehicle unavailable"}, e.VehicleOfflineError, True),
        (412, {"error": "Account must be registered in the current region"}, e.PartnerNotRegisteredError, False),
        (418, None, e.ClientTooOldError, False),
        (421, {"error": "wrong region"}, e.WrongRegionError, False),
        (422, {"error": "invalid_resource"}, e.InvalidResourceError, False),
        (423, None, e.AccountLockedError, False),
        (429, None, e.RateLimitedError, True),
        (451, None, e.LegalRestrictionError, False),
        (499, None, e.ClientClosedError, True),
        (500, None, e.TeslaServerError, True),
        (503, None, e.TeslaServerError, True),
        (504, None, e.TeslaServerError, True),
        (540, {"error": "device_unexpected_response"}, e.VehicleError, False),
    ],
)
def test_status_maps_to_typed_error(status, body, expected, retryable):
    raw = json.dumps(body).encode() if body is not None else b""
    error = e.error_for(status, raw, {})
    assert type(error) is expected
    assert error.retryable is retryable
    assert error.status == status


def test_retry_after_and_ratelimit_reset_are_read():
    assert e.error_for(429, b"", {"Retry-After": "7"}).retry_after == 7.0
    assert e.error_for(429, b"", {"RateLimit-Reset": "12"}).retry_after == 12.0
    assert e.error_for(429, b"", {}).retry_after is None


def test_wrong_region_names_the_base_url_from_the_body():
    body = {"error": "user out of region", "fleet_api_base_url": "https://fleet-api.prd.eu.vn.cloud.tesla.com"}
    error = e.error_for(421, json.dumps(body).encode(), {})
    assert isinstance(error, e.WrongRegionError)
    assert error.suggested_base_url == "https://fleet-api.prd.eu.vn.cloud.tesla.com"


def test_non_json_body_does_not_break_mapping():
    error = e.error_for(503, b"<html>busy</html>", {})
    assert isinstance(error, e.TeslaServerError)
    assert "503" in error.description
