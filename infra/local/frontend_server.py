"""Serves the reference frontend page (infra/local/frontend_page/) on its own origin.

Locally the page and the gateway are both on `localhost` with different ports: same-site and
cross-origin, exactly like dev.carpulsetracker.com and dev.api.carpulsetracker.com. The page learns
the API host from /config.js.

    python -m infra.local.frontend_server --port 0 --api http://localhost:8080
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from flask import Flask, Response, send_from_directory

from infra.local._http_server import ThreadedHttpServer, cli_parser, run_until_signalled

PAGE_DIR = Path(__file__).resolve().parent / "frontend_page"


def create_app(api_base: str) -> Flask:
    """The static page plus its configuration, with the headers a real frontend host would send."""
    app = Flask(__name__, static_folder=None)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; connect-src 'self' {api_base}; img-src 'self' data:; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/config.js")
    def _config() -> Response:
        return Response(f"window.CARPULSE_API_BASE = {json.dumps(api_base)};\n", mimetype="text/javascript")

    @app.get("/")
    @app.get("/connected")
    def _index() -> Response:
        return send_from_directory(PAGE_DIR, "index.html")

    @app.get("/<path:name>")
    def _asset(name: str) -> Response:
        return send_from_directory(PAGE_DIR, name)

    return app


class FrontendServer:
    """The page on a threaded HTTP server."""

    def __init__(self, api_base: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedHttpServer(create_app(api_base.rstrip("/")), host=host, port=port)

    @property
    def url(self) -> str:
        """Base URL."""
        return self._server.url

    def start(self) -> None:
        """Start serving."""
        self._server.start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()


def main() -> int:
    """CLI: serve until SIGTERM."""
    parser = cli_parser(__doc__, default_port=0)
    parser.add_argument("--api", required=True, help="the API host's base URL (the gateway)")
    args = parser.parse_args()
    return run_until_signalled(FrontendServer(args.api, host=args.host, port=args.port), "frontend", args.log_level)


if __name__ == "__main__":
    sys.exit(main())
