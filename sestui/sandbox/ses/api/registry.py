"""The registry of SES operations the sandbox answers itself, and what their handlers share.

Each handler takes the region's SesAccount, the call and its parsed input and returns the output
structure, keyed by the model's member names, or raises ApiError with the code that version of
the API uses, or returns None to let moto answer after all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ...http.protocol import ApiError, Call
from ..outbound_mail import OutboundMail, simple_mail
from ..records import EVENT_KINDS
from ..regional_account import SendRefused, SesAccount
from .paging import api_page

Handler = Callable[[SesAccount, Call, dict], "dict | None"]
HANDLERS: dict[tuple[str, str], Handler] = {}

EVENT_TYPES = {enum for _, enum in EVENT_KINDS.values()}
DESTINATION_KINDS = ("KinesisFirehoseDestination", "CloudWatchDestination", "SnsDestination",
                      "EventBridgeDestination", "PinpointDestination")
V1_REFUSALS = {
    "invalid": "InvalidParameterValue",
    "paused": "MessageRejected",
    "not-verified": "MessageRejected",
    "no-config-set": "ConfigurationSetDoesNotExist",
    "default-config-set-gone": "ConfigurationSetDoesNotExist",
    "config-set-paused": "ConfigurationSetSendingPausedException",
    "daily": "Throttling",
    "rate": "Throttling",
}
V2_REFUSALS = {
    "invalid": "BadRequestException",
    "paused": "SendingPausedException",
    "not-verified": "MessageRejected",
    "no-config-set": "NotFoundException",
    "default-config-set-gone": "BadRequestException",
    "config-set-paused": "SendingPausedException",
    "daily": "LimitExceededException",
    "rate": "TooManyRequestsException",
}


def handles(service: str, operation: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[(service, operation)] = fn
        return fn

    return register


def now() -> datetime:
    return datetime.now(UTC)


def message_tags(items: list[dict] | None) -> dict[str, list[str]]:
    return {t["Name"]: [t.get("Value", "")] for t in items or []}


def simple_message(source: str, destination: dict, message: dict, p: dict, tags: dict[str, list[str]]) -> OutboundMail:
    """The mail of a simple send: v1's Message and v2's Content.Simple have the same members
    (Subject, Body.Text, Body.Html); both versions name the reply-to and the set the same way."""
    body = message.get("Body", {})
    return simple_mail(
        when=now(),
        source=source,
        to=destination.get("ToAddresses", []),
        cc=destination.get("CcAddresses", []),
        bcc=destination.get("BccAddresses", []),
        reply_to=p.get("ReplyToAddresses", []),
        subject=message.get("Subject", {}).get("Data"),
        text=body.get("Text", {}).get("Data"),
        html=body.get("Html", {}).get("Data"),
        configuration_set=p.get("ConfigurationSetName"),
        tags=tags,
    )


def accept(account: SesAccount, call: Call, mail: OutboundMail, codes: dict[str, str]) -> dict:
    try:
        return {"MessageId": account.send(mail, call.source_ip)}
    except SendRefused as refused:
        raise ApiError(codes[refused.kind], refused.message) from None


def remove_identity(account: SesAccount, identity: str) -> bool:
    identities = account.moto.email_identities
    for name in list(identities):
        if name.lower() == identity.lower():
            del identities[name]
            account.forget_identity(identity)
            return True
    return False


def configuration_set(account: SesAccount, p: dict) -> str:
    name = p.get("ConfigurationSetName", "")
    if not account.configuration_set_exists(name):
        raise ApiError("NotFoundException", f"Configuration set <{name}> does not exist.")
    return name


def email_identity(account: SesAccount, name: str):
    for identity_name, identity in account.moto.email_identities.items():
        if identity_name.lower() == name.lower():
            return identity
    raise ApiError("NotFoundException", f"Email identity <{name}> does not exist.")


def v2_page(names: list[str], p: dict, sizes: tuple[int, int] = (1, 1000),
            default: int = 1000) -> tuple[list[str], str | None]:
    return api_page(names, p, "PageSize", "BadRequestException", sizes, default)
