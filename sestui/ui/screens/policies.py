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
    """The suppression policies the collector applies; enter or space cycles off -> dry-run -> on."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="policies.close")]

    def __init__(self, config: PolicyConfig):
        super().__init__()
        self.config = config

    def compose(self) -> ComposeResult:
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

    @on(OptionList.OptionSelected)
    def _cycle(self, event: OptionList.OptionSelected) -> None:
        self.config.cycle(event.option.id)
        rules = self.query_one("#rules", OptionList)
        highlighted = rules.highlighted
        rules.clear_options()
        rules.add_options(self._options())
        rules.highlighted = highlighted

    def action_close(self) -> None:
        self.dismiss(None)
