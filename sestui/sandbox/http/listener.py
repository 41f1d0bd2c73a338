"""The HTTP listener: werkzeug's threaded server with moto's request handler, on 127.0.0.1 only.

It can be stopped and started again on the same port (state lives in the WSGI application, not
here), and stopping also cuts open keep-alive connections, so that a client sees the endpoint go
away as it would if a real one did.
"""

from __future__ import annotations

import socket
import sys
import threading

from moto.server import MotoRequestHandler
from werkzeug.serving import ThreadedWSGIServer

HOST = "127.0.0.1"


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        """No access log: a demo sends hundreds of requests a second."""


class _Server(ThreadedWSGIServer):
    """Tracks open connections so that stop() can cut them."""

    def __init__(self, app, sock: socket.socket):
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(HOST, sock.getsockname()[1], app, handler=_QuietHandler, fd=sock.fileno())

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client went away, or stop() cut the connection
        super().handle_error(request, client_address)


class HttpEndpoint:
    def __init__(self, app, port: int = 0):
        self._app = app
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def open_connections(self) -> int:
        server = self._server
        return len(server._connections) if server else 0

    def start(self) -> None:
        """Listen (on the port of the previous start, if any). Raises OSError if it is taken."""
        if self._server is not None:
            return
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((HOST, self._port))
            sock.listen(128)
            self._server = _Server(self._app, sock)  # werkzeug duplicates the descriptor
        self._port = self._server.port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.cut_connections()
        if thread is not None:
            thread.join()
