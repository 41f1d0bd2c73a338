"""Which event types the flow shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, SelectionList

from sestui.core.events import EVENT_TYPES
from sestui.ui.screens.base import Modal


class TypesScreen(Modal[frozenset | None]):
    """Choose which event types the flow shows: space toggles, enter applies, a selects all."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="types.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="types.apply"),
        Binding("a", "all", "All", id="types.all"),
    ]

    def __init__(self, current: frozenset[str] | None):
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Event types to show (space toggles, a = all, enter applies)", classes="title")
            yield SelectionList[str](*[(t, t, self.current is None or t in self.current) for t in EVENT_TYPES])

    def action_all(self) -> None:
        self.query_one(SelectionList).select_all()

    def action_apply(self) -> None:
        chosen = frozenset(self.query_one(SelectionList).selected)
        self.dismiss(chosen or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
