"""The reputation figures AWS acts on: CloudWatch `AWS/SES` `Reputation.BounceRate` and
`Reputation.ComplaintRate`, for the account and for each configuration set whose reputation
metrics are on (SESv2 GetConfigurationSet `ReputationOptions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sestui.aws.client import Aws, AwsError

NAMESPACE = "AWS/SES"
METRICS = {"bounce": "Reputation.BounceRate", "complaint": "Reputation.ComplaintRate"}
SET_DIMENSION = "ses:configuration-set"  # the auto-tag SES publishes per-set metrics under
MAX_QUERIES = 500  # GetMetricData's limit per request


@dataclass(frozen=True)
class Series:
    """One metric's points, oldest first: (epoch ms, fraction)."""

    configuration_set: str | None
    kind: str  # bounce | complaint
    points: list[tuple[int, float]]

    @property
    def latest(self) -> tuple[int, float] | None:
        return self.points[-1] if self.points else None


def configuration_sets(aws: Aws) -> dict[str, bool]:
    """Every configuration set -> whether SES publishes its reputation metrics."""
    names: list[str] = []
    params: dict[str, Any] = {}
    while True:
        resp = aws.call("sesv2", "ListConfigurationSets", **params)
        names += resp.get("ConfigurationSets", [])
        if not resp.get("NextToken"):
            break
        params["NextToken"] = resp["NextToken"]
    out: dict[str, bool] = {}
    for name in names:
        try:
            detail = aws.call("sesv2", "GetConfigurationSet", ConfigurationSetName=name)
        except AwsError as exc:
            if exc.kind == "not_found":  # deleted between the two calls
                continue
            raise
        out[name] = bool((detail.get("ReputationOptions") or {}).get("ReputationMetricsEnabled"))
    return out


def enable_reputation_metrics(aws: Aws, configuration_set: str) -> None:
    aws.call("sesv2", "PutConfigurationSetReputationOptions", ConfigurationSetName=configuration_set,
             ReputationMetricsEnabled=True)


def reputation_series(aws: Aws, configuration_sets: list[str], *, start: datetime, end: datetime,
                      period_s: int = 3600) -> list[Series]:
    """Account and per-set bounce and complaint rates between `start` and `end`, in as few
    GetMetricData calls as the 500-query limit allows (one, for up to 249 sets)."""
    targets: list[str | None] = [None, *configuration_sets]
    queries, meaning = [], {}
    for i, target in enumerate(targets):
        for kind, metric in METRICS.items():
            qid = f"{kind[0]}{i}"
            dims = [{"Name": SET_DIMENSION, "Value": target}] if target is not None else []
            queries.append({"Id": qid, "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dims},
                "Period": period_s, "Stat": "Average"}})
            meaning[qid] = (target, kind)
    points: dict[str, list[tuple[int, float]]] = {qid: [] for qid in meaning}
    for first in range(0, len(queries), MAX_QUERIES):
        params: dict[str, Any] = {"MetricDataQueries": queries[first:first + MAX_QUERIES], "StartTime": start,
                                  "EndTime": end, "ScanBy": "TimestampAscending"}
        while True:
            resp = aws.call("cloudwatch", "GetMetricData", **params)
            for result in resp.get("MetricDataResults", []):
                for when, value in zip(result.get("Timestamps", []), result.get("Values", [])):
                    points[result["Id"]].append((int(when.timestamp() * 1000), float(value)))
            if not resp.get("NextToken"):
                break
            params["NextToken"] = resp["NextToken"]
    return [Series(meaning[qid][0], meaning[qid][1], sorted(pts)) for qid, pts in points.items()]


def latest_rates(aws: Aws, configuration_sets: list[str], *, now: datetime,
                 lookback: timedelta = timedelta(days=2)) -> list[Series]:
    """The newest point of each series: AWS publishes these figures about hourly, and keeps the last
    value while nothing is sent, so two days back is enough to find it."""
    # Periods start on the hour, and the current hour's period must reach past now to include
    # the newest point.
    hour = now.replace(minute=0, second=0, microsecond=0)
    return reputation_series(aws, configuration_sets, start=hour - lookback, end=hour + timedelta(hours=1),
                             period_s=3600)
