"""`make live-check REGION=eu [TOKEN=…] [VIN=…] [BASE_URL=…]`: every Fleet API endpoint once.

Without TOKEN it logs in first (infra/ops/live_login.py): it prints Tesla's authorize URL for the
registered redirect URI, takes the redirected URL pasted back, and keeps the token (owner-only,
git-ignored) for the next run, refreshing it when due. The client id and redirect URI come from
the environment file (ENV=dev by default); the client secret from TESLA_CLIENT_SECRET or a prompt.

Prints a table endpoint → HTTP status → fields received, and writes each raw response to
./live-check/<timestamp>/ (git-ignored: the bodies hold personal data). Read-only: it never
wakes a car and sends no command; wake_up is listed as skipped. Billed calls: about 14.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from carpulse.config import TESLA_REGION_BASE_URLS, Settings, settings_from_env
from carpulse.logs import mask_vin
from carpulse.tesla.auth import TeslaAuthClient
from carpulse.tesla.client import FleetClient, RawExchange, RetryPolicy
from carpulse.tesla.errors import TeslaError
from carpulse.tesla.regions import realm_of

ROOT = Path(__file__).resolve().parents[2]


class StaticToken:
    """TokenProvider for a token given on the command line (no refresh)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        """The given token."""
        return self._token

    def refresh_after_expiry(self, stale_token: str) -> str:
        """No refresh here: the 401 is reported as is."""
        raise TeslaError("the access token expired; get a fresh one", status=401)

    def revoked(self) -> None:
        """Nothing to mark."""
        return None


@dataclass
class Row:
    """One line of the table."""

    endpoint: str
    status: str
    fields: str


def _fields(body: Any) -> str:
    response = body.get("response") if isinstance(body, dict) else None
    if isinstance(response, dict) and isinstance(response.get("response"), dict):
        response = response["response"]  # release notes' nested shape
    if isinstance(response, list):
        return f"{len(response)} item(s)"
    if isinstance(response, dict):
        if not response:
            return "{} (empty)"
        keys = sorted(response)
        # Sub-objects and lists say most about what arrived; plain fields are counted.
        objects = [k for k in keys if isinstance(response[k], dict)]
        lists = [f"{k}[{len(response[k])}]" for k in keys if isinstance(response[k], list)]
        plain = [k for k in keys if not isinstance(response[k], dict | list)]
        parts = objects + lists + (plain if len(plain) <= 4 else [f"+{len(plain)} fields"])
        text = ", ".join(parts)
        return text if len(text) <= 100 else text[:97] + "…"
    if isinstance(body, dict) and "error" in body:
        return f"error: {body.get('error')}"
    return "—"


def run_live_check(base_url: str, token: str, out_dir: Path, vin: str | None = None) -> list[Row]:
    """Call every endpoint once; rows in call order. Raw bodies go to out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    exchanges: list[RawExchange] = []
    fleet = FleetClient(
        base_url, StaticToken(token), requests.Session(), retry=RetryPolicy(attempts=1), observer=exchanges.append
    )
    rows: list[Row] = []

    def call(name: str, action: Callable[[], Any]) -> Any:
        before = len(exchanges)
        try:
            result = action()
        except TeslaError as exc:
            result = None
            if len(exchanges) == before:
                rows.append(Row(name, f"{exc.status or '—'}", exc.error))
                return None
        for exchange in exchanges[before:]:
            (out_dir / f"{len(rows) + 1:02d}-{exchange.endpoint}.json").write_bytes(exchange.body or b"")
            try:
                body = json.loads(exchange.body) if exchange.body else {}
                fields = _fields(body)
            except ValueError:
                fields = f"{exchange.content_type or 'binary'}, {len(exchange.body):,} bytes"
            rows.append(Row(name, str(exchange.status), fields))
        return result

    call("users/region", fleet.user_region)
    call("users/me", fleet.user_me)
    call("users/orders", fleet.user_orders)
    call("users/feature_config", fleet.user_feature_config)
    vehicles = call("vehicles", fleet.vehicles) or []
    vin = vin or next((v.vin for v in vehicles if v.vin), None)
    if vin is None:
        rows.append(Row("(per-vehicle endpoints)", "skipped", "no vehicle on this account"))
        return rows
    summary = call("vehicles/{vin}", lambda: fleet.vehicle(vin))
    if summary is not None and summary.state == "online":
        call("vehicle_data", lambda: fleet.vehicle_data(vin))
    else:
        rows.append(Row("vehicle_data", "skipped", f"vehicle {getattr(summary, 'state', 'unknown')}; not woken"))
    call("service_data", lambda: fleet.service_data(vin))
    call("recent_alerts", lambda: fleet.recent_alerts(vin))
    call("release_notes", lambda: fleet.release_notes(vin))
    call("warranty/details", lambda: fleet.warranty(vin))
    call("vehicles/options", lambda: fleet.options(vin))
    call("specs (user token: 403 expected)", lambda: fleet.specs(vin))
    call("fleet_status", lambda: fleet.fleet_status(vin))
    sessions = call("charging/history", lambda: fleet.charging_history(page_size=10)) or []
    invoice = next((i.contentId for s in sessions for i in s.invoices if i.contentId), None)
    if invoice:
        call("charging/invoice", lambda: fleet.invoice(invoice))
    else:
        rows.append(Row("charging/invoice", "skipped", "no invoice in the history"))
    call("charging/sessions (business only)", lambda: fleet.business_charging_sessions(limit=10))
    rows.append(Row("wake_up", "skipped", "never woken by a check"))
    return rows


def format_table(rows: list[Row]) -> str:
    """The rows as a fixed-width table."""
    width = max(len(r.endpoint) for r in rows)
    lines = [f"{'endpoint':<{width}}  {'status':>7}  fields received", "-" * (width + 30)]
    lines += [f"{r.endpoint:<{width}}  {r.status:>7}  {r.fields}" for r in rows]
    return "\n".join(lines)


def login_for(args: argparse.Namespace, base_url: str) -> str:
    """A user token by the full login (saved and refreshed between runs)."""
    import getpass

    from infra.ops.live_login import LiveLogin
    from infra.ops.register_partner import read_env_file

    settings = settings_from_env(read_env_file(args.env_file)) if args.env_file else Settings()
    realm = settings.auth_realm(realm_of(args.region))
    secret = os.environ.get("TESLA_CLIENT_SECRET") or getpass.getpass(f"client secret of {realm.client_id}: ")
    auth = TeslaAuthClient(
        auth_base_url=realm.auth_base_url,
        client_id=realm.client_id,
        client_secret=lambda: secret,
        redirect_uri=settings.oauth_redirect_uri,
        scopes=settings.tesla_scopes + " user_data",
        http=requests.Session(),
        timeout=60,
    )

    def ask(url: str) -> str:
        print(f"Open this URL, log in at Tesla and allow access:\n\n  {url}\n")
        return input("Then paste the whole address your browser was sent to: ")

    token_file = args.token_file or ROOT / ".local" / f"live-check-token-{args.region}.json"
    login = LiveLogin(auth=auth, region=args.region, audience=base_url, token_file=token_file, ask=ask)
    return login.access_token()


def main() -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--token", help="a user access token (never printed or stored); without it: log in")
    parser.add_argument("--region", choices=("na", "eu", "cn"), default="eu")
    parser.add_argument("--base-url", help="override the region's Fleet API base URL (e.g. the simulator)")
    parser.add_argument("--vin", help="vehicle to check (default: the first on the account)")
    parser.add_argument("--out", type=Path, default=ROOT / "live-check")
    parser.add_argument("--env-file", type=Path, help="client id and redirect URI for the login (infra/envs/…)")
    parser.add_argument("--token-file", type=Path, help="where the login keeps its token (default .local/)")
    args = parser.parse_args()
    out_dir = args.out / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base_url = args.base_url or TESLA_REGION_BASE_URLS[args.region]
    token = args.token or login_for(args, base_url)
    rows = run_live_check(base_url, token, out_dir, args.vin)
    print(format_table(rows))
    print(
        f"\nraw responses: {out_dir} (personal data: keep it local){'; VIN ' + mask_vin(args.vin) if args.vin else ''}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
