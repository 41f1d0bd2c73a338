"""Pane 6: from the round trip's test message, `o` (or enter on its row) opens its timeline, and
escape comes back; `y` copies the command a fix names."""

from __future__ import annotations

import pytest
from console_data import make_app, open_pane, on_screen, press, rendered, run, terminal_writes
from test_console_aws import run as sandbox_run
from test_console_aws import until

from sestui.ops.doctor import Check
from sestui.ui.app import ConsoleContext, SestuiApp
from sestui.ui.panes.doctor import fix_command


def test_o_opens_the_round_trip_message_timeline_and_escape_comes_back(tmp_path, aws, sestui_aws, sandbox,
                                                                        queue_factory):
    from sestui.core.queue_policy import policy_with_topic
    from sestui.store import Store

    store = Store(tmp_path / "doctor.db")
    queue = queue_factory()  # subscribed to the sandbox's topic, which may send to it:
    aws.sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={
        "Policy": policy_with_topic(None, queue.arn, sandbox.info.topic_arn)})
    ctx = ConsoleContext(store=store, aws=sestui_aws, profile="sandbox", region=sandbox.info.region,
                         queue_url=queue.url, configuration_set=sandbox.info.configuration_set)
    app = SestuiApp(ctx, tick_seconds=0.2)

    async def scenario(pilot):
        await pilot.press("6")
        doctor = app.pane("doctor")
        await until(pilot, lambda: doctor.checks and not doctor.running, timeout=30)
        await pilot.press("o")
        await pilot.pause()
        assert "no round trip message yet (t sends one)" in rendered(app.query_one("#outcome"))
        assert app.current == "doctor"
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: "round trip" in doctor.checks and not doctor.running, timeout=60)
        trip = doctor.checks["round trip"]
        sent = doctor.round_trip_message_id()
        assert sent and sent in trip.detail, [c for c in doctor.checks.values() if c.status == "FAIL"]
        assert "o its timeline" in rendered(doctor.query_one("#doc-status"))
        await pilot.press("o")
        timeline = app.pane("timeline")
        await until(pilot, lambda: app.current == "timeline" and timeline.message_id == sent)
        await until(pilot, lambda: {e["event_type"] for e in timeline.rows.values()} >= {"send", "delivery"})
        await pilot.press("escape")
        await until(pilot, lambda: app.current == "doctor")
        doctor.table.move_cursor(row=doctor.table.get_row_index("round trip"))
        await pilot.press("enter")  # the same from its row
        await until(pilot, lambda: app.current == "timeline")

    try:
        sandbox_run(app, scenario, size=(120, 40))
    finally:
        store.close()


@pytest.mark.parametrize("fix, command", [
    ("see pane 4 and `sestui status`: AWS reviews at 5% / 0.1%", "sestui status"),
    ("find out why (SES console, account dashboard), then: aws sesv2 put-account-sending-attributes "
     "--sending-enabled", "aws sesv2 put-account-sending-attributes --sending-enabled"),
    ("aws sns set-subscription-attributes --subscription-arn A --attribute-name RawMessageDelivery "
     "--attribute-value false (or sestui setup --identity x)",
     "aws sns set-subscription-attributes --subscription-arn A --attribute-name RawMessageDelivery "
     "--attribute-value false"),
    ("sestui setup --identity a.com --identity-notifications, or clear them: aws ses set-identity-notification-topic",
     "sestui setup --identity a.com --identity-notifications"),
    ("confirm it: open the SubscribeURL of the SubscriptionConfirmation message",
     "confirm it: open the SubscribeURL of the SubscriptionConfirmation message"),
])
def test_fix_command_is_the_command_a_fix_names(fix, command):
    assert fix_command(fix) == command


def test_y_copies_the_selected_check_fix_command_through_osc52(store):
    from sestui.ui.messages import DoctorChecked

    app = make_app(store)

    async def scenario(pilot):
        written = terminal_writes(app)
        doctor = await open_pane(pilot, "doctor")
        doctor.post_message(DoctorChecked(doctor.run_number, Check(
            "account", "FAIL", "sending is paused for this account",
            "find out why (SES console), then: aws sesv2 put-account-sending-attributes --sending-enabled")))
        await press(pilot, "y")
        command = "aws sesv2 put-account-sending-attributes --sending-enabled"
        assert app.clipboard == command
        assert any(chunk.startswith("\x1b]52;c;") for chunk in written)
        assert f"Copied fix command: {command}" in rendered(app.query_one("#outcome"))
        assert "y copies the command" in rendered(doctor.query_one("#doc-fix"))

    run(app, scenario, size=(120, 40))


def test_the_time_of_the_round_trip_and_the_summary_keys_stay_in_view_at_120x40(store):
    """The round trip's detail names a 60-character message id, then the time: the id loses its
    middle, not the time; the check names leave the detail their room; the summary line keeps
    its keys (long names lose their middle instead)."""
    from sestui.ops.doctor_base import Facts
    from sestui.ui.messages import DoctorChecked, DoctorFinished

    message_id = "010001a2326c5a1b-7d3f0e21-9c4b-4e0f-a8d2-5b6c7d8e9f01-000000"
    detail = f"Delivery of {message_id} arrived after 2.3s (read from the queue, through the console's collector)"
    app = make_app(store)

    async def scenario(pilot):
        doctor = await open_pane(pilot, "doctor")
        doctor.post_message(DoctorChecked(doctor.run_number, Check("queue", "OK", "sestui-events-queue exists")))
        doctor.post_message(DoctorChecked(doctor.run_number, Check("round trip", "OK", detail)))
        doctor.post_message(DoctorFinished(doctor.run_number, Facts(
            topic_arn="arn:aws:sns:us-east-1:123456789012:sestui-demo-events-topic-for-the-console",
            configuration_set="sestui-demo-events-configuration-set", identity="mail.demo-shop.example.com")))
        await press(pilot, "6")
        table = on_screen(app, doctor.table)
        assert "arrived after 2.3s (read from the queue" in table, table
        status = on_screen(app, doctor.query_one("#doc-status"))
        assert status.rstrip().endswith("(r re-runs, t round trip)"), status
        assert "2 OK · topic sestui-" in status and "set sestui-" in status and "identity mail." in status, status

    run(app, scenario, size=(120, 40))


def test_the_summary_names_stay_whole_where_dropping_the_keys_makes_room(store):
    """At 100 columns the demo's summary (17 OK, 1 WARN, 1 SKIP; topic sestui-ses-events, set
    sestui-default) fits whole once its keys go (the footer has them): the names were cut
    anyway, because the try without keys began from the names the try with keys had cut."""
    from sestui.ops.doctor_base import Facts
    from sestui.ui.messages import DoctorChecked, DoctorFinished

    app = make_app(store)

    async def scenario(pilot):
        doctor = await open_pane(pilot, "doctor")
        for n in range(17):
            doctor.post_message(DoctorChecked(doctor.run_number, Check(f"check {n}", "OK", "fine")))
        doctor.post_message(DoctorChecked(doctor.run_number, Check("metrics", "WARN", "off")))
        doctor.post_message(DoctorChecked(doctor.run_number, Check("round trip", "SKIP", "not sent")))
        doctor.post_message(DoctorFinished(doctor.run_number, Facts(
            topic_arn="arn:aws:sns:us-east-1:123456789012:sestui-ses-events",
            configuration_set="sestui-default", identity="sestui.test")))
        await press(pilot, "6")
        status = on_screen(app, doctor.query_one("#doc-status"))
        assert "topic sestui-ses-events · set sestui-default · identity sestui.test" in status, status

    run(app, scenario, size=(100, 30))


def test_at_80x24_the_fix_command_and_the_names_the_summary_cuts_are_whole_in_the_detail(store):
    """The box below the table held 4 lines: a `sestui setup` fix naming a long set, topic and queue
    ran past it. It grows (the table has the room) and ends with the names the summary line cut."""
    from sestui.ops.doctor_base import Facts
    from sestui.ui.messages import DoctorChecked, DoctorFinished

    topic, cs = "sestui-demo-events-topic-for-the-console", "sestui-demo-events-configuration-set"
    fix = (f"sestui setup --identity mail.demo-shop.example.com --configuration-set {cs} --topic {topic} "
           "--queue sestui-demo-events-queue-for-the-console")
    app = make_app(store)

    async def scenario(pilot):
        doctor = await open_pane(pilot, "doctor")
        doctor.post_message(DoctorChecked(doctor.run_number, Check("queue", "OK", "sestui-events-queue exists")))
        doctor.post_message(DoctorChecked(doctor.run_number, Check(
            "subscription", "FAIL", f"the queue is not subscribed to topic {topic}", fix)))
        doctor.post_message(DoctorFinished(doctor.run_number, Facts(
            topic_arn=f"arn:aws:sns:us-east-1:123456789012:{topic}", configuration_set=cs,
            identity="mail.demo-shop.example.com")))
        await press(pilot, "6")
        status = on_screen(app, doctor.query_one("#doc-status"))
        assert f"set {cs}" not in status, "the summary cuts the set at 80 columns (else this test tests nothing)"
        shown = " ".join(on_screen(app, doctor.query_one("#doc-fix")).split())
        assert fix in shown and "(y copies it)" in shown, shown
        assert f"topic {topic} · set {cs}" in shown, shown

    run(app, scenario, size=(80, 24))
