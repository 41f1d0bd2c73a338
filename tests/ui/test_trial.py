"""What a second new-user trial of the console found (issue 10): help, the types dialog, the
header while paused, the flow's counters and cursor, the pane bar and pane 3's status at 80
columns, and bounces told apart by a word."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from console_data import (NOW, add_event, envelope, filter_flow, make_app, message_id, on_screen, plain_rows, press,
                          record, rendered, run, screen_text, settle)
from help_data import help_text, scrollbar_columns

from sestui.core import health
from sestui.core.events import EVENT_TYPES, parse_body
from sestui.ops.policies import PolicyConfig
from sestui.ui.widgets.header import render_health

SIZES = [(80, 24), (120, 40)]


def many_events(store, n: int = 40) -> None:
    """Enough rows that the flow's table scrolls at 120x40 (its scrollbar would show beside help's)."""
    for i in range(n):
        add_event(store, 200 + i, "Delivery", f"extra{i}@example.com")


# -- 1: help ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_is_two_columns_with_every_description_in_its_own_column(store, size):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "question_mark")
        lines = help_text(app).split("\n")
        rows = [(keys, text) for _, section in app.help_sections() for keys, text in section]
        column = 2 + max(len(keys) for keys, _ in rows) + 2  # indent, the widest keys, the gap
        at = 0
        for keys, text in rows:  # in order: each row's line comes after the previous one's
            at = next(i for i in range(at, len(lines)) if lines[i].startswith(f"  {keys} "))
            line = lines[at]
            assert line[:column].rstrip() == f"  {keys}", f"{keys!r} runs into its description: {line!r}"
            assert line[column:].startswith(text.split()[0]), f"{keys!r}: description not in its column"
        assert max(len(line.rstrip()) for line in lines) <= app.screen.query_one("#help-text").size.width

    run(app, scenario, size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_shows_one_scrollbar_and_j_k_scroll_it(store, size):
    many_events(store)
    app = make_app(store)

    async def scenario(pilot):
        await settle(pilot)
        assert scrollbar_columns(app), "the flow's table scrolls: the test shows what help covers"
        await press(pilot, "question_mark")
        assert len(scrollbar_columns(app)) == 1, "help has one scrollbar, of width 1"
        shown = screen_text(app)
        assert "Time UTC" not in shown and "extra" not in shown, "the panes (their scrollbars) show through"
        scroll = app.screen.query_one("#help-scroll")
        await press(pilot, "j", "j", "j")
        assert scroll.scroll_y == 3
        await press(pilot, "k")
        assert scroll.scroll_y == 2
        assert "Keys and numbers" in screen_text(app), "the title stays while the list scrolls"

    run(app, scenario, size=size)


def test_help_lists_each_key_once_per_section(store):
    app = make_app(store)

    async def scenario(pilot):
        for title, rows in app.help_sections():
            keys = [k for k, _ in rows]
            assert len(keys) == len(set(keys)), f"{title}: a key listed twice: {keys}"
        forms = dict(dict(app.help_sections())["Forms"])
        assert "suppressform.cancel" in forms["esc"] and "path.cancel" in forms["esc"]

    run(app, scenario)


def test_help_explains_every_number_the_console_shows(store):
    app = make_app(store)

    async def scenario(pilot):
        numbers = " ".join(f"{k} {t}" for k, t in dict(app.help_sections())["What the numbers mean"])
        for shown in ("1h", "unfiltered", "new above", "rejects 24h", "rej 24h", "14d", "24h", "aws", "~est",
                      "quota", "R/s", "ev/s", "backlog", "STALE", "STOPPED", "NO FEED", "PAUSED",
                      "bounce hard", "bounce soft", "bounce undetermined", "review", "pause", "Of bnc"):
            assert shown in numbers, f"help does not explain {shown!r}"
        for label in ("snd", "dlv", "bnc", "cmp", "dly", "opn", "clk", "rej"):
            assert re.search(rf"\b{label} \w", numbers), f"the counter {label} is not named"

    run(app, scenario)


# -- 2: the types dialog ---------------------------------------------------------------------------

def dialog_rows(app) -> dict[str, str]:
    text = screen_text(app)
    return {t: next(line for line in text.split("\n") if re.search(rf"\] {t}\b", line)) for t in EVENT_TYPES}


def test_types_dialog_has_one_mark_per_row_and_a_none_key(store):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "t")
        for event_type, line in dialog_rows(app).items():
            assert line.count("[x]") + line.count("[ ]") == 1 and "X" not in line, f"{event_type}: {line!r}"
            assert "[x]" in line
        await press(pilot, "n")
        assert all("[ ]" in line for line in dialog_rows(app).values()), "n: none checked"
        await press(pilot, "enter")
        assert "at least one" in screen_text(app), "nothing to show: it says so and stays open"
        await press(pilot, "space")  # the first row: send
        assert "[x] send" in dialog_rows(app)["send"] and "[ ] reject" in dialog_rows(app)["reject"]
        await press(pilot, "enter")
        assert app.pane("flow").types == frozenset({"send"})
        assert {row[1] for row in plain_rows(app, "flow")} == {"send"}

    run(app, scenario)


# -- 3: the header while paused ---------------------------------------------------------------------

def test_the_header_says_paused_not_live_while_the_console_is_paused(store):
    app = make_app(store)

    async def scenario(pilot):
        header = app.query_one("#health")
        assert "LIVE" in on_screen(app, header)
        await press(pilot, "space")
        shown = on_screen(app, header)
        assert "PAUSED" in shown and "LIVE" not in shown
        assert re.search(r"rej(ects)? 24h 0 ", shown), "the rejects keep their room at 80 columns"
        await press(pilot, "space")
        assert "LIVE" in on_screen(app, header) and "PAUSED" not in on_screen(app, header)

    run(app, scenario)


class FakeApp:
    theme_variables: dict[str, str] = {"error": "#ff0000", "warning": "#ffff00", "success": "#00ff00"}


@pytest.mark.parametrize("feed, says", [
    (health.Feed("stale", error="receive failed", since_ms=0), "STALE"),
    (health.Feed("stopped", since_ms=0), "STOPPED"),
    (health.Feed("none"), "NO FEED"),
])
def test_paused_keeps_the_feed_states_that_are_not_live(feed, says):
    base = health.Summary(profile="prod", region="us-east-1", account=None, production=True, sending_enabled=True,
                          enforcement="HEALTHY", sent_24h=1, max_24h=2000, max_rate=14,
                          rates=health.Rates(1000, 2, 0, 0), rates_window="14d", rejects_24h=0, account_error=None,
                          account_ok_ms=0, feed=feed)
    line = render_health(FakeApp(), base, 60_000, 120, frozen=True).plain.split("\n")[1]
    assert "PAUSED" in line and says in line and "LIVE" not in line


@pytest.mark.parametrize("dlq, shown", [(0, None), (826, "DLQ 826")])
def test_at_80_columns_the_rejects_count_is_never_cut_for_the_dlq(dlq, shown):
    base = health.Summary(profile="demo", region="us-east-1", account=None, production=True, sending_enabled=True,
                          enforcement="HEALTHY", sent_24h=6480, max_24h=518_000, max_rate=14,
                          rates=health.Rates(1000, 24, 1, 0), rates_window="14d", rejects_24h=27, account_error=None,
                          account_ok_ms=0, feed=health.Feed("live", 7.1, 0))
    line = render_health(FakeApp(), base, 60_000, 80, dlq=dlq).plain.split("\n")[1]
    assert re.search(r"rej(ects)? 24h 27 ", line), line  # the whole count, not "rej 2…"
    assert "LIVE 7.1 ev/s" in line
    if shown:
        assert shown in line  # a DLQ that holds messages is news: it keeps its place
    else:
        assert "dlq" not in line.lower()  # an empty one is the first thing to go


def test_at_80_columns_a_paused_set_keeps_the_accounts_name_in_front():
    base = health.Summary(profile="demo", region="us-east-1", account="123456789012", production=True,
                          sending_enabled=True, enforcement="HEALTHY", sent_24h=6585, max_24h=518_000, max_rate=14,
                          rates=health.Rates(1000, 24, 1, 0), rates_window="14d", rejects_24h=2, account_error=None,
                          account_ok_ms=0, feed=health.Feed("live", 7.1, 0))
    line = render_health(FakeApp(), base, 60_000, 80, paused=("marketing",)).plain.split("\n")[0]
    assert line.startswith("demo us-east-1 │ PRODUCTION sending │ quota 6,585/518k"), line
    assert line.endswith("SET marketing PAUSED"), line
    probation = render_health(FakeApp(), replace(base, enforcement="PROBATION"), 60_000, 80,
                              paused=("marketing",)).plain.split("\n")[0]
    assert "PROBATION" in probation and "SET marketing PAUSED" in probation  # news is never dropped


# -- 4: the flow's counters and cursor --------------------------------------------------------------

def test_the_flow_counters_say_they_are_unfiltered_under_a_filter(store):
    app = make_app(store)

    async def scenario(pilot):
        counters = app.pane("flow").query_one("#flow-counters")
        assert "unfiltered" not in rendered(counters)
        await filter_flow(pilot, "bob")
        assert {row[2] for row in plain_rows(app, "flow")} == {"bob@example.net"}
        shown = on_screen(app, counters)
        # bob has one bounce; the counter shows the store's two: the label must say so
        assert "1h unfiltered" in shown and "bnc 2" in shown and "filter /bob" in shown

    run(app, scenario)


def test_the_cursor_stays_on_its_event_after_coming_back_to_the_top(store):
    app = make_app(store)

    async def scenario(pilot):
        flow = app.pane("flow")
        await press(pilot, "j", "k")
        assert flow.table.cursor_row == 0
        chosen = flow.table.selected_key()
        add_event(store, 60, "Delivery", "arrived@example.com")
        app.tick()
        await settle(pilot)
        assert flow.table.selected_key() == chosen, "the row under the cursor is the one the operator chose"
        assert "1 new above (g)" in rendered(flow.query_one("#flow-counters"))
        await press(pilot, "g")
        assert plain_rows(app, "flow")[0][2] == "arrived@example.com" and flow.table.cursor_row == 0
        add_event(store, 61, "Delivery", "later@example.com")
        app.tick()
        await settle(pilot)
        assert plain_rows(app, "flow")[flow.table.cursor_row][2] == "later@example.com", "after g: follows the newest"

    run(app, scenario)


# -- 5: the pane bar at 80 columns ------------------------------------------------------------------

PANE_NAMES = {80: ("1 Flow", "2 Time", "3 Supp", "4 Rep", "5 Send", "6 Doc", "7 Break", "8 Act"),
              120: ("1 Flow", "2 Timeline", "3 Suppressions", "4 Reputation", "5 Send", "6 Doctor", "7 Breakdown",
                    "8 Actions")}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_pane_bar_names_every_pane_shortly_at_80_and_fully_at_120(store, size):
    app = make_app(store)

    async def scenario(pilot):
        bar = on_screen(app, app.query_one("#pane-bar"))
        for name in PANE_NAMES[size[0]]:
            assert name in bar, f"{name!r} not in {bar!r}"
        await press(pilot, "space")
        assert "PAUSED" in on_screen(app, app.query_one("#pane-bar"))

    run(app, scenario, size=size)


def test_the_pane_bar_and_header_are_drawn_again_on_a_live_resize(store):
    app = make_app(store)  # its tick is an hour: only the resize itself can redraw them

    async def scenario(pilot):
        for width, height in ((120, 40), (80, 24), (120, 40)):
            await pilot.resize_terminal(width, height)
            await settle(pilot)
            bar = on_screen(app, app.query_one("#pane-bar"))
            for name in PANE_NAMES[width]:
                assert name in bar, f"at {width}: {name!r} not in {bar!r}"
            assert ("(14d)" in on_screen(app, app.query_one("#health"))) == (width >= 120)

    run(app, scenario)


# -- 6: pane 3's status line at 80 columns -----------------------------------------------------------

def test_the_suppression_status_keeps_the_policy_state_whole_at_80_columns(store):
    app = make_app(store, policies=PolicyConfig(complaint="on", hard_bounce="dry-run"))

    async def scenario(pilot):
        await press(pilot, "3")
        status = on_screen(app, app.pane("suppressions").query_one("#sup-status"))
        assert "3 suppressed" in status and "policies: complaint on, hard_bounce dry-run (p)" in status
        assert "…" not in status
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert "R reloads from SES" in on_screen(app, app.pane("suppressions").query_one("#sup-status"))
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        status = on_screen(app, app.pane("suppressions").query_one("#sup-status"))
        assert "hard_bounce dry-run (p)" in status and "…" not in status, "fitted again on a live resize"

    run(app, scenario)


# -- 7: hard and soft bounces told apart by a word -----------------------------------------------------

def add_bounce(store, n: int, bounce_type: str) -> None:
    body = envelope(record("Bounce", n, f"b{n}@example.com", NOW, NOW, "Later", bounce_type=bounce_type))
    store.add([(body, parse_body(body))])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_bounces_say_hard_soft_or_undetermined_in_the_flow_and_the_timeline(store, size):
    add_bounce(store, 70, "Undetermined")
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "exclamation_mark")
        table = on_screen(app, app.pane("flow").table)
        assert "bounce hard" in table and "bounce soft" in table
        assert ("bounce undetermined" if size[0] >= 120 else "bounce und…") in table
        assert "BOUNCE" not in table
        for n, word in ((2, "bounce hard"), (6, "bounce soft"), (70, "bounce und")):
            await press(pilot, "escape")
            app.pane("timeline").show(message_id(n))
            app.action_pane("timeline")
            await settle(pilot)
            assert word in on_screen(app, app.pane("timeline").table)

    run(app, scenario, size=size)
