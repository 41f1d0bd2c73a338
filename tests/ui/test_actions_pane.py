"""Pane 8, Actions: rules, guards and the outbox read from a real store; retry, discard and resume
behind the confirm modal; read-only hides them and says why; a paused set is red in the header."""

from __future__ import annotations

import importlib.util

import pytest
import actions_data
from actions_data import HOSTILE_ERROR, assert_pane_shows_the_data, build, config, confirm, keys, press_on, select
from console_data import NOW_MS, make_app, open_pane, on_screen, press, run, screen_text, settle

from sestui.store import outbox as sql
from sestui.ui.panes.actions import NO_CONFIG
from sestui.ui.screens.confirm import ConfirmScreen
from sestui.ui.widgets.header import HealthHeader, render_health


app = actions_data.app  # the fixture: the console on this module's `data`


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """rules_cli.overview counts hits over 24 h by the store's clock: the console data's instead."""
    monkeypatch.setattr(sql, "now_ms", lambda: NOW_MS)


@pytest.fixture
def data(tmp_path):
    store, ids = build(tmp_path)
    yield store, ids
    store.close()


def test_the_pane_shows_rules_guards_and_the_outbox_from_the_store(data, app):
    store, ids = data

    async def scenario(pilot):
        await press(pilot, "8")
        assert_pane_shows_the_data(app, sql.list_items(store.conn, ("pending", "running", "retrying", "dead")))
        pane = app.pane("actions")
        assert keys(pane.table("guards")) == ["bounce-kill", "complaints"]
        text = screen_text(app)
        assert "feedback-to-app" in text and "dry-run" in text and "off" in text
        rules = on_screen(app, pane.table("rules"))
        assert "[bold]unsub[/]" in rules  # a rule name is data, not markup
        assert "armed" in on_screen(app, pane.table("guards")) and "pending" in on_screen(app, pane.table("outbox"))
        await select(pilot, ids["dead"])
        detail = on_screen(app, pane.query_one("#act-detail"))
        assert "[red]HTTP 500[/] \\x1b[2J" in detail  # the error literally, its escape made visible
        assert "\x1b[2J" not in app.export_screenshot()

    run(app, scenario, size=(120, 40))


def test_without_a_config_the_pane_says_so_and_shows_the_outbox(data):
    store, ids = data
    app = make_app(store)  # no ActionsConfig in the context

    async def scenario(pilot):
        pane = await open_pane(pilot, "actions")
        assert NO_CONFIG in on_screen(app, pane.query_one("#act-status"))
        assert keys(pane.table("rules")) == [] and keys(pane.table("guards")) == []
        assert str(ids["dead"]) in keys(pane.table("outbox"))

    run(app, scenario)


def test_retry_a_dead_item_through_the_confirmation_changes_the_store(data, app):
    store, ids = data

    async def scenario(pilot):
        await press_on(pilot, ids["dead"], "r")
        assert isinstance(app.screen, ConfirmScreen)
        assert HOSTILE_ERROR.replace("\x1b", "\\x1b") in str(app.screen.body)
        await pilot.press("n")  # cancel first: nothing happens
        await settle(pilot)
        assert sql.get(store.conn, ids["dead"])["state"] == "dead"
        await pilot.press("r")
        await pilot.pause()
        await press(pilot, "y")
        row = sql.get(store.conn, ids["dead"])
        assert row["state"] == "pending" and row["attempts"] == 0
        table = app.pane("actions").table("outbox")
        assert table.get_cell(str(ids["dead"]), "state").plain == "pending"  # updated in place
        assert table.selected_key() == str(ids["dead"])  # the cursor stayed on its row
        assert "retry=1" in app.last_outcome[0]

    run(app, scenario)


def test_discard_a_dead_item_through_the_confirmation_changes_the_store(data, app):
    store, ids = data

    async def scenario(pilot):
        await confirm(pilot, ids["dead"], "d")
        assert sql.get(store.conn, ids["dead"])["state"] == "discarded"
        assert str(ids["dead"]) not in keys(app.pane("actions").table("outbox"))  # only what needs a look

    run(app, scenario)


def test_a_pending_item_is_not_retried(data, app):
    store, _ = data

    async def scenario(pilot):
        pending = next(i["id"] for i in sql.list_items(store.conn, ("pending",)))
        await press_on(pilot, pending, "r")
        assert len(app.screen_stack) == 1
        assert "only dead or retrying" in app.last_outcome[0]

    run(app, scenario)


def test_new_items_are_added_by_key_and_the_cursor_keeps_its_row(data, app):
    store, ids = data

    async def scenario(pilot):
        await select(pilot, ids["dead"])
        pane = app.pane("actions")
        before = keys(pane.table("outbox"))
        item = sql.item("feedback-to-app", 0, "webhook", {"url": "http://x"}, {"n": 9}, ("m9",),
                        recipient="new@example.org", now=NOW_MS)
        with store._lock:
            sql.enqueue(store.conn, [item])
        pane.poll()
        await settle(pilot)
        after = keys(pane.table("outbox"))
        assert after[1:] == before and after[0] not in before  # the new one on top, the others kept
        assert pane.table("outbox").selected_key() == str(ids["dead"])

    run(app, scenario)


def test_read_only_hides_retry_discard_resume_and_says_why(data):
    store, ids = data
    app = make_app(store, actions=config(), read_only=True)

    async def scenario(pilot):
        await select(pilot, ids["dead"])
        shown = {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}
        assert not shown & {"retry", "discard", "resume"}
        for key in ("r", "d", "s"):
            await pilot.press(key)
            await pilot.pause()
            assert len(app.screen_stack) == 1, "no confirmation in a read-only console"
            assert "read-only" in app.last_outcome[0]
        assert sql.get(store.conn, ids["dead"])["state"] == "dead"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert not any(t.startswith("Actions:") for t in titles)

    run(app, scenario)


def test_a_paused_guard_shows_its_set_red_in_the_header(app):
    async def scenario(pilot):
        header = app.query_one(HealthHeader)
        assert header.paused_sets == ("default",)
        assert "SET default PAUSED" in on_screen(app, header)
        text = render_health(app, app.summary, NOW_MS, 80, paused=header.paused_sets)
        error = app.theme_variables["error"].lower()
        styles = [str(span.style) for span in text.spans if "PAUSED" in text.plain[span.start:span.end]]
        assert any(error in s and "bold" in s for s in styles), styles

    run(app, scenario)


def test_no_paused_guard_no_mark(tmp_path):
    store, _ = build(tmp_path, paused=False)
    app = make_app(store, actions=config())

    async def scenario(pilot):
        assert app.query_one(HealthHeader).paused_sets == ()
        assert "PAUSED" not in on_screen(app, app.query_one(HealthHeader))

    run(app, scenario)
    store.close()


# The sandbox honours PutConfigurationSetSendingOptions from main's 59db899 on; this branch's copy
# predates it. Passes with main's sandbox (checked); the skip goes away with the merge.
SANDBOX_PAUSES_SETS = importlib.util.find_spec("sestui.sandbox.ses.api.configuration_set_options") is not None


@pytest.mark.skipif(not SANDBOX_PAUSES_SETS, reason="this branch's sandbox has no configuration-set sending switch")
def test_a_set_paused_in_aws_is_red_and_one_key_resumes_it(tmp_path, sestui_aws):
    """Against the sandbox: GetConfigurationSet says the set is paused (the header shows it), the
    guard that pauses it is selected, s and y resume it through PutConfigurationSetSendingOptions."""
    import time

    from sestui.ops import routing

    name = f"ap-{time.monotonic_ns() % 10**9}"  # short: the header shows up to 20 characters of it
    sestui_aws.configuration_sets.create(name)
    sestui_aws.configuration_sets.set_sending(name, False)
    tables = {"guards": [{"name": "kill", "metric": "bounce_rate", "configuration_set": name,
                          "pause": {"level": "5%", "do": [{"action": "pause_sending"}]}}]}
    store, _ = build(tmp_path, paused=False)  # the guard's own state is armed: AWS is the truth here
    app = make_app(store, aws=sestui_aws, configuration_set=name, actions=routing.load(tables))

    async def scenario(pilot):
        header = app.query_one(HealthHeader)
        assert header.paused_sets == (name,)
        assert f"SET {name} PAUSED" in on_screen(app, header)
        await press(pilot, "8")
        app.pane("actions").table("guards").focus()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and name in str(app.screen.body)
        await pilot.press("y")
        for _ in range(50):
            await settle(pilot)
            if header.paused_sets == ():
                break
        assert sestui_aws.configuration_sets.get(name).sending_enabled is True
        assert header.paused_sets == () and "PAUSED" not in on_screen(app, header)
        assert any(a["action"] == "resume" for a in store.audit(20))

    run(app, scenario, size=(120, 40))
    store.close()


@pytest.mark.skipif(not SANDBOX_PAUSES_SETS, reason="this branch's sandbox has no configuration-set sending switch")
def test_a_resume_by_hand_says_so_in_the_guard_row(tmp_path, sestui_aws):
    """The guard paused the set; s and y resume it: the guard's row says RESUMED by hand (over
    pause), not PAUSED, and its warn level hears of it again (an outbox item)."""
    import time

    from sestui.ops import routing
    from sestui.store import guard_state

    name = f"rh-{time.monotonic_ns() % 10**9}"
    sestui_aws.configuration_sets.create(name)
    sestui_aws.configuration_sets.set_sending(name, False)
    hook = {"action": "webhook", "url": "http://127.0.0.1:9/guard", "secret": "s"}
    tables = {"guards": [{"name": "kill", "metric": "complaint_rate", "source": "local", "configuration_set": name,
                          "min_volume": 10, "warn": {"level": "1%", "do": [hook]},
                          "pause": {"level": "5%", "do": [{"action": "pause_sending"}]}}]}
    store, _ = build(tmp_path, paused=False)
    with store._lock:
        guard_state.save_guard_state(store.conn, "kill", "paused", NOW_MS - 600_000, 0.0877, 57)
    app = make_app(store, aws=sestui_aws, configuration_set=name, actions=routing.load(tables))

    async def scenario(pilot):
        pane = await open_pane(pilot, "actions")
        assert "PAUSED since 11:50:00" in on_screen(app, pane.table("guards"))
        pane.table("guards").focus()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "RESUMED by hand" in str(app.screen.body)
        await pilot.press("y")
        for _ in range(50):
            await settle(pilot)
            if "RESUMED" in on_screen(app, pane.table("guards")):
                break
        shown = on_screen(app, pane.table("guards"))
        assert "RESUMED by hand" in shown and "(over pause)" in shown and "PAUSED" not in shown
        assert store.outbox.guard_states()["kill"]["state"] == "resumed"
        assert any(i["rule"] == "guard:kill:warn" for i in sql.list_items(store.conn))

    run(app, scenario, size=(120, 40))
    store.close()


@pytest.mark.parametrize(("read_only", "size"), [(False, (120, 40)), (True, (120, 40)), (False, (80, 24))])
def test_a_set_resumed_outside_sestui_shows_its_guard_resumed_by_hand(tmp_path, sestui_aws, aws, read_only, size):
    """The guard paused the set; someone resumes it in the SES console (here: the AWS API
    directly). The header drops PAUSED and the guard's row says RESUMED by hand, not PAUSED, as after
    a resume through sestui. Read-only, the console writes nothing: the header still drops PAUSED
    and the guard's state is the collector's to record."""
    import time

    from sestui.ops import routing
    from sestui.store import guard_state

    name = f"ro-{time.monotonic_ns() % 10**9}"
    sestui_aws.configuration_sets.create(name)
    sestui_aws.configuration_sets.set_sending(name, False)
    tables = {"guards": [{"name": "marketing-complaints", "metric": "complaint_rate", "source": "local", "configuration_set": name,
                          "min_volume": 10, "pause": {"level": "5%", "do": [{"action": "pause_sending"}]}}]}
    store, _ = build(tmp_path, paused=False)
    with store._lock:
        guard_state.save_guard_state(store.conn, "marketing-complaints", "paused", NOW_MS - 600_000, 0.0877, 57)
    app = make_app(store, aws=sestui_aws, configuration_set=name, actions=routing.load(tables), read_only=read_only)

    async def scenario(pilot):
        await press(pilot, "8")
        pane, header = app.pane("actions"), app.query_one(HealthHeader)
        assert "PAUSED since 11:50:00" in on_screen(app, pane.table("guards"))
        assert header.paused_sets == (name,)
        aws.sesv2.put_configuration_set_sending_options(ConfigurationSetName=name, SendingEnabled=True)
        pane.tick(1, True)  # the tick that asks AWS
        for _ in range(20):
            await settle(pilot)
            if header.paused_sets == () and (read_only or "RESUMED" in on_screen(app, pane.table("guards"))):
                break
        assert header.paused_sets == () and "PAUSED" not in on_screen(app, header)
        shown = on_screen(app, pane.table("guards"))
        if read_only:
            assert store.outbox.guard_states()["marketing-complaints"]["state"] == "paused"
        else:
            assert "RESUMED by hand 12:00:00" in shown and "PAUSED" not in shown, shown
            assert store.outbox.guard_states()["marketing-complaints"]["state"] == "resumed"
            # whole at 80 columns too: "(over pause)" is the help's to say there, not cut in two
            assert "(over pause)" in shown or size[0] < 100, shown
            assert "(ove" not in shown or "(over pause)" in shown, shown

    run(app, scenario, size=size)
    store.close()


def test_free_room_goes_to_the_columns_that_are_cut(tmp_path):
    """At 120x40 the demo's names and a mailbox-simulator recipient are whole while the last
    column has room to spare: a column's width comes from what its cells hold."""
    from sestui.ops import routing
    from sestui.store import guard_state

    recipient = "bounce+m2629a1b2c3@simulator.amazonses.com"
    tables = {"rules": [{"name": "unsubscribe-complainers", "mode": "on", "when": {"event_types": ["complaint"]},
                         "do": [{"action": "command", "argv": ["/bin/true"]}]}],
              "guards": [{"name": "marketing-complaints", "metric": "complaint_rate", "source": "local",
                          "configuration_set": "marketing", "min_volume": 10,
                          "pause": {"level": "5%", "do": [{"action": "pause_sending"}]}}]}
    store, _ = build(tmp_path, paused=False)
    with store._lock:
        sql.enqueue(store.conn, [sql.item("unsubscribe-complainers", 0, "command", {"argv": ["/bin/true"]}, {"n": 9},
                                          ("m9",), recipient=recipient, message_id="m9", now=NOW_MS - 1000)])
        guard_state.save_guard_state(store.conn, "marketing-complaints", "paused", NOW_MS - 600_000, 0.0877, 57)
    app = make_app(store, actions=routing.load(tables))

    async def scenario(pilot):
        pane = await open_pane(pilot, "actions")
        assert "marketing-complaints" in on_screen(app, pane.table("guards"))
        assert "unsubscribe-complainers" in on_screen(app, pane.table("rules"))
        outbox = on_screen(app, pane.table("outbox"))
        assert recipient in outbox and "unsubscribe-complainers" in outbox, outbox

    run(app, scenario, size=(120, 40))
    store.close()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_an_empty_note_column_gives_its_room_to_the_recipients(tmp_path, size):
    """Every item delivered (the demo's outbox): no "Next / last error" to show, so that column
    leaves the recipients whole (at 120 columns, the longest too); an item with a note brings it back."""
    from actions_data import DELIVERED_RECIPIENTS, build_delivered

    store = build_delivered(tmp_path)
    app = make_app(store, actions=config())

    async def scenario(pilot):
        await press(pilot, "8")
        pane = app.pane("actions")
        outbox = on_screen(app, pane.table("outbox"))
        for recipient in DELIVERED_RECIPIENTS[::2] if size[0] < 100 else DELIVERED_RECIPIENTS:
            assert recipient in outbox, outbox
        assert "Next / last error" not in outbox
        with store._lock:
            sql.enqueue(store.conn, [sql.item("unsubscribe-complainers", 0, "webhook", {"url": "http://127.0.0.1:9/"},
                                              {"n": 9}, ("d9",), recipient="new@example.org", now=NOW_MS)])
        pane.poll()
        await settle(pilot)
        outbox = on_screen(app, pane.table("outbox"))
        assert "Next / last error" in outbox and "due 12:00:00" in outbox, outbox

    run(app, scenario, size=size)
    store.close()


def test_at_80_columns_the_detail_shows_the_message_id_and_the_delivery_id_whole(tmp_path):
    """A message id is 60 characters: sharing a line with the rest, it wrapped and pushed the
    delivery id off the box. Each has its line."""
    from actions_data import build_delivered

    store = build_delivered(tmp_path)
    message_id = "010001a232e17e7b-73b42768-27a1-4f77-95a3-ab4d0d42734d-000000"
    with store._lock:
        store.conn.execute("UPDATE outbox SET message_id = ?", (message_id,))
    app = make_app(store, actions=config())

    async def scenario(pilot):
        await press(pilot, "8")
        pane = app.pane("actions")
        item = pane.selected_item()
        detail = on_screen(app, pane.query_one("#act-detail"))
        assert message_id in detail and item["dedup"] in detail, detail

    run(app, scenario)
    store.close()


def test_help_says_what_the_paused_set_mark_and_the_guard_states_mean(app):
    """The header's SET NAME PAUSED and pane 8's guard and outbox states are explained in help."""
    from help_data import open_help

    async def scenario(pilot):
        text = " ".join((await open_help(pilot)).split())
        assert "SET NAME PAUSED" in text and "SendingEnabled off" in text
        assert "RESUMED by hand HH:MM (over pause)" in text
        assert "dead (gave up: r retries it)" in text

    run(app, scenario, size=(120, 40))


def test_at_80_columns_a_guards_long_rule_name_shares_the_room_with_the_recipients(tmp_path):
    """A guard's items are named guard:NAME:LEVEL (32 characters in the demo): the Rule column took
    all it wanted and left the recipients 16. The two share what there is."""
    from actions_data import build_delivered

    store = build_delivered(tmp_path)
    rule = "guard:marketing-complaints:pause"
    with store._lock:
        sql.enqueue(store.conn, [sql.item(rule, 0, "pause_sending", {}, {"n": 1}, ("g1",), now=NOW_MS - 10_000)])
        [claimed] = sql.claim(store.conn, now=NOW_MS - 5_000, lease_ms=60_000, limit=1)
        sql.finish(store.conn, claimed["id"], "done", now=NOW_MS - 4_000)
    app = make_app(store, actions=config())

    async def scenario(pilot):
        await press(pilot, "8")
        table = app.pane("actions").table("outbox")
        widths = {key: width for _, key, width in table.column_layout}
        outbox = on_screen(app, table)
        assert "j.doe+news@example.org" in outbox and "guard:marketing-co" in outbox, outbox
        assert abs(widths["recipient"] - widths["rule"]) <= 1, widths

    run(app, scenario)
    store.close()


def test_the_footer_offers_retry_discard_and_resume_only_where_they_act(data, app):
    """Nothing paused and a delivered item under the cursor: the footer said "r Retry d Discard
    s Resume sending" all the same. It offers each where it would act; pressed anyway, it says why."""
    store, ids = data

    def shown() -> set[str]:
        return {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}

    async def scenario(pilot):
        await select(pilot, ids["dead"])
        assert {"retry", "discard", "resume"} <= shown()  # a dead item; the default set is paused
        pane = app.pane("actions")
        pending = next(i["id"] for i in sql.list_items(store.conn, ("pending",)))
        pane.table("outbox").move_cursor(row=pane.table("outbox").get_row_index(str(pending)))
        await settle(pilot)
        assert "retry" not in shown() and "discard" in shown()
        await pilot.press("r")
        await pilot.pause()
        assert len(app.screen_stack) == 1 and "only dead or retrying" in app.last_outcome[0]

    run(app, scenario)


def test_without_a_paused_set_the_footer_has_no_resume(tmp_path):
    from actions_data import build_delivered

    store = build_delivered(tmp_path)
    app = make_app(store, actions=config())

    async def scenario(pilot):
        await press(pilot, "8")
        shown = {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}
        assert not shown & {"retry", "discard", "resume"}, "a delivered item, no paused set"
        await pilot.press("s")
        await pilot.pause()
        assert "no configuration set is paused" in app.last_outcome[0]

    run(app, scenario)
    store.close()


def test_typing_resume_in_the_palette_finds_the_guards_resume_first(app):
    """It found "Pause / resume live updates" first, and enter paused the console instead."""
    from textual.fuzzy import Matcher

    async def scenario(pilot):
        matcher = Matcher("resume")
        scored = sorted(((matcher.match(c.title), c.title) for c in app.get_system_commands(app.screen)), reverse=True)
        assert scored[0][1] == "Actions: resume sending", scored[:3]
        assert not any(score for score, title in scored if "live updates" in title)

    run(app, scenario)
