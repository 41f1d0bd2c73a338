"""The console knows it started a collector child: until the child checks in, the feed is STARTING
(it said STOPPED, or what an earlier collector left behind, for the first seconds of a demo)."""

from __future__ import annotations

from sestui.core.health import STARTING_MS, feed_state

NOW = 1_800_000_000_000
Q = "https://sqs.eu-west-1.amazonaws.com/123456789012/sestui-ops"


def row(**changes) -> dict:
    base = {"collector_id": "host:1:a", "queue_url": Q, "state": "running", "started": NOW - 60_000,
            "heartbeat": NOW - 500, "last_success": NOW - 700, "last_error": None, "last_error_at": None,
            "events_per_s": 12.5, "backlog": 3}
    return base | changes


def test_a_child_that_has_not_reported_is_starting_not_stopped():
    assert feed_state([], NOW, queue_url=Q).state == "stopped"
    starting = feed_state([], NOW, queue_url=Q, started_ms=NOW - 2_000)
    assert (starting.state, starting.since_ms) == ("starting", NOW - 2_000)


def test_what_an_earlier_collector_left_is_not_the_childs_state():
    earlier = row(state="stopped", heartbeat=NOW - 3_600_000)
    assert feed_state([earlier], NOW, queue_url=Q, started_ms=NOW - 1_000).state == "starting"
    crashed = row(heartbeat=NOW - 600_000)  # an earlier run that stopped reporting: STALE without the child
    assert feed_state([crashed], NOW, queue_url=Q, started_ms=NOW - 1_000).state == "starting"


def test_once_the_child_reports_its_own_state_is_the_truth():
    assert feed_state([row(started=NOW - 1_000, heartbeat=NOW - 200)], NOW, queue_url=Q,
                      started_ms=NOW - 1_500).state == "live"
    ended = row(state="stopped", started=NOW - 1_000, heartbeat=NOW - 100, last_error="queue refused",
                last_error_at=NOW - 100, last_success=None)
    feed = feed_state([ended], NOW, queue_url=Q, started_ms=NOW - 1_500)
    assert (feed.state, feed.error) == ("stopped", "queue refused")


def test_a_live_feed_from_another_collector_stays_live():
    assert feed_state([row()], NOW, queue_url=Q, started_ms=NOW - 1_000).state == "live"


def test_a_child_silent_past_the_starting_time_is_no_longer_starting():
    assert feed_state([], NOW, queue_url=Q, started_ms=NOW - STARTING_MS - 1).state == "stopped"
