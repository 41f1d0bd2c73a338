"""Yes/no before a destructive or outward action."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from sestui.ui.screens.base import Modal


class ConfirmScreen(Modal[bool]):
    """Yes/no for a destructive or outward action. `y` confirms, `n`/escape cancels; enter presses the
    focused button (Cancel, at first)."""

    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="confirm.cancel"),
        Binding("y", "confirm", "Confirm", id="confirm.yes"),
    ]

    def __init__(self, title: str, body: Text, confirm_label: str = "Confirm", danger: bool = True):
        super().__init__()
        self.title_text, self.body, self.confirm_label, self.danger = title, body, confirm_label, danger

    def compose_box(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="title")
            yield Static(self.body)
            with Horizontal(classes="buttons"):
                yield Button("Cancel (n)", id="cancel")
                yield Button(f"{self.confirm_label} (y)", id="confirm",
                             variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
