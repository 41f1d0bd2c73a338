"""KeyTable's rows drawn without DataTable's per-cell machinery (Textual 8, private methods).

DataTable draws each cell as console.render_lines(Styled(Padding(cell))): three renderables deep,
and a row is its cells one by one. While the flow follows the newest events every visible row is
new each tick, so that is most of a repaint. A one-line body row of one-line text cells is built
here directly, with the same styles (tests/ui/test_table_lines.py compares the two);
anything else (the header, labels, fixed rows or columns, a cell cursor, other renderables) is left
to DataTable.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:
    from textual.coordinate import Coordinate

_NULL = Style.null()
# (`table` below is a KeyTable: typed Any, as what is read of it is DataTable's private state.)


def fitted(cell: Text) -> bool:
    return type(cell).fit is not Text.fit  # FittedText: it shortens itself in its own way


def plain_line(cell: object, inner: int) -> bool:
    """A cell drawn here: one line of text without spans that fits `inner` cells, shortens itself
    to fit (FittedText), or is cut at the edge (a Text's default overflow)."""
    return (isinstance(cell, Text) and not cell.spans and (cell.justify or "default") == "default"
            and (cell.cell_len <= inner or fitted(cell) or cell.overflow in (None, "fold", "crop"))
            and "\n" not in cell.plain and "\t" not in cell.plain)


def cell_segments(cell: Any, inner: int, pad: int, pre: Style, post: Style, style: Style) -> list[Segment]:
    """What Styled(Padding(cell, (0, pad)), pre, post) renders on one line `inner` cells wide."""
    text = cell.plain if cell.cell_len <= inner or not fitted(cell) else cell.fit(inner)
    text = set_cell_size(text, inner) if cell_len(text) > inner else text
    fill = inner - cell_len(text)
    space = pre + _NULL + post
    segments = [Segment(" " * pad, space)] if pad else []
    if text:
        segments.append(Segment(text, pre + style + post))
    if fill + pad:
        segments.append(Segment(" " * (fill + pad), space))
    return segments


def row_segments(table: Any, row_key: Any, line_no: int, base_style: Style, cursor_location: Coordinate,
                 hover_location: Coordinate) -> tuple[list, list] | None:
    """DataTable._render_line_in_row's result for a plain body row, or None to leave it to DataTable."""
    row = table.rows.get(row_key)
    if (row is None or line_no or row.height != 1 or row.auto_height or table.cursor_type != "row"
            or table.fixed_columns or (table._labelled_row_exists and table.show_row_labels)):
        return None
    row_index = table._row_locations.get(row_key)
    if row_index is None or row_index < table.fixed_rows:
        return None
    cache_key = (row_key, line_no, base_style, cursor_location, hover_location, table.cursor_type,
                 table.show_cursor, table._show_hover_cursor, table._update_count, table._pseudo_class_state)
    cached = table._row_render_cache.get(cache_key)
    if cached is not None:
        return cached
    cursor, hover = row_index == cursor_location.row, row_index == hover_location.row
    show_cursor, show_hover = table.show_cursor, table._show_hover_cursor
    row_style = table._get_row_style(row_index, base_style)
    component, post = table._get_styles_to_render_cell(
        False, False, False, hover, cursor, show_cursor, show_hover,
        table.cursor_foreground_priority == "css", table.cursor_background_priority == "css")
    console = table.app.console
    pad = table.cell_padding
    cells = table._data.get(row_key, {})
    scrollable: list[list[Segment]] = []
    table_width = table._row_label_column_width
    for column_index, column in enumerate(table.ordered_columns):
        width = column.get_render_width(table)
        table_width += width
        cell = cells.get(column.key)
        inner = width - 2 * pad
        if inner < 1 or not (cell is None or plain_line(cell, inner)):
            scrollable.append(table._render_cell(row_index, column_index, row_style, width, cursor, hover)[0])
            continue
        pre = row_style + Style.from_meta({"row": row_index, "column": column_index}) + component
        if cell is None or not cell.plain:
            scrollable.append([Segment(" " * width, pre + _NULL + post)])
            continue
        scrollable.append(cell_segments(cell, inner, pad, pre, post, console.get_style(cell.style)))
    extend, _ = table._get_styles_to_render_cell(False, False, False, hover, cursor, show_cursor, show_hover,
                                                 False, False)
    extend_style = row_style + extend + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
    scrollable.append([Segment(" " * max(0, table.size.width - table_width), extend_style)])
    rendered: tuple[list, list] = ([], scrollable)
    table._row_render_cache[cache_key] = rendered
    return rendered


def one_cell(table: Any, row_index: int, column_index: int, base_style: Style, width: int,
             cursor: bool, hover: bool) -> list[list[Segment]] | None:
    """DataTable._render_cell's result for a one-line text cell of a body row, or None."""
    if min(row_index, column_index) < 0 or row_index < table.fixed_rows or column_index < table.fixed_columns:
        return None
    row_key = table._row_locations.get_key(row_index)
    key = (row_key, table._column_locations.get_key(column_index), base_style, cursor, hover,
           table._show_hover_cursor, table._update_count, table._pseudo_class_state)
    cache = table._cell_render_cache
    if key in cache:
        return cache[key]
    row = table.rows.get(row_key)
    pad = table.cell_padding
    inner = width - 2 * pad
    cell = table._get_row_renderables(row_index).cells[column_index]
    if row is None or row.height != 1 or row.auto_height or inner < 1 or not isinstance(cell, Text):
        return None
    component, post = table._get_styles_to_render_cell(
        False, False, False, hover, cursor, table.show_cursor, table._show_hover_cursor,
        table.cursor_foreground_priority == "css", table.cursor_background_priority == "css")
    pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component
    console = table.app.console
    null = console.get_style("none")  # Padding's style
    options = table.app.console_options.update_dimensions(inner, 1).update(no_wrap=True)
    lines = list(islice(Segment.split_and_crop_lines(console.render(cell, options), inner, style=null,
                                                     pad=True, include_new_lines=False), 1))
    line = lines[0] if lines else [Segment(" " * inner, null)]
    if pad:
        line = [Segment(" " * pad, null), *line, Segment(" " * pad, null)]
    cache[key] = rendered = [list(Segment.apply_style(line, style=pre, post_style=post))]
    return rendered
