"""Console behaviour through Textual's Pilot, on fixed data and a fixed clock (no AWS needed here)."""

from __future__ import annotations

from help_data import open_help
from console_data import (HOSTILE_RECIPIENT, HOSTILE_SUBJECT, NOW, add_event, envelope, filter_flow, make_app,
                          message_id, open_pane, plain_rows, press, record, run, settle)

from sestui.core.events import parse_body
from sestui.store import Store


def flow_rows(app) -> list[list[str]]:
    return plain_rows(app, "flow")


def test_flow_lists_newest_arrivals_first_with_hourly_counters(store):
    app = make_app(store)

    async def scenario(pilot):
        rows = flow_rows(app)
        assert len(rows) == store.count("events")
        assert rows[0][2] == "gus@example.com"  # the last message stored arrives on top
        counters = str(app.pane("flow").query_one("#flow-counters").render())
        assert "bnc 2" in counters and "cmp 1" in counters

    run(app, scenario)


def test_filter_narrows_to_matching_recipient_and_escape_clears_it(store):
    app = make_app(store)

    async def scenario(pilot):
        total = len(flow_rows(app))
        await filter_flow(pilot, "BOB@")
        rows = flow_rows(app)
        assert rows and all(r[2] == "bob@example.net" for r in rows)
        await press(pilot, "escape")
        assert len(flow_rows(app)) == total

    run(app, scenario)


def test_a_filter_that_matches_nothing_can_be_cleared_and_filtering_still_works(store):
    app = make_app(store)

    async def scenario(pilot):
        flow = app.pane("flow")
        await filter_flow(pilot, "no-such-thing")
        assert flow.table.row_count == 0 and flow.has_class("empty")
        await press(pilot, "escape")
        assert flow.table.row_count > 0
        await pilot.press("slash")
        assert flow.has_class("filtering"), "the filter line opens again"

    run(app, scenario)


def test_problems_only_toggle_shows_bounces_complaints_rejects_delays(store):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "exclamation_mark")
        types = {r[1] for r in flow_rows(app)}
        assert types == {"bounce hard", "bounce soft", "complaint", "reject", "delay"}

    run(app, scenario)


def test_enter_opens_the_timeline_and_escape_returns_with_cursor_kept(store):
    app = make_app(store)

    async def scenario(pilot):
        await pilot.press("j", "j")
        flow = app.pane("flow")
        selected = flow.table.selected_key()
        expected_message = flow.message_ids[selected]
        await press(pilot, "enter")
        assert app.current == "timeline"
        timeline = app.pane("timeline")
        assert timeline.message_id == expected_message
        assert len(timeline.rows) == len(store.timeline(expected_message))
        await pilot.press("escape")
        assert app.current == "flow"
        assert flow.table.selected_key() == selected

    run(app, scenario)


def test_new_rows_wait_above_a_cursor_that_left_the_top_until_g(store):
    app = make_app(store)

    async def scenario(pilot):
        await pilot.press("j", "j", "j")
        flow = app.pane("flow")
        selected, before = flow.table.selected_key(), flow_rows(app)
        add_event(store, 50, "Delivery", "new@example.com")
        app.tick()
        await settle(pilot)
        assert flow_rows(app) == before, "nothing moves under the cursor"
        assert flow.table.selected_key() == selected and flow.table.cursor_row == 3
        assert "1 new above" in str(flow.query_one("#flow-counters").render())
        await press(pilot, "g")
        assert flow_rows(app)[0][2] == "new@example.com"
        assert flow.table.cursor_row == 0
        assert "new above" not in str(flow.query_one("#flow-counters").render())

    run(app, scenario)


def test_following_cursor_stays_on_the_newest_row(store):
    app = make_app(store)

    async def scenario(pilot):
        add_event(store, 51, "Delivery", "newest@example.com")
        app.tick()
        await settle(pilot)
        flow = app.pane("flow")
        assert flow.table.cursor_row == 0
        assert flow_rows(app)[0][2] == "newest@example.com"

    run(app, scenario)


def test_space_pauses_live_updates_until_pressed_again(store):
    app = make_app(store)

    async def scenario(pilot):
        before = len(flow_rows(app))
        await pilot.press("space")
        add_event(store, 52, "Delivery", "paused@example.com")
        app.tick()
        await settle(pilot)
        assert len(flow_rows(app)) == before
        assert "PAUSED" in str(app.query_one("#pane-bar").render())
        await press(pilot, "space")
        assert flow_rows(app)[0][2] == "paused@example.com"

    run(app, scenario)


def test_paging_back_reads_older_events_from_the_store(tmp_path):
    store = Store(tmp_path / "many.db")
    for batch in range(3):
        items = []
        for i in range(150):
            n = 1000 + batch * 150 + i
            body = envelope(record("Delivery", n, f"r{n}@example.com", NOW, NOW, "bulk"))
            items.append((body, parse_body(body)))
        store.add(items)
    app = make_app(store)

    async def scenario(pilot):
        flow = app.pane("flow")
        assert flow.table.row_count == 200  # the first page only
        await press(pilot, "G")
        assert flow.table.row_count == 400
        await press(pilot, "G")
        assert flow.table.row_count == 450 and flow.exhausted

    run(app, scenario)
    store.close()


def test_outside_strings_are_shown_literally_never_as_markup_or_escape_codes(store):
    app = make_app(store)

    async def scenario(pilot):
        rows = flow_rows(app)
        hostile = [r for r in rows if "[link=http://x]" in r[2]]
        assert hostile, "the hostile recipient is listed with its brackets intact"
        assert hostile[0][3].startswith("[bold]Sale[/]")
        assert "\\x1b" in hostile[0][3] and "\x1b" not in hostile[0][3]
        screen = app.export_screenshot()
        assert "\x1b" not in screen and "\u202e" not in screen and "\x07" not in screen
        assert "[bold]Sale[/]" in screen.replace("&#160;", " ")

    run(app, scenario, size=(160, 30))


def test_timeline_header_and_raw_record_keep_hostile_text_literal(store):
    app = make_app(store)

    async def scenario(pilot):
        app.post_message(__import__("sestui.ui.messages", fromlist=["OpenTimeline"]).OpenTimeline(message_id(6)))
        await settle(pilot)
        timeline = app.pane("timeline")
        head = timeline.query_one("#tl-head").render()
        text = str(head)
        assert "[bold]Sale[/]" in text and "\\x1b[31m" in text and "\\u202e" in text
        await settle(pilot)
        screen = app.export_screenshot()
        assert "\x1b" not in screen and "\u202e" not in screen
        assert "soft" in text.lower()  # the transient bounce is reported as soft

    run(app, scenario, size=(120, 40))


def test_read_only_hides_every_action_that_changes_aws(store):
    app = make_app(store, read_only=True)

    async def scenario(pilot):
        await press(pilot, "3")
        assert app.current == "suppressions"
        await pilot.press("a")
        await pilot.pause()
        assert len(app.screen_stack) == 1, "no add form in read-only mode"
        footer_keys = {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}
        assert "add" not in footer_keys and "remove" not in footer_keys
        assert "READ-ONLY" in str(app.query_one("#pane-bar").render())
        assert not any("Send a test message" in cmd.title for cmd in app.get_system_commands(app.screen))

    run(app, scenario)


def test_send_form_refuses_invalid_input_before_any_confirmation(store):
    app = make_app(store)

    async def scenario(pilot):
        send = await open_pane(pilot, "send")
        await pilot.press(*"not-an-address")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert len(app.screen_stack) == 1, "nothing is confirmed while the form is invalid"
        problems = str(send.query_one("#send-problems").render())
        assert "From: choose a verified identity" in problems
        assert "not an email address" in problems

    run(app, scenario)


def test_q_goes_back_then_quits_at_the_root(store):
    app = make_app(store)

    async def scenario(pilot):
        await pilot.press("4")
        assert app.current == "reputation"
        await pilot.press("q")
        assert app.current == "flow"
        await pilot.press("q")
        await pilot.pause()
        assert app._exit_renderables is not None or not app.is_running

    run(app, scenario)


def test_help_lists_bindings_with_their_ids(store):
    app = make_app(store)

    async def scenario(pilot):
        text = await open_help(pilot)
        for binding_id in ("flow.filter", "app.pause", "timeline.suppress", "suppressions.remove", "send.send"):
            assert binding_id in text

    run(app, scenario)


def test_user_keymap_rebinds_a_key_by_id(store):
    app = make_app(store, keymap={"flow.filter": "f"})

    async def scenario(pilot):
        await pilot.press("f")
        await pilot.pause()
        assert app.pane("flow").has_class("filtering")

    run(app, scenario)


def test_hostile_subject_fixture_really_is_hostile():
    # Guard the guard: the strings above must contain what the literal-rendering tests look for.
    assert "\x1b" in HOSTILE_SUBJECT and "[bold]" in HOSTILE_SUBJECT and "[link=" in HOSTILE_RECIPIENT


def test_the_palette_offers_the_consoles_help_not_textuals_keys_panel(store):
    """Textual's "Keys" panel took 30 of 80 columns, spoke Textual's words ("First first row") and
    did not close with escape: a new operator was stuck with it. `?` is the help."""
    app = make_app(store)

    async def scenario(pilot):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Keys" not in titles and "Help: keys" in titles

    run(app, scenario)
