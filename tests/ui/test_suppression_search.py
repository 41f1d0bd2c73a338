"""Pane 3: search the suppression list by reason and by date as the AWS console does, beside the
address substring; from a suppression (the list or the audit), that address's events and `y`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from console_data import (NOW, HOSTILE_RECIPIENT, make_app, plain_rows, press, rendered, run, screen_text, settle,
                          terminal_writes)

from sestui.store import to_ms
from sestui.ui.panes.suppression_filter import parse_suppression_filter

# The data (console_data.fill): bob BOUNCE 1h ago, cy COMPLAINT 2h ago, the hostile address BOUNCE 24h ago.
CASES = {
    "reason:complaint": ["cy@example.com"],
    "reason:BOUNCE": ["bob@example.net", HOSTILE_RECIPIENT],
    "since:3h": ["bob@example.net", "cy@example.com"],
    "before:90m": ["cy@example.com", HOSTILE_RECIPIENT],
    "since:3h reason:bounce": ["bob@example.net"],
    "since:2026-11-27T09:30:00Z before:2026-11-27T10:30:00Z": ["cy@example.com"],
    "example since:23h": ["bob@example.net", "cy@example.com"],
    "example.net": ["bob@example.net"],
}


async def apply_filter(pilot, line: str) -> None:
    await pilot.press("slash")
    pilot.app.pane("suppressions").query_one("#sup-filter").value = ""
    await pilot.press(*line, "enter")
    await settle(pilot)


@pytest.mark.parametrize("line", list(CASES))
def test_the_list_filters_by_reason_date_and_substring(store, line):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3")
        await apply_filter(pilot, line)
        assert [row[0] for row in plain_rows(app, "suppressions")] == CASES[line]
        status = rendered(app.pane("suppressions").query_one("#sup-status"))
        assert f"{len(CASES[line])} suppressed of 3, filter /{line}" in status
        await press(pilot, "escape")  # clears the filter: every row again
        assert len(plain_rows(app, "suppressions")) == 3

    run(app, scenario, size=(120, 40))


@pytest.mark.parametrize("line, fragment", [
    ("reason:hard", "reason:hard is not a suppression reason"),
    ("since:yesterday", "not a time: 'yesterday'"),
    ("since:1h before:2h", "nothing can match"),
    ("before:", "needs a value"),
])
def test_a_bad_term_is_one_line_on_the_status_and_the_list_stays(store, line, fragment):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3")
        await apply_filter(pilot, line)
        pane = app.pane("suppressions")
        assert fragment in rendered(pane.query_one("#sup-status"))
        assert len(plain_rows(app, "suppressions")) == 3 and pane.text is None
        assert app.focused is pane.query_one("#sup-filter") and app.focused.value == line  # to correct it

    run(app, scenario)


def test_the_filter_line_and_help_say_the_syntax(store):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3", "slash")
        shown = screen_text(app)
        assert "reason:bounce" in shown and "since:7d" in shown and "before:" in shown
        await press(pilot, "escape", "question_mark")
        assert "reason:bounce" in screen_text(app) or "reason:bounce" in str(app.help_sections())

    run(app, scenario)


def test_parse_ages_and_dates_in_utc():
    now = NOW
    query = parse_suppression_filter("since:7d before:2026-11-27 Rossi", now)
    assert query.error is None and query.text == "Rossi"
    assert query.since_ms == to_ms(now - timedelta(days=7))
    assert query.before_ms == to_ms(NOW.replace(hour=0))
    assert parse_suppression_filter("a b", now).error.startswith("one address substring")
    assert parse_suppression_filter("", now) == parse_suppression_filter(None, now)
    assert parse_suppression_filter("since:99999999999d", now).error  # too long ago: said, not raised


async def select_bob(pilot, view: str) -> None:
    """Pane 3 with bob@example.net under the cursor: in the list, or in the audit (`view`)."""
    await press(pilot, "3")
    if view == "audit":
        await press(pilot, "u")  # its one row: bob, added by ops@prod
    else:
        rows = [r[0] for r in plain_rows(pilot.app, "suppressions")]
        pilot.app.pane("suppressions").table.move_cursor(row=rows.index("bob@example.net"))
        await settle(pilot)


@pytest.mark.parametrize("view", ["list", "audit"])
def test_f_shows_the_selected_address_events_and_escape_comes_back(store, view):
    app = make_app(store)

    async def scenario(pilot):
        await select_bob(pilot, view)
        await press(pilot, "f")
        assert app.current == "flow"
        assert app.pane("flow").text == "bob@example.net"
        assert {row[2] for row in plain_rows(app, "flow")} == {"bob@example.net"}
        await press(pilot, "escape", "escape")  # the filter, then back
        assert app.current == "suppressions"

    run(app, scenario, size=(120, 40))


@pytest.mark.parametrize("view", ["list", "audit"])
def test_y_copies_the_address_on_screen_through_osc52(store, view):
    app = make_app(store)

    async def scenario(pilot):
        written = terminal_writes(app)
        await select_bob(pilot, view)
        await press(pilot, "y")
        assert app.clipboard == "bob@example.net"
        assert "\x1b]52;c;Ym9iQGV4YW1wbGUubmV0\a" in "".join(written)  # base64 of the address
        assert "Copied address: bob@example.net" in rendered(app.query_one("#outcome"))

    run(app, scenario, size=(120, 40))
