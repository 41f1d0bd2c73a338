"""The one-line bars of the main screen: the pane bar (panes, then flags in reserved room) and the
outcome line (why the console is STALE, or the last action's outcome)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App

from sestui.ui.text import age, ellipsize
from sestui.ui.widgets.common import theme_style

# What the pane bar says where the full names do not fit (80 columns).
SHORT_NAMES = {"Timeline": "Time", "Suppressions": "Supp", "Reputation": "Rep", "Doctor": "Doc",
               "Breakdown": "Break", "Actions": "Act"}


def pane_bar(app: App, panes: tuple[tuple[str, str], ...], current: str, flags: list[tuple[str, str]],
             width: int) -> Text:
    """`1 Flow  2 Timeline ... READ-ONLY`. The flags are never cut: pane names shrink first (to
    short names, the others' then the current one's; then the others' to their number, then the
    current one's too)."""
    flag_text = Text(no_wrap=True, end="")
    for label, colour in flags:
        flag_text.append(f" {label}", style=theme_style(app, colour, bold=True))
    room = max(0, width - flag_text.cell_len)
    muted = theme_style(app, "text-muted")

    def name(label: str, size: str) -> str:
        return {"full": label, "short": SHORT_NAMES.get(label, label), "number": ""}[size]

    for others, mine in (("full", "full"), ("short", "full"), ("short", "short"), ("number", "full"),
                         ("number", "short"), ("number", "number")):
        bar = Text(no_wrap=True, overflow="ellipsis", end="")
        for i, (pane, label) in enumerate(panes, start=1):
            shown = name(label, mine if pane == current else others)
            text = f" {i} {shown} " if shown else (f" {i}" if pane == current else f" {i} ")
            bar.append(text, style=Style(reverse=True, bold=True) if pane == current else muted)
        if bar.cell_len <= room:
            break
    bar.truncate(room)
    bar.append(" " * (room - bar.cell_len))
    return Text.assemble(bar, flag_text, no_wrap=True, end="")


def outcome_line(app: App, stale: list[str], since_ms: int | None, last: tuple[str, bool] | None,
                 now_ms: int) -> Text:
    if stale:
        when = f" {age(since_ms, now_ms)}" if since_ms is not None else ""
        return Text(f"STALE{when}: " + " · ".join(stale), no_wrap=True, overflow="ellipsis", end="")
    if last is None:
        return Text("")
    text, ok = last
    return Text(ellipsize(text, 400), style=theme_style(app, "" if ok else "warning"), no_wrap=True,
                overflow="ellipsis", end="")
