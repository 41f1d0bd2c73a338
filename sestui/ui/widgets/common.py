"""Small widgets shared by the panes."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.color import Color, ColorParseError
from textual.binding import Binding
from textual import on
from textual.widgets import DataTable, Input

from sestui.ui.messages import FilterApplied

# event_type -> (label, theme colour name or "")
TYPE_LABELS = {
    "send": ("send", ""),
    "delivery": ("delivery", "success"),
    "open": ("open", ""),
    "click": ("click", ""),
    "delivery_delay": ("delay", "warning"),
    "reject": ("REJECT", "error"),
    "complaint": ("COMPLAINT", "error"),
    "rendering_failure": ("RENDERFAIL", "error"),
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


def type_cell(app: App, event_type: str, bounce_type: str | None) -> Text:
    if event_type == "bounce":
        hard = bounce_type == "Permanent"
        label, colour = ("BOUNCE", "error") if hard else ("bounce", "warning")
    else:
        label, colour = TYPE_LABELS.get(event_type, (event_type, ""))
    return Text(label, style=theme_style(app, colour, bold=colour == "error"), end="")


class ReadOnlyAware:
    """Mixin for panes: actions named in WRITE_ACTIONS change AWS, so a read-only console hides them."""

    WRITE_ACTIONS: frozenset[str] = frozenset()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self.WRITE_ACTIONS and self.app.ctx.read_only)


class OrderedText(Text):
    """A cell that carries its row's sort position (the event id), so the newest can be put on top."""

    order: int = 0


class FilterBox(Input):
    """A pane's `/` filter line: shown while the pane has the class `filtering`; enter posts
    FilterApplied to the pane and hides it."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    FilterBox { display: none; }
    .filtering > FilterBox { display: block; height: 1; border: none; padding: 0 1; }
    """

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
        Binding("g", "cursor_first", "First", show=False, id="table.first"),
        Binding("G", "cursor_last", "Last", show=False, id="table.last"),
    ]

    def __init__(self, **kwargs):
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", False)
        super().__init__(**kwargs)

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
