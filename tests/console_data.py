"""Deterministic data for console tests: a store filled through the real parser, a fixed clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sestui.core.events import parse_body
from sestui.store import Store, to_ms

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
NOW_MS = to_ms(NOW)
HOSTILE_SUBJECT = "[bold]Sale[/] \x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \u202eevil"
HOSTILE_RECIPIENT = "[link=http://x]click[/link]@example.com"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def message_id(n: int) -> str:
    return f"0100019{n:09x}-{n:08x}-aaaa-bbbb-cccc-{n:012x}-000000"


def record(kind: str, n: int, recipient: str, sent: datetime, at: datetime, subject: str, **extra) -> dict:
    mail = {
        "timestamp": iso(sent), "messageId": message_id(n), "source": "shop@mail.example.com",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/mail.example.com",
        "sendingAccountId": "123456789012", "destination": [recipient],
        "commonHeaders": {"from": ["shop@mail.example.com"], "to": [recipient], "subject": subject},
        "tags": {"ses:configuration-set": ["default"], "campaign": ["winter"]},
    }
    body: dict = {"eventType": kind, "mail": mail}
    if kind == "Send":
        body["send"] = {}
    elif kind == "Delivery":
        body["delivery"] = {"timestamp": iso(at), "recipients": [recipient], "processingTimeMillis": 812,
                            "smtpResponse": "250 2.0.0 OK", "reportingMTA": "a8-1.smtp-out.amazonses.com"}
    elif kind == "Bounce":
        body["bounce"] = {"bounceType": extra.get("bounce_type", "Permanent"),
                          "bounceSubType": extra.get("bounce_subtype", "General"), "timestamp": iso(at),
                          "feedbackId": f"fb-{n}",
                          "bouncedRecipients": [{"emailAddress": recipient, "action": "failed", "status": "5.1.1",
                                                 "diagnosticCode": extra.get("diag", "smtp; 550 5.1.1 user unknown")}]}
    elif kind == "Complaint":
        body["complaint"] = {"timestamp": iso(at), "feedbackId": f"fc-{n}", "complaintFeedbackType": "abuse",
                             "complainedRecipients": [{"emailAddress": recipient}]}
    elif kind == "Open":
        body["open"] = {"timestamp": iso(at), "ipAddress": "192.0.2.1", "userAgent": "Mozilla/5.0"}
    elif kind == "Click":
        body["click"] = {"timestamp": iso(at), "ipAddress": "192.0.2.1", "userAgent": "Mozilla/5.0",
                         "link": "https://example.com/offer", "linkTags": {}}
    elif kind == "DeliveryDelay":
        body["deliveryDelay"] = {"timestamp": iso(at), "delayType": "MailboxFull", "expirationTime": iso(at),
                                 "delayedRecipients": [{"emailAddress": recipient, "status": "4.2.2",
                                                        "diagnosticCode": "smtp; 452 4.2.2 mailbox full"}]}
    elif kind == "Reject":
        body["reject"] = {"reason": "Bad content"}
    return body


def envelope(rec: dict) -> str:
    return json.dumps({"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses",
                       "Message": json.dumps(rec), "Timestamp": rec["mail"]["timestamp"]})


# (n, recipient, subject, [(kind, seconds after send, extra)])
MESSAGES = [
    (1, "ana@example.org", "Your receipt #1042", [("Send", 0, {}), ("Delivery", 2, {}), ("Open", 60, {}), ("Click", 90, {})]),
    (2, "bob@example.net", "Winter sale", [("Send", 0, {}), ("Bounce", 3, {})]),
    (3, "cy@example.com", "Winter sale", [("Send", 0, {}), ("Delivery", 2, {}), ("Complaint", 300, {})]),
    (4, "dee@example.org", "Invoice attached", [("Reject", 0, {})]),
    (5, "fay@example.net", "Weekly digest", [("Send", 0, {}), ("DeliveryDelay", 600, {})]),
    (6, HOSTILE_RECIPIENT, HOSTILE_SUBJECT, [("Send", 0, {}), ("Bounce", 4, {"bounce_type": "Transient",
                                                                          "bounce_subtype": "MailboxFull",
                                                                          "diag": "[red]452[/] \x1b[2J full"})]),
    (7, "gus@example.com", "Password reset", [("Send", 0, {}), ("Delivery", 1, {})]),
]


def fill(store: Store, minutes_ago: int = 30) -> None:
    items = []
    for n, recipient, subject, steps in MESSAGES:
        sent = NOW - timedelta(minutes=minutes_ago - n * 3)
        for kind, after, extra in steps:
            body = envelope(record(kind, n, recipient, sent, sent + timedelta(seconds=after), subject, **extra))
            items.append((body, parse_body(body)))
    store.add(items, received_ms=NOW_MS)
    status = {"production_access": True, "sending_enabled": True, "enforcement_status": "HEALTHY",
              "max_24_hour_send": 50000.0, "max_send_rate": 14.0, "sent_last_24_hours": 1234.0,
              "suppressed_reasons": ["BOUNCE", "COMPLAINT"]}
    store.save_account_snapshot(taken_ms=NOW_MS - 5000, profile="prod", region="us-east-1", status=status)
    points = []
    for i in range(14 * 96):
        ts = NOW_MS - (14 * 96 - i) * 900_000
        attempts = 40 + (i % 96) // 2
        points.append((ts, attempts, 1 if i % 7 == 0 else 0, 1 if i % 400 == 0 else 0, 1 if i % 500 == 0 else 0))
    store.save_send_stats(points)
    store.save_collector_state("test", {"queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/ses-events",
                                        "state": "running", "started": NOW_MS - 60_000, "heartbeat": NOW_MS - 1000,
                                        "last_success": NOW_MS - 1000, "events_per_s": 2.5, "backlog": 0,
                                        "received": 20, "stored": 20, "duplicates": 0, "quarantined": 0})
    store.replace_suppressions([("bob@example.net", "BOUNCE", NOW_MS - 3_600_000),
                                ("cy@example.com", "COMPLAINT", NOW_MS - 7_200_000),
                                (HOSTILE_RECIPIENT, "BOUNCE", NOW_MS - 86_400_000)], NOW_MS - 60_000)
    store.add_audit(action="add", origin="console", outcome="ok", email="bob@example.net", reason="BOUNCE",
                    actor="ops@prod", at_ms=NOW_MS - 3_600_000)


def add_event(store, n: int, kind: str, recipient: str, minutes_after: float = 40) -> None:
    sent = NOW - timedelta(minutes=1)
    body = envelope(record(kind, n, recipient, sent, sent + timedelta(minutes=minutes_after / 60), "Later"))
    store.add([(body, parse_body(body))])


# -- driving the console (shared by the console, snapshot and truth tests) ---------------------------

def make_app(store, **kwargs):
    from sestui.ui.app import ConsoleContext, SestuiApp

    # the queue the data's collector row reads: its feed is this console's
    kwargs.setdefault("queue_url", "https://sqs.us-east-1.amazonaws.com/123456789012/ses-events")
    ctx = ConsoleContext(store=store, aws=kwargs.pop("aws", None), profile="prod", region="us-east-1",
                         clock=lambda: NOW_MS, **kwargs)
    return SestuiApp(ctx, tick_seconds=3600)


async def settle(pilot) -> None:
    """Let the workers finish and their messages land. A worker that failed is the app's business
    (its Worker.StateChanged handler); waiting for it must not fail the test."""
    from textual.worker import WorkerFailed

    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerFailed:
            pass
        await pilot.pause()


async def press(pilot, *keys: str) -> None:
    """Press each key in turn, letting the console settle after each."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def open_pane(pilot, name: str):
    """Switch to pane `name` with its number key (the pane bar's order), let it load, return it."""
    from sestui.ui.app import PANES

    await press(pilot, str([pane for pane, _ in PANES].index(name) + 1))
    return pilot.app.pane(name)


async def filter_flow(pilot, text: str, *, clear: bool = False) -> None:
    """Open the flow's filter line, type `text` (over what it holds if `clear`), apply it, settle."""
    await pilot.press("slash", *(["ctrl+u"] if clear else []), *text, "enter")
    await settle(pilot)


def run(app, scenario, size=(80, 24), settle=settle):
    """Run the app at `size`, let it settle (with `settle`), then run `scenario(pilot)`."""
    import asyncio

    async def main():
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)
    asyncio.run(main())


# -- snapshot scenes (shared by the snapshot tests) --------------------------------------------------

SNAPSHOT_SIZES = [(80, 24), (120, 40)]


def scenario(*keys: str, timeline: str | None = None):
    """A snapshot's run_before: settle, open `timeline`'s message if given, press `keys` one by one."""
    async def run_before(pilot) -> None:
        from sestui.ui.messages import OpenTimeline

        await settle(pilot)
        if timeline:
            pilot.app.post_message(OpenTimeline(timeline))
            await settle(pilot)
        await press(pilot, *keys)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    return run_before


def terminal_writes(app) -> list[str]:
    """What the app writes to its terminal from now on (OSC 52 clipboard sequences, ...), collected."""
    written: list[str] = []
    original = app._driver.write
    app._driver.write = lambda data: (written.append(data), original(data))[1]
    return written


def plain_rows(app, pane: str) -> list[list[str]]:
    """The rows of a pane's table in display order, each cell as plain text."""
    table = app.pane(pane).table
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


def rendered(widget) -> str:
    return str(widget.render())


def screen_text(app) -> str:
    """What the terminal shows now, as plain lines."""
    return "\n".join("".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips())


def on_screen(app, widget) -> str:
    """The screen rows a widget occupies, as drawn (cut to the terminal's width)."""
    lines = screen_text(app).split("\n")
    region = widget.region
    return "\n".join(line[region.x:region.right] for line in lines[region.y:region.bottom])
