"""The key footer is rebuilt once per change of the keys it shows (a pane switch announced the
screen's bindings three times and Textual's footer rebuilt its key widgets for each)."""

from __future__ import annotations

from console_data import make_app, message_id, run, settle
from textual.widgets import Footer

from sestui.ui.messages import OpenTimeline


def footer_keys(app) -> list[str]:
    return [key.key for key in app.screen.query("FooterKey")]


def test_a_pane_switch_rebuilds_the_footer_once_and_a_refocus_not_at_all(store):
    app = make_app(store)
    rebuilt = []
    recompose = Footer.recompose

    async def counted(footer):
        rebuilt.append(footer_keys(app))
        await recompose(footer)

    async def scenario(pilot):
        Footer.recompose = counted
        try:
            app.post_message(OpenTimeline(message_id(2)))
            await settle(pilot)
            assert len(rebuilt) == 1  # the timeline's keys, drawn once
            assert "s" in footer_keys(app)  # ...and they are the timeline's (its suppress)
            app.pane("timeline").table.blur()
            app.pane("timeline").focus_main()
            app.refresh_bindings()
            await settle(pilot)
            assert len(rebuilt) == 1  # the same keys: nothing rebuilt
            await pilot.press("1")
            await settle(pilot)
            assert len(rebuilt) == 2 and "s" not in footer_keys(app)  # back on the flow: its keys
        finally:
            Footer.recompose = recompose

    run(app, scenario, size=(120, 40))


def bar_and_footer(app) -> tuple[tuple, str]:
    """The pane bar as drawn, styles too (at 80 columns, 1 Flow and 5 Send current read alike), and
    the footer's text."""
    strips = app.screen._compositor.render_strips()
    bar = tuple((segment.text, str(segment.style)) for segment in strips[2])
    return bar, "".join(segment.text for segment in strips[-1])


def test_no_frame_shows_a_panes_keys_under_another_panes_name_while_panes_switch_fast(store):
    """Every frame the console paints while 1..8 are pressed as fast as keys come shows, under the
    pane the pane bar names, that pane's keys: the footer's new keys land in the frame that shows
    the new pane (its rebuild came a frame or two after it: the previous pane's keys, under load
    for long enough to be read)."""
    from sestui.ui.app import PANES

    app = make_app(store)
    frames: list[tuple[str, str]] = []

    async def scenario(pilot):
        pane_of_bar, keys_of = {}, {}  # each pane's bar line (it names the pane) and footers, settled
        for i, (name, _) in enumerate(PANES, 1):
            for key in [str(i), *(["escape"] if name == "send" else [])]:  # pane 5: in To, then out of it
                await pilot.press(key)
                await settle(pilot)
                bar, footer = bar_and_footer(app)
                pane_of_bar[bar] = name
                keys_of.setdefault(name, set()).add(footer)
        display = app._display

        def painted(screen, update):
            if update is not None and screen is app.main_screen and not app._batch_count:  # what reaches the terminal
                bar, footer = bar_and_footer(app)
                frames.append((pane_of_bar.get(bar, "a pane bar never seen settled"), footer))
            return display(screen, update)

        app._display = painted
        for _ in range(3):
            await pilot.press("1", "2", "3", "4", "5", "escape", "6", "7", "8")
            await pilot.press("7", "6", "5", "escape", "4", "3", "2", "1")
        await settle(pilot)
        assert len({name for name, _ in frames}) > 4, "frames of most panes were painted"
        wrong = [(name, footer) for name, footer in frames if footer not in keys_of.get(name, ())]
        assert wrong == [], f"{len(wrong)} of {len(frames)} frames: {wrong[:3]}"

    run(app, scenario, size=(80, 24))


def test_at_80_columns_every_panes_footer_shows_each_of_its_keys_whole(tmp_path):
    """Pane 4's said "space Pa" (its c was "Bounce/complaint"): a key cut in the footer is no key."""
    from actions_data import build, config

    from sestui.ui.app import PANES

    store, _ = build(tmp_path)  # pane 8 with its rules, a paused guard (s Resume sending) and dead items
    app = make_app(store, actions=config())

    async def scenario(pilot):
        cut = {}
        for i, (name, _) in enumerate(PANES, 1):
            for key in [str(i), *(["escape"] if name == "send" else [])]:
                await pilot.press(key)
                await settle(pilot)
                footer = app.screen.query_one("Footer")
                palette = footer.query_one(".-command-palette")
                for shown in footer.query("FooterKey").exclude(".-command-palette"):
                    if shown.region.right > palette.region.x:  # under the palette's key, or past the edge
                        cut.setdefault(name, []).append(shown.description)
        assert cut == {}

    run(app, scenario, size=(80, 24))


def test_the_empty_timeline_offers_no_suppress_and_says_why_when_s_is_pressed(store):
    from console_data import on_screen

    app = make_app(store)

    async def scenario(pilot):
        await pilot.press("2")
        await settle(pilot)
        assert "s" not in footer_keys(app), "nothing to suppress before a message is open"
        await pilot.press("s")
        await settle(pilot)
        assert "no message open" in on_screen(app, app.query_one("#outcome"))
        app.post_message(OpenTimeline(message_id(2)))
        await settle(pilot)
        assert "s" in footer_keys(app)

    run(app, scenario, size=(80, 24))
