"""Formatting shared by the console and the command line (no Textual here)."""

from __future__ import annotations


def duration(ms: int) -> str:
    """A length of time, coarsely: `12s`, `4m`, `3h`, `2d`."""
    seconds = max(0, ms // 1000)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
