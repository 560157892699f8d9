"""`make demo LOG_LEVEL=DEBUG`, then a run under Tesla faults and a disconnect, on a stack of its own:
every line every process of the stack wrote (functions, emulators, simulator, gateway) is scanned
for what must never be logged: a full VIN in any case or encoding, the owner's e-mail address, a
Tesla token (JWT-shaped), a bearer credential, the owner's session token, or any secret value of
the run (OAuth client secrets, the token keyring, the partner and signing private keys)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from carpulse.logs import redact
from infra.local.demo import run_flow
from infra.local.stack import DEFAULT_SCENARIO, LocalStack
from infra.simulator.scenario import load_scenario

pytestmark = pytest.mark.stack

# Every kind of failure our code logs about, with a Tesla URL (and VIN) in the error.
FAULTS: tuple[dict[str, object], ...] = (
    {"status": 500, "probability": 0.3, "path_pattern": r"/vehicle_data$"},
    {"status": 503, "probability": 0.2},
    {"status": 401, "probability": 0.1},
    {"drop_connection": True, "probability": 0.1},
)
JWT_SHAPED = re.compile(r"eyJ[A-Za-z0-9_-]{8,}")
BEARER = re.compile(r"(?i)bearer\s+(?!\[redacted\])\S+")


@dataclass(frozen=True)
class Scanned:
    """The log folder of a DEBUG run and what must not be in it."""

    log_dir: Path
    faults: int  # Tesla requests the simulator failed on purpose
    forbidden: dict[str, str] = field(repr=False)  # what → literal text (never in a test's output)
    texts: dict[Path, str] = field(repr=False)  # every file's text, read once the stack had stopped

    @property
    def lines(self) -> int:
        """Lines in all files."""
        return sum(text.count("\n") for text in self.texts.values())

    @property
    def files(self) -> int:
        """Files in the log folder."""
        return len(self.texts)

    @property
    def debug_lines(self) -> int:
        """The functions' own JSON lines at DEBUG."""
        return sum(text.count('"severity": "DEBUG"') for text in self.texts.values())


def _log_text(log_dir: Path) -> dict[Path, str]:
    return {path: path.read_text(errors="replace") for path in sorted(log_dir.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def debug_run(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """The demo at DEBUG, one report under faults and a disconnect; the stack stopped afterwards."""
    log_dir = Path(tmp_path_factory.mktemp("debug-logs"))
    scenario = load_scenario(DEFAULT_SCENARIO)
    with LocalStack(log_dir=log_dir, wake_seconds=1.0, extra_env={"LOG_LEVEL": "DEBUG"}) as stack:
        outcome = run_flow(stack, Path(tmp_path_factory.mktemp("debug-out")))
        assert outcome.code == 0
        api = outcome.api
        for seed, fault in enumerate(FAULTS):
            spec = {"path_pattern": r"^/fleet/", "count": 10_000, "seed": seed, **fault}
            requests.post(stack.urls["tesla"] + "/_sim/faults", json=spec, timeout=10).raise_for_status()
        try:
            response = api.request_report(list(scenario.vehicles), language="de")
            assert response.status_code == 202, response.text
            final = api.wait(response.json()["response"]["report_id"], timeout=180)
            assert final["status"] in ("complete", "partial", "failed")
        finally:
            requests.delete(stack.urls["tesla"] + "/_sim/faults", timeout=10)
        stack.wait_idle(60)
        tesla_log = requests.get(stack.urls["tesla"] + "/_sim/requests", timeout=10).json()
        faults = sum(1 for entry in tesla_log if entry.get("fault"))
        gone = api.http.delete(f"{api.base_url}/account", headers=api.headers(), timeout=60)
        assert gone.status_code == 200, gone.text
        time.sleep(1)  # the last lines of every process reach its file
        forbidden = {
            **{f"secret {i}": text for i, text in enumerate(stack.secret_texts())},
            "session token": api.session_token,
            "owner's e-mail": scenario.account.email,
        }
    return Scanned(
        log_dir=log_dir,
        faults=faults,
        forbidden=forbidden,
        texts=_log_text(log_dir),
    )


def _vin_forms(vin: str) -> list[str]:
    # Substring search covers a VIN inside URLs and paths; case and percent-encoding are what vary.
    return sorted({vin, vin.lower(), quote(vin), quote(f"vehicles/{vin}", safe="")})


def test_debug_logs_hold_no_full_vin_in_any_case_or_encoding(debug_run):
    scenario = load_scenario(DEFAULT_SCENARIO)
    found = []
    for path, text in debug_run.texts.items():
        folded = text.casefold()
        for vin in scenario.vehicles:
            forms = [form for form in _vin_forms(vin) if form.casefold() in folded]
            if forms:
                found.append(f"{path.name}: …{vin[-4:]} ({len(forms)} forms)")
    print(
        f"debug log scan: {debug_run.files} files, {debug_run.lines} lines ({debug_run.debug_lines} at DEBUG),"
        f" {debug_run.faults} Tesla faults, {len(scenario.vehicles)} VINs"
    )
    assert debug_run.debug_lines > 0  # DEBUG was really on (a quiet run would prove nothing)
    assert debug_run.faults > 0  # and the error paths ran
    assert not found, found


def test_debug_logs_hold_no_secret_token_or_email(debug_run):
    leaks = []
    for path, text in debug_run.texts.items():
        folded = text.casefold()
        for what, value in debug_run.forbidden.items():
            # A PEM key is looked for by its body lines: its header alone is no secret.
            needles = [ln for ln in value.splitlines() if len(ln) >= 16 and "-----" not in ln] or [value]
            if any(needle.casefold() in folded for needle in needles):
                leaks.append(f"{path.name}: {what}")
        leaks += [f"{path.name}: JWT-shaped token" for _ in JWT_SHAPED.finditer(text)][:1]
        leaks += [f"{path.name}: bearer credential" for _ in BEARER.finditer(text)][:1]
    assert len(debug_run.forbidden) >= 6
    assert not leaks, leaks


def test_the_scan_would_catch_each_kind_of_leak(debug_run):
    # The needles are real: each forbidden value, written raw, is found by the same search, and the
    # product's redaction removes it (a scan that cannot fail would prove nothing).
    vin = next(iter(load_scenario(DEFAULT_SCENARIO).vehicles))
    encoded = quote("v/" + vin, safe="")
    raw = f"GET /api/1/vehicles/{vin.lower()}/vehicle_data Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig {encoded}"
    assert any(form.casefold() in raw.casefold() for form in _vin_forms(vin))
    assert JWT_SHAPED.search(raw)
    assert BEARER.search(raw)
    cleaned = redact(raw)
    assert not any(form.casefold() in cleaned.casefold() for form in _vin_forms(vin))
    assert not JWT_SHAPED.search(cleaned)
    assert not BEARER.search(cleaned)
    email = debug_run.forbidden["owner's e-mail"]
    assert email not in redact(f"owner {email} signed in")
