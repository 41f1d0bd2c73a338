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
