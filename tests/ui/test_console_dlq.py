"""The dead-letter queue in the console (issue 11, item 2): its depth in the header, and D redrives
it (asked first, refused read-only) so that the collector stores each message exactly once."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from polling import wait_for
from test_console_aws import make_app, run, settle, until

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ops"))
import test_holding  # noqa: E402  (the queue helpers of the ops tests)
from test_holding import fill, queue_count, record  # noqa: E402

from sestui.store import now_ms  # noqa: E402

wired_queue = test_holding.wired_queue  # the fixture: (queue url, DLQ url), wired as `sestui setup` wires it


def report_dlq(store, url: str, depth: int) -> None:
    """The collector's state row, as its poller writes it, with the DLQ's depth."""
    now = now_ms()
    store.save_collector_state("bench", {"queue_url": url, "state": "running", "started": now - 60_000,
                                         "heartbeat": now, "last_success": now, "events_per_s": 0.0, "backlog": 0,
                                         "dlq_backlog": depth, "received": 0, "stored": 0, "duplicates": 0,
                                         "quarantined": 0})


def header_text(app) -> str:
    return str(app.main_screen.query_one("#health").render())


def test_d_redrives_the_dlq_after_a_confirm_and_the_collector_stores_it_exactly_once(
        store, sestui_aws, sandbox, aws, wired_queue, start_collector):
    url, dlq = wired_queue
    ids = fill(aws, dlq, 12, "console-redrive")
    report_dlq(store, url, 12)
    app = make_app(store, sestui_aws, sandbox, queue_url=url)

    async def scenario(pilot):
        await until(pilot, lambda: "DLQ 12" in header_text(app))
        await pilot.press("D")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        assert queue_count(aws, dlq) == 12  # nothing moves before the answer
        await pilot.press("y")
        await until(pilot, lambda: app.last_outcome is not None and "DLQ redrive" in app.last_outcome[0])
        text, ok = app.last_outcome
        assert ok and "moved 12 messages back to the queue" in text
        await settle(pilot)

    run(app, scenario, size=(120, 40))
    assert queue_count(aws, dlq) == 0
    start_collector(url, store)
    found = wait_for(lambda: (c := Counter(r["message_id"] for r in store.iter_events() if r["message_id"] in ids))
                     and set(c) == ids and queue_count(aws, url) == 0 and c, 30, "the redriven messages stored")
    assert all(n == 1 for n in found.values())
    assert record(0, "console-redrive")["mail"]["messageId"] in found


def test_d_in_a_read_only_console_says_why_and_moves_nothing(store, sestui_aws, sandbox, aws, wired_queue):
    url, dlq = wired_queue
    fill(aws, dlq, 3, "console-ro")
    report_dlq(store, url, 3)
    app = make_app(store, sestui_aws, sandbox, queue_url=url)
    app.ctx.read_only = True

    async def scenario(pilot):
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert type(app.screen).__name__ != "ConfirmScreen"
        text, ok = app.last_outcome
        assert not ok and "read-only" in text and "DLQ" in text

    run(app, scenario, size=(120, 40))
    assert queue_count(aws, dlq) == 3


def test_the_header_shows_an_empty_dlq_dimmed_and_none_when_unknown(store, sestui_aws, sandbox, wired_queue):
    url, _ = wired_queue
    report_dlq(store, url, 0)
    app = make_app(store, sestui_aws, sandbox, queue_url=url)

    async def scenario(pilot):
        await until(pilot, lambda: "dlq 0" in header_text(app))
        assert "DLQ" not in header_text(app)
        await settle(pilot)  # let the tick's workers land before the app closes

    run(app, scenario, size=(120, 40))
