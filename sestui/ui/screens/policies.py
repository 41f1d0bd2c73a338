"""The suppression policies the collector applies, toggled live."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from sestui.ops.policies import RULES, PolicyConfig
from sestui.ui.screens.base import Modal


class PoliciesScreen(Modal[None]):
    """The suppression policies the collector applies; enter cycles off -> dry-run -> on."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="policies.close"),
        # the screen's, not the list's (priority), so the footer shows it
        Binding("enter", "cycle", "Cycle", priority=True, id="policies.cycle"),
    ]

    def __init__(self, config: PolicyConfig):
        super().__init__()
        self.config = config

    def compose_box(self) -> ComposeResult:
        with Vertical():
            yield Label("Suppression policies (enter cycles off / dry-run / on)", classes="title")
            yield OptionList(*self._options(), id="rules")
            yield Static(Text("dry-run only writes what it would do to the audit log (u in pane 3). Changes last "
                              "until the console exits; set them in the config file's [policies] table to keep.\n"
                              "Addresses at @simulator.amazonses.com are never suppressed by these policies: they "
                              "are the SES mailbox simulator's test addresses (pane 5's presets), whose bounces "
                              "SES itself does not add to the list."),
                         classes="hint")

    def _options(self) -> list[Option]:
        return [Option(Text.assemble((f"{self.config.mode(rule):<8}", "bold"), f" {rule:<12} ",
                                     self.config.describe(rule)), id=rule) for rule in RULES]

    def action_cycle(self) -> None:
        option = self.query_one("#rules", OptionList).highlighted_option
        if option is not None and option.id:
            self._cycle(option.id)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:  # a click
        if event.option.id:
            self._cycle(event.option.id)

    def _cycle(self, rule: str) -> None:
        self.config.cycle(rule)
        rules = self.query_one("#rules", OptionList)
        highlighted = rules.highlighted
        rules.clear_options()
        rules.add_options(self._options())
        rules.highlighted = highlighted

    def action_close(self) -> None:
        self.dismiss(None)
