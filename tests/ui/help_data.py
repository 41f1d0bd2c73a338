"""Reading the help screen in tests: its text as drawn (a two-column table), and the scrollbars on
the composed screen."""

from __future__ import annotations

import io

from rich.console import Console

SCROLLBAR_METAS = {"grab", "scroll_up", "scroll_down"}  # what Textual's scrollbar segments carry


def help_text(app) -> str:
    """The help's whole text, laid out at the width the help is drawn at (all of it, not only
    what is scrolled into view)."""
    static = app.screen.query_one("#help-text")
    console = Console(width=static.size.width, file=io.StringIO(), color_system=None, highlight=False)
    with console.capture() as capture:
        console.print(static.content)
    return capture.get()


async def open_help(pilot) -> str:
    """Press ? and return the help's whole text."""
    await pilot.press("question_mark")
    await pilot.pause()
    return help_text(pilot.app)


def scrollbar_columns(app) -> list[int]:
    """Columns of the top screen drawn by a vertical scrollbar: one scrollbar of width 1 is one
    column. (What shows through a modal is drawn without the scrollbar's marks: a test that the
    panes do not show through help looks at the screen's text.)"""
    columns: set[int] = set()
    for strip in app.screen._compositor.render_strips():
        x = 0
        for segment in strip:
            meta = segment.style.meta if segment.style else {}
            if meta.get("@mouse.down") in SCROLLBAR_METAS:
                columns.update(range(x, x + segment.cell_length))
            x += segment.cell_length
    return sorted(columns)
