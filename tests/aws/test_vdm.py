"""`aws.vdm` against the sandbox: VDM's state from GetAccount, and per-ISP sums from
BatchGetMetricData (batched by ten), the unnamed ISPs as the rest of the `*` total."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sestui.aws.vdm import ISPS, OTHER

SENDER = "aws-tests@sestui.test"


@pytest.fixture
def vdm_account(sandbox):
    """The session sandbox's VDM switch, set back to off after the test."""
    vdm = sandbox.ses_account(sandbox.info.region).vdm
    yield vdm
    vdm.attributes = {"VdmEnabled": "DISABLED"}


def window() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(days=1), now + timedelta(hours=1)


def test_vdm_off_reads_as_none(sestui_aws, vdm_account):
    assert sestui_aws.vdm.state().enabled is False
    assert sestui_aws.vdm.by_isp(*window()) is None


def test_per_isp_sums_and_rates(sestui_aws, aws, sandbox, vdm_account, unique, requests_of):
    aws.sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ENABLED",
                                                        "DashboardAttributes": {"EngagementMetrics": "ENABLED"}})
    state = sestui_aws.vdm.state()
    assert state.enabled and state.engagement_metrics
    name = unique("vdm")
    aws.sesv2.create_configuration_set(ConfigurationSetName=name)
    for to in ("a@gmail.com", "b@gmail.com", "c+complaint@gmail.com", "d@yahoo.com", "e+complaint@yahoo.com",
               "f@example.com", "g@example.com", "h@gone.invalid"):
        aws.sesv2.send_email(FromEmailAddress=SENDER, Destination={"ToAddresses": [to]},
                             Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "x"}}}},
                             ConfigurationSetName=name)
    assert sandbox.wait_idle(20)
    calls = requests_of("sesv2", "BatchGetMetricData")

    rows = sestui_aws.vdm.by_isp(*window(), configuration_set=name)

    assert rows is not None and [r.isp for r in rows] == ["Gmail", "Yahoo", OTHER]
    gmail, yahoo, other = rows
    assert gmail.sends == 3 and gmail.counts["COMPLAINT"] == 1 and gmail.complaint_rate is None  # no feedback loop
    assert yahoo.sends == 2 and yahoo.complaint_rate == pytest.approx(0.5) and yahoo.bounce_rate == 0
    assert other.sends == 3 and other.bounce_rate == pytest.approx(1 / 3)
    assert calls[0] == -(-(len(ISPS) + 1) * 6 // 10)  # every query, ten to a request
