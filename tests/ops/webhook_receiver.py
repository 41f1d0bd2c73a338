"""A real webhook receiver on 127.0.0.1 for the outbox tests: checks the HMAC of every request and
records the delivery ids. `plan(delivery_id, n)` -> status code or ("sleep", seconds) decides the
answer to the n-th request (1-based) for an id. Also runnable as a program (prints its port)."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

SECRET = "s3cret-for-tests"


class Receiver:
    def __init__(self, secret: str = SECRET, plan: Callable[[str, int], object] | None = None,
                 log_path: str | None = None):
        self.secret = secret
        self.plan = plan or (lambda _id, _n: 200)
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # every request: delivery id, body, signature_ok
        self.log_path = log_path
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/ses"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        delivery = h.headers.get("X-Sestui-Delivery", "")
        ok = hmac.compare_digest(expected, h.headers.get("X-Sestui-Signature", ""))
        with self.lock:
            n = 1 + sum(1 for r in self.requests if r["delivery"] == delivery)
            entry = {"delivery": delivery, "body": json.loads(body), "signature_ok": ok, "path": h.path}
            self.requests.append(entry)
        answer = self.plan(delivery, n) if ok else 401
        if isinstance(answer, tuple):
            time.sleep(answer[1])
            answer = 200
        if answer == 200 and self.log_path:
            with open(self.log_path, "a") as f:  # what was acknowledged, for a receiver in another process
                f.write(json.dumps({"delivery": delivery, "body": entry["body"]}) + "\n")
        h.send_response(answer)
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"ok")

    def acknowledged(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["signature_ok"]]

    def wait_for(self, predicate: Callable[[list[dict]], bool], timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                seen = list(self.requests)
            if predicate(seen):
                return seen
            time.sleep(0.02)
        raise AssertionError(f"receiver: condition not met within {timeout}s; saw {len(seen)} requests")

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    with Receiver(log_path=sys.argv[1]) as r:
        print(r.port, flush=True)
        threading.Event().wait()
