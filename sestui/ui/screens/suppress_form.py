"""The form for a new suppression entry."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from sestui.ops.suppressions import email_problem
from sestui.ui.screens.base import Modal


class Reason(RadioButton):
    """A reason whose mark says whether it is the chosen one: Textual's radio button draws the same
    dot in both states, told apart by colour only (alike on a 16-colour or monochrome terminal)."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else " "
        return super()._button


class SuppressFormScreen(Modal[tuple | None]):
    """Address and reason for a new suppression entry; validated before it can be submitted."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="suppressform.cancel"),
        # the screen's (priority), so the footer shows it, and only in the address field (check_action):
        # on the reason or a button, enter is theirs (toggle, press)
        Binding("enter", "submit", "Add", priority=True, id="suppressform.add",
                tooltip="submit the form (from its text field)"),
        Binding("tab", "app.focus_next", "Next field", id="suppressform.next"),
    ]

    def __init__(self, email: str = "", reason: str = "BOUNCE"):
        super().__init__()
        self.email, self.reason = email, reason

    def compose_box(self) -> ComposeResult:
        with Vertical():
            yield Label("Add an address to the account suppression list", classes="title")
            yield Input(self.email, placeholder="address@example.com", id="email")
            with RadioSet(id="reason"):
                yield Reason("BOUNCE", value=self.reason == "BOUNCE", id="BOUNCE")
                yield Reason("COMPLAINT", value=self.reason == "COMPLAINT", id="COMPLAINT")
            yield Static("", classes="error", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Add", id="add", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#email", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return self.focused is not None and self.focused.id == "email"
        return True

    @on(Button.Pressed, "#add")
    def action_submit(self) -> None:
        email = self.query_one("#email", Input).value.strip()
        problem = email_problem(email)
        if problem:
            self.query_one("#error", Static).update(Text(problem))
            return
        pressed = self.query_one("#reason", RadioSet).pressed_button
        self.dismiss((email, pressed.id if pressed else "BOUNCE"))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
