"""SES v1 (query protocol): sending, quota and statistics, identity notifications."""

from __future__ import annotations

import time
from collections.abc import Callable

from ...http.protocol import ApiError, Call
from ..outbound_mail import raw_mail
from ..records import NOTIFICATION_TYPES
from ..regional_account import NotificationSettings, SesAccount
from .identity_views import identities
from .paging import api_page
from .registry import (
    V1_REFUSALS,
    accept,
    handles,
    message_tags,
    now,
    remove_identity,
    simple_message,
)
from .v2_configuration_sets import delete_configuration_set


@handles("ses", "SendEmail")
def send_email_v1(account: SesAccount, call: Call, p: dict) -> dict:
    mail = simple_message(p.get("Source", ""), p.get("Destination", {}), p.get("Message", {}), p,
                          message_tags(p.get("Tags")))
    return accept(account, call, mail, V1_REFUSALS)


@handles("ses", "SendRawEmail")
def send_raw_email_v1(account: SesAccount, call: Call, p: dict) -> dict:
    mail = raw_mail(
        when=now(),
        data=p.get("RawMessage", {}).get("Data", b""),
        source=p.get("Source"),
        destinations=p.get("Destinations", []),
        configuration_set=p.get("ConfigurationSetName"),
        tags=message_tags(p.get("Tags")),
    )
    return accept(account, call, mail, V1_REFUSALS)


@handles("ses", "GetSendQuota")
def get_send_quota(account: SesAccount, call: Call, p: dict) -> dict:
    settings = account.settings
    return {
        "Max24HourSend": settings.max_24_hour_send,
        "MaxSendRate": settings.max_send_rate,
        "SentLast24Hours": account.ledger.sent_last_24_hours(time.time()),
    }


@handles("ses", "GetSendStatistics")
def get_send_statistics(account: SesAccount, call: Call, p: dict) -> dict:
    return {"SendDataPoints": account.ledger.data_points(time.time())}


@handles("ses", "GetAccountSendingEnabled")
def get_account_sending_enabled(account: SesAccount, call: Call, p: dict) -> dict:
    return {"Enabled": account.settings.sending_enabled}


@handles("ses", "UpdateAccountSendingEnabled")
def update_account_sending_enabled(account: SesAccount, call: Call, p: dict) -> dict:
    account.settings.sending_enabled = bool(p.get("Enabled", False))
    return {}


def _change_notifications(account: SesAccount, p: dict,
                          change: Callable[[NotificationSettings, str], None]) -> dict:
    """`change(settings, kind)` on the identity's notification settings, for a valid NotificationType."""
    kind = p.get("NotificationType")
    if kind not in NOTIFICATION_TYPES:
        raise ApiError("InvalidParameterValue", f"Invalid notification type: {kind}")
    with account.lock:
        change(account.notification_settings(_verified(account, p)), kind)
    return {}


def _verified(account: SesAccount, p: dict) -> str:
    """The identity a notification setting names (by name or by ARN); SES refuses one it does not
    have with these words (an AWS answer quoted in boto/boto3#2645)."""
    given = str(p.get("Identity", ""))
    name = given.partition(":identity/")[2] if given.startswith("arn:") else given
    if not account.identity_exists(name):
        raise ApiError("InvalidParameterValue", f"Identity {given} is invalid. Must be a verified email address "
                                                "or domain.")
    return name


@handles("ses", "SetIdentityNotificationTopic")
def set_identity_notification_topic(account: SesAccount, call: Call, p: dict) -> dict:
    return _change_notifications(account, p, lambda settings, kind: settings.set_topic(kind, p.get("SnsTopic")))


@handles("ses", "SetIdentityHeadersInNotificationsEnabled")
def set_identity_headers_in_notifications(account: SesAccount, call: Call, p: dict) -> dict:
    return _change_notifications(account, p,
                                 lambda settings, kind: settings.include_headers(kind, bool(p.get("Enabled"))))


@handles("ses", "SetIdentityFeedbackForwardingEnabled")
def set_identity_feedback_forwarding(account: SesAccount, call: Call, p: dict) -> dict:
    with account.lock:
        account.notification_settings(_verified(account, p)).forwarding_enabled = bool(p.get("ForwardingEnabled"))
    return {}


@handles("ses", "GetIdentityNotificationAttributes")
def get_identity_notification_attributes(account: SesAccount, call: Call, p: dict) -> dict:
    attributes = {}
    with account.lock:
        for identity in identities(p):
            if not account.identity_exists(identity):
                continue
            settings = account.notifications.get(identity.lower())
            topics = settings.topics if settings else {}
            headers = settings.with_headers if settings else set()
            attributes[identity] = {
                **{f"{kind}Topic": topics[kind] for kind in NOTIFICATION_TYPES if kind in topics},
                "ForwardingEnabled": settings.forwarding_enabled if settings else True,
                **{f"HeadersIn{kind}NotificationsEnabled": kind in headers for kind in NOTIFICATION_TYPES},
            }
    return {"NotificationAttributes": attributes}


@handles("ses", "DeleteIdentity")
def delete_identity(account: SesAccount, call: Call, p: dict) -> dict:
    remove_identity(account, p["Identity"])
    return {}


@handles("ses", "DeleteConfigurationSet")
def delete_configuration_set_v1(account: SesAccount, call: Call, p: dict) -> dict:
    name = p.get("ConfigurationSetName", "")
    if not account.configuration_set_exists(name):
        raise ApiError("ConfigurationSetDoesNotExist", f"Configuration set <{name}> does not exist.")
    return delete_configuration_set(account, call, p)


def _v1_page(names: list[str], p: dict) -> tuple[list[str], str | None]:
    return api_page(names, p, "MaxItems", "InvalidParameterValue")


@handles("ses", "ListIdentities")
def list_identities(account: SesAccount, call: Call, p: dict) -> dict:
    kind = p.get("IdentityType")
    if kind not in (None, "EmailAddress", "Domain"):
        raise ApiError("InvalidParameterValue", f"Invalid IdentityType: {kind}.")
    wanted = {"EmailAddress": "EMAIL_ADDRESS", "Domain": "DOMAIN"}.get(kind)
    names = [name for name, identity in list(account.moto.email_identities.items())
             if wanted is None or identity.identity_type == wanted]
    names, token = _v1_page(names, p)
    return {"Identities": names, **({"NextToken": token} if token else {})}


@handles("ses", "ListConfigurationSets")
def list_configuration_sets_v1(account: SesAccount, call: Call, p: dict) -> dict:
    names, token = _v1_page(list(account.moto.config_sets), p)
    return {"ConfigurationSets": [{"Name": n} for n in names], **({"NextToken": token} if token else {})}
