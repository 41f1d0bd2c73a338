"""POST the event as JSON, signed: `X-Sestui-Signature: sha256=<hex HMAC-SHA256 of the body>` and
`X-Sestui-Delivery: <id stable across retries>`. 2xx done; 408, 429, 5xx and network failures
retried; any other answer (including a redirect, which is not followed) dead.

With `batch = N` (the deliverer gathers up to N items of the action, waiting up to `batch_wait_s`
for them) one request carries `{"events": [...]}`, each event with its own `delivery_id`, and the
answer settles every event in it as it would settle one: retried together, dead together. The
request's `X-Sestui-Delivery` is a digest of its events' ids (the same for the same events);
receivers drop repeats by each event's `delivery_id`, as batches may be made up differently on a
retry."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
from collections.abc import Sequence
from urllib.parse import urlsplit

from sestui.ops.actions import Context, Delivery, Outcome

DEFAULT_TIMEOUT = 10.0
_RETRIED = {408, 429}
_local = threading.local()  # one kept-alive connection per thread and origin


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _secret(ctx: Context, params: dict) -> tuple[str | None, str | None]:
    if params.get("secret"):
        return str(params["secret"]), None
    name = params.get("secret_env")
    if name:
        value = ctx.env.get(name)
        if not value:
            return None, f"the environment variable {name} (the webhook secret) is not set"
        return value, None
    return None, None


def _connection(scheme: str, host: str, port: int | None, timeout: float) -> http.client.HTTPConnection:
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    key = (scheme, host, port, timeout)
    conn = pool.get(key)
    if conn is None:
        cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = pool[key] = cls(host, port, timeout=timeout)
    return conn


def _drop(scheme: str, host: str, port: int | None, timeout: float) -> None:
    conn = getattr(_local, "pool", {}).pop((scheme, host, port, timeout), None)
    if conn is not None:
        conn.close()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    origin = (parts.scheme, parts.hostname or "", parts.port, timeout)
    for attempt in (1, 2):
        conn = _connection(*origin)
        reused = conn.sock is not None
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.will_close:
                _drop(*origin)
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            _drop(*origin)
            if not reused or attempt == 2:  # a kept-alive connection the server closed: try a fresh one
                raise
        except BaseException:
            _drop(*origin)
            raise
    raise AssertionError("unreachable")


def run(ctx: Context, delivery: Delivery) -> Outcome:
    return _send(ctx, delivery.params, delivery.body.encode(), delivery.delivery_id, delivery.attempt, None)


def batch_body(deliveries: Sequence[Delivery]) -> bytes:
    """`{"events": [...]}`: each delivery's event with its `delivery_id`."""
    events = [{**json.loads(d.body), "delivery_id": d.delivery_id} for d in deliveries]
    return json.dumps({"events": events}, ensure_ascii=False, separators=(",", ":")).encode()


def batch_id(deliveries: Sequence[Delivery]) -> str:
    ids = "\x1f".join(sorted(d.delivery_id for d in deliveries))
    return hashlib.blake2b(ids.encode(), digest_size=16).hexdigest()


def run_batch(ctx: Context, deliveries: Sequence[Delivery]) -> Outcome:
    """One request for several deliveries of the same action; its outcome is theirs."""
    first = deliveries[0]
    return _send(ctx, first.params, batch_body(deliveries), batch_id(deliveries),
                 max(d.attempt for d in deliveries), len(deliveries))


def _send(ctx: Context, params: dict, body: bytes, delivery_id: str, attempt: int, batch: int | None) -> Outcome:
    secret, problem = _secret(ctx, params)
    if problem:
        return Outcome("retry", problem)
    headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}  # ours below win
    headers.update({"Content-Type": "application/json", "User-Agent": "sestui",
                    "X-Sestui-Delivery": delivery_id, "X-Sestui-Attempt": str(attempt)})
    if batch is not None:
        headers["X-Sestui-Batch-Size"] = str(batch)
    if secret:
        headers["X-Sestui-Signature"] = signature(secret, body)
    timeout = float(params.get("timeout", DEFAULT_TIMEOUT))
    try:
        status, resp_headers, data = post(params["url"], body, headers, timeout)
    except TimeoutError:
        return Outcome("retry", f"no answer from {params['url']} within {timeout:g}s")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome("retry", f"{params['url']}: {exc.__class__.__name__}: {exc}".rstrip(": "))
    if 200 <= status < 300:
        return Outcome("done", f"HTTP {status}" + (f" (a batch of {batch})" if batch is not None else ""))
    snippet = data[:200].decode("utf-8", "replace").strip().replace("\n", " ")
    detail = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if status in _RETRIED or status >= 500:
        return Outcome("retry", detail, _retry_after(resp_headers.get("retry-after")))
    return Outcome("dead", detail)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, min(3600.0, float(value))) if value else None
    except ValueError:
        return None
