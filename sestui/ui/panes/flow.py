"""Pane 1: the live flow of events, newest on top, with filter, type toggles and paging into history."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sestui.core.events import EVENT_TYPES
from sestui.ui.filters import HINT, parse_flow_filter
from sestui.ui.messages import FilterApplied, FlowLoaded, OpenTimeline
from sestui.ui.panes.flow_lines import PROBLEM_TYPES, columns_for, counters_line, detail, empty_hint
from sestui.ui.text import clock_time
from sestui.ui.widgets.common import (
    FilterBox,
    KeyTable,
    OrderedText,
    address_cell,
    fitted,
    message_id_cell,
    show_line,
    theme_style,
    type_cell,
)
from sestui.ui.workers import AppWorkers, busy, deliver, io_worker, landed

PAGE = 200
LIVE_ROWS = 600  # rows kept while following the newest; paging back may load more
# Following, the table is laid again from the newest FOLLOW_ROWS (at least two screens) when more
# arrive in a tick than it keeps, or it would outgrow LIVE_ROWS: at 500 events/s that is every
# tick, and each row added costs the UI thread ~50 us (moving the cursor down leaves following;
# paging back then loads older rows as before).
FOLLOW_ROWS = 100


class FlowTable(KeyTable):
    """The flow's table: `g`/home also means "follow the newest" (see FlowPane.following)."""

    def __init__(self, on_first, **kwargs):
        super().__init__(**kwargs)
        self.on_first = on_first

    def action_cursor_first(self) -> None:
        super().action_cursor_first()
        self.on_first()


class FlowPane(AppWorkers, Vertical):
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="flow.filter"),
        Binding("t", "types", "Types", id="flow.types"),
        Binding("exclamation_mark", "problems", "Problems only", show=False, id="flow.problems"),
        Binding("y", "copy", "Copy message id", show=False, id="flow.copy"),
    ]


    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.text: str | None = None
        self.types: frozenset[str] | None = None
        self.generation = 0
        self.last_id: int | None = None  # newest event id loaded
        self.oldest_id: int | None = None  # oldest event id loaded
        self.exhausted = False
        self.counts: dict[str, int] = {}
        self.message_ids: dict[str, str] = {}  # row key -> SES message id
        self.data: dict[str, dict] = {}  # row key -> the store's row, to re-lay the table on resize
        self.waiting = 0  # newer events not shown while the cursor stays on its event
        # Following: the cursor is on the newest event and moves to each newer one as it arrives
        # (at start, after a new filter, and after g/home). Any other move pins the cursor to its
        # event: newer events are then only counted ("N new above (g)"), nothing moves under it.
        self.following = True
        self.filter_error: str | None = None  # the / line's last error, on the outcome line until corrected

    def compose(self) -> ComposeResult:
        yield Static(id="flow-counters")
        yield FilterBox(placeholder="filter: recipient, subject or message id (enter applies, escape clears)",
                        id="flow-filter")
        yield Static(Text(HINT, no_wrap=True, overflow="ellipsis"), id="flow-filter-hint")
        yield Static(id="flow-empty")
        yield FlowTable(self.follow_newest, id="flow-table")

    @property
    def table(self) -> FlowTable:
        return self.query_one("#flow-table", FlowTable)

    def on_mount(self) -> None:
        self.relayout()

    def on_resize(self) -> None:
        self.relayout()
        self._show_counters()

    def relayout(self) -> None:
        columns = columns_for(self.size.width or self.app.size.width)
        if columns != self.table.column_layout:
            rows = sorted(self.data.values(), key=lambda r: r["id"], reverse=True)
            table, now_ms = self.table, self.app.ctx.now_ms()
            table.lay_out(columns, ((str(r["id"]), self._cells(r, table, now_ms)) for r in rows))

    # -- loading --------------------------------------------------------------------------------

    def poll(self) -> None:
        """Called every tick. Following: fetch what arrived. Otherwise only count it, so rows never
        shift under a cursor the operator is using."""
        if busy(self.app, "flow"):
            return
        self._load(self.generation, self.last_id, self.query(), self.following, self.follow_rows())

    def follow_rows(self) -> int:
        return max(FOLLOW_ROWS, 2 * self.table.size.height)

    def follow_newest(self) -> None:
        """g/home: to the newest event, loading what waits above, and follow from there."""
        self.following = True
        if self.waiting and not self.app.paused:
            self.poll()

    def reload(self) -> None:
        """A new query: replaces (cancels) a load of the old one still running."""
        self.generation += 1
        self.following = True
        self.last_id = self.oldest_id = None
        self.exhausted = False
        self._load(self.generation, None, self.query())

    def page_older(self) -> None:
        if busy(self.app, "flow-older") or self.exhausted or self.oldest_id is None:
            return
        self._load_older(self.generation, self.oldest_id, self.query())

    @io_worker("flow-older")
    def _load_older(self, gen: int, before: int, where: dict) -> None:
        rows = self.app.ctx.store.flow_page(before_id=before, **where, limit=PAGE)
        deliver(self, FlowLoaded(rows, "older", gen, exhausted=len(rows) < PAGE))

    @io_worker("flow")
    def _load(self, gen: int, after: int | None, where: dict, following: bool = True, keep: int = FOLLOW_ROWS) -> None:
        """Worker thread: read the store, post the rows back. Following, only the newest `keep`
        events are read: when all are newer than the table's, they replace it (whatever lies
        between is paged back on demand), else the newer ones go on top."""
        ctx = self.app.ctx
        store = ctx.store
        counts = store.counts_by_type(ctx.now_ms() - 3_600_000)
        if after is None:
            rows = store.flow_page(**where, limit=PAGE)
            deliver(self, FlowLoaded(rows, "reset", gen, counts, exhausted=len(rows) < PAGE))
            return
        if not following:
            waiting = store.flow_count(after_id=after, **where)
            deliver(self, FlowLoaded([], "waiting", gen, counts, waiting=waiting))
            return
        rows = store.flow_page(**where, limit=keep)
        newer = [row for row in rows if row["id"] > after]
        if len(newer) == len(rows) and rows:
            deliver(self, FlowLoaded(rows, "reset", gen, counts, exhausted=False))
        else:
            deliver(self, FlowLoaded(newer[::-1], "newer", gen, counts))

    @landed(FlowLoaded)
    def _loaded(self, message: FlowLoaded) -> None:
        if message.generation != self.generation:
            return
        self.waiting = message.waiting
        if message.counts is not None or message.mode == "waiting":
            self.counts = message.counts or self.counts
            self._show_counters()
        if message.mode == "waiting":
            return
        table = self.table
        with self.app.batch_update():
            if message.mode == "reset":
                self._replace(message.rows, message.exhausted)
            elif message.mode == "older":
                self._append(message.rows)
                self.exhausted = message.exhausted
            elif self.following and table.row_count + len(message.rows) > LIVE_ROWS:
                # Following, and the table would outgrow what is worth keeping: lay it again from
                # the newest rows (cheaper than removing rows one by one; the cursor is on the
                # newest row either way, so nothing under it moves).
                kept = sorted(self.data.values(), key=lambda r: r["id"], reverse=True)
                self._replace((message.rows[::-1] + kept)[:self.follow_rows()], False)
            else:
                self._prepend(message.rows)
        self.set_class(table.row_count == 0, "empty")
        if table.row_count == 0:
            self._show_empty()

    def _replace(self, rows: list[dict], exhausted: bool) -> None:
        """The table holds `rows` (newest first) and nothing else; the cursor on the newest."""
        self.table.clear()
        self.message_ids.clear()
        self.data.clear()
        self.last_id = self.oldest_id = None
        self._append(rows)
        self.exhausted = exhausted
        self.table.move_cursor(row=0)

    def _append(self, rows: list[dict]) -> None:
        """Rows older than everything loaded (newest first) go at the bottom."""
        table, now_ms = self.table, self.app.ctx.now_ms()
        for row in rows:
            self._add(table, row, now_ms)
        if rows:
            self.oldest_id = rows[-1]["id"] if self.oldest_id is None else min(self.oldest_id, rows[-1]["id"])
            self.last_id = max(self.last_id or 0, rows[0]["id"])

    def _prepend(self, rows: list[dict]) -> None:
        """Rows newer than everything loaded (oldest first) go on top; the cursor keeps its event,
        or moves to the newest when following."""
        if not rows:
            return
        table = self.table
        following = self.following
        keep = table.selected_key()
        now_ms = self.app.ctx.now_ms()
        for row in rows:
            self._add(table, row, now_ms)
        self.last_id = rows[-1]["id"]
        if self.oldest_id is None:
            self.oldest_id = rows[0]["id"]
        table.sort("time", key=lambda cell: cell.order, reverse=True)
        if following:
            table.move_cursor(row=0, scroll=True)
        elif keep is not None:
            table.move_cursor(row=table.get_row_index(keep), scroll=False)

    def _add(self, table: FlowTable, row: dict, now_ms: int) -> None:
        key = str(row["id"])
        if key in table.rows:
            return
        table.add_row(*self._cells(row, table, now_ms), key=key)
        self.message_ids[key] = row["message_id"]
        self.data[key] = row

    def _cells(self, row: dict, table: FlowTable, now_ms: int) -> list[Text]:
        app = self.app
        time_cell = OrderedText(clock_time(row["ts"], now_ms), end="")
        time_cell.order = row["id"]
        cells: list[Text] = [time_cell, type_cell(app, row["event_type"], row["bounce_type"]),
                             address_cell(row["recipient"]), fitted(row["subject"] or "")]
        keys = [column for _, column, _ in table.column_layout]
        if "detail" in keys:
            cells.append(fitted(detail(row), style=theme_style(app, "text-muted")))
        if "message" in keys:
            cells.append(message_id_cell(row["message_id"]))
        return cells

    # -- header lines ----------------------------------------------------------------------------

    def _show_counters(self) -> None:
        show_line(self.query_one("#flow-counters", Static),
                  counters_line(self.app, self.counts, self.waiting, self.text, self.types,
                                self.size.width or self.app.size.width))

    def _show_empty(self) -> None:
        filtered = bool(self.text) or self.types is not None
        self.query_one("#flow-empty", Static).update(Text(empty_hint(filtered, self.app.ctx.queue_url)))

    # -- actions ---------------------------------------------------------------------------------

    def focus_main(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one(FilterBox).open(self.text)

    @on(FilterApplied)
    def _filter_applied(self, message: FilterApplied) -> None:
        message.stop()
        self.table.focus()
        self.set_filter(message.text)

    def set_filter(self, text: str | None) -> None:
        query = parse_flow_filter(text)
        if query.error:
            self.app.unsay(self.filter_error)
            self.filter_error = query.error
            self.app.say(query.error, ok=False)
            return
        self._clear_filter_error()
        self.text = text
        self._show_counters()
        self.reload()

    def _clear_filter_error(self) -> None:
        self.app.unsay(self.filter_error)
        self.filter_error = None

    def query(self) -> dict:
        """The store's filter arguments (ui/filters.py): the / line's, its types within the t types."""
        parsed = parse_flow_filter(self.text)
        types = parsed.types if self.types is None else (
            self.types if parsed.types is None else parsed.types & self.types)
        return {**parsed.store_args(), "types": types}

    def set_types(self, types: frozenset[str] | None) -> None:
        self.types = None if types is None or types == frozenset(EVENT_TYPES) else frozenset(types)
        self._show_counters()
        self.reload()

    def action_types(self) -> None:
        from sestui.ui.screens.types import TypesScreen

        self.app.push_screen(TypesScreen(self.types), self._types_chosen)

    def _types_chosen(self, types: frozenset[str] | None) -> None:
        if types is not None:
            self.set_types(types)

    def action_copy(self) -> None:
        key = self.table.selected_key()
        self.app.actions.copy("message id", self.message_ids.get(key) if key else None)

    def action_problems(self) -> None:
        self.set_types(None if self.types == PROBLEM_TYPES else PROBLEM_TYPES)

    def back(self) -> bool:
        """Escape: close the filter box, then clear filters. True if something was undone."""
        if self.query_one(FilterBox).close():
            self.table.focus()
            return True
        if self.text or self.types is not None:
            self._clear_filter_error()
            self.text, self.types = None, None
            self._show_counters()
            self.reload()
            return True
        if self.filter_error:  # nothing was filtered: only the refused line's error goes
            self._clear_filter_error()
            return True
        return False

    @on(DataTable.RowSelected, "#flow-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        message_id = self.message_ids.get(event.row_key.value)
        if message_id:
            self.post_message(OpenTimeline(message_id))

    @on(DataTable.RowHighlighted, "#flow-table")
    def _moved(self, event: DataTable.RowHighlighted) -> None:
        # Where the cursor is now, not where the message says it was: a highlight lands after
        # what came later (j then g before it is handled; the palette's screen) and must not
        # stop the following that g, a new filter or a reset has started since.
        if self.table.cursor_row != 0:
            self.following = False  # the operator chose this event: it stays under the cursor
        if event.cursor_row >= self.table.row_count - 5:
            self.page_older()

