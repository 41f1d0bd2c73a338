"""AWS requests and responses on the wire, driven by botocore's service models.

The sandbox answers some calls itself and hands the rest to moto. Both need to know which call a
request is (service, operation, region), and the calls answered here must be parsed and answered
in exactly the shapes botocore expects: query XML for SES v1 and SNS, AWS JSON 1.0 with the
query-compatible error header for SQS, REST-JSON with modelled status codes for SESv2. moto ships
model-driven parsers and serializers (`moto.core.parse`, `moto.core.serialize`); using them keeps
every shape in step with the models.
"""

from __future__ import annotations

import json
import re
import uuid
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote

from moto.core.exceptions import ServiceException
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.serialize import SerializationContext, get_serializer_class
from moto.core.utils import get_service_model
from werkzeug.datastructures import MultiDict

from . import route_generations

# Signing names (from the SigV4 credential scope) of the services whose calls are identified:
# those the sandbox serves, and STS for credential faults. SES v1 and v2 share the signing name
# "ses" and are told apart by the /v2/ path prefix.
_SIGNING_NAMES = {"ses", "sqs", "sns", "sts", "monitoring"}
# Signing names that are not the botocore service name.
_SERVICES = {"monitoring": "cloudwatch"}


class ApiError(ServiceException):
    """An AWS error: `code` as the service model names it, a message, and an optional HTTP
    status that overrides the model's (for codes the model does not declare, like AccessDenied)."""

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(code, message)
        self.status = status


@dataclass(frozen=True)
class Call:
    """One identified AWS API request."""

    service: str  # botocore service name: ses, sesv2, sqs, sns, sts, cloudwatch
    operation: str  # e.g. SendEmail
    region: str
    protocol: str  # query | json | rest-json
    method: str
    body: bytes
    query: MultiDict = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    uri_params: dict[str, str] = field(default_factory=dict)
    source_ip: str = "127.0.0.1"
    path: str = "/"
    # Where the input is when the request used another botocore generation's route (route_generations)
    input_in: str | None = None

    @property
    def known(self) -> bool:
        """Whether the operation exists in the service's model."""
        return bool(self.operation) and self.operation in get_service_model(self.service).operation_names

    def params(self) -> dict[str, Any]:
        """The request's input, parsed by the operation's model (timestamps as naive UTC)."""
        operation = get_service_model(self.service).operation_model(self.operation)
        if self.input_in is not None:
            return _generation_params(operation, self.input_in, self.query, self.body)
        parser = PROTOCOL_PARSERS[self.protocol](operation)
        values = MultiDict(self.query)
        if self.protocol == "query":
            values.update(MultiDict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)))
        return parser.parse(
            {
                "method": self.method,
                "values": values,
                "headers": self.headers,
                "body": self.body,
                "url_path": "",
                "url_params": self.uri_params,
            }
        )


def identify(environ: dict[str, Any], body: bytes) -> Call | None:
    """Which AWS call this WSGI request is, or None when it is not a signed SES/SQS/SNS/STS/CloudWatch call."""
    scope = _credential_scope(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None:
        return None
    region, service = scope
    if service not in _SIGNING_NAMES:
        return None
    service = _SERVICES.get(service, service)
    method = environ.get("REQUEST_METHOD", "GET").upper()
    raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    raw_path, _, query_string = raw_path.partition("?")
    query = MultiDict(parse_qsl(query_string or environ.get("QUERY_STRING", ""), keep_blank_values=True))
    headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if "CONTENT_TYPE" in environ:
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    common = dict(method=method, body=body, query=query, headers=headers, region=region, path=raw_path,
                  source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"))

    if service == "ses" and raw_path.startswith("/v2/"):
        match = _match_rest_route("sesv2", method, raw_path)
        if match is not None:
            operation, uri_params = match
            return Call(service="sesv2", operation=operation, protocol="rest-json", uri_params=uri_params, **common)
        other = route_generations.match(method, raw_path)
        # operation "" : a signed SESv2 request for a route no generation of the model has
        return Call(service="sesv2", operation=other.operation if other else "", protocol="rest-json",
                    input_in=other.input_in if other else None, **common)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return Call(service=service, operation=target.rpartition(".")[2], protocol="json", **common)
    action = query.get("Action")
    if action is None and body and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        action = dict(parse_qsl(body.decode("utf-8", "replace"))).get("Action")
    if not action:
        return None
    return Call(service=service, operation=action, protocol="query", **common)


# An operation to serialize errors with when the request named none the model knows.
_STAND_IN = {"ses": "GetSendQuota", "sesv2": "GetAccount", "sns": "ListTopics", "sqs": "ListQueues", "sts": "GetCallerIdentity",
              "cloudwatch": "ListMetrics"}


def respond(call: Call, result: Any) -> tuple[int, dict[str, str], bytes]:
    """Serialize a result (a dict keyed by the output shape's member names) or an ApiError."""
    name = call.operation if call.known else _STAND_IN[call.service]
    operation = get_service_model(call.service).operation_model(name)
    request_id = str(uuid.uuid4())
    serializer_class = get_serializer_class(call.service, call.protocol)
    serializer = serializer_class(operation, context=SerializationContext(request_id))
    with warnings.catch_warnings():
        # Codes outside the model (Throttling, AccessDenied...) get a generic shape; moto warns.
        warnings.filterwarnings("ignore", message=r"Exception\(ApiError\) with code", category=UserWarning)
        serialized = serializer.serialize(result)
    status = serialized["status_code"]
    if isinstance(result, ApiError) and result.status is not None:
        status = result.status
    headers = {str(k): str(v) for k, v in serialized["headers"].items()}
    headers["x-amzn-RequestId"] = request_id
    body = serialized["body"]
    return status, headers, body.encode("utf-8") if isinstance(body, str) else body


def _generation_params(operation, input_in: str, query: MultiDict, body: bytes) -> dict[str, Any]:
    """The input of a request sent on another generation's route: its members by name, from the
    query string or a JSON body, integers converted as the model types them."""
    members = operation.input_shape.members if operation.input_shape else {}
    if input_in == "body":
        raw = json.loads(body.decode("utf-8") or "{}") if body else {}
        if not isinstance(raw, dict):
            raise ValueError("the body is not a JSON object")
    else:
        raw = {name: query.get(name) for name in members if name in query}
    params: dict[str, Any] = {}
    for name, value in raw.items():
        shape = members.get(name)
        if shape is None:
            continue
        params[name] = int(value) if shape.type_name in ("integer", "long") else value
    return params


def _credential_scope(authorization: str) -> tuple[str, str] | None:
    """`AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ses/aws4_request, ...` -> (region, service)."""
    match = re.search(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request", authorization)
    return (match.group(1), match.group(2)) if match else None


def _match_rest_route(service: str, method: str, raw_path: str) -> tuple[str, dict[str, str]] | None:
    for route_method, pattern, operation in _rest_routes(service):
        if route_method != method:
            continue
        match = pattern.match(raw_path)
        if match:
            return operation, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


@cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern, str]]:
    """(method, path regex, operation) for every operation of a REST service, literal paths first
    so that `/v2/email/identities/list` style routes win over `/v2/email/identities/{Name}`."""
    model = get_service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http["requestUri"].partition("?")[0]
        regex, literal = "", 0
        for part in re.split(r"(\{[^}]+\})", template):
            if part.startswith("{"):
                label = part[1:-1]
                greedy = label.endswith("+")
                regex += f"(?P<{label.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
            else:
                regex += re.escape(part)
                literal += len(part)
        routes.append((literal, http["method"].upper(), re.compile(f"^{regex}/?$"), name))
    routes.sort(key=lambda r: -r[0])
    return [(method, pattern, name) for _, method, pattern, name in routes]
