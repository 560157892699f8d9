"""Ops commands against the simulator: partner registration and the live check."""

from __future__ import annotations

import pytest

from carpulse.services.partner import PartnerRegistration
from infra.local.owner import simulator_user_token
from infra.local.stack import CLIENT_ID
from infra.ops.live_check import format_table, run_live_check

pytestmark = pytest.mark.stack


def _registration(app):
    return PartnerRegistration(
        app.settings,
        app.tesla_auth,
        lambda: app.secrets.get(app.settings.tesla_private_key_name),
        lambda base, tokens: app.fleet(base, tokens),
        app.http,
    )


def test_partner_registration_in_all_regions_checks_the_served_key(app):
    report = _registration(app).run(app.settings.registered_domain, "all")
    assert report.served_key_matches, report.served_key_problem
    assert [r.region for r in report.regions] == ["na", "eu", "cn"]
    assert all(r.registered for r in report.regions)
    assert all(r.tesla_key_matches for r in report.regions)
    assert report.ok


def test_partner_registration_fails_clearly_when_the_key_is_not_served(app):
    report = _registration(app).run("127.0.0.1:9", "eu")  # nothing listens on the discard port
    assert not report.served_key_matches
    assert not report.regions[0].registered
    assert "public key" in report.regions[0].message.lower()
    assert not report.ok


def test_live_check_table_covers_every_endpoint(stack, tmp_path):
    tokens = simulator_user_token(stack.urls, CLIENT_ID, stack.client_secret, stack.env["OAUTH_REDIRECT_URI"])
    rows = run_live_check(f"{stack.urls['tesla']}/fleet/eu", tokens["access_token"], tmp_path)
    table = format_table(rows)
    by_endpoint = {r.endpoint: r for r in rows}
    for endpoint in ("users/region", "vehicles", "vehicles/{vin}", "vehicle_data", "warranty/details", "fleet_status"):
        assert by_endpoint[endpoint].status == "200", table
    assert by_endpoint["specs (user token: 403 expected)"].status == "403"
    assert "application/pdf" in by_endpoint["charging/invoice"].fields
    assert by_endpoint["wake_up"].status == "skipped"
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) >= 12
    assert tokens["access_token"] not in "".join(p.read_text(errors="ignore") for p in tmp_path.iterdir())
