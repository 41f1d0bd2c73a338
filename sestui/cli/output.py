"""Terminal output through rich: the doctor/setup report lines and the ingest progress bar.

Off a terminal (or with NO_COLOR) the report is plain text, byte for byte what scripts and tests
parse: `WORD    name                detail` and an indented `fix:` line.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any

from sestui.core.safe_text import safe_line

if TYPE_CHECKING:  # rich itself when something is drawn: `sestui ingest` off a terminal draws nothing
    from rich.console import Console
    from rich.progress import Progress

STYLES = {"OK": "green", "exists": "green", "created": "green", "changed": "green", "WARN": "yellow",
          "keep": "yellow", "kept": "yellow", "create": "cyan", "change": "cyan", "FAIL": "bold red",
          "SKIP": "dim"}


def _console(file: IO[str]) -> Console:
    """Colour only on a terminal and without NO_COLOR; never wrapped, never highlighted."""
    from rich.console import Console

    terminal = file.isatty()
    colour = terminal and not os.environ.get("NO_COLOR")
    return Console(file=file, force_terminal=terminal, color_system="auto" if colour else None,
                   highlight=False, markup=False, emoji=False, soft_wrap=True)


class Report:
    """Aligned `WORD  name  detail` lines (and `fix:` lines)."""

    def __init__(self, file: IO[str] | None = None) -> None:
        self.console = _console(file or sys.stdout)

    def line(self, word: str, name: str, detail: str, fix: str = "") -> None:
        from rich.text import Text

        text = Text.assemble((word, STYLES.get(word, "")), " " * (7 - len(word)),
                             f" {safe_line(name):<18}  {safe_line(detail)}")
        self.console.print(text)
        if fix:
            self.console.print(Text(f"{'':<7} {'':<18}  fix: {safe_line(fix)}"))
        self.console.file.flush()

    def text(self, line: str) -> None:
        """A plain line (a heading or a summary) holding data."""
        from rich.text import Text

        self.console.print(Text(safe_line(line)))


class IngestProgress:
    """A transient progress bar on stderr while one big file is read; nothing otherwise."""

    MIN_BYTES = 8 << 20

    def __init__(self, name: str, f: Any, file: IO[str] | None = None) -> None:
        self.f = f
        out = file or sys.stderr
        size = 0
        try:
            if f.seekable():
                size = os.fstat(f.fileno()).st_size
        except (OSError, ValueError):
            pass
        self.progress: Progress | None = None
        if out.isatty() and size >= self.MIN_BYTES:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                     TextColumn("{task.fields[summary]}"), console=_console(out), transient=True)
            self.task = self.progress.add_task(safe_line(name)[-30:], total=size, summary="")
            self.progress.start()

    def update(self, total: Any) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=self.f.tell(), summary=total.summary())

    def done(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
