"""The header's rates, the reputation pane (4) and the breakdown pane (7) through Pilot: the figures
shown are the figures given (AWS's from the saved reading, CloudWatch's series from a stand-in),
estimates say so, the day cursor moves and shows the value under it, enter opens the flow filtered,
and the tables re-lay their columns on resize."""

from __future__ import annotations

import pytest
from console_data import make_app, open_pane, plain_rows, press, rendered, run, settle
from rep_console_data import (
    ACCOUNT_DAILY,
    HOSTILE_SET,
    MARKETING_DAILY,
    STREAMS,
    cloudwatch,
    fill_streams,
)

from sestui.config.schema import Breakdown
from sestui.core.reputation import hours_to_cross, pace_text
from sestui.store import Store, now_ms
from sestui.ui.text import safe


@pytest.fixture
def estimates_only(tmp_path):
    with Store(tmp_path / "estimates.db") as s:
        fill_streams(s, reading=None)
        yield s


def header(app) -> str:
    return rendered(app.main_screen.query_one("#health"))


def table_rows(table) -> dict[str, list[str]]:
    return {str(key.value): [cell.plain for cell in table.get_row(key)] for key in table.rows}


async def reputation_rows(pilot) -> dict[str, list[str]]:
    """Open pane 4; its table's rows by key."""
    await press(pilot, "4")
    return table_rows(pilot.app.pane("reputation").table)


# -- the header ---------------------------------------------------------------------------------


def test_header_shows_awss_figures_with_their_source(streams):
    app = make_app(streams)

    async def scenario(pilot):
        text = header(app)
        assert "bounce 1.23% aws" in text and "complaint 0.045% aws" in text
        assert "~est" not in text and "(14d)" not in text  # the window is AWS's, not ours

    run(app, scenario)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("read_ago_min, says", [(1, None), (20, "20m old")])
def test_header_says_how_old_awss_figures_are_once_no_collector_reads_them(tmp_path, read_ago_min, says, size):
    """The header shows the collector's reading; one older than a collector's poll and a minute is
    not being renewed, and says its age (a trial saw 2.35% "aws" for minutes after AWS said 0.64%)."""
    from dataclasses import replace

    from rep_console_data import NOW_MS, READING

    with Store(tmp_path / "aged.db") as store:
        fill_streams(store, reading=replace(READING, taken_ms=NOW_MS - read_ago_min * 60_000))
        app = make_app(store)

        async def scenario(pilot):
            text = header(app)
            assert "bounce 1.23% aws" in text
            assert (says in text) if says else (" old" not in text)
            assert "rej" in text and "LIVE" in text  # at 80 columns too

        run(app, scenario, size=size)


def test_header_without_awss_figures_labels_the_estimate(estimates_only):
    app = make_app(estimates_only)

    async def scenario(pilot):
        stats = estimates_only.send_stats(0)
        expected = sum(p["bounces"] for p in stats) / sum(p["delivery_attempts"] for p in stats)
        text = header(app)
        assert f"bounce {expected * 100:.1f}%~est" in text
        assert " aws" not in text

    run(app, scenario)


# -- pane 4 -------------------------------------------------------------------------------------


def test_reputation_table_shows_each_scopes_figure_and_marks_local_ones(streams):
    app = make_app(streams)

    async def scenario(pilot):
        rows = await reputation_rows(pilot)
        assert rows["account"][:3] == ["account", "1.23% aws", "0.045% aws"]
        assert rows["set:marketing"][:3] == ["marketing", "4.56% aws", "0.020% aws"]
        assert rows["set:transactional"][1:3] == ["4.0% local", "0.00% local"]  # metrics off: the local figure
        assert rows[f"set:{HOSTILE_SET}"][0] == safe(HOSTILE_SET)  # literal, escapes visible

    run(app, scenario)


def test_reputation_projection_uses_the_last_day_against_awss_figure(streams):
    app = make_app(streams)

    async def scenario(pilot):
        rows = await reputation_rows(pilot)
        # marketing: 4.56% now, the last 24 h bounced 4 of 50 (8%): it crosses 5%.
        assert rows["set:marketing"][3].startswith("review in ~")  # the column's heading says "At this pace"
        pane = app.pane("reputation")
        marketing = next(s for s in pane.scopes if s.name == "marketing")
        sends_14d = 14 * 50
        expected = hours_to_cross(0.0456, 4 / 50, 50 / 24, sends_14d, 0.05)
        assert marketing.pace["bounce"] == pytest.approx(expected)
        account = pane.scopes[0].pace
        assert account["complaint"] < account["bounce"]  # 1 complaint in the last day's ~80 sends: 0.1% passed
        assert rows["account"][3] == pace_text(account["complaint"], lead="") + " (complaints)"
        transactional = next(s for s in pane.scopes if s.name == "transactional")
        assert transactional.pace["bounce"] is None  # 4% heading to 1 in 25 = 4%: stays below

    run(app, scenario)


def test_reputation_chart_is_cloudwatchs_series_and_the_cursor_shows_each_day(streams):
    aws = cloudwatch()
    app = make_app(streams, aws=aws)

    async def scenario(pilot):
        pane = await open_pane(pilot, "reputation")
        body = rendered(pane.query_one("#rep-body"))
        assert "AWS CloudWatch, hourly" in body
        assert "2026-11-27 bounce 1.23% aws now" in body
        assert len(aws.calls) == 1 and aws.calls[0][0] == ("marketing",) and aws.calls[0][3] == 3600
        await pilot.press("left")
        assert pane.cursor == 12
        assert pane.day_value() == pytest.approx(ACCOUNT_DAILY[12])
        assert "2026-11-26 bounce 1.25% aws at day end" in rendered(pane.query_one("#rep-body"))
        await pilot.press("h", "h")
        assert pane.cursor == 10 and pane.day_value() == pytest.approx(ACCOUNT_DAILY[10])
        await pilot.press("l")
        assert pane.cursor == 11
        await pilot.press("down")  # the table's cursor picks the charted scope: marketing
        await pilot.pause()
        assert pane.selected == "marketing"
        assert pane.day_value() == pytest.approx(MARKETING_DAILY[11])
        assert "Bounce rate of marketing" in rendered(pane.query_one("#rep-body"))
        await press(pilot, "ctrl+r")
        assert len(aws.calls) == 1, "CloudWatch's series is not read again within minutes"

    run(app, scenario, size=(120, 40))


def test_reputation_per_day_counts_come_from_ses_statistics(streams):
    app = make_app(streams)

    async def scenario(pilot):
        pane = await open_pane(pilot, "reputation")
        account = pane.scopes[0]
        stats = streams.send_stats(pane.start_ms)
        assert sum(d["send"] for d in account.days) == sum(p["delivery_attempts"] for p in stats)
        assert sum(d["reject"] for d in account.days) == sum(p["rejects"] for p in stats)
        marketing = next(s for s in pane.scopes if s.name == "marketing")
        assert [d["bounce"] for d in marketing.days] == [4] * 14  # the spring campaign, every day
        assert [d["send"] for d in marketing.days] == [50] * 14

    run(app, scenario)


def test_reputation_chart_without_cloudwatch_is_the_labelled_estimate(estimates_only):
    app = make_app(estimates_only)

    async def scenario(pilot):
        await press(pilot, "4")
        body = rendered(app.pane("reputation").query_one("#rep-body"))
        assert "estimate from SES statistics, daily" in body and " est " in body
        rows = table_rows(app.pane("reputation").table)
        assert rows["account"][1].endswith(" est") and rows["set:marketing"][1].endswith(" local")

    run(app, scenario)


# -- pane 7 -------------------------------------------------------------------------------------


def breakdown_rows(app) -> list[list[str]]:
    return plain_rows(app, "breakdown")


def test_breakdown_puts_the_stream_that_bounces_most_on_top(streams):
    app = make_app(streams)

    async def scenario(pilot):
        await press(pilot, "7")
        rows = breakdown_rows(app)
        assert rows[0][0] == "marketing"
        expected = streams.breakdown(86_400_000, "configuration_set", now=app.ctx.now_ms())
        assert [r[0] for r in rows] == [safe(r["group"]) if r["group"] else "(none)" for r in expected]
        top = expected[0]
        assert rows[0][1:5] == [str(top["send"]), str(top["delivery"]), str(top["bounce_hard"]),
                                str(top["bounce"] - top["bounce_hard"])]
        assert rows[0][5] == f"{top['bounce_hard'] / top['send'] * 100:.1f}%"  # AWS's rate: hard bounces
        await pilot.press("b", "b", "b")  # configuration set -> from domain -> recipient domain -> campaign
        await settle(pilot)
        rows = breakdown_rows(app)
        assert rows[0][0] == "spring" and "campaign" in rendered(app.pane("breakdown").query_one("#bd-title"))
        await pilot.press("w")  # 24h -> 7d
        await settle(pilot)
        assert breakdown_rows(app)[0][3] == str(7 * 4)

    run(app, scenario)


def test_breakdown_rate_below_the_minimum_volume_is_not_coloured(streams):
    app = make_app(streams, breakdown=Breakdown(min_volume=20))

    async def scenario(pilot):
        pane = await open_pane(pilot, "breakdown")
        table = pane.table
        hostile = table.get_row(f"g:{HOSTILE_SET}")  # 3 a day: under the minimum of 20
        marketing = table.get_row("g:marketing")
        assert hostile[0].plain == safe(HOSTILE_SET)
        assert hostile[5].style.dim and not marketing[5].style.dim
        assert marketing[5].style.color is not None

    run(app, scenario)


def test_enter_on_a_group_opens_the_flow_filtered_to_it(streams):
    app = make_app(streams)

    async def scenario(pilot):
        await press(pilot, "7")
        await pilot.press("b", "b")  # recipient domain
        await settle(pilot)
        assert breakdown_rows(app)[0][0] == "bounce-heavy.example"
        await press(pilot, "enter")
        assert app.current == "flow"
        flow = app.pane("flow")
        assert flow.text == "domain:bounce-heavy.example"
        recipients = [flow.table.get_row_at(i)[2].plain for i in range(flow.table.row_count)]
        assert recipients and all(r.endswith("@bounce-heavy.example") for r in recipients)
        await pilot.press("escape")  # back to where it was opened from
        await pilot.press("escape")
        assert app.current == "breakdown"

    run(app, scenario)


@pytest.mark.parametrize("pane,key", [("reputation", "4"), ("breakdown", "7")])
def test_tables_re_lay_their_columns_on_resize_both_ways(streams, pane, key):
    app = make_app(streams)

    async def scenario(pilot):
        await pilot.press(key)
        await settle(pilot)
        table = app.pane(pane).table
        narrow = list(table.column_layout)
        assert sum(w for _, _, w in narrow) + 2 * len(narrow) <= 80
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        wide = list(table.column_layout)
        assert wide != narrow and sum(w for _, _, w in wide) > sum(w for _, _, w in narrow)
        assert len(table.columns) == len(wide) and table.row_count > 0
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert table.column_layout == narrow

    run(app, scenario)


def test_streams_fixture_holds_what_the_tests_assume():
    assert STREAMS[0][:2] == ("marketing", "spring") and STREAMS[0][4] > 0


# -- against the sandbox's CloudWatch ------------------------------------------------------------


def test_the_rates_shown_are_what_the_sandboxs_cloudwatch_returns(sandbox, clients_for, tmp_path):
    """No reading saved: the pane reads AWS itself, through sestui/aws, in a region of its own."""
    from console_data import fill

    from sestui.aws import Aws

    region = "ap-east-1"
    cloudwatch_client = clients_for(sandbox.info.endpoint_url, region, "cloudwatch")
    cloudwatch_client.put_metric_data(Namespace="AWS/SES", MetricData=[
        {"MetricName": "Reputation.BounceRate", "Value": 0.0234},
        {"MetricName": "Reputation.ComplaintRate", "Value": 0.0007}])
    with Store(tmp_path / "sandbox.db") as store:
        fill(store)
        app = make_app(store, aws=Aws(region=region, endpoint_url=sandbox.info.endpoint_url))
        app.ctx.clock = now_ms  # CloudWatch's points are stamped with the real time

        async def scenario(pilot):
            pane = await open_pane(pilot, "reputation")
            rows = table_rows(pane.table)
            assert rows["account"][1:3] == ["2.34% aws", "0.070% aws"]
            assert pane.scopes[0].series_source == "cloudwatch"
            assert pane.day_value() == pytest.approx(0.0234)

        run(app, scenario)


def test_each_group_maps_to_the_flows_filter_syntax(streams):
    app = make_app(streams)

    async def scenario(pilot):
        pane = app.pane("breakdown")
        expected = {"configuration_set": "set:marketing", "from_domain": "domain:marketing",
                    "recipient_domain": "domain:marketing", "campaign": "tag:campaign=marketing",
                    "bounce_class": "type:bounce", "feedback_type": "type:complaint"}
        for group_by, text in expected.items():
            pane.group_by = group_by
            assert pane.flow_filter("marketing") == text
        pane.group_by = "campaign"
        assert pane.flow_filter("") is None and pane.flow_filter("two words") is None

    run(app, scenario)


def test_reputation_table_says_a_set_the_header_marks_paused_is_paused(streams):
    from sestui.ui.widgets.header import HealthHeader

    app = make_app(streams)

    async def scenario(pilot):
        pane = await open_pane(pilot, "reputation")
        assert table_rows(pane.table)["set:marketing"][-1] != "sending PAUSED"
        app.main_screen.query_one(HealthHeader).paused_sets = ("marketing",)  # as the Actions pane keeps it
        pane.relayout(force=True)
        await settle(pilot)
        rows = table_rows(pane.table)
        assert rows["set:marketing"][-1] == "sending PAUSED"
        assert rows["account"][-1] != "sending PAUSED" and rows["set:transactional"][-1] != "sending PAUSED"

    run(app, scenario)


# -- narrow terminals: never a number cut to its last digits ----------------------------------------


def test_at_60_columns_no_count_or_rate_is_cut_to_a_wrong_number(streams):
    """At 60x20 a day's column is 3 characters: "104" used to show as "04", and the breakdown's
    last column, cut at the screen's edge, showed "1" for "1.37%". Now a count too wide for its
    day is "…" (the cursor line says the day's counts), the breakdown drops whole columns, and
    the pace says its unit."""
    import re

    app = make_app(streams)

    async def scenario(pilot):
        pane = await open_pane(pilot, "reputation")
        body = rendered(pane.query_one("#rep-body")).splitlines()
        sends = next(line for line in body if line.startswith("Sends"))
        shown = {int(n) for n in re.findall(r"\b\d+\b", sends)}
        counts = {day["send"] for day in pane.scope.days}
        assert shown <= counts and "…" in sends  # daily sends are thousands: too wide, never cut
        cursor = next(line for line in body if "now" in line)
        assert "snd " in cursor  # the cursor day's counts in short form
        for row in table_rows(pane.table).values():
            assert not re.search(r"~\d+$", row[3])  # "review ~48 d", not "review in ~48"
        breakdown = await open_pane(pilot, "breakdown")
        widths = sum(w for _, _, w in breakdown.table.column_layout) + 2 * len(breakdown.table.column_layout)
        assert widths <= app.size.width
        for row in table_rows(breakdown.table).values():
            for cell in row[1:]:
                assert re.fullmatch(r"-|[\d,]+|\d+\.\d+%", cell.strip()), cell

    run(app, scenario, size=(60, 20))
