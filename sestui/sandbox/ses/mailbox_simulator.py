"""The mailbox simulator: what happens to each recipient of an accepted send, and when.

Outcomes, from the SES developer guide ("Using the mailbox simulator") and records the simulator
is known to publish:

* success@ - Delivery.
* bounce@ - Permanent/General bounce, `smtp; 550 5.1.1 user unknown`; not added to the
  suppression list.
* ooto@ - Delivery; the recipient's out-of-office auto-reply then reaches SES, which reports it
  as a Transient/General bounce naming only the address (no diagnostic). It is not a failure.
* complaint@ - Delivery, then a Complaint (feedback type abuse).
* suppressionlist@ - Permanent/Suppressed bounce, as for an address on SES's global
  suppression list, without any delivery attempt.
* an address on the account's suppression list (checked first, simulator or not) -
  Permanent/OnAccountSuppressionList bounce, without any delivery attempt.
* an address at a domain under `.invalid` (RFC 2606: it never resolves) - Permanent/General
  bounce after the DNS lookup fails. Unlike the simulator's, these count in the statistics.
* any other address - Delivery, delayed first (DeliveryDelay) for a share of them.

Delivered mail with an HTML part is opened by a share of recipients, and a link in it clicked by a
share of those who open it (the Open and Click events of a configuration set with tracking).
Every delay is multiplied by the sandbox's delay scale; tests use a scale near zero.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .outbound_mail import OutboundMail, address_of, ses_id, simulator_scenario

# Documentation address ranges (RFC 5737) stand in for the internet.
_REMOTE_MTA_IPS = ("192.0.2.14", "192.0.2.87", "198.51.100.23", "198.51.100.160", "203.0.113.9")
_OPENER_IPS = ("198.51.100.42", "203.0.113.77", "192.0.2.201", "203.0.113.250")
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
)
_SMTP_OK = (
    "250 2.0.0 OK  1718035712 d9443c01a7336-1f6f3000c4asi1234567ad.183 - gsmtp",
    "250 2.0.0 Ok: queued as 4VzK2M1nQrz9sWd",
    "250 2.6.0 <message@example.com> [InternalId=1288490191234] Queued mail for delivery",
)
_SIMULATOR_SMTP_OK = "250 2.6.0 Message received"
_DELAYS = (
    ("TransientCommunicationFailure", "4.4.1", "smtp; 421 4.4.1 Unable to connect to remote host"),
    ("MailboxFull", "4.2.2", "smtp; 452 4.2.2 The email account that you tried to reach is over quota"),
    ("RecipientServerError", "4.3.0", "smtp; 451 4.3.0 Temporary server error. Please try again later"),
    ("SpamDetected", "4.7.1", "smtp; 421 4.7.1 Message temporarily deferred due to unexpected volume"),
)
_ACCOUNT_SUPPRESSED = (
    "Amazon SES did not send the message to this address because it is on the suppression list for "
    "your account. For more information about removing addresses from the suppression list, see the "
    "Amazon SES Developer Guide at "
    "https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html"
)
_GLOBALLY_SUPPRESSED = (
    "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as "
    "an invalid address. For more information about how to remove an address from the suppression "
    "list, see the Amazon SES Developer Guide: "
    "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html"
)


@dataclass
class Engagement:
    """How recipients behave beyond the simulator's fixed outcomes."""

    open_share: float = 0.35  # of delivered mail with an HTML part
    click_share: float = 0.3  # of opened mail that has a link
    delay_share: float = 0.02  # of deliveries to ordinary (non-simulator) addresses


@dataclass(frozen=True)
class Step:
    """One event of a send's timeline, `after` seconds (unscaled) after SES accepted it."""

    after: float
    kind: str  # SES eventType: Send, Delivery, Bounce, Complaint, DeliveryDelay, Open, Click
    recipient: str | None = None  # None for events about the whole message
    outcome: str | None = None  # Bounce: hard, auto-reply, suppressed, account-suppressed


def plan(
    mail: OutboundMail,
    on_account_list: Callable[[str], bool],
    engagement: Engagement,
    rng: random.Random,
) -> list[Step]:
    steps = [Step(0.0, "Send")]
    delivered_at: list[float] = []
    for recipient in mail.destinations:
        scenario = simulator_scenario(recipient)
        if on_account_list(recipient):
            steps.append(Step(rng.uniform(0.05, 0.3), "Bounce", recipient, "account-suppressed"))
            continue
        if scenario == "suppressionlist":
            steps.append(Step(rng.uniform(0.05, 0.3), "Bounce", recipient, "suppressed"))
            continue
        if scenario == "bounce":
            steps.append(Step(rng.uniform(0.3, 1.5), "Bounce", recipient, "hard"))
            continue
        if scenario is None and address_of(recipient).lower().endswith(".invalid"):
            steps.append(Step(rng.uniform(0.3, 1.5), "Bounce", recipient, "no-domain"))
            continue
        start = 0.0
        if scenario is None and rng.random() < engagement.delay_share:
            start = rng.uniform(0.5, 2.0)
            steps.append(Step(start, "DeliveryDelay", recipient))
            start += rng.uniform(3.0, 15.0)
        delivery = start + rng.uniform(0.4, 2.5)
        steps.append(Step(delivery, "Delivery", recipient))
        delivered_at.append(delivery)
        if scenario == "complaint":
            steps.append(Step(delivery + rng.uniform(1.0, 5.0), "Complaint", recipient))
        elif scenario == "ooto":
            steps.append(Step(delivery + rng.uniform(0.5, 3.0), "Bounce", recipient, "auto-reply"))
    if delivered_at and mail.html and rng.random() < engagement.open_share:
        opened = min(delivered_at) + rng.uniform(2.0, 30.0)
        steps.append(Step(opened, "Open"))
        if mail.links and rng.random() < engagement.click_share:
            steps.append(Step(opened + rng.uniform(1.0, 20.0), "Click"))
    return sorted(steps, key=lambda s: s.after)


def event_detail(step: Step, mail: OutboundMail, now: datetime, region: str, rng: random.Random) -> dict:
    """The per-type object of the record (`bounce`, `delivery`, ...) for a step happening now."""
    when = iso(now)
    if step.kind == "Send":
        return {}
    if step.kind == "Delivery":
        simulated = simulator_scenario(step.recipient or "") is not None
        return {
            "timestamp": when,
            "processingTimeMillis": max(1, int((now - mail.timestamp).total_seconds() * 1000)),
            "recipients": [step.recipient],
            "smtpResponse": _SIMULATOR_SMTP_OK if simulated else rng.choice(_SMTP_OK),
            "remoteMtaIp": rng.choice(_REMOTE_MTA_IPS),
            "reportingMTA": _outbound_mta(region, rng),
        }
    if step.kind == "Bounce":
        return _bounce(step, now, region, rng)
    if step.kind == "Complaint":
        return {
            "feedbackId": ses_id(now),
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": step.recipient}],
            "timestamp": when,
            "userAgent": "Amazon SES Mailbox Simulator",
            "complaintFeedbackType": "abuse",
            "arrivalDate": iso(mail.timestamp),
        }
    if step.kind == "DeliveryDelay":
        delay_type, status, diagnostic = rng.choice(_DELAYS)
        return {
            "timestamp": when,
            "delayType": delay_type,
            "expirationTime": iso(mail.timestamp + timedelta(hours=12)),
            "delayedRecipients": [{"emailAddress": step.recipient, "status": status, "diagnosticCode": diagnostic}],
            "reportingMTA": f"dsn; {_outbound_mta(region, rng)}",
        }
    if step.kind == "Open":
        return {"ipAddress": rng.choice(_OPENER_IPS), "timestamp": when, "userAgent": rng.choice(_USER_AGENTS)}
    if step.kind == "Click":
        return {
            "ipAddress": rng.choice(_OPENER_IPS),
            "timestamp": when,
            "userAgent": rng.choice(_USER_AGENTS),
            "link": rng.choice(mail.links),
            "linkTags": {},
        }
    raise ValueError(f"unknown step kind {step.kind!r}")


def _bounce(step: Step, now: datetime, region: str, rng: random.Random) -> dict:
    detail: dict = {"feedbackId": ses_id(now), "timestamp": iso(now)}
    if step.outcome == "auto-reply":
        return {"bounceType": "Transient", "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": step.recipient}], **detail}
    status = "5.1.1"
    if step.outcome == "hard":
        subtype, diagnostic = "General", "smtp; 550 5.1.1 user unknown"
        detail |= {"remoteMtaIp": rng.choice(_REMOTE_MTA_IPS), "reportingMTA": f"dsn; {_outbound_mta(region, rng)}"}
    elif step.outcome == "no-domain":
        domain = address_of(step.recipient or "").rpartition("@")[2]
        subtype, status = "General", "5.1.2"
        diagnostic = f"smtp; 550 5.1.2 Host or domain name not found. Name service error for name={domain} type=MX"
        detail["reportingMTA"] = f"dsn; {_outbound_mta(region, rng)}"
    elif step.outcome == "suppressed":
        subtype, diagnostic = "Suppressed", _GLOBALLY_SUPPRESSED
        detail["reportingMTA"] = "dns; amazonses.com"
    else:
        subtype, diagnostic = "OnAccountSuppressionList", _ACCOUNT_SUPPRESSED
        detail["reportingMTA"] = "dns; amazonses.com"
    recipient = {"emailAddress": step.recipient, "action": "failed", "status": status, "diagnosticCode": diagnostic}
    return {"bounceType": "Permanent", "bounceSubType": subtype, "bouncedRecipients": [recipient], **detail}


def _outbound_mta(region: str, rng: random.Random) -> str:
    return f"a{rng.randint(8, 48)}-{rng.randint(1, 250)}.smtp-out.{region}.amazonses.com"


def iso(when: datetime) -> str:
    """ISO 8601 UTC with milliseconds and Z, as SES writes timestamps."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
