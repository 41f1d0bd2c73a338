"""The demo account's past: two weeks of statistics and a suppression list, seen through SES APIs."""

from __future__ import annotations

import pytest

from sestui.sandbox import Sandbox


@pytest.fixture(scope="module")
def with_history(clients_for):
    box = Sandbox(wiring=False, seed=3)
    info = box.start()
    box.backfill(14)
    yield clients_for(info.endpoint_url, info.region)
    box.stop()


def test_statistics_cover_two_weeks_with_a_day_that_crossed_the_review_threshold(with_history):
    points = sorted(with_history.ses.get_send_statistics()["SendDataPoints"], key=lambda p: p["Timestamp"])
    span = points[-1]["Timestamp"] - points[0]["Timestamp"]
    assert len(points) > 1300 and span.days >= 13
    attempts = sum(p["DeliveryAttempts"] for p in points)
    bounces = sum(p["Bounces"] for p in points)
    assert 0.005 < bounces / attempts < 0.03, "overall healthy"
    worst_day = max(
        (sum(p["Bounces"] for p in points[i:i + 12]) / max(1, sum(p["DeliveryAttempts"] for p in points[i:i + 12])))
        for i in range(0, len(points) - 12, 4)
    )
    assert worst_day > 0.05, "one bad afternoon went over the 5% review line"


def test_the_last_day_counts_toward_the_quota(with_history):
    assert with_history.ses.get_send_quota()["SentLast24Hours"] > 1000


def test_suppressed_addresses_span_both_reasons_and_several_pages(with_history):
    pages, token, reasons = 0, None, set()
    while True:
        params = {"PageSize": 50} | ({"NextToken": token} if token else {})
        reply = with_history.sesv2.list_suppressed_destinations(**params)
        pages += 1
        reasons |= {s["Reason"] for s in reply["SuppressedDestinationSummaries"]}
        token = reply.get("NextToken")
        if not token:
            break
    assert pages >= 2 and reasons == {"BOUNCE", "COMPLAINT"}
