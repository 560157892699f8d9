"""A local stand-in started from its command line, as the local stack starts it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def emulator_process(
    module: str, *args: str, ready: str, env: Mapping[str, str] | None = None, capture_stderr: bool = False
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start `python -m module --port 0 *args`; yield the process and the URL of its ready line
    (which must start with `ready`), and kill the process if the test left it running. Its log
    (stderr) is kept for the test to read with communicate() when `capture_stderr`."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0", *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if capture_stderr else subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith(f"{ready} http://127.0.0.1:"), line
        yield proc, line.split()[-1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
