"""Turning outside strings into safe, literal, fitted text for the screen.

Subjects, addresses and SMTP diagnostics come from strangers. They are shown as data: never parsed as
markup (we build `rich.text.Text` / `Content` objects, never markup strings) and with control and
bidirectional-formatting characters made visible as escapes, so nothing can move the cursor, change
colours, rewrite the terminal title, or reorder the line.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from rich.text import Text

from sestui.core.fmt import duration

BIDI_AND_INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202b", "\u202c",
    "\u202d", "\u202e", "\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff",
}


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: object) -> str:
    """`value` as one line of inert text: control and bidi characters become visible escapes."""
    if value is None:
        return ""
    text = str(value)
    if text.isprintable() and not (BIDI_AND_INVISIBLE & set(text)):
        return text
    out = []
    for ch in text:
        if ch == "\t":
            out.append(" ")
        elif ch in BIDI_AND_INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            out.append(_escape_char(ch))
        else:
            out.append(ch)
    return "".join(out)


def ellipsize(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"


def ellipsize_middle(text: str, width: int) -> str:
    """Keep both ends (ids and ARNs differ at the end): `0100018c4a…e5f6-000000`."""
    if len(text) <= width:
        return text
    if width < 5:
        return ellipsize(text, width)
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + text[-tail:]


def ellipsize_address(address: str, width: int) -> str:
    """Cut an address so who it is survives (an operator knows a person by the local part; for the
    simulator it is the scenario: bounce@, complaint@): the local part whole and the domain cut from
    its left by whole labels, down to its last two (`complaint@…amazonses.com`,
    `ben.lindqvist98@…example.net`); a local part too long for that is cut in its middle beside those
    two labels (`jonatha…n.smith@…example.net`). A column too narrow for them keeps the local part
    beside the last label (`bounce+m1040@…com`), then beside "@…" alone. The one way the console
    cuts an address."""
    if len(address) <= width:
        return address
    local, at, domain = address.rpartition("@")
    if not at:
        return ellipsize_middle(address, width)
    labels = domain.split(".")
    room = width - len(local) - 2  # for the domain after "@…"
    for i in range(1, max(1, len(labels) - 1)):  # whole labels only: …amazonses.com, not …ulator.amazonses.com
        kept = ".".join(labels[i:])
        if len(kept) <= room:
            return f"{local}@…{kept}"
    base = ".".join(labels[-2:])
    for tail in (base if base == domain else "…" + base, "…" + labels[-1], "…"):
        if width - len(tail) - 1 >= 5:
            return f"{ellipsize_middle(local, width - len(tail) - 1)}@{tail}"
    return ellipsize_middle(address, width)


_SES_ID = re.compile(r"^[0-9a-f]{16}-(.+)-0{6}$")


def short_message_id(message_id: str, width: int) -> str:
    """SES ids share a time-based head and a `-000000` tail; show the part that differs."""
    match = _SES_ID.match(message_id)
    return ellipsize(match.group(1) if match else message_id, width)


def literal(value: object, style: str = "", width: int | None = None) -> Text:
    """A Rich Text holding `value` literally (no markup), optionally ellipsized."""
    text = safe(value)
    if width is not None:
        text = ellipsize(text, width)
    return Text(text, style=style, no_wrap=True, overflow="ellipsis", end="")


def clock_time(ms: int | None, now_ms: int) -> str:
    """`18:02:13` for today (UTC), `11-26 18:02` for other days."""
    if ms is None:
        return "-"
    when = datetime.fromtimestamp(ms / 1000, tz=UTC)
    today = datetime.fromtimestamp(now_ms / 1000, tz=UTC).date()
    return when.strftime("%H:%M:%S") if when.date() == today else when.strftime("%m-%d %H:%M")


def full_time(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def age(ms: int | None, now_ms: int) -> str:
    """`12s`, `4m`, `3h`, `2d`."""
    return "never" if ms is None else duration(now_ms - ms)


def percent(rate: float | None, digits: int = 2) -> str:
    return "n/a" if rate is None else f"{rate * 100:.{digits}f}%"


def count(n: float | None) -> str:
    if n is None:
        return "?"
    if n < 0:
        return "unlimited"
    n = int(n)
    if n >= 10_000_000:
        return f"{n / 1_000_000:.0f}M"
    if n >= 100_000:
        return f"{n / 1000:.0f}k"
    return f"{n:,}"
