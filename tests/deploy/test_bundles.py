"""Each deployable bundle imports and serves its entry point from a clean virtualenv that has
only the bundle's requirements.txt installed (no repo on the path), like Cloud Functions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from infra.deploy.bundle import build_bundle
from infra.functions import FUNCTIONS

pytestmark = pytest.mark.bundle

PROBE = """
import json, sys
from functions_framework import create_app
app = create_app(target=sys.argv[1], source="main.py")
response = app.test_client().put("/probe", json={})
print(json.dumps({"status": response.status_code, "body": response.get_json(), "allow": response.headers.get("Allow")}))
"""


@pytest.fixture(scope="module")
def clean_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with nothing but the bundles' pinned requirements."""
    env_dir = tmp_path_factory.mktemp("bundle-venv")
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    requirements = build_bundle("reports", tmp_path_factory.mktemp("req")) / "requirements.txt"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(requirements)],
        check=True,
        timeout=600,
    )
    return python


@pytest.mark.parametrize("name", FUNCTIONS)
def test_bundle_serves_its_entry_point(tmp_path, clean_python, name):
    folder = build_bundle(name, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["carpulse", "main.py", "requirements.txt"]
    assert (folder / "carpulse" / "report" / "fonts" / "DejaVuSans.ttf").is_file()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(clean_python), "-c", PROBE, name],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    # Every entry point answers an unsupported method with our JSON envelope, before any I/O.
    assert probe["status"] == 405
    assert probe["body"]["error"] == "method_not_allowed"
    assert probe["allow"]
    assert sys.executable != str(clean_python)
