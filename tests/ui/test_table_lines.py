"""KeyTable draws its rows itself (widgets/table_lines.py): what it draws is what DataTable draws."""

from __future__ import annotations

from console_data import run
from rich.text import Text
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from sestui.ui.widgets.common import KeyTable, OrderedText, address_cell, detail_cell, fitted, message_id_cell, type_cell

COLUMNS = [("Time", "time", 8), ("Type", "type", 11), ("Recipient", "recipient", 14), ("Subject", "subject", 9),
           ("Detail", "detail", 12), ("Message id", "message", 10)]


class Reference(DataTable):
    """DataTable's own drawing, nothing overridden."""


class Tables(App):
    def compose(self) -> ComposeResult:
        yield KeyTable(id="fast")
        yield Reference(id="reference", cursor_type="row", zebra_stripes=False)


def cells(app: App, i: int) -> list[Text]:
    time_cell = OrderedText("11-26 18:02" if i % 6 == 5 else f"12:00:{i:02d}", end="")  # (too wide: cut)
    time_cell.order = i
    subject = ["", "short", "a subject far too long for its column", "日本語の件名です", "tab\there"][i % 5]
    spans = Text.assemble(("red ", "red"), ("and plain", ""))
    return [time_cell, type_cell(app, ["bounce", "delivery", "complaint", "open"][i % 4], "Permanent"),
            address_cell(f"someone.with.a.long.name{i}@example.com" if i % 2 else f"r{i}@x.io"),
            spans if i == 3 else fitted(subject, style="bold" if i % 3 == 0 else ""),
            detail_cell("arrived after 2.3s from arn:aws:ses:us-east-1:123456789012:identity/x", style="dim"),
            message_id_cell(f"0100018c4a{i:06d}e5f6-1234abcd-5678-000000")]


def lines(table: DataTable) -> list[list[tuple[str, object]]]:
    table._line_cache.clear()
    return [[(segment.text, segment.style) for segment in table.render_line(y)]
            for y in range(table.size.height)]


def test_keytable_rows_are_drawn_as_datatable_draws_them():
    app = Tables()

    async def scenario(pilot):
        fast, reference = app.query_one("#fast", KeyTable), app.query_one("#reference", Reference)
        for table in (fast, reference):
            for label, key, width in COLUMNS:
                table.add_column(label, key=key, width=width)
            for i in range(12):
                table.add_row(*cells(app, i), key=str(i))
            table.move_cursor(row=2)
        app.set_focus(None)
        await pilot.pause()
        assert fast.size == reference.size and fast.size.height > 12
        assert lines(fast) == lines(reference), "unfocused, the cursor on the third row"
        for table in (fast, reference):
            table._show_hover_cursor = True
            table.hover_coordinate = Coordinate(5, 1)
        assert lines(fast) == lines(reference), "hovered"
        focused = []
        for table in (fast, reference):
            table.focus()
            await pilot.pause()
            focused.append(lines(table))
        assert focused[0] == focused[1], "focused"
        assert focused[0] != lines(fast), "(the focused cursor is drawn otherwise: the test sees styles)"
    run(app, scenario, size=(80, 30))
