"""Pane 2: one message's timeline — its envelope, every event in time order, a status per recipient,
and the raw SES record of the selected event."""

from __future__ import annotations

import json

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from sestui.ui.messages import OpenTimeline, RecordLoaded, TimelineLoaded
from sestui.ui.text import clock_time, full_time, literal, safe
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
from sestui.ui.workers import AppWorkers, busy, deliver, io_worker

STATUS_LABELS = {
    "sent": "sent", "subscription": "subscription", "delayed": "delayed", "delivered": "delivered",
    "opened": "opened", "clicked": "clicked", "auto_reply": "auto-reply", "soft_bounce": "bounced (soft)",
    "rendering_failed": "render failed",
    "rejected": "rejected", "hard_bounce": "BOUNCED (hard)", "complained": "COMPLAINED",
}


class TimelinePane(AppWorkers, ReadOnlyAware, Vertical):
    WRITE_ACTIONS = frozenset({"suppress"})
    BINDINGS = [
        Binding("s", "suppress", "Suppress", id="timeline.suppress"),
        Binding("y", "copy_id", "Copy id", show=False, id="timeline.copy"),
    ]


    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.message_id: str | None = None
        self.rows: dict[str, dict] = {}
        self.records: dict[int, str | None] = {}
        self.suppressed: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static("No message open. Press enter on an event in the flow (pane 1).", id="tl-empty")
        yield Static(id="tl-head")
        yield KeyTable(id="tl-events")
        with VerticalScroll(id="tl-raw-box"):
            yield Static(id="tl-raw")

    def on_mount(self) -> None:
        self.relayout()
        self.add_class("-no-message")

    def on_resize(self) -> None:
        self.relayout()

    def relayout(self) -> None:
        width = max(60, self.size.width or self.app.size.width)
        spare = width - 8 - 11 - 4 * 2 - 1
        recipient = max(16, spare * 45 // 100)
        columns = [("Time UTC", "time", 8), ("Type", "type", 11), ("Recipient", "recipient", recipient),
                   ("Detail", "detail", spare - recipient)]
        if columns != self.table.column_layout:
            events = sorted(self.rows.values(), key=lambda e: (e["ts"], e["id"]))
            self.table.lay_out(columns, ((str(e["id"]), self._cells(e)) for e in events))

    @property
    def table(self) -> KeyTable:
        return self.query_one("#tl-events", KeyTable)

    def focus_main(self) -> None:
        self.table.focus()

    # -- loading --------------------------------------------------------------------------------

    def show(self, message_id: str) -> None:
        if message_id != self.message_id:
            self.message_id = message_id
            self.rows.clear()
            self.records.clear()
            self.table.clear()
            self.query_one("#tl-raw", Static).update("")
            self.query_one("#tl-head", Static).update(Text(f"Loading {safe(message_id)} …"))
        self.remove_class("-no-message")
        self.add_class("has-message")
        self._load(message_id)  # replaces a load still running for the previous message

    def poll(self) -> None:
        if self.message_id and not busy(self.app, "timeline"):
            self._load(self.message_id)

    @io_worker("timeline")
    def _load(self, message_id: str) -> None:
        store = self.app.ctx.store
        events = store.timeline(message_id)
        suppressed = {r["email"].lower(): r["reason"] for r in store.suppressions_for(
            {e["recipient"] for e in events})}
        deliver(self, TimelineLoaded(message_id, store.message(message_id), events, suppressed))

    @on(TimelineLoaded)
    def _loaded(self, message: TimelineLoaded) -> None:
        message.stop()
        if message.message_id != self.message_id:
            return
        self.suppressed = message.suppressed
        self._show_head(message.message, message.events)
        table = self.table
        new = [e for e in message.events if str(e["id"]) not in self.rows]
        if not new:
            return
        keep = table.selected_key()
        # On the latest event (where a timeline opens: usually the outcome), stay on the latest as
        # more arrive; anywhere else, stay on the same event.
        following = keep is None or table.cursor_row == table.row_count - 1
        with self.app.batch_update():
            for event in new:
                self._add(event)
            table.sort("time", key=lambda cell: cell.order)
            if following:
                table.move_cursor(row=table.row_count - 1)
            else:
                table.move_cursor(row=table.get_row_index(keep), scroll=False)
        if following:
            self._load_record(table.selected_key())

    def _add(self, event: dict) -> None:
        key = str(event["id"])
        self.rows[key] = event
        self.table.add_row(*self._cells(event), key=key)

    def _cells(self, event: dict) -> list[Text]:
        app = self.app
        time_cell = OrderedText(clock_time(event["ts"], app.ctx.now_ms()), end="")
        time_cell.order = (event["ts"], event["id"])
        return [time_cell, type_cell(app, event["event_type"], event["bounce_type"]),
                address_cell(event["recipient"]), fitted(_event_detail(event), style=theme_style(app, "text-muted"))]

    def _show_head(self, msg: dict | None, events: list[dict]) -> None:
        app = self.app
        muted = theme_style(app, "text-muted")
        bold = theme_style(app, "", bold=True)
        if msg is None and not events:
            self.query_one("#tl-head", Static).update(Text.assemble(
                ("Message ", bold), literal(self.message_id),
                ("\nNo events stored for this message yet; they appear here as they arrive.", muted)))
            return
        msg = msg or {}
        lines = [
            Text.assemble(("Message ", bold), literal(self.message_id)),
            Text.assemble(("Sent ", bold), full_time(msg.get("mail_ts")), ("  from ", bold),
                          literal(msg.get("source") or "?"), ("  config set ", bold),
                          literal(msg.get("configuration_set") or "-")),
            Text.assemble(("Subject ", bold), literal(msg.get("subject") or "(no subject header)")),
        ]
        tags = {k: v for k, v in (msg.get("tags") or {}).items() if not k.startswith("ses:")}
        if tags:
            shown = ", ".join(f"{k}={'|'.join(v)}" for k, v in sorted(tags.items()))
            lines.append(Text.assemble(("Tags ", bold), literal(shown, width=app.size.width - 8)))
        status_line = Text.assemble(("To ", bold))
        for i, rec in enumerate(msg.get("recipients") or []):
            if i:
                status_line.append("  ")
            status_line.append_text(literal(rec["recipient"]))
            colour = STATUS_COLOURS.get(rec["status"], "")
            status_line.append(" " + STATUS_LABELS.get(rec["status"], rec["status"]),
                               style=theme_style(app, colour, bold=colour == "error"))
            reason = self.suppressed.get(rec["recipient"].lower())
            if reason:
                status_line.append(f" [suppressed: {reason}]", style=theme_style(app, "warning"))
        if not msg.get("recipients"):
            status_line.append_text(literal(", ".join(msg.get("destinations") or []) or "?"))
        lines.append(status_line)
        head = Text("\n").join(lines)
        head.no_wrap, head.overflow = True, "ellipsis"
        self.query_one("#tl-head", Static).update(head)

    # -- raw record -------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#tl-events")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._load_record(event.row_key.value if event.row_key else None)

    def _load_record(self, key: str | None) -> None:
        if key is None or key not in self.rows:
            return
        event = self.rows[key]
        if event["id"] in self.records:
            self._show_record(self.records[event["id"]])
            return
        self._read_record(event)

    @io_worker("record")
    def _read_record(self, event: dict) -> None:
        body = self.app.ctx.store.record(event["message_id"], event["event_type"], event["ts"])
        deliver(self, RecordLoaded(event["id"], body))

    @on(RecordLoaded)
    def _record_loaded(self, message: RecordLoaded) -> None:
        message.stop()
        self.records[message.event_id] = message.body
        key = self.table.selected_key()
        if key is not None and self.rows.get(key, {}).get("id") == message.event_id:
            self._show_record(message.body)

    def _show_record(self, body: str | None) -> None:
        raw = self.query_one("#tl-raw", Static)
        if body is None:
            raw.update(Text("(raw record not stored)"))
            return
        try:
            pretty = json.dumps(event_first(json.loads(body)), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = body
        # json.dumps escapes C0 controls; safe() also makes bidi and other invisible characters visible.
        pretty = "\n".join(safe(line) for line in pretty.split("\n"))
        raw.update(Syntax(pretty, "json", theme="ansi_dark", word_wrap=True, background_color="default"))
        self.query_one("#tl-raw-box").scroll_home(animate=False)

    # -- actions ----------------------------------------------------------------------------------

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


def event_first(record: object) -> object:
    """The event's own object (bounce, complaint, delivery...) before the mail and its headers."""
    if isinstance(record, dict) and "mail" in record:
        return {**{k: v for k, v in record.items() if k != "mail"}, "mail": record["mail"]}
    return record


def _event_detail(event: dict) -> str:
    kind = event["event_type"]
    if kind == "bounce":
        parts = [event.get("bounce_type"), event.get("bounce_subtype"), event.get("diagnostic_code")]
    elif kind == "complaint":
        parts = [event.get("complaint_feedback_type"), event.get("user_agent")]
    elif kind == "delivery_delay":
        parts = [event.get("delay_type"), event.get("diagnostic_code")]
    elif kind == "click":
        parts = [event.get("link"), event.get("ip_address")]
    elif kind == "open":
        parts = [event.get("ip_address"), event.get("user_agent")]
    elif kind == "reject":
        parts = [event.get("reject_reason")]
    elif kind == "rendering_failure":
        parts = [event.get("error_message")]
    else:
        parts = []
    return " · ".join(p for p in parts if p)
