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


def test_live_check_login_saves_reuses_and_refreshes_its_token(stack, app, tmp_path):
    from datetime import UTC, datetime, timedelta

    from infra.local.owner import SimulatedOwner
    from infra.ops.live_login import LiveLogin, SavedTokens

    shown: list[str] = []

    def paste_back(authorize_url: str) -> str:
        shown.append(authorize_url)
        return SimulatedOwner(stack.api_url).consent(authorize_url)  # what the browser was sent to

    token_file = tmp_path / "token.json"
    base = f"{stack.urls['tesla']}/fleet/eu"
    login = LiveLogin(
        auth=app.tesla_auth.for_realm("global"),
        region="eu",
        audience=base,
        token_file=token_file,
        ask=paste_back,
        say=lambda _line: None,
    )
    token = login.access_token()
    assert len(shown) == 1
    assert stack.env["OAUTH_REDIRECT_URI"].replace(":", "%3A").replace("/", "%2F") in shown[0]
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    rows = {r.endpoint: r for r in run_live_check(base, token, tmp_path / "raw")}
    assert rows["vehicles"].status == "200"
    assert login.access_token() == token  # reused, no second login
    assert len(shown) == 1
    saved = SavedTokens.model_validate_json(token_file.read_text())
    token_file.write_text(
        saved.model_copy(update={"expires_at": datetime.now(UTC) - timedelta(hours=1)}).model_dump_json()
    )
    refreshed = login.access_token()
    rotated = SavedTokens.model_validate_json(token_file.read_text())
    assert refreshed != token
    assert rotated.refresh_token != saved.refresh_token  # the single-use refresh token was replaced
    assert len(shown) == 1
    assert run_live_check(base, refreshed, tmp_path / "raw2")[0].status == "200"
