"""What an event means for its recipient: status, auto-reply, bounce class, whether a complaint counts.

Pure rules over what a record says, shared by the store (which keeps the result per event) and the
policies. No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Per-recipient status of a message: the most significant outcome wins, whatever the arrival order.
STATUS_RANK = {
    "sent": 1,
    "subscription": 1,
    "delayed": 2,
    "delivered": 3,
    "opened": 4,
    "clicked": 5,
    "auto_reply": 3,
    "soft_bounce": 6,
    "rendering_failed": 7,
    "rejected": 7,
    "hard_bounce": 8,
    "complained": 9,
}
_TYPE_STATUS = {
    "send": "sent",
    "subscription": "subscription",
    "delivery_delay": "delayed",
    "delivery": "delivered",
    "open": "opened",
    "click": "clicked",
    "rendering_failure": "rendering_failed",
    "reject": "rejected",
    "complaint": "complained",
}

# Bounce classes: SES's subtypes where they say enough, else what the SMTP status and text say.
MAILBOX_FULL = "mailbox_full"
NO_SUCH_USER = "no_such_user"
DOMAIN_NOT_FOUND = "domain_not_found"
BLOCKED = "blocked"  # blocked, policy, spam content
AUTHENTICATION = "authentication"  # SPF, DKIM or DMARC failure
SUPPRESSED = "suppressed"  # by SES: the address is on a suppression list
AUTO_REPLY = "auto_reply"
MESSAGE_TOO_LARGE = "message_too_large"
UNDETERMINED = "undetermined"
OTHER = "other"
BOUNCE_CLASSES = (MAILBOX_FULL, NO_SUCH_USER, DOMAIN_NOT_FOUND, BLOCKED, AUTHENTICATION, SUPPRESSED, AUTO_REPLY,
                  MESSAGE_TOO_LARGE, UNDETERMINED, OTHER)

_SUBTYPE_CLASS = {
    "NoEmail": NO_SUCH_USER,
    "Suppressed": SUPPRESSED,
    "OnAccountSuppressionList": SUPPRESSED,
    "MailboxFull": MAILBOX_FULL,
    "MessageTooLarge": MESSAGE_TOO_LARGE,
    "ContentRejected": BLOCKED,
    "AttachmentRejected": BLOCKED,
}

_AUTO_RESPONSE = re.compile(
    r"auto[- ]?(reply|replied|respon)|out[- ]of[- ](the[- ])?office|vacation|away from (the )?office",
    re.IGNORECASE,
)

# (class, enhanced status codes (RFC 3463) that mean it, words that mean it); first match wins, so
# authentication comes before the broader "blocked" (both are often 5.7.x).
_DIAGNOSTIC_RULES: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (AUTHENTICATION, ("5.7.23", "5.7.25", "5.7.26", "5.7.27", "5.7.7"),
     re.compile(r"\b(spf|dkim|dmarc)\b|authenticat|unauthenticated", re.IGNORECASE)),
    (MAILBOX_FULL, ("4.2.2", "5.2.2"),
     re.compile(r"mailbox (is )?full|over ?quota|quota exceeded|exceeded (the )?(storage|quota)|insufficient "
                r"(system )?storage", re.IGNORECASE)),
    (NO_SUCH_USER, ("5.1.1", "5.1.0", "5.1.6", "5.1.10"),
     re.compile(r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|doesn't exist|"
                r"invalid (recipient|mailbox|address)|recipient (address )?rejected|mailbox (unavailable|not found)|"
                r"address rejected|unknown (recipient|mailbox)", re.IGNORECASE)),
    (DOMAIN_NOT_FOUND, ("5.1.2", "4.1.2", "5.4.4", "4.4.4"),
     re.compile(r"domain (name )?not found|host (or domain name )?not found|no mx|nxdomain|unroutable|"
                r"unrouteable|domain does not exist|name or service not known", re.IGNORECASE)),
    (MESSAGE_TOO_LARGE, ("5.3.4", "5.2.3"),
     re.compile(r"message (size )?(is )?too (large|big)|exceeds (the )?(maximum )?(message )?size", re.IGNORECASE)),
    (BLOCKED, ("5.7.1", "5.7.0", "5.7.606", "5.7.511", "4.7.0", "4.7.1", "5.7.350"),
     re.compile(r"block|blacklist|denylist|spam|policy|reputation|listed|rejected by|banned|not allowed|"
                r"access denied|content rejected", re.IGNORECASE)),
)
_STATUS_CODE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")

# Complaints that are not the recipient complaining: SES's synthetic complaint for an address already
# on the account suppression list (nothing was sent), and ARF feedback saying "this is not spam".
NOT_COUNTED_COMPLAINT_SUB_TYPES = ("OnAccountSuppressionList",)
NOT_COUNTED_FEEDBACK_TYPES = ("not-spam",)

# Mail to the mailbox simulator counts toward no rate of AWS's (nor its quota): the rates sestui
# works out for itself leave it out too. `e` is the events table's alias.
SIMULATOR_DOMAIN = "simulator.amazonses.com"
RATE_COUNTED_RECIPIENT = f"lower(coalesce(e.recipient, '')) NOT LIKE '%@{SIMULATOR_DOMAIN}'"


def is_auto_response(bounce_type: str | None, diagnostic_code: str | None) -> bool:
    """An out-of-office or other auto-reply that SES reported as a (non-permanent) bounce, told by
    the diagnostic text. The shape rule (`is_auto_reply_shape`) covers those that carry no text."""
    return bounce_type != "Permanent" and bool(diagnostic_code and _AUTO_RESPONSE.search(diagnostic_code))


def is_auto_reply_shape(bounce: Mapping[str, Any], entry: Mapping[str, Any], *, delivered: bool = False) -> bool:
    """SES's auto-response: a Transient/General bounce whose recipient entry is only an address (no
    action, status or diagnosticCode: no DSN was parsed) and which names no reporting MTA. A Delivery
    already seen for the recipient is further evidence: with it, a reporting MTA does not rule it out."""
    if bounce.get("bounceType") != "Transient" or bounce.get("bounceSubType") != "General":
        return False
    if any(entry.get(key) for key in ("action", "status", "diagnosticCode")):
        return False
    return delivered or not bounce.get("reportingMTA")


def bounce_class(bounce_type: str | None, bounce_subtype: str | None, diagnostic_code: str | None,
                 status: str | None = None, *, auto_reply_shape: bool = False) -> str:
    """One of BOUNCE_CLASSES for a bounced recipient."""
    if bounce_subtype in _SUBTYPE_CLASS:
        return _SUBTYPE_CLASS[bounce_subtype]
    if auto_reply_shape or is_auto_response(bounce_type, diagnostic_code):
        return AUTO_REPLY
    codes = set(_STATUS_CODE.findall(diagnostic_code or ""))
    if status:
        codes.add(status.strip())
    text = diagnostic_code or ""
    for name, statuses, words in _DIAGNOSTIC_RULES:
        if codes.intersection(statuses) or (text and words.search(text)):
            return name
    return UNDETERMINED if bounce_subtype == "Undetermined" else OTHER


def complaint_counts(complaint_sub_type: str | None, feedback_type: str | None) -> bool:
    """Whether a complaint record is the recipient's complaint (for rates, statuses and policies)."""
    return (complaint_sub_type not in NOT_COUNTED_COMPLAINT_SUB_TYPES
            and (feedback_type or "").lower() not in NOT_COUNTED_FEEDBACK_TYPES)


def status_of(event_type: str, bounce_type: str | None, diagnostic_code: str | None = None,
              bounce_class: str | None = None, *, complaint_sub_type: str | None = None,
              complaint_feedback_type: str | None = None) -> str | None:
    """The recipient's status this event implies, or None when the event says nothing about the
    recipient (a complaint that is not theirs)."""
    if event_type == "bounce":
        if bounce_type == "Permanent":
            return "hard_bounce"
        if bounce_class == AUTO_REPLY or is_auto_response(bounce_type, diagnostic_code):
            return "auto_reply"
        return "soft_bounce"
    if event_type == "complaint" and not complaint_counts(complaint_sub_type, complaint_feedback_type):
        return None
    return _TYPE_STATUS[event_type]
