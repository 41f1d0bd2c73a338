"""Reputation figures as the console shows them: the value coloured against AWS's review and pause
lines, and where it came from (`1.23% aws` is AWS's own CloudWatch figure, `1.2%~est` an estimate)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App

from sestui.core.reputation import (
    BOUNCE,
    CLOUDWATCH,
    COMPLAINT,
    CRITICAL,
    LOCAL,
    OK,
    SEND_STATISTICS,
    UNKNOWN,
    WARNING,
    Figure,
    Threshold,
    level,
)
from sestui.ops.reputation import Reputation
from sestui.store import Store
from sestui.ui.widgets.common import theme_style

LEVEL_COLOUR = {OK: "success", WARNING: "warning", CRITICAL: "error", UNKNOWN: "text-muted"}
SOURCE_LABEL = {CLOUDWATCH: "aws", SEND_STATISTICS: "est", LOCAL: "local"}
DIGITS = {"bounce": 2, "complaint": 3}


def saved_reputation(store: Store) -> Reputation | None:
    """The collector's latest reading, kept in the account snapshot (None before the first one)."""
    snapshot = store.account_snapshot(ok_only=True)
    status = (snapshot or {}).get("status") or {}
    return Reputation.from_json(status.get("reputation"))


def threshold_for(kind: str) -> Threshold:
    return BOUNCE if kind == "bounce" else COMPLAINT


def rate_style(app: App, value: float | None, kind: str, *, coloured: bool = True):
    state = level(value, threshold_for(kind))
    if not coloured:
        return theme_style(app, "text-muted")
    return theme_style(app, LEVEL_COLOUR[state], bold=state in (WARNING, CRITICAL))


def percent_of(value: float | None, kind: str, *, estimate: bool = False) -> str:
    """Bounce rates with 2 decimals, complaint rates with 3; an estimate one fewer (it is not that exact)."""
    if value is None:
        return "n/a"
    return f"{value * 100:.{DIGITS[kind] - estimate}f}%"


def short_figure(app: App, figure: Figure, kind: str) -> Text:
    """The header's form: `1.23% aws` or `1.2%~est` (send statistics and local events alike)."""
    style = rate_style(app, figure.value, kind)
    if figure.estimate:
        return Text.assemble((percent_of(figure.value, kind, estimate=True), style),
                             ("~est", theme_style(app, "text-muted")))
    return Text.assemble((percent_of(figure.value, kind), style), (" aws", theme_style(app, "text-muted")))


def figure_cell(app: App, figure: Figure, kind: str, *, coloured: bool = True) -> Text:
    """The panes' form: the value and its source named (`aws`, `est` for GetSendStatistics, `local`).
    `coloured=False`: an estimate over too few messages to judge, shown but not coloured."""
    style = rate_style(app, figure.value, kind, coloured=coloured)
    text = Text.assemble((percent_of(figure.value, kind, estimate=figure.estimate), style),
                         (f" {SOURCE_LABEL.get(figure.source, figure.source)}", theme_style(app, "text-muted")),
                         end="")
    text.no_wrap = True
    return text
