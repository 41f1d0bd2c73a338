"""AWS's thresholds, the Nagios states, and the projection toward the review line."""

from __future__ import annotations

import json

import pytest

from sestui.core.reputation import (BOUNCE, COMPLAINT, CRITICAL, OK, UNKNOWN, WARNING, Figure, Rates,
                                    hours_to_cross, level, pace_text, worst)
from sestui.ops.status import parse_limit


@pytest.mark.parametrize("value, expected", [
    (None, UNKNOWN), (0.0, OK), (0.0499, OK), (0.05, WARNING), (0.0999, WARNING), (0.10, CRITICAL), (0.5, CRITICAL),
])
def test_bounce_levels_follow_the_review_and_pause_lines(value, expected):
    assert level(value, BOUNCE) == expected


@pytest.mark.parametrize("value, expected", [(0.0009, OK), (0.001, WARNING), (0.0049, WARNING), (0.005, CRITICAL)])
def test_complaint_levels_follow_the_review_and_pause_lines(value, expected):
    assert level(value, COMPLAINT) == expected


def test_overrides_replace_the_lines():
    assert level(0.03, BOUNCE, warning=0.02) == WARNING
    assert level(0.03, BOUNCE, warning=0.02, critical=0.03) == CRITICAL
    assert level(0.06, BOUNCE, warning=0.07) == OK


def test_worst_state_ranks_unknown_between_warning_and_critical():
    assert worst([]) == OK
    assert worst([OK, WARNING]) == WARNING
    assert worst([WARNING, UNKNOWN]) == UNKNOWN
    assert worst([UNKNOWN, CRITICAL, OK]) == CRITICAL


def test_the_rate_reaches_the_line_as_new_mail_replaces_old():
    # 2% now, the last day's mail bounces at 8%: halfway there after half the volume is replaced.
    hours = hours_to_cross(0.02, 0.08, sends_per_hour=100, representative_volume=2000, line=0.05)
    assert hours == pytest.approx(10.0)
    assert pace_text(hours) == "at this pace: review in ~10 h"


def test_no_projection_when_the_rate_heads_below_the_line():
    assert hours_to_cross(0.02, 0.04, sends_per_hour=100, representative_volume=2000, line=0.05) is None
    assert hours_to_cross(0.02, 0.08, sends_per_hour=0, representative_volume=2000, line=0.05) is None
    assert hours_to_cross(None, 0.08, sends_per_hour=10, representative_volume=2000, line=0.05) is None
    assert pace_text(None) == ""


def test_past_the_line_says_so():
    assert hours_to_cross(0.06, 0.08, sends_per_hour=10, representative_volume=100, line=0.05) == 0.0
    assert pace_text(0.0) == "past the review line"
    assert pace_text(0.25) == "at this pace: review in ~15 min"
    assert pace_text(72) == "at this pace: review in ~3 d"


def test_rates_round_trip_through_json():
    rates = Rates(Figure(0.0123, "cloudwatch", 1000), Figure(None, "local"), "marketing")
    data = rates.to_json()
    assert data == {"name": "marketing",
                    "bounce": {"value": 0.0123, "source": "cloudwatch", "at_ms": 1000, "review": 0.05, "pause": 0.10},
                    "complaint": {"value": None, "source": "local", "review": 0.001, "pause": 0.005}}
    back = Rates.from_json(json.loads(json.dumps(data)))
    assert back == rates  # every field, the newest point's time (at_ms) too
    assert back is not None and back.bounce.value == 0.0123 and back.complaint.source == "local"
    assert back.name == "marketing" and back.bounce.estimate is False and back.complaint.estimate is True
    assert Rates.from_json({"bounce": {"value": 1, "source": "guess"}, "complaint": None}) is None


@pytest.mark.parametrize("text, expected", [
    ("bounce=0.04", ("bounce", 0.04)), ("complaint=0.08%", ("complaint", 0.0008)), (" Bounce = 4% ", ("bounce", 0.04)),
])
def test_limits_parse(text, expected):
    kind, value = parse_limit(text)
    assert (kind, pytest.approx(value)) == (expected[0], pytest.approx(expected[1]))


@pytest.mark.parametrize("text", ["bounce", "delay=0.1", "bounce=x", "bounce=2", "complaint=-1%"])
def test_bad_limits_are_one_line_errors(text):
    with pytest.raises(ValueError) as info:
        parse_limit(text)
    assert "\n" not in str(info.value) and text.strip() in str(info.value)


def test_a_short_history_takes_its_pace_over_what_is_stored():
    from sestui.core.reputation import pace_basis, projection

    now = 10 * 86_400_000
    basis = pace_basis(200, oldest_ms=now - 30 * 60_000, now_ms=now)  # 200 sends in the 30 stored minutes
    assert (basis.span_ms, basis.per_hour, basis.enough) == (30 * 60_000, 400.0, True)
    assert basis.text() == "30 min of mail"
    # 12 of those 200 bounced (6%): the rate moves from 4% toward 6% at 400 sends an hour; AWS's
    # volume, unknown to a store this young, is at least a day at that pace (9,600 sends)
    assert projection(0.04, 12, basis, representative_volume=200, line=0.05) == pytest.approx(
        hours_to_cross(0.04, 0.06, sends_per_hour=400, representative_volume=9600, line=0.05))
    assert projection(0.04, 12, basis, representative_volume=20_000, line=0.05) == pytest.approx(25.0)


def test_a_whole_day_of_mail_paces_over_the_day():
    from sestui.core.reputation import pace_basis, projection

    now = 10 * 86_400_000
    basis = pace_basis(2400, oldest_ms=now - 5 * 86_400_000, now_ms=now)
    assert (basis.span_ms, basis.per_hour, basis.text()) == (86_400_000, 100.0, "")
    assert projection(0.02, 192, basis, representative_volume=2000, line=0.05) == pytest.approx(
        hours_to_cross(0.02, 0.08, sends_per_hour=100, representative_volume=2400, line=0.05))


@pytest.mark.parametrize("sends, minutes, says", [
    (19, 60, "too little mail (19 sends in 60 min)"),  # a handful of sends
    (500, 1, "too little mail (500 sends in 1 min)"),  # a burst of a minute
    (118, 0.5, "too little mail (118 sends in 30 s)"),  # a demo's first seconds: not "0 min"
    (0, 0, "too little mail (0 sends in 0 s)"),  # an empty store
])
def test_too_little_mail_makes_no_projection(sends, minutes, says):
    from sestui.core.reputation import pace_basis, projection

    now = 10 * 86_400_000
    basis = pace_basis(sends, oldest_ms=now - int(minutes * 60_000) if sends else None, now_ms=now)
    assert not basis.enough and basis.text() == says
    assert projection(0.04, sends, basis, representative_volume=10_000, line=0.05) is None  # every one bounced
