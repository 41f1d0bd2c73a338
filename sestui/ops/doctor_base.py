"""The vocabulary of `sestui doctor`: a check's result, the options, what the checks found."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"
SIMULATOR_SUCCESS = "success@simulator.amazonses.com"
STALE_EVENTS_MS = 24 * 3600 * 1000
DISCOVERY_LIMIT = 25  # configuration sets or identities examined when the operator named none

_QUEUE_URL_REGION = (
    re.compile(r"^https?://sqs[.-]([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"),
    re.compile(r"^https?://([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?/"),
)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK | WARN | FAIL | SKIP
    detail: str
    fix: str = ""


@dataclass
class DoctorOptions:
    queue_url: str | None
    identity: str | None = None
    configuration_set: str | None = None
    topic_arn: str | None = None
    send: bool = True
    timeout: float = 60.0
    verify_signatures: bool = False
    not_sent: str = "not sent (--no-send)"  # the round trip's SKIP detail when `send` is off
    missing_database: str | None = None  # `no database at PATH`: the checks read an empty stand-in


@dataclass
class Facts:
    """What the checks found, for the later checks (and the caller's summary line)."""

    account: str | None = None
    queue_arn: str | None = None
    queue_attributes: dict = field(default_factory=dict)
    topic_arn: str | None = None
    topic_source: str = ""
    subscription: dict | None = None
    configuration_set: str | None = None
    identity: str | None = None
    collector_live: bool = False
    round_trip_message_id: str | None = None  # the test message, once SES took it


def queue_region(queue_url: str) -> str | None:
    """The region an AWS queue URL names (None for an emulator's URL)."""
    if re.match(r"^https?://queue\.amazonaws\.com/", queue_url):
        return "us-east-1"
    for pattern in _QUEUE_URL_REGION:
        match = pattern.match(queue_url)
        if match:
            return match.group(1)
    return None


def queue_url_parts(queue_url: str) -> tuple[str | None, str]:
    """(account id, queue name) from a queue URL's path."""
    parts = [p for p in queue_url.split("?")[0].split("/") if p]
    name = parts[-1] if parts else queue_url
    account = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else None
    return account, name


def failed(checks: list[Check]) -> bool:
    return any(c.status == FAIL for c in checks)


def count_text(n: float | None) -> str:
    if n is None:
        return "?"
    return "unlimited" if n < 0 else f"{int(n):,}"

