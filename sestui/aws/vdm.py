"""Virtual Deliverability Manager: `aws.vdm` — whether the account has it (GetAccount
VdmAttributes) and its counts per recipient ISP (SESv2 BatchGetMetricData, namespace VDM).

VDM counts only mail addressed to one recipient, never the mailbox simulator's, by UTC day. A
query names its ISPs; no API lists them, and SES's catch-all (`Unknown ISP`) cannot be named, so
the mail of every other ISP is what the `*` total leaves once the named ones are taken out.
A complaint rate is complaints over DELIVERY_COMPLAINT, the deliveries to ISPs that report
complaints at all: Gmail runs no feedback loop, so its complaint rate is not known (None), not 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sestui.aws.client import Aws

# The ISP names SES matches on in the ISP dimension (measured against SES; others match nothing).
ISPS = ("Gmail", "Hotmail", "Yahoo", "Icloud", "Aol", "Comcast", "Gmx", "Tencent", "NetEase", "ExchangeOnline")
OTHER = "other ISPs"
METRICS = ("SEND", "DELIVERY", "PERMANENT_BOUNCE", "TRANSIENT_BOUNCE", "COMPLAINT", "DELIVERY_COMPLAINT")
MAX_QUERIES = 10  # BatchGetMetricData's limit per request
ENABLE_COMMAND = "aws sesv2 put-account-vdm-attributes --vdm-attributes VdmEnabled=ENABLED"
BATCH_ACTION = "ses:BatchGetMetricData"


@dataclass(frozen=True)
class VdmState:
    enabled: bool
    engagement_metrics: bool = False


@dataclass
class IspFigures:
    """One ISP's (or OTHER's) sums over the window, by VDM metric; a metric whose query failed is absent."""

    isp: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def sends(self) -> int:
        return self.counts.get("SEND", 0)

    @property
    def bounce_rate(self) -> float | None:
        """Permanent bounces over sends (the bounces AWS's bounce rate counts)."""
        if "PERMANENT_BOUNCE" not in self.counts or not self.sends:
            return None
        return self.counts["PERMANENT_BOUNCE"] / self.sends

    @property
    def complaint_rate(self) -> float | None:
        """Complaints over the deliveries the ISP can complain about; None without a feedback loop."""
        base = self.counts.get("DELIVERY_COMPLAINT", 0)
        return self.counts["COMPLAINT"] / base if base and "COMPLAINT" in self.counts else None


class Vdm:
    def __init__(self, aws: Aws):
        self._aws = aws

    def state(self) -> VdmState:
        attributes = self._aws.call("sesv2", "GetAccount").get("VdmAttributes") or {}
        dashboard = attributes.get("DashboardAttributes") or {}
        return VdmState(attributes.get("VdmEnabled") == "ENABLED", dashboard.get("EngagementMetrics") == "ENABLED")

    def by_isp(self, start: datetime, end: datetime, *, configuration_set: str | None = None,
               isps: tuple[str, ...] = ISPS) -> list[IspFigures] | None:
        """Each named ISP's sums and OTHER's (the rest of the `*` total), busiest first; None when
        SES has no VDM data for the account (VDM is off). Raises AwsError for other failures."""
        scopes = [*isps, "*"]
        queries, where = [], {}
        for n, isp in enumerate(scopes):
            dimensions = {"ISP": isp}
            if configuration_set:
                dimensions["CONFIGURATION_SET"] = configuration_set
            for m, metric in enumerate(METRICS):
                query_id = f"q{n}_{m}"
                where[query_id] = (isp, metric)
                queries.append({"Id": query_id, "Namespace": "VDM", "Metric": metric, "Dimensions": dimensions,
                                "StartDate": start, "EndDate": end})
        sums: dict[str, dict[str, int]] = {isp: {} for isp in scopes}
        for first in range(0, len(queries), MAX_QUERIES):
            reply = self._aws.call_or_none("sesv2", "BatchGetMetricData", Queries=queries[first:first + MAX_QUERIES])
            if reply is None:
                return None
            for result in reply.get("Results") or []:
                isp, metric = where[result["Id"]]
                sums[isp][metric] = sum(int(v) for v in result.get("Values") or [])
        named = [IspFigures(isp, sums[isp]) for isp in isps]
        total = sums["*"]
        rest = {metric: total[metric] - sum(f.counts.get(metric, 0) for f in named)
                for metric in total if all(metric in f.counts for f in named)}
        rows = [f for f in named if f.sends or any(f.counts.values())]
        if any(rest.values()):
            rows.append(IspFigures(OTHER, rest))
        return sorted(rows, key=lambda f: (f.isp == OTHER, -f.sends, f.isp))

