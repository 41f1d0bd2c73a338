"""Pane 8, Actions, at 80x24 and 120x40 on fixed data and a fixed clock (pytest-textual-snapshot).

Update after an intended change with `pytest tests/ui/test_actions_snapshots.py --snapshot-update`,
then look at the SVGs in tests/ui/__snapshots__/ before committing them."""

from __future__ import annotations

import pytest
from actions_data import build, build_delivered, config
from console_data import NOW_MS, make_app, scenario
from console_data import SNAPSHOT_SIZES as SIZES

from sestui.store import outbox as sql


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setattr(sql, "now_ms", lambda: NOW_MS)  # hits over 24 h by the data's clock
    store, _ = build(tmp_path)
    yield make_app(store, actions=config())
    store.close()


SCENES = {
    "actions": scenario("8"),
    "actions-dead": scenario("8", "j"),  # the cursor on the dead item: its error in the detail line
    "actions-confirm-retry": scenario("8", "j", "r"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("scene", list(SCENES))
def test_actions_pane(snap_compare, app, scene, size):
    assert snap_compare(app, terminal_size=size, run_before=SCENES[scene])


@pytest.fixture
def delivered_app(tmp_path, monkeypatch):
    monkeypatch.setattr(sql, "now_ms", lambda: NOW_MS)
    store = build_delivered(tmp_path)
    yield make_app(store, actions=config())
    store.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_actions_pane_all_delivered(snap_compare, delivered_app, size):
    """The demo's usual outbox: no note to show, the recipients take the room (80 columns)."""
    assert snap_compare(delivered_app, terminal_size=size, run_before=scenario("8"))
