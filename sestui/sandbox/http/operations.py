"""Which SES operations the sandbox answers, and who answers them: generated from the code (the
sandbox's own handlers, moto's response classes) against botocore's service models, so the table
in README.md is never hand-kept. `python -m sestui.sandbox.http.operations` prints it."""

from __future__ import annotations

import botocore.session
from moto.core.utils import camelcase_to_underscores

from ..ses.api import HANDLERS
from .unsupported import _MOTO_RESPONSES

SERVICES = {"ses": "SES v1", "sesv2": "SESv2"}


def operations() -> dict[str, dict[str, list[str]]]:
    """service -> {"sandbox": [...], "moto": [...], "error": [...]} over every modelled operation."""
    session = botocore.session.get_session()
    out: dict[str, dict[str, list[str]]] = {}
    for service in SERVICES:
        groups: dict[str, list[str]] = {"sandbox": [], "moto": [], "error": []}
        responses = _MOTO_RESPONSES[service]
        for name in sorted(session.get_service_model(service).operation_names):
            if (service, name) in HANDLERS:
                groups["sandbox"].append(name)
            elif callable(getattr(responses, camelcase_to_underscores(name), None)):
                groups["moto"].append(name)
            else:
                groups["error"].append(name)
        out[service] = groups
    return out


def markdown() -> str:
    lines = ["| service | answered by the sandbox's SES model | answered by moto | not emulated: an AWS-shaped "
             "error (HTTP 400, `UnknownOperationException` / `InvalidAction`) |", "|---|---|---|---|"]
    for service, groups in operations().items():
        cells = [", ".join(f"`{op}`" for op in groups[kind]) or "-" for kind in ("sandbox", "moto")]
        lines.append(f"| {SERVICES[service]} | {cells[0]} | {cells[1]} | {len(groups['error'])} operations |")
    lines.append("| SNS, SQS, CloudWatch | - | every operation moto implements (topics, subscriptions, "
                 "queues, GetMetricData, PutMetricData, ...), after the requests AWS refuses before acting are "
                 "refused as AWS words it (`http/request_checks.py`) | moto's own answer |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
