"""Issue 10 item 14 / issue 9: a worker that raises leaves the console running, marked STALE with
the reason, and the mark goes when the fault stops."""

from __future__ import annotations

import sqlite3

import pytest
from console_data import make_app, message_id, press, rendered, run, settle

from sestui.aws import AwsError
from sestui.ui.messages import OpenTimeline


class Faults:
    """Which methods fail now (a set the test changes while workers run)."""

    def __init__(self) -> None:
        self.failing: set[str] = set()

    def check(self, name: str) -> None:
        if name in self.failing or "*" in self.failing:
            raise sqlite3.OperationalError("database is locked")


class FaultyStore:
    def __init__(self, inner, faults: Faults):
        self._inner, self._faults = inner, faults

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self._faults.check(name)
            return attr(*args, **kwargs)
        return call


class FaultyAws:
    """Lists one identity; everything else is refused as if there were no credentials."""

    profile, region = "test", "us-east-1"

    def __init__(self, faults: Faults):
        self._faults = faults
        self.ses = self

    def verified_identities(self):
        self._faults.check("verified_identities")
        return ["mail.example.com"]

    def __getattr__(self, name):
        self._faults.check("aws")
        raise AwsError("no credentials here", kind="credentials")


# pane -> (keys that show it, the method that fails, what shows it recovered)
CASES = {
    "flow": ("1", "flow_page", lambda app: app.pane("flow").table.row_count > 0),
    "timeline": ("2", "timeline_index", lambda app: len(app.pane("timeline").rows) > 0),
    "suppressions": ("3", "suppressions", lambda app: len(app.pane("suppressions").rows) == 3),
    "reputation": ("4", "hourly_counts", lambda app: "Delivered" in rendered(app.pane("reputation").query_one("#rep-body"))),
    "send": ("5", "verified_identities", lambda app: app.pane("send").verified == ["mail.example.com"]),
    "doctor": ("6", "aws", lambda app: len(app.pane("doctor").checks) > 0),
    "header": ("1", "account_snapshot", lambda app: app.summary is not None),
}


def marks(app) -> tuple[str, str, str]:
    screen = app.main_screen
    return (rendered(screen.query_one("#health")), rendered(screen.query_one("#pane-bar")),
            rendered(screen.query_one("#outcome")))


@pytest.mark.parametrize("pane", list(CASES))
def test_a_failing_worker_marks_the_console_stale_and_it_recovers(store, pane):
    faults = Faults()
    key, method, recovered = CASES[pane]
    app = make_app(FaultyStore(store, faults), aws=FaultyAws(faults))

    async def scenario(pilot):
        app.post_message(OpenTimeline(message_id(2)))  # so the timeline has a message to poll
        await settle(pilot)
        await press(pilot, "1")
        faults.failing.add(method)
        if pane in ("flow", "timeline", "header"):  # already loaded once: the next poll fails
            await pilot.press(key, "ctrl+r")
        else:
            app.pane(pane).loaded_once = getattr(app.pane(pane), "loaded_once", False)
            await pilot.press(key)
        await settle(pilot)
        assert app.is_running, "a failing worker must not close the console"
        header, bar, outcome = marks(app)
        assert "STALE" in bar
        assert "database is locked" in outcome and "OperationalError" in outcome
        if pane != "header":
            assert "STALE" in header

        faults.failing.clear()
        await press(pilot, "ctrl+r")
        header, bar, outcome = marks(app)
        assert "STALE" not in bar and "STALE" not in header and "database is locked" not in outcome
        assert recovered(app)

    run(app, scenario, size=(120, 40))


def test_every_pane_failing_at_once_still_leaves_a_working_console(store):
    faults = Faults()
    app = make_app(FaultyStore(store, faults), aws=FaultyAws(faults))

    async def scenario(pilot):
        faults.failing.add("*")
        for name in ("timeline", "suppressions", "reputation", "send", "doctor", "flow"):
            app.action_pane(name)
            await settle(pilot)
        assert app.is_running
        assert "STALE" in marks(app)[1]
        await pilot.press("question_mark")  # the UI thread still answers
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"

    run(app, scenario)



WORKER_RESULTS = ("Loaded", "Read", "Checked", "Finished", "Detail", "PausedSets", "OpenTimeline")


def test_a_workers_message_that_lands_after_shutdown_is_dropped(store):
    """A worker can post its result just as the console quits; when the message is handled the
    screens are being taken down (CI caught HealthLoaded meeting an empty screen stack). Every
    handler of a worker's result, on the app and on each pane, must drop it instead of failing."""
    from textual.widget import Widget

    app = make_app(store)
    nodes = []

    async def keep_the_panes(pilot):
        nodes.extend(w for w in pilot.app.main_screen.query(Widget) if type(w).__module__.startswith("sestui.ui"))

    run(app, keep_the_panes)
    assert not app.screen_stack and len(nodes) > 9  # the state a late message meets
    handled = []
    for node in [app, *nodes]:
        for name in dir(type(node)):
            method = getattr(type(node), name, None)
            for message_type, _ in getattr(method, "_textual_on", ()):
                if message_type.__name__.endswith(WORKER_RESULTS):
                    with app._context():  # what Textual sets around a handler
                        getattr(node, name)(object())  # not even looked at: the console is gone
                    handled.append(message_type.__name__)
    assert {"HealthLoaded", "FlowLoaded", "TimelineRead", "ActionFinished", "OpenTimeline"} <= set(handled)


def test_a_workers_result_stops_where_it_lands():
    """`landed` stops the message it hands over: a pane's result does not bubble on to the app
    (each pane's handler used to stop it by hand)."""
    from textual import on
    from textual.app import App
    from textual.message import Message
    from textual.widget import Widget

    from sestui.ui.workers import landed

    class Result(Message):
        pass

    seen = []

    class Pane(Widget):
        @landed(Result)
        def _landed(self, message: Result) -> None:
            seen.append("pane")

    class Console(App):
        showing = True

        def compose(self):
            yield Pane()

        @on(Result)
        def _bubbled(self, message: Result) -> None:
            seen.append("app")

    async def scenario(pilot):
        pilot.app.query_one(Pane).post_message(Result())
        await settle(pilot)

    run(Console(), scenario)
    assert seen == ["pane"]


def test_every_message_class_of_the_console_lives_in_ui_messages():
    """DESIGN: one place per concern; every Textual message class in ui/messages.py (the panes
    had grown four of their own)."""
    import importlib
    import inspect
    import pkgutil

    from textual.message import Message

    import sestui.ui

    elsewhere = []
    for info in pkgutil.walk_packages(sestui.ui.__path__, "sestui.ui."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, Message) and obj.__module__ == info.name:
                if info.name != "sestui.ui.messages":
                    elsewhere.append(f"{info.name}.{name}")
    assert elsewhere == []
