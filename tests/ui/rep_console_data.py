"""Data for the reputation and breakdown pane tests: streams of mail over 14 days in several
configuration sets, campaigns and recipient domains, AWS's figures in a saved snapshot (as the
collector saves them), and a stand-in for CloudWatch's series."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from console_data import NOW, NOW_MS, envelope, fill, record

from sestui.aws.cloudwatch import ReputationSeries
from sestui.core.events import parse_body
from sestui.core.reputation import Figure, Rates
from sestui.ops.reputation import Reputation

HOSTILE_SET = "[bold]promo[/] \x1b[31m"
# (set, campaign, recipient domain, messages per day, hard bounces per day)
STREAMS = [("marketing", "spring", "bounce-heavy.example", 20, 4),
           ("marketing", "newsletter", "example.org", 30, 0),
           ("transactional", "", "example.net", 25, 1),
           (HOSTILE_SET, "", "example.com", 3, 0)]
ACCOUNT = Rates(Figure(0.0123, "cloudwatch", NOW_MS - 3_600_000), Figure(0.00045, "cloudwatch", NOW_MS - 3_600_000))
READING = Reputation(ACCOUNT, [
    Rates(Figure(0.0456, "cloudwatch", NOW_MS - 3_600_000), Figure(0.0002, "cloudwatch", NOW_MS - 3_600_000), "marketing"),
    Rates(Figure(0.04, "local"), Figure(0.0, "local"), "transactional"),
    Rates(Figure(0.0, "local"), Figure(0.0, "local"), HOSTILE_SET),
], None, NOW_MS - 60_000)


def stream_events(days: int = 14) -> list[str]:
    bodies = []
    n = 10_000
    for day in range(days):
        for set_name, campaign, domain, per_day, bounces in STREAMS:
            for i in range(per_day):
                n += 1
                sent = NOW - timedelta(days=day, hours=1, minutes=i)
                kinds = ["Send", "Bounce" if i < bounces else "Delivery"]
                for kind in kinds:
                    rec = record(kind, n, f"u{n}@{domain}", sent, sent + timedelta(seconds=5), "Offer")
                    rec["mail"]["tags"] = {"ses:configuration-set": [set_name], **({"campaign": [campaign]} if campaign else {})}
                    bodies.append(envelope(rec))
    return bodies


def fill_streams(store, *, reading: Reputation | None = READING) -> None:
    """console_data's messages, the streams above, and (unless None) AWS's figures saved as the
    collector saves them: inside the account snapshot's status."""
    fill(store)
    store.add([(body, parse_body(body)) for body in stream_events()], received_ms=NOW_MS)
    if reading is not None:
        status = dict(store.account_snapshot(ok_only=True)["status"], reputation=reading.to_json())
        store.save_account_snapshot(taken_ms=NOW_MS - 1000, profile="prod", region="us-east-1", status=status)


def series_for_days(daily: list[float]) -> list[tuple[datetime, float]]:
    """A point at 23:00 UTC of each of the 14 days (the last: today, 11:00), values as given."""
    today = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    points = []
    for i, value in enumerate(daily):
        day = today - timedelta(days=len(daily) - 1 - i)
        points.append((min(day + timedelta(hours=23), NOW - timedelta(hours=1)), value))
    return points


class CloudWatchOnly:
    """An `Aws` that has only `metrics.reputation` (what the reputation pane asks when a reading
    is saved), returning the series given, and counting the calls."""

    def __init__(self, series: dict[str | None, ReputationSeries]):
        self.calls: list[tuple] = []

        def reputation(sets, start, end, *, period=3600):
            self.calls.append((tuple(sets), start, end, period))
            return series

        self.metrics = SimpleNamespace(reputation=reputation)


ACCOUNT_DAILY = [0.010, 0.011, 0.010, 0.012, 0.013, 0.012, 0.011, 0.012, 0.013, 0.012, 0.012, 0.013, 0.0125, 0.0123]
MARKETING_DAILY = [0.02 + 0.002 * i for i in range(13)] + [0.0456]


def cloudwatch() -> CloudWatchOnly:
    return CloudWatchOnly({
        None: ReputationSeries(None, series_for_days(ACCOUNT_DAILY), series_for_days([0.00045] * 14)),
        "marketing": ReputationSeries("marketing", series_for_days(MARKETING_DAILY), series_for_days([0.0002] * 14)),
    })

