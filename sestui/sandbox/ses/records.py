"""SES records in the two shapes SES publishes: identity notifications and configuration-set
events ("Contents of notifications" and "Event publishing: contents" in the SES guide)."""

from __future__ import annotations

from dataclasses import dataclass

from .mailbox_simulator import iso
from .outbound_mail import OutboundMail, address_of

# The three notification types an identity can send to SNS.
NOTIFICATION_TYPES = ("Bounce", "Complaint", "Delivery")

# eventType -> (key of the per-type object, EventType enum of MatchingEventTypes)
EVENT_KINDS = {
    "Send": ("send", "SEND"),
    "Reject": ("reject", "REJECT"),
    "Bounce": ("bounce", "BOUNCE"),
    "Complaint": ("complaint", "COMPLAINT"),
    "Delivery": ("delivery", "DELIVERY"),
    "Open": ("open", "OPEN"),
    "Click": ("click", "CLICK"),
    "Rendering Failure": ("failure", "RENDERING_FAILURE"),
    "DeliveryDelay": ("deliveryDelay", "DELIVERY_DELAY"),
    "Subscription": ("subscription", "SUBSCRIPTION"),
}
EVENT_PUBLISHING_SUBJECT = "Amazon SES Email Event Notification"


@dataclass(frozen=True)
class Origin:
    """Who sent the mail, as the records tell it."""

    account_id: str
    region: str
    identity: str  # the verified identity the send was authorized by
    source_ip: str
    caller_identity: str
    configuration_set: str | None

    @property
    def source_arn(self) -> str:
        return f"arn:aws:ses:{self.region}:{self.account_id}:identity/{self.identity}"


def notification_record(kind: str, detail: dict, mail: OutboundMail, origin: Origin, with_headers: bool) -> dict:
    record_mail = {
        "timestamp": iso(mail.timestamp),
        "source": mail.source,
        "sourceArn": origin.source_arn,
        "sourceIp": origin.source_ip,
        "callerIdentity": origin.caller_identity,
        "sendingAccountId": origin.account_id,
        "messageId": mail.message_id,
        "destination": mail.destinations,
    }
    if with_headers:
        record_mail |= _headers(mail)
    return {"notificationType": kind, "mail": record_mail, EVENT_KINDS[kind][0]: detail}


def event_record(kind: str, detail: dict, mail: OutboundMail, origin: Origin, extra_tags: dict | None = None) -> dict:
    tags = {
        "ses:configuration-set": [origin.configuration_set],
        "ses:source-ip": [origin.source_ip],
        "ses:from-domain": [address_of(mail.source).rpartition("@")[2]],
        "ses:caller-identity": [origin.caller_identity],
        **(extra_tags or {}),
        **mail.tags,
    }
    record_mail = {
        "timestamp": iso(mail.timestamp),
        "source": mail.source,
        "sourceArn": origin.source_arn,
        "sendingAccountId": origin.account_id,
        "messageId": mail.message_id,
        "destination": mail.destinations,
        **_headers(mail),
        "tags": tags,
    }
    return {"eventType": kind, "mail": record_mail, EVENT_KINDS[kind][0]: detail}


def _headers(mail: OutboundMail) -> dict:
    values = {}
    for name, value in mail.headers:
        values.setdefault(name.lower(), value)
    common: dict = {"from": [values.get("from", mail.source)]}
    if "reply-to" in values:
        common["replyTo"] = [a.strip() for a in values["reply-to"].split(",")]
    if "date" in values:
        common["date"] = values["date"]
    if mail.to:
        common["to"] = mail.to
    message_id = values.get("message-id", "").strip("<>")
    if not message_id or message_id.endswith("@email.amazonses.com"):
        message_id = mail.message_id
    common["messageId"] = message_id
    common["subject"] = mail.subject
    return {
        "headersTruncated": False,
        "headers": [{"name": name, "value": value} for name, value in mail.headers],
        "commonHeaders": common,
    }
