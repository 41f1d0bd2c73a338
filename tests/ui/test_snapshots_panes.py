"""Panes 4 (reputation) and 7 (breakdown) at 80x24 and 120x40 on the streams of rep_console_data,
AWS's figures from a saved reading and CloudWatch's series from a stand-in (pytest-textual-snapshot).

Update after an intended change with `--snapshot-update`, then look at the SVGs before committing."""

from __future__ import annotations

import pytest
from console_data import SNAPSHOT_SIZES as SIZES
from console_data import make_app, scenario
from rep_console_data import cloudwatch



@pytest.fixture
def app(streams):
    return make_app(streams, aws=cloudwatch())


PANES = {
    "reputation": scenario("4"),
    "reputation-set-cursor": scenario("4", "down", "left", "left", "left"),
    "reputation-complaints": scenario("4", "c"),
    "breakdown": scenario("7"),
    "breakdown-campaign-7d": scenario("7", "b", "b", "b", "w"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("pane", list(PANES))
def test_pane(snap_compare, app, pane, size):
    assert snap_compare(app, terminal_size=size, run_before=PANES[pane])
