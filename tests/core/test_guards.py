"""Guards as a pure state machine: one firing per crossing, once more on recovery."""

from __future__ import annotations

import pytest

from sestui.core.guards import parse_guards, step
from sestui.core.rules import RuleError

TABLE = {"name": "bounces", "metric": "bounce_rate", "source": "local", "configuration_set": "shop",
         "window": 3600, "min_volume": 50,
         "warn": {"level": "5%", "do": [{"action": "webhook", "url": "http://127.0.0.1:9/g"}]},
         "pause": {"level": 0.1, "do": [{"action": "pause_sending"}, {"action": "webhook", "url": "http://127.0.0.1:9/g"}]}}


def guard(**kw):
    return parse_guards([{**TABLE, **kw}])[0]


def test_warn_then_pause_then_recovery_fire_once_each():
    g = guard()
    state, fired = step(g, "armed", 0.02, 100)
    assert (state, fired) == ("armed", [])
    state, fired = step(g, state, 0.06, 100)
    assert state == "warned" and [c.level for c in fired] == ["warn"]
    assert [a.kind for a in fired[0].actions] == ["webhook"]
    state, fired = step(g, state, 0.07, 120)
    assert (state, fired) == ("warned", [])  # still above warn: no second firing
    state, fired = step(g, state, 0.12, 130)
    assert state == "paused" and [c.level for c in fired] == ["pause"]
    assert [a.kind for a in fired[0].actions] == ["pause_sending", "webhook"]
    state, again = step(g, state, 0.2, 140)
    assert (state, again) == ("paused", [])
    state, fired = step(g, state, 0.01, 200)
    assert state == "armed" and [c.level for c in fired] == ["recovered"]
    assert [a.kind for a in fired[0].actions] == ["webhook"]  # a recovery never pauses


def test_a_jump_straight_to_pause_passes_warn():
    state, fired = step(guard(), "armed", 0.5, 100)
    assert state == "paused" and [c.level for c in fired] == ["warn", "pause"]


def test_too_little_volume_or_no_rate_decides_nothing():
    g = guard()
    assert step(g, "armed", 0.9, 10) == ("armed", [])
    assert step(g, "warned", None, None) == ("warned", [])


def test_off_guard_never_fires():
    assert step(guard(mode="off"), "armed", 0.9, 1000) == ("armed", [])


@pytest.mark.parametrize("change, message", [
    ({"metric": "open_rate"}, "guard 'bounces': metric must be one of bounce_rate, complaint_rate"),
    ({"warn": {"level": 0.2}, "pause": {"level": 0.1}}, "guard 'bounces': warn.level must be below pause.level"),
    ({"warn": {"level": "five"}}, "guard 'bounces': warn.level must be a fraction"),
    ({"warn": {"level": 0.01, "do": [{"action": "ses_suppress"}]}}, "guard 'bounces': warn.do[0].action must be one of"),
    ({"source": "aws", "recipient_domain": "x.org"}, "guard 'bounces': recipient_domain needs source"),
    ({"pause": None, "warn": None}, "guard 'bounces': give a warn or a pause level"),
])
def test_bad_guards_are_one_line(change, message):
    table = {**TABLE, **change}
    table = {k: v for k, v in table.items() if v is not None}
    with pytest.raises(RuleError) as err:
        parse_guards([table])
    assert str(err.value).startswith(message)
