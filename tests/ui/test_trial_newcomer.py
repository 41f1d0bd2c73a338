"""What a new operator found in the demo (s21): each test failed on the code before its fix."""

from __future__ import annotations

import re

from console_data import make_app, open_pane, press, run, settle


def test_the_palette_offers_no_maximize_and_no_screenshot(store):
    """Maximize (on a focused table) hid the header, so a STALE feed went unseen, while the footer
    still offered 1-8, which switched panes out of sight; Screenshot wrote the screen, addresses and
    all, to a file that is not private, or said "Failed to save screenshot"."""
    app = make_app(store)

    async def scenario(pilot):
        assert app.screen.focused is not None and app.screen.focused.allow_maximize, "Textual would offer it"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert [t for t in ("Maximize", "Minimize", "Screenshot") if t in titles] == []
        assert "Pane 1: Flow" in titles and "Theme" in titles

    run(app, scenario)


def test_the_chosen_reason_is_marked_by_a_character_not_only_by_colour(store):
    """Both of the add form's reasons drew the same dot; which one was chosen was its colour."""
    app = make_app(store)

    def marks() -> dict[str, str]:
        return {button.id: button._button.plain for button in app.screen.query("RadioButton")}

    async def scenario(pilot):
        await press(pilot, "3", "a")
        assert marks() == {"BOUNCE": "▐●▌", "COMPLAINT": "▐ ▌"}
        await press(pilot, "tab", "down", "enter")  # to the reason, the next one, choose it
        assert marks() == {"BOUNCE": "▐ ▌", "COMPLAINT": "▐●▌"}

    run(app, scenario, size=(80, 24))


def test_a_set_past_review_for_bounces_and_past_pause_for_complaints_says_pause(tmp_path):
    """The demo's marketing set at 5.07% bounces (past review) and 1.186% complaints (past pause):
    "At this pace" said "past the review line", the bounce rate's, as both crossings were "now"."""
    from console_data import NOW_MS
    from test_reputation_pace import demo_marketing_mail

    from sestui.core.reputation import Figure, Rates
    from sestui.ops.reputation import Reputation
    from sestui.store import Store

    with Store(tmp_path / "demo.db") as store:
        demo_marketing_mail(store, 160, 3)
        reading = Reputation(Rates(Figure(0.012, "cloudwatch", NOW_MS), Figure(0.0004, "cloudwatch", NOW_MS)),
                             [Rates(Figure(0.0507, "cloudwatch", NOW_MS), Figure(0.01186, "cloudwatch", NOW_MS),
                                    "marketing")], None, NOW_MS)
        store.save_account_snapshot(taken_ms=NOW_MS - 500, profile="prod", region="us-east-1",
                                    status={"production_access": True, "sending_enabled": True,
                                            "enforcement_status": "HEALTHY", "reputation": reading.to_json()})
        app = make_app(store)
        cells = []

        async def scenario(pilot):
            pane = await open_pane(pilot, "reputation")
            cells.append(pane.table.get_row("set:marketing")[3].plain)

        run(app, scenario, size=(120, 40))
    assert cells[0].startswith("past the pause line (complaints)"), cells


def test_ctrl_p_opens_no_palette_over_a_dialog(store):
    """^p over the add form opened the palette, whose "Pane 1" switched the pane under the form and
    whose "Suppressions: add an address" stacked a second form: a dialog's keys are its own (its
    footer shows no ^p)."""
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3", "a", "ctrl+p")
        assert type(app.screen).__name__ == "SuppressFormScreen"
        await press(pilot, "escape", "question_mark", "ctrl+p")
        assert type(app.screen).__name__ == "HelpScreen"
        await press(pilot, "escape", "ctrl+p")
        assert type(app.screen).__name__ == "Palette", "on the panes, ^p opens it"

    run(app, scenario, size=(80, 24))


class UnreachableSes:
    """An SES that does not answer: every reload of the suppression list fails."""

    profile, region = "demo", "us-east-1"

    def __init__(self):
        self.suppressions = self

    def entries(self):
        from sestui.aws import AwsError, ErrorKind

        raise AwsError("SES did not answer (http://127.0.0.1:35899)", kind=ErrorKind.UNREACHABLE)


def test_a_failed_reload_of_the_suppression_list_stays_said_past_the_next_poll(store):
    """R with SES down said "could not reload from SES" on the status line, and the pane's next
    poll of the local cache (5 s later) took it off: the line read as if the list were current."""
    app = make_app(store, aws=UnreachableSes())

    async def scenario(pilot):
        pane = await open_pane(pilot, "suppressions")
        await press(pilot, "R")
        status = lambda: str(pane.query_one("#sup-status").render())  # noqa: E731
        assert "could not reload from SES: SES did not answer" in status()
        pane.poll()  # what the tick does every few seconds while the pane is shown
        await settle(pilot)
        assert app.pane("suppressions").rows, "the poll landed"
        assert "could not reload from SES: SES did not answer" in status()

    run(app, scenario, size=(120, 40))


def test_at_80_columns_a_stopped_collector_and_old_rates_leave_the_rejects_count_whole(store):
    """The demo with its collector stopped 7 minutes and AWS's rates 9 minutes old: the header's
    second line ended "aws 9m old re…", the rejects' count cut, for "STOPPED since 01:07:19 (7m)"."""
    from console_data import NOW_MS, on_screen

    from sestui.core.reputation import Figure, Rates
    from sestui.ops.reputation import Reputation

    read = NOW_MS - 9 * 60_000
    reading = Reputation(Rates(Figure(0.0253, "cloudwatch", read), Figure(0.00048, "cloudwatch", read)), [], None, read)
    store.save_account_snapshot(taken_ms=read, profile="prod", region="us-east-1",
                                status={"production_access": True, "sending_enabled": True,
                                        "enforcement_status": "HEALTHY", "sent_last_24_hours": 6939.0,
                                        "max_24_hour_send": 518400.0, "max_send_rate": 14.0,
                                        "reputation": reading.to_json()})
    store.save_collector_state("test", {"queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/ses-events",
                                        "state": "stopped", "started": NOW_MS - 3_600_000,
                                        "heartbeat": NOW_MS - 7 * 60_000, "last_success": NOW_MS - 7 * 60_000,
                                        "events_per_s": 0.0, "backlog": 0, "received": 20, "stored": 20,
                                        "duplicates": 0, "quarantined": 0})
    app = make_app(store)

    async def scenario(pilot):
        line = on_screen(app, app.query_one("#health")).splitlines()[1]
        assert "9m old" in line and "STOPPED 7m ago" in line, line
        assert re.search(r"rej(ects)? 24h \d+$", line.split("│")[0].rstrip()), line

    run(app, scenario, size=(80, 24))
