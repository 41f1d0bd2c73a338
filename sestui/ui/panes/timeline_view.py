"""What the timeline pane draws, capped to what fits: its header lines and its raw record in parts.

A message can be hostile or just big (a 1 MB subject, 10,000 recipients, a 1 MB record): the store
keeps it whole; these functions build only what the screen can show.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import orjson
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text

from sestui.core.values import exact_loads
from sestui.ui.text import full_time, literal, safe

STATUS_LABELS = {
    "sent": "sent", "subscription": "subscription", "delayed": "delayed", "delivered": "delivered",
    "opened": "opened", "clicked": "clicked", "auto_reply": "auto-reply", "soft_bounce": "bounced (soft)",
    "rendering_failed": "render failed",
    "rejected": "rejected", "hard_bounce": "BOUNCED (hard)", "complained": "COMPLAINED",
}
STATUS_ORDER = ("hard_bounce", "complained", "rejected", "rendering_failed", "soft_bounce", "delayed",
                "delivered", "opened", "clicked", "auto_reply", "subscription", "sent")
MANY_RECIPIENTS = 20  # above this, the To line starts with the recipients counted by status
RAW_PART = 6_000  # characters of the raw record drawn at once (some 150 lines: all of a usual record)


def clip(value: object, width: int) -> Text:
    """`value` as literal text of at most `width` characters, without making a huge value safe whole."""
    return literal(("" if value is None else str(value))[: width + 1], width=width)


def head_lines(message_id: str, msg: dict, suppressed: dict[str, str], width: int,
               bold: Style, colour_of: Callable[[str], Style]) -> list[Text]:
    """The envelope: message, sent/from/set, subject, tags, the recipients and their status. Each
    line is built to `width` cells at most, whatever the size of what was stored."""
    room = max(20, width)
    lines = [
        Text.assemble(("Message ", bold), clip(message_id, room - 8)),
        Text.assemble(("Sent ", bold), full_time(msg.get("mail_ts")), ("  from ", bold),
                      clip(msg.get("source") or "?", room // 2), ("  config set ", bold),
                      clip(msg.get("configuration_set") or "-", room // 3)),
        Text.assemble(("Subject ", bold), clip(msg.get("subject") or "(no subject header)", room - 8)),
    ]
    tags = {k: v for k, v in (msg.get("tags") or {}).items() if not k.startswith("ses:")}
    if tags:
        shown, parts = 0, []
        for k, v in sorted(tags.items()):
            part = f"{str(k)[:room]}={'|'.join(str(x)[:room] for x in v[:20])}"
            parts.append(part)
            shown += len(part) + 2
            if shown > room:
                break
        lines.append(Text.assemble(("Tags ", bold), clip(", ".join(parts), room - 5)))
    lines.append(to_line(msg, suppressed, room, bold, colour_of))
    return lines


def to_line(msg: dict, suppressed: dict[str, str], width: int, bold: Style,
            colour_of: Callable[[str], Style]) -> Text:
    """`To a@x delivered  b@y BOUNCED (hard) [suppressed: BOUNCE]`; for many recipients first how
    many are in each status. Stops adding recipients once the line is full."""
    line = Text.assemble(("To ", bold))
    recipients = msg.get("recipients") or []  # the first of them (store.message)
    total = msg.get("recipient_count", 0)
    if total > MANY_RECIPIENTS:
        counts = msg["statuses"]
        line.append(f"{total:,} recipients: ")
        ordered = sorted(counts, key=lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER))
        for i, status in enumerate(ordered):
            if i:
                line.append(", ")
            line.append(f"{counts[status]:,} {STATUS_LABELS.get(status, safe(status))}", style=colour_of(status))
        n_suppressed = len(suppressed)  # the recipients on the cache (store.recipients_suppressed)
        if n_suppressed:
            line.append(f" [{n_suppressed:,} suppressed]", style=colour_of("suppressed"))
        line.append(" · ")
    for i, rec in enumerate(recipients):
        if line.cell_len > width:
            break
        if i:
            line.append("  ")
        line.append_text(clip(rec["recipient"], width))
        line.append(" " + STATUS_LABELS.get(rec["status"], safe(rec["status"])), style=colour_of(rec["status"]))
        reason = suppressed.get(rec["recipient"].lower())
        if reason:
            line.append(f" [suppressed: {safe(reason)}]", style=colour_of("suppressed"))
    if not recipients:
        line.append_text(clip(", ".join(list(msg.get("destinations") or [])[:50]) or "?", width))
    return line


def event_first(record: object) -> object:
    """The event's own object (bounce, complaint, delivery...) before the mail and its headers."""
    if isinstance(record, dict) and "mail" in record:
        return {**{k: v for k, v in record.items() if k != "mail"}, "mail": record["mail"]}
    return record


def pretty_record(body: str) -> str:
    """The stored record as indented JSON, the event's object first (run in a worker: it reads all).
    Not yet safe to draw: record_part makes the part drawn inert."""
    # orjson's (exact_loads) is the stdlib's text, tiny floats' exponents aside (1e-7, not 1e-07),
    # five times sooner: a record can be 1 MB.
    try:
        return orjson.dumps(event_first(exact_loads(body)), option=orjson.OPT_INDENT_2).decode()
    except (ValueError, orjson.JSONEncodeError):
        pass
    try:
        return json.dumps(event_first(json.loads(body)), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def record_part(pretty: str, part: int) -> tuple[str, str | None]:
    """Part `part` (0-based, wrapping) of a pretty record made inert, and the note to show below it,
    if any. (json.dumps escapes C0 controls; safe() also makes bidi and other invisible characters
    visible.)"""
    parts = max(1, -(-len(pretty) // RAW_PART))
    part %= parts
    text = "\n".join(safe(line) for line in pretty[part * RAW_PART:(part + 1) * RAW_PART].split("\n"))
    if parts == 1:
        return text, None
    rest = len(pretty) - (part + 1) * RAW_PART
    if rest > 0:
        note = f"… {kb(rest)} more (part {part + 1} of {parts}; m shows the next part)"
    else:
        note = f"(part {part + 1} of {parts}, the last; m goes back to the first)"
    return text, note


class DrawnOnce:
    """A renderable drawn once per width and kept: a Syntax lexes its whole text again each time it
    is drawn, and the pane draws the raw record several times as it lays out (measuring its height,
    adding a scroll bar) and again for each event a key moves to."""

    def __init__(self, renderable: RenderableType):
        self.renderable = renderable
        self._lines: dict[tuple, list[list[Segment]]] = {}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # What the record looks like depends on the width alone (its height only crops it: the
        # caller does that), so Textual's measuring and drawing it share one rendering.
        key = (options.max_width, options.justify, options.overflow, options.no_wrap)
        lines = self._lines.get(key)
        if lines is None:
            if len(self._lines) > 4:
                self._lines.clear()
            lines = self._lines[key] = console.render_lines(self.renderable, options.update(height=None), pad=False)
        new_line = Segment.line()
        for line in lines:
            yield from line
            yield new_line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


def record_view(pretty: str, part: int, note_style: Style) -> DrawnOnce:
    """Part `part` of a pretty record as the pane draws it: highlighted JSON and what is left."""
    text, note = record_part(pretty, part)
    # The Syntax's highlighted text drawn as one Text: the same lines as the Syntax draws with
    # word_wrap, which wraps and renders each line apart, in twice the time.
    json_text = Syntax(text, "json", theme="ansi_dark", word_wrap=True, background_color="default").highlight(text)
    if not text.endswith("\n"):
        json_text.remove_suffix("\n")  # the lexer ends the text with one
    return DrawnOnce(json_text if note is None else Group(json_text, Text(note, style=note_style)))


def kb(chars: int) -> str:
    return f"{chars / 1024:,.0f} KB" if chars >= 1024 else f"{chars} characters"


def event_detail(event: dict) -> str:
    kind = event["event_type"]
    if kind == "bounce":
        parts = [event.get("bounce_type"), event.get("bounce_subtype"), event.get("diagnostic_code")]
    elif kind == "complaint":
        parts = [event.get("complaint_feedback_type"), event.get("user_agent")]
    elif kind == "delivery_delay":
        parts = [event.get("delay_type"), event.get("diagnostic_code")]
    elif kind == "click":
        parts = [event.get("link"), event.get("ip_address")]
    elif kind == "open":
        parts = [event.get("ip_address"), event.get("user_agent")]
    elif kind == "reject":
        parts = [event.get("reject_reason")]
    elif kind == "rendering_failure":
        parts = [event.get("error_message")]
    else:
        parts = []
    return " · ".join(str(p)[:2000] for p in parts if p)
