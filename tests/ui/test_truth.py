"""Issue 10: what the console shows is true (one test per numbered defect; each failed on the old code)."""

from __future__ import annotations

from dataclasses import replace

from help_data import open_help
from console_data import NOW_MS, add_event, filter_flow, make_app, open_pane, on_screen, press, rendered, run, screen_text, settle

from sestui.core import health
from sestui.ops.policies import PolicyConfig
from sestui.ui.widgets.header import render_health


def table_width(table) -> int:
    return sum(c.width + 2 * table.cell_padding for c in table.columns.values())


# -- 2: tables re-lay their columns on resize, both ways ------------------------------------------

def test_shrinking_the_terminal_re_lays_the_suppression_table(store):
    app = make_app(store)

    async def scenario(pilot):
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await press(pilot, "3")
        table = app.pane("suppressions").table
        assert table_width(table) <= 80
        screen = screen_text(app)
        assert "Reason" in screen and "Last update" in screen and "COMPLAINT" in screen

    run(app, scenario, size=(120, 40))


def test_growing_the_terminal_re_lays_the_flow_and_shows_the_message_id(store):
    app = make_app(store)

    async def scenario(pilot):
        flow = app.pane("flow")
        assert "Message id" not in screen_text(app)
        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        assert table_width(flow.table) > 140, "the layout uses the new width"
        assert "Message id" in screen_text(app)
        assert flow.table.row_count == store.count("events"), "rows kept"
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert table_width(flow.table) <= 80 and "Message id" not in screen_text(app)

    run(app, scenario, size=(80, 24))


def test_addresses_are_shortened_in_the_middle_keeping_the_domain(store):
    app = make_app(store)
    add_event(store, 60, "Delivery", "a.very.long.recipient.name.for.testing@customer-domain.example")

    async def scenario(pilot):
        lines = [line for line in screen_text(app).split("\n") if "@customer-domain.example" in line]
        assert lines and "…" in lines[0], "the local part is shortened, the domain kept whole"

    run(app, scenario, size=(80, 24))


# -- 3: the audit view does not act on the hidden list --------------------------------------------

def test_the_audit_view_offers_no_action_on_the_hidden_list(store):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3")
        await pilot.press("u", "j", "d")
        await pilot.pause()
        assert len(app.screen_stack) == 1, "no dialog about a row the operator cannot see"
        assert "go back to the list" in rendered(app.query_one("#outcome"))
        await pilot.press("slash")
        await pilot.pause()
        assert not app.pane("suppressions").has_class("filtering"), "/ does not filter the hidden list"
        footer = {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}
        assert "remove" not in footer and "filter" not in footer and "add" not in footer

    run(app, scenario)


# -- 5: status flags at 80 columns ------------------------------------------------------------------

def test_read_only_and_paused_flags_fit_at_80_columns(store):
    app = make_app(store, read_only=True)

    async def scenario(pilot):
        await pilot.press("space")
        await pilot.pause()
        bar = on_screen(app, app.query_one("#pane-bar"))
        assert "READ-ONLY" in bar and "PAUSED" in bar

    run(app, scenario)


def test_an_active_filter_and_waiting_rows_keep_the_rejects_counter(store):
    app = make_app(store)

    async def scenario(pilot):
        await filter_flow(pilot, "example")
        await pilot.press("j", "j")
        for n in range(23):
            add_event(store, 100 + n, "Delivery", f"n{n}@example.com")
        app.tick()
        await settle(pilot)
        counters = on_screen(app, app.pane("flow").query_one("#flow-counters"))
        assert "23 new above (g)" in counters and "filter /example" in counters and "rej 1" in counters

    run(app, scenario)


def test_stale_account_keeps_its_flag_and_reason_at_80_columns(store):
    store.save_account_snapshot(taken_ms=NOW_MS - 1000, profile="prod", region="us-east-1", status={},
                                error="throttled by AWS on ses:GetAccount; backing off")
    app = make_app(store)

    async def scenario(pilot):
        header = on_screen(app, app.query_one("#health")).split("\n")[0]
        assert "STALE" in header and "ST…" not in header
        assert "throttled by AWS on ses:GetAccount" in on_screen(app, app.query_one("#outcome"))

    run(app, scenario)


# -- 8: read-only hints show only what works; a hidden action says why ------------------------------

def test_read_only_send_says_why_ctrl_s_does_nothing(store):
    app = make_app(store, read_only=True)

    async def scenario(pilot):
        await press(pilot, "5")
        assert "ctrl+s" not in rendered(app.pane("send").query_one("#send-hint"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "read-only" in rendered(app.query_one("#outcome"))

    run(app, scenario)


# -- 10: the suppression detail follows the cursor; the message id is known -------------------------

def test_suppression_detail_follows_the_cursor_and_knows_the_message(store):
    store.add_audit(action="add", origin="console", outcome="ok", email="cy@example.com", reason="COMPLAINT",
                    actor="ops@prod", message_id="0100019-from-the-timeline-000000", at_ms=NOW_MS - 100)
    app = make_app(store)

    async def scenario(pilot):
        pane = await open_pane(pilot, "suppressions")
        detail = pane.query_one("#sup-detail")
        first = pane.table.selected_key()
        assert first in rendered(detail)
        await pilot.press("j")
        await pilot.pause()
        second = pane.table.selected_key()
        assert second != first and second in rendered(detail) and first not in rendered(detail)
        pane.table.move_cursor(row=pane.table.get_row_index("cy@example.com"))
        await pilot.pause()
        assert "0100019-from-the-timeline-000000" in rendered(detail)

    run(app, scenario, size=(120, 40))


# -- 11: keymap problems are one-line warnings -----------------------------------------------------

def test_keymap_problems_name_unknown_ids_and_conflicts():
    from sestui.ui.keys import keymap_problems

    problems = keymap_problems({"flow.filtr": "f", "app.pause": "p"})
    assert any("flow.filtr" in p and "flow.filter" in p for p in problems)
    assert any("app.pause" in p and "suppressions.policies" in p for p in problems)
    assert all("\n" not in p for p in problems)
    assert keymap_problems({"flow.filter": "f"}) == []


def test_keymap_problems_are_shown_at_start(store):
    app = make_app(store, keymap={"flow.filtr": "f"})

    async def scenario(pilot):
        assert "flow.filtr" in rendered(app.query_one("#outcome"))

    run(app, scenario)


# -- 12: help from the live bindings ---------------------------------------------------------------

def test_help_lists_every_key_of_a_binding_and_scrolls_with_j(store):
    app = make_app(store, keymap={"flow.filter": "f"})

    async def scenario(pilot):
        text = await open_help(pilot)
        remove = next(line for line in text.split("\n") if "(suppressions.remove)" in line)
        assert remove.strip().startswith("d/del"), "every key of suppressions.remove (d, delete)"
        assert "Panes (pane.flow)" not in text and "pane 1: Flow" in text
        assert "4 Reputation" in text and "What the numbers mean" in text
        assert "home" in text, "Home/End in tables"
        lines = [line for line in text.split("\n") if "flow.filter" in line]
        assert lines and lines[0].strip().startswith("f "), "the user's key, not the default"
        scroll = app.screen.query_one("VerticalScroll")
        await pilot.press("j", "j", "j")
        await pilot.pause()
        assert scroll.scroll_y > 0

    run(app, scenario)


def test_tables_go_to_the_first_and_last_row_with_home_and_end(store):
    app = make_app(store)

    async def scenario(pilot):
        table = app.pane("flow").table
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        assert table.cursor_row == 0

    run(app, scenario)


# -- 7: export asks before replacing and says what is exported -------------------------------------

def test_export_asks_before_replacing_and_says_how_many_of_how_many(store, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("keep me\n")
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3")
        await filter_flow(pilot, "bob")
        await pilot.press("e")
        await pilot.pause()
        path = app.screen.query_one("#path")
        path.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        assert "1 of 3 rows, filter /bob" in " ".join(rendered(w) for w in app.screen.query("Static"))
        await press(pilot, "n")
        assert target.read_text() == "keep me\n"
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        await press(pilot, "y")
        assert "bob@example.net" in target.read_text()
        assert "1 of 3 rows, filter /bob" in rendered(app.query_one("#outcome"))

    run(app, scenario)


# -- 13: the policy state is visible in pane 3 -----------------------------------------------------

def test_policy_state_is_visible_in_pane_3_and_the_modal_explains_the_simulator(store):
    app = make_app(store, policies=PolicyConfig(complaint="on", hard_bounce="dry-run"))

    async def scenario(pilot):
        await press(pilot, "3")
        status = rendered(app.pane("suppressions").query_one("#sup-status"))
        assert "complaint on" in status and "hard_bounce dry-run" in status
        await pilot.press("p")
        await pilot.pause()
        assert "simulator" in screen_text(app)

    run(app, scenario, size=(120, 40))


# -- 4 and 1: the header's quota and feed states ---------------------------------------------------

class FakeApp:
    theme_variables: dict[str, str] = {"error": "#ff0000", "warning": "#ffff00", "success": "#00ff00"}


def summary(**changes) -> health.Summary:
    base = health.Summary(profile="prod", region="us-east-1", account=None, production=True, sending_enabled=True,
                          enforcement="HEALTHY", sent_24h=100, max_24h=2000, max_rate=14, rates=health.Rates(1000, 2, 0, 0),
                          rates_window="14d", rejects_24h=0, account_error=None, account_ok_ms=NOW_MS,
                          feed=health.Feed("live", 2.5, 0))
    return replace(base, **changes)


def test_an_exhausted_quota_is_red_and_sending_is_not_green():
    text = render_health(FakeApp(), summary(sent_24h=6563, max_24h=2000), NOW_MS, 120)
    line1 = text.split("\n")[0]
    assert "QUOTA USED UP" in line1.plain and "SENDING BLOCKED" in line1.plain
    red = [span for span in line1.spans if "ff0000" in str(span.style) or "red" in str(span.style)]
    assert red, "the quota is shown in the error colour"


def test_feed_states_say_what_is_true():
    stopped = render_health(FakeApp(), summary(feed=health.Feed("stopped", since_ms=NOW_MS - 600_000)), NOW_MS, 120)
    assert "STOPPED since" in stopped.plain and "10m" in stopped.plain and "LIVE" not in stopped.plain
    none = render_health(FakeApp(), summary(feed=health.Feed("none")), NOW_MS, 120)
    assert "NO FEED" in none.plain and "sestui setup" in none.plain
    stale = render_health(FakeApp(), summary(feed=health.Feed("stale", error="receive failed", since_ms=NOW_MS - 30_000)),
                          NOW_MS, 80)
    assert "STALE 30s" in stale.plain and "receive failed" in stale.plain


def test_the_theme_picker_has_the_plain_prompt_of_the_palette(store):
    from textual.command import SearchIcon

    app = make_app(store)

    async def scenario(pilot):
        app.action_change_theme()
        await pilot.pause()
        assert app.screen.query_one(SearchIcon).icon == ">"

    run(app, scenario)


def test_the_audit_refreshes_live_while_pane_3_shows(store):
    app = make_app(store)

    async def scenario(pilot):
        await pilot.press("3", "u")
        await settle(pilot)
        store.add_audit(action="add", origin="policy", outcome="dry-run", email="late@example.com", reason="BOUNCE",
                        actor="policy", at_ms=NOW_MS)
        for _ in range(5):
            app.tick()
        await settle(pilot)
        assert "late@example.com" in on_screen(app, app.pane("suppressions").audit)

    run(app, scenario, size=(120, 40))
