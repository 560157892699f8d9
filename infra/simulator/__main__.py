"""CLI: python -m infra.simulator --port N --scenario DIR --client-id ID --client-secret SECRET.

Prints exactly one line to stdout when ready: the base URL. Stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .config import DEFAULT_SCENARIO, SimulatorConfig
from .scenario import ScenarioError
from .server import SimulatorServer


def parse_args(argv: list[str] | None = None) -> SimulatorConfig:
    """Turn command-line flags into a SimulatorConfig."""
    parser = argparse.ArgumentParser(prog="python -m infra.simulator", description="Tesla Fleet API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--cn-client-id", default="", help="application at the China auth server (/cn/oauth2/v3)")
    parser.add_argument("--cn-client-secret", default="")
    parser.add_argument("--access-token-ttl", type=int, default=28800)
    parser.add_argument("--wake-seconds", type=float, default=2.0)
    parser.add_argument("--redirect-uri", action="append", default=[], help="allowed redirect URI (repeatable)")
    parser.add_argument("--require-partner-registration", action="store_true")
    parser.add_argument("--log-level", default="WARNING", help="request lines are logged at INFO to stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(message)s")
    return SimulatorConfig(
        host=args.host,
        port=args.port,
        scenario=args.scenario,
        client_id=args.client_id,
        client_secret=args.client_secret,
        cn_client_id=args.cn_client_id,
        cn_client_secret=args.cn_client_secret,
        access_token_ttl=args.access_token_ttl,
        wake_seconds=args.wake_seconds,
        redirect_uris=tuple(args.redirect_uri),
        require_partner_registration=args.require_partner_registration,
    )


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM/SIGINT; exit code 2 when the scenario is invalid."""
    config = parse_args(argv)
    try:
        server = SimulatorServer(config)
    except ScenarioError as exc:
        print(f"invalid scenario: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    server.start()
    print(server.url, flush=True)
    try:
        stop.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
