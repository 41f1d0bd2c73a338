"""Every key the console knows, and what every number means."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from sestui.ui.screens.base import Modal

FOOTNOTE = "Rebind any key in the config file's [keymap] table by its id, e.g. flow.filter = \"f\"."


def help_table(sections: list[tuple[str, list[tuple[str, str]]]]) -> Table:
    """Two columns: the keys, as wide as the widest, never wrapped; the descriptions, wrapped
    under themselves. A section's title sits on its own row."""
    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(no_wrap=True, style="bold")
    table.add_column(ratio=1, overflow="fold")
    for i, (title, rows) in enumerate(sections):
        if i:
            table.add_row("", "")
        table.add_row(Text(title, style="bold underline"), "")
        for keys, description in rows:
            table.add_row(Text(f"  {keys}"), Text(description))
    table.add_row("", "")
    table.add_row(Text(""), Text(FOOTNOTE, style="italic"))
    return table


class HelpScreen(Modal[None]):
    """Every key the console knows, from the live bindings (so a user keymap shows as rebound).
    One scrolling area (the only scrollbar on screen: the help covers the panes), j/k scroll it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
        Binding("j,down", "scroll('down')", "Scroll down", show=False, id="help.down"),
        Binding("k,up", "scroll('up')", "Scroll up", show=False, id="help.up"),
        Binding("g,home", "scroll('home')", "Top", show=False, id="help.top"),
        Binding("G,end", "scroll('end')", "Bottom", show=False, id="help.bottom"),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False, id="help.page_down"),
        Binding("pageup", "scroll('page_up')", "Page up", show=False, id="help.page_up"),
    ]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]):
        super().__init__()
        self.sections = sections

    def compose_box(self) -> ComposeResult:
        with Vertical():
            yield Label("Keys and numbers  (j/k scroll, escape closes)", classes="title")
            with VerticalScroll(id="help-scroll", can_focus=False):
                yield Static(help_table(self.sections), id="help-text")

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one(VerticalScroll)
        if where in ("up", "down"):
            # immediate: a deferred scroll starts from the target before the next refresh, so a
            # burst of j would move once per refresh rather than one line per press
            getattr(scroll, f"scroll_{where}")(animate=False, immediate=True)
        else:
            getattr(scroll, f"scroll_{where}")(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
