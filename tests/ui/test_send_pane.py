"""Pane 5 as a new user meets it: the focused field is marked, the From select always ends its
"loading", a configuration set the account lacks is refused before sending (and a refused send
stays on the form), the simulator presets are one key each, escape after a send comes back, and
alt+y copies the MessageId."""

from __future__ import annotations

import pytest
from console_data import make_app, open_pane, press, rendered, run, screen_text, terminal_writes
from test_console_aws import make_app as sandbox_app
from test_console_aws import run as sandbox_run
from test_console_aws import until

from sestui.aws import AwsError


class FakeAws:
    """An account with the given identities and configuration sets (or a failure listing them)."""

    profile, region = "test", "us-east-1"

    def __init__(self, identities=(), sets=("sestui-default",), fail: Exception | None = None):
        self.identities, self.fail = list(identities), fail
        self.configuration_sets = self.ses = self
        self.sets = list(sets)

    def verified_identities(self):
        if self.fail:
            raise self.fail
        return self.identities

    def names(self):
        return self.sets

    def __getattr__(self, name):
        raise AwsError("not in this fake", kind="credentials")


def bold_labels(app) -> list[str]:
    """The Send pane's field labels drawn bold on the screen now (the focus mark that is not colour)."""
    labels = {"From", "To", "Subject", "Body", "Config set", "Tags"}
    found = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            if segment.text.strip() in labels and segment.style is not None and segment.style.bold:
                found.append(segment.text.strip())
    return found


def test_entering_the_pane_focuses_to_and_marks_the_focused_field_on_screen(store):
    app = make_app(store, aws=FakeAws(["mail.example.com"]))

    async def scenario(pilot):
        send = await open_pane(pilot, "send")
        assert app.focused is send.query_one("#send-to")
        assert bold_labels(app) == ["To"]
        await press(pilot, "shift+tab")
        assert app.focused is send.query_one("#send-from") and bold_labels(app) == ["From"]
        await press(pilot, "escape", "5")  # leave and come back: the first field to fill again
        assert app.focused is send.query_one("#send-to") and bold_labels(app) == ["To"]

    run(app, scenario)


@pytest.mark.parametrize("aws, prompt, problem", [
    (FakeAws([]), "(no verified identity", "No verified identity in this account and region"),
    (FakeAws(fail=AwsError("ses:ListIdentities denied", kind="denied")), "(cannot list identities",
     "Cannot list identities: ses:ListIdentities denied"),
    (FakeAws(fail=RuntimeError("endpoint went away")), "(cannot list identities",
     "RuntimeError: endpoint went away"),
    (None, "(cannot list identities", "no AWS connection"),
], ids=["none-verified", "aws-error", "unexpected-error", "no-aws"])
def test_the_from_select_never_stays_loading(store, aws, prompt, problem):
    app = make_app(store, aws=aws)

    async def scenario(pilot):
        send = await open_pane(pilot, "send")
        shown = screen_text(app)
        assert "loading identities" not in shown
        assert prompt in shown
        assert problem in rendered(send.query_one("#send-problems"))
        assert app.is_running

    run(app, scenario, size=(120, 40))


def test_the_from_select_lists_the_identities(store):
    app = make_app(store, aws=FakeAws(["ops@example.org", "mail.example.com"]))

    async def scenario(pilot):
        send = await open_pane(pilot, "send")
        assert send.query_one("#send-from").value == "ops@example.org"
        assert "ops@example.org" in screen_text(app)

    run(app, scenario)


def test_a_configuration_set_the_account_lacks_is_refused_before_any_confirmation(store):
    app = make_app(store, aws=FakeAws(["mail.example.com"], sets=["sestui-default", "marketing"]))

    async def scenario(pilot):
        send = await open_pane(pilot, "send")
        send.query_one("#send-to").value = "success@simulator.amazonses.com"
        send.query_one("#send-config").value = "nope"
        await press(pilot, "ctrl+s")
        assert len(app.screen_stack) == 1, "nothing is confirmed while the set does not exist"
        problems = rendered(send.query_one("#send-problems"))
        assert "Configuration set: nope does not exist in this account and region" in problems
        assert "marketing, sestui-default" in problems
        send.query_one("#send-config").value = "marketing"
        await press(pilot, "ctrl+s")
        assert type(app.screen).__name__ == "ConfirmScreen"

    run(app, scenario)


@pytest.mark.parametrize("key, address", [
    ("alt+s", "success@simulator.amazonses.com"), ("alt+u", "bounce@simulator.amazonses.com"),
    ("alt+o", "ooto@simulator.amazonses.com"), ("alt+c", "complaint@simulator.amazonses.com"),
    ("alt+l", "suppressionlist@simulator.amazonses.com"),
])
def test_each_simulator_preset_is_one_key_from_any_field(store, key, address):
    app = make_app(store, aws=FakeAws(["mail.example.com"]))

    async def scenario(pilot):
        send = await open_pane(pilot, "send")
        await press(pilot, *"someone")
        await press(pilot, key)
        assert send.query_one("#send-to").value == address
        send.query_one("#send-subject").focus()
        await press(pilot, key)
        assert send.query_one("#send-subject").value == "sestui test message", "the key types nothing"
        assert send.query_one("#send-to").value == address
        assert key in " ".join(keys for _, rows in app.help_sections() for keys, _ in rows)

    run(app, scenario)


def test_the_preset_letters_are_shown_on_the_buttons(store):
    app = make_app(store, aws=FakeAws(["mail.example.com"]))

    async def scenario(pilot):
        send = await open_pane(pilot, "send")
        assert "alt+underlined letter" in rendered(send.query_one("#send-hint"))
        label = send.query_one("#preset-bounce").label
        assert any("underline" in str(span.style) for span in getattr(label, "spans", []))

    run(app, scenario)


def test_after_a_send_escape_returns_to_the_form_and_alt_y_copies_its_message_id(store, sestui_aws, sandbox):
    app = sandbox_app(store, sestui_aws, sandbox)

    async def scenario(pilot):
        written = terminal_writes(app)
        await pilot.press("5")
        send = app.pane("send")
        await until(pilot, lambda: send.verified)
        await pilot.press("alt+u")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        timeline = app.pane("timeline")
        await until(pilot, lambda: app.current == "timeline" and timeline.message_id)
        sent = timeline.message_id
        await pilot.press("escape")
        await until(pilot, lambda: app.current == "send")
        assert send.query_one("#send-to").value == "bounce@simulator.amazonses.com"  # the form as it was
        assert app.focused is send.query_one("#send-to")
        await pilot.press("alt+y")
        await pilot.pause()
        assert app.clipboard == sent
        assert any(chunk.startswith("\x1b]52;c;") for chunk in written)
        assert send.query_one("#send-to").value == "bounce@simulator.amazonses.com"  # alt+y typed nothing

    sandbox_run(app, scenario)


async def ready_form(pilot, app):
    """Pane 5, once it knows whether the sender is verified and which configuration sets exist."""
    await pilot.press("5")
    send = app.pane("send")
    await until(pilot, lambda: send.verified and send.config_sets is not None)
    return send


async def send_to_the_simulator(pilot) -> None:
    """From the ready form: alt+s puts the simulator's success address in To; ctrl+s, then yes."""
    await pilot.press("alt+s", "ctrl+s")
    await pilot.pause()
    await pilot.press("y")


def test_a_refused_send_stays_on_the_form(store, sestui_aws, sandbox):
    sandbox.faults.fail_next("SendEmail", "MessageRejected", times=1, service="sesv2")
    app = sandbox_app(store, sestui_aws, sandbox)

    async def scenario(pilot):
        send = await ready_form(pilot, app)
        await send_to_the_simulator(pilot)
        await until(pilot, lambda: "Not sent:" in rendered(send.query_one("#send-problems")))
        assert app.current == "send"

    sandbox_run(app, scenario)


def test_every_alt_key_of_the_form_reaches_it_from_a_real_terminal():
    """A terminal sends alt+X as ESC X; Textual reads ESC b and ESC f as ctrl+left/right (iTerm's
    word moves), so alt+b or alt+f would never arrive as themselves."""
    from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

    from sestui.ui.panes.send import SendPane

    for binding in SendPane.BINDINGS:
        if binding.key.startswith("alt+"):
            assert "\x1b" + binding.key.removeprefix("alt+") not in ANSI_SEQUENCES_KEYS, binding.key


@pytest.mark.parametrize("config_set, warned", [("marketing", True), ("transactional", False), (None, False)])
def test_the_send_confirm_warns_when_the_header_knows_the_set_is_paused(store, config_set, warned):
    """The header marks marketing paused (pane 8 keeps that mark): the confirm says SES will refuse
    the send before it is made, not only the SendingPausedException afterwards."""
    from sestui.ui.panes.send import Draft
    from sestui.ui.screens.confirm import ConfirmScreen
    from sestui.ui.widgets.header import HealthHeader

    app = make_app(store, aws=FakeAws(["mail.example.com"], sets=("marketing", "transactional")))

    async def scenario(pilot):
        await press(pilot, "5")
        app.query_one(HealthHeader).paused_sets = ("marketing",)
        app.actions.send(Draft("shop@mail.example.com", ["success@simulator.amazonses.com"], "hello", "x",
                               config_set, {}))
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.body)
        assert ("marketing is paused: SES will refuse this send" in body) is warned, body

    run(app, scenario, size=(120, 40))


def test_the_confirmation_lists_the_tags_that_will_be_sent(store, sestui_aws, sandbox):
    app = sandbox_app(store, sestui_aws, sandbox)

    async def scenario(pilot):
        send = await ready_form(pilot, app)
        send.query_one("#send-tags").value = "campaign=spring-2026, team=ops"
        await pilot.press("alt+s", "ctrl+s")
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        assert "tags campaign=spring-2026, team=ops" in shown, shown
        await pilot.press("escape")

    sandbox_run(app, scenario)


def test_escape_from_a_sends_timeline_returns_to_the_field_it_left_as_it_was(store, sestui_aws, sandbox):
    """Back from the timeline, focus is where the send left it and nothing in the field is selected:
    a key typed there (a digit too, as in any text field) adds to it, never replaces it."""
    app = sandbox_app(store, sestui_aws, sandbox)

    async def scenario(pilot):
        send = await ready_form(pilot, app)
        await pilot.press("alt+s")
        subject = send.query_one("#send-subject")
        subject.focus()
        await pilot.pause()
        before = subject.value
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: app.current == "timeline" and app.pane("timeline").message_id)
        await pilot.press("escape")
        await until(pilot, lambda: app.current == "send")
        assert app.focused is subject
        await pilot.press("8")
        assert subject.value == before + "8", subject.value
        assert send.query_one("#send-to").value == "success@simulator.amazonses.com"

    sandbox_run(app, scenario)


def footer_keys(app) -> set[str]:
    return {key.key for key in app.screen.query("FooterKey")}


def test_escape_leaves_a_field_then_the_digits_switch_panes_as_the_footer_and_help_say(store):
    """In a field every key types and the footer says so (no 1-8 there); escape leaves the field,
    as it leaves the flow's filter line, and the digits switch panes again; 5 goes back to To."""
    from help_data import open_help

    app = make_app(store, aws=FakeAws(["mail.example.com"]))

    async def scenario(pilot):
        send = await open_pane(pilot, "send")
        to = send.query_one("#send-to")
        await press(pilot, "2", "q")
        assert (app.current, to.value) == ("send", "2q"), "in a field the keys type"
        assert "1" not in footer_keys(app)
        await press(pilot, "escape")
        assert app.current == "send" and app.focused is send, "escape left the field, not the pane"
        assert "1" in footer_keys(app), "the footer shows the digits again"
        assert "Out of the fields: 1-8 switch panes" in rendered(send.query_one("#send-hint"))
        await press(pilot, "5")
        assert app.focused is to and "Out of the fields" not in rendered(send.query_one("#send-hint"))
        await press(pilot, "escape", "3")
        assert app.current == "suppressions" and to.value == "2q"
        await press(pilot, "5", "escape", "escape")
        assert app.current == "flow", "escape again: back"
        shown = " ".join((await open_help(pilot)).split())
        assert "in a text field every key types" in shown and "escape leaves the field" in shown

    run(app, scenario)


def test_after_a_sends_timeline_escape_twice_leaves_the_field_then_a_digit_switches(store, sestui_aws, sandbox):
    app = sandbox_app(store, sestui_aws, sandbox)

    async def scenario(pilot):
        send = await ready_form(pilot, app)
        await send_to_the_simulator(pilot)
        await until(pilot, lambda: app.current == "timeline" and app.pane("timeline").message_id)
        await pilot.press("escape")
        await until(pilot, lambda: app.current == "send")
        to = send.query_one("#send-to")
        assert app.focused is to and "1" not in footer_keys(app)
        await pilot.press("escape")
        await until(pilot, lambda: app.focused is send)
        assert "1" in footer_keys(app)
        await pilot.press("1")
        await until(pilot, lambda: app.current == "flow")
        assert to.value == "success@simulator.amazonses.com", "the digit typed nothing"

    sandbox_run(app, scenario)
