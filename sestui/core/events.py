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

import orjson

from sestui.core.values import (  # noqa: F401  (valid_text, parse_timestamp, MAX_*: part of this module's API)
    MAX_BODY_CHARS, MAX_FUTURE, Memo, _addressed, _dedupe, _entries, _holds_huge_float, _json_kind, _load_outer, _loads,
    _opt_str, _Reject, _short, _str_list, _without_surrogates, _written_back, has_long_digit_run, parse_timestamp,
    valid_text,
)

from sestui.core import classify
from sestui.core.classify import is_auto_response

__all__ = ["DETAIL_FIELDS", "EVENT_TYPES", "Event", "Mail", "Memo", "Parsed", "is_auto_response", "parse_body",
           "parse_timestamp", "valid_text"]

EVENT_TYPES = ("send", "reject", "bounce", "complaint", "delivery", "open", "click", "rendering_failure",
               "delivery_delay", "subscription")

# The type-specific columns, in export order.
DETAIL_FIELDS = ("bounce_type", "bounce_subtype", "diagnostic_code", "complaint_feedback_type", "delay_type", "link",
                 "user_agent", "ip_address", "reject_reason", "error_message", "subject", "source", "configuration_set",
                 "complaint_sub_type", "bounce_class")

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


def parse_body(body: str | bytes, verify: Verifier | None = None, memo: Memo | None = None) -> Parsed:
    """Normalize one SQS body. Never raises: a body that is not an SES event gets a reason.

    `verify`, when given, is called with the SNS envelope and returns a reason to refuse it
    (signature checks live outside this pure module). `memo`: one for all the bodies of a batch
    (they share much; a new one when None).
    """
    try:
        return _parse(body, verify, Memo() if memo is None else memo)
    except _Reject as exc:
        return Parsed(reason=str(exc))
    except RecursionError:
        return Parsed(reason="JSON nested too deeply")
    except Exception as exc:  # a shape we did not foresee must not stop ingestion
        return Parsed(reason=f"malformed record: {type(exc).__name__}: {_short(str(exc))}")


_NOT_LOADED = object()
_ONLY_STR = {str}


def _parse(body: str | bytes, verify: Verifier | None, memo: Memo) -> Parsed:
    outer: Any = _NOT_LOADED
    if type(body) is str and len(body) <= MAX_BODY_CHARS:
        # The usual body: orjson takes it (so it is neither empty nor holds a lone surrogate) and what
        # _load_outer would make of it is that value; anything else goes the long way.
        try:
            outer = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
        else:
            if type(outer) is dict and type(outer.get("Message")) is str:
                # an SNS envelope: its values (strings, as a rule) looked at sooner than its text is
                # read; the Message on its own (long_digits None)
                long_digits = None
                if set(map(type, outer.values())) != _ONLY_STR and _holds_huge_float(outer):
                    outer = _NOT_LOADED
            else:
                long_digits = has_long_digit_run(body)
                if long_digits and _holds_huge_float(outer):
                    outer = _NOT_LOADED
    if outer is _NOT_LOADED:
        body, outer, long_digits = _load_outer(body)
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
            inner_digits = None if long_digits is None or long_digits or "\\u003" in body else False
            try:  # exact_loads(message, long_digits=inner_digits), inline
                record = orjson.loads(message)
            except orjson.JSONDecodeError:
                record = _loads(message, "SNS Message", long_digits=inner_digits)
            else:
                if (inner_digits is None and not _written_back(record, message) and has_long_digit_run(message)
                        and _holds_huge_float(record)):
                    record = _loads(message, "SNS Message", long_digits=True)
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
    return _parse_record(record, record_text, memo)


def _parse_record(record: dict, record_text: str | bytes, memo: Memo) -> Parsed:
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

    mail = _mail(record.get("mail"), memo)
    detail = record.get(key)
    if detail is None:
        detail = {}
    if not isinstance(detail, dict):
        raise _Reject(f"{key!r} is not an object")

    events = _BUILDERS[event_type](mail, detail, memo)
    if not events:
        raise _Reject(f"{ses_name} record names no recipients")
    if isinstance(record_text, bytes):  # the raw body kept as text, as a str body is
        record_text = record_text.decode("utf-8", "replace")
    return Parsed(events, mail, event_type, record_text)


def _mail(mail: Any, memo: Memo) -> Mail:
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
    elif tags != memo.plain_tags:
        for v in tags.values():
            if type(v) is not list or len(v) != 1 or type(v[0]) is not str:  # as SES writes them, tags need no change
                tags = {k: _str_list(v) for k, v in tags.items()}
                break
        else:
            memo.plain_tags = tags
    config_set = tags.get("ses:configuration-set")
    ts = mail.get("timestamp")
    source = mail.get("source")
    destinations = mail.get("destination")
    return Mail(
        message_id.strip(),
        (memo.times.get(ts) if type(ts) is str else None) or memo.timestamp(ts) if ts is not None else None,
        source if type(source) is str else _opt_str(source),
        subject if type(subject) is str else _opt_str(subject),
        destinations if type(destinations) is list and len(destinations) == 1 and type(destinations[0]) is str
        else _str_list(destinations),
        config_set[0] if config_set else None,
        tags,
    )


def _event_time(detail: dict, mail: Mail, memo: Memo) -> datetime:
    ts = detail.get("timestamp")
    if ts is not None:
        return (memo.times.get(ts) if type(ts) is str else None) or memo.timestamp(ts)
    if mail.timestamp is not None:
        return mail.timestamp
    raise _Reject("record has no timestamp")


def _mail_time(mail: Mail) -> datetime:
    if mail.timestamp is None:
        raise _Reject("record has no mail.timestamp")
    return mail.timestamp


def _per_destination(mail: Mail, when: datetime, event_type: str, addrs: list[str], link: str | None = None,
                     user_agent: str | None = None, ip_address: str | None = None, reject_reason: str | None = None,
                     error_message: str | None = None) -> list[Event]:
    """One event per address, with the fields the per-destination types carry (positional: cheaper)."""
    mid, subject, source, config_set = mail.message_id, mail.subject, mail.source, mail.configuration_set
    if len(addrs) == 1:  # the usual
        return [Event(mid, event_type, addrs[0], when, None, None, None, None, None, link, user_agent, ip_address,
                      reject_reason, error_message, subject, source, config_set)] if addrs[0] else []
    return [Event(mid, event_type, addr, when, None, None, None, None, None, link, user_agent, ip_address,
                  reject_reason, error_message, subject, source, config_set) for addr in _dedupe(addrs)]


def _send(mail, detail, memo):
    return _per_destination(mail, _mail_time(mail), "send", mail.destinations)


def _reject(mail, detail, memo):
    return _per_destination(mail, _mail_time(mail), "reject", mail.destinations,
                            reject_reason=_opt_str(detail.get("reason")))


def _rendering_failure(mail, detail, memo):
    return _per_destination(mail, _mail_time(mail), "rendering_failure", mail.destinations,
                            error_message=_opt_str(detail.get("errorMessage")))


def _engagement(mail, detail, memo, kind: str, link: str | None = None):
    """An open or a click: where and with what the recipient opened the mail."""
    when = _event_time(detail, mail, memo)
    ip_address, user_agent = _opt_str(detail.get("ipAddress")), _opt_str(detail.get("userAgent"))
    return _per_destination(mail, when, kind, mail.destinations, link, user_agent, ip_address)


def _open(mail, detail, memo):
    return _engagement(mail, detail, memo, "open")


def _click(mail, detail, memo):
    return _engagement(mail, detail, memo, "click", _opt_str(detail.get("link")))


def _subscription(mail, detail, memo):
    return _per_destination(mail, _event_time(detail, mail, memo), "subscription", mail.destinations)


def _delivery(mail, detail, memo):
    when = _event_time(detail, mail, memo)
    return _per_destination(mail, when, "delivery", _str_list(detail.get("recipients")))


def _bounce(mail, detail, memo):
    when = _event_time(detail, mail, memo)
    kind = _opt_str(detail.get("bounceType"))
    subtype = _opt_str(detail.get("bounceSubType"))
    events = []
    for addr, entry in _entries(detail.get("bouncedRecipients")):
        diag = _opt_str(entry.get("diagnosticCode"))
        kind_of = classify.bounce_class(kind, subtype, diag, _opt_str(entry.get("status")),
                                        auto_reply_shape=classify.is_auto_reply_shape(detail, entry))
        events.append(Event(mail.message_id, "bounce", addr, when, bounce_type=kind, bounce_subtype=subtype,
                            diagnostic_code=diag, bounce_class=kind_of, subject=mail.subject, source=mail.source,
                            configuration_set=mail.configuration_set))
    return events


def _complaint(mail, detail, memo):
    when = _event_time(detail, mail, memo)
    return [
        Event(mail.message_id, "complaint", addr, when,
              complaint_feedback_type=_opt_str(detail.get("complaintFeedbackType")),
              complaint_sub_type=_opt_str(detail.get("complaintSubType")),
              user_agent=_opt_str(detail.get("userAgent")), subject=mail.subject, source=mail.source,
              configuration_set=mail.configuration_set)
        for addr, _ in _addressed(detail.get("complainedRecipients"), None)
    ]


def _delivery_delay(mail, detail, memo):
    when = _event_time(detail, mail, memo)
    delay = _opt_str(detail.get("delayType"))
    return [
        Event(mail.message_id, "delivery_delay", addr, when, delay_type=delay, diagnostic_code=diag,
              subject=mail.subject, source=mail.source, configuration_set=mail.configuration_set)
        for addr, diag in _addressed(detail.get("delayedRecipients"), "diagnosticCode")
    ]


_BUILDERS = {"send": _send, "reject": _reject, "bounce": _bounce, "complaint": _complaint, "delivery": _delivery,
             "open": _open, "click": _click, "rendering_failure": _rendering_failure, "delivery_delay": _delivery_delay,
             "subscription": _subscription}
