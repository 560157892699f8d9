"""What each layer of the library may import (docs/architecture.md, "Import direction").

Every `import carpulse.…` in every module counts, those inside functions and TYPE_CHECKING blocks
included: a lazy import is still a dependency. The rule is on the first name after `carpulse.`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "shared" / "carpulse"
FUNCTIONS = ROOT / "functions"

# Layer → the layers it may import (itself always). Everything not listed here is refused.
BASICS = {"errors", "logs"}
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(),
    "logs": set(),
    "keyring": {"errors"},
    "crypto": {"errors", "keyring"},
    "partner_key": {"errors"},
    "domain": {"errors"},
    "report": {"domain", "errors"},
    "tesla": BASICS,
    "config": {"domain", "tesla", *BASICS},
    "gcp": {"domain", *BASICS},
    "signing": {"gcp", *BASICS},
    "http": {"config", "domain", "gcp", "report", "tesla", *BASICS},
    "services": {
        "config",
        "crypto",
        "domain",
        "gcp",
        "keyring",
        "partner_key",
        "report",
        "signing",
        "tesla",
        *BASICS,
    },
    "bootstrap": {"config", "crypto", "domain", "gcp", "report", "services", "signing", "tesla", *BASICS},
}
# Entry points parse, call a use case through the container and answer: no adapter directly.
ENTRY_POINTS_MAY_IMPORT = {"bootstrap", "domain", "errors", "http", "partner_key", "services"}


def _layer(path: Path) -> str:
    relative = path.relative_to(LIBRARY)
    return relative.parts[0].removesuffix(".py")


def _carpulse_imports(path: Path) -> set[str]:
    """The first name after `carpulse.` of every import in the module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "carpulse":
                found |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("carpulse.")}
    return found


def _other_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
    return found


MODULES = sorted(p for p in LIBRARY.rglob("*.py") if p.name != "__init__.py" or p.parent != LIBRARY)


def test_every_layer_has_a_rule() -> None:
    assert {_layer(p) for p in MODULES} <= set(MAY_IMPORT), "a new layer needs its line in MAY_IMPORT"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIBRARY)))
def test_a_module_imports_only_the_layers_below_it(path: Path) -> None:
    layer = _layer(path)
    wrong = _carpulse_imports(path) - MAY_IMPORT[layer] - {layer}
    assert not wrong, f"{layer} may not import {sorted(wrong)} (docs/architecture.md)"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIBRARY)))
def test_the_library_never_imports_tools_or_tests(path: Path) -> None:
    assert not _other_imports(path) & {"infra", "tests", "functions"}


@pytest.mark.parametrize("path", sorted(FUNCTIONS.glob("*/main.py")), ids=lambda p: p.parent.name)
def test_entry_points_reach_adapters_only_through_the_container(path: Path) -> None:
    wrong = _carpulse_imports(path) - ENTRY_POINTS_MAY_IMPORT
    assert not wrong, f"{path.parent.name} imports {sorted(wrong)} directly"


def test_the_rule_sees_lazy_and_type_only_imports(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from carpulse.services.reports import ReportsService\n"
        "def f():\n    import carpulse.gcp.ports\n"
    )
    assert _carpulse_imports(module) == {"services", "gcp"}
