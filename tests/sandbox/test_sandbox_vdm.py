"""Virtual Deliverability Manager in the sandbox: PutAccountVdmAttributes / GetAccount, and
BatchGetMetricData counting what SES counts (single-recipient, non-simulator mail, by identity,
configuration set and ISP), refusing what SES refuses, and nothing while VDM is off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from sestui.sandbox.ses.deliverability_metrics import UNKNOWN_ISP, isp_of


@pytest.fixture
def box(own_sandbox):
    return own_sandbox(seed=5)


def enable(box) -> None:
    box.clients.sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ENABLED"})


def send(box, to: list[str], configuration_set: str | None = None) -> None:
    extra = {"ConfigurationSetName": configuration_set} if configuration_set else {}
    box.clients.sesv2.send_email(
        FromEmailAddress=f"news@{box.info.identity}", Destination={"ToAddresses": to},
        Content={"Simple": {"Subject": {"Data": "Hello"}, "Body": {"Text": {"Data": "Hi"}}}}, **extra)


def query(box, metric: str, **dimensions: str) -> dict:
    now = datetime.now(UTC)
    q = {"Id": "q", "Namespace": "VDM", "Metric": metric, "StartDate": now - timedelta(days=1),
         "EndDate": now + timedelta(minutes=1)}
    if dimensions:
        q["Dimensions"] = dimensions
    return box.clients.sesv2.batch_get_metric_data(Queries=[q])


def total(box, metric: str, **dimensions: str) -> int:
    return sum(query(box, metric, **dimensions)["Results"][0]["Values"])


def test_isp_names_are_the_ones_ses_uses():
    assert isp_of("ana@gmail.com") == "Gmail" and isp_of("Ben <ben@Outlook.com>") == "Hotmail"
    assert isp_of("c@yahoo.co.uk") == "Yahoo" and isp_of("d@me.com") == "Icloud"
    assert isp_of("e@contoso.onmicrosoft.com") == "ExchangeOnline"
    assert isp_of("f@example.com") == UNKNOWN_ISP


def test_vdm_is_off_until_enabled_and_get_account_says_so(box):
    assert box.clients.sesv2.get_account()["VdmAttributes"]["VdmEnabled"] == "DISABLED"
    with pytest.raises(ClientError) as refused:
        query(box, "SEND")
    assert refused.value.response["Error"]["Code"] == "NotFoundException"
    assert "PutAccountVdmAttributes" in refused.value.response["Error"]["Message"]
    box.clients.sesv2.put_account_vdm_attributes(VdmAttributes={
        "VdmEnabled": "ENABLED", "DashboardAttributes": {"EngagementMetrics": "ENABLED"}})
    got = box.clients.sesv2.get_account()["VdmAttributes"]
    assert got["VdmEnabled"] == "ENABLED" and got["DashboardAttributes"]["EngagementMetrics"] == "ENABLED"
    assert query(box, "SEND")["Results"] == [{"Id": "q", "Timestamps": [], "Values": []}]


def test_counts_by_isp_as_ses_does(box):
    send(box, ["before@gmail.com"])  # VDM still off: never counted
    enable(box)
    for to in ("a@gmail.com", "b@gmail.com", "c@nope.invalid", "d+complaint@yahoo.com", "e@outlook.com",
               "f+complaint@gmail.com", "g@example.com", f"bounce@{'simulator.amazonses.com'}"):
        send(box, [to], "marketing")
    send(box, ["h@gmail.com", "i@gmail.com"])  # two recipients: VDM leaves it out
    assert box.wait_idle(20)
    assert total(box, "SEND") == 7
    assert total(box, "SEND", ISP="Gmail") == 3
    assert total(box, "DELIVERY", ISP="Gmail") == 3
    assert total(box, "COMPLAINT", ISP="Gmail") == 1
    assert total(box, "DELIVERY_COMPLAINT", ISP="Gmail") == 0  # Gmail runs no feedback loop
    assert total(box, "COMPLAINT", ISP="Yahoo") == 1 and total(box, "DELIVERY_COMPLAINT", ISP="Yahoo") == 1
    assert total(box, "PERMANENT_BOUNCE") == 1  # the .invalid one; the simulator's never counts
    assert total(box, "PERMANENT_BOUNCE", ISP="Gmail,Yahoo,Hotmail") == 0
    assert total(box, "SEND", ISP="Gmail,Hotmail") == 4
    assert total(box, "SEND", CONFIGURATION_SET="marketing", ISP="*") == 7
    assert total(box, "SEND", CONFIGURATION_SET="other") == 0
    assert total(box, "SEND", EMAIL_IDENTITY=box.info.identity.upper(), ISP="Yahoo") == 1
    one_day = query(box, "SEND", ISP="Gmail")["Results"][0]
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert len(one_day["Timestamps"]) == 1 and one_day["Timestamps"][0] == midnight


@pytest.mark.parametrize("dimensions, why", [
    ({"ISP": "Unknown ISP"}, "invalid ISP"),
    ({"ISP": "Outlook"}, "invalid ISP"),
    ({"ISP": "*", "CONFIGURATION_SET": "a,b"}, "one value"),
    ({"ISP": ",".join(["Gmail"] * 11)}, "values"),
])
def test_refuses_what_ses_refuses(box, dimensions, why):
    enable(box)
    with pytest.raises(ClientError) as refused:
        query(box, "SEND", **dimensions)
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
    assert why in refused.value.response["Error"]["Message"]


def test_put_vdm_attributes_validates(box):
    with pytest.raises(ClientError) as refused:
        box.clients.sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ON"})
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
    assert box.clients.sesv2.get_account()["VdmAttributes"]["VdmEnabled"] == "DISABLED"


def test_the_demo_history_has_vdm_on_and_marketing_bouncing_at_hotmail(box):
    box.backfill(14)
    assert box.clients.sesv2.get_account()["VdmAttributes"]["VdmEnabled"] == "ENABLED"
    now = datetime.now(UTC)

    def days(metric: str, back: int = 15, **dimensions: str) -> list[int]:
        q = {"Id": "q", "Namespace": "VDM", "Metric": metric, "Dimensions": dimensions,
             "StartDate": now - timedelta(days=back), "EndDate": now}
        return box.clients.sesv2.batch_get_metric_data(Queries=[q])["Results"][0]["Values"]

    assert len(days("SEND", ISP="*")) == 14
    rate = {isp: sum(days("PERMANENT_BOUNCE", 7, CONFIGURATION_SET="marketing", ISP=isp))
            / sum(days("SEND", 7, CONFIGURATION_SET="marketing", ISP=isp)) for isp in ("Gmail", "Hotmail", "Yahoo")}
    assert rate["Hotmail"] > 2 * max(rate["Gmail"], rate["Yahoo"]), rate
    assert sum(days("COMPLAINT", ISP="Gmail")) == 0 and sum(days("DELIVERY_COMPLAINT", ISP="Gmail")) == 0
