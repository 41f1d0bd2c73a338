"""The demo's stand-in for the sender's application: a webhook receiver on 127.0.0.1, in a thread
of the demo process. It checks `X-Sestui-Signature` (HMAC-SHA256 of the body with the shared
secret) and answers 401 when it is wrong, 200 otherwise; it keeps what it accepted, one JSON line
per request in `log_path` if given, and drops repeats by `X-Sestui-Delivery` as an application
should (the outbox delivers at least once)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY = 16 * 1024 * 1024


class WebhookReceiver:
    def __init__(self, secret: str, log_path: str | os.PathLike | None = None, path: str = "/sestui"):
        self.secret = secret.encode()
        self.log_path = Path(log_path) if log_path else None
        self.lock = threading.Lock()
        self.accepted: list[dict] = []  # {"delivery": id, "body": decoded JSON}, first arrival of each id
        self.refused = 0  # bad signature or not JSON
        self.repeats = 0
        self._seen: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # the console owns the terminal
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 <= length <= MAX_BODY:
                    self._answer(413)
                    return
                body = self.rfile.read(length)
                self._answer(receiver.receive(body, self.headers.get("X-Sestui-Signature", ""),
                                              self.headers.get("X-Sestui-Delivery", "")))

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path}"
        self._thread: threading.Thread | None = None

    def receive(self, body: bytes, signature: str, delivery: str) -> int:
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        try:
            decoded = json.loads(body) if hmac.compare_digest(expected, signature) else None
        except ValueError:
            decoded = None
        with self.lock:
            if decoded is None:
                self.refused += 1
                return 401
            if delivery in self._seen:
                self.repeats += 1
                return 200
            self._seen.add(delivery)
            entry = {"delivery": delivery, "body": decoded}
            self.accepted.append(entry)
            if self.log_path is not None:
                fd = os.open(self.log_path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return 200

    def start(self) -> WebhookReceiver:
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-webhook", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
