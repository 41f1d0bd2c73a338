"""Modal screens: confirmations, help, type toggles, small forms."""

from __future__ import annotations

from typing import TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, SelectionList, Static

from sestui.core.events import EVENT_TYPES
from sestui.ops.suppressions import email_problem

ResultT = TypeVar("ResultT")


class Modal(ModalScreen[ResultT]):
    """A centred box; every modal of the console looks like this."""

    DEFAULT_CSS = """
    Modal { align: center middle; }
    Modal > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    Modal .title { text-style: bold; margin-bottom: 1; }
    Modal .buttons { height: auto; align-horizontal: right; margin-top: 1; }
    Modal .buttons Button { margin-left: 1; min-width: 10; }
    Modal .error { color: $error; height: auto; }
    Modal .hint { color: $text-muted; height: auto; margin-top: 1; }
    Modal Input { margin-bottom: 1; }
    """


class ConfirmScreen(Modal[bool]):
    """Yes/no for a destructive or outward action. `y`/enter confirms, `n`/escape cancels."""

    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="confirm.cancel"),
        Binding("y", "confirm", "Confirm", id="confirm.yes"),
    ]

    def __init__(self, title: str, body: Text, confirm_label: str = "Confirm", danger: bool = True):
        super().__init__()
        self.title_text, self.body, self.confirm_label, self.danger = title, body, confirm_label, danger

    def compose(self) -> ComposeResult:
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


class TypesScreen(Modal[frozenset | None]):
    """Choose which event types the flow shows: space toggles, enter applies, a selects all."""

    DEFAULT_CSS = "TypesScreen SelectionList { height: auto; max-height: 14; }"
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


class SuppressFormScreen(Modal[tuple | None]):
    """Address and reason for a new suppression entry; validated before it can be submitted."""

    DEFAULT_CSS = "SuppressFormScreen RadioSet { margin-bottom: 1; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="suppressform.cancel")]

    def __init__(self, email: str = "", reason: str = "BOUNCE"):
        super().__init__()
        self.email, self.reason = email, reason

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add an address to the account suppression list", classes="title")
            yield Input(self.email, placeholder="address@example.com", id="email")
            with RadioSet(id="reason"):
                yield RadioButton("BOUNCE", value=self.reason == "BOUNCE", id="BOUNCE")
                yield RadioButton("COMPLAINT", value=self.reason == "COMPLAINT", id="COMPLAINT")
            yield Static("", classes="error", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Add", id="add", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#email", Input).focus()

    @on(Input.Submitted, "#email")
    @on(Button.Pressed, "#add")
    def _submit(self) -> None:
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


class PathScreen(Modal[str | None]):
    """Ask for a file path (CSV import and export)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path.cancel")]

    def __init__(self, title: str, default: str = ""):
        super().__init__()
        self.title_text, self.default = title, default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="title")
            yield Input(self.default, placeholder="path/to/file.csv", id="path")
            yield Static("", classes="error", id="error")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def _submit(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#error", Static).update("a path is required")
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(Modal[None]):
    """Every key the console knows, from the live bindings (so a user keymap shows as rebound)."""

    DEFAULT_CSS = "HelpScreen > Vertical { width: 80; height: 90%; } HelpScreen VerticalScroll { height: 1fr; }"
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        text = Text()
        for title, rows in self.sections:
            text.append(f"{title}\n", style="bold underline")
            for keys, description in rows:
                text.append(f"  {keys:<18}", style="bold")
                text.append(f"{description}\n")
            text.append("\n")
        text.append("Rebind any key in the config file's [keymap] table by its id, e.g. flow.filter = \"f\".")
        with Vertical():
            yield Label("Keys (escape closes)", classes="title")
            with VerticalScroll():
                yield Static(text)

    def action_close(self) -> None:
        self.dismiss(None)


class PoliciesScreen(Modal[None]):
    """The suppression policies the collector applies; enter or space cycles off -> dry-run -> on."""

    DEFAULT_CSS = "PoliciesScreen OptionList { height: auto; max-height: 8; }"
    BINDINGS = [Binding("escape,q", "close", "Close", id="policies.close")]

    def __init__(self, config):
        super().__init__()
        self.config = config

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Suppression policies (enter cycles off / dry-run / on)", classes="title")
            yield OptionList(*self._options(), id="rules")
            yield Static(Text("dry-run only writes what it would do to the audit log (u in pane 3). Changes last "
                              "until the console exits; set them in the config file's [policies] table to keep."),
                         classes="hint")

    def _options(self) -> list:
        from textual.widgets.option_list import Option

        from sestui.ops.policies import RULES

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
