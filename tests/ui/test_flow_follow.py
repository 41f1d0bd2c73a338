"""The following flow at a high rate: it keeps the newest rows on top, a bounded table, and no gap."""

from __future__ import annotations

from console_data import NOW, envelope, make_app, press, record, run, settle

from sestui.core.events import parse_body
from sestui.store import Store
from sestui.ui.panes.flow import FOLLOW_ROWS, LIVE_ROWS


def add_many(store: Store, first: int, n: int) -> None:
    items = []
    for i in range(first, first + n):
        body = envelope(record("Delivery", i, f"r{i}@example.com", NOW, NOW, "bulk"))
        items.append((body, parse_body(body)))
    store.add(items)


def follow(tmp_path, n: int, scenario) -> None:
    """Run `scenario(pilot, store, flow)` at 80x24 on a console following the flow of a store of
    `n` Deliveries (r1000@... on)."""
    with Store(tmp_path / "follow.db") as store:
        add_many(store, 1000, n)
        app = make_app(store)

        async def following(pilot):
            await scenario(pilot, store, app.pane("flow"))

        run(app, following, size=(80, 24))


async def arrive(pilot, store: Store, first: int, n: int) -> None:
    """`n` more Deliveries arrive; the flow's next poll brings them."""
    add_many(store, first, n)
    pilot.app.pane("flow").poll()
    await settle(pilot)


def test_a_burst_while_following_shows_the_newest_and_pages_back_without_a_gap(tmp_path):
    async def scenario(pilot, store, flow):
        assert flow.following and flow.table.row_count == 50
        await arrive(pilot, store, 2000, 700)  # more in one tick than the table keeps while following
        newest = store.flow_page(limit=1)[0]
        assert flow.table.cursor_row == 0 and flow.table.selected_key() == str(newest["id"])
        assert flow.table.row_count <= max(FOLLOW_ROWS, 2 * flow.table.size.height) < LIVE_ROWS
        for _ in range(20):  # to the end, loading older pages on the way
            await press(pilot, "G")
            if flow.exhausted:
                break
        shown = sorted(int(key.value) for key in flow.table.rows)
        assert shown == [row["id"] for row in store.flow_page(limit=10_000)][::-1], "every event, none twice"

    follow(tmp_path, 50, scenario)


def test_a_few_new_events_while_following_go_on_top_of_what_is_shown(tmp_path):
    async def scenario(pilot, store, flow):
        before = set(flow.table.rows)
        await arrive(pilot, store, 2000, 5)
        assert flow.table.row_count == 35 and before <= set(flow.table.rows)
        assert flow.table.get_row_at(0)[2].plain == "r2004@example.com"

    follow(tmp_path, 30, scenario)


def test_back_to_the_newest_before_the_move_is_handled_keeps_following(tmp_path):
    """j then g faster than the UI thread handles the highlights (a busy flow, a palette's screen in
    between): the highlight of the row j left for lands after g and must not stop the following."""
    async def scenario(pilot, store, flow):
        flow.table.action_cursor_down()
        flow.table.action_cursor_first()  # both before either highlight message is handled
        await settle(pilot)
        assert flow.following
        await arrive(pilot, store, 2000, 5)
        assert flow.waiting == 0 and flow.table.cursor_row == 0
        assert flow.table.get_row_at(0)[2].plain == "r2004@example.com"

    follow(tmp_path, 30, scenario)


def test_the_palette_opened_closed_or_used_leaves_the_flow_following(tmp_path):
    async def scenario(pilot, store, flow):
        first = 2000
        for keys in (["ctrl+p", "escape"], ["ctrl+p", *"keys", "enter", "escape"],
                     ["ctrl+p", "down", "down", "up", "escape"], ["ctrl+p", *"Pane 1", "enter"]):
            await pilot.press(keys[0])
            await settle(pilot)
            await arrive(pilot, store, first, 3)  # events arrive while the palette is up
            await press(pilot, *keys[1:])
            await arrive(pilot, store, first + 3, 3)
            assert flow.following and flow.waiting == 0, keys
            assert flow.table.get_row_at(0)[2].plain == f"r{first + 5}@example.com", keys
            first += 10

    follow(tmp_path, 30, scenario)
