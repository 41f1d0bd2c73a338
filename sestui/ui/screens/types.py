"""Which event types the flow shows."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from sestui.core.events import EVENT_TYPES
from sestui.ui.screens.base import Modal


class TypesScreen(Modal[frozenset | None]):
    """Choose which event types the flow shows: space toggles, enter applies, a selects all, n none.
    Each line has one mark, `[x]` or `[ ]`: the checked state is a character, not a colour (an
    OptionList, not a SelectionList, whose own coloured box would be a second mark)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="types.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="types.apply"),
        Binding("space", "toggle", "Toggle", id="types.toggle"),
        Binding("j", "move('down')", "Down", show=False, id="types.down"),
        Binding("k", "move('up')", "Up", show=False, id="types.up"),
        Binding("a", "all", "All", id="types.all"),
        Binding("n", "none", "None", id="types.none"),
    ]

    def __init__(self, current: frozenset[str] | None):
        super().__init__()
        self.chosen = set(EVENT_TYPES if current is None else current)

    def compose_box(self) -> ComposeResult:
        with Vertical():
            yield Label("Event types to show", classes="title")
            yield OptionList(*[Option(self._prompt(t), id=t) for t in EVENT_TYPES])
            yield Label("j/k move · space toggle · a all · n none · enter apply · esc cancel", id="types-hint",
                        classes="hint")

    def _prompt(self, event_type: str) -> Text:
        checked = event_type in self.chosen
        return Text.assemble(("[x] " if checked else "[ ] ", "bold" if checked else ""), event_type)

    def _redraw(self) -> None:
        options = self.query_one(OptionList)
        for t in EVENT_TYPES:
            options.replace_option_prompt(t, self._prompt(t))

    def action_move(self, where: str) -> None:
        getattr(self.query_one(OptionList), f"action_cursor_{where}")()

    def action_toggle(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is not None and option.id:
            self.chosen ^= {option.id}
            self._redraw()

    def action_all(self) -> None:
        self.chosen = set(EVENT_TYPES)
        self._redraw()

    def action_none(self) -> None:
        self.chosen = set()
        self._redraw()

    def action_apply(self) -> None:
        if not self.chosen:  # an empty flow shows nothing: ask for a type rather than apply it
            self.query_one("#types-hint", Label).update("Choose at least one type (space), or a for all.")
            return
        self.dismiss(frozenset(self.chosen))

    def action_cancel(self) -> None:
        self.dismiss(None)
