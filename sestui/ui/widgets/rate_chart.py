"""A rate over days as block characters, with AWS's review and pause lines drawn across it, a date
axis, per-day count rows aligned under it, and a day cursor. Rendering only: the caller gives the
points, the window and the sizes."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.color import Color, ColorParseError

from sestui.core.reputation import Threshold, level
from sestui.ui.widgets.common import theme_style
from sestui.ui.widgets.rates import LEVEL_COLOUR

BLOCKS = " ▁▂▃▄▅▆▇█"
DAY_MS = 86_400_000
CURSOR = Style(reverse=True)


@dataclass(frozen=True)
class Grid:
    """Where the chart's columns fall: `days` whole days from `start_ms`, `per_day` columns each,
    after a left margin of `label` columns (the axis, or the row's name)."""

    start_ms: int
    days: int
    per_day: int
    label: int

    @classmethod
    def fit(cls, start_ms: int, days: int, width: int) -> Grid:
        label = 11 if width >= 110 else 6
        return cls(start_ms, days, max(2, (width - label) // days), label)

    def column_end(self, column: int) -> int:
        return self.start_ms + (column + 1) * DAY_MS // self.per_day

    @property
    def columns(self) -> int:
        return self.days * self.per_day


def value_at(points: list[tuple[int, float]], when_ms: int) -> float | None:
    """The newest point at or before `when_ms` (AWS keeps a rate's last value while nothing changes it)."""
    i = bisect_right(points, when_ms, key=lambda p: p[0])
    return points[i - 1][1] if i else None


def percent_label(value: float) -> str:
    return f"{value * 100:g}%"


def render_chart(app: App, grid: Grid, points: list[tuple[int, float]], threshold: Threshold, height: int,
                 cursor: int | None = None) -> Text:
    """`height` rows of bars, one column per 1/per_day of a day; the review line dashed in the
    warning colour and the pause line solid in the error colour wherever a bar does not cover them."""
    values = [value_at(points, grid.column_end(c)) for c in range(grid.columns)]
    top = max([threshold.pause * 1.1] + [v * 1.05 for v in values if v is not None])
    levels = height * 8
    line_row = {round(threshold.review / top * levels) // 8: ("╌", "warning", threshold.review),
                round(threshold.pause / top * levels) // 8: ("─", "error", threshold.pause)}
    muted = theme_style(app, "text-muted")
    out = []
    for row in range(height - 1, -1, -1):  # top row first; row 0 is the bottom
        line = Text(no_wrap=True, end="")
        mark = line_row.get(row)
        axis = percent_label(mark[2]) if mark else ("0%" if row == 0 else "")
        line.append(f"{axis:>{grid.label - 1}}" + ("┤" if axis else "│"), style=muted)
        for c, value in enumerate(values):
            day = c // grid.per_day
            fill = 0 if value is None else max(0, min(8, round(value / top * levels) - row * 8))
            if value is not None and value > 0 and row == 0:
                fill = max(1, fill)  # a rate above zero is never drawn as nothing
            style = theme_style(app, LEVEL_COLOUR[level(value, threshold)]) if fill else Style.null()
            char = BLOCKS[fill]
            if not fill and mark:
                char, style = mark[0], theme_style(app, mark[1])
            if day == cursor:
                style = style + cursor_style(app)
            line.append(char, style=style)
        out.append(line)
    return Text("\n", end="").join(out)


def cursor_style(app: App) -> Style:
    """The cursor's day: the theme's muted primary behind whatever colour the cell has."""
    try:
        return Style(bgcolor=Color.parse(app.theme_variables["primary-muted"]).rich_color)
    except (KeyError, ColorParseError):
        return Style(underline=True)


def day_axis(app: App, grid: Grid, cursor: int | None) -> Text:
    """`11-14 11-15 ...` under each day's columns (every other day when they are narrow); the
    cursor's day reversed."""
    line = Text(" " * grid.label, no_wrap=True, end="")
    step = 1 if grid.per_day >= 6 else 2
    for day in range(grid.days):
        when = datetime.fromtimestamp((grid.start_ms + day * DAY_MS) / 1000, tz=UTC)
        label = when.strftime("%m-%d") if grid.per_day >= 6 else when.strftime("%d")
        # every other day when narrow (today's among them), and never beside the cursor's: they would touch
        shown = day == cursor or (step == 1 or (day % 2 == (grid.days - 1) % 2 and cursor not in (day - 1, day + 1)))
        cell = label[: grid.per_day].ljust(grid.per_day) if shown else " " * grid.per_day
        line.append(cell, style=CURSOR if day == cursor else theme_style(app, "text-muted"))
    return line


def compact(n: float) -> str:
    """A count in at most 4 characters: 999, 4.3k, 12k, 1.2M."""
    n = int(n)
    if n < 1000:
        return str(n)
    if n < 10_000:
        return f"{n / 1000:.1f}k"
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M" if n < 10_000_000 else f"{n // 1_000_000}M"


def day_row(app: App, grid: Grid, label: str, values: list[int | None], colour: str, cursor: int | None) -> Text:
    """One count per day, right-aligned under its day's columns; None (not known for that day) is "-".
    A count wider than its day's columns is "…", never cut to its last digits (104 is not 04): the
    cursor line says the cursor day's counts in full."""
    line = Text(f"{label:<{grid.label}}"[: grid.label], style=theme_style(app, "", True), no_wrap=True, end="")
    width = max(1, grid.per_day - 1)
    for day, n in enumerate(values):
        style = theme_style(app, colour if n else "text-muted")
        shown = "-" if n is None else compact(n)
        text = f"{shown if len(shown) <= width else '…':>{width}} "[-grid.per_day:]
        line.append(text, style=style + cursor_style(app) if day == cursor else style)
    return line
