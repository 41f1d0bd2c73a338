"""Fixtures of the console tests: a store filled with the deterministic data of console_data."""

from __future__ import annotations

import pytest
from console_data import fill

from sestui.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "console.db")
    fill(s)
    yield s
    s.close()
