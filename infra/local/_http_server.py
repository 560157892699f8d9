"""Shared plumbing for the local Google Cloud stand-ins: threaded WSGI server, Google error JSON, CLI loop."""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from flask import Flask, Response, jsonify, request
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger(__name__)

# HTTP code -> google.rpc.Code name; the client libraries map the HTTP code to an exception class.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
}


class ApiError(Exception):
    """An error rendered as Google's `{"error": {"code", "message", "status"}}` JSON."""

    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS_NAMES.get(code, "UNKNOWN")


def error_response(err: ApiError) -> Response:
    """Render an ApiError the way Google APIs do, so the real clients raise the matching exception."""
    resp = jsonify({"error": {"code": err.code, "message": err.message, "status": err.status}})
    resp.status_code = err.code
    return resp


def ts_json(epoch: float) -> str:
    """Epoch seconds -> protobuf JSON Timestamp ("2024-01-01T00:00:00.123Z")."""
    t = Timestamp()
    t.FromNanoseconds(int(epoch * 1e9))
    return t.ToJsonString()


def dur_json(seconds: float) -> str:
    """Seconds -> protobuf JSON Duration ("0.100s")."""
    d = Duration()
    d.FromNanoseconds(int(seconds * 1e9))
    return d.ToJsonString()


def parse_ts(value: str | None, default: float) -> float:
    """Protobuf JSON Timestamp -> epoch seconds; `default` when absent, 400 when malformed."""
    return _parse_proto(Timestamp, value, default)


def parse_dur(value: str | None, default: float) -> float:
    """Protobuf JSON Duration -> seconds; `default` when absent, 400 when malformed."""
    return _parse_proto(Duration, value, default)


def _parse_proto(msg_type: type[Timestamp] | type[Duration], value: str | None, default: float) -> float:
    if not value:
        return default
    msg = msg_type()
    try:
        msg.FromJsonString(value)
    except ValueError as exc:
        raise ApiError(400, f"invalid {msg_type.__name__.lower()}: {value!r}") from exc
    return msg.ToNanoseconds() / 1e9


def make_app(
    name: str,
    admin: Mapping[str, Callable[[], Any]] | None = None,
    reset: Callable[[], None] | None = None,
) -> Flask:
    """Flask app with Google-shaped errors, GET /_emulator/health, GET /_emulator/<admin key>, POST reset."""
    app = Flask(name)
    app.register_error_handler(ApiError, error_response)

    @app.errorhandler(404)
    def _not_found(_exc: Exception) -> Response:
        return error_response(ApiError(404, "Requested URL was not found."))

    @app.errorhandler(405)
    def _bad_method(_exc: Exception) -> Response:
        return error_response(ApiError(501, "Method not supported by the emulator.", "UNIMPLEMENTED"))

    @app.get("/_emulator/health")
    def _health() -> Response:
        return Response("ok", mimetype="text/plain")

    @app.get("/_emulator/<key>")
    def _admin(key: str) -> Response:
        if admin is None or key not in admin:
            raise ApiError(404, f"unknown admin endpoint {key!r}")
        return jsonify(admin[key]())

    @app.post("/_emulator/reset")
    def _reset() -> Response:
        if reset is None:
            raise ApiError(404, "reset is not supported")
        reset()
        return jsonify({})

    return app


Route = tuple[str, str, Callable[..., Any]]  # (HTTP method, full-match regex, handler returning JSON-able)


def add_api_routes(app: Flask, prefix: str, routes: list[Route], lock: AbstractContextManager[Any]) -> None:
    """Serve /{prefix}/... from a regex route table; groups become handler args, run under `lock`."""
    # Google resource names contain slashes and ":verb" suffixes, which Flask's URL rules handle poorly.
    compiled = [(method, re.compile(pattern), fn) for method, pattern, fn in routes]

    @app.route(f"/{prefix}/<path:path>", methods=["GET", "POST", "DELETE", "PATCH"])
    def _api(path: str) -> Response:
        for method, pattern, fn in compiled:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                with lock:
                    return jsonify(fn(*match.groups()))
        raise ApiError(501, f"{request.method} /{prefix}/{path} is not implemented by the emulator")


class ThreadedHttpServer:
    """Runs a WSGI app with werkzeug's threaded server on a background thread."""

    def __init__(
        self,
        app: Callable[..., Any],
        host: str = "127.0.0.1",
        port: int = 0,
        request_handler: type[WSGIRequestHandler] | None = None,
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._request_handler = request_handler
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """Actual bound port (resolved after start when port 0 was requested)."""
        if self._server is None:
            raise RuntimeError("server not started")
        return self._server.server_port

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8123 (IPv6 hosts bracketed)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Bind the socket and serve on a daemon thread; returns once the port is bound."""
        if self._server is not None:
            return
        self._server = make_server(
            self._host, self._port, self._app, threaded=True, request_handler=self._request_handler
        )
        # A short poll interval keeps stop() fast; the default 0.5s adds up across test fixtures.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"http-{self._server.server_port}",
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None


def cli_parser(doc: str | None, default_port: int) -> argparse.ArgumentParser:
    """Argument parser with the options every emulator CLI shares (--host, --port, --log-level)."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=default_port, help="0 picks a free port (see the ready line)")
    p.add_argument("--log-level", default="INFO")
    return p


class Startable(Protocol):
    """Anything with start()/stop()/url, i.e. the emulator classes."""

    @property
    def url(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def run_until_signalled(emulator: Startable, label: str, log_level: str = "INFO") -> int:
    """Start `emulator`, print one ready line, block until SIGTERM/SIGINT, then stop it cleanly."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger().level > logging.DEBUG:
        # One access line per API call would drown the emulator's own log lines.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    done = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        done.set()  # only set a flag: logging from a signal handler can re-enter a held handler lock

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    emulator.start()
    # Scripts wait for this exact line (and parse the URL from it), so print it unbuffered to stdout.
    print(f"{label} ready on {emulator.url}", flush=True)
    done.wait()  # lock waits are interruptible by signals on POSIX, so the handler above gets to run
    log.info("%s: signal received, shutting down", label)
    emulator.stop()
    sys.stdout.flush()
    return 0
