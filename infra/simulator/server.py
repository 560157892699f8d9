"""In-process HTTP server around the simulator app (threaded werkzeug server on a background thread)."""

from __future__ import annotations

import logging
import time

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

from infra.local._http_server import ThreadedHttpServer

from .app import create_app
from .config import SimulatorConfig
from .scenario import Scenario
from .state import SimState
from .tokens import Clock

log = logging.getLogger("infra.simulator")


class _QuietHandler(WSGIRequestHandler):
    """Log method, path (never the query string) and status to the module logger."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        log.info("%s %s %s", self.command, path, code)

    def log(self, type: str, message: str, *args: object) -> None:
        log.debug(message, *args)


class SimulatorServer:
    """Run the simulator on host:port (port 0 = any free port) until stop()."""

    def __init__(
        self, config: SimulatorConfig | None = None, *, scenario: Scenario | None = None, clock: Clock = time.time
    ) -> None:
        self.config = config or SimulatorConfig()
        self.app: Flask = create_app(self.config, scenario=scenario, clock=clock)
        self._http = ThreadedHttpServer(self.app, self.config.host, self.config.port, request_handler=_QuietHandler)

    @property
    def state(self) -> SimState:
        """The running app's state (for in-process tests)."""
        state: SimState = self.app.extensions["fleet_simulator"]
        return state

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (valid after start())."""
        return self._http.url

    def start(self) -> SimulatorServer:
        """Bind and serve on a daemon thread; returns self so `SimulatorServer(cfg).start()` chains."""
        self._http.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._http.stop()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
