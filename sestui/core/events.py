"""SQS message body -> normalized SES events. Pure functions: no I/O, no clock, no globals that change.

A body is one of:
  * an SNS envelope (`Type` = Notification) whose `Message` is the SES record as a JSON string
    (or, from some emulators, as an object);
  * the SES record itself (SNS raw message delivery);
and the record is either an identity notification (`notificationType`) or a configuration-set
event (`eventType`). Anything else is not an error to raise but a reason to quarantine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sestui.core.values import (  # noqa: F401  (valid_text, parse_timestamp: part of this module's API)
    MAX_FUTURE, _addressed, _dedupe, _entries, _json_kind, _loads, _opt_str, _Reject, _short, _str_list,
    _without_surrogates, has_long_digit_run, parse_timestamp, valid_text,
)

from sestui.core import classify
from sestui.core.classify import is_auto_response

__all__ = ["DETAIL_FIELDS", "EVENT_TYPES", "Event", "Mail", "Parsed", "is_auto_response", "parse_body",
           "parse_timestamp", "valid_text"]

EVENT_TYPES = (
    "send",
    "reject",
    "bounce",
    "complaint",
    "delivery",
    "open",
    "click",
    "rendering_failure",
    "delivery_delay",
    "subscription",
)

# The type-specific columns, in export order.
DETAIL_FIELDS = (
    "bounce_type",
    "bounce_subtype",
    "diagnostic_code",
    "complaint_feedback_type",
    "delay_type",
    "link",
    "user_agent",
    "ip_address",
    "reject_reason",
    "error_message",
    "subject",
    "source",
    "configuration_set",
    "complaint_sub_type",
    "bounce_class",
)

# SES name (eventType or notificationType) -> (event_type, key of the per-type object)
_SES_TYPES = {
    "Send": ("send", "send"),
    "Reject": ("reject", "reject"),
    "Bounce": ("bounce", "bounce"),
    "Complaint": ("complaint", "complaint"),
    "Delivery": ("delivery", "delivery"),
    "Open": ("open", "open"),
    "Click": ("click", "click"),
    "Rendering Failure": ("rendering_failure", "failure"),
    "RenderingFailure": ("rendering_failure", "failure"),
    "DeliveryDelay": ("delivery_delay", "deliveryDelay"),
    "Subscription": ("subscription", "subscription"),
}

_SNS_CONTROL_TYPES = {
    "SubscriptionConfirmation": "SNS SubscriptionConfirmation (not an SES event)",
    "UnsubscribeConfirmation": "SNS UnsubscribeConfirmation (not an SES event)",
}

# What SES publishes, as plain text, when a configuration-set destination is attached to a topic.
_SES_VALIDATION_TEXT = "Successfully validated SNS topic for Amazon SES event publishing"

MAX_BODY_CHARS = 2 * 1024 * 1024  # SQS allows 1 MiB; anything far beyond is not an SES record


@dataclass(slots=True)
class Event:
    message_id: str
    event_type: str
    recipient: str
    timestamp: datetime  # timezone-aware UTC
    bounce_type: str | None = None
    bounce_subtype: str | None = None
    diagnostic_code: str | None = None
    complaint_feedback_type: str | None = None
    delay_type: str | None = None
    link: str | None = None
    user_agent: str | None = None
    ip_address: str | None = None
    reject_reason: str | None = None
    error_message: str | None = None
    subject: str | None = None
    source: str | None = None
    configuration_set: str | None = None
    complaint_sub_type: str | None = None
    bounce_class: str | None = None  # core.classify.BOUNCE_CLASSES

    @property
    def identity(self) -> tuple[str, str, str, datetime]:
        return (self.message_id, self.event_type, self.recipient, self.timestamp)


@dataclass(slots=True)
class Mail:
    """What the `mail` object says about the message, shared by all its events."""

    message_id: str
    timestamp: datetime | None
    source: str | None
    subject: str | None
    destinations: list[str]
    configuration_set: str | None
    tags: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class Parsed:
    """The outcome of one body: events (with the record they came from) or a quarantine reason."""

    events: list[Event] = field(default_factory=list)
    mail: Mail | None = None
    event_type: str | None = None
    record: str | None = None  # the SES record as JSON text, kept for the timeline's raw view
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


Verifier = Callable[[dict], "str | None"]


def parse_body(body: str | bytes, verify: Verifier | None = None) -> Parsed:
    """Normalize one SQS body. Never raises: a body that is not an SES event gets a reason.

    `verify`, when given, is called with the SNS envelope and returns a reason to refuse it
    (signature checks live outside this pure module).
    """
    try:
        return _parse(body, verify)
    except _Reject as exc:
        return Parsed(reason=str(exc))
    except RecursionError:
        return Parsed(reason="JSON nested too deeply")
    except Exception as exc:  # a shape we did not foresee must not stop ingestion
        return Parsed(reason=f"malformed record: {type(exc).__name__}: {_short(str(exc))}")


def _parse(body: str | bytes, verify: Verifier | None) -> Parsed:
    if isinstance(body, (bytes, bytearray)):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _Reject("body is not UTF-8") from None
    if not isinstance(body, str):
        raise _Reject(f"body is a {type(body).__name__}, not text")
    if len(body) > MAX_BODY_CHARS:
        raise _Reject(f"body too large ({len(body)} characters)")
    if not body.strip():
        raise _Reject("empty body")
    body = valid_text(body)
    long_digits = has_long_digit_run(body)
    outer = _loads(body, "body", long_digits=long_digits)
    if isinstance(outer, str):  # a body that was JSON-encoded once more
        try:
            outer, body = json.loads(outer), outer
            long_digits = has_long_digit_run(body)
        except json.JSONDecodeError:
            raise _Reject("body is a JSON string, not an object") from None
        outer = _without_surrogates(outer)
    if not isinstance(outer, dict):
        raise _Reject(f"body is a JSON {_json_kind(outer)}, not an object")

    record_text = body
    if "Type" in outer and ("Message" in outer or outer.get("Type") in _SNS_CONTROL_TYPES):
        sns_type = outer.get("Type")
        if sns_type in _SNS_CONTROL_TYPES:
            raise _Reject(_SNS_CONTROL_TYPES[sns_type])
        if sns_type != "Notification":
            raise _Reject(f"unknown SNS message type {_short(str(sns_type))!r}")
        if verify is not None:
            refusal = verify(outer)
            if refusal:
                raise _Reject(refusal)
        message = outer["Message"]
        if isinstance(message, str):
            record_text = message
            if message.startswith(_SES_VALIDATION_TEXT):
                raise _Reject("SES test message: SNS topic validated for event publishing (not an event)")
            # a JSON string writes a digit as itself or as \u0030-\u0039: none in a row in the body, none in it
            inner_digits = None if long_digits or "\\u003" in body else False
            record = _loads(message, "SNS Message", long_digits=inner_digits)
        else:
            record = message
            record_text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    elif verify is not None:
        # Only an SNS envelope carries a signature: with verification on, a bare record (raw
        # message delivery) cannot be trusted, however well-formed.
        raise _Reject("not an SNS envelope, so its signature cannot be verified (is raw delivery on?)")
    else:
        record = outer
    if not isinstance(record, dict):
        raise _Reject(f"SES record is a JSON {_json_kind(record)}, not an object")
    return _parse_record(record, record_text)


def _parse_record(record: dict, record_text: str | bytes) -> Parsed:
    ses_name = record.get("eventType")
    if ses_name is None:
        ses_name = record.get("notificationType")
    if ses_name is None:
        raise _Reject("no eventType or notificationType: not an SES notification")
    if ses_name == "AmazonSnsSubscriptionSucceeded":
        raise _Reject("SES test notification AmazonSnsSubscriptionSucceeded (topic attached)")
    if not isinstance(ses_name, str) or ses_name not in _SES_TYPES:
        raise _Reject(f"unknown SES event type {_short(str(ses_name))!r}")
    event_type, key = _SES_TYPES[ses_name]

    mail = _mail(record.get("mail"))
    detail = record.get(key)
    if detail is None:
        detail = {}
    if not isinstance(detail, dict):
        raise _Reject(f"{key!r} is not an object")

    base = {
        "subject": mail.subject,
        "source": mail.source,
        "configuration_set": mail.configuration_set,
    }
    events = _BUILDERS[event_type](mail, detail, base)
    if not events:
        raise _Reject(f"{ses_name} record names no recipients")
    if isinstance(record_text, bytes):  # the raw body kept as text, as a str body is
        record_text = record_text.decode("utf-8", "replace")
    return Parsed(events=events, mail=mail, event_type=event_type, record=record_text)


def _mail(mail: Any) -> Mail:
    if not isinstance(mail, dict):
        raise _Reject("record has no mail object")
    message_id = mail.get("messageId")
    if not isinstance(message_id, str) or not message_id.strip():
        raise _Reject("record has no mail.messageId")
    headers = mail.get("commonHeaders")
    subject = headers.get("subject") if isinstance(headers, dict) else None
    tags = mail.get("tags")
    if not isinstance(tags, dict):
        tags = {}
    elif not all(type(v) is list and len(v) == 1 and type(v[0]) is str for v in tags.values()):
        tags = {k: _str_list(v) for k, v in tags.items()}  # as SES writes them, tags need no change
    config_set = tags.get("ses:configuration-set")
    ts = mail.get("timestamp")
    return Mail(
        message_id=message_id.strip(),
        timestamp=parse_timestamp(ts) if ts is not None else None,
        source=_opt_str(mail.get("source")),
        subject=_opt_str(subject),
        destinations=_str_list(mail.get("destination")),
        configuration_set=config_set[0] if config_set else None,
        tags=tags,
    )


def _event_time(detail: dict, mail: Mail) -> datetime:
    ts = detail.get("timestamp")
    if ts is not None:
        return parse_timestamp(ts)
    if mail.timestamp is not None:
        return mail.timestamp
    raise _Reject("record has no timestamp")


def _mail_time(mail: Mail) -> datetime:
    if mail.timestamp is None:
        raise _Reject("record has no mail.timestamp")
    return mail.timestamp


def _per_destination(mail: Mail, when: datetime, event_type: str, base: dict, **extra) -> list[Event]:
    return [
        Event(mail.message_id, event_type, addr, when, **base, **extra)
        for addr in _dedupe(mail.destinations)
    ]


def _send(mail, detail, base):
    return _per_destination(mail, _mail_time(mail), "send", base)


def _reject(mail, detail, base):
    return _per_destination(mail, _mail_time(mail), "reject", base, reject_reason=_opt_str(detail.get("reason")))


def _rendering_failure(mail, detail, base):
    return _per_destination(
        mail, _mail_time(mail), "rendering_failure", base, error_message=_opt_str(detail.get("errorMessage"))
    )


def _engagement(mail, detail, base, kind: str, **extra):
    """An open or a click: where and with what the recipient opened the mail."""
    return _per_destination(
        mail,
        _event_time(detail, mail),
        kind,
        base,
        ip_address=_opt_str(detail.get("ipAddress")),
        user_agent=_opt_str(detail.get("userAgent")),
        **extra,
    )


def _open(mail, detail, base):
    return _engagement(mail, detail, base, "open")


def _click(mail, detail, base):
    return _engagement(mail, detail, base, "click", link=_opt_str(detail.get("link")))


def _subscription(mail, detail, base):
    return _per_destination(mail, _event_time(detail, mail), "subscription", base)


def _bounce(mail, detail, base):
    when = _event_time(detail, mail)
    kind = _opt_str(detail.get("bounceType"))
    subtype = _opt_str(detail.get("bounceSubType"))
    events = []
    for addr, entry in _entries(detail.get("bouncedRecipients")):
        diag = _opt_str(entry.get("diagnosticCode"))
        kind_of = classify.bounce_class(kind, subtype, diag, _opt_str(entry.get("status")),
                               auto_reply_shape=classify.is_auto_reply_shape(detail, entry))
        events.append(Event(mail.message_id, "bounce", addr, when, bounce_type=kind, bounce_subtype=subtype,
                            diagnostic_code=diag, bounce_class=kind_of, **base))
    return events


def _complaint(mail, detail, base):
    when = _event_time(detail, mail)
    return [
        Event(mail.message_id, "complaint", addr, when,
              complaint_feedback_type=_opt_str(detail.get("complaintFeedbackType")),
              complaint_sub_type=_opt_str(detail.get("complaintSubType")),
              user_agent=_opt_str(detail.get("userAgent")), **base)
        for addr, _ in _addressed(detail.get("complainedRecipients"), None)
    ]


def _delivery(mail, detail, base):
    when = _event_time(detail, mail)
    return [Event(mail.message_id, "delivery", addr, when, **base) for addr in _dedupe(_str_list(detail.get("recipients")))]


def _delivery_delay(mail, detail, base):
    when = _event_time(detail, mail)
    delay = _opt_str(detail.get("delayType"))
    return [
        Event(mail.message_id, "delivery_delay", addr, when, delay_type=delay, diagnostic_code=diag, **base)
        for addr, diag in _addressed(detail.get("delayedRecipients"), "diagnosticCode")
    ]


_BUILDERS = {
    "send": _send,
    "reject": _reject,
    "bounce": _bounce,
    "complaint": _complaint,
    "delivery": _delivery,
    "open": _open,
    "click": _click,
    "rendering_failure": _rendering_failure,
    "delivery_delay": _delivery_delay,
    "subscription": _subscription,
}


