"""Every boto3 call sestui makes. Knows boto3, not SQLite.

Each function is small and typed; every botocore failure leaves this module as `AwsError`, whose
message is one line an operator can act on (which credential, which IAM action, which queue).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import urlsplit

import boto3
import botocore.exceptions as bce
from botocore.config import Config

DEFAULT_REGION = "us-east-1"

# Service name as boto3 knows it -> IAM action prefix.
_IAM_PREFIX = {"ses": "ses", "sesv2": "ses", "sqs": "sqs", "sns": "sns", "sts": "sts"}

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


class AwsError(Exception):
    """One AWS failure, as one line. `kind` lets callers decide: retry, stop, or tell the user."""

    def __init__(self, message: str, *, kind: str = "error", code: str | None = None,
                 action: str | None = None, retryable: bool = False):
        super().__init__(message)
        self.kind = kind  # credentials, denied, not_found, no_queue, throttled, unreachable, rejected, error
        self.code = code
        self.action = action
        self.retryable = retryable


@dataclass(frozen=True)
class SqsMessage:
    message_id: str
    receipt_handle: str
    body: str


@dataclass(frozen=True)
class DeleteFailure:
    receipt_handle: str
    reason: str


@dataclass
class AccountStatus:
    production_access: bool | None = None
    sending_enabled: bool | None = None
    enforcement_status: str | None = None
    max_24_hour_send: float | None = None  # -1 = unlimited
    max_send_rate: float | None = None
    sent_last_24_hours: float | None = None
    suppressed_reasons: list[str] = field(default_factory=list)
    review_status: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class StatPoint:
    timestamp: datetime
    delivery_attempts: int
    bounces: int
    complaints: int
    rejects: int


@dataclass(frozen=True)
class Suppression:
    email: str
    reason: str
    last_update: datetime | None
    message_id: str | None = None
    feedback_id: str | None = None


class Aws:
    """Clients for one profile/region/endpoint. Thread-safe: clients are made once, under a lock."""

    def __init__(self, profile: str | None = None, region: str | None = None,
                 endpoint_url: str | None = None, *, sqs_wait_seconds: int = 20):
        self.profile = profile
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        keys = {}
        if endpoint_url and _is_loopback(endpoint_url) and not profile and "AWS_ACCESS_KEY_ID" not in os.environ:
            # A local emulator (`sestui sandbox`) accepts any key; don't make demo users configure one.
            keys = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
        try:
            self._session = boto3.session.Session(profile_name=profile, region_name=region, **keys)
        except bce.ProfileNotFound:
            raise AwsError(f"AWS profile {profile!r} not found in ~/.aws/config or ~/.aws/credentials",
                           kind="credentials") from None
        self.region = self._session.region_name or region or DEFAULT_REGION
        self._config = Config(
            region_name=self.region,
            retries={"mode": "adaptive", "total_max_attempts": 4},  # ("max_attempts" would mean 4 retries)
            connect_timeout=5,
            read_timeout=max(15, sqs_wait_seconds + 10),
            user_agent_extra="sestui",
            max_pool_connections=32,
        )

    def client(self, service: str):
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                try:
                    client = self._session.client(service, endpoint_url=self.endpoint_url, config=self._config)
                except ValueError as exc:  # botocore: "Invalid endpoint: host:port" (no scheme)
                    raise AwsError(f"{_one_line(str(exc))} (give the endpoint URL as http(s)://host:port)",
                                   kind="rejected") from None
                self._clients[service] = client
            return client

    def call(self, service: str, operation: str, **params) -> dict:
        """Run one API call; any botocore failure becomes an AwsError naming what went wrong."""
        try:
            # Making the client resolves the credentials: PartialCredentialsError can come from here.
            method = getattr(self.client(service), _snake(operation))
            return method(**params)
        except Exception as exc:  # botocore raises many unrelated types; all become one
            raise translate(exc, service, operation) from None

    def caller_account(self) -> str:
        """The account id of the credentials (STS GetCallerIdentity: needs no IAM permission)."""
        return self.call("sts", "GetCallerIdentity")["Account"]

    # -- SQS ----------------------------------------------------------------------------------

    def receive(self, queue_url: str, *, max_messages: int = 10, wait_seconds: int = 20,
                visibility_timeout: int | None = None) -> list[SqsMessage]:
        params: dict[str, Any] = {
            "QueueUrl": queue_url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": wait_seconds,
        }
        if visibility_timeout is not None:
            params["VisibilityTimeout"] = visibility_timeout
        resp = self.call("sqs", "ReceiveMessage", **params)
        return [SqsMessage(m["MessageId"], m["ReceiptHandle"], m.get("Body", "")) for m in resp.get("Messages", [])]

    def delete(self, queue_url: str, receipt_handles: list[str]) -> list[DeleteFailure]:
        """Delete in batches of 10; returns the entries SQS refused (they will be redelivered)."""
        failures: list[DeleteFailure] = []
        for start in range(0, len(receipt_handles), 10):
            chunk = receipt_handles[start:start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]
            resp = self.call("sqs", "DeleteMessageBatch", QueueUrl=queue_url, Entries=entries)
            for failed in resp.get("Failed", []):
                failures.append(DeleteFailure(chunk[int(failed["Id"])], failed.get("Message") or failed.get("Code", "")))
        return failures

    def queue_depth(self, queue_url: str) -> dict[str, int]:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]
        attrs = self.call("sqs", "GetQueueAttributes", QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        return {
            "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
        }

    # -- SES account --------------------------------------------------------------------------

    def account_status(self) -> AccountStatus:
        """SESv2 GetAccount + v1 GetSendQuota (the v1 figures are the fresher counter)."""
        acct = self.call("sesv2", "GetAccount")
        quota = self.call("ses", "GetSendQuota")
        v2quota = acct.get("SendQuota") or {}
        details = acct.get("Details") or {}
        review = details.get("ReviewDetails") or {}
        return AccountStatus(
            production_access=acct.get("ProductionAccessEnabled"),
            sending_enabled=acct.get("SendingEnabled"),
            enforcement_status=acct.get("EnforcementStatus"),
            max_24_hour_send=quota.get("Max24HourSend", v2quota.get("Max24HourSend")),
            max_send_rate=quota.get("MaxSendRate", v2quota.get("MaxSendRate")),
            sent_last_24_hours=quota.get("SentLast24Hours", v2quota.get("SentLast24Hours")),
            suppressed_reasons=list((acct.get("SuppressionAttributes") or {}).get("SuppressedReasons") or []),
            review_status=review.get("Status"),
        )

    def send_statistics(self) -> list[StatPoint]:
        """Two weeks of 15-minute points, oldest first (SES returns them unordered)."""
        resp = self.call("ses", "GetSendStatistics")
        points = [
            StatPoint(
                timestamp=_utc(p["Timestamp"]),
                delivery_attempts=int(p.get("DeliveryAttempts", 0)),
                bounces=int(p.get("Bounces", 0)),
                complaints=int(p.get("Complaints", 0)),
                rejects=int(p.get("Rejects", 0)),
            )
            for p in resp.get("SendDataPoints", [])
        ]
        return sorted(points, key=lambda p: p.timestamp)

    def verified_identities(self) -> list[str]:
        """Identities (addresses and domains) whose verification succeeded."""
        names: list[str] = []
        token = None
        while True:
            params = {"MaxItems": 1000}
            if token:
                params["NextToken"] = token
            resp = self.call("ses", "ListIdentities", **params)
            names += resp.get("Identities", [])
            token = resp.get("NextToken")
            if not token:
                break
        verified: list[str] = []
        for start in range(0, len(names), 100):
            attrs = self.call("ses", "GetIdentityVerificationAttributes", Identities=names[start:start + 100])
            for name, value in attrs.get("VerificationAttributes", {}).items():
                if value.get("VerificationStatus") == "Success":
                    verified.append(name)
        return sorted(verified)

    # -- suppression list ---------------------------------------------------------------------

    def list_suppressed(self, *, reasons: list[str] | None = None, start: datetime | None = None,
                        end: datetime | None = None, page_size: int = 1000) -> Iterator[Suppression]:
        """Every entry, following NextToken (botocore has no paginator for this operation)."""
        params: dict[str, Any] = {"PageSize": page_size}
        if reasons:
            params["Reasons"] = reasons
        if start:
            params["StartDate"] = start
        if end:
            params["EndDate"] = end
        while True:
            resp = self.call("sesv2", "ListSuppressedDestinations", **params)
            for item in resp.get("SuppressedDestinationSummaries", []):
                yield Suppression(item["EmailAddress"], item.get("Reason", ""), _utc(item.get("LastUpdateTime")))
            token = resp.get("NextToken")
            if not token:
                return
            params["NextToken"] = token

    def get_suppressed(self, email: str) -> Suppression | None:
        try:
            resp = self.call("sesv2", "GetSuppressedDestination", EmailAddress=email)
        except AwsError as exc:
            if exc.kind == "not_found":
                return None
            raise
        item = resp["SuppressedDestination"]
        attrs = item.get("Attributes") or {}
        return Suppression(item["EmailAddress"], item.get("Reason", ""), _utc(item.get("LastUpdateTime")),
                           attrs.get("MessageId"), attrs.get("FeedbackId"))

    def put_suppressed(self, email: str, reason: str) -> None:
        self.call("sesv2", "PutSuppressedDestination", EmailAddress=email, Reason=reason)

    def delete_suppressed(self, email: str) -> bool:
        """Remove an entry; False if it was not on the list."""
        try:
            self.call("sesv2", "DeleteSuppressedDestination", EmailAddress=email)
        except AwsError as exc:
            if exc.kind == "not_found":
                return False
            raise
        return True

    # -- sending ------------------------------------------------------------------------------

    def send_email(self, *, sender: str, to: list[str], subject: str, body: str,
                   configuration_set: str | None = None, tags: dict[str, str] | None = None) -> str:
        """One simple message through SESv2; returns the SES MessageId."""
        params: dict[str, Any] = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": list(to)},
            "Content": {"Simple": {
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
            }},
        }
        if configuration_set:
            params["ConfigurationSetName"] = configuration_set
        if tags:
            params["EmailTags"] = [{"Name": k, "Value": v} for k, v in tags.items()]
        return self.call("sesv2", "SendEmail", **params)["MessageId"]


# --- errors -------------------------------------------------------------------------------------


def translate(exc: Exception, service: str, operation: str) -> AwsError:
    """Any boto3/botocore failure -> AwsError with a one-line operator message."""
    action = f"{_IAM_PREFIX.get(service, service)}:{operation}"
    if isinstance(exc, AwsError):
        return exc
    if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return AwsError("no AWS credentials found: set AWS_PROFILE or run `aws configure`; or try `sestui demo`",
                        kind="credentials", action=action)
    if isinstance(exc, bce.ProfileNotFound):
        return AwsError(f"AWS profile not found: {exc}", kind="credentials", action=action)
    if isinstance(exc, bce.NoRegionError):
        return AwsError("no AWS region: pass --region or set AWS_REGION", kind="credentials", action=action)
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ConnectionClosedError)):
        where = getattr(exc, "kwargs", {}).get("endpoint_url") or "the AWS endpoint"
        return AwsError(f"cannot reach {where} ({action})", kind="unreachable", action=action, retryable=True)
    if isinstance(exc, bce.ReadTimeoutError):
        return AwsError(f"{action} timed out", kind="unreachable", action=action, retryable=True)
    if isinstance(exc, bce.TokenRetrievalError) or isinstance(exc, bce.SSOError):
        return AwsError(f"AWS SSO session expired: run `aws sso login` ({_one_line(str(exc))})",
                        kind="credentials", action=action)
    if isinstance(exc, bce.ParamValidationError):
        return AwsError(f"{action}: {_one_line(str(exc))}", kind="rejected", action=action)
    if isinstance(exc, bce.ClientError):
        return _client_error(exc, service, action)
    if isinstance(exc, bce.BotoCoreError):
        return AwsError(f"{action}: {_one_line(str(exc))}", kind="error", action=action, retryable=True)
    return AwsError(f"{action}: {type(exc).__name__}: {_one_line(str(exc))}", kind="error", action=action,
                    retryable=True)


def _client_error(exc: bce.ClientError, service: str, action: str) -> AwsError:
    err = exc.response.get("Error", {})
    code = str(err.get("Code", "")) or "Unknown"
    message = _one_line(str(err.get("Message", "")))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _DENIED_CODES:
        refused = _refused_action(message) or action
        return AwsError(f"access denied: the credentials lack IAM permission {refused}",
                        kind="denied", code=code, action=refused)
    if code in _AUTH_CODES:
        return AwsError(f"AWS rejected the credentials ({code}): refresh them (`aws sso login` or new keys)",
                        kind="credentials", code=code, action=action)
    if code in _NO_QUEUE_CODES:
        return AwsError("the SQS queue does not exist (check --queue-url and --region; `sestui setup` creates one)",
                        kind="no_queue", code=code, action=action)
    if code in _THROTTLE_CODES:
        return AwsError(f"throttled by AWS on {action}; backing off", kind="throttled", code=code,
                        action=action, retryable=True)
    if code in _NOT_FOUND_CODES or status == 404:
        return AwsError(message or f"{action}: not found", kind="not_found", code=code, action=action)
    if status >= 500:
        return AwsError(f"AWS error on {action}: {code} {message}".strip(), kind="error", code=code,
                        action=action, retryable=True)
    return AwsError(f"{action}: {message or code}", kind="rejected", code=code, action=action)


_REFUSED = re.compile(r"not authorized to perform:?\s*([a-z0-9-]+:[A-Za-z0-9*]+)")


def _refused_action(message: str) -> str | None:
    match = _REFUSED.search(message)
    return match.group(1) if match else None


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def _one_line(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value)).astimezone(timezone.utc)


# -- wiring: setup and doctor --------------------------------------------------------------------
# The reads and writes of `sestui setup` (wiring.py) and `sestui doctor` (doctor.py). A read that
# finds nothing returns None or an empty value instead of raising, so that callers can plan.


def _absent(exc: AwsError) -> bool:
    return exc.kind in ("not_found", "no_queue")


def caller_identity(aws: Aws) -> tuple[str, str]:
    """(account id, caller ARN) of the credentials."""
    resp = aws.call("sts", "GetCallerIdentity")
    return resp["Account"], resp.get("Arn", "")


def find_topic(aws: Aws, name: str) -> str | None:
    """The ARN of the SNS topic with this name in the region, or None."""
    params: dict[str, Any] = {}
    while True:
        resp = aws.call("sns", "ListTopics", **params)
        for topic in resp.get("Topics", []):
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return topic["TopicArn"]
        if not resp.get("NextToken"):
            return None
        params["NextToken"] = resp["NextToken"]


def topic_attributes(aws: Aws, topic_arn: str) -> dict[str, str] | None:
    try:
        return aws.call("sns", "GetTopicAttributes", TopicArn=topic_arn).get("Attributes", {})
    except AwsError as exc:
        if _absent(exc):
            return None
        raise


def create_topic(aws: Aws, name: str) -> str:
    return aws.call("sns", "CreateTopic", Name=name)["TopicArn"]


def find_queue(aws: Aws, name: str) -> str | None:
    """The URL of the SQS queue with this name, or None."""
    try:
        return aws.call("sqs", "GetQueueUrl", QueueName=name)["QueueUrl"]
    except AwsError as exc:
        if _absent(exc):
            return None
        raise


def queue_attributes(aws: Aws, queue_url: str) -> dict[str, str]:
    return aws.call("sqs", "GetQueueAttributes", QueueUrl=queue_url, AttributeNames=["All"]).get("Attributes", {})


def create_queue(aws: Aws, name: str, attributes: dict[str, str]) -> str:
    return aws.call("sqs", "CreateQueue", QueueName=name, Attributes=attributes)["QueueUrl"]


def set_queue_attributes(aws: Aws, queue_url: str, attributes: dict[str, str]) -> None:
    aws.call("sqs", "SetQueueAttributes", QueueUrl=queue_url, Attributes=attributes)


def topic_subscriptions(aws: Aws, topic_arn: str) -> list[dict]:
    """Every subscription of a topic: SubscriptionArn (or "PendingConfirmation"), Protocol, Endpoint."""
    return _subscriptions(aws, "ListSubscriptionsByTopic", TopicArn=topic_arn)


def endpoint_subscriptions(aws: Aws, endpoint: str) -> list[dict]:
    """Every subscription in the account whose endpoint is this one (e.g. a queue ARN)."""
    return [s for s in _subscriptions(aws, "ListSubscriptions") if s.get("Endpoint") == endpoint]


def _subscriptions(aws: Aws, operation: str, **params) -> list[dict]:
    found: list[dict] = []
    while True:
        resp = aws.call("sns", operation, **params)
        found += resp.get("Subscriptions", [])
        if not resp.get("NextToken"):
            return found
        params["NextToken"] = resp["NextToken"]


def subscription_attributes(aws: Aws, subscription_arn: str) -> dict[str, str] | None:
    try:
        return aws.call("sns", "GetSubscriptionAttributes", SubscriptionArn=subscription_arn).get("Attributes", {})
    except AwsError as exc:
        if _absent(exc):
            return None
        raise


def subscribe_queue(aws: Aws, topic_arn: str, queue_arn: str, *, raw: bool = False) -> str:
    """Subscribe an SQS queue to a topic; returns the subscription ARN ("pending confirmation"
    when the topic's owner must confirm it, as for a topic in another account)."""
    return aws.call("sns", "Subscribe", TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                    Attributes={"RawMessageDelivery": "true" if raw else "false"},
                    ReturnSubscriptionArn=True)["SubscriptionArn"]


def set_subscription_attribute(aws: Aws, subscription_arn: str, name: str, value: str) -> None:
    aws.call("sns", "SetSubscriptionAttributes", SubscriptionArn=subscription_arn,
             AttributeName=name, AttributeValue=value)


def configuration_set_exists(aws: Aws, name: str) -> bool:
    try:
        aws.call("sesv2", "GetConfigurationSet", ConfigurationSetName=name)
    except AwsError as exc:
        if _absent(exc):
            return False
        raise
    return True


def configuration_set_names(aws: Aws) -> list[str]:
    names: list[str] = []
    params: dict[str, Any] = {}
    while True:
        resp = aws.call("sesv2", "ListConfigurationSets", **params)
        names += resp.get("ConfigurationSets", [])
        if not resp.get("NextToken"):
            return names
        params["NextToken"] = resp["NextToken"]


def create_configuration_set(aws: Aws, name: str) -> None:
    aws.call("sesv2", "CreateConfigurationSet", ConfigurationSetName=name)


def event_destinations(aws: Aws, configuration_set: str) -> list[dict]:
    """The set's destinations (Name, Enabled, MatchingEventTypes, SnsDestination...); [] if the set is absent."""
    try:
        resp = aws.call("sesv2", "GetConfigurationSetEventDestinations", ConfigurationSetName=configuration_set)
    except AwsError as exc:
        if _absent(exc):
            return []
        raise
    return resp.get("EventDestinations", [])


def put_event_destination(aws: Aws, configuration_set: str, name: str, topic_arn: str,
                          event_types: list[str], *, update: bool) -> None:
    """Create (or, with `update`, replace) an enabled SNS event destination."""
    operation = "UpdateConfigurationSetEventDestination" if update else "CreateConfigurationSetEventDestination"
    aws.call("sesv2", operation, ConfigurationSetName=configuration_set, EventDestinationName=name,
             EventDestination={"Enabled": True, "MatchingEventTypes": list(event_types),
                               "SnsDestination": {"TopicArn": topic_arn}})


def identity_verification(aws: Aws, identity: str) -> dict[str, str] | None:
    """{"VerificationStatus": Pending|Success|Failed|TemporaryFailure|NotStarted, "VerificationToken"?},
    or None when the identity is not in this account and region."""
    resp = aws.call("ses", "GetIdentityVerificationAttributes", Identities=[identity])
    attributes = resp.get("VerificationAttributes", {})
    for name, value in attributes.items():
        if name.lower() == identity.lower():
            return value
    return None


def verify_identity(aws: Aws, identity: str) -> str | None:
    """Start verifying an address (AWS mails it a link) or a domain (returns the TXT record's value)."""
    if "@" in identity:
        aws.call("ses", "VerifyEmailIdentity", EmailAddress=identity)
        return None
    return aws.call("ses", "VerifyDomainIdentity", Domain=identity).get("VerificationToken")


def identity_default_configuration_set(aws: Aws, identity: str) -> str | None:
    try:
        return aws.call("sesv2", "GetEmailIdentity", EmailIdentity=identity).get("ConfigurationSetName") or None
    except AwsError as exc:
        if _absent(exc):
            return None
        raise


def set_identity_default_configuration_set(aws: Aws, identity: str, configuration_set: str) -> None:
    aws.call("sesv2", "PutEmailIdentityConfigurationSetAttributes", EmailIdentity=identity,
             ConfigurationSetName=configuration_set)


def identity_notifications(aws: Aws, identity: str) -> dict[str, Any]:
    """BounceTopic, ComplaintTopic, DeliveryTopic (when set), ForwardingEnabled, HeadersIn*NotificationsEnabled."""
    resp = aws.call("ses", "GetIdentityNotificationAttributes", Identities=[identity])
    for name, value in resp.get("NotificationAttributes", {}).items():
        if name.lower() == identity.lower():
            return value
    return {}


def set_identity_notification_topic(aws: Aws, identity: str, kind: str, topic_arn: str | None) -> None:
    params: dict[str, Any] = {"Identity": identity, "NotificationType": kind}
    if topic_arn:
        params["SnsTopic"] = topic_arn
    aws.call("ses", "SetIdentityNotificationTopic", **params)


def set_identity_headers_in_notifications(aws: Aws, identity: str, kind: str, enabled: bool) -> None:
    aws.call("ses", "SetIdentityHeadersInNotificationsEnabled", Identity=identity, NotificationType=kind,
             Enabled=enabled)


# --- SQS visibility and redrive (ops helper; to reconcile with the aws helper's wrappers) --------


def change_visibility(aws: Aws, queue_url: str, receipt_handles: list[str], timeout: int) -> list[DeleteFailure]:
    """Keep received messages hidden `timeout` more seconds (ChangeMessageVisibilityBatch, 10 a
    call). Does not count as a receive. Returns the entries SQS refused."""
    failures: list[DeleteFailure] = []
    for start in range(0, len(receipt_handles), 10):
        chunk = receipt_handles[start:start + 10]
        entries = [{"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": timeout} for i, h in enumerate(chunk)]
        resp = aws.call("sqs", "ChangeMessageVisibilityBatch", QueueUrl=queue_url, Entries=entries)
        for failed in resp.get("Failed", []):
            failures.append(DeleteFailure(chunk[int(failed["Id"])], failed.get("Message") or failed.get("Code", "")))
    return failures


def send_messages(aws: Aws, queue_url: str, bodies: list[str]) -> list[int]:
    """SendMessageBatch, 10 a call; returns the indexes of the bodies SQS refused."""
    refused: list[int] = []
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start:start + 10])]
        resp = aws.call("sqs", "SendMessageBatch", QueueUrl=queue_url, Entries=entries)
        refused += [start + int(f["Id"]) for f in resp.get("Failed", [])]
    return refused
