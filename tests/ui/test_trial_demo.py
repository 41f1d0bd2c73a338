"""What a new-user trial of `sestui demo` found: the flow's counters under a filter, a filter's error
left on the outcome line, pause across a drill-down, multi-word filters, j/k in the dialogs, help's
words for pane 7, and the empty DLQ, a bad message id, a bad database."""

from __future__ import annotations

import re

import pytest
from textual import events
from console_data import NOW_MS, add_event, filter_flow, make_app, on_screen, plain_rows, press, rendered, run, settle

from sestui.core.events import EVENT_TYPES
from sestui.ui.panes.flow_lines import counters_line


class FakeApp:
    theme_variables: dict[str, str] = {"error": "#ff0000", "warning": "#ffff00", "success": "#00ff00"}


DEMO_COUNTS = {"send": 1204, "delivery": 1100, "bounce": 23, "complaint": 8, "delivery_delay": 6, "open": 310,
               "click": 95, "reject": 2}


# -- A: the counters line under a filter ----------------------------------------------------------

def test_under_a_filter_the_counters_keep_sends_and_give_up_opens_clicks_delays_first():
    line = counters_line(FakeApp(), DEMO_COUNTS, 0, "domain:example.org", None, 80).plain
    assert line.startswith("1h unfiltered snd 1204"), line
    for kept in ("bnc 23", "cmp 8", "rej 2"):
        assert kept in line, line
    assert "filter /domain:example.org" in line
    # what gives way is the least telling: opens, clicks, delays go before deliveries, never before sends
    assert "opn" not in line and "clk" not in line
    assert len(line) <= 78


@pytest.mark.parametrize("width", [60, 70, 80, 120])
def test_the_filter_label_is_never_glued_to_the_counters(width):
    for counts in (DEMO_COUNTS, {"send": 6, "delivery": 3, "bounce": 2, "complaint": 1, "reject": 4}):
        line = counters_line(FakeApp(), counts, 0, "type:complaint", None, width).plain
        assert "filter /type:complaint" in line, line
        before = line[:line.index("filter /")]
        assert before.endswith("  "), f"no gap before the filter: {line!r}"


@pytest.mark.parametrize("width", range(56, 101, 4))
def test_a_counter_without_room_goes_whole_never_a_cut_label(width):
    """A long filter at 80 columns drew "cmp 3  r…": rej's label cut, its count gone."""
    line = counters_line(FakeApp(), DEMO_COUNTS, 0, "ünïcødé 日本語 [bold]x[/] " + "a" * 20, None, width).plain
    counters = line[:line.index("filter /")].rstrip()
    assert re.fullmatch(r"1h unfiltered( \S+ \d+(  \S+ \d+)*)?( …)?", counters), counters
    assert "snd 1204" in counters or counters.endswith("…"), counters


def test_the_counters_line_at_60_columns_with_a_filter_on_screen(store):
    app = make_app(store)

    async def scenario(pilot):
        await filter_flow(pilot, "type:complaint")
        shown = on_screen(app, app.pane("flow").query_one("#flow-counters"))
        assert re.search(r"\S  filter /type:complaint", shown), shown
        assert "snd 6" in shown, shown

    run(app, scenario, size=(60, 20))


# -- F: rendering failures and subscriptions counted -------------------------------------------------

def test_the_counters_name_rendering_failures_and_subscriptions_and_drop_them_early():
    counts = {**DEMO_COUNTS, "rendering_failure": 3, "subscription": 1}
    wide = counters_line(FakeApp(), counts, 0, None, None, 160).plain
    assert "ren 3" in wide and "sub 1" in wide, wide
    narrow = counters_line(FakeApp(), {**counts, "rendering_failure": 0, "subscription": 0}, 0, None, None, 80).plain
    assert "ren 0" not in narrow and "opn 310" in narrow and "clk 95" in narrow, "a zero gives way before a count"


def test_help_names_every_column_of_pane_7_and_the_new_counters(store):
    app = make_app(store)

    async def scenario(pilot):
        numbers = dict(dict(app.help_sections())["What the numbers mean"])
        pane7 = " ".join(f"{k} {t}" for k, t in numbers.items() if k.startswith("7:"))
        for header, _, _ in app.pane("breakdown").columns_for(120)[1:]:
            assert re.search(rf"(^|\s){re.escape(header)}[\s,;:]", pane7), f"help does not explain pane 7's {header!r}"
        assert "Bnc%" not in pane7, "no column is called Bnc%"
        flow = " ".join(f"{k} {t}" for k, t in numbers.items() if k.startswith("1h"))
        for label in ("ren", "sub"):
            assert re.search(rf"\b{label} \w", flow), f"the counter {label} is not named"

    run(app, scenario)


# -- B: a filter's error leaves the outcome line once the filter is corrected or cleared --------------

@pytest.mark.parametrize("then", ["valid", "cleared"])
def test_a_filter_error_leaves_the_outcome_line_when_corrected_or_cleared(store, then):
    app = make_app(store)

    async def scenario(pilot):
        outcome = app.query_one("#outcome")
        await filter_flow(pilot, "type:bogus")
        assert "type:bogus is not an event type" in on_screen(app, outcome)
        if then == "valid":
            await filter_flow(pilot, "domain:example.org", clear=True)
            assert app.pane("flow").text == "domain:example.org"
        else:
            await press(pilot, "escape")
        assert "bogus" not in on_screen(app, outcome), on_screen(app, outcome)
        await press(pilot, "2")
        assert "bogus" not in on_screen(app, outcome), "nor on the timeline"

    run(app, scenario)


def test_an_outcome_that_is_not_the_filters_error_stays(store):
    app = make_app(store)

    async def scenario(pilot):
        await filter_flow(pilot, "type:bogus")
        app.say("Copied message id")
        await filter_flow(pilot, "bob", clear=True)
        assert "Copied message id" in on_screen(app, app.query_one("#outcome"))

    run(app, scenario)


# -- C: pause survives a drill-down ---------------------------------------------------------------------

@pytest.mark.parametrize("down", [0, 2])
def test_paused_the_flow_keeps_its_rows_and_cursor_across_a_drill_down(store, down):
    app = make_app(store)

    async def scenario(pilot):
        flow = app.pane("flow")
        await press(pilot, "space", *["j"] * down)
        before = (plain_rows(app, "flow"), flow.table.cursor_row, flow.table.selected_key())
        for n in range(5):
            add_event(store, 300 + n, "Delivery", f"new{n}@example.com")
        app.tick()
        await press(pilot, "enter")
        assert app.current == "timeline"
        app.tick()
        await press(pilot, "escape")
        assert app.current == "flow" and app.paused
        assert (plain_rows(app, "flow"), flow.table.cursor_row, flow.table.selected_key()) == before
        await press(pilot, "space")  # resumed: what arrived meanwhile shows (or is counted above the cursor)
        shown = " ".join(" ".join(row) for row in plain_rows(app, "flow")) + rendered(flow.query_one("#flow-counters"))
        assert "new4@example.com" in shown or "5 new above" in shown

    run(app, scenario)


def test_paused_the_header_still_shows_a_feed_that_goes_stale(store):
    app = make_app(store)

    async def scenario(pilot):
        header = app.query_one("#health")
        await press(pilot, "space")
        assert "PAUSED" in on_screen(app, header) and "ev/s" in on_screen(app, header)
        store.save_collector_state("test", {"queue_url": app.ctx.queue_url, "state": "running",
                                            "started": NOW_MS - 3_600_000, "heartbeat": NOW_MS - 900_000,
                                            "last_success": NOW_MS - 900_000, "events_per_s": 0.0, "backlog": 0,
                                            "received": 20, "stored": 20, "duplicates": 0, "quarantined": 0})
        app.tick()  # paused, the header is still read every tick
        await settle(pilot)
        shown = on_screen(app, header)
        assert "PAUSED" in shown and "STALE" in shown, shown

    run(app, scenario)


# -- D: a filter of several words and its syntax shown (the parser's words: test_filters.py) ----------

def test_the_flow_finds_a_subject_of_several_words_and_shows_the_syntax(store):
    app = make_app(store)

    async def scenario(pilot):
        flow = app.pane("flow")
        await pilot.press("slash")
        await settle(pilot)
        hint = on_screen(app, flow.query_one("#flow-filter-hint"))
        for term in ("type:", "domain:", "id:", "set:", "tag:"):
            assert term in hint, hint
        await pilot.press(*"Password reset", "enter")
        await settle(pilot)
        assert {row[2] for row in plain_rows(app, "flow")} == {"gus@example.com"}
        assert "type:" not in on_screen(app, flow), "the hint goes with the filter line"
        await press(pilot, "question_mark")
        flow_help = " ".join(t for k, t in dict(app.help_sections())["1 Flow"] if k == "/ terms")
        assert all(term in flow_help for term in ("type:", "domain:", "id:", "set:", "tag:"))

    run(app, scenario)


# -- E: j/k do what help says ---------------------------------------------------------------------------

def test_j_and_k_move_in_the_types_dialog(store):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "t")
        options = app.screen.query_one("OptionList")
        first = options.highlighted
        await press(pilot, "j", "j")
        assert options.highlighted == first + 2
        await press(pilot, "k")
        assert options.highlighted == first + 1
        await press(pilot, "space", "enter")  # the row j/k reached is the one toggled
        assert app.pane("flow").types == frozenset(EVENT_TYPES) - {EVENT_TYPES[first + 1]}

    run(app, scenario)


def test_a_burst_of_j_scrolls_help_one_line_per_press(store):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "question_mark")
        scroll = app.screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 30, "help is longer than the burst"
        await pilot.press(*["j"] * 3)
        await settle(pilot)
        assert scroll.scroll_y == 3
        # a burst from the terminal: the presses are handled before the screen refreshes again
        for key in ["j"] * 30 + ["k"] * 10:
            app.post_message(events.Key(key, key))
        await settle(pilot)
        assert scroll.scroll_y == 23

    run(app, scenario)


# -- G: an empty DLQ, an id that is not one --------------------------------------------------------------

def test_d_with_an_empty_dlq_says_so_and_asks_nothing(store):
    store.save_collector_state("test", {"queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/ses-events",
                                        "state": "running", "started": NOW_MS - 60_000, "heartbeat": NOW_MS - 1000,
                                        "last_success": NOW_MS - 1000, "events_per_s": 2.5, "backlog": 0,
                                        "dlq_backlog": 0, "received": 20, "stored": 20, "duplicates": 0,
                                        "quarantined": 0})
    app = make_app(store, aws=object())  # never called: nothing is asked, nothing is moved

    async def scenario(pilot):
        assert app.query_one("#health").dlq_backlog == 0
        await press(pilot, "D")
        assert type(app.screen).__name__ != "ConfirmScreen"
        text, _ = app.last_outcome
        assert "dead-letter queue is empty" in text and "Move" not in text

    run(app, scenario)


def test_opening_a_message_by_an_id_of_another_shape_says_it_is_not_an_ses_id(store):
    from console_data import message_id

    from sestui.ui.commands import open_message_by_id

    app = make_app(store)

    async def scenario(pilot):
        open_message_by_id(app)
        await settle(pilot)
        await pilot.press(*"nosuchid", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "PathScreen", "it stays open to correct the id"
        assert "nosuchid is not an SES message id" in rendered(app.screen.query_one("#error"))
        await pilot.press("ctrl+u", *message_id(2), "enter")
        await settle(pilot)
        assert app.current == "timeline" and app.pane("timeline").message_id == message_id(2)

    run(app, scenario)
