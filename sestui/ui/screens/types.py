"""Which event types the flow shows."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from sestui.core.events import EVENT_TYPES
from sestui.ui.screens.base import Modal


class TypesScreen(Modal[frozenset | None]):
    """Choose which event types the flow shows: space toggles, enter applies, a selects all, n none.
    Each line says `[x]` or `[ ]`: the checked state is not told by colour alone."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="types.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="types.apply"),
        Binding("a", "all", "All", id="types.all"),
        Binding("n", "none", "None", id="types.none"),
    ]

    def __init__(self, current: frozenset[str] | None):
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Event types to show (space toggles, a = all, n = none, enter applies)", classes="title")
            yield SelectionList[str](*[Selection(self._prompt(t, self.current is None or t in self.current), t,
                                                 self.current is None or t in self.current, id=t)
                                       for t in EVENT_TYPES])

    @staticmethod
    def _prompt(event_type: str, checked: bool) -> Text:
        return Text(f"[{'x' if checked else ' '}] {event_type}")

    @on(SelectionList.SelectedChanged)
    def _marks(self) -> None:
        selections = self.query_one(SelectionList)
        chosen = set(selections.selected)
        for t in EVENT_TYPES:
            selections.replace_option_prompt(t, self._prompt(t, t in chosen))

    def action_all(self) -> None:
        self.query_one(SelectionList).select_all()

    def action_none(self) -> None:
        self.query_one(SelectionList).deselect_all()

    def action_apply(self) -> None:
        chosen = frozenset(self.query_one(SelectionList).selected)
        self.dismiss(chosen or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
