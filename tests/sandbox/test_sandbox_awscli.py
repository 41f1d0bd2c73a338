"""An independent client: the AWS CLI v1 (its own botocore, an older SESv2 model) against
`sestui sandbox` (the `cli` fixture: tests/sandbox/conftest.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta


SIM = "simulator.amazonses.com"


def test_the_cli_lists_identities_and_configuration_sets(cli, sandbox):
    code, out, err = cli("sesv2", "list-email-identities")
    assert code == 0, err
    assert sandbox.info.identity in [i["IdentityName"] for i in out["EmailIdentities"]]
    code, out, err = cli("sesv2", "list-configuration-sets")
    assert code == 0, err
    assert sandbox.info.configuration_set in out["ConfigurationSets"]


def test_the_cli_pages_v1_identities(cli, aws):
    aws.ses.verify_email_identity(EmailAddress="cli-a@sestui.test")
    code, out, err = cli("ses", "list-identities", "--max-items", "1")
    assert code == 0, err
    assert len(out["Identities"]) == 1 and out["NextToken"]
    code, second, err = cli("ses", "list-identities", "--max-items", "1", "--starting-token", out["NextToken"])
    assert code == 0, err
    assert len(second["Identities"]) == 1 and second["Identities"] != out["Identities"]
    code, paged, err = cli("ses", "list-identities", "--page-size", "1")
    assert code == 0, err
    assert "cli-a@sestui.test" in paged["Identities"] and len(paged["Identities"]) >= 2


def test_the_cli_reads_the_account_and_an_identity(cli, sandbox):
    code, out, err = cli("sesv2", "get-account")
    assert code == 0, err
    assert out["ProductionAccessEnabled"] is True and "SendQuota" in out
    code, out, err = cli("sesv2", "get-email-identity", "--email-identity", sandbox.info.identity)
    assert code == 0, err
    assert out["VerifiedForSendingStatus"] is True and isinstance(out["Tags"], list)
    code, out, err = cli("ses", "get-send-quota")
    assert code == 0, err
    assert set(out) == {"Max24HourSend", "MaxSendRate", "SentLast24Hours"}


def test_the_cli_sends_and_the_events_arrive(cli, event_queue):
    content = json.dumps({"Simple": {"Subject": {"Data": "from the cli"}, "Body": {"Text": {"Data": "x"}}}})
    code, out, err = cli("sesv2", "send-email", "--from-email-address", "cli@sestui.test",
                         "--destination", json.dumps({"ToAddresses": [f"success@{SIM}"]}), "--content", content)
    assert code == 0, err
    assert {event_queue.kind(r) for r in event_queue.records_for(out["MessageId"], {"Send", "Delivery"})} >= {
        "Send", "Delivery"}


def test_an_operation_the_sandbox_does_not_emulate_reads_as_such(cli):
    code, out, err = cli("sesv2", "get-deliverability-dashboard-options")
    assert code != 0 and out is None
    assert "UnknownOperationException" in err and "sestui sandbox does not emulate" in err
    assert "<html" not in err.lower()


def test_the_cli_reads_vdm_metrics_per_isp(cli, sandbox, aws):
    """`aws sesv2 batch-get-metric-data`: refused while VDM is off, then the day's count of a
    configuration set's mail to Gmail (VDM is set back to off for the other tests)."""
    now = datetime.now(UTC)
    name = f"cli-vdm-{time.monotonic_ns()}"
    queries = json.dumps([{"Id": "gmail", "Namespace": "VDM", "Metric": "SEND",
                           "Dimensions": {"CONFIGURATION_SET": name, "ISP": "Gmail"},
                           "StartDate": (now - timedelta(days=1)).isoformat(),
                           "EndDate": (now + timedelta(hours=1)).isoformat()}])
    code, out, err = cli("sesv2", "batch-get-metric-data", "--queries", queries)
    assert code != 0 and "NotFoundException" in err
    vdm = sandbox.ses_account(sandbox.info.region).vdm
    try:
        code, out, err = cli("sesv2", "put-account-vdm-attributes", "--vdm-attributes", "VdmEnabled=ENABLED")
        assert code == 0, err
        aws.sesv2.create_configuration_set(ConfigurationSetName=name)
        content = {"Simple": {"Subject": {"Data": "vdm"}, "Body": {"Text": {"Data": "x"}}}}
        for to in ("ana@gmail.com", "ben@gmail.com", "eve@yahoo.com"):
            aws.sesv2.send_email(FromEmailAddress="cli@sestui.test", Destination={"ToAddresses": [to]},
                                 Content=content, ConfigurationSetName=name)
        code, out, err = cli("sesv2", "batch-get-metric-data", "--queries", queries)
        assert code == 0, err
        (result,) = out["Results"]
        assert result["Id"] == "gmail" and result["Values"] == [2] and len(result["Timestamps"]) == 1
        code, out, err = cli("sesv2", "get-account")
        assert code == 0 and out["VdmAttributes"]["VdmEnabled"] == "ENABLED", err
    finally:
        vdm.attributes = {"VdmEnabled": "DISABLED"}
