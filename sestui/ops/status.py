"""`sestui status`: the account's health for cron, Nagios, Icinga or a shell script.

One JSON object (or one Nagios plugin line with performance data), and the plugin exit codes:
0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. What counts:
- the account's bounce and complaint rates (AWS's figure, or the labelled estimate) against the
  review (WARNING) and pause (CRITICAL) lines, or the `--warning`/`--critical` overrides;
- a configuration set's rates when AWS publishes them (a local figure is shown, never paged on:
  a small set's few events make a noisy ratio);
- sending disabled or enforcement SHUTDOWN (CRITICAL), PROBATION (WARNING), the daily quota used up
  (CRITICAL) or nearly (WARNING, 90%); a configuration set's sending paused (WARNING: a guard's kill
  switch, or a person's);
- the feed STALE or STOPPED (WARNING);
- AWS unreachable or the account unreadable: UNKNOWN.
When a collector of the database read AWS's rates within its re-read interval, those are the figures
(as its metrics endpoint serves them: the two agree), not a reading of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sestui.aws import AwsError
from sestui.core import health
from sestui.core.reputation import (CLOUDWATCH, CRITICAL, OK, THRESHOLDS, UNKNOWN, WARNING, Rates,
                                    level, worst)
from sestui.ops import reputation
from sestui.ops.poller import Poller
from sestui.store import Store, iso_ms

FEED_NAMES = {"live": "LIVE", "stale": "STALE", "stopped": "STOPPED", "none": "NO FEED"}
QUOTA_WARNING = 0.9
# A collector reads AWS's rates again every Poller.REPUTATION_EVERY_MS, at its next account poll:
# a reading older than that and a minute is not a running collector's.
COLLECTOR_READING_MS = Poller.REPUTATION_EVERY_MS + 60_000


@dataclass(frozen=True)
class Limits:
    """Overrides of AWS's lines: kind (bounce | complaint) -> fraction."""

    warning: dict[str, float] = field(default_factory=dict)
    critical: dict[str, float] = field(default_factory=dict)


def parse_limit(text: str) -> tuple[str, float]:
    """`bounce=0.04`, `complaint=0.08%` -> ("bounce", 0.04) / ("complaint", 0.0008)."""
    kind, sep, value = text.partition("=")
    kind = kind.strip().lower()
    if not sep or kind not in THRESHOLDS:
        raise ValueError(f"{text!r}: use bounce=FRACTION or complaint=FRACTION (e.g. bounce=0.04 or bounce=4%)")
    value = value.strip()
    try:
        number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise ValueError(f"{text!r}: {value!r} is not a number") from None
    if not 0 <= number <= 1:
        raise ValueError(f"{text!r}: a rate is between 0 and 1 (or 0% and 100%)")
    return kind, number


def report(aws, store: Store, *, now_ms: int, queue_url: str | None, limits: Limits = Limits()) -> dict[str, Any]:
    """Everything `sestui status` says, as the JSON object of the script contract."""
    problems: list[tuple[str, str]] = []  # (state, why)
    account: dict[str, Any] = {"production": None, "sending_enabled": None, "enforcement_status": None}
    quota: dict[str, Any] = {"max_24h": None, "sent_24h": None, "max_rate": None}
    try:
        status = aws.ses.account_status()
    except AwsError as exc:
        problems.append((UNKNOWN, f"account: {exc}"))
    else:
        account = {"production": status.production_access, "sending_enabled": status.sending_enabled,
                   "enforcement_status": status.enforcement_status}
        quota = {"max_24h": status.max_24_hour_send, "sent_24h": status.sent_last_24_hours,
                 "max_rate": status.max_send_rate}
        problems += _account_problems(account, quota)
    rep = collector_reading(aws, store, now_ms) or reputation.read(aws, store, now_ms=now_ms)
    if rep.error:
        estimated = any(f.value is not None for r in (rep.account, *rep.configuration_sets) for f in (r.bounce, r.complaint))
        shown = "estimates shown" if estimated else "and no local estimate to show (no sends counted yet)"
        problems.append((OK, f"AWS's rates unavailable, {shown}: {rep.error}"))
    problems += _rate_problems("account", rep.account, limits, paged=True)
    sets = []
    for rates in rep.configuration_sets:
        problems += _rate_problems(f"configuration set {rates.name}", rates, limits,
                                   paged=rates.bounce.source == CLOUDWATCH)
        sending = _set_sending(aws, rates.name)
        if sending is False:
            problems.append((WARNING, f"configuration set {rates.name}: sending paused (SES refuses mail through it;"
                                      f" `sestui resume --configuration-set {rates.name}`)"))
        sets.append({**rates.to_json(), "sending_enabled": sending})
    feed = _feed(store, now_ms, queue_url)
    if feed["state"] in ("STALE", "STOPPED"):
        problems.append((WARNING, f"feed {feed['state']}" + (f": {feed['reason']}" if feed.get("reason") else "")))
    state = worst([s for s, _ in problems])
    return {
        "status": state,
        "summary": _summary(state, rep.account, problems),
        "account": account,
        "quota": quota,
        "rates": rep.account.to_json(),
        "configuration_sets": sets,
        "feed": feed,
        "problems": [{"status": s, "message": m} for s, m in problems],
    }


def _set_sending(aws, name: str | None) -> bool | None:
    """GetConfigurationSet's SendingEnabled (a guard's pause, or a person's); None when unknown."""
    if not name:
        return None
    try:
        found = aws.configuration_sets.get(name)
    except AwsError:
        return None  # the account's reading already says what is wrong with AWS
    return None if found is None else found.sending_enabled


def collector_reading(aws, store: Store, now_ms: int) -> reputation.Reputation | None:
    """AWS's figures as a running collector of this database last read them for this account and
    region (the figures its metrics endpoint serves), its local estimates counted again now; None
    when it read none within its re-read interval (and an account poll), or could not read them."""
    snapshot = store.account_snapshot(ok_only=True)
    if (snapshot is None or snapshot["region"] != getattr(aws, "region", None)
            or snapshot["profile"] != getattr(aws, "profile", None)):
        return None
    reading = reputation.Reputation.from_json((snapshot["status"] or {}).get("reputation"))
    if reading is None or reading.error or not 0 <= now_ms - (reading.taken_ms or 0) <= COLLECTOR_READING_MS:
        return None
    return reputation.with_fresh_estimates(reading, store, now_ms)


def _account_problems(account: dict[str, Any], quota: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    if account["sending_enabled"] is False:
        out.append((CRITICAL, "sending is disabled for the account"))
    enforcement = account["enforcement_status"]
    if enforcement == "SHUTDOWN":
        out.append((CRITICAL, "enforcement status SHUTDOWN"))
    elif enforcement == "PROBATION":
        out.append((WARNING, "enforcement status PROBATION (under review)"))
    sent, most = quota["sent_24h"], quota["max_24h"]
    if sent is not None and most not in (None, -1) and most > 0:
        if sent >= most:
            out.append((CRITICAL, f"daily quota used up: {sent:,.0f} of {most:,.0f} in the last 24 h"))
        elif sent >= QUOTA_WARNING * most:
            out.append((WARNING, f"daily quota {sent / most:.0%} used"))
    return out


def _rate_problems(where: str, rates: Rates, limits: Limits, *, paged: bool) -> list[tuple[str, str]]:
    out = []
    for kind, figure in (("bounce", rates.bounce), ("complaint", rates.complaint)):
        state = level(figure.value, THRESHOLDS[kind], warning=limits.warning.get(kind),
                      critical=limits.critical.get(kind))
        if state == UNKNOWN or state == OK:
            continue
        note = "" if paged else " - a local estimate for one set: shown, not paged on"
        out.append((state if paged else OK,
                    f"{where}: {kind} rate {_percent(figure.value, kind)} ({figure.source}){note}"))
    return out


def _feed(store: Store, now_ms: int, queue_url: str | None) -> dict[str, Any]:
    rows = store.collector_states()
    feed = health.feed_state(rows, now_ms, queue_url=queue_url, db_path=store.identity)  # as the console's header
    state = FEED_NAMES.get(feed.state, feed.state.upper())
    if queue_url is None and not rows:
        state = "NO FEED"
    newest = store.latest(1)
    out: dict[str, Any] = {"state": state, "events_per_s": feed.events_per_s, "backlog": feed.backlog,
                           "last_event": iso_ms(newest[0]["ts"]) if newest else None}
    if feed.error:
        out["reason"] = feed.error
    if feed.since_ms:
        out["since"] = iso_ms(feed.since_ms)
    if state == "NO FEED" and queue_url is None:
        out["reason"] = "no queue configured: `sestui setup` creates one"
    return out


def _percent(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if kind == "bounce" else f"{value:.3%}"


def _summary(state: str, rates: Rates, problems: list[tuple[str, str]]) -> str:
    worst_first = [m for s, m in sorted(problems, key=lambda p: p[0] == OK) if s != OK]
    figures = (f"bounce {_percent(rates.bounce.value, 'bounce')} ({rates.bounce.source}), "
               f"complaint {_percent(rates.complaint.value, 'complaint')} ({rates.complaint.source})")
    return "; ".join([figures, *worst_first])


def nagios_line(data: dict[str, Any]) -> str:
    """`SESTUI WARNING - ... | bounce=0.0612;0.05;0.1;0;1 complaint=...` (plugin output + perfdata)."""
    perf = []
    for kind in ("bounce", "complaint"):
        figure = data["rates"][kind]
        if figure["value"] is not None:
            perf.append(f"{kind}={figure['value']:.6g};{figure['review']:g};{figure['pause']:g};0;1")
    line = f"SESTUI {data['status']} - {data['summary']}"
    return line + (" | " + " ".join(perf) if perf else "")

