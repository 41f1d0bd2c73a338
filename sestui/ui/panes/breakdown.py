"""Pane 7: which stream is doing it — bounces, complaints, rejects and deliveries per configuration
set, from-domain, recipient domain, campaign, bounce class or complaint type, from the store's
hourly roll-ups. The bounce rate counts hard (Permanent) bounces only, as AWS's does; soft ones are
shown beside it. The groups that add the most hard bounces come first, so the culprit is the top
row; `enter` opens the flow filtered to it. The minimum volume and the campaign's tag key are
[breakdown] settings."""

from __future__ import annotations


from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from sestui.config.schema import Breakdown
from sestui.core.health import rates_from_counts
from sestui.ui.filters import parse_flow_filter
from sestui.ui.messages import BreakdownLoaded
from sestui.ui.text import clock_time, count
from sestui.ui.widgets.common import KeyTable, fitted, theme_style
from sestui.ui.widgets.rates import percent_of, rate_style
from sestui.ui.workers import AppWorkers, busy, deliver, io_worker, landed

HOUR_MS = 3_600_000
# (store dimension, label, the flow filter for one of its groups; None: the flow cannot narrow to it)
GROUPS = (("configuration_set", "configuration set", "set:{}"),
          ("from_domain", "from domain", "domain:{}"),
          ("recipient_domain", "recipient domain", "domain:{}"),
          ("campaign", "campaign", "tag:{tag}={}"),
          ("bounce_class", "bounce class", None),
          ("feedback_type", "complaint type", None))
LABELS = {dimension: label for dimension, label, _ in GROUPS}
FILTERS = {dimension: pattern for dimension, _, pattern in GROUPS}
# The flow shows every event of the type when the group itself cannot be filtered on.
TYPE_OF_GROUP = {"bounce_class": "type:bounce", "feedback_type": "type:complaint"}
# Dimensions whose groups hold one kind of event: their share of it is shown, not a rate over sends.
SHARE_ONLY = {"bounce_class": "bounce", "feedback_type": "complaint"}
WINDOWS = (("1h", HOUR_MS), ("24h", 24 * HOUR_MS), ("7d", 7 * 24 * HOUR_MS), ("14d", 14 * 24 * HOUR_MS))
# Below the minimum volume a rate is shown but not coloured: a few events make a noisy ratio. `v`
# steps through these and [breakdown] min_volume.
MIN_VOLUMES = (20, 100, 500, 0)


class BreakdownPane(AppWorkers, Vertical):
    BINDINGS = [
        Binding("b", "next_group", "Group by", id="breakdown.group", tooltip="group by the next dimension"),
        Binding("w", "next_window", "Window", id="breakdown.window", tooltip="window: 1h, 24h, 7d, 14d"),
        Binding("v", "next_volume", "Min volume", show=False, id="breakdown.volume",
                tooltip="the volume below which a rate is not coloured"),
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.group_by = "configuration_set"
        self.window = "24h"
        self.min_volume = MIN_VOLUMES[1]  # [breakdown] min_volume, once mounted
        self.rows: list[dict] = []
        self.oldest_ms: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="bd-title")
        yield KeyTable(id="bd-table")
        yield Static(id="bd-empty")

    @property
    def table(self) -> KeyTable:
        return self.query_one("#bd-table", KeyTable)

    def focus_main(self) -> None:
        self.table.focus()

    @property
    def settings(self) -> Breakdown:
        return self.app.ctx.breakdown

    @property
    def volumes(self) -> list[int]:
        """What `v` steps through: the configured minimum first."""
        return list(dict.fromkeys((self.settings.min_volume, *MIN_VOLUMES)))

    def on_mount(self) -> None:
        self.min_volume = self.settings.min_volume
        self._show_title()
        self.relayout(force=True)

    def on_resize(self) -> None:
        self._show_title()
        self.relayout()

    # -- loading ---------------------------------------------------------------------------------

    def poll(self) -> None:
        if not busy(self.app, "breakdown"):
            self._load(self.group_by, self.window)

    @io_worker("breakdown")
    def _load(self, group_by: str, window: str) -> None:
        ctx = self.app.ctx
        rows = ctx.store.breakdown(dict(WINDOWS)[window], group_by, now=ctx.now_ms(),
                                   campaign_tag=ctx.breakdown.campaign_tag)
        if group_by in SHARE_ONLY:  # the group "" holds every event that is not of the kind
            rows = [r for r in rows if r["group"] and r[SHARE_ONLY[group_by]]]
        deliver(self, BreakdownLoaded(group_by, window, rows, ctx.store.oldest_event_ms()))

    @landed(BreakdownLoaded)
    def _loaded(self, message: BreakdownLoaded) -> None:
        if (message.group_by, message.window) != (self.group_by, self.window):
            return  # an answer to a question no longer asked
        self.rows, self.oldest_ms = message.rows, message.oldest_ms
        self._show_title()
        self.relayout(force=True)
        self.set_class(not self.rows, "empty")
        self.query_one("#bd-empty", Static).update(Text(
            f"No counted events in the last {self.window} (mail to the mailbox simulator is not counted)."
            " w: a longer window" if not self.rows else "",
            style=theme_style(self.app, "text-muted")))

    # -- the table -------------------------------------------------------------------------------

    def columns_for(self, width: int) -> list[tuple[str, str, int]]:
        """80 columns: group, sends, deliveries, hard and soft bounces, the (hard) bounce rate,
        complaints and rate, rejects. From 100 the share of all bounces; the group's column takes
        what is left. Narrower, whole columns give way (deliveries, soft bounces, rejects first):
        a column cut at the screen's edge would show 1 for 1.37%."""
        share = "Share" if self.group_by in SHARE_ONLY else "Of bnc"
        numbers = [("Sends", "send", 6), ("Deliv", "delivery", 6), ("Hard", "bounce_hard", 5), ("Soft", "soft", 5),
                   ("Hard%", "bounce_rate", 6), ("Cmp", "complaint", 4), ("Cmp%", "complaint_rate", 7),
                   ("Rej", "reject", 4)]
        if width >= 100:
            numbers.append((share, "share", 6))

        def spare() -> int:
            return width - sum(w for _, _, w in numbers) - 2 * (len(numbers) + 1) - 2

        for key in ("delivery", "soft", "reject", "complaint"):
            if spare() >= 10:
                break
            numbers = [n for n in numbers if n[1] != key]
        label = LABELS[self.group_by].capitalize()
        return [(label, "group", max(10, spare()))] + numbers

    def relayout(self, force: bool = False) -> None:
        columns = self.columns_for(self.size.width or self.app.size.width)
        if force or columns != self.table.column_layout:
            self.table.lay_out(columns, ((self._key(r), self._cells(r, columns)) for r in self.rows))

    @staticmethod
    def _key(row: dict) -> str:
        return "g:" + row["group"]

    def _cells(self, row: dict, columns: list[tuple[str, str, int]]) -> list[Text]:
        app = self.app
        muted = theme_style(app, "text-muted")
        attempts = rates_from_counts(row).attempts
        big_enough = attempts >= self.min_volume
        share_of = SHARE_ONLY.get(self.group_by)
        totals = {kind: sum(r[kind] for r in self.rows) for kind in ("bounce", "complaint")}
        cells: list[Text] = []
        for _, key, _ in columns:
            if key == "group":
                cells.append(fitted(row["group"]) if row["group"] else Text("(none)", style=muted, end=""))
            elif key in ("bounce_rate", "complaint_rate"):
                kind = key.removesuffix("_rate")
                if share_of:
                    cells.append(Text("-", style=muted, justify="right", end=""))
                    continue
                hits = row["bounce_hard"] if kind == "bounce" else row[kind]  # AWS counts hard bounces
                value = hits / attempts if attempts else None
                cells.append(Text(percent_of(value, kind, estimate=True), justify="right", end="",
                                  style=rate_style(app, value, kind, coloured=big_enough)))
            elif key == "share":
                kind = share_of or "bounce"
                value = row[kind] / totals[kind] if totals[kind] else None
                cells.append(Text("-" if value is None else f"{value:.0%}", justify="right", end=""))
            else:
                n = row["bounce"] - row["bounce_hard"] if key == "soft" else row[key]
                style = theme_style(app, "error") if key in ("bounce_hard", "complaint", "reject") and n else (
                    theme_style(app, "warning") if key == "soft" and n else "")
                cells.append(Text(count(n), style=style, justify="right", end=""))
        return cells

    def _show_title(self) -> None:
        app = self.app
        label = LABELS[self.group_by]
        if self.group_by == "campaign" and self.settings.campaign_tag != "campaign":
            label = f"campaign (tag {self.settings.campaign_tag})"
        bold, muted = theme_style(app, "", True), theme_style(app, "text-muted")
        # a window longer than the history stored says where the history begins (sends before it are not here)
        start = self.app.ctx.now_ms() - dict(WINDOWS)[self.window]
        since = (Text.assemble((" stored since ", muted), (clock_time(self.oldest_ms, self.app.ctx.now_ms()), bold))
                 if self.oldest_ms is not None and self.oldest_ms > start + HOUR_MS else "")
        title = Text.assemble(("by ", muted), (label, bold), ("  last ", muted), (self.window, bold), since,
                              ("  min volume ", muted), (str(self.min_volume), bold),
                              ("   b group  w window  v volume  enter flow", muted), no_wrap=True, overflow="ellipsis")
        self.query_one("#bd-title", Static).update(title)

    # -- actions ---------------------------------------------------------------------------------

    def _changed(self) -> None:
        self.rows = []
        self._show_title()
        self.relayout(force=True)
        self.poll_now()

    def poll_now(self) -> None:
        self._load(self.group_by, self.window)  # exclusive: replaces a load of the old question

    def action_next_group(self) -> None:
        names = [d for d, _, _ in GROUPS]
        self.group_by = names[(names.index(self.group_by) + 1) % len(names)]
        self._changed()

    def action_next_window(self) -> None:
        names = [w for w, _ in WINDOWS]
        self.window = names[(names.index(self.window) + 1) % len(names)]
        self._changed()

    def action_next_volume(self) -> None:
        volumes = self.volumes
        self.min_volume = volumes[(volumes.index(self.min_volume) + 1) % len(volumes)]
        self._show_title()
        self.relayout(force=True)

    def flow_filter(self, group: str) -> str | None:
        """The flow's `/` line for one group, or None when the flow cannot narrow to it."""
        if self.group_by in TYPE_OF_GROUP:
            return TYPE_OF_GROUP[self.group_by]
        pattern = FILTERS[self.group_by]
        if not group or pattern is None or any(c.isspace() for c in group):
            return None
        return pattern.format(group, tag=self.settings.campaign_tag)

    @on(DataTable.RowSelected, "#bd-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        group = (event.row_key.value or "").removeprefix("g:")
        text = self.flow_filter(group)
        if text is None:
            self.app.say("The flow cannot filter to this group; its events have no such value.", ok=False)
            return
        refused = parse_flow_filter(text).error
        if refused:
            self.app.say(refused, ok=False)
            return
        self.app.pane("flow").set_filter(text)
        self.app.action_pane("flow", remember=True)
