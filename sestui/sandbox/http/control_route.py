"""The control route, for a sandbox running in another process (`sestui sandbox`):

    GET  /_sandbox/info       the startup JSON, plus account_id
    GET  /_sandbox/account    account settings;  POST a JSON object of changes to apply them
    POST /_sandbox/faults     {"operation", "code", "times"?, "service"?, "message"?, "status"?}
    DELETE /_sandbox/faults   forget injected faults
    POST /_sandbox/traffic    {"rate": messages per second}
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from ..local_aws import Sandbox


class ControlApp:
    def __init__(self, sandbox: Sandbox):
        self._sandbox = sandbox

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            status, payload = self._route(request)
        except (ValueError, TypeError, KeyError) as exc:
            status, payload = 400, {"error": str(exc)}
        response = Response(json.dumps(payload), status=status, mimetype="application/json")
        return response(environ, start_response)

    def _route(self, request: Request) -> tuple[int, dict]:
        sandbox, route = self._sandbox, (request.method, request.path.rstrip("/"))
        if route == ("GET", "/_sandbox/info"):
            return 200, {**sandbox.info.as_dict(), "account_id": sandbox.account_id}
        if route == ("GET", "/_sandbox/account"):
            return 200, sandbox.account.as_dict()
        if route == ("POST", "/_sandbox/account"):
            sandbox.account.update(**_json(request))
            return 200, sandbox.account.as_dict()
        if route == ("POST", "/_sandbox/faults"):
            spec = _json(request)
            sandbox.faults.fail_next(
                spec["operation"], spec["code"], int(spec.get("times", 1)), service=spec.get("service"),
                message=spec.get("message"), status=spec.get("status"),
            )
            return 200, {"pending": sandbox.faults.pending()}
        if route == ("DELETE", "/_sandbox/faults"):
            sandbox.faults.clear()
            return 200, {"pending": 0}
        if route == ("POST", "/_sandbox/traffic"):
            sandbox.set_rate(float(_json(request)["rate"]))
            return 200, {"rate": sandbox.rate}
        return 404, {"error": f"no control route {request.method} {request.path}"}


def _json(request: Request) -> dict:
    payload = json.loads(request.get_data(as_text=True) or "{}")
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    return payload
