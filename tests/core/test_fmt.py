"""core/fmt.py: the one way each of an age and an error's one line is written."""

from __future__ import annotations

import pytest

from sestui.core.fmt import duration, first_line, one_line


@pytest.mark.parametrize("ms, text", [(-5, "0s"), (12_999, "12s"), (240_000, "4m"), (3 * 3_600_000, "3h"),
                                      (2 * 86_400_000 + 5, "2d")])
def test_duration_is_coarse(ms, text):
    assert duration(ms) == text


def test_one_line_joins_lines_and_cuts_at_the_limit():
    assert one_line("AccessDenied:\n  not   allowed\t") == "AccessDenied: not allowed"
    assert one_line("x" * 300) == "x" * 239 + "…"
    assert one_line("y" * 300, None) == "y" * 300


def test_first_line_skips_blank_lines_and_names_a_silent_error():
    assert first_line(ValueError("\n  connection refused  \nDETAIL: more\nHINT: even more")) == "connection refused"
    assert first_line(TimeoutError()) == "TimeoutError"
