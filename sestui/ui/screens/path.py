"""Ask for one value: a file path (CSV import and export) or a message id."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from sestui.ui.screens.base import Modal


class PathScreen(Modal[str | None]):
    """Ask for a file path (CSV import and export)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path.cancel")]

    def __init__(self, title: str, default: str = "", placeholder: str = "path/to/file.csv"):
        super().__init__()
        self.title_text, self.default, self.placeholder = title, default, placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="title")
            yield Input(self.default, placeholder=self.placeholder, id="path")
            yield Static("", classes="error", id="error")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def _submit(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#error", Static).update("a value is required (escape cancels)")
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
