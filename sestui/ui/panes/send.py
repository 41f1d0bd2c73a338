"""Pane 5: send a test message (typically to the mailbox simulator) and watch its events come back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from sestui.ops.suppressions import email_problem
from sestui.ui.messages import ConfigSetsLoaded, IdentitiesLoaded
from sestui.ui.text import safe
from sestui.ui.widgets.common import ReadOnlyAware
from sestui.ui.workers import AppWorkers, deliver, io_worker, landed, one_line

SIMULATOR = {
    "success": "success@simulator.amazonses.com",
    "bounce": "bounce@simulator.amazonses.com",
    "ooto": "ooto@simulator.amazonses.com",
    "complaint": "complaint@simulator.amazonses.com",
    "suppressionlist": "suppressionlist@simulator.amazonses.com",
}
# alt+letter: the fields are Inputs, which take every plain letter. (preset, its letter)
PRESET_KEYS = {"success": "s", "bounce": "u", "ooto": "o", "complaint": "c", "suppressionlist": "l"}
NO_IDENTITY = ("No verified identity in this account and region — verify an address or a domain in SES "
               "(SES console, or aws sesv2 create-email-identity), then ctrl+r.")
OUT_OF_THE_FIELDS = ("Out of the fields: 1-8 switch panes, ctrl+s sends, tab (or 5) goes back into the form, "
                     "escape goes back")
_TAG = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_CONFIG_SET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class Draft:
    sender: str
    to: list[str]
    subject: str
    body: str
    configuration_set: str | None
    tags: dict[str, str]


def validate(sender: str, to: str, subject: str, body: str, config_set: str, tags: str,
             verified: list[str], config_sets: list[str] | None = None) -> tuple[Draft | None, list[str]]:
    """The form's values -> a Draft, or the list of problems (each one line, naming the field).
    `config_sets`: the account's configuration sets, when known."""
    problems = []
    sender = sender.strip()
    if not sender:
        problems.append("From: choose a verified identity")
    elif email_problem(sender):
        problems.append(f"From: {email_problem(sender)}")
    elif verified and sender not in verified and sender.split("@")[-1] not in verified:
        problems.append(f"From: {sender} is not a verified identity of this account")
    recipients = [a.strip() for a in re.split(r"[,\s]+", to) if a.strip()]
    if not recipients:
        problems.append("To: at least one address")
    for addr in recipients:
        problem = email_problem(addr)
        if problem:
            problems.append(f"To: {problem}")
    if len(recipients) > 50:
        problems.append("To: SES takes at most 50 recipients per message")
    if not subject.strip():
        problems.append("Subject: required")
    config_set = config_set.strip()
    if config_set and not _CONFIG_SET.match(config_set):
        problems.append("Configuration set: letters, digits, _ and - only")
    elif config_set and config_sets is not None and config_set not in config_sets:
        problems.append(f"Configuration set: {config_set} does not exist in this account and region "
                        f"({'its sets: ' + ', '.join(sorted(config_sets)) if config_sets else 'it has none'})")
    parsed_tags: dict[str, str] = {}
    for item in [t.strip() for t in tags.split(",") if t.strip()]:
        name, _, value = item.partition("=")
        if not _TAG.match(name.strip()) or not _TAG.match(value.strip()):
            problems.append(f"Tags: {item!r} is not name=value (letters, digits, _ and -)")
        else:
            parsed_tags[name.strip()] = value.strip()
    if problems:
        return None, problems
    return Draft(sender, recipients, subject.strip(), body, config_set or None, parsed_tags), []


class SendPane(AppWorkers, ReadOnlyAware, VerticalScroll):
    WRITE_ACTIONS = frozenset({"send"})
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="send.send"),
        *(Binding(f"alt+{key}", f"preset('{name}')", name.capitalize(), show=False, priority=True,
                  id=f"send.preset_{name}", tooltip=f"To: {SIMULATOR[name]}") for name, key in PRESET_KEYS.items()),
        Binding("alt+y", "copy", "Copy message id", show=False, priority=True, id="send.copy",
                tooltip="copy the MessageId of the last message sent from this form"),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.verified: list[str] = []
        self.config_sets: list[str] | None = None
        self.loaded = False
        self.last_sent: str | None = None  # the MessageId of the last send from this form
        self.sent_from: Widget | None = None  # the field a send left for its timeline: escape returns to it

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False  # steady, like the filter lines
            # coming back to a field never selects all of it: one keystroke (a pane's digit) would replace it
            field.select_on_focus = False

    def compose(self) -> ComposeResult:
        ctx = self.app.ctx
        with Horizontal(classes="row"):
            yield Label("From")
            yield Select[str]([], prompt="(loading identities…)", id="send-from", allow_blank=True)
        with Horizontal(classes="row"):
            yield Label("To")
            yield Input(placeholder="address, or a simulator preset below", id="send-to")
        with Horizontal(id="presets"):
            yield Label("Simulator ")
            for name, key in PRESET_KEYS.items():
                at = name.index(key)  # the letter is underlined, as a menu's accelerator
                label = Text.assemble(name[:at], (key, "underline"), name[at + 1:])
                yield Button(label, id=f"preset-{name}", compact=True, tooltip=f"alt+{key}")
        with Horizontal(classes="row"):
            yield Label("Subject")
            yield Input("sestui test message", id="send-subject")
        with Horizontal(classes="row"):
            yield Label("Body")
            yield Input("Sent from sestui to check the SES -> SNS -> SQS loop.", id="send-body")
        with Horizontal(classes="row"):
            yield Label("Config set")
            yield Input(ctx.configuration_set or "", placeholder="configuration set (optional)", id="send-config")
        with Horizontal(classes="row"):
            yield Label("Tags")
            yield Input(placeholder="name=value, name=value (optional)", id="send-tags")
        yield Static(id="send-problems")
        if ctx.read_only:
            hint = "Read-only console: this form checks a message but cannot send it."
        else:
            hint = ("alt+underlined letter: a simulator address in To · ctrl+s sends (asks first) and opens "
                    "the message's timeline, escape comes back · alt+y copies the last MessageId")
        self.hint = hint
        yield Static(Text(hint), id="send-hint")

    def on_focus(self) -> None:
        """The form itself holds the focus (escape left a field; tab passes here after Tags): nothing
        in it is marked, so the hint says where the keys go."""
        self.query_one("#send-hint", Static).update(Text(OUT_OF_THE_FIELDS))

    def on_descendant_focus(self) -> None:
        self.query_one("#send-hint", Static).update(Text(self.hint))

    def focus_main(self) -> None:
        """To, the first field to fill; back from a send's timeline, the field the send left."""
        field, self.sent_from = self.sent_from or self.query_one("#send-to", Input), None
        field.focus()
        if not self.loaded:
            self.loaded = True
            self._load_identities()

    def back(self) -> bool:
        """Escape in a field leaves it, as escape leaves a pane's filter line: focus on the form itself,
        where the digits switch panes again (the footer shows them). True if it left a field."""
        focused = self.app.focused
        if focused is None or focused is self or self not in focused.ancestors:
            return False
        self.focus()
        return True

    def poll(self) -> None:
        """ctrl+r: list the identities (and configuration sets) again if the last try found none."""
        if not self.verified or self.config_sets is None:
            self._load_identities()

    @io_worker("identities")
    def _load_identities(self) -> None:
        """Every outcome ends the From's "loading": the list, none, or the error (an unexpected one
        also fails the worker, so the console is marked STALE with it)."""
        from sestui.aws import AwsError

        aws = self.app.ctx.aws
        if aws is None:
            deliver(self, IdentitiesLoaded([], "no AWS connection"))
            return
        try:
            deliver(self, IdentitiesLoaded(aws.ses.verified_identities()))
        except AwsError as exc:
            deliver(self, IdentitiesLoaded([], str(exc)))
        except Exception as exc:
            deliver(self, IdentitiesLoaded([], one_line(exc)))
            raise
        try:
            deliver(self, ConfigSetsLoaded(aws.configuration_sets.names()))
        except AwsError:
            deliver(self, ConfigSetsLoaded(None))  # not known: SES's answer to the send will say

    @landed(IdentitiesLoaded)
    def _identities(self, message: IdentitiesLoaded) -> None:
        self.verified = message.identities
        select = self.query_one("#send-from", Select)
        options = []
        for identity in message.identities:
            # A verified domain can send from any address in it.
            address = identity if "@" in identity else f"sestui-test@{identity}"
            options.append((address, address))
        keep = select.value  # a list again (ctrl+r) keeps the operator's choice
        select.set_options(options)
        problems = self.query_one("#send-problems", Static)
        if options:
            select.value = keep if keep in [value for _, value in options] else options[0][1]
            problems.update("")
        elif message.error:
            select.prompt = "(cannot list identities: see below)"
            problems.update(Text(f"Cannot list identities: {safe(message.error)} (ctrl+r tries again)"))
        else:
            select.prompt = "(no verified identity: see below)"
            problems.update(Text(NO_IDENTITY))

    @landed(ConfigSetsLoaded)
    def _config_sets(self, message: ConfigSetsLoaded) -> None:
        self.config_sets = message.names

    @on(Button.Pressed, "#presets Button")
    def _preset(self, event: Button.Pressed) -> None:
        self.action_preset((event.button.id or "").removeprefix("preset-"))

    def action_preset(self, name: str) -> None:
        to = self.query_one("#send-to", Input)
        to.value = SIMULATOR[name]
        to.cursor_position = len(to.value)

    def draft(self) -> Draft | None:
        value = self.query_one("#send-from", Select).value
        sender = value if isinstance(value, str) else ""
        draft, problems = validate(
            sender,
            self.query_one("#send-to", Input).value,
            self.query_one("#send-subject", Input).value,
            self.query_one("#send-body", Input).value,
            self.query_one("#send-config", Input).value,
            self.query_one("#send-tags", Input).value,
            self.verified,
            self.config_sets,
        )
        self.query_one("#send-problems", Static).update(Text("\n".join(problems)))
        return draft

    def action_send(self) -> None:
        draft = self.draft()
        if draft is not None:
            self.app.actions.send(draft, self._sent)

    def _sent(self, ok: bool, detail: str, message_id: str | None) -> None:
        """The send's outcome stays on the form (a toast goes; a refusal must be read)."""
        if ok:
            self.last_sent = message_id
            focused = self.app.focused
            self.sent_from = focused if focused is not None and self in focused.ancestors else None
            self.query_one("#send-problems", Static).update("")
        else:
            self.query_one("#send-problems", Static).update(Text(f"Not sent: {safe(detail)}"))

    def action_copy(self) -> None:
        self.app.actions.copy("message id", self.last_sent)
