"""What a call the sandbox does not emulate gets: an AWS-shaped error, never moto's HTML 404.

The code is the one AWS endpoints themselves answer for an action they do not offer:
`InvalidAction` in the query protocol (SES v1), `UnknownOperationException` in the JSON ones
(SESv2), both HTTP 400. A 4xx is what the caller must see: SDK retry policies leave it alone
(a 5xx would be retried, and sestui's own client would call it an outage), and the error
names the sandbox and the operation, so the SDK's ClientError reads as what happened.
"""

from __future__ import annotations

from moto.core.utils import camelcase_to_underscores
from moto.ses.responses import EmailResponse
from moto.sesv2.responses import SESV2Response

from .protocol import ApiError, Call

_MOTO_RESPONSES = {"ses": EmailResponse, "sesv2": SESV2Response}
_LABELS = {"ses": "SES", "sesv2": "SESv2"}


def moto_answers(call: Call) -> bool:
    """Whether moto implements the (modelled) operation of an SES v1 or v2 call."""
    responses = _MOTO_RESPONSES.get(call.service)
    if responses is None:
        return True
    return call.known and callable(getattr(responses, camelcase_to_underscores(call.operation), None))


def unsupported(call: Call) -> ApiError:
    code = "InvalidAction" if call.protocol == "query" else "UnknownOperationException"
    label = _LABELS.get(call.service, call.service)
    if call.known:
        message = (f"The sestui sandbox does not emulate {label} {call.operation}: the operation exists in "
                   f"Amazon SES but this local endpoint does not implement it.")
    elif call.protocol == "query":
        message = f"The sestui sandbox knows no {label} action {call.operation[:80]!r}."
    else:
        message = f"The sestui sandbox knows no {label} operation at {call.method} {call.path[:120]}."
    return ApiError(code, message, 400)
