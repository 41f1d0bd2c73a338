"""The SES v1 and SESv2 operations the sandbox answers itself (moto answers the others).

Each handler takes the region's SesAccount and the call's parsed input and returns the output
structure, keyed by the model's member names, or raises ApiError with the code that version of
the API uses, or returns None to let moto answer after all.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

from .account import SUPPRESSION_REASONS
from .mail import OutboundMail, raw_mail, simple_mail
from .protocol import ApiError, Call
from .records import EVENT_KINDS, NOTIFICATION_TYPES
from .ses_account import SendRefused, SesAccount
from .suppression import MAX_PAGE_SIZE, InvalidToken, Suppressed, is_email_address

Handler = Callable[[SesAccount, Call, dict], "dict | None"]
HANDLERS: dict[tuple[str, str], Handler] = {}

_EVENT_TYPES = {enum for _, enum in EVENT_KINDS.values()}
_DESTINATION_KINDS = ("KinesisFirehoseDestination", "CloudWatchDestination", "SnsDestination",
                      "EventBridgeDestination", "PinpointDestination")
_V1_REFUSALS = {
    "invalid": "InvalidParameterValue",
    "paused": "MessageRejected",
    "not-verified": "MessageRejected",
    "no-config-set": "ConfigurationSetDoesNotExist",
    "daily": "Throttling",
    "rate": "Throttling",
}
_V2_REFUSALS = {
    "invalid": "BadRequestException",
    "paused": "SendingPausedException",
    "not-verified": "MessageRejected",
    "no-config-set": "NotFoundException",
    "daily": "LimitExceededException",
    "rate": "TooManyRequestsException",
}


def handles(service: str, operation: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[(service, operation)] = fn
        return fn

    return register


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _tags(items: list[dict] | None) -> dict[str, list[str]]:
    return {t["Name"]: [t.get("Value", "")] for t in items or []}


def _accept(account: SesAccount, call: Call, mail: OutboundMail, codes: dict[str, str]) -> dict:
    try:
        return {"MessageId": account.send(mail, call.source_ip)}
    except SendRefused as refused:
        raise ApiError(codes[refused.kind], refused.message) from None


# --- SES v1 (query protocol) --------------------------------------------------------------------


@handles("ses", "SendEmail")
def send_email_v1(account: SesAccount, call: Call, p: dict) -> dict:
    destination, message = p.get("Destination", {}), p.get("Message", {})
    body = message.get("Body", {})
    mail = simple_mail(
        when=_now(),
        source=p.get("Source", ""),
        to=destination.get("ToAddresses", []),
        cc=destination.get("CcAddresses", []),
        bcc=destination.get("BccAddresses", []),
        reply_to=p.get("ReplyToAddresses", []),
        subject=message.get("Subject", {}).get("Data"),
        text=body.get("Text", {}).get("Data"),
        html=body.get("Html", {}).get("Data"),
        configuration_set=p.get("ConfigurationSetName"),
        tags=_tags(p.get("Tags")),
    )
    return _accept(account, call, mail, _V1_REFUSALS)


@handles("ses", "SendRawEmail")
def send_raw_email_v1(account: SesAccount, call: Call, p: dict) -> dict:
    mail = raw_mail(
        when=_now(),
        data=p.get("RawMessage", {}).get("Data", b""),
        source=p.get("Source"),
        destinations=p.get("Destinations", []),
        configuration_set=p.get("ConfigurationSetName"),
        tags=_tags(p.get("Tags")),
    )
    return _accept(account, call, mail, _V1_REFUSALS)


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


def _notification_type(p: dict) -> str:
    kind = p.get("NotificationType")
    if kind not in NOTIFICATION_TYPES:
        raise ApiError("InvalidParameterValue", f"Invalid notification type: {kind}")
    return kind


@handles("ses", "SetIdentityNotificationTopic")
def set_identity_notification_topic(account: SesAccount, call: Call, p: dict) -> dict:
    kind = _notification_type(p)
    with account.lock:
        settings = account.notification_settings(p["Identity"])
        if p.get("SnsTopic"):
            settings.topics[kind] = p["SnsTopic"]
        else:
            settings.topics.pop(kind, None)
    return {}


@handles("ses", "SetIdentityHeadersInNotificationsEnabled")
def set_identity_headers_in_notifications(account: SesAccount, call: Call, p: dict) -> dict:
    kind = _notification_type(p)
    with account.lock:
        settings = account.notification_settings(p["Identity"])
        if p.get("Enabled"):
            settings.with_headers.add(kind)
        else:
            settings.with_headers.discard(kind)
    return {}


@handles("ses", "SetIdentityFeedbackForwardingEnabled")
def set_identity_feedback_forwarding(account: SesAccount, call: Call, p: dict) -> dict:
    with account.lock:
        account.notification_settings(p["Identity"]).forwarding_enabled = bool(p.get("ForwardingEnabled"))
    return {}


@handles("ses", "GetIdentityNotificationAttributes")
def get_identity_notification_attributes(account: SesAccount, call: Call, p: dict) -> dict:
    attributes = {}
    with account.lock:
        for identity in p.get("Identities", []):
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
    _remove_identity(account, p["Identity"])
    return {}


def _remove_identity(account: SesAccount, identity: str) -> bool:
    identities = account.moto.email_identities
    for name in list(identities):
        if name.lower() == identity.lower():
            del identities[name]
            account.forget_identity(identity)
            return True
    return False


# --- SESv2 (REST-JSON) --------------------------------------------------------------------------


@handles("sesv2", "SendEmail")
def send_email_v2(account: SesAccount, call: Call, p: dict) -> dict:
    content, destination = p.get("Content", {}), p.get("Destination", {})
    tags = _tags(p.get("EmailTags"))
    if "Raw" in content:
        mail = raw_mail(
            when=_now(),
            data=content["Raw"].get("Data", b""),
            source=p.get("FromEmailAddress"),
            destinations=[a for key in ("ToAddresses", "CcAddresses", "BccAddresses")
                          for a in destination.get(key, [])],
            configuration_set=p.get("ConfigurationSetName"),
            tags=tags,
        )
    elif "Simple" in content:
        simple = content["Simple"]
        if not p.get("FromEmailAddress"):
            raise ApiError("BadRequestException", "Missing required parameter FromEmailAddress.")
        body = simple.get("Body", {})
        mail = simple_mail(
            when=_now(),
            source=p["FromEmailAddress"],
            to=destination.get("ToAddresses", []),
            cc=destination.get("CcAddresses", []),
            bcc=destination.get("BccAddresses", []),
            reply_to=p.get("ReplyToAddresses", []),
            subject=simple.get("Subject", {}).get("Data"),
            text=body.get("Text", {}).get("Data"),
            html=body.get("Html", {}).get("Data"),
            configuration_set=p.get("ConfigurationSetName"),
            tags=tags,
        )
    else:
        raise ApiError("BadRequestException", "The sandbox sends Simple and Raw content only, not templates.")
    return _accept(account, call, mail, _V2_REFUSALS)


@handles("sesv2", "GetAccount")
def get_account(account: SesAccount, call: Call, p: dict) -> dict:
    settings = account.settings
    result = {
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": settings.enforcement_status,
        "ProductionAccessEnabled": settings.production_access_enabled,
        "SendingEnabled": not settings.sending_paused,
        "SendQuota": {
            "Max24HourSend": settings.max_24_hour_send,
            "MaxSendRate": settings.max_send_rate,
            "SentLast24Hours": account.ledger.sent_last_24_hours(time.time()),
        },
        "SuppressionAttributes": {"SuppressedReasons": list(settings.suppressed_reasons)},
        "VdmAttributes": {"VdmEnabled": "DISABLED"},
    }
    if settings.production_access_enabled:
        result["Details"] = {
            "MailType": "TRANSACTIONAL",
            "WebsiteURL": "https://www.example.com",
            "ContactLanguage": "EN",
            "UseCaseDescription": "Receipts, password resets and account notices (sestui sandbox).",
            "AdditionalContactEmailAddresses": [],
            "ReviewDetails": {"Status": "GRANTED", "CaseId": f"{account.account_id[-6:]}-sandbox"},
        }
    return result


@handles("sesv2", "PutAccountSendingAttributes")
def put_account_sending_attributes(account: SesAccount, call: Call, p: dict) -> dict:
    account.settings.sending_enabled = bool(p.get("SendingEnabled", False))
    return {}


@handles("sesv2", "PutAccountSuppressionAttributes")
def put_account_suppression_attributes(account: SesAccount, call: Call, p: dict) -> dict:
    reasons = p.get("SuppressedReasons", [])
    for reason in reasons:
        _check_reason(reason)
    account.settings.suppressed_reasons = tuple(dict.fromkeys(reasons))
    return {}


def _check_reason(reason) -> str:
    if reason not in SUPPRESSION_REASONS:
        raise ApiError("BadRequestException",
                       f"Invalid reason: {reason}. The reason must be one of {', '.join(SUPPRESSION_REASONS)}.")
    return reason


def _check_address(address) -> str:
    if not isinstance(address, str) or not is_email_address(address):
        raise ApiError("BadRequestException", f"Invalid email address: {address}.")
    return address


def _not_on_list(address: str) -> ApiError:
    return ApiError("NotFoundException", f"Email address {address} does not exist on your suppression list.")


@handles("sesv2", "PutSuppressedDestination")
def put_suppressed_destination(account: SesAccount, call: Call, p: dict) -> dict:
    address, reason = _check_address(p.get("EmailAddress")), _check_reason(p.get("Reason"))
    settings = account.settings
    if settings.refuse_suppression_edits_in_sandbox and not settings.production_access_enabled:
        # Real SES refuses this in the SES sandbox; its exact wording is not documented.
        raise ApiError("BadRequestException", "Your account is in the Amazon SES sandbox. Request production "
                                              "access to manage the suppression list for your account.")
    account.suppression.put(Suppressed(address, reason, _now()))
    return {}


@handles("sesv2", "GetSuppressedDestination")
def get_suppressed_destination(account: SesAccount, call: Call, p: dict) -> dict:
    address = _check_address(p.get("EmailAddress"))
    entry = account.suppression.get(address)
    if entry is None:
        raise _not_on_list(address)
    attributes = {k: v for k, v in (("MessageId", entry.message_id), ("FeedbackId", entry.feedback_id)) if v}
    destination = {"EmailAddress": entry.email_address, "Reason": entry.reason, "LastUpdateTime": entry.last_update_time}
    if attributes:
        destination["Attributes"] = attributes
    return {"SuppressedDestination": destination}


@handles("sesv2", "DeleteSuppressedDestination")
def delete_suppressed_destination(account: SesAccount, call: Call, p: dict) -> dict:
    address = _check_address(p.get("EmailAddress"))
    if not account.suppression.delete(address):
        raise _not_on_list(address)
    return {}


@handles("sesv2", "ListSuppressedDestinations")
def list_suppressed_destinations(account: SesAccount, call: Call, p: dict) -> dict:
    size = p.get("PageSize", MAX_PAGE_SIZE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError("BadRequestException", f"PageSize must be between 1 and {MAX_PAGE_SIZE}.")
    reasons = [_check_reason(r) for r in p.get("Reasons", [])]
    start, end = (_aware(p.get(k)) for k in ("StartDate", "EndDate"))
    try:
        entries, token = account.suppression.page(reasons=reasons, start=start, end=end,
                                                  token=p.get("NextToken"), size=size)
    except InvalidToken:
        raise ApiError("InvalidNextTokenException", "The specified NextToken is invalid or expired.") from None
    result: dict = {"SuppressedDestinationSummaries": [
        {"EmailAddress": e.email_address, "Reason": e.reason, "LastUpdateTime": e.last_update_time} for e in entries
    ]}
    if token:
        result["NextToken"] = token
    return result


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def _configuration_set(account: SesAccount, p: dict) -> str:
    name = p.get("ConfigurationSetName", "")
    if not account.configuration_set_exists(name):
        raise ApiError("NotFoundException", f"Configuration set <{name}> does not exist.")
    return name


def _event_destination(p: dict) -> dict:
    definition = dict(p.get("EventDestination") or {})
    types = definition.get("MatchingEventTypes") or []
    if not types:
        raise ApiError("BadRequestException", "MatchingEventTypes must contain at least one event type.")
    unknown = [t for t in types if t not in _EVENT_TYPES]
    if unknown:
        raise ApiError("BadRequestException", f"Invalid event type: {unknown[0]}.")
    kinds = [k for k in _DESTINATION_KINDS if definition.get(k)]
    if len(kinds) != 1:
        raise ApiError("BadRequestException", "An event destination needs exactly one destination.")
    if kinds == ["SnsDestination"] and not str(definition["SnsDestination"].get("TopicArn", "")).startswith("arn:"):
        raise ApiError("BadRequestException", "SnsDestination.TopicArn must be an SNS topic ARN.")
    definition["Enabled"] = bool(definition.get("Enabled", False))
    return definition


def _destination_missing(config_set: str, name: str) -> ApiError:
    return ApiError("NotFoundException", f"Event destination <{name}> does not exist in configuration set <{config_set}>.")


@handles("sesv2", "CreateConfigurationSetEventDestination")
def create_event_destination(account: SesAccount, call: Call, p: dict) -> dict:
    config_set, name = _configuration_set(account, p), p.get("EventDestinationName", "")
    definition = _event_destination(p)
    with account.lock:
        existing = account.destinations.setdefault(config_set, {})
        if name in existing:
            raise ApiError("AlreadyExistsException", f"Event destination <{name}> already exists in configuration set <{config_set}>.")
        existing[name] = definition
    return {}


@handles("sesv2", "GetConfigurationSetEventDestinations")
def get_event_destinations(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _configuration_set(account, p)
    with account.lock:
        items = account.destinations.get(config_set, {}).items()
        return {"EventDestinations": [{"Name": name, **definition} for name, definition in items]}


@handles("sesv2", "UpdateConfigurationSetEventDestination")
def update_event_destination(account: SesAccount, call: Call, p: dict) -> dict:
    config_set, name = _configuration_set(account, p), p.get("EventDestinationName", "")
    definition = _event_destination(p)
    with account.lock:
        existing = account.destinations.get(config_set, {})
        if name not in existing:
            raise _destination_missing(config_set, name)
        existing[name] = definition
    return {}


@handles("sesv2", "DeleteConfigurationSetEventDestination")
def delete_event_destination(account: SesAccount, call: Call, p: dict) -> dict:
    config_set, name = _configuration_set(account, p), p.get("EventDestinationName", "")
    with account.lock:
        if account.destinations.get(config_set, {}).pop(name, None) is None:
            raise _destination_missing(config_set, name)
    return {}


@handles("sesv2", "CreateConfigurationSet")
def create_configuration_set(account: SesAccount, call: Call, p: dict) -> dict | None:
    name = p.get("ConfigurationSetName", "")
    if account.configuration_set_exists(name):
        raise ApiError("AlreadyExistsException", f"Configuration set <{name}> already exists.")
    return None  # moto creates it


@handles("sesv2", "GetConfigurationSet")
def get_configuration_set(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = account.moto.config_sets.get(_configuration_set(account, p))
    result = config_set.to_dict_v2()
    # moto stores SendingOptions inconsistently (a dict, a bool, or {} for "not given")
    enabled = config_set.enabled
    if isinstance(enabled, dict):
        enabled = enabled.get("SendingEnabled", True) if enabled else True
    result["SendingOptions"] = {"SendingEnabled": bool(enabled)}
    return result


@handles("ses", "DeleteConfigurationSet")
def delete_configuration_set_v1(account: SesAccount, call: Call, p: dict) -> dict:
    name = p.get("ConfigurationSetName", "")
    if not account.configuration_set_exists(name):
        raise ApiError("ConfigurationSetDoesNotExist", f"Configuration set <{name}> does not exist.")
    return delete_configuration_set(account, call, p)


@handles("sesv2", "DeleteConfigurationSet")
def delete_configuration_set(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _configuration_set(account, p)
    with account.lock:
        del account.moto.config_sets[config_set]
        account.destinations.pop(config_set, None)
        for identity in account.moto.email_identities.values():
            if identity.configuration_set_name == config_set:
                identity.configuration_set_name = None
    return {}


def _email_identity(account: SesAccount, name: str):
    for identity_name, identity in account.moto.email_identities.items():
        if identity_name.lower() == name.lower():
            return identity
    raise ApiError("NotFoundException", f"Email identity <{name}> does not exist.")


@handles("sesv2", "PutEmailIdentityConfigurationSetAttributes")
def put_email_identity_configuration_set(account: SesAccount, call: Call, p: dict) -> dict:
    identity = _email_identity(account, p.get("EmailIdentity", ""))
    identity.configuration_set_name = _configuration_set(account, p) if p.get("ConfigurationSetName") else None
    return {}


@handles("sesv2", "DeleteEmailIdentity")
def delete_email_identity(account: SesAccount, call: Call, p: dict) -> dict:
    name = p.get("EmailIdentity", "")
    if not _remove_identity(account, name):
        raise ApiError("NotFoundException", f"Email identity <{name}> does not exist.")
    return {}

