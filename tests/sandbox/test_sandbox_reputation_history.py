"""The demo account's past in CloudWatch: 14 days of hourly Reputation.* points for the account
and the "marketing" configuration set, the set drifting toward the 5% review line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sestui.sandbox import Sandbox


@pytest.fixture(scope="module")
def series(clients_for):
    box = Sandbox(wiring=False, seed=5)
    info = box.start()
    box.backfill(14)
    cloudwatch = clients_for(info.endpoint_url, info.region, "cloudwatch")
    now = datetime.now(UTC)
    queries = []
    for scope, dims in (("account", []), ("marketing", [{"Name": "ses:configuration-set", "Value": "marketing"}])):
        for kind, name in (("bounce", "Reputation.BounceRate"), ("complaint", "Reputation.ComplaintRate")):
            queries.append({"Id": f"{scope}_{kind}", "MetricStat": {
                "Metric": {"Namespace": "AWS/SES", "MetricName": name, "Dimensions": dims},
                "Period": 3600, "Stat": "Average"}})
    reply = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=now - timedelta(days=15), EndTime=now,
                                       ScanBy="TimestampAscending")
    yield {r["Id"]: list(zip(r["Timestamps"], r["Values"], strict=True)) for r in reply["MetricDataResults"]}
    box.stop()


def test_fourteen_days_of_hourly_points_for_the_account_and_the_set(series):
    for points in series.values():
        assert 14 * 24 - 2 <= len(points) <= 14 * 24 + 1
        span = points[-1][0] - points[0][0]
        assert timedelta(days=13, hours=22) <= span <= timedelta(days=14)
        assert all(0.0 <= value < 0.05 for _, value in points)


def test_the_marketing_set_drifts_toward_the_review_line(series):
    marketing = [v for _, v in series["marketing_bounce"]]
    account = [v for _, v in series["account_bounce"]]
    first_day, last_day = sum(marketing[:24]) / 24, sum(marketing[-24:]) / 24
    assert 0.015 < first_day < 0.025
    assert 0.04 < last_day < 0.05 and 0.04 < marketing[-1] < 0.05
    assert sum(account[-24:]) / 24 < last_day, "the set, not the whole account, is the one heading for review"
    complaints = [v for _, v in series["marketing_complaint"]]
    assert sum(complaints[-24:]) > sum(complaints[:24]) and max(complaints) < 0.001
