"""Pane 3: the account suppression list (cached locally, refreshed from SES on demand) and its audit."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sestui.ops import suppressions as service
from sestui.aws import AwsError
from sestui.ui.messages import ActionFinished, FilterApplied, OpenTimeline, SuppressionDetail, SuppressionsLoaded
from sestui.ui.text import clock_time, full_time, literal, safe
from sestui.ui.widgets.common import FilterBox, KeyTable, ReadOnlyAware, theme_style
from sestui.ui.workers import AppWorkers, deliver, io_worker

class SuppressionPane(AppWorkers, ReadOnlyAware, Vertical):
    WRITE_ACTIONS = frozenset({"add", "remove", "import_csv"})
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="suppressions.filter"),
        Binding("a", "add", "Add", id="suppressions.add"),
        Binding("d,delete", "remove", "Remove", id="suppressions.remove"),
        Binding("u", "toggle_audit", "Audit", id="suppressions.audit"),
        Binding("p", "policies", "Policies", show=False, id="suppressions.policies"),
        Binding("R", "reload_from_aws", "Reload from SES", show=False, id="suppressions.reload"),
        Binding("i", "import_csv", "Import CSV", show=False, id="suppressions.import"),
        Binding("e", "export_csv", "Export CSV", show=False, id="suppressions.export"),
    ]


    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.text: str | None = None
        self.loaded_once = False
        self.fetched_ms: int | None = None
        self.detail: dict | None = None
        self.rows: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="sup-status")
        yield FilterBox(placeholder="filter addresses (enter applies, escape clears)", id="sup-filter")
        yield KeyTable(id="sup-table")
        yield KeyTable(id="sup-audit")
        yield Static("enter: details of the selected address", id="sup-detail")

    def on_mount(self) -> None:
        width = max(60, self.app.size.width)
        table = self.query_one("#sup-table", KeyTable)
        table.add_column("Address", key="email", width=max(20, width - 40))
        table.add_column("Reason", key="reason", width=10)
        table.add_column("Last update", key="updated", width=20)
        audit = self.query_one("#sup-audit", KeyTable)
        audit.add_column("When UTC", key="at", width=11)
        audit.add_column("Who", key="actor", width=14)
        audit.add_column("Action", key="action", width=10)
        audit.add_column("Address", key="email", width=max(16, width - 72))
        audit.add_column("Outcome", key="outcome", width=24)

    @property
    def table(self) -> KeyTable:
        return self.query_one("#sup-table", KeyTable)

    def focus_main(self) -> None:
        (self.query_one("#sup-audit") if self.has_class("audit") else self.table).focus()

    def on_show(self) -> None:
        if not self.loaded_once:
            self.loaded_once = True
            self.load(from_aws=True)

    # -- loading --------------------------------------------------------------------------------

    def load(self, from_aws: bool = False) -> None:
        if from_aws:
            self._status("Loading the suppression list from SES (every page)…")
        self._load(from_aws, self.text)

    @io_worker("suppressions")
    def _load(self, from_aws: bool, text: str | None) -> None:
        ctx = self.app.ctx
        error = None
        if from_aws and ctx.aws is not None:
            try:
                service.refresh(ctx.aws, ctx.store)
            except AwsError as exc:
                error = service.plain_reason(exc, "")
        rows = ctx.store.suppressions(text)
        total = len(rows) if not text else len(ctx.store.suppressions())
        deliver(self, SuppressionsLoaded(rows, ctx.store.audit(200), error, total))

    @on(SuppressionsLoaded)
    def _loaded(self, message: SuppressionsLoaded) -> None:
        message.stop()
        table = self.table
        keep = table.selected_key()
        fresh = {row["email"]: row for row in message.rows}
        with self.app.batch_update():
            for key in [k for k in self.rows if k not in fresh]:
                table.remove_row(key)
            for email, row in fresh.items():
                reason = Text(row["reason"], style=theme_style(self.app, "error" if row["reason"] == "COMPLAINT" else "warning"))
                cells = (literal(email), reason, Text(full_time(row["last_update"])))
                if email in self.rows:
                    for column, value in zip(("email", "reason", "updated"), cells):
                        table.update_cell(email, column, value)
                else:
                    table.add_row(*cells, key=email)
            self.rows = fresh
            table.sort("updated", key=lambda cell: cell.plain, reverse=True)  # newest first, as listed
            if keep in fresh:
                table.move_cursor(row=table.get_row_index(keep), scroll=False)
            self._show_audit(message.audit)
        fetched = max((r["fetched"] for r in message.rows), default=None)
        shown = f"{len(message.rows)} suppressed" + (f" matching {safe(self.text)!r}" if self.text else "")
        if fetched:
            shown += f" · fetched {clock_time(fetched, self.app.ctx.now_ms())}"
        if message.error:
            self._status(f"{shown} · could not reload from SES: {message.error}", error=True)
        else:
            self._status(shown + "  (R reloads from SES)")

    def _show_audit(self, rows: list[dict]) -> None:
        audit = self.query_one("#sup-audit", KeyTable)
        audit.clear()  # a log, rewritten whole: it has no cursor state worth keeping
        now = self.app.ctx.now_ms()
        for row in rows:
            outcome = row["outcome"] + (f": {row['detail']}" if row.get("detail") else "")
            colour = "error" if row["outcome"] == "failed" else ""
            audit.add_row(
                Text(clock_time(row["at"], now)), literal(row["actor"] or ""),
                Text(f"{row['action']}{' ' + row['reason'] if row.get('reason') else ''}"),
                literal(row["email"] or ""), literal(outcome, style=theme_style(self.app, colour)),
                key=str(row["id"]),
            )

    def _status(self, text: str, error: bool = False) -> None:
        self.query_one("#sup-status", Static).update(
            literal(text, style=theme_style(self.app, "error" if error else "")))

    # -- detail -----------------------------------------------------------------------------------

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
            deliver(self, SuppressionDetail(email, entry))
        except AwsError as exc:
            deliver(self, SuppressionDetail(email, None, service.plain_reason(exc, email)))

    @on(SuppressionDetail)
    def _detail(self, message: SuppressionDetail) -> None:
        message.stop()
        box = self.query_one("#sup-detail", Static)
        self.detail = message.entry
        if message.error:
            box.update(literal(message.error, style=theme_style(self.app, "error")))
            return
        if message.entry is None:
            box.update(Text.assemble(literal(message.email), " is no longer on the list."))
            return
        e = message.entry
        lines = Text.assemble(
            ("Address ", "bold"), literal(e["email"]), ("   reason ", "bold"), e["reason"],
            ("\nLast update ", "bold"), full_time(e["last_update"]),
            ("\nCaused by message ", "bold"), literal(e.get("message_id") or "unknown"),
            ("   feedback ", "bold"), literal(e.get("feedback_id") or "-"),
        )
        if e.get("message_id"):
            lines.append("\nenter again opens that message's timeline", style=theme_style(self.app, "text-muted"))
        box.update(lines)

    # -- actions ----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterBox).open(self.text)

    @on(FilterApplied)
    def _filter_applied(self, message: FilterApplied) -> None:
        message.stop()
        self.text = message.text
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
            self.text = None
            self.load()
            return True
        return False

    def action_toggle_audit(self) -> None:
        self.toggle_class("audit")
        self.focus_main()

    def action_policies(self) -> None:
        from sestui.ui.screens.policies import PoliciesScreen

        if self.app.ctx.policies is None:
            self.app.notify("Policies are not available in a read-only console.", severity="warning")
            return
        self.app.push_screen(PoliciesScreen(self.app.ctx.policies))

    def action_reload_from_aws(self) -> None:
        self.load(from_aws=True)

    def action_add(self) -> None:
        from sestui.ui.screens.suppress_form import SuppressFormScreen

        def chosen(result: tuple | None) -> None:
            if result:
                self.app.actions.suppress(result[0], result[1], None)

        self.app.push_screen(SuppressFormScreen(), chosen)

    def action_remove(self) -> None:
        email = self.table.selected_key()
        if email:
            self.app.actions.unsuppress(email)

    def action_export_csv(self) -> None:
        from sestui.ui.screens.path import PathScreen

        self.app.push_screen(PathScreen("Export the suppression list to CSV", "suppressions.csv"), self._export)

    def _export(self, path: str | None) -> None:
        if path:
            self.app.actions.export_suppressions(path, list(self.rows.values()), self.total, self.text)

    def action_import_csv(self) -> None:
        from sestui.ui.screens.path import PathScreen

        self.app.push_screen(PathScreen("Import addresses from CSV (email[,reason])"), self.app.actions.import_csv)

    def refresh_after_edit(self) -> None:
        self.load()
