"""The reputation pane's per-ISP view (`i`): VDM's counts for the scope under the table's cursor,
Gmail's complaint rate not known (no feedback loop), how to turn VDM on when it is off, an AWS
error shown as such; VDM read once per scope within minutes. Snapshots at 80x24 and 120x40."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from console_data import SNAPSHOT_SIZES, make_app, press, rendered, run, scenario
from rep_console_data import cloudwatch

from sestui.aws import AwsError, ErrorKind
from sestui.aws.vdm import OTHER, IspFigures, VdmState
from sestui.store import Store
from sestui.ui.app import ConsoleContext, SestuiApp

GMAIL = IspFigures("Gmail", {"SEND": 400, "DELIVERY": 380, "PERMANENT_BOUNCE": 12, "TRANSIENT_BOUNCE": 3,
                             "COMPLAINT": 0, "DELIVERY_COMPLAINT": 0})
YAHOO = IspFigures("Yahoo", {"SEND": 120, "DELIVERY": 110, "PERMANENT_BOUNCE": 9, "TRANSIENT_BOUNCE": 0,
                             "COMPLAINT": 1, "DELIVERY_COMPLAINT": 110})
REST = IspFigures(OTHER, {"SEND": 30, "DELIVERY": 30, "PERMANENT_BOUNCE": 0, "TRANSIENT_BOUNCE": 0,
                          "COMPLAINT": 0, "DELIVERY_COMPLAINT": 30})


class Vdm:
    """A stand-in for `aws.vdm`: on or off, or failing, counting its calls."""

    def __init__(self, enabled: bool = True, error: AwsError | None = None):
        self.enabled, self.error = enabled, error
        self.calls: list[str | None] = []

    def state(self) -> VdmState:
        if self.error:
            raise self.error
        return VdmState(self.enabled)

    def by_isp(self, start, end, *, configuration_set=None):
        self.calls.append(configuration_set)
        return [GMAIL, YAHOO, REST] if configuration_set is None else [YAHOO]


def aws_with(vdm: Vdm):
    aws = cloudwatch()
    aws.vdm = vdm
    return aws


def body(app) -> str:
    return rendered(app.pane("reputation").query_one("#rep-body"))


def test_per_isp_rates_for_the_account_then_the_set_under_the_cursor(streams):
    vdm = Vdm()
    app = make_app(streams, aws=aws_with(vdm))

    async def scenario_(pilot):
        await press(pilot, "4")
        assert "i: per ISP" in body(app)
        await press(pilot, "i")
        text = body(app)
        assert "Per ISP of account" in text and "VDM, last 14 days" in text
        gmail = next(line for line in text.splitlines() if line.startswith("Gmail"))
        assert gmail.split() == ["Gmail", "400", "380", "12", "3.00%", "3", "0", "no", "FBL"]
        yahoo = next(line for line in text.splitlines() if line.startswith("Yahoo"))
        assert "7.50%" in yahoo and "0.909%" in yahoo  # 9 of 120 bounced; 1 complaint of 110 deliveries
        assert next(line for line in text.splitlines() if line.startswith(OTHER)).split()[2] == "30"
        await press(pilot, "down")  # the table's cursor: marketing
        assert "Per ISP of marketing" in body(app) and "Gmail" not in body(app)
        await press(pilot, "up")
        await press(pilot, "ctrl+r")
        assert vdm.calls == [None, "marketing"], "VDM's daily figures are read once per scope"
        await press(pilot, "i")
        assert "Bounce rate of account" in body(app)

    run(app, scenario_, size=(120, 40))


def test_vdm_off_says_how_to_turn_it_on(streams):
    vdm = Vdm(enabled=False)
    app = make_app(streams, aws=aws_with(vdm))

    async def scenario_(pilot):
        await press(pilot, "4", "i")
        text = body(app)
        assert "Virtual Deliverability Manager is off" in text
        assert "aws sesv2 put-account-vdm-attributes --vdm-attributes VdmEnabled=ENABLED" in text
        assert vdm.calls == []

    run(app, scenario_, size=(120, 40))


def test_a_denied_vdm_names_the_iam_action(streams):
    denied = AwsError("AccessDenied: not authorized to perform ses:GetAccount", kind=ErrorKind.DENIED)
    app = make_app(streams, aws=aws_with(Vdm(error=denied)))

    async def scenario_(pilot):
        await press(pilot, "4", "i")
        assert "VDM: AccessDenied" in body(app) and "ses:BatchGetMetricData" in body(app)

    run(app, scenario_, size=(120, 40))


def test_without_aws_the_view_says_where_the_figures_come_from(streams):
    app = make_app(streams)

    async def scenario_(pilot):
        await press(pilot, "4", "i")
        assert "no AWS connection" in body(app)

    run(app, scenario_)


@pytest.fixture
def snap_app(streams):
    return make_app(streams, aws=aws_with(Vdm()))


@pytest.mark.parametrize("size", SNAPSHOT_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_per_isp(snap_compare, snap_app, size):
    assert snap_compare(snap_app, terminal_size=size, run_before=scenario("4", "i"))


def test_per_isp_through_the_real_client_against_the_sandbox(tmp_path, sandbox, aws, sestui_aws):
    """The view's figures are what the sandbox's BatchGetMetricData counts, through sestui.aws."""
    vdm = sandbox.ses_account(sandbox.info.region).vdm
    aws.sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ENABLED"})
    try:
        # the session's sandbox is shared: what earlier tests sent to these ISPs today counts too
        today = datetime.now(UTC)
        def figures():
            return {f.isp: f for f in sestui_aws.vdm.by_isp(today - timedelta(days=15), today + timedelta(days=1))}

        before = {isp: (f.sends, f.counts.get("DELIVERY", 0)) for isp, f in figures().items()}
        (gs, gd), (ys, yd) = before.get("Gmail", (0, 0)), before.get("Yahoo", (0, 0))
        for to in ("isp-a@gmail.com", "isp-b@gmail.com", "isp-c@yahoo.com"):
            aws.sesv2.send_email(FromEmailAddress="isp@sestui.test", Destination={"ToAddresses": [to]},
                                 Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "x"}}}})
        assert sandbox.wait_idle(20)
        yahoo_complaints = figures()["Yahoo"].complaint_rate  # earlier tests' complaints there count too
        with Store(tmp_path / "real.db") as store:
            app = SestuiApp(  # the real clock (not console_data's): VDM counted today
                ConsoleContext(store=store, aws=sestui_aws, profile="sandbox", region=sandbox.info.region),
                tick_seconds=3600)

            async def scenario_(pilot):
                await press(pilot, "4", "i")
                lines = body(app).splitlines()
                gmail = next(line for line in lines if line.startswith("Gmail")).split()
                yahoo = next(line for line in lines if line.startswith("Yahoo")).split()
                assert gmail[1:3] == [f"{gs + 2:,}", f"{gd + 2:,}"] and gmail[-2:] == ["no", "FBL"]
                assert yahoo[1:3] == [f"{ys + 1:,}", f"{yd + 1:,}"] and yahoo[-1] == f"{yahoo_complaints:.3%}"

            run(app, scenario_, size=(120, 40))
    finally:
        vdm.attributes = {"VdmEnabled": "DISABLED"}
