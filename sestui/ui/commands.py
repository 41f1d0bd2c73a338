"""The command palette's console commands (ctrl+p): every pane and action by name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

if TYPE_CHECKING:
    from sestui.ui.app import SestuiApp


# Textual's "Keys" panel takes 30 columns of 80, lists Textual's own wording and does not close with
# escape: `?` (Help: keys) is the console's help. "Maximize" hid the header (a STALE feed unseen)
# while the footer's 1-8 switched panes out of sight; "Screenshot" would write the screen's addresses
# to a file that is not private (or failed: no downloads folder).
TEXTUAL_COMMANDS_LEFT_OUT = frozenset({"Keys", "Maximize", "Minimize", "Screenshot"})


def palette_commands(app: SestuiApp, textual: Iterable[SystemCommand]) -> Iterator[SystemCommand]:
    """Textual's own commands that fit the console (Theme, Quit), then the console's and pane 8's."""
    from sestui.ui.panes.actions import actions_commands

    yield from (c for c in textual if c.title not in TEXTUAL_COMMANDS_LEFT_OUT)
    yield from console_commands(app)
    yield from actions_commands(app)


def console_commands(app: SestuiApp) -> Iterator[SystemCommand]:
    from sestui.ui.app import PANES, SWITCH_ACCOUNT

    def on(pane: str, action: str):
        def run() -> None:
            app.action_pane(pane)
            getattr(app.pane(pane), action)()
        return run

    for i, (name, label) in enumerate(PANES, start=1):
        yield SystemCommand(f"Pane {i}: {label}", f"Show the {label.lower()} pane",
                            lambda name=name: app.action_pane(name))
    yield SystemCommand("Pause / unpause live updates", "Freeze the flow and timeline (space)", app.action_pause)
    yield SystemCommand("Refresh now", "Reload the visible pane and the header", app.action_refresh_now)
    yield SystemCommand("Flow: problems only", "Show only bounces, complaints, rejects, delays",
                        on("flow", "action_problems"))
    yield SystemCommand("Flow: choose event types", "Toggle event types in the flow", on("flow", "action_types"))
    yield SystemCommand("Open a message by id", "Its timeline: every event of one SES message",
                        lambda: open_message_by_id(app))
    yield SystemCommand("Suppressions: reload from SES", "Fetch every page of the account suppression list",
                        on("suppressions", "action_reload_from_aws"))
    yield SystemCommand("Suppressions: export CSV", "Write the rows shown to a CSV file",
                        on("suppressions", "action_export_csv"))
    yield SystemCommand("Suppressions: audit log", "Who changed the list, when, and how it went",
                        on("suppressions", "action_toggle_audit"))
    yield SystemCommand("Suppressions: policies", "What the collector suppresses by itself",
                        on("suppressions", "action_policies"))
    if not app.ctx.read_only:
        yield SystemCommand("Suppressions: add an address", "Add to the account suppression list",
                            on("suppressions", "action_add"))
        yield SystemCommand("Suppressions: import CSV", "Add every address in a CSV file",
                            on("suppressions", "action_import_csv"))
        yield SystemCommand("Send a test message", "Open the send form", lambda: app.action_pane("send"))
    for name in app.ctx.accounts:
        if name != app.ctx.account_name:
            yield SystemCommand(f"Switch account: {name}", "Watch this account/region, its queue and database",
                                lambda name=name: app.exit(result=(SWITCH_ACCOUNT, name)))
    yield SystemCommand("Help: keys", "Every key binding and what each number means", app.action_help)


# SES message ids: 16 hex digits (0100 or 0101… and the time), then dash-separated hex groups
SES_MESSAGE_ID = re.compile(r"[0-9a-fA-F]{16}(-[0-9a-fA-F]+){2,}")


def message_id_problem(value: str) -> str | None:
    if SES_MESSAGE_ID.fullmatch(value):
        return None
    return (f"{value[:40]} is not an SES message id: they look like 0100018c7a3b2c1d-1a2b…-000000"
            " (y in the flow copies one)")


def open_message_by_id(app: SestuiApp) -> None:
    """Ask for an SES message id and open its timeline; a value of another shape is said at once
    (an id of the right shape with nothing stored shows the timeline's own "no events yet")."""
    from sestui.ui.messages import OpenTimeline
    from sestui.ui.screens.path import PathScreen

    def chosen(message_id: str | None) -> None:
        if message_id:
            app.post_message(OpenTimeline(message_id, remember=False))

    app.push_screen(PathScreen("Open a message by its SES message id", "", placeholder="0100018c…-000000",
                               check=message_id_problem), chosen)
