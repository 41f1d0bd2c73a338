"""SES: `aws.ses` — the account (quota, status, sending on/off), identities and their settings,
and sending. Configuration sets, the suppression list and contact lists have their own facades."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, overload

from sestui.aws.errors import AwsError, ErrorKind

if TYPE_CHECKING:
    from sestui.aws.client import Aws

QUOTA_WINDOW = timedelta(hours=24)


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


@overload
def utc(value: None) -> None: ...
@overload
def utc(value: datetime | str) -> datetime: ...
def utc(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime from what botocore parsed (naive means UTC) or an ISO string."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def quota_frees_at(points: list[StatPoint], now: datetime) -> datetime | None:
    """When the oldest send still inside the 24-hour window ages out of it (SES counts a send for
    24 hours), from GetSendStatistics' 15-minute points; None when none is inside the window."""
    inside = [p.timestamp for p in points if p.delivery_attempts > 0 and p.timestamp > now - QUOTA_WINDOW]
    return min(inside) + QUOTA_WINDOW if inside else None


class Ses:
    def __init__(self, aws: Aws):
        self._aws = aws

    # -- the account ---------------------------------------------------------------------------

    def account_status(self) -> AccountStatus:
        """SESv2 GetAccount + v1 GetSendQuota (the v1 figures are the fresher counter)."""
        acct = self._aws.call("sesv2", "GetAccount")
        quota = self._aws.call("ses", "GetSendQuota")
        v2quota = acct.get("SendQuota") or {}
        review = (acct.get("Details") or {}).get("ReviewDetails") or {}
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

    def set_sending(self, enabled: bool) -> None:
        """Pause (False) or resume (True) sending for the whole account (PutAccountSendingAttributes)."""
        self._aws.call("sesv2", "PutAccountSendingAttributes", SendingEnabled=enabled)

    def send_statistics(self) -> list[StatPoint]:
        """Two weeks of 15-minute points, oldest first (SES returns them unordered)."""
        resp = self._aws.call("ses", "GetSendStatistics")
        points = [
            StatPoint(
                timestamp=utc(p["Timestamp"]),
                delivery_attempts=int(p.get("DeliveryAttempts", 0)),
                bounces=int(p.get("Bounces", 0)),
                complaints=int(p.get("Complaints", 0)),
                rejects=int(p.get("Rejects", 0)),
            )
            for p in resp.get("SendDataPoints", [])
        ]
        return sorted(points, key=lambda p: p.timestamp)

    # -- identities ----------------------------------------------------------------------------

    def verified_identities(self) -> list[str]:
        """Identities (addresses and domains) whose verification succeeded."""
        names = [n for page in self._aws.pages("ses", "ListIdentities", PaginationConfig={"PageSize": 1000})
                 for n in page.get("Identities", [])]
        verified: list[str] = []
        for start in range(0, len(names), 100):
            attrs = self._aws.call("ses", "GetIdentityVerificationAttributes", Identities=names[start:start + 100])
            verified += [name for name, value in attrs.get("VerificationAttributes", {}).items()
                         if value.get("VerificationStatus") == "Success"]
        return sorted(verified)

    def identity_verification(self, identity: str) -> dict[str, str] | None:
        """{"VerificationStatus": Pending|Success|Failed|TemporaryFailure|NotStarted, "VerificationToken"?},
        or None when the identity is not in this account and region."""
        resp = self._aws.call("ses", "GetIdentityVerificationAttributes", Identities=[identity])
        found: dict[str, str] | None = _for_identity(resp.get("VerificationAttributes", {}), identity)
        return found

    def verify_identity(self, identity: str) -> str | None:
        """Start verifying an address (AWS mails it a link) or a domain (returns the TXT record's value)."""
        if "@" in identity:
            self._aws.call("ses", "VerifyEmailIdentity", EmailAddress=identity)
            return None
        token: str | None = self._aws.call("ses", "VerifyDomainIdentity", Domain=identity).get("VerificationToken")
        return token

    def default_configuration_set(self, identity: str) -> str | None:
        resp = self._aws.call_or_none("sesv2", "GetEmailIdentity", EmailIdentity=identity)
        return (resp or {}).get("ConfigurationSetName") or None

    def set_default_configuration_set(self, identity: str, configuration_set: str) -> None:
        self._aws.call("sesv2", "PutEmailIdentityConfigurationSetAttributes", EmailIdentity=identity,
                       ConfigurationSetName=configuration_set)

    def notifications(self, identity: str) -> dict[str, Any]:
        """BounceTopic, ComplaintTopic, DeliveryTopic (when set), ForwardingEnabled, HeadersIn*NotificationsEnabled."""
        resp = self._aws.call("ses", "GetIdentityNotificationAttributes", Identities=[identity])
        return _for_identity(resp.get("NotificationAttributes", {}), identity) or {}

    def set_notification_topic(self, identity: str, kind: str, topic_arn: str | None) -> None:
        params: dict[str, Any] = {"Identity": identity, "NotificationType": kind}
        if topic_arn:
            params["SnsTopic"] = topic_arn
        self._aws.call("ses", "SetIdentityNotificationTopic", **params)

    def set_headers_in_notifications(self, identity: str, kind: str, enabled: bool) -> None:
        self._aws.call("ses", "SetIdentityHeadersInNotificationsEnabled", Identity=identity,
                       NotificationType=kind, Enabled=enabled)

    # -- sending -------------------------------------------------------------------------------

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
        try:
            message_id: str = self._aws.call("sesv2", "SendEmail", **params)["MessageId"]
        except AwsError as exc:
            if exc.kind is ErrorKind.QUOTA_EXHAUSTED:
                raise self._quota_error(exc) from None
            raise
        return message_id

    def _quota_error(self, exc: AwsError) -> AwsError:
        """The quota error, saying when room frees (one GetSendStatistics; without it, as it was)."""
        try:
            frees = quota_frees_at(self.send_statistics(), datetime.now(UTC))
        except AwsError:
            return exc
        if frees is None:
            return exc
        error = AwsError(f"{exc}; room frees from {frees:%Y-%m-%d %H:%M} UTC", kind=exc.kind, code=exc.code,
                         action=exc.action, retryable=False)
        error.retry_at = frees
        return error


def _for_identity(by_name: dict[str, Any], identity: str) -> Any:
    """The entry for `identity` in a map keyed by identity (SES keeps the case it was created with)."""
    for name, value in by_name.items():
        if name.lower() == identity.lower():
            return value
    return None
