"""Every pane at 80x24 and 120x40, on fixed data and a fixed clock (pytest-textual-snapshot).

Update after an intended change with `pytest tests/test_snapshots.py --snapshot-update`, then look
at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

import pytest
from console_data import SNAPSHOT_SIZES as SIZES
from console_data import fill, make_app, message_id, scenario

from sestui.store import Store


@pytest.fixture
def app(tmp_path):
    store = Store(tmp_path / "snap.db")
    fill(store)
    yield make_app(store)
    store.close()


PANES = {
    "flow": scenario(),
    "timeline": scenario(timeline=message_id(2)),
    "suppressions": scenario("3"),
    "audit": scenario("3", "u"),
    "reputation": scenario("4"),
    "send": scenario("5"),
    "doctor": scenario("6"),  # no AWS in these tests: the pane says so, deterministically
    "help": scenario("question_mark"),
    "types": scenario("t"),
    "paused": scenario("space"),
    "filtered": scenario("exclamation_mark"),
    "filter-line": scenario("slash", *"winter"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("pane", list(PANES))
def test_pane(snap_compare, app, pane, size):
    assert snap_compare(app, terminal_size=size, run_before=PANES[pane])
