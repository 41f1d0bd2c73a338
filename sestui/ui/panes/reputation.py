"""Pane 4: reputation over two weeks — sends, bounce and complaint rates against AWS's thresholds,
rejects, and the locally stored events — plus how far the current rates are from review and pause."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from sestui.core import health
from sestui.ui.messages import StatsLoaded
from sestui.ui.text import count, percent
from sestui.ui.widgets.common import theme_style
from sestui.ui.workers import AppWorkers, busy, deliver, io_worker

BLOCKS = " ▁▂▃▄▅▆▇█"
DAY_MS = 86_400_000
WINDOW_MS = 14 * DAY_MS
LABEL_WIDTH = 14


def bar_string(values: list[float], scale: float) -> str:
    """Values as block characters, full height at `scale` (values above it are clipped)."""
    if scale <= 0:
        scale = 1.0
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[max(1, round(min(1.0, v / scale) * top))] if v > 0 else BLOCKS[0] for v in values)


class ReputationPane(AppWorkers, VerticalScroll):
    NOTE_WIDTH = 16

    def compose(self) -> ComposeResult:
        yield Static("Loading statistics…", id="rep-body")

    def focus_main(self) -> None:
        self.focus()

    def poll(self) -> None:
        if not busy(self.app, "reputation"):
            self._load()

    @io_worker("reputation")
    def _load(self) -> None:
        ctx = self.app.ctx
        now = ctx.now_ms()
        points = ctx.store.send_stats(now - WINDOW_MS)
        local = ctx.store.hourly_counts(now - WINDOW_MS)
        deliver(self, StatsLoaded(points, local, ctx.health_summary()))

    @on(StatsLoaded)
    def _loaded(self, message: StatsLoaded) -> None:
        message.stop()
        self.query_one("#rep-body", Static).update(self.render_report(message))

    def render_report(self, message: StatsLoaded) -> Text:
        app = self.app
        now = app.ctx.now_ms()
        width = min(96, max(20, (self.size.width or app.size.width) - LABEL_WIDTH - self.NOTE_WIDTH - 3))
        start = now - WINDOW_MS
        bold, muted = theme_style(app, "", True), theme_style(app, "text-muted")
        out = Text(no_wrap=True, overflow="ellipsis")

        def series(rows: dict[int, int] | list[dict], field: str | None = None) -> list[float]:
            """Spread values over `width` equal time buckets covering the window."""
            buckets = [0.0] * width
            items = rows.items() if isinstance(rows, dict) else ((r["ts"], r[field]) for r in rows)
            for ts, value in items:
                i = int((ts - start) * width / WINDOW_MS)
                if 0 <= i < width:
                    buckets[i] += value
            return buckets

        def line(label: str, text: str, style=None, note: str = "") -> None:
            out.append(f"{label:<{LABEL_WIDTH}}", style=bold)
            out.append(text, style=style)
            if note:
                out.append(f" {note}", style=muted)
            out.append("\n")

        def rate_line(label: str, num: list[float], den: list[float], review: float, pause: float) -> None:
            out.append(f"{label:<{LABEL_WIDTH}}", style=bold)
            for n, d in zip(num, den):
                rate = n / d if d else 0.0
                colour = {"ok": "success", "warning": "warning", "error": "error"}[health.level(rate, review, pause)]
                out.append(bar_string([rate], pause) if d else " ", style=theme_style(app, colour))
            out.append(f" top={percent(pause, 1)} pause\n", style=muted)

        points = message.points
        out.append("SES sending statistics, last 14 days", style=bold)
        out.append("  (left edge = 14 days ago)\n", style=muted)
        if points:
            attempts = series(points, "delivery_attempts")
            bounces = series(points, "bounces")
            complaints = series(points, "complaints")
            rejects = series(points, "rejects")
            line("Sends", bar_string(attempts, max(attempts) or 1), theme_style(app, "primary"),
                 f"{count(sum(attempts))} total")
            rate_line("Bounce rate", bounces, attempts, health.BOUNCE_REVIEW, health.BOUNCE_PAUSE)
            rate_line("Complaint rate", complaints, attempts, health.COMPLAINT_REVIEW, health.COMPLAINT_PAUSE)
            line("Rejects", bar_string(rejects, max(rejects) or 1), theme_style(app, "error" if sum(rejects) else "primary"),
                 f"{count(sum(rejects))} total")
        else:
            out.append("  No statistics yet (GetSendStatistics is polled every few minutes).\n", style=muted)

        out.append("\nEvents stored here, last 14 days\n", style=bold)
        local = message.local
        if local:
            for label, kinds, colour in (("Delivered", ("delivery",), "success"),
                                         ("Hard bounces", ("bounce_hard",), "error"),
                                         ("Soft bounces", ("bounce_soft",), "warning"),
                                         ("Complaints", ("complaint",), "error"),
                                         ("Delays", ("delivery_delay",), "warning"),
                                         ("Rejects", ("reject",), "error")):
                merged: dict[int, int] = {}
                for kind in kinds:
                    for hour, n in local.get(kind, {}).items():
                        merged[hour] = merged.get(hour, 0) + n
                values = series(merged)
                total = sum(values)
                line(label, bar_string(values, max(values) or 1), theme_style(app, colour if total else "text-muted"),
                     f"{count(total)}")
        else:
            out.append("  No events stored yet.\n", style=muted)

        summary = message.summary
        out.append("\nWhere the account stands", style=bold)
        out.append(f"  (rates over {summary.rates_window})\n", style=muted)
        self._standing(out, "Bounce rate", summary.rates.bounce_rate, health.BOUNCE_REVIEW, health.BOUNCE_PAUSE, 2)
        self._standing(out, "Complaint rate", summary.rates.complaint_rate, health.COMPLAINT_REVIEW,
                       health.COMPLAINT_PAUSE, 3)
        return out

    def _standing(self, out: Text, label: str, rate: float | None, review: float, pause: float, digits: int) -> None:
        app = self.app
        level = health.level(rate, review, pause)
        colour = {"ok": "success", "warning": "warning", "error": "error"}[level]
        out.append(f"{label:<{LABEL_WIDTH}}", style=theme_style(app, "", True))
        out.append(f"{percent(rate, digits):>7}", style=theme_style(app, colour, bold=level != "ok"))
        if rate is None:
            out.append("  no sends in the window\n")
            return
        to_review, to_pause = review - rate, pause - rate
        if to_review > 0:
            out.append(f"  {percent(to_review, digits)} below review ({percent(review, 1)}),"
                       f" {percent(to_pause, digits)} below pause ({percent(pause, 1)})\n")
        elif to_pause > 0:
            out.append(f"  OVER review ({percent(review, 1)}); {percent(to_pause, digits)} below pause"
                       f" ({percent(pause, 1)})\n",
                       style=theme_style(app, "warning"))
        else:
            out.append(f"  OVER the pause threshold ({percent(pause, 1)}): AWS may pause sending\n",
                       style=theme_style(app, "error", True))
