"""Realistic SES traffic for the benchmarks: SES records as SNS delivers them to SQS.

Deterministic for a seed. The mix is that of a transactional sender: every message has a Send,
almost all a Delivery, some are opened and clicked, a few bounce (mostly hard), delay, complain,
are rejected or fail to render; about 5% go to several recipients; recipients recur across
messages (customers get more than one mail), with a few heavy recipients. Records carry headers
and tags as configuration-set event publishing writes them; SQS redelivers a few bodies.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from typing import Iterator

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:ses-events"
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "example.org", "example.net",
           "mail.example.de", "corp.example.co.uk", "web.example.fr"]
SENDERS = [("Billing", "billing@shop.example.com"), ("Shop", "orders@shop.example.com"),
           ("News", "news@shop.example.com"), ("Security", "no-reply@shop.example.com")]
SUBJECTS = ["Your receipt #{n}", "Order {n} has shipped", "Reset your password", "Your weekly digest",
            "Invoice {n} is available", "Welcome aboard!", "Flash sale: 20% off today",
            "Votre commande {n} est en route", "Ihre Bestellung {n}", "\U0001f381 A gift for you"]
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
]
HARD_BOUNCES = [("General", "smtp; 550 5.1.1 user unknown"), ("NoEmail", "smtp; 550 5.1.1 <{r}>: Recipient address rejected"),
                ("Suppressed", "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address."),
                ("OnAccountSuppressionList", "Amazon SES did not send the message to this address because it is on the suppression list for your account.")]
SOFT_BOUNCES = [("MailboxFull", "smtp; 552 5.2.2 Mailbox full"), ("General", "smtp; 421 4.7.0 Try again later"),
                ("ContentRejected", "smtp; 554 5.7.1 Message rejected as spam")]
DELAYS = [("MailboxFull", "smtp; 452 4.2.2 Mailbox full"),
          ("TransientCommunicationFailure", "smtp; 421 4.4.1 Unable to connect to remote host"),
          ("SpamDetected", "smtp; 451 4.7.1 Greylisted, try again later")]

EPOCH = datetime(2024, 5, 1, tzinfo=timezone.utc)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class Traffic:
    """Generates the records of successive messages."""

    def __init__(self, seed: int = 1, recipients: int = 30_000):
        self.rng = random.Random(seed)
        self.clock = EPOCH
        self.serial = 0
        self.pool = [self._address(i) for i in range(recipients)]

    def _address(self, i: int) -> str:
        rng = self.rng
        first = rng.choice(["ana", "bo", "cy", "dee", "eve", "fay", "gus", "hal", "ida", "jo", "kim", "lee"])
        return f"{first}.{rng.choice(['lopez', 'smith', 'muller', 'rossi', 'dubois', 'tanaka'])}{i}@{rng.choice(DOMAINS)}"

    def recipient(self) -> str:
        # Heavy-tailed reuse: a few addresses get much more mail than most.
        i = min(int(self.rng.paretovariate(1.2)) - 1, len(self.pool) - 1) if self.rng.random() < 0.2 \
            else self.rng.randrange(len(self.pool))
        return self.pool[i]

    def message_records(self) -> list[dict]:
        """All records of one message, in the order SES would publish them."""
        rng = self.rng
        self.serial += 1
        self.clock += timedelta(milliseconds=rng.randint(5, 400))
        sent = self.clock
        n_rcpt = 1 if rng.random() < 0.95 else rng.randint(2, 5)
        rcpts = list(dict.fromkeys(self.recipient() for _ in range(n_rcpt)))
        name, sender = rng.choice(SENDERS)
        subject = rng.choice(SUBJECTS).format(n=10_000 + self.serial)
        message_id = (f"{int(sent.timestamp() * 1000):016x}-{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-"
                      f"{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}-000000")
        mail = self._mail(message_id, sent, f"{name} <{sender}>", rcpts, subject)
        records = [{"eventType": "Send", "mail": mail, "send": {}}]

        if rng.random() < 0.001:
            return [{"eventType": "Reject", "mail": mail, "reject": {"reason": "Bad content"}}]
        if rng.random() < 0.001:
            return [{"eventType": "Rendering Failure", "mail": mail,
                     "failure": {"templateName": "Receipt", "errorMessage": "Attribute 'total' is not present in the rendering data."}}]
        later = sent
        for rcpt in rcpts:
            roll = rng.random()
            later = sent + timedelta(milliseconds=rng.randint(300, 4000))
            if roll < 0.01:
                delay_type, diag = rng.choice(DELAYS)
                records.append({"eventType": "DeliveryDelay", "mail": mail, "deliveryDelay": {
                    "timestamp": iso(later), "delayType": delay_type,
                    "expirationTime": iso(sent + timedelta(hours=24)), "reportingMTA": "a27-31.smtp-out.eu-west-1.amazonses.com",
                    "delayedRecipients": [{"emailAddress": rcpt, "status": "4.4.1", "diagnosticCode": diag}]}})
                later += timedelta(minutes=rng.randint(5, 60))
            if roll < 0.025:
                hard = rng.random() < 0.8
                sub, diag = rng.choice(HARD_BOUNCES if hard else SOFT_BOUNCES)
                records.append({"eventType": "Bounce", "mail": mail, "bounce": {
                    "bounceType": "Permanent" if hard else "Transient", "bounceSubType": sub,
                    "bouncedRecipients": [{"emailAddress": rcpt, "action": "failed", "status": "5.1.1" if hard else "4.2.2",
                                           "diagnosticCode": diag.format(r=rcpt)}],
                    "timestamp": iso(later), "feedbackId": f"{message_id[:16]}-{rng.getrandbits(64):016x}-000000",
                    "reportingMTA": "dsn; a27-30.smtp-out.eu-west-1.amazonses.com"}})
                continue
            records.append({"eventType": "Delivery", "mail": mail, "delivery": {
                "timestamp": iso(later), "processingTimeMillis": int((later - sent) / timedelta(milliseconds=1)),
                "recipients": [rcpt], "smtpResponse": "250 2.0.0 OK  1715679000 a640c23a62f3a-a5a1sor12345",
                "reportingMTA": "a8-70.smtp-out.amazonses.com", "remoteMtaIp": f"198.51.100.{rng.randint(1, 254)}"}})
            if rng.random() < 0.001:
                records.append({"eventType": "Complaint", "mail": mail, "complaint": {
                    "complainedRecipients": [{"emailAddress": rcpt}], "timestamp": iso(later + timedelta(hours=2)),
                    "feedbackId": f"{message_id[:16]}-{rng.getrandbits(64):016x}-000000",
                    "userAgent": "Yahoo!-Mail-Feedback/2.0", "complaintFeedbackType": "abuse",
                    "arrivalDate": iso(later + timedelta(hours=2))}})
            if rng.random() < 0.25:
                opened = later + timedelta(seconds=rng.randint(10, 7200))
                ua, ip = rng.choice(USER_AGENTS), f"203.0.113.{rng.randint(1, 254)}"
                records.append({"eventType": "Open", "mail": mail, "open": {
                    "ipAddress": ip, "timestamp": iso(opened), "userAgent": ua}})
                if rng.random() < 0.3:
                    records.append({"eventType": "Click", "mail": mail, "click": {
                        "ipAddress": ip, "timestamp": iso(opened + timedelta(seconds=rng.randint(2, 120))),
                        "userAgent": ua, "link": f"https://shop.example.com/orders/{10_000 + self.serial}?utm_source=mail",
                        "linkTags": {"campaign": ["transactional"]}}})
        return records

    def _mail(self, message_id: str, sent: datetime, source: str, rcpts: list[str], subject: str) -> dict:
        sender = source.split("<")[1].rstrip(">")
        return {
            "timestamp": iso(sent), "source": source,
            "sourceArn": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/shop.example.com",
            "sendingAccountId": ACCOUNT, "messageId": message_id, "destination": rcpts,
            "headersTruncated": False,
            "headers": [
                {"name": "From", "value": source}, {"name": "To", "value": ", ".join(rcpts)},
                {"name": "Subject", "value": subject}, {"name": "MIME-Version", "value": "1.0"},
                {"name": "Content-Type", "value": f'multipart/alternative; boundary="----=_Part_{self.serial}_{message_id[:8]}"'},
                {"name": "X-SES-CONFIGURATION-SET", "value": "sestui-events"},
            ],
            "commonHeaders": {"from": [source], "to": rcpts, "messageId": message_id, "subject": subject},
            "tags": {
                "ses:configuration-set": ["sestui-events"], "ses:source-ip": ["192.0.2.10"],
                "ses:from-domain": [sender.split("@")[1]], "ses:caller-identity": ["shop-mailer"],
                "ses:outgoing-ip": ["198.51.100.25"], "campaign": ["transactional"],
            },
        }

    def records(self) -> Iterator[dict]:
        while True:
            yield from self.message_records()


def sns_body(record: dict, serial: int, *, one_line: bool = True) -> str:
    """The SQS body SNS delivers (raw delivery off): `Message` is the record as a JSON string.
    SNS lays the envelope out over lines; `one_line` gives it as `jq -c` would, for JSON Lines."""
    message = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    envelope = {
        "Type": "Notification",
        "MessageId": f"{serial:08x}-1b3d-5e7f-9a0b-2c4d6e8f0a1b",
        "TopicArn": TOPIC_ARN,
        "Subject": "Amazon SES Email Event Notification",
        "Message": message,
        "Timestamp": record["mail"]["timestamp"],
        "SignatureVersion": "1",
        "Signature": "EXAMPLEw6JRNwm1LFQL4ICB0bnXrdB8ClRMTQFGBqwLpGbM78tJ4etTwC5zU7O3tS6tGpey3ejedNdOJ+1fkIp9F2/LmNVKb5aFlYq+9rk9ZiPph5YlLmWsDcyC5T+Sy9/umic5S0UQc2PEtgdpVBahwNOdMW4JPwk0kAJJztnc=",
        "SigningCertURL": f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC_ARN}:c9135db0-26c4-47ec-8998-413945fb5a96",
    }
    if one_line:
        return json.dumps(envelope, ensure_ascii=False)
    return json.dumps(envelope, ensure_ascii=False, indent=2, separators=(",", " : "))


def bodies(n: int, seed: int = 1, duplicate_rate: float = 0.005) -> list[str]:
    """`n` SQS bodies, of which about `duplicate_rate` are SQS redeliveries of an earlier body."""
    traffic = Traffic(seed, recipients=max(1000, n // 3))
    rng = random.Random(seed + 1)
    out: list[str] = []
    records = traffic.records()
    while len(out) < n:
        if out and rng.random() < duplicate_rate:
            out.append(out[rng.randrange(max(0, len(out) - 500), len(out))])  # redelivered soon after
        else:
            out.append(sns_body(next(records), len(out)))
    return out
