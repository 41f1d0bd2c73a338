"""The flow pane's layout and lines: its columns for a width, the counters line, the empty hint,
a row's detail."""

from __future__ import annotations

from rich.text import Text
from textual.app import App

from sestui.ui.text import literal
from sestui.ui.widgets.common import TYPE_WIDTH, theme_style

PROBLEM_TYPES = frozenset({"bounce", "complaint", "reject", "delivery_delay", "rendering_failure"})
COUNTER_LABELS = (("send", "snd"), ("delivery", "dlv"), ("bounce", "bnc"), ("complaint", "cmp"),
                  ("delivery_delay", "dly"), ("open", "opn"), ("click", "clk"), ("reject", "rej"),
                  ("rendering_failure", "ren"), ("subscription", "sub"))
# Counters given up when the line is full, the least telling first; a zero goes before any count.
# Sends (the rates' denominator), bounces, complaints and rejects stay.
DROP_FIRST = ("rendering_failure", "subscription", "click", "open", "delivery_delay", "delivery")
GAP = "  "


def columns_for(width: int) -> list[tuple[str, str, int]]:
    """80 columns: time, type, recipient, subject. From 120 the message id and room for
    "bounce undetermined", from 140 a detail. Recipient takes 60% of what is left: 31 at 80
    columns, room for the simulator's bounce@, success@ and ooto@ addresses whole (the subject,
    free text, is the one to cut)."""
    width = max(60, width)
    id_width = 16 if width >= 120 else 0
    type_width = len("bounce undetermined") if width >= 120 else TYPE_WIDTH
    detail = max(16, (width - 110) // 2) if width >= 140 else 0
    count = 4 + bool(id_width) + bool(detail)
    spare = width - 8 - type_width - id_width - detail - count * 2 - 1
    columns = [("Time UTC", "time", 8), ("Type", "type", type_width),
               ("Recipient", "recipient", spare * 60 // 100),
               ("Subject", "subject", spare - spare * 60 // 100)]
    if detail:
        columns.append(("Detail", "detail", detail))
    if id_width:
        columns.append(("Message id", "message", id_width))
    return columns


def counters_line(app: App, counts: dict[str, int], waiting: int, text: str | None,
                  types: frozenset[str] | None, width: int) -> Text:
    """The flags (new rows waiting, the filter, the types) keep their room; counters give way,
    the least telling first. The counters are the store's, of every event: under a filter the
    line says so ("1h unfiltered")."""
    flags = Text(end="")
    if waiting:
        flags.append(f"{waiting} new above (g) ", style=theme_style(app, "accent", bold=True))
    if text:
        flags.append("filter /", style="bold")
        flags.append_text(literal(text, width=24))
        flags.append(" ")
    if types is not None:
        shown = "problems" if types == PROBLEM_TYPES else ",".join(sorted(types))
        flags.append("types ", style="bold")
        flags.append_text(literal(shown, width=30))
    room = max(0, width - 2 - flags.cell_len - (len(GAP) if flags else 0))  # a gap before the flags, always
    drop_order = sorted(DROP_FIRST, key=lambda t: counts.get(t, 0) != 0)  # stable: zeros first, in order
    filtered = bool(text) or types is not None
    # then, with no room even for those that stay, whole counters from the end and a "…" (never "r…")
    kept_last = [event_type for event_type, _ in reversed(COUNTER_LABELS) if event_type not in DROP_FIRST]
    removal = drop_order + kept_last
    dropped: set[str] = set()
    while True:
        counters = Text("1h unfiltered " if filtered else "1h ", style="bold", end="")
        shown = [(event_type, label) for event_type, label in COUNTER_LABELS if event_type not in dropped]
        for i, (event_type, label) in enumerate(shown):
            n = counts.get(event_type, 0)
            colour = "error" if event_type in ("bounce", "complaint", "reject", "rendering_failure") and n else ""
            counters.append(f"{label} {n}", style=theme_style(app, colour))
            if i < len(shown) - 1:
                counters.append(GAP)
        if len(dropped) > len(drop_order):
            counters.append("…" if not shown else " …")
        if counters.cell_len <= room or len(dropped) == len(removal):
            break
        dropped.add(removal[len(dropped)])
    counters.truncate(room, overflow="ellipsis")
    if flags:
        counters.append(GAP)
    return Text.assemble(counters, flags, no_wrap=True, overflow="ellipsis")

def empty_hint(filtered: bool, queue_url: str | None) -> str:
    if filtered:
        return "No events match the filter. Press escape to clear it, or t to choose types."
    if queue_url:
        return ("Waiting for events from the queue.\n\n"
                "Send a test message from pane 5, or run `sestui doctor` if nothing arrives.")
    return ("No queue is configured, so no events arrive.\n\n"
            "Connect one with `sestui --queue-url URL` (or queue_url in the config file),\n"
            "or create the SES -> SNS -> SQS wiring with `sestui setup`.\n"
            "Try everything without AWS: `sestui demo`.")


def detail(row: dict) -> str:
    for key in ("diagnostic_code", "delay_type", "reject_reason", "error_message", "link",
                "complaint_feedback_type", "bounce_subtype"):
        if row.get(key):
            return row[key]
    return ""
