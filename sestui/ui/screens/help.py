"""Every key the console knows."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from sestui.ui.screens.base import Modal


class HelpScreen(Modal[None]):
    """Every key the console knows, from the live bindings (so a user keymap shows as rebound)."""

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

    def compose(self) -> ComposeResult:
        text = Text()
        for title, rows in self.sections:
            text.append(f"{title}\n", style="bold underline")
            for keys, description in rows:
                text.append(f"  {keys:<14}", style="bold")
                text.append(f"{description}\n")
            text.append("\n")
        text.append("Rebind any key in the config file's [keymap] table by its id, e.g. flow.filter = \"f\".")
        with Vertical():
            yield Label("Keys (j/k scroll, escape closes)", classes="title")
            with VerticalScroll():
                yield Static(text)

    def action_scroll(self, where: str) -> None:
        getattr(self.query_one(VerticalScroll), f"scroll_{where}")(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
