"""Console actions that change AWS, driven by Pilot against the sandbox through the real aws.py."""

from __future__ import annotations

import itertools
import time

import console_data
import pytest

from sestui.ops.collector import Collector, CollectorOptions
from sestui.store import Store
from sestui.ui.app import ConsoleContext, SestuiApp

_serial = itertools.count(1)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "console-aws.db")
    yield s
    s.close()


def make_app(store, sestui_aws, sandbox, queue_url=None) -> SestuiApp:
    ctx = ConsoleContext(store=store, aws=sestui_aws, profile="sandbox", region=sandbox.info.region,
                         queue_url=queue_url, configuration_set=sandbox.info.configuration_set)
    return SestuiApp(ctx, tick_seconds=0.2)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot, condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.05)


def run(app, scenario, size=(80, 24)):
    """console_data.run with this module's settle, which lets a failed worker fail the test."""
    console_data.run(app, scenario, size, settle=settle)


def test_add_then_remove_a_suppression_with_confirmations_and_audit(store, sestui_aws, sandbox):
    email = f"console-{next(_serial)}-{time.monotonic_ns()}@example.org"
    app = make_app(store, sestui_aws, sandbox)

    async def scenario(pilot):
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*email)
        await pilot.press("enter")  # the form
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("y")
        await until(pilot, lambda: sestui_aws.suppressions.get(email) is not None)
        pane = app.pane("suppressions")
        await until(pilot, lambda: email in pane.rows)
        assert sestui_aws.suppressions.get(email).reason == "BOUNCE"

        pane.table.move_cursor(row=pane.table.get_row_index(email))
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")  # cancelled: nothing happens
        await settle(pilot)
        assert sestui_aws.suppressions.get(email) is not None
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: sestui_aws.suppressions.get(email) is None)
        await until(pilot, lambda: email not in pane.rows)
        await settle(pilot)
        assert email not in pane.table.rows and email not in app.export_screenshot(), "gone from the screen too"
        audit = store.audit(email=email)
        assert [(a["action"], a["outcome"], a["origin"]) for a in audit] == [
            ("remove", "ok", "console"), ("add", "ok", "console")]

    run(app, scenario)


def test_invalid_address_is_refused_in_the_form(store, sestui_aws, sandbox):
    app = make_app(store, sestui_aws, sandbox)

    async def scenario(pilot):
        await pilot.press("3", "a")
        await pilot.pause()
        await pilot.press(*"not an address", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "SuppressFormScreen"
        assert "not an email address" in str(app.screen.query_one("#error").render())

    run(app, scenario)


def test_suppression_refused_by_aws_is_explained_and_audited(store, sestui_aws, sandbox, account):
    email = f"refused-{time.monotonic_ns()}@example.org"
    sandbox.faults.fail_next("PutSuppressedDestination", "AccessDeniedException", times=1, service="sesv2")
    app = make_app(store, sestui_aws, sandbox)

    async def scenario(pilot):
        app.actions.suppress(email, "BOUNCE", None)
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: store.audit(email=email))
        row = store.audit(email=email)[0]
        assert row["outcome"] == "failed" and "ses:PutSuppressedDestination" in row["detail"]

    run(app, scenario)


def test_send_to_the_bounce_simulator_opens_its_timeline_and_the_bounce_arrives(store, sestui_aws, sandbox,
                                                                               queue_factory):
    queue = queue_factory()
    collector = Collector(sestui_aws, store, CollectorOptions(queue.url, receivers=2, wait_seconds=1))
    collector.start()
    app = make_app(store, sestui_aws, sandbox, queue_url=queue.url)

    async def scenario(pilot):
        await pilot.press("5")
        send = app.pane("send")
        await until(pilot, lambda: send.verified)
        send.query_one("#preset-bounce").press()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("y")
        timeline = app.pane("timeline")
        await until(pilot, lambda: app.current == "timeline" and timeline.message_id)
        await until(pilot, lambda: any(e["event_type"] == "bounce" for e in timeline.rows.values()))
        bounce = next(e for e in timeline.rows.values() if e["event_type"] == "bounce")
        assert bounce["recipient"] == "bounce@simulator.amazonses.com" and bounce["bounce_type"] == "Permanent"
        assert store.message(timeline.message_id)["recipients"][0]["status"] == "hard_bounce"

    try:
        run(app, scenario)
    finally:
        collector.stop()
