"""Assemble each function's deployable source: entry point + our library + pinned requirements.

`gcloud functions deploy --source build/functions/<name>` uploads exactly this folder, so what is
tested here is what runs in the cloud.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from infra.functions import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


def build_bundle(name: str, out_dir: Path) -> Path:
    """Create out_dir/<name>/ with main.py, carpulse/ and requirements.txt; returns the folder."""
    source = ROOT / "functions" / name / "main.py"
    if not source.is_file():
        raise SystemExit(f"unknown function {name!r}: {source} does not exist")
    target = out_dir / name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(source, target / "main.py")
    shutil.copytree(ROOT / "shared" / "carpulse", target / "carpulse", ignore=_IGNORE)
    pins = [line for line in (ROOT / "requirements.lock").read_text().splitlines() if line and not line.startswith("#")]
    (target / "requirements.txt").write_text("\n".join(pins) + "\n")
    return target


def main() -> int:
    """CLI: build every bundle (or the ones named)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "functions")
    parser.add_argument("names", nargs="*", default=list(FUNCTIONS))
    args = parser.parse_args()
    for name in args.names:
        folder = build_bundle(name, args.out)
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        print(f"{name:<16} {folder}  ({size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
