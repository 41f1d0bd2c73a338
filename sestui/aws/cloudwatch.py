"""CloudWatch: `aws.metrics` — the reputation rates SES itself enforces on.

SES publishes `Reputation.BounceRate` and `Reputation.ComplaintRate` (namespace AWS/SES, values
0..1) for the account, and for a configuration set whose reputation metrics are enabled, with the
dimension `ses:configuration-set` = the set's name. One GetMetricData request reads them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sestui.aws.ses import utc

if TYPE_CHECKING:
    from sestui.aws.client import Aws

NAMESPACE = "AWS/SES"
BOUNCE_RATE, COMPLAINT_RATE = "Reputation.BounceRate", "Reputation.ComplaintRate"
CONFIGURATION_SET_DIMENSION = "ses:configuration-set"
MAX_QUERIES = 500  # GetMetricData's limit per request


@dataclass
class ReputationSeries:
    """One scope's rates, oldest first: the account's (configuration_set None) or one set's."""

    configuration_set: str | None
    bounce_rate: list[tuple[datetime, float]] = field(default_factory=list)
    complaint_rate: list[tuple[datetime, float]] = field(default_factory=list)

    def latest(self) -> tuple[float | None, float | None]:
        """(bounce rate, complaint rate) of the newest points, None where there is none."""
        return (self.bounce_rate[-1][1] if self.bounce_rate else None,
                self.complaint_rate[-1][1] if self.complaint_rate else None)


class ReputationMetrics:
    def __init__(self, aws: Aws):
        self._aws = aws

    def reputation(self, configuration_sets: list[str], start: datetime, end: datetime, *,
                   period: int = 3600) -> dict[str | None, ReputationSeries]:
        """The account's series (key None) and each set's, from one GetMetricData request (its
        paginator follows NextToken when there are many points)."""
        scopes: list[str | None] = [None, *dict.fromkeys(configuration_sets)]
        if 2 * len(scopes) > MAX_QUERIES:
            raise ValueError(f"at most {MAX_QUERIES // 2 - 1} configuration sets in one request")
        queries, where = [], {}
        for n, scope in enumerate(scopes):
            dimensions = [{"Name": CONFIGURATION_SET_DIMENSION, "Value": scope}] if scope else []
            for prefix, metric in (("b", BOUNCE_RATE), ("c", COMPLAINT_RATE)):
                query_id = f"{prefix}{n}"
                where[query_id] = (scope, metric)
                queries.append({"Id": query_id, "ReturnData": True, "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dimensions},
                    "Period": period, "Stat": "Average"}})
        series = {scope: ReputationSeries(scope) for scope in scopes}
        for page in self._aws.pages("cloudwatch", "GetMetricData", MetricDataQueries=queries, StartTime=start,
                                    EndTime=end, ScanBy="TimestampAscending"):
            for result in page.get("MetricDataResults", []):
                scope, metric = where[result["Id"]]
                target = series[scope].bounce_rate if metric == BOUNCE_RATE else series[scope].complaint_rate
                points = zip(result.get("Timestamps", []), result.get("Values", []), strict=True)
                target += [(utc(t), float(v)) for t, v in points]
        for one in series.values():
            one.bounce_rate.sort(key=_first)
            one.complaint_rate.sort(key=_first)
        return series


def _first(point: tuple[datetime, Any]) -> datetime:
    return point[0]
