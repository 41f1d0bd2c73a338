"""A saved reputation reading (the poller's, up to five minutes old) keeps AWS's figures as AWS
published them, but its local estimates are made again from the store when shown: the demo showed
"0.0% local" for a set whose breakdown held 7.5% hard bounces, read before those events came."""

from __future__ import annotations

from datetime import timedelta

from console_data import NOW, NOW_MS, envelope, record

from sestui.core.events import parse_body
from sestui.core.reputation import CLOUDWATCH, LOCAL, Figure, Rates
from sestui.ops.reputation import Reputation, with_fresh_estimates


def add(store, kind: str, n: int, who: str) -> None:
    body = envelope(record(kind, n, who, NOW - timedelta(minutes=5), NOW - timedelta(minutes=4), "s"))
    store.add([(body, parse_body(body))])


def test_local_estimates_are_made_again_aws_figures_are_kept(store):
    saved = Reputation(Rates(Figure(0.012, CLOUDWATCH, 1), Figure(0.0004, CLOUDWATCH, 1)),
                       [Rates(Figure(0.0, LOCAL), Figure(0.0, LOCAL), "default")], None, 1)
    for n in range(1, 5):
        add(store, "Send", n, f"r{n}@example.org")
    add(store, "Bounce", 1, "r1@example.org")  # Permanent: console_data's default bounce
    fresh = with_fresh_estimates(saved, store, NOW_MS)
    assert fresh.account == saved.account  # AWS's, untouched
    (default,) = fresh.configuration_sets
    assert default.name == "default" and default.bounce.source == LOCAL
    assert default.bounce.value == 1 / 4 and default.complaint.value == 0.0


def test_a_reading_with_only_aws_figures_is_returned_as_it_is(store):
    saved = Reputation(Rates(Figure(0.012, CLOUDWATCH, 1), Figure(0.0004, CLOUDWATCH, 1)),
                       [Rates(Figure(0.03, CLOUDWATCH, 1), Figure(0.001, CLOUDWATCH, 1), "marketing")], None, 1)
    add(store, "Send", 1, "r1@example.org")
    assert with_fresh_estimates(saved, store, NOW_MS) is saved


def test_a_saved_reading_round_trips_through_json():
    """The poller saves the reading as JSON for the console: every field comes back, the time of
    AWS's newest data point (at_ms) included (it was dropped, so the pane showed the poll's time)."""
    import json

    saved = Reputation(Rates(Figure(0.012, CLOUDWATCH, NOW_MS - 3_600_000), Figure(None, LOCAL)),
                       [Rates(Figure(0.03, CLOUDWATCH, NOW_MS - 7_200_000), Figure(0.0, LOCAL), "default")],
                       "cloudwatch:GetMetricData denied", NOW_MS)
    assert Reputation.from_json(json.loads(json.dumps(saved.to_json()))) == saved
