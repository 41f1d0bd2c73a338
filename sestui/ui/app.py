"""The console application: a health header, five panes, modals; every I/O in a thread worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette, SearchIcon
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Static

from sestui.core import health
from sestui.ops import suppressions as service
from sestui.ops.collector import Collector
from sestui.aws import Aws, AwsError
from sestui.store import Store, now_ms
from sestui.ui.panes.flow import FlowPane
from sestui.ui.widgets.header import HealthHeader
from sestui.ui.messages import ActionFinished, HealthLoaded, OpenTimeline
from sestui.ui.screens.modals import ConfirmScreen, HelpScreen
from sestui.ui.panes.reputation import ReputationPane
from sestui.ui.panes.doctor import DoctorPane
from sestui.ui.panes.send import Draft, SendPane
from sestui.ui.panes.suppressions import SuppressionPane
from sestui.ui.text import literal, safe
from sestui.ui.panes.timeline import TimelinePane
from sestui.ui.widgets.common import theme_style

PANES = (("flow", "Flow"), ("timeline", "Timeline"), ("suppressions", "Suppressions"),
         ("reputation", "Reputation"), ("send", "Send"), ("doctor", "Doctor"))
REPUTATION_EVERY = 30  # ticks


@dataclass
class ConsoleContext:
    """What the panes need from outside the UI: the store, AWS, settings and a clock."""

    store: Store
    aws: Aws | None
    profile: str | None = None
    region: str | None = None
    account: str | None = None
    queue_url: str | None = None
    configuration_set: str | None = None
    read_only: bool = False
    clock: Callable[[], int] = now_ms
    collector: Collector | None = None  # built by ops.build; started only when the console has no queue
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    policies: object | None = None  # policies.PolicyConfig the collector applies; toggled live
    accounts: list[str] = field(default_factory=list)  # configured accounts the console can switch to
    account_name: str | None = None
    notice: str | None = None  # shown once at start (e.g. why a switch of account failed)

    def now_ms(self) -> int:
        return self.clock()

    def health_summary(self) -> health.Summary:
        now = self.now_ms()
        store = self.store
        return health.summarize(
            profile=self.profile, region=self.region, account=self.account,
            snapshot=store.account_snapshot(), last_ok=store.account_snapshot(ok_only=True),
            stats=store.send_stats(now - 14 * 86_400_000), counts_24h=store.counts_by_type(now - 86_400_000),
            collectors=store.collector_states(), now_ms=now, queue_url=self.queue_url, db_path=str(store.path),
        )


class Palette(CommandPalette):
    """Textual's command palette with a plain prompt instead of an emoji (terminals over SSH
    often lack the glyph)."""

    def on_mount(self) -> None:
        self.query_one(SearchIcon).icon = ">"


class SestuiApp(App):
    TITLE = "sestui"
    CSS = """
    Screen { layout: vertical; }
    #pane-bar { height: 1; padding: 0 1; background: $boost; }
    ContentSwitcher { height: 1fr; }
    DataTable { scrollbar-size-vertical: 1; }
    """
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "back_or_quit", "Back/Quit", id="app.quit"),
        Binding("escape", "back", "Back", show=False, id="app.back"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.force_quit"),
        Binding("1", "pane('flow')", "Panes", key_display="1-6", id="pane.flow"),
        Binding("2", "pane('timeline')", "Timeline", show=False, id="pane.timeline"),
        Binding("3", "pane('suppressions')", "Suppressions", show=False, id="pane.suppressions"),
        Binding("4", "pane('reputation')", "Reputation", show=False, id="pane.reputation"),
        Binding("5", "pane('send')", "Send", show=False, id="pane.send"),
        Binding("6", "pane('doctor')", "Doctor", show=False, id="pane.doctor"),
        Binding("space", "pause", "Pause", id="app.pause"),
        Binding("ctrl+r", "refresh_now", "Refresh", show=False, id="app.refresh"),
    ]

    def __init__(self, ctx: ConsoleContext, *, tick_seconds: float = 1.0):
        super().__init__()
        self.ctx = ctx
        self.tick_seconds = tick_seconds
        self.animation_level = "none"
        self.paused = False
        self.history: list[str] = []
        self._health_busy = False
        self._ticks = 0

    def compose(self) -> ComposeResult:
        yield HealthHeader(id="health")
        yield Static(id="pane-bar")
        with ContentSwitcher(initial="flow"):
            yield FlowPane(id="flow")
            yield TimelinePane(id="timeline")
            yield SuppressionPane(id="suppressions")
            yield ReputationPane(id="reputation")
            yield SendPane(id="send")
            yield DoctorPane(id="doctor")
        yield Footer()

    def on_mount(self) -> None:
        if self.ctx.theme:
            if self.ctx.theme in self.available_themes:
                self.theme = self.ctx.theme
            else:
                self.notify(f"Unknown theme {self.ctx.theme!r}; using the default.", severity="warning", markup=False)
        if self.ctx.keymap:
            self.set_keymap(self.ctx.keymap)
        self._show_pane_bar()
        self.pane("flow").focus_main()
        if self.ctx.notice:
            self.notify(self.ctx.notice, severity="error", timeout=15, markup=False)
        self.tick()
        self.set_interval(self.tick_seconds, self.tick)

    # -- the tick ---------------------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: the header, and the visible pane if it is live (and not paused)."""
        self._ticks += 1
        if not self._health_busy:
            self._health_busy = True
            self.run_worker(self._load_health, thread=True, group="health")
        current = self.current
        if current == "flow" and not self.paused:
            self.pane("flow").poll()
        elif current == "timeline" and not self.paused:
            self.pane("timeline").poll()
        elif current == "reputation" and self._ticks % REPUTATION_EVERY == 1:
            self.pane("reputation").poll()

    def _load_health(self) -> None:
        self.post_message(HealthLoaded(self.ctx.health_summary()))

    @on(HealthLoaded)
    def _health_loaded(self, message: HealthLoaded) -> None:
        self._health_busy = False
        if not self.screen_stack:  # a worker finished while the app was closing
            return
        self.main_screen.query_one(HealthHeader).show(message.summary, self.ctx.now_ms())

    # -- panes ------------------------------------------------------------------------------------

    @property
    def main_screen(self) -> Screen:
        """The screen holding the header and panes. `self.query_one` would search whatever is on
        top, which is a modal while one is open."""
        return self.screen_stack[0]

    @property
    def current(self) -> str:
        return self.main_screen.query_one(ContentSwitcher).current or "flow"

    def pane(self, name: str):
        return self.main_screen.query_one(f"#{name}")

    def action_pane(self, name: str, remember: bool = False) -> None:
        """Show a pane. Drill-downs (`remember`) can be walked back with escape; switching with the
        number keys cannot, so `q` never needs more than two presses to quit."""
        if name == self.current:
            return
        if remember:
            self.history.append(self.current)
        else:
            self.history.clear()
        self.main_screen.query_one(ContentSwitcher).current = name
        self._show_pane_bar()
        pane = self.pane(name)
        pane.focus_main()
        if name in ("flow", "timeline", "reputation"):
            pane.poll()
        self.refresh_bindings()

    def _show_pane_bar(self) -> None:
        current = self.current
        bar = Text(no_wrap=True, overflow="ellipsis")
        for i, (name, label) in enumerate(PANES, start=1):
            if name == current:
                bar.append(f" {i} {label} ", style=Style(reverse=True, bold=True))
            else:
                bar.append(f" {i} {label} ", style=theme_style(self, "text-muted"))
        if self.paused:
            bar.append("  PAUSED (space resumes)", style=theme_style(self, "warning", bold=True))
        if self.ctx.read_only:
            bar.append("  READ-ONLY", style=theme_style(self, "warning", bold=True))
        self.main_screen.query_one("#pane-bar", Static).update(bar)

    def action_back(self) -> None:
        self._back(quit_at_root=False)

    def action_back_or_quit(self) -> None:
        self._back(quit_at_root=True)

    def _back(self, quit_at_root: bool) -> None:
        pane = self.pane(self.current)
        if hasattr(pane, "back") and pane.back():
            return
        if self.history:
            previous = self.history.pop()
            history = list(self.history)
            self.action_pane(previous)
            self.history = history
        elif self.current != "flow":
            self.action_pane("flow")
        elif quit_at_root:
            self.exit()

    @on(OpenTimeline)
    def open_timeline(self, message: OpenTimeline) -> None:
        self.pane("timeline").show(message.message_id)
        self.action_pane("timeline", remember=message.remember)

    # -- global actions ---------------------------------------------------------------------------

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._show_pane_bar()
        if not self.paused:
            self.tick()

    def action_refresh_now(self) -> None:
        pane = self.pane(self.current)
        if self.current == "suppressions":
            pane.load(from_aws=True)
        elif hasattr(pane, "poll"):
            pane.poll()
        self._health_busy = False
        self.tick()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    def help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        from sestui.ui.panes.flow import FlowPane
        from sestui.ui.screens.modals import ConfirmScreen
        from sestui.ui.widgets.common import KeyTable

        keymap = {k: v for k, v in self._keymap.items()} if hasattr(self, "_keymap") else {}

        def rows(bindings: Iterable[Binding]) -> list[tuple[str, str]]:
            out = []
            for b in bindings:
                keys = keymap.get(b.id, b.key) if b.id else b.key
                out.append((self.get_key_display(Binding(keys.split(",")[0], "")) if keys else "",
                            f"{b.description or b.action}  ({b.id})" if b.id else (b.description or b.action)))
            return out

        return [
            ("Everywhere", rows(self.BINDINGS)),
            ("Tables", rows(KeyTable.BINDINGS) + [("enter", "open / drill down"), ("up/down pgup/pgdn", "move")]),
            ("1 Flow", rows(FlowPane.BINDINGS)),
            ("2 Timeline", rows(TimelinePane.BINDINGS)),
            ("3 Suppressions", rows(SuppressionPane.BINDINGS)),
            ("5 Send", rows(SendPane.BINDINGS) + [("tab / shift+tab", "next / previous field")]),
            ("6 Doctor", rows(DoctorPane.BINDINGS)),
            ("Confirmations", rows(ConfirmScreen.BINDINGS)),
            ("Command palette", [("ctrl+p", "every pane and action by name")]),
        ]

    def action_command_palette(self) -> None:
        if not Palette.is_open(self):
            self.push_screen(Palette(id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for i, (name, label) in enumerate(PANES, start=1):
            yield SystemCommand(f"Pane {i}: {label}", f"Show the {label.lower()} pane",
                                lambda name=name: self.action_pane(name))
        yield SystemCommand("Pause / resume live updates", "Freeze the flow and timeline", self.action_pause)
        yield SystemCommand("Refresh now", "Reload the visible pane and the header", self.action_refresh_now)
        yield SystemCommand("Flow: problems only", "Show only bounces, complaints, rejects, delays",
                            lambda: self.pane("flow").action_problems())
        yield SystemCommand("Flow: choose event types", "Toggle event types in the flow",
                            lambda: (self.action_pane("flow"), self.pane("flow").action_types()))
        yield SystemCommand("Suppressions: reload from SES", "Fetch every page of the account suppression list",
                            lambda: (self.action_pane("suppressions"), self.pane("suppressions").load(from_aws=True)))
        yield SystemCommand("Suppressions: export CSV", "Write the list to a CSV file",
                            lambda: (self.action_pane("suppressions"), self.pane("suppressions").action_export_csv()))
        yield SystemCommand("Suppressions: audit log", "Who changed the list, when, and how it went",
                            lambda: (self.action_pane("suppressions"), self.pane("suppressions").action_toggle_audit()))
        if not self.ctx.read_only:
            yield SystemCommand("Suppressions: add an address", "Add to the account suppression list",
                                lambda: (self.action_pane("suppressions"), self.pane("suppressions").action_add()))
            yield SystemCommand("Suppressions: import CSV", "Add every address in a CSV file",
                                lambda: (self.action_pane("suppressions"), self.pane("suppressions").action_import_csv()))
            yield SystemCommand("Send a test message", "Open the send form", lambda: self.action_pane("send"))
        for name in self.ctx.accounts:
            if name != self.ctx.account_name:
                yield SystemCommand(f"Switch account: {name}", "Watch this account/region, its queue and database",
                                    lambda name=name: self.exit(result=("switch-account", name)))
        yield SystemCommand("Help: keys", "Every key binding", self.action_help)

    # -- outward actions (confirmed, run in workers, reported as toasts) ---------------------------

    def _writable(self) -> bool:
        if self.ctx.read_only:
            self.notify("Read-only console: changes to AWS are disabled.", severity="warning")
            return False
        if self.ctx.aws is None:
            self.notify("No AWS connection.", severity="error")
            return False
        return True

    def ask_suppress(self, email: str, reason: str, message_id: str | None) -> None:
        if not self._writable():
            return
        body = Text.assemble("Add ", literal(email, style="bold"), f" to the account suppression list (reason {reason})?\n"
                             "SES will then refuse to deliver to it from every identity of this account.")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._run_action("Suppress", lambda: service.add(
                    self.ctx.aws, self.ctx.store, email, reason, origin="console", message_id=message_id)
                    or f"{safe(email)} suppressed ({reason})")

        self.push_screen(ConfirmScreen("Suppress address", body, "Suppress"), confirmed)

    def ask_unsuppress(self, email: str) -> None:
        if not self._writable():
            return
        body = Text.assemble("Remove ", literal(email, style="bold"), " from the account suppression list?\n"
                             "SES will deliver to it again.")

        def confirmed(ok: bool | None) -> None:
            if ok:
                def work() -> str:
                    removed = service.remove(self.ctx.aws, self.ctx.store, email, origin="console")
                    return f"{safe(email)} removed" if removed else f"{safe(email)} was not on the list"
                self._run_action("Remove suppression", work)

        self.push_screen(ConfirmScreen("Remove suppression", body, "Remove"), confirmed)

    def ask_import(self, path: str | None) -> None:
        if not path or not self._writable():
            return
        try:
            with open(path, newline="", encoding="utf-8") as f:
                rows, errors = service.read_csv(f)
        except OSError as exc:
            self.notify(f"{path}: {exc.strerror}", severity="error", markup=False)
            return
        body = Text(f"Add {len(rows)} addresses from {safe(path)} to the suppression list?")
        if errors:
            body.append(f"\n{len(errors)} rows will be skipped, first: {safe(errors[0])}")

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return

            def work() -> str:
                failed = 0
                for row in rows:
                    try:
                        service.add(self.ctx.aws, self.ctx.store, row.email, row.reason, origin="console import")
                    except AwsError:
                        failed += 1
                return f"imported {len(rows) - failed} of {len(rows)}" + (f", {failed} failed (see audit)" if failed else "")
            self._run_action("Import", work)

        self.push_screen(ConfirmScreen("Import suppressions", body, "Import"), confirmed)

    def ask_send(self, draft: Draft) -> None:
        if not self._writable():
            return
        body = Text.assemble("Send ", literal(draft.subject, style="bold"), "\nfrom ", literal(draft.sender),
                             "\nto ", literal(", ".join(draft.to)),
                             f"\nconfiguration set {draft.configuration_set or '(none)'}")

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            ctx = self.ctx

            def work() -> None:
                try:
                    message_id = ctx.aws.send_email(sender=draft.sender, to=draft.to, subject=draft.subject,
                                                    body=draft.body, configuration_set=draft.configuration_set,
                                                    tags=draft.tags)
                except AwsError as exc:
                    self.post_message(ActionFinished("Send", False, str(exc)))
                    return
                self.post_message(ActionFinished("Send", True, f"sent, MessageId {message_id}", message_id))

            self.run_worker(work, thread=True, group="send")

        self.push_screen(ConfirmScreen("Send test message", body, "Send", danger=False), confirmed)

    def _run_action(self, title: str, work: Callable[[], str]) -> None:
        def run() -> None:
            try:
                detail = work()
            except (AwsError, ValueError) as exc:
                self.post_message(ActionFinished(title, False, str(exc)))
                return
            self.post_message(ActionFinished(title, True, detail))

        self.run_worker(run, thread=True, group="action")

    @on(ActionFinished)
    def _action_finished(self, message: ActionFinished) -> None:
        if not self.screen_stack:
            return
        self.notify(safe(message.detail), title=message.title, severity="information" if message.ok else "error",
                    markup=False, timeout=6 if message.ok else 12)
        self.pane("suppressions").refresh_after_edit()
        if message.message_id:
            self.post_message(OpenTimeline(message.message_id, remember=False))
        elif self.current == "timeline":
            self.pane("timeline").poll()
