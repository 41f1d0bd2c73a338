"""The traffic generator: an application sending mail through the SES API at a steady rate.

The mix: a few percent bounces, about one complaint in a thousand, some out-of-office replies and
suppressed addresses (all through the mailbox simulator), and otherwise deliveries: to
ordinary-looking example.com / example.net addresses when the account has production access
(where a share is delayed first), to success@ in the SES sandbox. Most messages have an HTML part
with a link, so a share is opened and clicked. It uses SESv2 simple sends mostly, SES v1 and
raw MIME sends too, with and without naming the configuration set. With production access a
share goes to domains that do not resolve (.invalid), whose bounces, unlike the simulator's,
count in the account's statistics. A share of the mail is marketing: campaigns (the `campaign`
tag) sent through the "marketing" configuration set to recipient domains of their own, each
with its bounce profile (unresolvable .invalid domains bounce, `+complaint` addresses complain;
both count, unlike the simulator's): "spring-sale", a bought list, is the one that drives the
set toward the review line (the set's mail hard-bounces at about 5.7%, past the 5% line, so the
reputation pane projects when AWS's figure gets there); after the first `BOUGHT_LIST_AFTER` sends
(a few minutes at the demo's pace, for that projection to be seen) its bought list goes really
bad (a bounce in seven, a complaint in five: the stream the demo's guard pauses). The
uncommon event types come from `scenarios`: all of them in the first sends, then one send in
`scenarios.EVERY`.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
import unicodedata
from collections import Counter, deque
from collections.abc import Callable
from email.message import EmailMessage

from botocore.exceptions import BotoCoreError, ClientError

from ..ses.outbound_mail import SIMULATOR_DOMAIN
from ..ses.settings import AccountSettings
from . import scenarios
from .sdk_clients import Clients

log = logging.getLogger(__name__)

INVALID_DOMAIN_SHARE = 0.015
UNSUBSCRIBE_AFTER_S = 3.0  # a newsletter's recipient opts out this long after it was sent
_INVALID_DOMAINS = ("old-shop.invalid", "mail.typo.invalid", "example-corp.invalid")
SIMULATED_OUTCOMES = (("bounce", 0.03), ("ooto", 0.01), ("suppressionlist", 0.005), ("complaint", 0.001))
MARKETING_SHARE = 0.3
# campaign -> (share of the marketing mail, hard-bounce share, complaint share, recipient domains)
CAMPAIGNS = {
    "spring-sale": (0.35, 0.12, 0.002, ("example.org", "mail.example.net")),
    "newsletter": (0.45, 0.015, 0.0005, ("example.com", "example.net")),
    "win-back": (0.2, 0.04, 0.001, ("example.org",)),
}
# After this many sends "spring-sale" mails its bought list: (its share of the marketing mail,
# hard-bounce share, complaint share). The marketing set's complaint rate climbs to about 10%.
BOUGHT_LIST_AFTER = 600
BOUGHT_LIST = (0.6, 0.15, 0.2)
_SENDERS = ("Example Shop <orders@{}>", "Example Accounts <no-reply@{}>", "Example News <news@{}>")
_NAMES = ("Ana", "Ben", "Chloé", "Dmitri", "Eve", "Farid", "Grace", "Hiro", "Inès", "Jonas", "Kofi", "Lena",
          "Mateo", "Nora", "Omar", "Priya")
_SURNAMES = ("silva", "okafor", "müller", "tanaka", "dubois", "novak", "haddad", "kowalski", "reyes", "lindqvist")
_SUBJECTS = (
    ("receipts", "Your order #{n} has shipped", "orders/{n}"),
    ("receipts", "Receipt for your payment of ${amount}", "billing/receipts/{n}"),
    ("password-reset", "Reset your password", "account/reset?token={n}"),
    ("welcome", "Welcome to Example, {name}!", "welcome"),
    ("digest", "Your weekly digest: {k} new updates", "digest/{n}"),
    ("verify", "Action required: confirm your email address", "verify?code={n}"),
    ("billing", "Invoice INV-{n} is available", "billing/invoices/{n}"),
    ("renewal", "{name}, your subscription renews in {k} days", "account/subscription"),
)


class TrafficGenerator:
    def __init__(self, make_clients: Callable[[], Clients], identity: str, configuration_set: str | None,
                 settings: AccountSettings, rng: random.Random, rate: float = 0.0,
                 marketing_set: str | None = None):
        self._make_clients = make_clients
        self._identity = identity
        self._configuration_set = configuration_set
        self._marketing_set = marketing_set
        self._settings = settings
        self._rng = rng
        self._rate = max(0.0, rate)
        self._first = 1000
        self._serial = itertools.count(self._first)
        self._wake = threading.Event()
        self._sending = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.errors: Counter[str] = Counter()
        self._opening = deque(scenarios.OPENING)
        self._rotation = itertools.cycle(scenarios.OPENING)
        self._unsubscribes: deque[tuple[float, str]] = deque()  # (when, address)

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        """Change the pace; returns once no send is under way at the old one (so that after
        set_rate(0) nothing more is sent)."""
        if rate < 0:
            raise ValueError("rate must be at least 0")
        with self._sending:
            self._rate = rate
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-traffic", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._wake.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        senders: dict = {}
        next_at = time.monotonic()
        while not self._stopping.is_set():
            rate, now = self._rate, time.monotonic()
            if rate <= 0 or next_at > now:
                self._wake.wait(1.0 if rate <= 0 else next_at - now)
                self._wake.clear()
                if rate <= 0:
                    next_at = time.monotonic()
                continue
            if not senders:
                clients = self._make_clients()
                senders = {"v1": clients.ses, "v2": clients.sesv2}
                self._call(scenarios.prepare, clients.sesv2)
            with self._sending:
                if self._rate > 0:
                    self._send_one(senders)
            # Keep the pace; after a stall, resume rather than burst to catch up.
            next_at = max(next_at + 1.0 / rate, time.monotonic() - 1.0)

    def _call(self, fn, *args) -> bool:
        try:
            fn(*args)
            return True
        except ClientError as exc:
            self.errors[exc.response.get("Error", {}).get("Code", "Unknown")] += 1
            log.debug("traffic send refused: %s", exc)
        except BotoCoreError as exc:
            self.errors[type(exc).__name__] += 1
            log.debug("traffic send failed: %s", exc)
        return False

    def _send_one(self, senders: dict) -> None:
        n = next(self._serial)
        scenario = self._opening.popleft() if self._opening else next(self._rotation) if n % scenarios.EVERY == 0 else None
        while self._unsubscribes and self._unsubscribes[0][0] <= time.monotonic():
            self._call(scenarios.unsubscribe, senders["v2"], self._unsubscribes.popleft()[1])
        if scenario is not None:
            source = self._rng.choice(_SENDERS).format(self._identity)
            ordinary = self._ordinary(self._rng.choice(_NAMES), n)
            config = {"ConfigurationSetName": self._configuration_set} if self._configuration_set else {}
            outcome: list = []
            if self._call(lambda: outcome.append(scenarios.run(scenario, senders["v2"], source, n, ordinary, config))):
                self.sent += 1
                if outcome and outcome[0]:
                    self._unsubscribes.append((time.monotonic() + UNSUBSCRIBE_AFTER_S, outcome[0]))
            return
        self._send_ordinary(senders, n)

    def _send_ordinary(self, senders: dict, n: int) -> None:
        rng = self._rng
        name = rng.choice(_NAMES)
        tag, subject, path = rng.choice(_SUBJECTS)
        subject = subject.format(n=n, name=name, k=rng.randint(2, 30), amount=f"{rng.uniform(5, 400):.2f}")
        link = f"https://www.example.com/{path.format(n=n)}"
        text = f"Hi {name},\n\n{subject}.\n\nDetails: {link}\n"
        html = f'<html><body><p>Hi {name},</p><p>{subject}.</p><p><a href="{link}">View details</a></p></body></html>'
        source = rng.choice(_SENDERS).format(self._identity)
        if self._marketing_set and rng.random() < MARKETING_SHARE:
            campaigns = self._campaigns(n)
            tag = rng.choices(list(campaigns), [share for share, *_ in campaigns.values()])[0]
            recipient = self._campaign_recipient(campaigns[tag], name, n)
            config = {"ConfigurationSetName": self._marketing_set}
        else:
            recipient = self._recipient(name, n)
            config = {"ConfigurationSetName": self._configuration_set} if self._configuration_set and rng.random() < 0.2 else {}
        style = rng.random()

        def send() -> None:
            if style < 0.7:
                senders["v2"].send_email(
                    FromEmailAddress=source, Destination={"ToAddresses": [recipient]},
                    Content={"Simple": {"Subject": {"Data": subject},
                                        "Body": {"Text": {"Data": text}, "Html": {"Data": html}}}},
                    EmailTags=[{"Name": "campaign", "Value": tag}], **config,
                )
            elif style < 0.85:
                senders["v1"].send_email(
                    Source=source, Destination={"ToAddresses": [recipient]},
                    Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}},
                    Tags=[{"Name": "campaign", "Value": tag}], **config,
                )
            else:
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = source, recipient, subject
                message["Message-ID"] = f"<{tag}-{n}@{self._identity}>"
                message.set_content(text)
                message.add_alternative(html, subtype="html")
                senders["v2"].send_email(
                    Content={"Raw": {"Data": message.as_bytes()}}, EmailTags=[{"Name": "campaign", "Value": tag}],
                    **config,
                )

        if self._call(send):
            self.sent += 1

    def _recipient(self, name: str, n: int) -> str:
        roll, bound = self._rng.random(), 0.0
        for scenario, share in SIMULATED_OUTCOMES:
            bound += share
            if roll < bound:
                return f"{scenario}+m{n}@{SIMULATOR_DOMAIN}"
        if self._settings.production_access_enabled and roll < bound + INVALID_DOMAIN_SHARE:
            return f"{name.lower()}.m{n}@{self._rng.choice(_INVALID_DOMAINS)}"
        return self._ordinary(name, n)

    def _campaigns(self, n: int) -> dict[str, tuple]:
        """CAMPAIGNS, with spring-sale's bought list once `BOUGHT_LIST_AFTER` sends have gone."""
        if n - self._first < BOUGHT_LIST_AFTER:
            return CAMPAIGNS
        domains = CAMPAIGNS["spring-sale"][3]
        return {**CAMPAIGNS, "spring-sale": (*BOUGHT_LIST, domains)}

    def _campaign_recipient(self, campaign: tuple, name: str, n: int) -> str:
        """Someone on the campaign's list: at a domain that does not resolve, one who complains,
        or one who reads it (success@ in the SES sandbox, where only the simulator is reachable)."""
        if not self._settings.production_access_enabled:
            return f"success+m{n}@{SIMULATOR_DOMAIN}"
        _, bounces, complaints, domains = campaign
        roll, rng = self._rng.random(), self._rng
        local = unicodedata.normalize("NFKD", f"{name}.{rng.choice(_SURNAMES)}{rng.randint(1, 99)}".lower())
        local = local.encode("ascii", "ignore").decode()
        if roll < bounces:
            return f"{local}@{rng.choice(domains).replace('.', '-')}.invalid"
        if roll < bounces + complaints:
            return f"{local}+complaint@{rng.choice(domains)}"
        return f"{local}@{rng.choice(domains)}"

    def _ordinary(self, name: str, n: int) -> str:
        """An address that is delivered to: a made-up person (production), success@ otherwise."""
        rng = self._rng
        if self._settings.production_access_enabled:
            domain = rng.choice(("example.com", "example.net"))
            local = f"{name}.{rng.choice(_SURNAMES)}{rng.randint(1, 99)}".lower()
            return unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode() + f"@{domain}"
        return f"success+m{n}@{SIMULATOR_DOMAIN}"
