"""Real Chromium for end-to-end tests: Debian's `chromium` package driven by Playwright.

Playwright cannot download its own browsers here, so it drives the system executable. The flags
keep Chromium off the network beyond loopback (no background services, no QUIC).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_ARGS = (
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
)


def chromium_executable() -> str:
    """The system Chromium (CHROMIUM_PATH overrides); a clear error when it is missing."""
    override = os.environ.get("CHROMIUM_PATH")
    for candidate in (override, *CHROMIUM_CANDIDATES, shutil.which("chromium") or ""):
        if candidate and Path(candidate).is_file():
            return candidate
    raise RuntimeError("Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)")
