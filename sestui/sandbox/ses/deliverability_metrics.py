"""Virtual Deliverability Manager: the account's VDM switch and the daily counts SESv2
`BatchGetMetricData` answers from (namespace `VDM`).

What SES documents for each metric: only mail addressed to exactly one recipient counts, and
never the mailbox simulator's. SEND when SES accepts it; DELIVERY, PERMANENT_BOUNCE (not the
ones the account's suppression list caused), TRANSIENT_BOUNCE and COMPLAINT as they happen;
OPEN and CLICK; DELIVERY_OPEN / DELIVERY_CLICK are the deliveries of mail that can be opened
(an HTML part) / clicked (a link); DELIVERY_COMPLAINT the deliveries to ISPs that send SES
complaints (a feedback loop: Gmail runs none). VDM counts only while it is enabled; each count
lands on the UTC day of its event, by email identity, configuration set and ISP.

The ISP is the recipient's mailbox provider, named as SES names it in the `ISP` dimension (as
measured against SES: `Gmail`, `Hotmail`, `Yahoo`, `Icloud`, `Aol`, `Comcast`, `Gmx`, `Tencent`,
`NetEase`, `ExchangeOnline`); SES finds it from the domain's mail servers, the sandbox from the
domain itself. Everything else is SES's catch-all `Unknown ISP`, which a query cannot name.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, date, datetime

METRICS = ("SEND", "COMPLAINT", "PERMANENT_BOUNCE", "TRANSIENT_BOUNCE", "OPEN", "CLICK", "DELIVERY",
           "DELIVERY_OPEN", "DELIVERY_CLICK", "DELIVERY_COMPLAINT")
DIMENSIONS = ("EMAIL_IDENTITY", "CONFIGURATION_SET", "ISP", "TENANT_NAME")
UNKNOWN_ISP = "Unknown ISP"
ISP_DOMAINS = {
    "Gmail": ("gmail.com", "googlemail.com"),
    "Hotmail": ("hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "outlook.fr", "live.com", "live.fr",
                "msn.com"),
    "Yahoo": ("yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.co.jp", "ymail.com", "rocketmail.com"),
    "Icloud": ("icloud.com", "me.com", "mac.com"),
    "Aol": ("aol.com", "aim.com"),
    "Comcast": ("comcast.net",),
    "Gmx": ("gmx.de", "gmx.net", "gmx.com", "gmx.at"),
    "Tencent": ("qq.com", "foxmail.com"),
    "NetEase": ("163.com", "126.com", "yeah.net"),
}
# Microsoft 365 tenants: SES sees the mail servers; here the tenant's own domain stands in.
_EXCHANGE_ONLINE_SUFFIX = ".onmicrosoft.com"
ISPS = (*ISP_DOMAINS, "ExchangeOnline")
NO_FEEDBACK_LOOP = {"Gmail"}  # the sandbox's other domains complain (`+complaint`): as if through one
_BY_DOMAIN = {domain: isp for isp, domains in ISP_DOMAINS.items() for domain in domains}
_MESSAGES_KEPT = 20000


def isp_of(address: str) -> str:
    domain = address.rpartition("@")[2].strip().lower().rstrip(">")
    if domain.endswith(_EXCHANGE_ONLINE_SUFFIX):
        return "ExchangeOnline"
    return _BY_DOMAIN.get(domain, UNKNOWN_ISP)


class DeliverabilityMetrics:
    """The VDM attributes (PutAccountVdmAttributes) and the counts. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.attributes: dict = {"VdmEnabled": "DISABLED"}
        # (day, metric, identity, configuration set, isp) -> count
        self._counts: dict[tuple[date, str, str, str, str], int] = {}
        # message id -> (identity, configuration set, isp, can be opened, can be clicked)
        self._messages: OrderedDict[str, tuple[str, str, str, bool, bool]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.attributes.get("VdmEnabled") == "ENABLED"

    def put_attributes(self, attributes: dict) -> None:
        with self._lock:
            merged = {**self.attributes, **attributes}
            for key in ("DashboardAttributes", "GuardianAttributes"):  # nested settings merge too
                if isinstance(attributes.get(key), dict):
                    merged[key] = {**(self.attributes.get(key) or {}), **attributes[key]}
            self.attributes = merged

    def sent(self, message_id: str, when: datetime, identity: str, configuration_set: str | None,
             recipient: str, *, html: bool, links: bool) -> None:
        """An accepted single-recipient, non-simulator send (the caller checks both)."""
        if not self.enabled:
            return
        entry = (identity.lower(), configuration_set or "", isp_of(recipient), html, html and links)
        with self._lock:
            self._messages[message_id] = entry
            while len(self._messages) > _MESSAGES_KEPT:
                self._messages.popitem(last=False)
        self._count(when, "SEND", entry)

    def happened(self, message_id: str, when: datetime, kind: str, outcome: str | None = None) -> None:
        """One event of a counted send (others are ignored). `kind`/`outcome` as the simulator's steps."""
        with self._lock:
            entry = self._messages.get(message_id)
        if entry is None or not self.enabled:
            return
        if kind == "Delivery":
            self._count(when, "DELIVERY", entry)
            if entry[3]:
                self._count(when, "DELIVERY_OPEN", entry)
            if entry[4]:
                self._count(when, "DELIVERY_CLICK", entry)
            if entry[2] not in NO_FEEDBACK_LOOP:
                self._count(when, "DELIVERY_COMPLAINT", entry)
        elif kind == "Bounce" and outcome in ("hard", "no-domain", "permanent"):
            self._count(when, "PERMANENT_BOUNCE", entry)
        elif kind == "Bounce" and outcome == "auto-reply":
            self._count(when, "TRANSIENT_BOUNCE", entry)
        elif kind in ("Complaint", "Open", "Click"):
            self._count(when, kind.upper(), entry)

    def add(self, day: date, metric: str, identity: str, configuration_set: str | None, isp: str, n: int) -> None:
        """Counts of a past (the demo's history)."""
        with self._lock:
            key = (day, metric, identity.lower(), configuration_set or "", isp)
            self._counts[key] = self._counts.get(key, 0) + n

    def series(self, metric: str, wanted: dict[str, set[str] | None], start: datetime,
               end: datetime) -> list[tuple[datetime, int]]:
        """(midnight UTC, count) per day from start's day to end's with any count, oldest first.
        `wanted`: dimension -> the values to add up (None: every value)."""
        first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
        totals: dict[date, int] = {}
        with self._lock:
            items = list(self._counts.items())
        for (day, name, identity, configuration_set, isp), n in items:
            if name != metric or not first <= day <= last:
                continue
            values = {"EMAIL_IDENTITY": identity, "CONFIGURATION_SET": configuration_set, "ISP": isp,
                      "TENANT_NAME": ""}
            if all(chosen is None or values[dim] in chosen for dim, chosen in wanted.items()):
                totals[day] = totals.get(day, 0) + n
        return [(datetime(d.year, d.month, d.day, tzinfo=UTC), totals[d]) for d in sorted(totals)]

    def _count(self, when: datetime, metric: str, entry: tuple[str, str, str, bool, bool]) -> None:
        self.add(when.astimezone(UTC).date(), metric, entry[0], entry[1], entry[2], 1)
