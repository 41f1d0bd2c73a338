"""The WSGI application in front of moto.

Every request is identified (service, operation, region). An injected fault answers first, then
a refusal AWS makes before acting (`request_checks`); then the SES operations moto lacks or gets
wrong are answered here (`ses.api`); an SES operation neither emulates gets an AWS-shaped error
(`unsupported`); everything else goes to moto's own server application, pinned to this
sandbox's AWS account so that several sandboxes in one process do not share state.
`/_sandbox/` is the control route (see `control`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from http import HTTPStatus

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)
from werkzeug.wsgi import get_input_stream

from ..ses.api import HANDLERS
from ..ses.regional_account import SesAccount
from . import request_checks, sns_envelopes
from .faults import FaultInjector
from .moto_answers import reshape
from .protocol import ApiError, Call, identify, respond
from .unsupported import moto_answers, unsupported

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sandbox/"


class Gateway:
    def __init__(
        self,
        account_id: str,
        faults: FaultInjector,
        ses_account: Callable[[str], SesAccount],
        control: Callable,
    ):
        self.account_id = account_id
        self.faults = faults
        self._ses_account = ses_account
        self._control = control
        self._moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict, start_response):
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        served = sns_envelopes.serve(environ, self.account_id)
        if served is not None:
            status, content_type, payload = served
            start_response(f"{status} {HTTPStatus(status).phrase}",
                           [("Content-Type", content_type), ("Content-Length", str(len(payload)))])
            return [payload]
        body = get_input_stream(environ).read()
        call = identify(environ, body)
        if call is not None:
            error = self.faults.take(call) or request_checks.refusal(call, self._topic_exists)
            if error is not None:
                return self._answer(call, error, start_response)
            handler = HANDLERS.get((call.service, call.operation))
            result = self._handle(handler, call) if handler else None
            if result is not None:
                return self._answer(call, result, start_response)
            if handler is None and not moto_answers(call):
                return self._answer(call, unsupported(call), start_response)
            if call.input_in is not None:  # moto knows only the installed model's route
                return self._answer(call, unsupported(call), start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account_id
        if call is not None:
            return self._moto_reshaped(call, environ, start_response)
        return self._moto(environ, start_response)

    def _topic_exists(self, arn: str) -> bool:
        from moto.sns.models import sns_backends

        parts = arn.split(":")
        return len(parts) == 6 and arn in sns_backends[self.account_id][parts[3]].topics

    def _moto_reshaped(self, call: Call, environ: dict, start_response):
        captured: dict = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list, exc_info=None):
            captured["status"], captured["headers"] = int(status.split()[0]), headers
            return chunks.append

        try:
            result = self._moto(environ, capture)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:  # moto's handler failed: SES would answer an InternalFailure, not hang up
            log.exception("moto failed on %s:%s", call.service, call.operation)
            captured, chunks = {"status": 500, "headers": [("Content-Type", "text/html")]}, []
        status, headers, body = reshape(call, captured["status"], captured["headers"], b"".join(chunks))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(body)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _handle(self, handler, call: Call):
        try:
            params = call.params()
        except Exception as exc:  # a request botocore would not send; answer like AWS would
            return ApiError("ValidationError" if call.protocol == "query" else "BadRequestException",
                            f"Invalid request: {exc}", 400)
        try:
            return handler(self._ses_account(call.region), call, params)
        except ApiError as error:
            return error
        except Exception:
            log.exception("sandbox handler for %s:%s failed", call.service, call.operation)
            return ApiError("InternalFailure", "The request processing has failed because of an unknown error.", 500)

    @staticmethod
    def _answer(call: Call, result, start_response):
        status, headers, body = respond(call, result)
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
        return [body]

