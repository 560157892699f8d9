"""The local API host: one origin in front of the function processes, routed by the production
path table (carpulse.http.routes), as the load balancer's URL map routes it in the cloud.

Like the balancer it forwards method, path, query, headers and body unchanged, adds the headers a
Google front end adds (X-Forwarded-For, X-Forwarded-Proto, Via, X-Cloud-Trace-Context), passes
every response header back (each Set-Cookie on its own), never follows redirects, and sends every
path the table does not name to the default function, which answers our JSON 404.

    python -m infra.local.gateway --port 0 --functions '{"reports": "http://127.0.0.1:8081", ...}'
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from carpulse.http.routes import function_for
from infra.local._http_server import ThreadedHttpServer, cli_parser, run_until_signalled

# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding"}
    | {"upgrade", "host", "content-length"}
)
MAX_BODY_BYTES = 32 * 1024 * 1024  # Cloud Run's request size limit behind the balancer


class Gateway:
    """WSGI app that forwards each request to the function the path table names."""

    def __init__(self, functions: Mapping[str, str], timeout: float = 600.0) -> None:
        self._functions = dict(functions)
        self._timeout = timeout
        self._http = requests.Session()
        # A proxy keeps no cookies: the Session's jar would hand one browser's cookies to the next.
        self._http.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=64)
        self._http.mount("http://", adapter)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Forward one request."""
        request = Request(environ)
        return self._forward(request)(environ, start_response)

    def _forward(self, request: Request) -> Response:
        target = self._functions.get(function_for(request.path))
        if target is None:
            return _unavailable("no function serves this path in the local stack")
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            return Response(status=413)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        client = request.remote_addr or "127.0.0.1"
        forwarded_for = request.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{forwarded_for}, {client}" if forwarded_for else client
        headers["X-Forwarded-Proto"] = request.scheme
        headers["X-Forwarded-Host"] = request.host
        headers["Via"] = "1.1 carpulse-local-gateway"
        headers.setdefault("X-Cloud-Trace-Context", f"{secrets.token_hex(16)}/{secrets.randbits(63)};o=1")
        url = target.rstrip("/") + request.full_path.rstrip("?")
        try:
            upstream = self._http.request(
                request.method,
                url,
                headers=headers,
                data=request.get_data() or None,
                allow_redirects=False,
                stream=True,
                timeout=(5, self._timeout),
            )
        except requests.RequestException:
            return _unavailable("the function did not answer")
        body = upstream.raw.read(decode_content=False)
        response = Response(body, status=upstream.status_code)
        response.headers.clear()
        for key, value in upstream.raw.headers.items():
            if key.lower() not in _HOP_BY_HOP:
                response.headers.add(key, value)
        return response


def _unavailable(description: str) -> Response:
    body = json.dumps({"error": "service_unavailable", "error_description": description})
    return Response(body, status=503, mimetype="application/json", headers={"Retry-After": "1"})


class GatewayServer:
    """The gateway on a threaded HTTP server (start/stop/url like the other local stand-ins)."""

    def __init__(self, functions: Mapping[str, str], host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedHttpServer(Gateway(functions), host=host, port=port)

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
    parser.add_argument("--functions", default=os.environ.get("GATEWAY_FUNCTIONS", "{}"), help="JSON name → URL")
    args = parser.parse_args()
    server = GatewayServer(json.loads(args.functions), host=args.host, port=args.port)
    return run_until_signalled(server, "gateway", args.log_level)


if __name__ == "__main__":
    sys.exit(main())
