"""Pane 2: one message's timeline — its envelope, every event in time order, a status per recipient,
and the raw SES record of the selected event.

Sized for big messages (issue 11): the pane knows every event's place in the timeline but reads
whole rows only for the window of WINDOW events the table holds (timeline_reads.py), and moves the
window as the cursor nears its edge; the header is rebuilt only when it changes and never longer than
the screen; the raw record is drawn RAW_PART characters at a time."""

from __future__ import annotations

from bisect import bisect_left, insort

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from sestui.ui.messages import OpenTimeline, RecordLoaded, TimelineRead, WindowRead
from sestui.ui.panes.timeline_view import (
    event_detail,
    head_lines,
    pretty_record,
    record_view,
)
from sestui.ui.panes.timeline_reads import TimelineEvents, read_timeline, read_window
from sestui.ui.text import clock_time, literal, safe
from sestui.ui.widgets.common import (
    STATUS_COLOURS,
    KeyTable,
    OrderedText,
    ReadOnlyAware,
    address_cell,
    fitted,
    theme_style,
    type_cell,
)
from sestui.ui.workers import AppWorkers, busy, deliver, io_worker, landed

WINDOW = 100  # events the table holds at once (a screenful is some 15: the rest lets the cursor run on)
EDGE = 10  # rows from the window's edge at which it moves on
DRAWN_KEPT = 8  # raw records kept drawn, the latest shown
BIG_POLL_EVERY = 15  # a timeline longer than a window is re-read every 15th tick, not every tick


class EventTable(KeyTable):
    """The timeline's table: g/G (home/end) go to the first/last event of the whole timeline, not
    of the window it holds."""

    def action_cursor_first(self) -> None:
        self.parent.jump(0)

    def action_cursor_last(self) -> None:
        self.parent.jump(-1)


class TimelinePane(AppWorkers, ReadOnlyAware, Vertical):
    WRITE_ACTIONS = frozenset({"suppress"})
    BINDINGS = [
        Binding("s", "suppress", "Suppress", id="timeline.suppress"),
        Binding("y", "copy_id", "Copy id", show=False, id="timeline.copy"),
        Binding("m", "more_raw", "More of the record", show=False, id="timeline.raw_more",
                tooltip="the next part of a long raw record"),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.message_id: str | None = None
        self.rows = TimelineEvents()  # every event of the message by row key (whole rows: rows.read)
        self._reading_record: int | None = None  # the event whose record a worker is reading
        self._drawn: dict[tuple, object] = {}  # (record, part, note style) -> the raw record drawn
        self.order: list[tuple[int, int, str]] = []  # (ts, id, row key) of every event, in time order
        self.start = 0  # index in `order` of the table's first row
        self.records: dict[int, str | None] = {}  # event id -> the pretty record (None: not stored)
        self._by_record: dict[tuple, str | None] = {}  # (message id, type, ts) -> the same
        self.raw_part = 0
        self.suppressed: dict[str, str] = {}
        self._head: Text | None = None
        self._polls = 0

    def compose(self) -> ComposeResult:
        yield Static("No message open. Press enter on an event in the flow (pane 1).", id="tl-empty")
        yield Static(id="tl-head")
        yield EventTable(id="tl-events")
        with VerticalScroll(id="tl-raw-box"):
            yield Static(id="tl-raw")

    def on_mount(self) -> None:
        self.relayout()
        self.add_class("-no-message")

    def on_resize(self) -> None:
        self.relayout()
        self._show_head_text()

    def relayout(self) -> None:
        width = max(60, self.size.width or self.app.size.width)
        spare = width - 8 - 11 - 4 * 2 - 1
        recipient = max(16, spare * 45 // 100)
        columns = [("Time UTC", "time", 8), ("Type", "type", 11), ("Recipient", "recipient", recipient),
                   ("Detail", "detail", spare - recipient)]
        if columns != self.table.column_layout:
            self.table.lay_out(columns, self._window_rows())

    def _window_rows(self):
        read = self.rows.read
        return ((key, self._cells(read[key])) for _, _, key in self.order[self.start:self.start + WINDOW]
                if key in read)

    @property
    def windowed(self) -> bool:
        return len(self.order) > WINDOW

    def _fill(self, start: int, cursor: int) -> bool:
        """Show the window from `start`, the cursor on event `cursor` (indexes in `order`): now if its
        rows were read (True), else once a worker has read them."""
        start = max(0, min(start, len(self.order) - WINDOW))
        missing = [int(key) for _, _, key in self.order[start:start + WINDOW] if key not in self.rows.read]
        if missing and self.message_id is not None:
            self._read_window(self.message_id, start, cursor, missing)
            return False
        table = self.table
        self.start = start
        with self.app.batch_update():
            table.clear()
            for key, cells in self._window_rows():
                table.add_row(*cells, key=key)
            table.move_cursor(row=cursor - self.start)
        self._show_window_note()
        return True

    @io_worker("timeline-window")
    def _read_window(self, message_id: str, start: int, cursor: int, ids: list[int]) -> None:
        deliver(self, read_window(self.app.ctx.store, message_id, start, cursor, ids))

    @landed(WindowRead)
    def _window_read(self, message: WindowRead) -> None:
        if message.message_id != self.message_id:
            return
        self.rows.keep(message.events)
        gone = {str(i) for i in message.asked} - self.rows.read.keys()  # pruned since the index was read
        if gone:
            self.order = [item for item in self.order if item[2] not in gone]
            self.rows.forget(gone)
        self._fill(message.start, min(message.cursor, len(self.order) - 1))

    def jump(self, index: int) -> None:
        """The cursor to event `index` of the whole timeline (negative: from the end)."""
        if not self.order:
            return
        index = index % len(self.order)
        if self.start <= index < self.start + self.table.row_count:
            self.table.move_cursor(row=index - self.start)
        else:
            self._fill(index - WINDOW // 2, index)

    @property
    def table(self) -> KeyTable:
        return self.query_one("#tl-events", KeyTable)

    def focus_main(self) -> None:
        self.table.focus()

    # -- loading --------------------------------------------------------------------------------

    def show(self, message_id: str) -> None:
        if message_id != self.message_id:
            first, self.message_id = self.message_id is None, message_id
            if first:
                self.app.refresh_bindings()  # s is offered from the first message on
            self.rows.clear(message_id)
            self.order.clear()
            self.start = 0
            self.records.clear()
            self._by_record.clear()
            self._drawn.clear()
            self._head = None
            self.table.clear()
            self.query_one("#tl-raw", Static).update("")
            self.query_one("#tl-head", Static).update(Text(f"Loading {safe(message_id)} …"))
        self.remove_class("-no-message", update=False)
        self.add_class("has-message")  # the pane's styles updated once
        self._load(message_id, len(self.order))  # replaces a load still running for the previous message

    def poll(self) -> None:
        self._polls += 1
        if self.windowed and self._polls % BIG_POLL_EVERY:
            return  # reading tens of thousands of events every second buys nothing
        if self.message_id and not busy(self.app, "timeline"):
            self._load(self.message_id, len(self.order))

    @io_worker("timeline")
    def _load(self, message_id: str, known: int) -> None:
        deliver(self, read_timeline(self.app.ctx.store, message_id, known, WINDOW))

    @landed(TimelineRead)
    def _loaded(self, message: TimelineRead) -> None:
        if message.message_id != self.message_id:
            return
        self.suppressed = message.suppressed
        self._msg, self._no_events = message.message, not message.index
        table = self.table
        new = self.rows.new(message)
        self.rows.keep(e for e in message.latest if str(e["id"]) not in self.rows.read)
        if not new:
            self._show_head_text()
            return
        keep = table.selected_key()
        # On the latest event (where a timeline opens: usually the outcome), stay on the latest as
        # more arrive; anywhere else, stay on the same event.
        following = keep is None or self.start + table.cursor_row == len(self.order) - 1
        if not self.order:
            self.order = new  # in time order already
        elif len(new) > 100:
            self.order = sorted(self.order + new)
        else:
            for item in new:
                insort(self.order, item)
        self._show_head_text()
        if self.windowed or any(key not in self.rows.read for _, _, key in new):
            index = len(self.order) - 1 if following else self._index_of(keep)
            if not self._fill(index - (WINDOW - EDGE - 1 if following else WINDOW // 2), index):
                return  # the window's rows are being read: their arrival fills it
        else:
            with self.app.batch_update():
                for _, _, key in new:
                    self.table.add_row(*self._cells(self.rows[key]), key=key)
                table.sort("time", key=lambda cell: cell.order)
                if following:
                    table.move_cursor(row=table.row_count - 1)
                else:
                    table.move_cursor(row=table.get_row_index(keep), scroll=False)
        if following:
            self._load_record(table.selected_key())

    def _index_of(self, key: str | None) -> int:
        event = self.rows.get(key) if key else None
        if event is None:
            return len(self.order) - 1
        return bisect_left(self.order, (event["ts"], event["id"], key))

    def _show_window_note(self) -> None:
        self._show_head_text()

    def _cells(self, event: dict) -> list[Text]:
        app = self.app
        time_cell = OrderedText(clock_time(event["ts"], app.ctx.now_ms()), end="")
        time_cell.order = (event["ts"], event["id"])
        return [time_cell, type_cell(app, event["event_type"], event["bounce_type"]),
                address_cell(event["recipient"]), fitted(event_detail(event), style=theme_style(app, "text-muted"))]

    def _show_head_text(self) -> None:
        """The envelope lines, cut to the pane's width, drawn again only when they change."""
        app = self.app
        if self.message_id is None or not hasattr(self, "_msg"):
            return
        muted = theme_style(app, "text-muted")
        bold = theme_style(app, "", bold=True)
        width = max(20, (self.size.width or app.size.width) - 2)
        msg = self._msg
        if msg is None and self._no_events:
            head = Text.assemble(("Message ", bold), literal(self.message_id[:width + 1], width=width),
                                 ("\nNo events stored for this message yet; they appear here as they arrive.", muted))
        else:
            def colour_of(status: str) -> Style:
                colour = "warning" if status == "suppressed" else STATUS_COLOURS.get(status, "")
                return theme_style(app, colour, bold=colour == "error")

            lines = head_lines(self.message_id, msg or {}, self.suppressed, width, bold, colour_of)
            if self.windowed:
                first, shown = self.start + 1, self.table.row_count
                lines.append(Text(f"Events {first:,}-{first + shown - 1:,} of {len(self.order):,}"
                                  " (g/G: first/last; the list moves on with the cursor)", style=muted))
            head = Text("\n").join(lines)
        head.no_wrap, head.overflow = True, "ellipsis"
        if head != self._head:
            self._head = head
            self.query_one("#tl-head", Static).update(head)

    # -- raw record -------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#tl-events")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = self.table
        row = table.cursor_row
        if event.cursor_row != row:
            return  # the cursor has moved on since (a window filled): its own event follows
        if self.windowed and table.row_count:  # near an edge of the window with more beyond: move it
            index = self.start + row
            if ((row >= table.row_count - EDGE and self.start + table.row_count < len(self.order)) or
                    (row < EDGE and self.start > 0)) and self._fill(index - WINDOW // 2, index):
                return  # moving the cursor in the new window highlights the row again
        self._load_record(event.row_key.value if event.row_key else None)

    def _load_record(self, key: str | None) -> None:
        if key is None or key not in self.rows:
            return
        event = self.rows[key]
        self.raw_part = 0
        if event["id"] not in self.records and _record_key(event) in self._by_record:
            # One record lists many recipients: their events share it (one copy, read once).
            self.records[event["id"]] = self._by_record[_record_key(event)]
        if event["id"] in self.records:
            self._show_record(event["id"], self.records[event["id"]])
            return
        if self._reading_record == event["id"] and busy(self.app, "record"):
            return  # already on its way (the table highlights a row again as a window fills)
        self._reading_record = event["id"]
        self._read_record(event)

    @io_worker("record")
    def _read_record(self, event: dict) -> None:
        body = self.app.ctx.store.record(event["message_id"], event["event_type"], event["ts"])
        deliver(self, RecordLoaded(event["id"], None if body is None else pretty_record(body)))

    @landed(RecordLoaded)
    def _record_loaded(self, message: RecordLoaded) -> None:
        self.records[message.event_id] = message.body
        event = self.rows.get(str(message.event_id))
        if event is not None:
            self._by_record[_record_key(event)] = message.body
        key = self.table.selected_key()
        if key is not None and self.rows.get(key, {}).get("id") == message.event_id:
            self._show_record(message.event_id, message.body)

    def _show_record(self, event_id: int, pretty: str | None) -> None:
        raw = self.query_one("#tl-raw", Static)
        if pretty is None:
            raw.update(Text("(raw record not stored)"))
            return
        note_style = theme_style(self.app, "warning")
        event = self.rows.get(str(event_id))
        # By record, not by event: the 10,000 deliveries of one record share what is drawn, and a
        # key moving among them draws nothing again (nor does moving back to an event).
        key = (_record_key(event) if event else event_id, self.raw_part, str(note_style))
        if key not in self._drawn:
            if len(self._drawn) >= DRAWN_KEPT:
                self._drawn.pop(next(iter(self._drawn)))
            self._drawn[key] = record_view(pretty, self.raw_part, note_style)
        if raw.content is not self._drawn[key]:
            raw.update(self._drawn[key])
        self.query_one("#tl-raw-box").scroll_home(animate=False)

    def action_more_raw(self) -> None:
        event = self.selected_event()
        pretty = self.records.get(event["id"]) if event else None
        if pretty is None:
            return
        self.raw_part += 1
        self._show_record(event["id"], pretty)

    # -- actions ----------------------------------------------------------------------------------

    def why_hidden(self, action: str) -> str | None:
        if action == "suppress" and self.message_id is None:  # the footer offered s on "No message open"
            return "no message open (enter on an event in the flow opens one)"
        return super().why_hidden(action)

    def selected_event(self) -> dict | None:
        key = self.table.selected_key()
        return self.rows.get(key) if key else None

    def action_suppress(self) -> None:
        event = self.selected_event()
        if event is None:
            self.app.notify("Select an event first.", severity="warning")
            return
        reason = "COMPLAINT" if event["event_type"] == "complaint" else "BOUNCE"
        self.app.actions.suppress(event["recipient"], reason, event["message_id"],
                                  already=self.suppressed.get(event["recipient"].lower()))

    def action_copy_id(self) -> None:
        self.app.actions.copy("message id", self.message_id)

    def action_open_id(self) -> None:
        from sestui.ui.screens.path import PathScreen

        def chosen(message_id: str | None) -> None:
            if message_id:
                self.post_message(OpenTimeline(message_id.strip(), remember=False))

        self.app.push_screen(PathScreen("Open a message by its SES message id", "", placeholder="0100018c…-000000"),
                             chosen)


def _record_key(event: dict) -> tuple:
    """What identifies the stored record an event came from (store.record's arguments)."""
    return event["message_id"], event["event_type"], event["ts"]
