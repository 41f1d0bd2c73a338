"""The reputation pane's day line and count rows say one figure per rate and where each comes from."""

from __future__ import annotations

from dataclasses import replace

import pytest
from console_data import make_app, open_pane, plain_rows, rendered, run
from rep_console_data import ACCOUNT_DAILY, MARKETING_DAILY, READING, CloudWatchOnly, fill_streams, series_for_days

from sestui.aws.cloudwatch import ReputationSeries
from sestui.store import Store


def drifted() -> CloudWatchOnly:
    """CloudWatch's hourly series whose last point (1.50%) is not the reading's figure (1.23%)."""
    return CloudWatchOnly({
        None: ReputationSeries(None, series_for_days(ACCOUNT_DAILY[:-1] + [0.0150]), series_for_days([0.00045] * 14)),
        "marketing": ReputationSeries("marketing", series_for_days(MARKETING_DAILY), series_for_days([0.0002] * 14)),
    })


UNDATED = replace(READING, account=replace(READING.account, bounce=replace(READING.account.bounce, at_ms=None)))


@pytest.mark.parametrize("reading, age", [
    (UNDATED, "1m old"),  # no time for AWS's point: the reading was taken a minute ago
    (READING, "1h old"),  # AWS's newest point is an hour old (its at_ms survives the saved reading's JSON)
])
def test_today_shows_the_tables_figure_with_its_age_not_the_charts_last_hour(tmp_path, reading, age):
    with Store(tmp_path / "streams.db") as streams:
        fill_streams(streams, reading=reading)
        app = make_app(streams, aws=drifted())

        async def scenario(pilot):
            pane = await open_pane(pilot, "reputation")
            body = rendered(pane.query_one("#rep-body"))
            account = plain_rows(app, "reputation")[0]
            assert account[1] == "1.23% aws"
            assert f"2026-11-27 bounce 1.23% aws now ({age})" in body
            assert "1.50%" not in body
            await pilot.press("left")
            assert "2026-11-26 bounce 1.25% aws at day end" in rendered(pane.query_one("#rep-body"))

        run(app, scenario, size=(120, 40))


def test_the_count_rows_say_which_come_from_ses_and_which_from_the_stored_events(streams):
    app = make_app(streams, aws=drifted())

    async def scenario(pilot):
        pane = await open_pane(pilot, "reputation")
        lines = rendered(pane.query_one("#rep-body")).splitlines()
        assert "Sends Bounces Complaints Rejects: SES statistics · Delivered: only the events stored here" in lines
        await pilot.press("down")  # a configuration set: every count is from the events stored here
        await pilot.pause()
        assert "Counts: the events stored here" in rendered(pane.query_one("#rep-body")).splitlines()

    run(app, scenario, size=(120, 40))
