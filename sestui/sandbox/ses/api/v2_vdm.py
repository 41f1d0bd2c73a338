"""SESv2 (REST-JSON): Virtual Deliverability Manager — PutAccountVdmAttributes and
BatchGetMetricData (see deliverability_metrics for what is counted).

A query's `Dimensions` map names at most three dimensions, each `*` (every value) or up to ten
comma-separated values; with a `*`, the other dimensions take one value. An `ISP` value SES does
not know (its catch-all `Unknown ISP` included) fails the whole request, as SES does. A result
holds one point per UTC day that counted anything, the sum over every value the query matched.

While VDM is disabled SES has no VDM data for the account; the sandbox then refuses the whole
request with NotFoundException (the operation's modelled "resource does not exist"); AWS does not
document which error it sends, so clients should not tell this apart from other refusals by code.
"""

from __future__ import annotations

from ...http.protocol import ApiError, Call
from ..deliverability_metrics import DIMENSIONS, ISPS, METRICS
from ..regional_account import SesAccount
from .registry import handles

MAX_QUERIES = 10
MAX_VALUES = 10
_FEATURE = ("ENABLED", "DISABLED")


def _bad(message: str) -> ApiError:
    return ApiError("BadRequestException", message)


@handles("sesv2", "PutAccountVdmAttributes")
def put_account_vdm_attributes(account: SesAccount, call: Call, p: dict) -> dict:
    attributes = p.get("VdmAttributes") or {}
    if attributes.get("VdmEnabled") not in _FEATURE:
        raise _bad("VdmAttributes.VdmEnabled must be ENABLED or DISABLED.")
    for group, name in (("DashboardAttributes", "EngagementMetrics"), ("GuardianAttributes", "OptimizedSharedDelivery")):
        value = (attributes.get(group) or {}).get(name)
        if value is not None and value not in _FEATURE:
            raise _bad(f"VdmAttributes.{group}.{name} must be ENABLED or DISABLED.")
    account.vdm.put_attributes({k: v for k, v in attributes.items() if v is not None})
    return {}


def _wanted(query_id: str, dimensions: dict | None) -> dict[str, set[str] | None]:
    dimensions = dimensions or {}
    if len(dimensions) > 3:
        raise _bad(f"Query {query_id}: at most 3 dimensions.")
    wanted: dict[str, set[str] | None] = {}
    for name, raw in dimensions.items():
        if name not in DIMENSIONS:
            raise _bad(f"Query {query_id}: unknown dimension {name}.")
        if str(raw).strip() == "*":
            wanted[name] = None
            continue
        values = [v.strip() for v in str(raw).split(",")]
        if not all(values) or len(values) > MAX_VALUES:
            raise _bad(f"Query {query_id}: dimension {name} takes '*' or 1 to {MAX_VALUES} values.")
        if name == "ISP":
            unknown = [v for v in values if v not in ISPS]
            if unknown:
                raise _bad(f"Query {query_id}: invalid ISP value {unknown[0]}.")
        wanted[name] = {v.lower() for v in values} if name == "EMAIL_IDENTITY" else set(values)
    if None in wanted.values() and any(v is not None and len(v) > 1 for v in wanted.values()):
        raise _bad(f"Query {query_id}: with a '*' dimension, the others take one value.")
    return wanted


@handles("sesv2", "BatchGetMetricData")
def batch_get_metric_data(account: SesAccount, call: Call, p: dict) -> dict:
    queries = p.get("Queries") or []
    if not 1 <= len(queries) <= MAX_QUERIES:
        raise _bad(f"Queries must hold 1 to {MAX_QUERIES} queries.")
    ids = [q.get("Id") or "" for q in queries]
    if not all(0 < len(i) <= 255 for i in ids) or len(set(ids)) != len(ids):
        raise _bad("Every query needs an Id of 1 to 255 characters, unique in the batch.")
    plans = []
    for query in queries:
        query_id = query["Id"]
        if query.get("Namespace") != "VDM":
            raise _bad(f"Query {query_id}: Namespace must be VDM.")
        if query.get("Metric") not in METRICS:
            raise _bad(f"Query {query_id}: invalid metric {query.get('Metric')}.")
        start, end = query.get("StartDate"), query.get("EndDate")
        if start is None or end is None or start > end:
            raise _bad(f"Query {query_id}: StartDate and EndDate are required, StartDate not after EndDate.")
        plans.append((query_id, query["Metric"], _wanted(query_id, query.get("Dimensions")), start, end))
    if not account.vdm.enabled:
        raise ApiError("NotFoundException", "Virtual Deliverability Manager is not enabled for this account "
                                            "(PutAccountVdmAttributes VdmEnabled=ENABLED).")
    results = []
    for query_id, metric, wanted, start, end in plans:
        points = account.vdm.series(metric, wanted, start, end)
        results.append({"Id": query_id, "Timestamps": [t for t, _ in points], "Values": [n for _, n in points]})
    return {"Results": results, "Errors": []}
