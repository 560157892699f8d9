"""In-process HTTP server around the simulator app (threaded werkzeug server on a background thread)."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

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
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> SimState:
        """The running app's state (for in-process tests)."""
        state: SimState = self.app.extensions["fleet_simulator"]
        return state

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (valid after start())."""
        if self._server is None:
            raise RuntimeError("server not started")
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._server.server_port}"

    def start(self) -> SimulatorServer:
        """Bind and serve on a daemon thread; returns self so `SimulatorServer(cfg).start()` chains."""
        if self._server is not None:
            return self
        self._server = make_server(
            self.config.host, self.config.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        server = self._server
        # A short poll interval makes stop() return quickly (the default waits up to 0.5 s).
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="fleet-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
