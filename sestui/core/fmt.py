"""Formatting shared by the console and the command line (no Textual here)."""

from __future__ import annotations


def duration(ms: int) -> str:
    """A length of time, coarsely: `12s`, `4m`, `3h`, `2d`."""
    seconds = max(0, ms // 1000)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def one_line(text: str, limit: int | None = 240) -> str:
    """`text` on one line (every run of whitespace, newlines too, one space), cut to `limit` with `…`."""
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def first_line(exc: BaseException) -> str:
    """An error's first non-blank line (psycopg's DETAIL and HINT lines follow it), else its type."""
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
