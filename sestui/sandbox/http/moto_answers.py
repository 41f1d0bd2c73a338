"""moto's answers, in AWS's shape.

Some of moto's error messages (SNS, SQS) carry a whole client error inside them: "An error
occurred (InvalidParameter) when calling the Publish operation: Invalid parameter: Message too
long"; AWS's message is the part after the colon, and a client prints its own prefix around it.

moto's server labels its SES and SESv2 answers `text/html`, answers some failures with an HTML
page (an exception in a handler: 500; a route it lacks: 404) or an empty 404. Real SES answers
`application/json` (SESv2) or `text/xml` (SES v1) and every error has a code and a message, so
an SDK raises a ClientError that reads. This fixes the label, and turns a page or an empty body
into the protocol's error.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from .protocol import ApiError, Call, respond

log = logging.getLogger(__name__)

_CONTENT_TYPES = {"rest-json": "application/json", "query": "text/xml"}
_NESTED = re.compile(rb"An error occurred \([^)]*\) when calling the \w+ operation: ")


def reshape(call: Call, status: int, headers: list[tuple[str, str]], body: bytes):
    """(status, headers, body) as the service would have sent them."""
    if status >= 400:
        body = _NESTED.sub(b"", body)
    if call.service not in ("ses", "sesv2"):
        return status, headers, body
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    proper = _CONTENT_TYPES.get(call.protocol)
    if proper is None:
        return status, headers, body
    if status < 400 and "html" in content_type:
        return status, [(k, v) for k, v in headers if k.lower() != "content-type"] + [("Content-Type", proper)], body
    if status >= 400 and ("html" in content_type or not body.strip()):
        log.debug("moto answered %s %s with %s %s", call.service, call.operation, status, content_type)
        if status == 404:
            code = "NotFoundException" if call.service == "sesv2" else "InvalidParameterValue"
            error = ApiError(code, f"The sestui sandbox found nothing for {call.operation} with these parameters.", 404
                             if call.service == "sesv2" else 400)
        else:
            error = ApiError("InternalFailure", f"The sestui sandbox failed to answer {call.operation} "
                                                f"(its moto backend answered {status} {_phrase(status)}).", 500)
        new_status, new_headers, new_body = respond(call, error)
        return new_status, list(new_headers.items()), new_body
    return status, headers, body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
