"""The command palette (ctrl+p): Textual's, with a plain prompt and a footer of its own keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette, SearchIcon

from sestui.ui.footer import Footer


class Palette(CommandPalette):
    """Textual's command palette with a plain prompt instead of an emoji (terminals over SSH often
    lack the glyph), and its own footer: the main screen's, under it, offered the panes' keys."""

    BINDINGS = [Binding("escape", "escape", "Close", id="palette.close")]  # Textual's: "Exit the command palette"

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SearchIcon).icon = ">"
