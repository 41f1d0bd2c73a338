"""Pane 8's cells: what one rule, guard or outbox item row shows, and how the outbox's room is shared."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from sestui.core.guards import RESUMED
from sestui.ui.messages import Row
from sestui.ui.text import clock_time, count, percent
from sestui.ui.widgets.common import address_cell, fitted, theme_style

STATE_COLOURS = {"pending": "", "running": "primary", "retrying": "warning", "dead": "error",
                 "armed": "success", "warned": "warning", "paused": "error", RESUMED: "warning"}
MODE_COLOURS = {"on": "success", "dry-run": "warning", "off": "text-muted"}


def cells(app: Any, kind: str, row: Row, width: int) -> list[Text]:
    """The row's cells for table `kind` (rules, guards, items) in a pane `width` columns wide."""
    now = app.ctx.now_ms()
    if kind == "rules":
        return [fitted(row["name"]), Text(row["mode"], style=theme_style(app, MODE_COLOURS.get(row["mode"], ""))),
                Text(count(row["hits_24h"]), justify="right"), fitted("; ".join(row["actions"]) or "nothing")]
    if kind == "guards":
        state = row["state"]
        label = state.upper() if state in ("paused", RESUMED) else state
        if state == RESUMED:  # a person overrode the pause while the rate was over it
            label += f" by hand {clock_time(row['since'], now)}"
            if width >= 100:  # narrower, the help says it
                label += " (over pause)"
        elif row["since"] and state != "armed":
            label += f" since {clock_time(row['since'], now)}"
        rate = "-" if row["rate"] is None else percent(row["rate"])
        if row.get("volume"):
            rate += f" of {count(row['volume'])}"
        scope = row["configuration_set"] or ("the account" if row["source"] == "aws" else "all mail")
        style = theme_style(app, STATE_COLOURS.get(state, ""), state in ("paused", RESUMED))
        return [fitted(row["name"]), Text(label, style=style), Text(rate),
                fitted(f"{row['source']} {row['metric']} of {scope}")]
    state = row["state"]
    if state == "retrying":
        note = f"next {clock_time(row['next_attempt_ms'], now)}" + (f": {row['last_error']}" if row["last_error"] else "")
    elif state == "pending":
        note = f"due {clock_time(row['next_attempt_ms'], now)}"
    else:
        note = row["last_error"] or ""
    return [Text(str(row["id"])), Text(state, style=theme_style(app, STATE_COLOURS.get(state, ""), state == "dead")),
            fitted(row["rule"]), fitted(row["action_kind"]), address_cell(row["recipient"] or "-"), fitted(note)]


def even_out(columns: list[tuple[str, str, int]], rows: list[list[Text]], i: int) -> list[tuple[str, str, int]]:
    """share_room leaves the last column only what the others do not want: when column `i` (a
    guard's long rule name) and the last (the recipients) are both cut, they share their room evenly."""
    def want(n: int) -> int:
        return max([len(columns[n][0])] + [cells[n].cell_len for cells in rows if len(cells) > n])

    widths = [width for _, _, width in columns]
    total, need_i, need_last = widths[i] + widths[-1], want(i), want(len(columns) - 1)
    if widths[-1] >= need_last:
        return columns
    widths[i] = min(need_i, max(total // 2, total - need_last))
    widths[-1] = total - widths[i]
    return [(label, key, width) for (label, key, _), width in zip(columns, widths, strict=True)]
