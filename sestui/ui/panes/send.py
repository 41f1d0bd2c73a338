"""Pane 5: send a test message (typically to the mailbox simulator) and watch its events come back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from sestui.ops.suppressions import email_problem
from sestui.ui.messages import IdentitiesLoaded
from sestui.ui.widgets.common import ReadOnlyAware
from sestui.ui.workers import AppWorkers, deliver, io_worker

SIMULATOR = {
    "success": "success@simulator.amazonses.com",
    "bounce": "bounce@simulator.amazonses.com",
    "ooto": "ooto@simulator.amazonses.com",
    "complaint": "complaint@simulator.amazonses.com",
    "suppressionlist": "suppressionlist@simulator.amazonses.com",
}
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
             verified: list[str]) -> tuple[Draft | None, list[str]]:
    """The form's values -> a Draft, or the list of problems (each one line, naming the field)."""
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
    BINDINGS = [Binding("ctrl+s", "send", "Send", id="send.send")]


    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.verified: list[str] = []
        self.loaded = False

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
            for name in SIMULATOR:
                yield Button(name, id=f"preset-{name}", compact=True)
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
            hint = ("ctrl+s sends (after a confirmation); the message's timeline opens and fills as its events "
                    "arrive.")
        yield Static(Text(hint), id="send-hint")

    def focus_main(self) -> None:
        self.query_one("#send-to", Input).focus()
        if not self.loaded:
            self.loaded = True
            self._load_identities()

    def poll(self) -> None:
        """ctrl+r: list the identities again if the last try found none."""
        if not self.verified:
            self._load_identities()

    @io_worker("identities")
    def _load_identities(self) -> None:
        from sestui.aws import AwsError

        aws = self.app.ctx.aws
        if aws is None:
            deliver(self, IdentitiesLoaded([], "no AWS connection"))
            return
        try:
            deliver(self, IdentitiesLoaded(aws.verified_identities()))
        except AwsError as exc:
            deliver(self, IdentitiesLoaded([], str(exc)))

    @on(IdentitiesLoaded)
    def _identities(self, message: IdentitiesLoaded) -> None:
        message.stop()
        self.verified = message.identities
        select = self.query_one("#send-from", Select)
        options = []
        for identity in message.identities:
            # A verified domain can send from any address in it.
            address = identity if "@" in identity else f"sestui-test@{identity}"
            options.append((address, address))
        select.set_options(options)
        if options:
            select.value = options[0][1]
        elif message.error:
            select.prompt = "(no identity: see below)"
            self.query_one("#send-problems", Static).update(Text(f"Cannot list identities: {message.error}"))

    @on(Button.Pressed, "#presets Button")
    def _preset(self, event: Button.Pressed) -> None:
        name = (event.button.id or "").removeprefix("preset-")
        self.query_one("#send-to", Input).value = SIMULATOR[name]

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
        )
        self.query_one("#send-problems", Static).update(Text("\n".join(problems)))
        return draft

    def action_send(self) -> None:
        draft = self.draft()
        if draft is not None:
            self.app.actions.send(draft)
