"""The console application: a health header, eight panes, modals, an outcome line.

How work is done (one idiom, see ui/workers.py): every read of the store and every AWS call runs
in a thread worker started by `@io_worker(group)` — that is `@work(thread=True, exclusive=True,
group=group, exit_on_error=False)` — or, for the ask-then-do flows in ui/actions.py, by `run_io`
(the same arguments for a callable). Workers post their results as messages (ui/messages.py)
through `deliver`, which drops the result of a cancelled worker. A poll that must not overlap
asks `busy(app, group)` of Textual's worker manager instead of keeping a flag. Panes run their
workers on the app, so `SestuiApp._worker_changed`, the one Worker.StateChanged handler, sees
every failure: it marks the console STALE (header flag, the reason on the outcome line, a toast)
and clears the mark when the next worker of that group succeeds. A failing poll never closes the
console.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.events import Key, Resize
from textual.screen import Screen
from textual.theme import ThemeProvider
from textual.widgets import ContentSwitcher, Static
from textual.worker import Worker, WorkerState

from sestui.core import health
from sestui.ui.actions import Actions
from sestui.ui.context import ConsoleContext
from sestui.ui.keys import (
    APP_BINDINGS,
    EXTRA_KEYS,
    NUMBERS,
    help_rows,
    keymap_problems,
    scopes,
)
from sestui.ui.footer import Footer
from sestui.ui.gc_pacing import GcPacing
from sestui.ui.live import LiveRefresh
from sestui.ui.messages import ActionFinished, HealthLoaded, OpenTimeline
from sestui.ui.panes.breakdown import BreakdownPane
from sestui.ui.panes.actions import ActionsPane
from sestui.ui.panes.doctor import DoctorPane
from sestui.ui.panes.flow import FlowPane
from sestui.ui.panes.reputation import ReputationPane
from sestui.ui.panes.send import SendPane
from sestui.ui.panes.suppressions import SuppressionPane
from sestui.ui.panes.timeline import TimelinePane
from sestui.ui.screens.help import HelpScreen
from sestui.ui.screens.palette import Palette
from sestui.ui.text import clock_time, safe
from sestui.ui.widgets.bars import outcome_line, pane_bar
from sestui.ui.widgets.common import ReadOnlyAware, show_line
from sestui.ui.widgets.header import HealthHeader
from sestui.ui.dlq import dlq_backlog
from sestui.ui.widgets.rates import saved_reputation
from sestui.ui.workers import busy, deliver, io_worker, landed, one_line

PANES = (("flow", "Flow"), ("timeline", "Timeline"), ("suppressions", "Suppressions"),
         ("reputation", "Reputation"), ("send", "Send"), ("doctor", "Doctor"), ("breakdown", "Breakdown"),
         ("actions", "Actions"))
REPUTATION_EVERY = 30  # ticks
SUPPRESSIONS_EVERY = 5
SWITCH_ACCOUNT = "switch-account"  # exit(result=(SWITCH_ACCOUNT, name)): the launcher restarts on that account


class SestuiApp(App):
    TITLE = "sestui"
    CSS_PATH = "sestui.tcss"
    BINDINGS = APP_BINDINGS

    def __init__(self, ctx: ConsoleContext, *, tick_seconds: float = 1.0):
        super().__init__()
        self.ctx = ctx
        self.tick_seconds = tick_seconds
        self.animation_level = "none"
        self.paused = False
        self.history: list[str] = []
        self._ticks = 0
        self.actions = Actions(self)
        self.faults: dict[str, tuple[str, int]] = {}  # worker group -> (one-line reason, since)
        self.summary: health.Summary | None = None
        self.reputation = None  # ops.reputation.Reputation saved by the collector, for the header's rates
        self.last_outcome: tuple[str, bool] | None = None  # (text, ok)
        self.live = LiveRefresh(self)
        self.gc = GcPacing()  # new events between the ticks, where the store announces them

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
            yield BreakdownPane(id="breakdown")
            yield ActionsPane(id="actions")
        yield Static(id="outcome")
        yield Footer()

    def on_mount(self) -> None:
        if self.ctx.theme:
            if self.ctx.theme in self.available_themes:
                self.theme = self.ctx.theme
            else:
                self.notify(f"Unknown theme {self.ctx.theme!r}; using the default.", severity="warning", markup=False)
        if self.ctx.keymap:
            self.set_keymap(self.ctx.keymap)
            for problem in keymap_problems(self.ctx.keymap):
                self.notify(problem, severity="warning", timeout=15, markup=False)
                self.last_outcome = (problem, False)
        self._show_bars()
        self.pane("flow").focus_main()
        if self.ctx.notice:
            self.notify(self.ctx.notice, severity="error", timeout=15, markup=False)
            self.last_outcome = (self.ctx.notice, False)
        self.tick()
        self.set_interval(self.tick_seconds, self.tick)
        self.gc.start()  # what exists now out of the collector's way; full collections on the tick
        self.live.start()

    def on_unmount(self) -> None:
        self.live.stop()
        self.gc.stop()

    # -- the tick ---------------------------------------------------------------------------------

    @property
    def showing(self) -> bool:
        """The main screen is up. A worker's message can arrive after shutdown began (the screens are
        gone then): every handler that reaches into the screen asks this first."""
        return self.is_running and not self._exit and bool(self.screen_stack)

    def tick(self) -> None:
        """Once a second: the header, and the visible pane if it is live (and not paused)."""
        if not self.showing:
            return
        self._ticks += 1
        self.gc.tick(self._ticks)
        if not busy(self, "health"):
            self._load_health()
        current = self.current
        if current in ("flow", "timeline") and not self.paused:
            self.pane(current).poll()
        elif current == "reputation" and self._ticks % REPUTATION_EVERY == 1:
            self.pane("reputation").poll()
        elif current == "suppressions" and self._ticks % SUPPRESSIONS_EVERY == 0:
            self.pane("suppressions").poll()  # the audit and the policies' edits, live
        elif current == "breakdown" and self._ticks % SUPPRESSIONS_EVERY == 0:
            self.pane("breakdown").poll()
        self.pane("actions").tick(self._ticks, current == "actions")  # its tables; the header's paused sets

    @io_worker("health")
    def _load_health(self) -> None:
        deliver(self, HealthLoaded(self.ctx.health_summary(), saved_reputation(self.ctx.store),
                                   dlq_backlog(self.ctx.store, self.ctx.queue_url)))

    @landed(HealthLoaded)
    def _health_loaded(self, message: HealthLoaded) -> None:
        self.summary = message.summary
        self.reputation = message.reputation
        self.main_screen.query_one(HealthHeader).dlq_backlog = message.dlq_backlog
        self._show_health()
        self._show_bars()

    def _show_health(self) -> None:
        if self.showing and self.summary is not None:
            self.main_screen.query_one(HealthHeader).show(self.summary, self.ctx.now_ms(), self._stale_since(),
                                                              self.reputation)

    # -- failures: the one Worker.StateChanged handler ----------------------------------------------

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if event.state == WorkerState.ERROR:
            reason = one_line(event.worker.error)
            fresh = self.faults.get(group, ("", 0))[0] != reason
            self.faults[group] = (reason, self.faults.get(group, ("", self.ctx.now_ms()))[1])
            if fresh:
                self.notify(f"{group}: {reason}", title="STALE: a read failed", severity="error", timeout=12,
                            markup=False)
        elif event.state == WorkerState.SUCCESS and group in self.faults:
            del self.faults[group]
        else:
            return
        if self.showing:
            self._show_health()
            self._show_bars()

    def _stale_since(self) -> int | None:
        return min((since for _, since in self.faults.values()), default=None)

    def stale_reasons(self) -> list[str]:
        """Every reason the console's picture may be out of date, one line each."""
        reasons = [f"{group}: {reason}" for group, (reason, _) in sorted(self.faults.items())]
        s = self.summary
        if s is not None and s.account_error:
            reasons.append(f"account: {safe(s.account_error)}")
        return reasons

    @landed(ActionFinished)
    def _action_finished(self, message: ActionFinished) -> None:
        detail = safe(message.detail)
        self.notify(detail, title=message.title, severity="information" if message.ok else "error",
                    markup=False, timeout=6 if message.ok else 12)
        kept = safe(message.line) if message.line else detail
        self.last_outcome = (f"{clock_time(self.ctx.now_ms(), self.ctx.now_ms())} {message.title}: {kept}",
                             message.ok)
        self._show_bars()
        self.pane("suppressions").refresh_after_edit()
        self.pane("actions").refresh_after_edit()
        if message.message_id:  # a send: its timeline, and escape returns to the form
            self.post_message(OpenTimeline(message.message_id, remember=True))
        elif self.current == "timeline":
            self.pane("timeline").poll()

    def say(self, text: str, ok: bool = True) -> None:
        """A toast that also stays on the outcome line."""
        self.notify(text, severity="information" if ok else "warning", markup=False)
        self.last_outcome = (text, ok)
        self._show_bars()

    def unsay(self, text: str | None) -> None:
        """Take `text` off the outcome line if it is still what the line says (an error the
        operator has since corrected, e.g. a filter replaced by a valid one)."""
        if text is not None and self.last_outcome is not None and self.last_outcome[0] == text:
            self.last_outcome = None
            self._show_bars()

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
        number keys cannot, so `q` never needs more than two presses to quit. The pane shown already,
        holding the focus itself (escape left pane 5's fields): back to its main place."""
        if name == self.current:
            if self.focused is self.pane(name):
                self.pane(name).focus_main()
            return
        if remember:
            self.history.append(self.current)
        else:
            self.history.clear()
        # No paint before the new focus lands (through the app's queue): see footer.py's hold
        self._begin_batch()
        self.call_later(self._end_batch)
        self.main_screen.query_one(ContentSwitcher).current = name
        self._show_bars()
        pane = self.pane(name)
        pane.focus_main()
        if name == "flow" and self.paused:
            pass  # paused: the rows and the cursor stay as they were left (space loads what came since)
        elif name in ("flow", "timeline", "reputation", "breakdown", "actions"):
            pane.poll()
        self.refresh_bindings()

    def _show_bars(self) -> None:
        if not self.showing:
            return
        screen = self.main_screen
        width = self.size.width
        flags = [("STALE", "error")] if self.faults else []
        if self.paused:
            flags.append(("PAUSED (space)", "warning"))
        if self.ctx.read_only:
            flags.append(("READ-ONLY", "warning"))
        show_line(screen.query_one("#pane-bar", Static), pane_bar(self, PANES, self.current, flags, width - 2))
        line = screen.query_one("#outcome", Static)
        reasons = self.stale_reasons()
        line.set_class(bool(reasons), "stale")
        show_line(line, outcome_line(self, reasons, self._stale_since(), self.last_outcome, self.ctx.now_ms()))

    def on_resize(self, event: Resize) -> None:
        # Textual's App._on_resize, which sets self.size, runs after this handler: draw after it.
        self.call_later(self._show_health)
        self.call_later(self._show_bars)

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

    @landed(OpenTimeline)
    def open_timeline(self, message: OpenTimeline) -> None:
        self.pane("timeline").show(message.message_id)
        self.action_pane("timeline", remember=message.remember)

    # -- keys that do nothing here: say why ----------------------------------------------------------

    def on_key(self, event: Key) -> None:
        """A key bound to an action the pane hides here (read-only, the audit view) reaches the app
        unhandled: say why it does nothing."""
        if self.screen is not self.main_screen:
            return
        for node, bindings in self.screen._binding_chain:
            if not isinstance(node, ReadOnlyAware):
                continue
            for binding in bindings.key_to_bindings.get(event.key, []):
                reason = node.why_hidden(binding.action)
                if reason:
                    self.say(f"{binding.description}: {reason}.", ok=False)
                    event.stop()
                    return

    # -- global actions ---------------------------------------------------------------------------

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._show_health()
        self._show_bars()
        if not self.paused:
            self.tick()

    def action_refresh_now(self) -> None:
        pane = self.pane(self.current)
        if self.current == "suppressions":
            pane.load(from_aws=True)
        elif hasattr(pane, "poll"):
            pane.poll()
        self.tick()

    def action_redrive_dlq(self) -> None:
        """D: move what reached the dead-letter queue back to the queue (ops.dlq), after a confirm."""
        from sestui.ui.dlq import ask_redrive

        ask_redrive(self)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    def help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """From the live bindings, with the user's keymap applied."""
        keymap = self.ctx.keymap

        def display(key: str) -> str:
            return self.get_key_display(Binding(key, ""))

        sections = [(title, help_rows(bindings, keymap, display) + EXTRA_KEYS.get(title, []))
                    for title, bindings in scopes()]
        sections.append(("What the numbers mean", NUMBERS))
        return sections

    def get_key_display(self, binding: Binding) -> str:
        """enter as every hint and help's Tables section write it, not ⏎ (a glyph some fonts lack)."""
        if binding.key == "enter" and not binding.key_display:
            return "enter"
        return super().get_key_display(binding)

    def action_command_palette(self) -> None:
        if not Palette.is_open(self):
            self.push_screen(Palette(id="--command-palette"))

    def search_themes(self) -> None:
        self.push_screen(Palette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from sestui.ui.commands import palette_commands

        yield from palette_commands(self, super().get_system_commands(screen))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A dialog open: its own keys only (the palette's panes would switch under it, its forms stack)
        return not (action == "command_palette" and self.screen_stack and self.screen is not self.main_screen)
