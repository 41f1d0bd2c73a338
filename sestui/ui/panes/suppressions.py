"""Pane 3: the account suppression list (cached locally, refreshed from SES on demand) and its audit.

The audit log (u) replaces the list on screen; while it shows, the list's actions (remove, add,
filter...) are not offered: an action acts on what the operator sees, or is not there."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sestui.aws import AwsError
from sestui.ops import suppressions as service
from sestui.ops.policies import RULES
from sestui.ui.panes.suppression_filter import SYNTAX, SuppressionQuery, parse_suppression_filter
from sestui.ui.panes import suppression_view as view
from sestui.ui.messages import (
    FilterApplied,
    OpenTimeline,
    Row,
    SuppressionDetail,
    SuppressionsLoaded,
)
from sestui.ui.text import clock_time, literal, safe
from sestui.ui.widgets.common import FilterBox, KeyTable, ReadOnlyAware, theme_style
from sestui.ui.workers import AppWorkers, busy, deliver, io_worker, landed

LIST_ACTIONS = frozenset({"filter", "add", "remove", "import_csv", "export_csv"})  # act on the list
HINT = "enter: details · f: its events · / filters by " + SYNTAX


class SuppressionPane(AppWorkers, ReadOnlyAware, Vertical):
    WRITE_ACTIONS = frozenset({"add", "remove", "import_csv"})
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="suppressions.filter", tooltip=f"filter by {SYNTAX}"),
        Binding("a", "add", "Add", id="suppressions.add"),
        Binding("d,delete", "remove", "Remove", id="suppressions.remove"),
        Binding("u", "toggle_audit", "Audit", id="suppressions.audit", tooltip="the audit log / back to the list"),
        Binding("p", "policies", "Policies", show=False, id="suppressions.policies"),
        Binding("R", "reload_from_aws", "Reload from SES", show=False, id="suppressions.reload"),
        Binding("i", "import_csv", "Import CSV", show=False, id="suppressions.import"),
        Binding("e", "export_csv", "Export CSV", show=False, id="suppressions.export",
                tooltip="write the rows shown (the filter applies) to a CSV file"),
        Binding("y", "copy", "Copy address", show=False, id="suppressions.copy"),
        Binding("f", "events", "Events", show=False, id="suppressions.events",
                tooltip="this address's events in the flow"),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.text: str | None = None  # the filter line as typed
        self.search: SuppressionQuery = SuppressionQuery()  # ... and as understood
        self.loaded_once = False
        self.detail: Row | None = None  # the entry shown below the list
        self.rows: dict[str, Row] = {}
        self.total: int | None = None
        self.audit_rows: list[Row] = []
        self.fetched: int | None = None  # when this console last reloaded the whole list from SES
        self.shown_error: str | None | bool = False  # the status line's error; False: not shown yet

    def compose(self) -> ComposeResult:
        yield Static(id="sup-status")
        yield FilterBox(placeholder=SYNTAX, id="sup-filter")
        yield KeyTable(id="sup-table")
        yield KeyTable(id="sup-audit")
        yield Static(HINT, id="sup-detail")

    def on_mount(self) -> None:
        self.relayout()

    def on_resize(self) -> None:
        self.relayout()
        if self.shown_error is not False:
            self._show_status(self.shown_error or None)  # fitted again to the new width

    def relayout(self) -> None:
        width = max(60, self.size.width or self.app.size.width)
        columns = [("Address", "email", max(20, width - 42)), ("Reason", "reason", 10),
                   ("Last update UTC", "updated", 19)]
        if columns != self.table.column_layout:
            self.table.lay_out(columns, ((email, self._cells(row)) for email, row in self.rows.items()))
        self._lay_out_audit(force=False)

    def _lay_out_audit(self, force: bool) -> None:
        rows = [(str(r["id"]), self._audit_cells(r)) for r in self.audit_rows]
        columns = view.audit_columns(max(60, self.size.width or self.app.size.width), [c for _, c in rows])
        if force or columns != self.audit.column_layout:
            self.audit.lay_out(columns, rows)

    @property
    def table(self) -> KeyTable:
        return self.query_one("#sup-table", KeyTable)

    @property
    def audit(self) -> KeyTable:
        return self.query_one("#sup-audit", KeyTable)

    def focus_main(self) -> None:
        (self.audit if self.has_class("audit") else self.table).focus()

    def on_show(self) -> None:
        self.relayout()
        if not self.loaded_once:
            self.loaded_once = True
            self.load(from_aws=True)

    def why_hidden(self, action: str) -> str | None:
        if self.has_class("audit") and action in LIST_ACTIONS:
            return "not in the audit log: press u to go back to the list"
        return super().why_hidden(action)

    # -- loading --------------------------------------------------------------------------------

    def load(self, from_aws: bool = False) -> None:
        if from_aws:
            self._status("Loading the suppression list from SES (every page)…")
        self._load(from_aws, self.search)

    def poll(self) -> None:
        """Every few ticks while shown: the local cache and the audit (policies act meanwhile)."""
        if not busy(self.app, "suppressions"):
            self._load(False, self.search)

    @io_worker("suppressions")
    def _load(self, from_aws: bool, query: SuppressionQuery) -> None:
        ctx = self.app.ctx
        error, fetched = None, None
        if from_aws and ctx.aws is not None:
            try:
                service.refresh(ctx.aws, ctx.store)
                fetched = ctx.now_ms()
            except AwsError as exc:
                error = service.plain_reason(exc, "")
        rows = query.apply(ctx.store.suppressions(query.text))
        total = len(rows) if query == SuppressionQuery() else len(ctx.store.suppressions())
        deliver(self, SuppressionsLoaded(rows, ctx.store.audit(200), error, total, fetched))

    def _cells(self, row: Row) -> list[Text]:
        return view.list_cells(row, theme_style(self.app, "error" if row["reason"] == "COMPLAINT" else "warning"))

    @landed(SuppressionsLoaded)
    def _loaded(self, message: SuppressionsLoaded) -> None:
        table = self.table
        keep = table.selected_key()
        fresh = {row["email"]: row for row in message.rows}
        self.total = message.total
        self.fetched = message.fetched or self.fetched
        with self.app.batch_update():
            for key in [k for k in self.rows if k not in fresh]:
                table.remove_row(key)
            for email, row in fresh.items():
                cells = self._cells(row)
                if email in self.rows:
                    for column, value in zip(("email", "reason", "updated"), cells, strict=False):
                        table.update_cell(email, column, value)
                else:
                    table.add_row(*cells, key=email)
            self.rows = fresh
            table.sort("updated", key=lambda cell: cell.plain, reverse=True)  # newest first, as listed
            if keep in fresh:
                table.move_cursor(row=table.get_row_index(keep), scroll=False)
            self._show_audit(message.audit)
        reloaded = message.error or message.fetched  # a poll of the cache (SES not asked) keeps a reload's error
        self._show_status(message.error if reloaded else self.shown_error or None)
        self._follow_cursor()

    def _show_status(self, error: str | None = None) -> None:
        """The count (and filter), the policies' state and an error keep their room; the reload
        hint gives way first, then the fetch time (80 columns)."""
        self.shown_error = error
        # The last reload of the list: this console's, else the cache's (an entry added since is later)
        fetched = self.fetched or min((r["fetched"] for r in self.rows.values()), default=None)
        shown = f"{len(self.rows)} suppressed" + (f" of {self.total}, filter /{safe(self.text)}" if self.text else "")
        when = f" · fetched {clock_time(fetched, self.app.ctx.now_ms())}" if fetched else ""
        tail = f" · could not reload from SES: {error}" if error else ""
        room = max(20, (self.size.width or self.app.size.width) - 2)
        for line in (f"{shown}{when} · {self.policy_state()}{tail}" + ("" if error else "  (R reloads from SES)"),
                     f"{shown}{when} · {self.policy_state()}{tail}", f"{shown} · {self.policy_state()}{tail}"):
            if len(line) <= room:
                break
        self._status(line, error=bool(error))

    def policy_state(self) -> str:
        """`policies: complaint on, hard_bounce dry-run (p)` — what the collector does by itself."""
        config = self.app.ctx.policies
        if config is None:
            return "policies: not running here"
        active = [f"{rule} {config.mode(rule)}" for rule in RULES if config.mode(rule) != "off"]
        return "policies: " + (", ".join(active) if active else "all off") + " (p)"

    def _audit_cells(self, row: Row) -> list[Text]:
        colour = "error" if row["outcome"] == "failed" else ""
        return view.audit_cells(row, self.app.ctx.now_ms(), theme_style(self.app, colour))

    def _show_audit(self, rows: list[Row]) -> None:
        if [r["id"] for r in rows] == [r["id"] for r in self.audit_rows]:
            return
        self.audit_rows = rows
        self._lay_out_audit(force=True)
        if self.has_class("audit"):
            self._follow_audit_cursor()

    def _status(self, text: str, error: bool = False) -> None:
        self.query_one("#sup-status", Static).update(
            literal(text, style=theme_style(self.app, "error" if error else "")))

    # -- detail: follows the cursor from the local cache; enter asks SES ---------------------------

    @on(DataTable.RowHighlighted, "#sup-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._follow_cursor()

    def _follow_cursor(self) -> None:
        email = self.table.selected_key()
        box = self.query_one("#sup-detail", Static)
        if email is None or email not in self.rows:
            self.detail = None
            box.update(Text("The list is empty." if not self.rows and not self.text
                            else "Nothing matches the filter (escape clears it)." if not self.rows else HINT))
            return
        if self.detail and self.detail.get("email") == email and self.detail.get("checked"):
            return  # already the full answer from SES for this address
        entry = dict(self.rows[email])
        if not entry.get("message_id"):
            entry = {**entry, "message_id": None, **view.audited_cause(self.audit_rows, email)}
        self._show_detail(entry)

    @on(DataTable.RowHighlighted, "#sup-audit")
    def _audit_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if self.has_class("audit"):  # a hidden audit's cursor moves as it is laid out
            self._follow_audit_cursor()

    def _follow_audit_cursor(self) -> None:
        row = next((r for r in self.audit_rows if str(r["id"]) == self.audit.selected_key()), None)
        muted = theme_style(self.app, "text-muted")
        self.query_one("#sup-detail", Static).update(
            view.audit_detail_text(row, muted) if row else Text(view.NO_AUDIT if not self.audit_rows else "", style=muted))

    @on(DataTable.RowSelected, "#sup-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        email = event.row_key.value
        if self.detail and self.detail.get("email") == email and self.detail.get("message_id"):
            self.post_message(OpenTimeline(self.detail["message_id"]))
            return
        self.query_one("#sup-detail", Static).update(Text(f"Looking up {safe(email)}…"))
        self._look_up(email)

    @io_worker("suppression-detail")
    def _look_up(self, email: str) -> None:
        ctx = self.app.ctx
        try:
            if ctx.aws:
                entry = service.details(ctx.aws, ctx.store, email)
            else:
                entry = next(iter(ctx.store.suppressions_for([email])), None)
        except AwsError as exc:
            deliver(self, SuppressionDetail(email, None, service.plain_reason(exc, email)))
            return
        if entry is not None and not entry.get("message_id"):
            # SES forgets the message of an entry added by hand; the audit remembers it, or who added it.
            entry = {**entry, "message_id": None, **view.audited_cause(ctx.store.audit(50, email=email), email)}
        deliver(self, SuppressionDetail(email, entry))

    @landed(SuppressionDetail)
    def _detail(self, message: SuppressionDetail) -> None:
        if message.email != self.table.selected_key():
            return  # the cursor moved on
        box = self.query_one("#sup-detail", Static)
        if message.error:
            self.detail = None
            box.update(literal(message.error, style=theme_style(self.app, "error")))
            return
        if message.entry is None:
            self.detail = None
            box.update(Text.assemble(literal(message.email), " is no longer on the list."))
            return
        self._show_detail({**message.entry, "checked": True})

    def _show_detail(self, e: Row) -> None:
        self.detail = e
        self.query_one("#sup-detail", Static).update(view.detail_text(e, theme_style(self.app, "text-muted")))

    # -- actions ----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterBox).open(self.text)

    @on(FilterApplied)
    def _filter_applied(self, message: FilterApplied) -> None:
        message.stop()
        query = parse_suppression_filter(message.text, datetime.fromtimestamp(self.app.ctx.now_ms() / 1000, tz=UTC))
        if query.error:
            self._status(f"filter /{message.text}: {query.error}", error=True)
            self.query_one(FilterBox).open(message.text)  # to correct it
            return
        self.text, self.search = message.text, query
        self.table.focus()
        self.load()

    def back(self) -> bool:
        if self.query_one(FilterBox).close():
            self.table.focus()
            return True
        if self.has_class("audit"):
            self.action_toggle_audit()
            return True
        if self.text:
            self.text, self.search = None, SuppressionQuery()
            self.load()
            return True
        return False

    def action_toggle_audit(self) -> None:
        self.query_one(FilterBox).close()
        self.toggle_class("audit")
        self.focus_main()
        self.app.refresh_bindings()
        self.detail = None  # the detail is the audit row's, or the list's
        if self.has_class("audit"):
            self._follow_audit_cursor()
        else:
            self._follow_cursor()

    def action_policies(self) -> None:
        from sestui.ui.screens.policies import PoliciesScreen

        if self.app.ctx.policies is None:
            self.app.say("Policies run in the collector: none runs in this console (read-only, or "
                         "`sestui collect` runs elsewhere).", ok=False)
            return
        self.app.push_screen(PoliciesScreen(self.app.ctx.policies), lambda _: self._show_status())

    def action_reload_from_aws(self) -> None:
        self.load(from_aws=True)

    def action_add(self) -> None:
        from sestui.ui.screens.suppress_form import SuppressFormScreen

        def chosen(result: tuple[str, str] | None) -> None:
            if result:
                already = self.rows.get(result[0])
                self.app.actions.suppress(result[0], result[1], None, already=already and already["reason"])

        self.app.push_screen(SuppressFormScreen(), chosen)

    def action_remove(self) -> None:
        email = self.table.selected_key()
        if email:
            self.app.actions.unsuppress(email)

    def selected_email(self) -> str | None:
        """The address under the cursor of the table on screen (the list, or the audit log)."""
        if not self.has_class("audit"):
            return self.table.selected_key()
        key = self.audit.selected_key()
        return next((r["email"] for r in self.audit_rows if str(r["id"]) == key), None)

    def action_events(self) -> None:
        email = self.selected_email()
        if email:
            self.app.action_pane("flow", remember=True)
            self.app.pane("flow").set_filter(email)
        else:
            self.app.say("No address selected: nothing to show the events of.", ok=False)

    def action_copy(self) -> None:
        self.app.actions.copy("address", self.selected_email())

    def action_export_csv(self) -> None:
        from sestui.ui.screens.path import PathScreen, unwritable

        where = os.path.abspath("suppressions.csv")  # the whole path: where it lands is what the operator must see
        self.app.push_screen(PathScreen("Export the suppression list to CSV", where, check=unwritable), self._export)

    def _export(self, path: str | None) -> None:
        if path:
            self.app.actions.export_suppressions(path, list(self.rows.values()), self.total, self.text)

    def action_import_csv(self) -> None:
        from sestui.ui.screens.path import PathScreen, import_problem

        title = "Import addresses from CSV (email[,reason])"  # a path it cannot use: the dialog says so, stays open
        self.app.push_screen(PathScreen(title, check=import_problem), self.app.actions.import_csv)

    def refresh_after_edit(self) -> None:
        self.load()

