"""Big messages in the timeline (issue 11, item 9): a message to hundreds of recipients, a huge
subject, a huge raw record. The store keeps them whole; the console draws only what fits."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from rich.console import Console, Group
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from console_data import NOW, envelope, make_app, message_id, on_screen, record, run, settle

from sestui.core.events import parse_body
from sestui.ui.messages import OpenTimeline
from sestui.ui.panes.timeline import EDGE, WINDOW
from sestui.ui.panes.timeline_reads import RECIPIENTS_LISTED
from sestui.ui.panes.timeline_view import event_first, pretty_record, record_part, record_view

MANY = 400  # recipients: a Send and a Delivery each = 800 events, more than a window


def add_many(store, n: int = 90, recipients: int = MANY) -> list[str]:
    rcpts = [f"user{i:04d}@example.com" for i in range(recipients)]
    sent = NOW - timedelta(minutes=5)
    send = record("Send", n, rcpts[0], sent, sent, "Newsletter")
    send["mail"]["destination"] = send["mail"]["commonHeaders"]["to"] = rcpts
    delivery = json.loads(json.dumps(send))
    delivery["eventType"] = "Delivery"
    delivery.pop("send")
    delivery["delivery"] = {"timestamp": (sent + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                            "recipients": rcpts, "smtpResponse": "250 OK"}
    store.add([(b, parse_body(b)) for b in (envelope(send), envelope(delivery))])
    return rcpts


def add_huge_subject(store, n: int = 91, size: int = 1_000_000) -> str:
    subject = ("Sale \x1b[31m" * (size // 10 + 1))[:size]
    sent = NOW - timedelta(minutes=4)
    body = envelope(record("Send", n, "big@example.com", sent, sent, subject))
    store.add([(body, parse_body(body))])
    return subject


async def open_many(app, pilot):
    """The timeline of add_many's message, opened and settled."""
    app.post_message(OpenTimeline(message_id(90)))
    await settle(pilot)
    return app.pane("timeline")


def test_a_message_to_many_recipients_holds_a_window_and_reaches_both_ends(store):
    add_many(store)
    app = make_app(store)

    async def scenario(pilot):
        timeline = await open_many(app, pilot)
        table = timeline.table
        assert len(timeline.rows) == 2 * MANY  # every event is known...
        assert table.row_count == WINDOW  # ...the table holds a window of them
        last = max(timeline.rows.values(), key=lambda e: (e["ts"], e["id"]))
        assert timeline.selected_event() == last  # opens on the latest event
        head = str(timeline.query_one("#tl-head").render())
        assert f"{MANY} recipients: {MANY} delivered" in head
        assert f"of {2 * MANY:,}" in head
        await pilot.press("g")
        await settle(pilot)
        first = min(timeline.rows.values(), key=lambda e: (e["ts"], e["id"]))
        assert timeline.selected_event() == first
        table.move_cursor(row=WINDOW - EDGE - 2)
        await settle(pilot)
        assert timeline.start == 0
        for _ in range(3):  # walk down to the window's edge: it moves on, the cursor on the same event
            await pilot.press("j")
        await settle(pilot)
        order = sorted(timeline.rows.values(), key=lambda e: (e["ts"], e["id"]))
        assert timeline.start > 0
        assert timeline.selected_event() == order[WINDOW - EDGE + 1]
        assert table.row_count == WINDOW
        await pilot.press("G")
        await settle(pilot)
        assert timeline.selected_event() == last

    run(app, scenario, size=(120, 40))


def test_a_huge_subject_is_stored_whole_and_drawn_cut_to_the_screen(store):
    subject = add_huge_subject(store)
    app = make_app(store)

    async def scenario(pilot):
        app.post_message(OpenTimeline(message_id(91)))
        await settle(pilot)
        timeline = app.pane("timeline")
        head = str(timeline.query_one("#tl-head").render())
        assert all(len(line) <= 120 for line in head.split("\n"))
        assert "Subject Sale \\x1b[31m" in head
        flow_cells = [cell.plain for cell in app.pane("flow").table.get_row_at(0)]
        assert max(len(c) for c in flow_cells) <= 6 * 1000  # a capped value, each character escaped at most
        shown = on_screen(app, timeline)
        assert "\x1b" not in shown

    run(app, scenario, size=(120, 40))
    assert store.message(message_id(91))["subject"] == subject  # nothing of it lost


def as_text(renderable) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_a_huge_raw_record_is_drawn_in_parts_with_what_is_left(store):
    add_huge_subject(store, size=100_000)
    app = make_app(store)

    async def scenario(pilot):
        app.post_message(OpenTimeline(message_id(91)))
        await settle(pilot)
        raw = app.pane("timeline").query_one("#tl-raw")
        first = as_text(raw.content)
        assert "KB more (part 1 of" in first and "m shows the next part" in first
        await pilot.press("m")
        await settle(pilot)
        second = as_text(raw.content)
        assert "(part 2 of" in second and second != first

    run(app, scenario, size=(120, 40))


def test_opening_a_big_message_reads_whole_rows_only_for_the_window_and_its_record_once(store):
    add_many(store)
    reads = {"rows": 0, "record": 0}
    events_by_id, read_record = getattr(store, "events_by_id", None), store.record  # (None: before it was)

    def counted_rows(ids):
        rows = events_by_id(ids)
        reads["rows"] += len(rows)
        return rows

    def counted_record(*args):
        reads["record"] += 1
        return read_record(*args)

    def every_row(message_id):
        raise AssertionError("the timeline read every event's whole row")

    store.events_by_id, store.record, store.timeline = counted_rows, counted_record, every_row
    app = make_app(store)

    async def scenario(pilot):
        timeline = await open_many(app, pilot)
        assert len(timeline.rows) == 2 * MANY and timeline.table.row_count == WINDOW
        assert reads["rows"] <= WINDOW  # 800 events known, the rows of one window read
        assert reads["record"] == 1  # the latest event's raw record, read once
        assert "delivery" in as_text(timeline.query_one("#tl-raw").content)

    run(app, scenario, size=(120, 40))


def test_the_header_of_a_message_to_many_reads_a_line_of_recipients_and_counts_them_all(store):
    rcpts = add_many(store)
    for address in rcpts[5:8]:
        store.cache_suppression(address.upper(), "BOUNCE", 1, 1)
    listed = []
    read_message = store.message

    def counted_message(*args, **kwargs):
        msg = read_message(*args, **kwargs)
        listed.append(len(msg["recipients"]))
        return msg

    store.message = counted_message
    app = make_app(store)

    async def scenario(pilot):
        head = str((await open_many(app, pilot)).query_one("#tl-head").render())
        assert f"{MANY} recipients: {MANY} delivered [3 suppressed]" in head
        assert f"{rcpts[0]} delivered" in head  # the first of them listed
        assert listed and max(listed) <= RECIPIENTS_LISTED < MANY  # not every recipient's row

    run(app, scenario, size=(120, 40))


def test_the_raw_record_is_the_stdlib_json_text_whatever_orjson_refuses():
    """pretty_record takes orjson's path when it can; its text is the stdlib's, and what orjson is too
    strict for (NaN, a lone surrogate, a 70-bit integer, deep nesting) still shows."""
    usual = {"eventType": "Bounce", "mail": {"subject": "Grüße \x1b[31m \u202e"}, "bounce": {"n": [1, 2.5, None]}}
    bodies = [json.dumps(usual), json.dumps(usual, ensure_ascii=False), '{"mail": {}, "x": NaN}',
              '{"mail": {"subject": "\\ud83d cut"}}', '{"n": 1180591620717411303424}',
              "[" * 300 + "]" * 300, "not json at all"]
    for body in bodies:
        try:
            expected = json.dumps(event_first(json.loads(body)), indent=2, ensure_ascii=False)
        except ValueError:
            expected = body
        assert pretty_record(body) == expected, body[:40]


def test_the_raw_record_draws_the_lines_its_syntax_draws():
    """record_view renders the highlighted text itself (twice as fast as Syntax's line-by-line
    word wrap): the same segments, at any width, with a long line and the note of a part."""
    pretty = json.dumps({"delivery": {"recipients": [f"user{i}@example.com" for i in range(40)]},
                         "mail": {"subject": "word " * 400}}, indent=2)
    console = Console(width=120, file=io.StringIO(), color_system="truecolor")
    style = Style(color="yellow")
    for part in (0, 1):
        text, note = record_part(pretty, part)
        syntax = Syntax(text, "json", theme="ansi_dark", word_wrap=True, background_color="default")
        expected = syntax if note is None else Group(syntax, Text(note, style=style))
        for width in (20, 61, 116):
            options = console.options.update(width=width)
            drawn = [list(Segment.simplify(line)) for line in console.render_lines(record_view(pretty, part, style),
                                                                                    options, pad=False)]
            assert drawn == [list(Segment.simplify(line)) for line in console.render_lines(expected, options,
                                                                                              pad=False)]


def test_events_of_one_record_share_the_record_drawn(store):
    """The 400 deliveries of one Delivery record: a key moving among them draws the record once."""
    add_many(store)
    app = make_app(store)

    async def scenario(pilot):
        timeline = await open_many(app, pilot)
        raw = timeline.query_one("#tl-raw")
        drawn = raw.content
        first = timeline.selected_event()
        await pilot.press("k")
        await settle(pilot)
        assert timeline.selected_event() != first and timeline.selected_event()["event_type"] == "delivery"
        assert raw.content is drawn  # the same record: not drawn again
        assert "delivery" in as_text(raw.content)

    run(app, scenario, size=(120, 40))
