"""Fixtures of the console tests: a store filled with the deterministic data of console_data, and one
with rep_console_data's 14 days of streams (the reputation and breakdown panes)."""

from __future__ import annotations

import pytest
from console_data import fill
from rep_console_data import fill_streams

from sestui.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "console.db")
    fill(s)
    yield s
    s.close()


@pytest.fixture
def streams(tmp_path):
    with Store(tmp_path / "streams.db") as s:
        fill_streams(s)
        yield s
