"""A cold start pays only for what a function uses: importing an entry point (what the platform
does before the first request) loads no Google client library, no PDF or signing stack and no use
case it does not need; each is imported when the container first builds something from it.

Each entry point is imported in a fresh interpreter, as a new instance would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("main", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""
# Loaded on first use only, by every function.
HEAVY = (
    "google.cloud.firestore",
    "google.cloud.storage",
    "google.cloud.tasks_v2",
    "google.cloud.secretmanager",
    "google.cloud.kms",
    "grpc",
    "fpdf",
    "fontTools",
    "pyhanko",
    "requests",
    "carpulse.gcp.firestore_store",
    "carpulse.report.pdf",
    "carpulse.signing",
    "carpulse.tesla.client",
    "carpulse.services",
)
# What an entry point needs before its first request, beyond the framework and the HTTP edge.
ALLOWED = {
    # The check page's words come from the report catalogs; the service module holds its models.
    "verify": ("carpulse.services.verification",),
}


def _loaded(function: str) -> list[str]:
    entry = ROOT / "functions" / function / "main.py"
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'shared'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(entry)], capture_output=True, text=True, env=env, check=True
    )
    modules: list[str] = json.loads(done.stdout)
    return modules


FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/main.py"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_importing_an_entry_point_loads_nothing_heavy(function: str) -> None:
    allowed = ALLOWED.get(function, ())
    packages = {name.rsplit(".", depth)[0] for name in allowed for depth in range(1, name.count(".") + 1)}
    loaded = _loaded(function)
    heavy = [n for n in loaded if n.startswith(HEAVY) and not n.startswith(allowed) and n not in packages]
    assert not heavy, f"{function} imports {heavy[:5]} at start"


def test_the_probe_sees_what_an_import_loads() -> None:
    assert "carpulse.bootstrap" in _loaded("public_key")
