"""Pane 6: the doctor. The wiring checks of `sestui doctor` as a table, the fix of the selected
check below it; `r` runs them again, `t` adds the round trip (it sends mail, so it asks first and
is hidden in a read-only console)."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sestui.ops.doctor import FAIL, OK, SKIP, WARN, Check, Doctor, DoctorOptions
from sestui.ops.doctor_base import SIMULATOR_SUCCESS
from sestui.ui.messages import DoctorChecked, DoctorFinished, OpenTimeline
from sestui.ui.text import ellipsize, ellipsize_middle, literal, safe
from sestui.ui.widgets.common import KeyTable, ReadOnlyAware, detail_cell, share_room, theme_style
from sestui.ui.workers import AppWorkers, busy, deliver, io_worker, landed

STATUS_COLOURS = {OK: "success", WARN: "warning", FAIL: "error", SKIP: "text-muted"}
ROUND_TRIP_TIMEOUT = 60.0
ROUND_TRIP = "round trip"  # the check's name
# A command in a fix: `quoted`, or from `aws `/`sestui ` to where the prose resumes.
_QUOTED = re.compile(r"`([^`]+)`")
_COMMAND = re.compile(r"(?<![\w@.-])((?:aws|sestui) [a-z][^()]*?)(?=\s*\(|\)|, or |; |$)")


def fix_command(fix: str | None) -> str | None:
    """The command a fix names (what `y` copies), or the whole fix when it names none."""
    if not fix:
        return None
    match = _QUOTED.search(fix) or _COMMAND.search(fix)
    return match.group(1).strip() if match else fix


class DoctorPane(AppWorkers, ReadOnlyAware, Vertical):
    WRITE_ACTIONS = frozenset({"round_trip"})
    BINDINGS = [
        Binding("r", "run", "Run checks", id="doctor.run"),
        Binding("t", "round_trip", "Round trip", id="doctor.round_trip"),
        Binding("y", "copy", "Copy fix", show=False, id="doctor.copy",
                tooltip="copy the selected check's fix (its command, when it names one)"),
        Binding("o", "open_round_trip", "Its timeline", id="doctor.timeline",
                tooltip="the round trip's test message in the timeline (enter on its row too)"),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.run_number = 0
        self.doctor: Doctor | None = None  # the latest run, so leaving can cancel it
        self.started = False
        self.checks: dict[str, Check] = {}
        self.facts = None
        self._summary: tuple[str, list[tuple[str, str]], str, bool] | None = None  # the finished run's line
        self.cut_facts: list[tuple[str, str]] = []  # the names the summary line cut: whole in the detail box

    def compose(self) -> ComposeResult:
        yield Static(id="doc-status")
        yield KeyTable(id="doc-table")
        yield Static(id="doc-fix")

    def on_mount(self) -> None:
        self.relayout()

    def on_resize(self) -> None:
        self.relayout()

    def relayout(self) -> None:
        """Widths from the width and the checks shown: the detail takes what the names leave."""
        width = self.size.width or self.app.size.width
        rows = [(name, self._cells(check)) for name, check in self.checks.items()]
        columns = share_room(width - 3, [("Status", "status", 6), ("Check", "name", 18),
                                         ("Detail", "detail", max(20, width - 33))], (cells for _, cells in rows))
        if columns != self.table.column_layout:
            self.table.lay_out(columns, rows)
        if self._summary is not None:
            self._show_summary()

    def _cells(self, check: Check) -> list[Text]:
        colour = STATUS_COLOURS.get(check.status, "")
        return [Text(check.status, style=theme_style(self.app, colour, bold=check.status == FAIL)),
                Text(check.name), detail_cell(check.detail)]

    @property
    def running(self) -> Doctor | None:
        """The run in progress, if any (asked of the worker manager, not kept in a flag)."""
        return self.doctor if busy(self.app, "doctor") else None

    @property
    def table(self) -> KeyTable:
        return self.query_one("#doc-table", KeyTable)

    def focus_main(self) -> None:
        self.table.focus()

    def why_hidden(self, action: str) -> str | None:
        if action == "open_round_trip" and self.round_trip_message_id() is None:
            return "no round trip message yet" + ("" if self.app.ctx.read_only else " (t sends one)")
        return super().why_hidden(action)

    def round_trip_message_id(self) -> str | None:
        """The latest run's test message, as soon as SES took it (the run may still be waiting)."""
        return getattr(getattr(self.doctor, "facts", None), "round_trip_message_id", None)

    def on_show(self) -> None:
        if not self.started:
            self.started = True
            self.action_run()

    def on_unmount(self) -> None:
        if self.doctor is not None:
            self.doctor.cancel.set()

    def poll(self) -> None:
        """ctrl+r: run the checks again."""
        self.action_run()

    # -- running ----------------------------------------------------------------------------------

    def action_run(self, send: bool = False) -> None:
        ctx = self.app.ctx
        if ctx.aws is None:
            self._status("No AWS connection: the doctor needs AWS credentials.")
            self._fix(Text("Start sestui with --profile NAME (or try `sestui demo`)."))
            return
        if busy(self.app, "doctor"):
            self.app.notify("The checks are still running.", severity="warning")
            return
        self.run_number += 1
        run = self.run_number
        options = DoctorOptions(queue_url=ctx.queue_url, configuration_set=ctx.configuration_set, send=send,
                                timeout=ROUND_TRIP_TIMEOUT,
                                not_sent="not sent (read-only console)" if ctx.read_only
                                else "not sent (t sends one test message)")
        # The console's collector (ops.build): the round trip verifies and applies policies like it.
        doctor = Doctor(ctx.aws, ctx.store, options, collector=ctx.collector, clock=ctx.now_ms)
        self.doctor = doctor
        self.checks = {}
        self._summary = None
        self.cut_facts = []
        self.table.clear()
        self._fix(Text(""))
        self._status("Sending a test message and waiting for its Delivery…" if send else "Checking…")

        self._run(run, doctor)

    @io_worker("doctor")
    def _run(self, run: int, doctor: Doctor) -> None:
        """A failure (a locked database...) ends the worker; the app marks the console STALE."""
        for check in doctor.run():
            deliver(self, DoctorChecked(run, check))
        deliver(self, DoctorFinished(run, doctor.facts))

    @landed(DoctorChecked)
    def _checked(self, message: DoctorChecked) -> None:
        if message.run != self.run_number:
            return
        check = message.check
        self.checks[check.name] = check
        self.table.add_row(*self._cells(check), key=check.name)
        self.relayout()  # a longer name or detail: maybe other widths
        if len(self.checks) == 1 or self.table.selected_key() == check.name:
            self._show_fix(check.name)

    @landed(DoctorFinished)
    def _finished(self, message: DoctorFinished) -> None:
        if message.run != self.run_number:
            return
        self.facts = message.facts
        counts = {s: sum(1 for c in self.checks.values() if c.status == s) for s in (OK, WARN, FAIL, SKIP)}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        facts = message.facts
        topic = (facts.topic_arn or "-").rsplit(":", 1)[-1]
        keys = "r re-runs" if self.app.ctx.read_only else "r re-runs, t round trip"
        if self.round_trip_message_id():
            keys += ", o its timeline"
        self._summary = (summary, [("topic", topic), ("set", facts.configuration_set or "-"),
                                   ("identity", facts.identity or "-")], keys, bool(counts[FAIL]))
        self._show_summary()
        first_problem = next((c.name for c in self.checks.values() if c.status in (FAIL, WARN)), None)
        if first_problem:
            self.table.move_cursor(row=self.table.get_row_index(first_problem))
            self._show_fix(first_problem)
        self.app.refresh_bindings()  # `o` once there is a round trip message

    @on(DataTable.RowSelected, "#doc-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value == ROUND_TRIP and self.round_trip_message_id():
            self.action_open_round_trip()

    def action_open_round_trip(self) -> None:
        message_id = self.round_trip_message_id()
        if message_id:
            self.post_message(OpenTimeline(message_id, remember=True))

    @on(DataTable.RowHighlighted, "#doc-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value in self.checks:
            self._show_fix(event.row_key.value)

    def _show_fix(self, name: str) -> None:
        check = self.checks[name]
        text = Text()  # appended as plain strings: shown literally, never parsed as markup
        text.append(f"{check.name}: ", style="bold")
        text.append(safe(check.detail))
        if check.fix:
            text.append("\nfix: ", style=theme_style(self.app, "warning", bold=True))
            text.append(safe(check.fix))
            text.append("   (y copies " + ("it)" if fix_command(check.fix) == check.fix else "the command)"),
                        style=theme_style(self.app, "text-muted"))
        if name == ROUND_TRIP and self.round_trip_message_id():
            text.append("\no or enter: its timeline", style=theme_style(self.app, "text-muted"))
        if self.cut_facts:
            text.append("\n" + " · ".join(f"{label} {safe(value)}" for label, value in self.cut_facts),
                        style=theme_style(self.app, "text-muted"))
        self._fix(text)

    def action_copy(self) -> None:
        check = self.checks.get(self.table.selected_key() or "")
        command = fix_command(check.fix if check else None)
        self.app.actions.copy("fix command" if check and command != check.fix else "fix", command)

    def _show_summary(self) -> None:
        """The finished run's line, fitted to the pane: the topic and the set lose their middle,
        then the keys go (the footer has them), then the topic; the identity mail is sent from
        stays whole while anything else can give way."""
        assert self._summary is not None
        summary, facts, keys, error = self._summary
        room = (self.size.width or self.app.size.width) - 2  # the line's padding

        def line(shown: list[tuple[str, str]], with_keys: bool) -> str:
            said = " · ".join(f"{label} {value}" for label, value in shown)
            return f"{summary} · {said}" + (f"  ({keys})" if with_keys else "")

        cuttable = [i for i, (label, _) in enumerate(facts) if label != "identity"]
        for with_keys in (True, False):
            shown = list(facts)  # each try from the whole names: without the keys they may fit whole
            while len(line(shown, with_keys)) > room:  # the longer of topic and set gives way first
                longest, other = sorted(cuttable, key=lambda i: len(shown[i][1]), reverse=True)
                size, next_size = len(shown[longest][1]), len(shown[other][1])
                if size <= 9:
                    break
                cut = max(1, min(len(line(shown, with_keys)) - room, size - next_size + 1))
                shown[longest] = (shown[longest][0], ellipsize_middle(facts[longest][1], max(9, size - cut)))
            if len(line(shown, with_keys)) <= room:
                break
        if len(line(shown, False)) > room:
            shown = [fact for fact in shown if fact[0] != "topic"]
        said = ellipsize(line(shown, with_keys), room)
        self._status(said, error=error)
        cut = [(label, value) for label, value in facts if f"{label} {value}" not in said]
        if cut != self.cut_facts:
            self.cut_facts = cut
            selected = self.table.selected_key()
            if selected in self.checks:
                self._show_fix(selected)

    def _fix(self, text: Text) -> None:
        self.query_one("#doc-fix", Static).update(text)

    def _status(self, text: str, error: bool = False) -> None:
        self.query_one("#doc-status", Static).update(
            literal(text, style=theme_style(self.app, "error" if error else "")))

    # -- the round trip -----------------------------------------------------------------------------

    def action_round_trip(self) -> None:
        from sestui.ui.screens.confirm import ConfirmScreen

        ctx = self.app.ctx
        if ctx.aws is None or ctx.read_only:
            self.app.notify("No AWS connection." if ctx.aws is None else "Read-only console.", severity="warning")
            return
        identity = getattr(self.facts, "identity", None)
        cs = getattr(self.facts, "configuration_set", None) or ctx.configuration_set
        body = Text.assemble(
            "Send one message to ", (SIMULATOR_SUCCESS, "bold"),
            " from ", literal(identity or "the identity the checks find"),
            " with configuration set ", literal(cs or "(the one the checks find)"),
            f", then wait up to {ROUND_TRIP_TIMEOUT:g}s for its Delivery to come back through the queue?")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.action_run(send=True)

        self.app.push_screen(ConfirmScreen("Round trip", body, "Send", danger=False), confirmed)

