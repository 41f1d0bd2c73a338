"""The flow's cells as drawn: addresses cut so who they are survives, one convention for the type words."""

from __future__ import annotations

import pytest
from console_data import add_event, make_app, on_screen, run

from sestui.core.events import EVENT_TYPES
from sestui.ui.panes.flow_lines import fit_recipient
from sestui.ui.widgets.common import TYPE_WIDTH, type_cell

SIMULATOR = ("bounce@simulator.amazonses.com", "success@simulator.amazonses.com", "ooto@simulator.amazonses.com")


def test_the_simulators_addresses_are_whole_in_the_80_column_flow(store):
    for n, address in enumerate(SIMULATOR, start=100):
        add_event(store, n, "Bounce", address)
    app = make_app(store)

    async def scenario(pilot):
        table = app.pane("flow").table
        shown = on_screen(app, table)
        for address in SIMULATOR:
            assert address in shown, (address, shown)

    run(app, scenario, size=(80, 24))


@pytest.mark.parametrize(("address", "width", "expected"), [
    ("bounce@simulator.amazonses.com", 28, "bounce@…amazonses.com"),
    ("complaint@simulator.amazonses.com", 31, "complaint@…amazonses.com"),
    ("ben.lindqvist98@mail.example.net", 31, "ben.lindqvist98@…example.net"),
    ("jonathan.richardson.smith@mail.example.net", 28, "jonatha…n.smith@…example.net"),
    ("verylonglocalpart@gmail.com", 20, "very…lpart@gmail.com"),
    ("no-at-sign-but-long-enough-to-cut", 20, "no-at-sig…ugh-to-cut"),
])
def test_a_cut_address_keeps_its_local_part_and_its_registered_domain(address, width, expected):
    assert fit_recipient(address, width) == expected


@pytest.mark.parametrize("width", range(1, 45))
def test_a_cut_address_never_overflows(width):
    for address in (*SIMULATOR, "suppressionlist@simulator.amazonses.com", "x@a.b.c.d.example.com", "a@b"):
        assert len(fit_recipient(address, width)) <= width


def test_every_event_type_says_its_outcome_in_lower_case_words_that_fit_the_narrow_column():
    from textual.app import App

    app = App()
    for event_type in EVENT_TYPES:
        for bounce_type in (("Permanent", "Transient", None) if event_type == "bounce" else (None,)):
            label = type_cell(app, event_type, bounce_type).plain
            assert label == label.lower(), label
            if bounce_type or event_type != "bounce":
                assert len(label) <= TYPE_WIDTH, label
