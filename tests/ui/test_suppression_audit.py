"""Pane 3 after a new user's trial: the audit's address is whole when there is room, the audit shows
its own row's detail, the status's `fetched` is the last reload of the list (not the newest entry),
a manual add says it was added by hand, and the export shows the whole path it will write."""

from __future__ import annotations

import os

from console_data import NOW_MS, make_app, open_pane, on_screen, press, rendered, run, settle

from sestui.ui.screens.path import PathScreen

TRIAL_ADDRESS = "trial-newsletter-user@example.com"


def test_the_audit_address_is_whole_at_80x24_while_the_outcome_has_room_to_give(store):
    store.add_audit(action="add", origin="console", outcome="ok", email=TRIAL_ADDRESS, reason="BOUNCE",
                    actor="ops@prod", at_ms=NOW_MS - 60_000)
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3")
        await press(pilot, "u")
        pane = app.pane("suppressions")
        assert TRIAL_ADDRESS in on_screen(app, pane.audit)

    run(app, scenario, size=(80, 24))


def test_the_audit_shows_the_detail_of_its_own_row_and_the_list_its_own(store):
    app = make_app(store)

    async def scenario(pilot):
        pane = await open_pane(pilot, "suppressions")
        box = pane.query_one("#sup-detail")
        assert "Last update" in rendered(box)
        await press(pilot, "u")
        shown = rendered(box)
        assert "Last update" not in shown, shown
        assert "origin console" in shown and "bob@example.net" in shown and "Outcome ok" in shown
        await press(pilot, "u")
        assert "Last update" in rendered(box)

    run(app, scenario, size=(120, 40))


def test_fetched_is_the_reload_of_the_list_not_the_newest_entry(store):
    """console_data reloads the list a minute before the console's clock (11:59:00); an entry
    added by hand since (12:00:00) is not a reload of the list, before or after it is removed."""
    app = make_app(store)

    async def scenario(pilot):
        pane = await open_pane(pilot, "suppressions")
        status = pane.query_one("#sup-status")
        assert "fetched 11:59:00" in rendered(status)
        store.cache_suppression("new@example.org", "BOUNCE", NOW_MS, NOW_MS)
        pane.poll()
        await settle(pilot)
        assert "4 suppressed" in rendered(status) and "fetched 11:59:00" in rendered(status), rendered(status)
        await press(pilot, "u")
        assert "fetched 11:59:00" in rendered(status)
        store.uncache_suppression("new@example.org")
        pane.poll()
        await settle(pilot)
        assert "3 suppressed" in rendered(status) and "fetched 11:59:00" in rendered(status)

    run(app, scenario, size=(120, 40))


def test_a_manual_add_says_added_by_hand(store):
    """console_data audits bob's entry as added in the console by ops@prod, with no message."""
    app = make_app(store)

    async def scenario(pilot):
        pane = await open_pane(pilot, "suppressions")
        pane.table.move_cursor(row=pane.table.get_row_index("bob@example.net"))
        await pilot.pause()
        shown = rendered(pane.query_one("#sup-detail"))
        assert "Added by hand (console, ops@prod" in shown and "not recorded" not in shown, shown

    run(app, scenario, size=(120, 40))


def test_the_export_offers_the_whole_path_it_will_write(store):
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3")
        await press(pilot, "e")
        assert isinstance(app.screen, PathScreen)
        value = app.screen.query_one("#path").value
        assert value == os.path.join(os.getcwd(), "suppressions.csv") and os.path.isabs(value)

    run(app, scenario, size=(120, 40))


def test_an_empty_audit_says_what_it_will_hold(tmp_path):
    from sestui.store import Store

    with Store(tmp_path / "empty.db") as empty:
        app = make_app(empty)

        async def scenario(pilot):
            pane = await open_pane(pilot, "suppressions")
            await press(pilot, "u")
            assert pane.audit.row_count == 0
            shown = " ".join(rendered(pane.query_one("#sup-detail")).split())
            assert shown.startswith("No change to the list is recorded yet"), shown

        run(app, scenario, size=(80, 24))
