"""Every botocore failure leaves sestui.aws as one `AwsError`: a one-line message an operator can act
on, a `kind` (an `ErrorKind`) that callers decide on, and the fix for that kind, written once here."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

import botocore.exceptions as bce

from sestui.core.fmt import one_line


class ErrorKind(StrEnum):
    """What went wrong, as callers decide on it. A StrEnum: `kind == "no_queue"` still holds."""

    CREDENTIALS = "credentials"  # none, expired or refused: nothing works until they are fixed
    DENIED = "denied"  # the credentials lack the IAM permission `AwsError.action`
    NOT_FOUND = "not_found"  # the thing asked about does not exist
    NO_QUEUE = "no_queue"  # the SQS queue does not exist
    THROTTLED = "throttled"  # a request rate (API or "Maximum sending rate exceeded"): retried with backoff
    QUOTA_EXHAUSTED = "quota_exhausted"  # "Daily message quota exceeded": no retry helps for hours
    UNREACHABLE = "unreachable"  # the endpoint did not answer
    REJECTED = "rejected"  # AWS refused the request as given (bad parameter, message rejected...)
    ERROR = "error"  # anything else (AWS's 5xx, botocore's own failures): worth another try


# Absent things: a read that meets one of these means "there is none" (see Aws.call_or_none).
ABSENT = frozenset({ErrorKind.NOT_FOUND, ErrorKind.NO_QUEUE})

# What to do about each kind, once. {action} is the IAM action, {setup} the command that creates wiring.
FIXES: dict[ErrorKind, str] = {
    ErrorKind.CREDENTIALS: "refresh the credentials (`aws sso login`, new keys) or pass --profile NAME",
    ErrorKind.DENIED: "grant these credentials the IAM permission {action}",
    ErrorKind.UNREACHABLE: "check the network, --region and --endpoint-url",
    ErrorKind.NO_QUEUE: "check --queue-url and --region, or create the wiring: {setup}",
    ErrorKind.QUOTA_EXHAUSTED: "wait: each send stops counting 24 hours after it went out; or ask AWS for "
                               "a higher quota (Service Quotas console)",
}

# Service name as boto3 knows it -> IAM action prefix.
_IAM_PREFIX = {"ses": "ses", "sesv2": "ses", "sqs": "sqs", "sns": "sns", "sts": "sts", "cloudwatch": "cloudwatch"}

_THROTTLE_CODES = {
    "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled",
    "LimitExceededException", "SlowDown",
}
_AUTH_CODES = {
    "ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId",
    "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId",
    "InvalidSecurity", "IncompleteSignature",
}
_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "AuthorizationError", "AuthorizationErrorException"}
_NO_QUEUE_CODES = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
_NOT_FOUND_CODES = {"NotFoundException", "NotFound", "ResourceNotFoundException"}
# SES v2 answers SendingPausedException for a paused account and a paused set alike; v1 names the set's.
_PAUSED_CODES = {"SendingPausedException", "ConfigurationSetSendingPausedException", "AccountSendingPausedException"}
_PAUSED_SET = re.compile(r"configuration set <?([A-Za-z0-9_-]{1,64})>?")
DAILY_QUOTA_MESSAGE = "daily message quota exceeded"  # SES v1 (Throttling) and v2 (LimitExceededException)


class AwsError(Exception):
    """One AWS failure, as one line. `kind` lets callers decide: retry, stop, or tell the user."""

    def __init__(self, message: str, *, kind: ErrorKind = ErrorKind.ERROR, code: str | None = None,
                 action: str | None = None, retryable: bool = False):
        super().__init__(message)
        self.kind = ErrorKind(kind)
        self.code = code
        self.action = action
        self.retryable = retryable
        self.retry_at: datetime | None = None  # when trying again can work, where AWS's answer tells it

    def advice(self, setup: str = "sestui setup") -> str:
        """What the operator can do about it ("" when the message is all there is to say)."""
        return FIXES.get(self.kind, "").format(action=self.action or "(unknown)", setup=setup)

    @property
    def fix(self) -> str:
        return self.advice()


def is_daily_quota(message: str) -> bool:
    return DAILY_QUOTA_MESSAGE in message.lower()


def translate(exc: Exception, service: str, operation: str) -> AwsError:
    """Any boto3/botocore failure -> AwsError with a one-line operator message."""
    action = f"{_IAM_PREFIX.get(service, service)}:{operation}"
    if isinstance(exc, AwsError):
        return exc
    if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return AwsError("no AWS credentials found: set AWS_PROFILE or run `aws configure`; or try `sestui demo`",
                        kind=ErrorKind.CREDENTIALS, action=action)
    if isinstance(exc, bce.ProfileNotFound):
        return AwsError(f"AWS profile not found: {exc}", kind=ErrorKind.CREDENTIALS, action=action)
    if isinstance(exc, bce.NoRegionError):
        return AwsError("no AWS region: pass --region or set AWS_REGION", kind=ErrorKind.CREDENTIALS, action=action)
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ConnectionClosedError)):
        where = getattr(exc, "kwargs", {}).get("endpoint_url") or "the AWS endpoint"
        return AwsError(f"cannot reach {where} ({action})", kind=ErrorKind.UNREACHABLE, action=action, retryable=True)
    if isinstance(exc, bce.ReadTimeoutError):
        return AwsError(f"{action} timed out", kind=ErrorKind.UNREACHABLE, action=action, retryable=True)
    if isinstance(exc, (bce.TokenRetrievalError, bce.SSOError)):
        return AwsError(f"AWS SSO session expired: run `aws sso login` ({one_line(str(exc))})",
                        kind=ErrorKind.CREDENTIALS, action=action)
    if isinstance(exc, bce.ParamValidationError):
        return AwsError(f"{action}: {one_line(str(exc))}", kind=ErrorKind.REJECTED, action=action)
    if isinstance(exc, bce.ClientError):
        return _client_error(exc, action)
    if isinstance(exc, bce.BotoCoreError):
        return AwsError(f"{action}: {one_line(str(exc))}", action=action, retryable=True)
    return AwsError(f"{action}: {type(exc).__name__}: {one_line(str(exc))}", action=action, retryable=True)


def _client_error(exc: bce.ClientError, action: str) -> AwsError:
    err = exc.response.get("Error", {})
    code = str(err.get("Code", "")) or "Unknown"
    message = one_line(str(err.get("Message", "")))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _DENIED_CODES:
        refused = _refused_action(message) or action
        return AwsError(f"access denied: the credentials lack IAM permission {refused}",
                        kind=ErrorKind.DENIED, code=code, action=refused)
    if code in _AUTH_CODES:
        return AwsError(f"AWS rejected the credentials ({code}): refresh them (`aws sso login` or new keys)",
                        kind=ErrorKind.CREDENTIALS, code=code, action=action)
    if code in _NO_QUEUE_CODES:
        return AwsError("the SQS queue does not exist (check --queue-url and --region; `sestui setup` creates one)",
                        kind=ErrorKind.NO_QUEUE, code=code, action=action)
    if is_daily_quota(message):
        return AwsError(f"the 24-hour sending quota is used up ({action}): SES accepts mail again as the sends "
                        "of 24 hours ago age out", kind=ErrorKind.QUOTA_EXHAUSTED, code=code, action=action)
    if code in _PAUSED_CODES:
        paused = _PAUSED_SET.search(message)
        resume = f"sestui resume --configuration-set {paused.group(1)}" if paused else "sestui resume --account"
        return AwsError(f"{action}: {message or code} (once the cause is dealt with, `{resume}` turns it back on)",
                        kind=ErrorKind.REJECTED, code=code, action=action)
    if code in _THROTTLE_CODES:
        return AwsError(f"throttled by AWS on {action}; backing off", kind=ErrorKind.THROTTLED, code=code,
                        action=action, retryable=True)
    if code in _NOT_FOUND_CODES or status == 404:
        return AwsError(message or f"{action}: not found", kind=ErrorKind.NOT_FOUND, code=code, action=action)
    if status >= 500:
        return AwsError(f"AWS error on {action}: {code} {message}".strip(), code=code, action=action, retryable=True)
    return AwsError(f"{action}: {message or code}", kind=ErrorKind.REJECTED, code=code, action=action)


_REFUSED = re.compile(r"not authorized to perform:?\s*([a-z0-9-]+:[A-Za-z0-9*]+)")


def _refused_action(message: str) -> str | None:
    match = _REFUSED.search(message)
    return match.group(1) if match else None


