"""Issue 10 item 6: every Input, Select and TextArea of the console shows what is typed into it, in
every pane and every theme sestui offers — checked on the rendered cells: the marker's characters
must be on screen in a colour that differs from their background."""

from __future__ import annotations

from console_data import make_app, open_pane, run, settle
from rich.segment import Segment
from textual.theme import BUILTIN_THEMES

from sestui.ui.messages import IdentitiesLoaded

MARKER = "QZ7XW"


def _colour(c, foreground: bool):
    """A cell colour as RGB; the terminal's default colours stay None (they differ from each other)."""
    return None if c is None or c.is_default else c.get_truecolor(foreground=foreground)


def visible_lines(app) -> list[str]:
    """The screen as text, with every cell drawn in its own background's colour blanked."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        chars = []
        for segment in strip:
            assert isinstance(segment, Segment)
            style = segment.style
            fg = _colour(style.color, True) if style else None
            bg = _colour(style.bgcolor, False) if style else None
            if style and style.reverse:
                fg, bg = bg, fg
            hidden = style is not None and (style.conceal or (fg is not None and fg == bg))
            chars.append(" " * len(segment.text) if hidden else segment.text)
        lines.append("".join(chars))
    return lines


def shows(app, text: str, widget=None) -> bool:
    """`text` visible on the screen, or within `widget`'s rows and columns."""
    lines = visible_lines(app)
    if widget is not None:
        r = widget.region
        lines = [line[r.x:r.right] for line in lines[r.y:r.bottom]]
    return any(text in line for line in lines)


SEND_FIELDS = ("#send-to", "#send-subject", "#send-body", "#send-config", "#send-tags")


def test_every_input_shows_what_is_typed_in_every_theme(store):
    app = make_app(store)

    async def type_into(pilot, field) -> None:
        field.focus()
        field.value = ""
        await pilot.press(*MARKER)
        assert field.value == MARKER, "the keys reached the field"

    async def check(pilot, where: str, failures: list[str]) -> None:
        await pilot.pause()
        if not shows(app, MARKER, app.screen.query_one(where)):
            failures.append(f"{app.theme} {where}")

    async def scenario(pilot):
        # Type once (typing does not depend on the theme); then look in every theme.
        await pilot.press("slash", *MARKER)
        app.action_pane("suppressions")
        await settle(pilot)
        await pilot.press("slash", *MARKER)
        app.action_pane("send")
        await settle(pilot)
        for selector in SEND_FIELDS:
            await type_into(pilot, app.pane("send").query_one(selector))
        failures: list[str] = []
        for theme in BUILTIN_THEMES:
            app.theme = theme
            for pane, selector in (("flow", "#flow-filter"), ("suppressions", "#sup-filter")):
                app.action_pane(pane)
                app.pane(pane).query_one(selector).focus()
                await check(pilot, selector, failures)
            app.action_pane("send")
            for selector in SEND_FIELDS:
                app.pane("send").query_one(selector).focus()
                await check(pilot, selector, failures)
            app.action_pane("suppressions")
            for key, selector in (("a", "#email"), ("e", "#path")):  # the add form, the export path
                await pilot.press(key)
                await pilot.pause()
                await type_into(pilot, app.screen.query_one(selector))
                await check(pilot, selector, failures)
                app.pop_screen()
        assert not failures, failures

    run(app, scenario, size=(80, 24))


def test_the_from_select_shows_its_choice_in_every_theme(store):
    app = make_app(store)

    async def scenario(pilot):
        send = await open_pane(pilot, "send")
        send.post_message(IdentitiesLoaded([f"{MARKER.lower()}@mail.example.com"]))
        await settle(pilot)
        failures = []
        for theme in BUILTIN_THEMES:
            app.theme = theme
            for focused in (False, True):
                (send.query_one("#send-from") if focused else send.query_one("#send-to")).focus()
                await pilot.pause()
                if not shows(app, f"{MARKER.lower()}@mail", send.query_one("#send-from")):
                    failures.append(f"{theme} focused={focused}")
        assert not failures, failures

    run(app, scenario)
