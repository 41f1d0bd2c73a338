"""The sandbox answers only clients that reach it as a loopback host, and never tells a browser it
may read the answers.

A page in the operator's browser can send requests to any address; by DNS rebinding its own
hostname can even resolve to 127.0.0.1. So a request whose Host header is not a loopback name is
refused (the rebinding page's Host is its own name), and no Access-Control-* header goes out
(moto's Flask app would otherwise reflect any Origin), so a cross-origin page cannot read a thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def host_name(host_header: str) -> str:
    """`127.0.0.1:8123` -> `127.0.0.1`, `[::1]:8123` -> `[::1]`, `LocalHost` -> `localhost`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def loopback_only(app: Callable) -> Callable:
    def guarded(environ: dict, start_response: Callable) -> Iterable[bytes]:
        host = host_name(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""))
        if host not in LOOPBACK_HOSTS and not host.startswith("127."):
            body = b"the sandbox answers loopback clients only (Host: 127.0.0.1, localhost or [::1])\n"
            start_response("403 Forbidden", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        if environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ORIGIN" in environ:
            start_response("403 Forbidden", [("Content-Length", "0")])  # no CORS preflight succeeds
            return [b""]

        def no_cors(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        return app(environ, no_cors)

    return guarded
