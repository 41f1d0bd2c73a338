"""Pane 8: Actions — the rules (mode, hits over 24 h, what they do), the guards (armed / warned /
paused since ..., the rate that fired them) and the outbox (pending, retrying with the next attempt
and the last error, dead), from ops/rules_cli.overview; retry, discard and resume behind confirmations.

The pane also keeps the header's "paused set" mark: every few ticks it reads the guards' states
and, with AWS, asks GetConfigurationSet of the console's set and of every set a guard can pause
(one call each, every PAUSED_AWS_EVERY ticks or as soon as a guard's state changes). AWS is the
truth when it can be asked; without AWS a paused guard's set is shown as paused. A set resumed
outside sestui (the SES console, the AWS CLI) while its guard is paused: the guard is recorded as
resumed by hand (ops/guards.resumed_outside), here unless read-only, and by the collector's next check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sestui.aws import AwsError
from sestui.core.guards import pause_target
from sestui.core.rules import RuleSet
from sestui.ops import rules_cli
from sestui.ops.guards import resumed_outside
from sestui.ops.routing import ActionsConfig
from sestui.ui import actions_outbox
from sestui.ui.messages import ActionsLoaded, PausedSets, Row
from sestui.ui.panes.actions_cells import STATE_COLOURS, cells, even_out
from sestui.ui.text import count, literal
from sestui.ui.widgets.common import (
    KeyTable,
    ReadOnlyAware,
    share_room,
    theme_style,
)
from sestui.ui.widgets.header import HealthHeader
from sestui.ui.workers import AppWorkers, busy, deliver, io_worker, landed

if TYPE_CHECKING:
    from sestui.ui.app import SestuiApp

REFRESH_EVERY = 5  # ticks, while shown
PAUSED_EVERY = 5  # ticks: guard states (the store)
PAUSED_AWS_EVERY = 30  # ticks: GetConfigurationSet per candidate set
NO_CONFIG = "no [[rules]] or [[guards]] in the config ([policies] act directly: pane 3, p)"


class ActionsPane(AppWorkers, ReadOnlyAware, Vertical):
    WRITE_ACTIONS = frozenset({"retry", "discard", "resume"})
    BINDINGS = [
        Binding("r", "retry", "Retry", id="actions.retry", tooltip="retry the selected outbox item (dead or retrying)"),
        Binding("d,delete", "discard", "Discard", id="actions.discard", tooltip="discard the selected outbox item"),
        Binding("s", "resume", "Resume sending", id="actions.resume",
                tooltip="resume sending for the configuration set the selected guard paused"),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rows: dict[str, dict[str, Row]] = {"rules": {}, "guards": {}, "items": {}}
        self.guard_states: dict[str, str] = {}
        self.paused_sets: list[str] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(id="act-status")
        # The cells' own colours win over the cursor's: a PAUSED guard stays red under the cursor.
        for name in ("rules", "guards", "outbox"):
            yield KeyTable(id=f"act-{name}", cursor_foreground_priority="renderable")
        yield Static(id="act-detail")

    def table(self, name: str) -> KeyTable:
        return self.query_one(f"#act-{name}", KeyTable)

    def focus_main(self) -> None:
        self.table("outbox").focus()

    # -- layout: 80 columns first -----------------------------------------------------------------

    def on_mount(self) -> None:
        self.relayout()

    def on_resize(self) -> None:
        self.relayout()

    def columns(self, width: int) -> dict[str, list[tuple[str, str, int]]]:
        """Fixed columns first; the last one of each table takes what is left (each column has a
        cell of padding either side, and the scrollbar one)."""
        room = max(40, width - 1)

        def rest(*fixed: int) -> int:
            return max(10, room - sum(fixed) - 2 * (len(fixed) + 1))

        wide = width >= 100
        rule, recipient = (20, 26) if wide else (12, 16)
        return {
            "rules": [("Rule", "name", 18), ("Mode", "mode", 7), ("Hits 24h", "hits", 8),
                      ("Does", "does", rest(18, 7, 8))],
            "guards": [("Guard", "name", 16), ("State", "state", 21), ("Rate", "rate", 14),
                       ("Watches", "watches", rest(16, 21, 14))],
            "outbox": [("Id", "id", 5), ("State", "state", 8), ("Rule", "rule", rule), ("Action", "action", 8),
                       ("Recipient", "recipient", recipient),
                       ("Next / last error", "note", rest(5, 8, rule, 8, recipient))],
        }

    def relayout(self) -> bool:
        """Widths from the width and what the rows hold (share_room): room a column does not use
        goes to one that is cut. True if a table was laid out anew."""
        width = self.size.width or self.app.size.width
        source = {"rules": "rules", "guards": "guards", "outbox": "items"}
        changed = False
        for name, columns in self.columns(width).items():
            table = self.table(name)
            rows = [(key, self.cells(source[name], row)) for key, row in self.rows[source[name]].items()]
            noteless = name == "outbox" and not any(cells[-1].plain for _, cells in rows)
            if noteless:
                # Every item is done: the empty "Next / last error" would keep its label's width
                # while the recipients are cut. It comes back with the first item that has a note.
                columns, rows = columns[:-1], [(key, cells[:-1]) for key, cells in rows]
            columns = share_room(max(40, width - 1), columns, (cells for _, cells in rows))
            if noteless:
                columns = even_out(columns, [cells for _, cells in rows], 2)
            if columns != table.column_layout:
                table.lay_out(columns, rows)
                changed = True
        return changed

    # -- cells ------------------------------------------------------------------------------------

    def _style(self, colour: str, bold: bool = False):
        return theme_style(self.app, colour, bold)

    def cells(self, kind: str, row: Row) -> list[Text]:
        return cells(self.app, kind, row, self.size.width or self.app.size.width)

    # -- loading ----------------------------------------------------------------------------------

    def on_show(self) -> None:
        self.relayout()

    def poll(self) -> None:
        if not busy(self.app, "actions"):
            self._load()

    def tick(self, n: int, shown: bool) -> None:
        """Called by the app's tick: the tables while shown, the header's paused mark always."""
        if shown and n % REFRESH_EVERY == 0:
            self.poll()
        if n % PAUSED_EVERY == 1 and not busy(self.app, "paused-sets"):
            self._check_paused(n % PAUSED_AWS_EVERY == 1)

    def refresh_after_edit(self) -> None:
        self.poll()
        self._check_paused(True)

    @io_worker("actions")
    def _load(self) -> None:
        ctx = self.app.ctx
        config = ctx.actions or ActionsConfig(RuleSet([]))
        view = rules_cli.overview(config, ctx.store)  # any backend: through store.outbox
        states = ctx.store.outbox.guard_states()
        for guard in view["guards"]:
            guard["volume"] = states.get(guard["name"], {}).get("volume")
        deliver(self, ActionsLoaded(view, ctx.actions is not None))

    @landed(ActionsLoaded)
    def _loaded(self, message: ActionsLoaded) -> None:
        view = message.view
        fresh = {"rules": {r["name"]: r for r in view["rules"]}, "guards": {g["name"]: g for g in view["guards"]},
                 "items": {str(i["id"]): i for i in view["items"]}}
        with self.app.batch_update():
            for kind, name in (("rules", "rules"), ("guards", "guards"), ("items", "outbox")):
                self._sync(self.table(name), self.rows[kind], fresh[kind], kind)
                self.rows[kind] = fresh[kind]
            self.relayout()  # new contents, maybe new widths
            outbox = self.table("outbox")
            keep = outbox.selected_key()
            outbox.sort("id", key=lambda cell: int(cell.plain), reverse=True)  # newest first
            if keep in fresh["items"]:
                outbox.move_cursor(row=outbox.get_row_index(keep), scroll=False)
        self.loaded = True
        self._show_status(view["counts"], message.configured)
        self._show_detail()

    def _sync(self, table: KeyTable, old: dict[str, Row], fresh: dict[str, Row], kind: str) -> None:
        """Update in place by row key: remove what went, update what stayed, add what came."""
        keys = [key for _, key, _ in table.column_layout]
        for key in [k for k in old if k not in fresh]:
            table.remove_row(key)
        for key, row in fresh.items():
            cells = self.cells(kind, row)[:len(keys)]  # the columns shown (relayout may leave one out)
            if key in old:
                if old[key] != row:
                    for column, value in zip(keys, cells, strict=False):
                        table.update_cell(key, column, value)
            else:
                table.add_row(*cells, key=key)

    def _show_status(self, counts: dict[str, int], configured: bool) -> None:
        muted = self._style("text-muted")
        line = Text(no_wrap=True, overflow="ellipsis")
        if configured:
            rules, guards = len(self.rows["rules"]), len(self.rows["guards"])
            line.append(f"{rules} rule{'s' * (rules != 1)} · {guards} guard{'s' * (guards != 1)}", style=muted)
        else:
            line.append(NO_CONFIG, style=self._style("warning"))
        line.append(" · outbox ", style=muted)
        shown = [(s, counts.get(s, 0)) for s in ("pending", "running", "retrying", "dead", "done") if counts.get(s)]
        for i, (state, n) in enumerate(shown):
            line.append(", " if i else "")
            line.append(f"{count(n)} {state}", style=self._style(STATE_COLOURS.get(state, "") if state != "done" else "",
                                                                  state == "dead"))
        if not shown:
            line.append("empty", style=muted)
        self.query_one("#act-status", Static).update(line)

    @on(DataTable.RowHighlighted, "#act-outbox")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()
        self.screen.refresh_bindings()  # r and d follow the item under the cursor

    def _show_detail(self) -> None:
        item = self.selected_item()
        box = self.query_one("#act-detail", Static)
        if item is None:
            box.update(Text("Nothing in the outbox needs a look." if not self.rows["items"] else "",
                            style=self._style("text-muted")))
            return
        bold = self._style("", True)
        # One line each: a message id is 60 characters, and a line it shares is wrapped at 80 columns.
        lines = [Text.assemble(("Item ", bold), str(item["id"]), ("  attempts ", bold), str(item["attempts"]),
                               ("  delivery id ", bold), item["dedup"])]
        if item.get("message_id"):
            lines.append(Text.assemble(("Message ", bold), literal(item["message_id"])))
        if item.get("last_error"):
            lines.append(Text.assemble(("Last error ", bold), literal(item["last_error"])))
        box.update(Text("\n", no_wrap=True, overflow="ellipsis").join(lines))

    # -- the header's paused mark -------------------------------------------------------------------

    @io_worker("paused-sets")
    def _check_paused(self, ask_aws: bool) -> None:
        ctx = self.app.ctx
        guards = ctx.actions.guards if ctx.actions else []
        states: dict[str, str] = {}
        if guards:  # no guards, no guard state to read
            states = {name: s["state"] for name, s in ctx.store.outbox.guard_states().items()}
        changed = states != self.guard_states
        self.guard_states = states
        targets = {g.name: pause_target(g) for g in guards}
        by_guard = sorted({t for name, t in targets.items() if t and t != "account" and states.get(name) == "paused"})
        if ctx.aws is None:
            deliver(self, PausedSets(by_guard))
            return
        if not (ask_aws or changed):
            return
        candidates = {t for t in targets.values() if t and t != "account"} | set(by_guard)
        if ctx.configuration_set:
            candidates.add(ctx.configuration_set)
        paused, sending = [], {}
        try:
            for name in sorted(candidates):
                found = ctx.aws.configuration_sets.get(name)
                if found is not None:
                    sending[name] = found.sending_enabled
                    if not found.sending_enabled:
                        paused.append(name)
        except AwsError:
            # A secondary read: the account poll reports AWS trouble in the header already. Say
            # what the guards know rather than mark the console STALE for it.
            paused = by_guard
        if not ctx.read_only and any(sending.get(name) for name in by_guard):
            # Resumed outside sestui: the guard says so now, as the collector's next check would.
            resumed_outside(ctx.store.outbox, guards, sending.get)
            self.guard_states = {}  # read again next time: its state changed
        deliver(self, PausedSets(paused))

    @landed(PausedSets)
    def _paused(self, message: PausedSets) -> None:
        if message.names == self.paused_sets:
            return
        self.paused_sets = message.names
        self.app.main_screen.query_one(HealthHeader).paused_sets = tuple(message.names)
        self.app.main_screen.refresh_bindings()  # s shows while a set is paused
        if self.loaded:
            self.poll()  # a guard's row may say otherwise now
        self.app.call_after_refresh(self.app._show_health)  # laid out by then: the header's own width

    # -- actions ----------------------------------------------------------------------------------

    def why_hidden(self, action: str) -> str | None:
        """The footer offers r, d and s only where they would act; pressed anyway, the app says why."""
        reason = super().why_hidden(action)
        if reason or action not in self.WRITE_ACTIONS:
            return reason
        if action == "resume":
            return None if self.paused_sets else "no configuration set is paused"
        item = self.selected_item()
        if item is None:
            return "select an outbox item first"
        if action == "retry" and item["state"] not in ("dead", "retrying"):
            return f"item {item['id']} is {item['state']}; only dead or retrying items are retried"
        if action == "discard" and item["state"] in ("running", "done"):
            return f"item {item['id']} is " + ("being delivered now" if item["state"] == "running" else "delivered already")
        return None

    def selected_item(self) -> Row | None:
        return self.rows["items"].get(self.table("outbox").selected_key() or "")

    def _refused(self, action: str, label: str) -> bool:
        """The palette runs an action whatever the footer shows: say why it does nothing here."""
        reason = self.why_hidden(action)
        if reason:
            self.app.say(f"{label}: {reason}.", ok=False)
        return reason is not None

    def action_retry(self) -> None:
        if not self._refused("retry", "Retry"):
            actions_outbox.retry_item(self.app, self.selected_item())

    def action_discard(self) -> None:
        if not self._refused("discard", "Discard"):
            actions_outbox.discard_item(self.app, self.selected_item())

    def action_resume(self) -> None:
        """The set of the highlighted guard if it is paused, else the one paused set there is."""
        if self._refused("resume", "Resume"):
            return
        guard_name = self.table("guards").selected_key()
        guards = {g.name: g for g in (self.app.ctx.actions.guards if self.app.ctx.actions else [])}
        target = pause_target(guards[guard_name]) if guard_name in guards else None
        if target == "account":
            self.app.say("Resume: this guard pauses the whole account; use `sestui resume --account`.", ok=False)
            return
        if target not in self.paused_sets:
            target = self.paused_sets[0] if len(self.paused_sets) == 1 else None
        if target is None:
            self.app.say(f"Resume: select the guard of the set to resume ({', '.join(self.paused_sets)}).", ok=False)
            return
        actions_outbox.resume_set(self.app, target)


def actions_commands(app: SestuiApp) -> Iterator[SystemCommand]:
    """The Actions pane's entries in the command palette."""
    def on(action: str):
        def run() -> None:
            app.action_pane("actions")
            getattr(app.pane("actions"), action)()
        return run

    if not app.ctx.read_only:
        yield SystemCommand("Actions: retry the selected outbox item", "A dead item becomes due again", on("action_retry"))
        yield SystemCommand("Actions: resume sending", "For the configuration set a guard paused", on("action_resume"))

