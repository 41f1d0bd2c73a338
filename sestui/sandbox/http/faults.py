"""Fault injection: make the next N calls of an operation fail with a given AWS error.

Client code (retries, backoff, the header's error line) is tested against the errors real AWS
returns; the error is serialized in the protocol of the service that was called, so SESv2 gets a
REST-JSON error with the right status, SES v1 and SNS an XML ErrorResponse, SQS an AWS JSON error
with its query-compatible code header, CloudWatch in the AWS JSON 1.0 (query-compatible) or
query protocol its client used.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from ..ses.settings import CALLER_IDENTITY
from .protocol import ApiError, Call

# IAM action prefix per service, for AccessDenied messages that name the missing permission.
_IAM_PREFIX = {"ses": "ses", "sesv2": "ses", "sqs": "sqs", "sns": "sns", "sts": "sts", "cloudwatch": "cloudwatch"}

# Codes that are not (all) in the service models: their usual HTTP status and message.
_COMMON_ERRORS = {
    "AccessDenied": 403,
    "AccessDeniedException": 403,
    "Throttling": 400,
    "ThrottlingException": 400,
    "TooManyRequestsException": 429,
    "RequestThrottled": 403,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "InternalFailure": 500,
    "InternalError": 500,
    "InternalFailureException": 500,
}
_MESSAGES = {
    "Throttling": "Rate exceeded",
    "ThrottlingException": "Rate exceeded",
    "TooManyRequestsException": "Too many requests have been made to the operation.",
    "RequestThrottled": "Request is throttled.",
    "ServiceUnavailable": "Service is unavailable. Please try again later.",
    "ServiceUnavailableException": "Service is unavailable. Please try again later.",
}


@dataclass
class _Fault:
    service: str | None
    code: str
    message: str | None
    status: int | None
    remaining: int


class FaultInjector:
    """Rules consumed by the gateway before a call is answered; thread-safe."""

    def __init__(self, account_id: str):
        self.account_id = account_id
        self._lock = threading.Lock()
        self._faults: dict[str, deque[_Fault]] = {}

    def fail_next(
        self,
        operation: str,
        code: str,
        times: int = 1,
        *,
        service: str | None = None,
        message: str | None = None,
        status: int | None = None,
    ) -> None:
        """Make the next `times` calls of `operation` (e.g. "GetAccount", "ReceiveMessage") fail
        with `code`. `service` ("ses", "sesv2", "sqs", "sns", "sts", "cloudwatch") narrows operations that exist in
        several services (SendEmail). Rules for the same operation apply in the order given."""
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.setdefault(operation, deque()).append(_Fault(service, code, message, status, times))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> int:
        """How many injected failures are still to happen."""
        with self._lock:
            return sum(f.remaining for rules in self._faults.values() for f in rules)

    def take(self, call: Call) -> ApiError | None:
        """The error this call must fail with, consuming one use of the rule, or None."""
        with self._lock:
            rules = self._faults.get(call.operation)
            if not rules:
                return None
            for fault in rules:
                if fault.service in (None, call.service):
                    break
            else:
                return None
            fault.remaining -= 1
            if fault.remaining == 0:
                rules.remove(fault)
        message = fault.message or self._default_message(call, fault.code)
        return ApiError(fault.code, message, fault.status or _COMMON_ERRORS.get(fault.code))

    def _default_message(self, call: Call, code: str) -> str:
        if code.startswith("AccessDenied"):
            return (
                f"User: arn:aws:iam::{self.account_id}:user/{CALLER_IDENTITY} is not authorized to perform: "
                f"{_IAM_PREFIX.get(call.service, call.service)}:{call.operation} on resource: *"
            )
        if code.startswith("Internal"):
            return "An internal error occurred. Try again."
        return _MESSAGES.get(code, f"{code} (injected by the sandbox)")
