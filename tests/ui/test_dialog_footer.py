"""While a dialog is open, the footer on screen is the dialog's: its own keys, none of the panes'
(the main screen's footer showed under every modal, offering 1-8, q, ? and the pane's letters,
which do nothing there or, for the letters, something else: d is Remove on pane 3, y Confirm)."""

from __future__ import annotations

import pytest
from actions_data import build, config, press_on
from console_data import make_app, press, run

from sestui.ops.policies import PolicyConfig

# Keys of the main screen's footer (pane 1 and 3 and 8): none may show while a dialog is open.
MAIN_KEYS = ("Back/Quit", "1-8 Panes", "? Help", "space Pause", "^p palette", "/ Filter", "a Add", "d Remove",
             "r Retry", "d Discard")

DIALOGS = {  # keys that open it on the console's data: (the screen, what its footer must say)
    "help": (["question_mark"], "HelpScreen", ["esc Close"]),
    "palette": (["ctrl+p"], "Palette", ["esc Close"]),
    "types": (["1", "t"], "TypesScreen", ["esc Cancel", "enter Apply", "space Toggle", "a All", "n None"]),
    "add suppression": (["3", "a"], "SuppressFormScreen", ["esc Cancel", "enter Add", "tab Next field"]),
    "export": (["3", "e"], "PathScreen", ["esc Cancel", "enter OK"]),
    "policies": (["3", "p"], "PoliciesScreen", ["esc Close", "enter Cycle"]),
}


def bottom_line(app) -> str:
    """The terminal's last row as the operator sees it (the dialog over the panes)."""
    return "".join(segment.text for segment in app.screen._compositor.render_strips()[-1])


def assert_the_footer_is_the_dialogs(app, screen: str, own: list[str]) -> None:
    assert type(app.screen).__name__ == screen
    line = bottom_line(app)
    assert [key for key in MAIN_KEYS if key in line] == [], line
    assert [key for key in own if key not in line] == [], line


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("dialog", list(DIALOGS))
def test_an_open_dialog_shows_its_own_keys_in_the_footer_and_none_of_the_panes(store, dialog, size):
    keys, screen, own = DIALOGS[dialog]
    app = make_app(store, policies=PolicyConfig())

    async def scenario(pilot):
        await press(pilot, *keys)
        assert_the_footer_is_the_dialogs(app, screen, own)
        await press(pilot, "escape")
        assert app.screen is app.main_screen
        assert "Back/Quit" in bottom_line(app), "closed: the pane's keys again"

    run(app, scenario, size=size)


def test_the_confirmation_shows_its_yes_and_no_not_the_panes_retry_and_discard(tmp_path):
    store, ids = build(tmp_path)
    app = make_app(store, actions=config())

    async def scenario(pilot):
        await press_on(pilot, ids["dead"], "r")
        assert_the_footer_is_the_dialogs(app, "ConfirmScreen", ["esc Cancel", "y Confirm"])

    run(app, scenario, size=(80, 24))
    store.close()


def test_the_policies_enter_cycles_the_highlighted_policy(store):
    """enter is the dialog's own now (so the footer can show it): it still cycles the rule under the
    cursor, off -> dry-run -> on."""
    policies = PolicyConfig()
    app = make_app(store, policies=policies)

    async def scenario(pilot):
        await press(pilot, "3", "p")
        rule = app.screen.query_one("#rules").highlighted_option.id
        before = policies.mode(rule)
        await press(pilot, "enter")
        assert policies.mode(rule) != before
        await press(pilot, "enter", "enter")
        assert policies.mode(rule) == before, "three presses: round the three modes"

    run(app, scenario, size=(80, 24))


def test_the_add_forms_enter_is_shown_only_where_it_adds(store):
    """enter adds from the address field; on the reason or a button it is theirs (toggle, press):
    the footer says "enter Add" only while it does."""
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3", "a")
        assert "enter Add" in bottom_line(app)
        await press(pilot, "tab")
        assert app.screen.focused.id == "reason"
        assert "enter Add" not in bottom_line(app)
        await press(pilot, "shift+tab")
        assert "enter Add" in bottom_line(app)

    run(app, scenario, size=(80, 24))
