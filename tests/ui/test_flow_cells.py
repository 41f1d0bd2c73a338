"""The flow's cells as drawn: addresses cut so who they are survives (the same way in every pane),
one convention for the type words."""

from __future__ import annotations

import re

import pytest
from actions_data import build, config
from console_data import NOW_MS, add_event, make_app, message_id, on_screen, open_pane, run, settle

from sestui.store import outbox as sql
from sestui.ui.messages import OpenTimeline

from sestui.core.events import EVENT_TYPES
from sestui.ui.text import ellipsize_address
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


LONG = "margaret.holloway-smith@mail.eu.example.org"
# The local part, cut at most in its middle, then "@…" and whole labels of the domain, its last two at least.
CUT_THE_FLOWS_WAY = re.compile(r"^ma\S*@…(example\.org|eu\.example\.org)$")


def test_every_pane_cuts_an_address_as_the_flow_does_keeping_its_local_part(tmp_path):
    store, _ = build(tmp_path)
    add_event(store, 60, "Bounce", LONG)
    store.replace_suppressions([(LONG, "BOUNCE", NOW_MS - 60_000)], NOW_MS)
    hook = {"url": "http://127.0.0.1:8765/ses", "secret_env": "SESTUI_WEBHOOK_SECRET"}
    with store._lock:
        sql.enqueue(store.conn, [sql.item("feedback-to-app", 0, "webhook", hook, {"n": 60}, ("m60",),
                                          recipient=LONG, message_id="m60", now=NOW_MS - 60_000)])
    app = make_app(store, actions=config())

    def cut_in(table) -> str:
        shown = on_screen(app, table)
        assert LONG not in shown, "80 columns are too few for it whole: it is cut"
        return next(word for word in shown.split() if word.endswith(".org") and word.startswith("ma"))

    async def scenario(pilot):
        seen = {"flow": cut_in(app.pane("flow").table)}
        app.post_message(OpenTimeline(message_id(60)))
        await settle(pilot)
        seen["timeline"] = cut_in(app.pane("timeline").table)
        seen["suppressions"] = cut_in((await open_pane(pilot, "suppressions")).table)
        seen["actions"] = cut_in((await open_pane(pilot, "actions")).table("outbox"))
        assert {pane: cut for pane, cut in seen.items() if not CUT_THE_FLOWS_WAY.match(cut)} == {}

    run(app, scenario, size=(80, 24))


@pytest.mark.parametrize(("address", "width", "expected"), [
    ("bounce@simulator.amazonses.com", 28, "bounce@…amazonses.com"),
    ("complaint@simulator.amazonses.com", 31, "complaint@…amazonses.com"),
    ("ben.lindqvist98@mail.example.net", 31, "ben.lindqvist98@…example.net"),
    ("jonathan.richardson.smith@mail.example.net", 28, "jonatha…n.smith@…example.net"),
    ("verylonglocalpart@gmail.com", 20, "very…lpart@gmail.com"),
    (LONG, 36, "margaret.holloway-smith@…example.org"),
    ("bounce+m1040@simulator.amazonses.com", 18, "bounce+m1040@…com"),  # pane 8's column: not "bounce+m…onses.com"
    ("bounce+m1040@simulator.amazonses.com", 12, "bou…040@…com"),
    ("bounce+m1040@simulator.amazonses.com", 9, "bou…040@…"),
    ("no-at-sign-but-long-enough-to-cut", 20, "no-at-sig…ugh-to-cut"),
])
def test_a_cut_address_keeps_its_local_part_and_its_registered_domain(address, width, expected):
    assert ellipsize_address(address, width) == expected


@pytest.mark.parametrize("width", range(1, 45))
def test_a_cut_address_never_overflows(width):
    for address in (*SIMULATOR, "suppressionlist@simulator.amazonses.com", "x@a.b.c.d.example.com", "a@b"):
        assert len(ellipsize_address(address, width)) <= width


def test_every_event_type_says_its_outcome_in_lower_case_words_that_fit_the_narrow_column():
    from textual.app import App

    app = App()
    for event_type in EVENT_TYPES:
        for bounce_type in (("Permanent", "Transient", None) if event_type == "bounce" else (None,)):
            label = type_cell(app, event_type, bounce_type).plain
            assert label == label.lower(), label
            if bounce_type or event_type != "bounce":
                assert len(label) <= TYPE_WIDTH, label
