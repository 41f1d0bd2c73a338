"""Small widgets shared by the panes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import App
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import DataTable, Input, Static

from sestui.ui.messages import FilterApplied
from sestui.ui.text import ellipsize, ellipsize_address, ellipsize_middle, safe, short_message_id
from sestui.ui.widgets.table_lines import one_cell, row_segments

CELL_CAP = 1000  # characters a cell keeps of a value: wider than any terminal (stored data is whole)

# event_type -> (label, theme colour name or ""). Every label is lower-case words, as "bounce hard":
# a problem shows in its colour (bold for the errors), never in capitals; 11 cells at most (TYPE_WIDTH).
TYPE_LABELS = {
    "send": ("send", ""),
    "delivery": ("delivery", "success"),
    "open": ("open", ""),
    "click": ("click", ""),
    "delivery_delay": ("delay", "warning"),
    "reject": ("reject", "error"),
    "complaint": ("complaint", "error"),
    "rendering_failure": ("render fail", "error"),
    "subscription": ("subscr", ""),
}

STATUS_COLOURS = {
    "delivered": "success", "opened": "success", "clicked": "success",
    "delayed": "warning", "soft_bounce": "warning",
    "hard_bounce": "error", "complained": "error", "rejected": "error", "rendering_failed": "error",
}


def theme_style(app: App, colour: str, bold: bool = False) -> Style:
    """A Rich style from the theme's colour variable (never a hard-coded colour), so the theme
    and the terminal's colour depth decide what is shown. `text-muted` is the terminal's dim."""
    if colour == "text-muted":
        return Style(dim=True, bold=bold)
    if not colour:
        return Style(bold=bold) if bold else Style.null()
    try:
        return Style(color=Color.parse(app.theme_variables[colour]).rich_color, bold=bold)
    except (KeyError, ColorParseError):
        return Style(bold=bold)


# A bounce says its kind in a word, not by case or colour alone.
BOUNCE_LABELS = {"Permanent": ("bounce hard", "error"), "Transient": ("bounce soft", "warning")}
TYPE_WIDTH = 11  # "bounce hard"; "bounce undetermined" is ellipsized where the column is this narrow


def type_cell(app: App, event_type: str, bounce_type: str | None) -> Text:
    if event_type == "bounce":
        label, colour = BOUNCE_LABELS.get(bounce_type or "", ("bounce undetermined", "warning"))
    else:
        label, colour = TYPE_LABELS.get(event_type, (event_type, ""))
    return FittedText(label, style=theme_style(app, colour, bold=colour == "error"), no_wrap=True, end="")


class ReadOnlyAware:
    """Mixin for panes: actions named in WRITE_ACTIONS change AWS, so a read-only console hides them
    (footer, help's hints); `why_hidden` is what the app says when a hidden action's key is pressed."""

    WRITE_ACTIONS: frozenset[str] = frozenset()
    app: App

    def why_hidden(self, action: str) -> str | None:
        if action in self.WRITE_ACTIONS and getattr(self.app, "ctx", None) and self.app.ctx.read_only:
            return "not in a read-only console (it would change AWS)"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.why_hidden(action) is None


def show_line(widget: Static, content: Text) -> None:
    """Update a line whose height the stylesheet fixes, only when what it says changed and without
    a layout pass: the header and bars are rewritten every tick, and a layout of the whole screen
    (then a repaint of what it moved) is most of a tick's work on the UI thread."""
    # (Text's == ignores its base style and overflow: compare them too.)
    shown = (content.plain, str(content.style), tuple(content.spans), content.overflow, content.no_wrap)
    if getattr(widget, "shown_line", None) == shown:
        return
    widget.shown_line = shown  # type: ignore[attr-defined]
    widget.update(content, layout=False)


_ONE_LINE = Text("\n")  # joins one line the way Text.__rich_console__ does (its style becomes a span)


class FittedText(Text):
    """A cell that shortens itself to the width it is drawn at (so a table re-laid for a new terminal
    size needs no new cells), in its own way; `plain` keeps the value up to CELL_CAP characters."""

    def fit(self, width: int) -> str:
        return self.plain[: max(0, width - 1)] + "…"

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        # It fits any width, so no word-by-word measure (a table measures every cell it is given).
        return Measurement(1, self.cell_len)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self.cell_len <= width:
            if (self.justify or options.justify or "default") == "default" and not any(
                    c in self.plain for c in "\n\t"):
                # One line that fits: what Text's own path gives once its wrap, split and truncate
                # (no-ops here) are done. A repaint of the following flow draws ~200 cells.
                yield from _ONE_LINE.join([self]).render(console, end=self.end)
                return
            yield from super().__rich_console__(console, options)
            return
        short = Text(self.fit(width), style=self.style, no_wrap=True, end="")
        yield from short.__rich_console__(console, options)


_LONG_TOKEN = re.compile(r"[^\s()]{24,}")  # an id, an ARN, a URL: what can lose its middle


class DetailCell(FittedText):
    """A sentence that may carry ids: cut, it shortens its long tokens in their middle first, so
    what follows them (`arrived after 2.3s`) stays in view; then its end."""

    def fit(self, width: int) -> str:
        over = self.cell_len - width

        def shorten(match: re.Match) -> str:
            nonlocal over
            token = match.group(0)
            keep = max(13, len(token) - over)
            if over <= 0 or keep >= len(token):
                return token
            over -= len(token) - keep
            return ellipsize_middle(token, keep)

        return ellipsize(_LONG_TOKEN.sub(shorten, self.plain), width)


class AddressCell(FittedText):
    def fit(self, width: int) -> str:
        return ellipsize_address(self.plain, width)


class MessageIdCell(FittedText):
    def fit(self, width: int) -> str:
        return short_message_id(self.plain, width)


def _capped(value: object, shorten=ellipsize) -> str:
    text = "" if value is None else str(value)
    return safe(shorten(text, CELL_CAP) if len(text) > CELL_CAP else text)


def fitted(value: object, style: Style | str = "") -> FittedText:
    """Outside text as a cell: literal, one line, ellipsized at whatever width it is drawn."""
    return FittedText(_capped(value), style=style, no_wrap=True, overflow="ellipsis", end="")


def detail_cell(value: object, style: Style | str = "") -> DetailCell:
    return DetailCell(_capped(value), style=style, no_wrap=True, overflow="ellipsis", end="")


def address_cell(value: object, style: Style | str = "") -> AddressCell:
    return AddressCell(_capped(value, ellipsize_address), style=style, no_wrap=True, overflow="ellipsis", end="")


def message_id_cell(value: object, style: Style | str = "") -> MessageIdCell:
    return MessageIdCell(_capped(value, ellipsize_middle), style=style, no_wrap=True, overflow="ellipsis", end="")


def share_room(room: int, columns: list[tuple[str, str, int]], rows: Iterable[Sequence[object]],
               padding: int = 2) -> list[tuple[str, str, int]]:
    """Widths from what the cells hold: each column of `columns` (label, key, its share when room is
    tight) gives up what its widest cell and label do not use; the room that frees (and any left of
    `room`, the table's width) goes one cell at a time to the other columns still cut, and what is
    left after that to the last column (free text: the one to cut first). `padding`: the cells each
    column spends around its text."""
    want = [len(label) for label, _, _ in columns]
    for cells in rows:
        for i, cell in enumerate(cells):
            if i < len(want):
                n = cell.cell_len if isinstance(cell, Text) else len(str(cell))
                want[i] = max(want[i], min(n, CELL_CAP))
    widths = [min(width, need) for (_, _, width), need in zip(columns, want, strict=True)]
    widths[-1] = min(widths[-1], max(len(columns[-1][0]), 10))  # what is left comes back to it
    free = room - sum(widths) - padding * len(columns)
    while free > 0:
        cut = [i for i, (w, need) in enumerate(zip(widths[:-1], want, strict=False)) if w < need]
        if not cut:
            break
        for i in cut[:free]:
            widths[i] += 1
        free -= min(free, len(cut))
    if free > 0:
        widths[-1] += free
    return [(label, key, width) for (label, key, _), width in zip(columns, widths, strict=True)]


class OrderedText(Text):
    """A cell that carries its row's sort position (the event id), so the newest can be put on top."""

    order: int = 0


class FilterBox(Input):
    """A pane's `/` filter line: shown while the pane has the class `filtering`; enter posts
    FilterApplied to the pane and hides it. The cursor does not blink (a steady block reads as
    well, and a screen that changes by itself cannot be compared with a snapshot)."""

    def on_mount(self) -> None:
        self.cursor_blink = False


    def open(self, current: str | None) -> None:
        self.parent.add_class("filtering")
        self.value = current or ""
        self.focus()

    def close(self) -> bool:
        """Hide the line; True if it was open."""
        was_open = self.parent.has_class("filtering")
        self.parent.remove_class("filtering")
        return was_open

    @on(Input.Submitted)
    def _applied(self, event: Input.Submitted) -> None:
        event.stop()
        self.close()
        self.post_message(FilterApplied(self.value.strip() or None))


class KeyTable(DataTable):
    """A DataTable with the console's movement keys (vim-style, as in k9s and htop)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("g,home", "cursor_first", "First", show=False, id="table.first", tooltip="first row (newest)"),
        Binding("G,end", "cursor_last", "Last", show=False, id="table.last", tooltip="last row (older ones load)"),
    ]

    def __init__(self, **kwargs):
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", False)
        super().__init__(**kwargs)
        self.column_layout: list[tuple[str, str, int]] = []  # (label, key, width) of the columns shown

    def lay_out(self, columns: list[tuple[str, str, int]], rows: Iterable[tuple[str, Sequence[object]]]) -> None:
        """New columns (for a new width): rebuild the table from `rows` (key, cells), in order,
        keeping the cursor on its row."""
        keep = self.selected_key()
        self.column_layout = list(columns)
        with self.app.batch_update():
            self.clear(columns=True)
            for label, key, width in columns:
                self.add_column(label, key=key, width=width)
            for key, cells in rows:
                self.add_row(*cells, key=key)
            if keep is not None and keep in self.rows:
                self.move_cursor(row=self.get_row_index(keep))

    _frame_style: Style | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        # Each line asks DataTable for `rich_style`, which walks every ancestor's styles: ~15% of a
        # repaint of the flow. It cannot change while one render runs: work it out once for all.
        self._frame_style = super().rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._frame_style = None

    @property
    def rich_style(self) -> Style:
        return self._frame_style if self._frame_style is not None else super().rich_style

    # Overrides of private methods of Textual 8's DataTable (see table_lines): a repaint of the
    # following flow draws every visible row anew each tick.
    def _render_line_in_row(self, row_key, line_no: int, base_style: Style, cursor_location, hover_location):
        rendered = row_segments(self, row_key, line_no, base_style, cursor_location, hover_location)
        if rendered is None:
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        return rendered

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        rendered = one_cell(self, row_index, column_index, base_style, width, cursor, hover)
        if rendered is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        return rendered

    def _update_dimensions(self, new_rows: Iterable) -> None:
        # DataTable measures every cell of every new row (through a fresh ConsoleOptions each) to
        # size auto-width columns: ~20 ms for the 200 rows of a following flow's tick. Columns laid
        # out with widths and one-line rows need no measure, only the new virtual size.
        # (Overrides a private method of Textual 8's DataTable; anything else takes its path.)
        if not self.columns or any(c.auto_width for c in self.columns.values()) or any(
                row.label is not None or row.auto_height for row in self.rows.values()):
            super()._update_dimensions(new_rows)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values()) + self._row_label_column_width
        self.virtual_size = Size(width, self._total_row_height + (self.header_height if self.show_header else 0))

    def action_cursor_first(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_cursor_last(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None
