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
* an address whose local part ends in `+complaint` at any other domain (e.g.
  `ana+complaint@example.net`) - Delivery, then a Complaint (feedback type abuse) from the
  recipient's mailbox provider. Unlike the simulator's, these count in the statistics.
* any other address - Delivery, delayed first (DeliveryDelay) for a share of them.

Delivered mail with an HTML part is opened by a share of recipients, and a link in it clicked by a
share of those who open it (the Open and Click events of a configuration set with tracking).
Every delay is multiplied by the sandbox's delay scale; tests use a scale near zero.
"""

from __future__ import annotations

import random
import re
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
    kind: str  # SES eventType: Send, Reject, Rendering Failure, Delivery, Bounce, Complaint, DeliveryDelay, ...
    recipients: tuple[str, ...] = ()  # () for events about the whole message
    outcome: str | None = None  # Bounce: hard, no-domain, auto-reply, suppressed, account-suppressed

    @property
    def recipient(self) -> str | None:
        return self.recipients[0] if self.recipients else None


# Bounces SES reports in one record when one send has several such recipients: same type and
# subtype, decided at the same moment (a DSN per recipient would be a different timeline).
_BOUNCE_RECORDS = {"account-suppressed": "account-suppressed", "suppressed": "suppressed",
                   "hard": "permanent", "no-domain": "permanent"}


def plan(
    mail: OutboundMail,
    on_account_list: Callable[[str], bool],
    engagement: Engagement,
    rng: random.Random,
) -> list[Step]:
    if mail.rendering_failure is not None:  # nothing was sent
        return [Step(0.0, "Rendering Failure")]
    steps = [Step(0.0, "Send")]
    if mail.contains_virus:  # accepted, then found to carry a virus: not delivered
        return [*steps, Step(rng.uniform(0.05, 0.3), "Reject")]
    bounced: dict[str, list[tuple[str, str]]] = {}  # record -> [(recipient, outcome)]
    delivered: list[str] = []  # delivered in the first attempt, in one Delivery record
    later: list[Step] = []
    for recipient in mail.destinations:
        scenario = simulator_scenario(recipient)
        if on_account_list(recipient):
            outcome = "account-suppressed"
        elif scenario == "suppressionlist":
            outcome = "suppressed"
        elif scenario == "bounce":
            outcome = "hard"
        elif scenario is None and address_of(recipient).lower().endswith(".invalid"):
            outcome = "no-domain"
        else:
            outcome = None
        if outcome is not None:
            bounced.setdefault(_BOUNCE_RECORDS[outcome], []).append((recipient, outcome))
            continue
        if scenario is None and rng.random() < engagement.delay_share:
            start = rng.uniform(0.5, 2.0)
            later.append(Step(start, "DeliveryDelay", (recipient,)))
            later.append(Step(start + rng.uniform(3.0, 15.0) + rng.uniform(0.4, 2.5), "Delivery", (recipient,)))
        else:
            delivered.append(recipient)
    for record, entries in bounced.items():
        after = rng.uniform(0.05, 0.3) if record != "permanent" else rng.uniform(0.3, 1.5)
        outcomes = {outcome for _, outcome in entries}
        steps.append(Step(after, "Bounce", tuple(r for r, _ in entries),
                          outcomes.pop() if len(outcomes) == 1 else "permanent"))
    delivered_at: list[float] = [s.after for s in later if s.kind == "Delivery"]
    if delivered:
        delivery = rng.uniform(0.4, 2.5)
        steps.append(Step(delivery, "Delivery", tuple(delivered)))
        delivered_at.append(delivery)
    steps += later
    for step in [s for s in steps if s.kind == "Delivery"]:
        for recipient in step.recipients:
            scenario = simulator_scenario(recipient)
            if scenario == "complaint" or (scenario is None and complains(recipient)):
                steps.append(Step(step.after + rng.uniform(1.0, 5.0), "Complaint", (recipient,)))
            elif scenario == "ooto":
                steps.append(Step(step.after + rng.uniform(0.5, 3.0), "Bounce", (recipient,), "auto-reply"))
    if delivered_at and mail.html and rng.random() < engagement.open_share:
        opened = min(delivered_at) + rng.uniform(2.0, 30.0)
        steps.append(Step(opened, "Open"))
        if mail.links and rng.random() < engagement.click_share:
            steps.append(Step(opened + rng.uniform(1.0, 20.0), "Click"))
    return sorted(steps, key=lambda s: s.after)


def complains(recipient: str) -> bool:
    """A non-simulator address that complains about what it receives (`...+complaint@domain`)."""
    return address_of(recipient).rpartition("@")[0].lower().endswith("+complaint")


def event_detail(step: Step, mail: OutboundMail, now: datetime, region: str, rng: random.Random) -> dict:
    """The per-type object of the record (`bounce`, `delivery`, ...) for a step happening now."""
    when = iso(now)
    if step.kind == "Send":
        return {}
    if step.kind == "Reject":
        return {"reason": "Bad content"}
    if step.kind == "Rendering Failure":
        return dict(mail.rendering_failure or {})
    if step.kind == "Delivery":
        simulated = all(simulator_scenario(r) is not None for r in step.recipients)
        mta, _ = outbound_mta(region, rng)
        return {
            "timestamp": when,
            "processingTimeMillis": max(1, int((now - mail.timestamp).total_seconds() * 1000)),
            "recipients": list(step.recipients),
            "smtpResponse": _SIMULATOR_SMTP_OK if simulated else rng.choice(_SMTP_OK),
            "remoteMtaIp": rng.choice(_REMOTE_MTA_IPS),
            "reportingMTA": mta,
        }
    if step.kind == "Bounce":
        return _bounce(step, now, region, rng)
    if step.kind == "Complaint":
        return {
            "feedbackId": ses_id(now),
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": step.recipient}],
            "timestamp": when,
            "userAgent": "Amazon SES Mailbox Simulator" if simulator_scenario(step.recipient or "") else "Mail-Feedback/2.0",
            "complaintFeedbackType": "abuse",
            "arrivalDate": iso(mail.timestamp),
        }
    if step.kind == "DeliveryDelay":
        delay_type, status, diagnostic = rng.choice(_DELAYS)
        return {
            "timestamp": when,
            "delayType": delay_type,
            "expirationTime": iso(mail.timestamp + timedelta(hours=12)),
            "delayedRecipients": [{"emailAddress": r, "status": status, "diagnosticCode": diagnostic}
                                  for r in step.recipients],
            "reportingMTA": outbound_mta(region, rng)[1],  # an IP address, as SES reports it here
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
                "bouncedRecipients": [{"emailAddress": r} for r in step.recipients], **detail}
    if step.outcome in ("hard", "no-domain", "permanent"):
        subtype = "General"
        detail["reportingMTA"] = f"dsn; {outbound_mta(region, rng)[0]}"
        if any(simulator_scenario(r) == "bounce" for r in step.recipients):
            detail["remoteMtaIp"] = rng.choice(_REMOTE_MTA_IPS)
    elif step.outcome == "suppressed":
        subtype = "Suppressed"
        detail["reportingMTA"] = "dns; amazonses.com"
    else:
        subtype = "OnAccountSuppressionList"
        detail["reportingMTA"] = "dns; amazonses.com"
    recipients = [_bounced_recipient(r, step.outcome) for r in step.recipients]
    return {"bounceType": "Permanent", "bounceSubType": subtype, "bouncedRecipients": recipients, **detail}


def _bounced_recipient(recipient: str, outcome: str | None) -> dict:
    status, diagnostic = "5.1.1", "smtp; 550 5.1.1 user unknown"
    if outcome == "suppressed":
        diagnostic = _GLOBALLY_SUPPRESSED
    elif outcome == "account-suppressed":
        diagnostic = _ACCOUNT_SUPPRESSED
    elif simulator_scenario(recipient) is None:  # a domain that does not resolve
        domain = address_of(recipient).rpartition("@")[2]
        status = "5.1.2"
        diagnostic = f"smtp; 550 5.1.2 Host or domain name not found. Name service error for name={domain} type=MX"
    return {"emailAddress": recipient, "action": "failed", "status": status, "diagnosticCode": diagnostic}


def outbound_mta(region: str, rng: random.Random) -> tuple[str, str]:
    """One of SES's outbound MTAs: its name and IP address (a8-30.smtp-out... is 54.240.8.30)."""
    a, b = rng.randint(8, 48), rng.randint(1, 250)
    return f"a{a}-{b}.smtp-out.{region}.amazonses.com", f"54.240.{a}.{b}"


def mta_ip(name: str) -> str | None:
    """The IP address of an outbound MTA named by outbound_mta (None for another name)."""
    match = re.match(r"^a(\d+)-(\d+)\.smtp-out\.", name)
    return f"54.240.{match.group(1)}.{match.group(2)}" if match else None


def iso(when: datetime) -> str:
    """ISO 8601 UTC with milliseconds and Z, as SES writes timestamps."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
