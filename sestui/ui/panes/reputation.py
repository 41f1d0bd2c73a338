"""Pane 4: reputation as AWS enforces it. AWS's rate over 14 days (CloudWatch `Reputation.*Rate`,
hourly) against the review and pause lines, for the account or the configuration set under the
table's cursor; the value under a day cursor (left/right, h/l); sends, deliveries, bounces,
complaints and rejects per day; and, for the account and each set, where the last 24 hours' pace
takes the rate ("at this pace: review in ~9 h"; "… · 12 min of mail" when the store holds less
than the day, and no projection from too little mail).

Where AWS publishes no figure (a set with reputation metrics off, CloudWatch denied, no AWS), the
figure and the chart are sestui's estimate and say so (`est`: GetSendStatistics, `local`: the
stored events). The data is gathered by reputation_data.load in the pane's worker.

`i` swaps the chart for AWS's counts per recipient ISP (Virtual Deliverability Manager), or, when
VDM is off, how to turn it on (reputation_isp)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import DataTable, Static

from sestui.core.fmt import duration
from sestui.core.reputation import CLOUDWATCH, pace_text
from sestui.ui.messages import IspLoaded, ReputationLoaded
from sestui.ui.panes.reputation_data import DAYS, Cache, Scope, load
from sestui.ui.panes.reputation_isp import IspView, load_isp, render_isp
from sestui.ui.text import ellipsize, safe
from sestui.ui.widgets.common import KeyTable, fitted, theme_style
from sestui.ui.widgets.header import HealthHeader
from sestui.ui.widgets.rate_chart import (
    DAY_MS,
    Grid,
    day_axis,
    compact,
    day_row,
    render_chart,
    value_at,
)
from sestui.ui.widgets.rates import (
    SOURCE_LABEL,
    figure_cell,
    percent_of,
    rate_style,
    threshold_for,
)
from sestui.ui.workers import AppWorkers, busy, deliver, io_worker, landed

# (label, label in 6 columns, count, colour)
COUNT_ROWS = (("Sends", "Sends", "send", "primary"), ("Delivered", "Dlvd", "delivery", "success"),
              ("Bounces", "Bnc", "bounce", "error"), ("Complaints", "Cmp", "complaint", "error"),
              ("Rejects", "Rej", "reject", "error"))
MIN_VOLUME = 20  # an estimate over fewer sends is shown but not coloured (a few events make a noisy ratio)
SOURCE_NAME = {CLOUDWATCH: "AWS CloudWatch, hourly", "send_statistics": "estimate from SES statistics, daily",
               "local": "estimate from stored events, daily"}


def counts_source(scope: Scope, names: dict[str, str]) -> str:
    """Where the count rows come from: the account's sends, bounces, complaints and rejects from SES's
    statistics when it has any, its deliveries only ever from the events stored here (SES counts
    none), and a configuration set's all from the stored events."""
    if scope.counts_from_stats:
        sent = " ".join(names[key] for key in ("send", "bounce", "complaint", "reject"))
        return f"{sent}: SES statistics · {names['delivery']}: only the events stored here"
    return "Counts: the events stored here"


class ReputationPane(AppWorkers, Vertical):
    BINDINGS = [
        Binding("left,h", "day(-1)", "Day", priority=True, id="reputation.earlier", tooltip="cursor one day earlier"),
        Binding("right,l", "day(1)", "Day", show=False, priority=True, id="reputation.later",
                tooltip="cursor one day later"),
        Binding("c", "toggle_kind", "Bnc/cmp", id="reputation.kind",
                tooltip="chart the bounce rate or the complaint rate"),
        Binding("i", "toggle_isp", "Per ISP", show=False, id="reputation.isp",
                tooltip="AWS's rates per recipient ISP (Virtual Deliverability Manager) instead of the chart"),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scopes: list[Scope] = []
        self.start_ms = 0
        self.error: str | None = None
        self.cache = Cache()
        self.kind = "bounce"
        self.cursor = DAYS - 1  # today
        self.selected: str | None = None  # the charted scope's label (None: the account)
        self.per_isp = False
        self.isp_views: dict[str | None, IspView] = {}

    def compose(self) -> ComposeResult:
        yield Static("Loading reputation…", id="rep-body")
        yield KeyTable(id="rep-scopes")

    @property
    def table(self) -> KeyTable:
        return self.query_one("#rep-scopes", KeyTable)

    def focus_main(self) -> None:
        self.table.focus()

    def on_mount(self) -> None:
        self.relayout(force=True)

    def on_resize(self) -> None:
        self.relayout()
        self._show_body()

    # -- loading ---------------------------------------------------------------------------------

    def poll(self) -> None:
        if not busy(self.app, "reputation"):
            self._load(self.cache)
        if self.per_isp and not busy(self.app, "reputation-isp"):
            self._load_isp(self.selected)

    @io_worker("reputation")
    def _load(self, cache: Cache) -> None:
        scopes, start, error, cache = load(self.app.ctx, cache)
        deliver(self, ReputationLoaded(scopes, start, error, cache))

    @io_worker("reputation-isp")
    def _load_isp(self, scope: str | None) -> None:
        ctx = self.app.ctx
        start = ctx.now_ms() // DAY_MS * DAY_MS - (DAYS - 1) * DAY_MS
        deliver(self, IspLoaded(load_isp(ctx, scope, start, self.isp_views.get(scope), time.monotonic())))

    @landed(IspLoaded)
    def _isp_loaded(self, message: IspLoaded) -> None:
        self.isp_views[message.view.scope] = message.view
        if self.per_isp and message.view.scope == self.selected:
            self._show_body()

    @landed(ReputationLoaded)
    def _loaded(self, message: ReputationLoaded) -> None:
        self.scopes, self.start_ms, self.error, self.cache = message.scopes, message.start_ms, message.error, message.cache
        self.relayout(force=True)
        self._show_body()

    # -- what is shown ---------------------------------------------------------------------------

    @property
    def scope(self) -> Scope | None:
        for scope in self.scopes:
            if scope.name == self.selected:
                return scope
        return self.scopes[0] if self.scopes else None

    def day_figure(self) -> tuple[float | None, str, int | None]:
        """The rate under the day cursor, where it comes from, and as of when (ms, None: not known).
        A past day: the charted rate at its end. Today: the figure the table and the header show
        (the latest reading), not the chart's last hourly point: one rate, one figure on the screen."""
        scope = self.scope
        if scope is None:
            return None, "", None
        if self.cursor == DAYS - 1:
            figure = getattr(scope.rates, self.kind)
            return figure.value, figure.source, figure.at_ms or scope.taken_ms
        end = min(self.start_ms + (self.cursor + 1) * DAY_MS - 1, self.app.ctx.now_ms())
        return value_at(scope.series.get(self.kind, []), end), scope.series_source, None

    def day_value(self) -> float | None:
        return self.day_figure()[0]

    def _show_body(self) -> None:
        self.query_one("#rep-body", Static).update(self.render_body())

    def render_body(self) -> Text:
        app = self.app
        scope = self.scope
        if scope is None:
            return Text("Loading reputation…")
        width = max(40, (self.size.width or app.size.width) - 2)
        if self.per_isp:
            return render_isp(app, self.isp_views.get(self.selected), scope.label, width)
        height = self.size.height or app.size.height - 5
        grid = Grid.fit(self.start_ms, DAYS, width)
        threshold = threshold_for(self.kind)
        muted, bold = theme_style(app, "text-muted"), theme_style(app, "", True)
        table_rows = min(len(self.scopes), 4) + 1
        chart_height = max(3, min(16, height - 4 - len(COUNT_ROWS) - table_rows - bool(self.error)))
        other = "complaint" if self.kind == "bounce" else "bounce"
        title = Text.assemble((f"{self.kind.capitalize()} rate ", bold), ("of ", muted),
                              (ellipsize(safe(scope.label), 24), bold),
                              (f"  {SOURCE_NAME.get(scope.series_source, scope.series_source)}", muted),
                              no_wrap=True, overflow="ellipsis", end="")
        legend = Text.assemble(("  ╌ review", theme_style(app, "warning")), ("  ─ pause", theme_style(app, "error")))
        for extra in (legend, Text(f"  c: {other}", style=muted), Text("  i: per ISP", style=muted)):  # if they fit
            if title.cell_len + extra.cell_len <= width:
                title.append_text(extra)
        title.truncate(width)
        lines = [title, render_chart(app, grid, scope.series.get(self.kind, []), threshold, chart_height, self.cursor),
                 day_axis(app, grid, self.cursor), self._cursor_line(scope, width)]
        names = {key: label if len(label) < grid.label else short for label, short, key, _ in COUNT_ROWS}
        lines += [day_row(app, grid, names[key], [d[key] for d in scope.days], colour, self.cursor)
                  for _, _, key, colour in COUNT_ROWS]
        lines.append(Text(ellipsize(counts_source(scope, names), width), style=muted, no_wrap=True, end=""))
        if self.error:
            lines.append(Text(ellipsize(f"AWS's figures: {safe(self.error)}", width), style=theme_style(app, "warning"),
                              no_wrap=True, end=""))
        return Text("\n", end="").join(lines)

    def _cursor_line(self, scope: Scope, width: int) -> Text:
        app = self.app
        muted = theme_style(app, "text-muted")
        day = datetime.fromtimestamp((self.start_ms + self.cursor * DAY_MS) / 1000, tz=UTC)
        value, source, as_of = self.day_figure()
        counts = scope.days[self.cursor] if scope.days else {}
        estimate = source != CLOUDWATCH
        when = plain = " at day end" if self.cursor < DAYS - 1 else " now"
        age = self.app.ctx.now_ms() - as_of if as_of is not None else 0
        if plain == " now" and age >= 60_000:
            when = f" now ({duration(age)} old)"  # a reading waits for AWS's next point, the chart is hourly
        full = (f" · sends {counts.get('send', 0):,} bounces {counts.get('bounce', 0):,}"
                f" complaints {counts.get('complaint', 0):,} rejects {counts.get('reject', 0):,}")
        short = " · " + " ".join(f"{name} {compact(counts.get(key, 0))}" for name, key in
                                 (("snd", "send"), ("bnc", "bounce"), ("cmp", "complaint"), ("rej", "reject")))
        # the day's counts in full when they fit, else short: the rows below cut a count too wide for its day
        for date, counts_text, said in (("%Y-%m-%d", full, when), ("%Y-%m-%d", short, when), ("%m-%d", short, when),
                                        ("%m-%d", short, plain)):
            line = Text.assemble((f"{day.strftime(date)} ", theme_style(app, "", True)), (f"{self.kind} ", muted),
                                 (percent_of(value, self.kind, estimate=estimate), rate_style(app, value, self.kind)),
                                 (f" {SOURCE_LABEL.get(source, source)}", muted), (said, muted),
                                 no_wrap=True, overflow="ellipsis", end="")
            if line.cell_len + len(counts_text) <= width:
                line.append(counts_text, style=muted)
                break
        line.truncate(width)
        return line

    # -- the scopes table ------------------------------------------------------------------------

    def columns_for(self, width: int) -> list[tuple[str, str, int]]:
        """Scope, AWS's (or the estimated) bounce and complaint figures, and the pace; at 80
        columns the pace column takes what the names leave."""
        name = 24 if width >= 110 else 16 if width >= 70 else 12
        figures = [("Bounce", "bounce", 11), ("Complaint", "complaint", 12)]
        pace = width - name - sum(w for _, _, w in figures) - 2 * 4 - 3
        return [("Scope", "scope", name), *figures, ("At this pace", "pace", max(8, pace))]

    def relayout(self, force: bool = False) -> None:
        columns = self.columns_for(self.size.width or self.app.size.width)
        if force or columns != self.table.column_layout:
            self.table.lay_out(columns, ((self._key(s), self._cells(s, columns)) for s in self.scopes))

    @staticmethod
    def _key(scope: Scope) -> str:
        return "account" if scope.name is None else "set:" + scope.name

    def _cells(self, scope: Scope, columns) -> list[Text]:
        app = self.app
        cells: list[Text] = []
        for _, key, size in columns:
            if key == "scope":
                cells.append(fitted(scope.label, style=theme_style(app, "", scope.name is None)))
            elif key in ("bounce", "complaint"):
                figure = getattr(scope.rates, key)
                sends = sum(day["send"] for day in scope.days)
                cells.append(figure_cell(app, figure, key, coloured=not figure.estimate or sends >= MIN_VOLUME))
            else:
                cells.append(self._pace_cell(scope, size))
        return cells

    def _pace_cell(self, scope: Scope, size: int = 40) -> Text:
        """The sooner of the two crossings, named when it is the complaint rate's; in fewer words
        when the column is narrow (cut, "~48 d" would read "~48")."""
        if scope.name is not None and scope.name in self._paused_sets():
            return Text("sending PAUSED", style=theme_style(self.app, "error", bold=True), end="")
        crossings = [(hours, kind) for kind, hours in scope.pace.items() if hours is not None]
        basis = scope.pace_basis.text() if scope.pace_basis is not None else ""  # "" for the whole 24 h
        if not crossings:
            quiet = basis if scope.pace_basis is not None and not scope.pace_basis.enough else "steady below review"
            if len(quiet) > size:
                quiet = quiet.split(" (")[0]  # "too little mail": its counts cut would read as other counts
            return Text(quiet, style=theme_style(self.app, "text-muted"), end="")

        def past_pause(kind: str) -> bool:
            return (getattr(scope.rates, kind).value or 0) >= threshold_for(kind).pause

        # the sooner crossing; of two rates past review already (both 0 h), the one past pause
        hours, kind = min(crossings, key=lambda c: (c[0], not past_pause(c[1]), c[1]))
        text = ("past the pause line" if past_pause(kind) else pace_text(hours, lead="")) + (
            "" if kind == "bounce" else " (complaints)")
        for long, short in ((" (complaints)", " (cmp)"), (" in ~", " ~"), ("past the ", "past "), (" line", "")):
            if len(text) > size:
                text = text.replace(long, short)
        if basis and len(text) + 3 + len(basis) <= size:  # the pace of minutes of mail says so
            text += f" · {basis}"
        return Text(text, style=theme_style(self.app, "error" if hours <= 0 else "warning", bold=hours < 24), end="")

    def _paused_sets(self) -> tuple[str, ...]:
        """The sets the header marks paused (the Actions pane keeps that mark)."""
        try:
            return self.app.main_screen.query_one(HealthHeader).paused_sets
        except NoMatches:
            return ()

    @on(DataTable.RowHighlighted, "#rep-scopes")
    def _scope_moved(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value or ""
        selected = None if key == "account" else key.removeprefix("set:")
        if selected != self.selected:
            self.selected = selected
            if self.per_isp:
                self._load_isp(selected)
            self._show_body()

    # -- actions ---------------------------------------------------------------------------------

    def action_day(self, step: int) -> None:
        self.cursor = max(0, min(DAYS - 1, self.cursor + step))
        self._show_body()

    def action_toggle_isp(self) -> None:
        self.per_isp = not self.per_isp
        if self.per_isp:
            self._load_isp(self.selected)
        self._show_body()

    def action_toggle_kind(self) -> None:
        self.kind = "complaint" if self.kind == "bounce" else "bounce"
        self._show_body()
