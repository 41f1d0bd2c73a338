"""A guard after a person resumes the set it paused: the state says so (`resumed`), the guard warns
again (once), its rate stays live, it does not pause again while the rate stays over the line, and
it pauses again once the rate has recovered and crosses again. The collector logs each transition once."""

from __future__ import annotations

import itertools
import json
import logging

from test_actions_aws import arrive
from pg_server import store_on_each_backend, target  # noqa: F401  (fixtures: `store` on SQLite, then PostgreSQL)

from sestui.core.guards import Guard, Level, step
from sestui.ops import routing, rules_cli
from sestui.ops.guards import GuardWatcher

_serial = itertools.count(1)
HOOK = {"action": "webhook", "url": "http://127.0.0.1:9/guard", "secret": "s"}


def items(store) -> list[dict]:
    return store.outbox.list_items()


def guarded(set_name: str, mode: str = "on") -> routing.ActionsConfig:
    return routing.load({"guards": [{"name": "bounces", "metric": "bounce_rate", "source": "local", "mode": mode,
                                     "configuration_set": "default", "window": 3600, "min_volume": 50,
                                     "warn": {"level": "5%", "do": [HOOK]},
                                     "pause": {"level": "10%", "do": [
                                         {"action": "pause_sending", "configuration_set": set_name}, HOOK]}}]})


def watching(store, sestui_aws, config: routing.ActionsConfig) -> GuardWatcher:
    store.outbox.ensure()  # as routing.wire does
    return GuardWatcher(store.outbox, sestui_aws, config.guards)


def traffic(store, sends: int, bounces: int) -> None:
    for _ in range(sends):
        arrive(store, "Send", f"s{next(_serial)}@example.org")
    for _ in range(bounces):
        arrive(store, "Bounce", f"b{next(_serial)}@example.org")


def state(store) -> dict:
    return store.outbox.guard_states()["bounces"]


def test_a_resume_by_hand_overrides_the_guard_until_it_recovers_and_crosses_again(store, sestui_aws, aws):
    name = f"resumed-{next(_serial)}"
    aws.sesv2.create_configuration_set(ConfigurationSetName=name)
    config = guarded(name)
    watcher = watching(store, sestui_aws, config)
    traffic(store, 100, 12)
    assert [c.level for c in watcher.check()] == ["warn", "pause"]
    assert state(store)["state"] == "paused"
    sestui_aws.configuration_sets.set_sending(name, False)  # what the pause_sending item does

    said = rules_cli.resume(sestui_aws, store, configuration_set=name, guards=config.guards)
    assert "over guard bounces" in said
    assert sestui_aws.configuration_sets.get(name).sending_enabled is True
    assert state(store)["state"] == "resumed"
    warned = [i for i in items(store) if i["rule"] == "guard:bounces:warn"]
    assert len(warned) == 2  # the first crossing's and the resume's: it warns again
    assert sorted(json.loads(i["payload"])["state"] for i in warned) == ["paused", "resumed"]
    count = len(items(store))

    traffic(store, 0, 8)  # still over the pause level, and worse: the resume stands
    assert watcher.check() == []
    assert state(store)["state"] == "resumed"
    assert state(store)["rate"] == 20 / 100  # live, not the rate of the pause
    assert len(items(store)) == count  # nothing new to do
    assert sestui_aws.configuration_sets.get(name).sending_enabled is True

    traffic(store, 150, 0)  # 20 of 250: recovered below the pause level, still over warn
    [recovered] = watcher.check()
    assert (recovered.level, recovered.old, recovered.new) == ("recovered", "resumed", "warned")

    traffic(store, 0, 10)  # 30 of 250: crosses again, pauses again
    [pause] = watcher.check()
    assert pause.level == "pause" and state(store)["state"] == "paused"
    assert any(a.kind == "pause_sending" for a in pause.actions)


def test_a_paused_guard_keeps_its_rate_live(store, sestui_aws):
    watcher = watching(store, sestui_aws, guarded("any"))
    traffic(store, 100, 12)
    watcher.check()
    since = state(store)["since"]
    traffic(store, 50, 8)  # 20 of 150: still paused, the rate shown moves
    assert watcher.check() == []
    assert (state(store)["state"], state(store)["rate"], state(store)["volume"]) == ("paused", 20 / 150, 150)
    assert state(store)["since"] == since  # paused since the crossing, not since the last check


def test_each_transition_is_logged_once(store, sestui_aws, caplog):
    watcher = watching(store, sestui_aws, guarded("any"))
    traffic(store, 100, 12)
    with caplog.at_level(logging.WARNING, logger="sestui.guards"):
        watcher.check()
    lines = [r.getMessage() for r in caplog.records if r.name == "sestui.guards"]
    assert len(lines) == 1, lines
    assert "armed -> paused" in lines[0] and "warn, pause" in lines[0]


def test_the_step_after_a_resume_by_hand():
    from sestui.core.guards import resumed_by_hand

    guard = Guard("g", "bounce_rate", "local", min_volume=1, warn=Level(0.05, ()), pause=Level(0.1, ()))
    assert step(guard, "resumed", 0.5, 100) == ("resumed", [])
    new, [c] = step(guard, "resumed", 0.01, 100)
    assert (new, c.level, c.old) == ("armed", "recovered", "resumed")
    c = resumed_by_hand(guard, 0.2, 100)
    assert (c.old, c.new, c.level) == ("paused", "resumed", "warn")


def paused_by_the_guard(store, sestui_aws, aws, mode: str = "on"):
    """A guard crossed its pause level (its pause_sending not delivered yet)."""
    name = f"outside-{next(_serial)}"
    aws.sesv2.create_configuration_set(ConfigurationSetName=name)
    config = guarded(name, mode)
    watcher = watching(store, sestui_aws, config)
    traffic(store, 100, 12)
    assert [c.level for c in watcher.check()] == ["warn", "pause"]
    return name, config, watcher


def deliver_all(store, sestui_aws, config) -> None:
    """The collector's deliverer runs every item to its end (the hook at port 9 dies)."""
    import time

    from test_actions_aws import fast

    from sestui.ops.outbox import Deliverer

    deliverer = Deliverer(store, sestui_aws, config, options=fast()).start()
    try:
        deadline = time.monotonic() + 30
        while any(i["state"] not in ("done", "dead") for i in items(store)):
            assert time.monotonic() < deadline, items(store)
            time.sleep(0.05)
    finally:
        deliverer.stop()


def sending(aws, name: str) -> bool:
    return aws.sesv2.get_configuration_set(ConfigurationSetName=name)["SendingOptions"]["SendingEnabled"]


def test_a_set_resumed_outside_sestui_is_recorded_as_resumed_by_hand(store, sestui_aws, aws):
    """Resumed through the AWS API directly (as the SES console or `aws sesv2
    put-configuration-set-sending-options --sending-enabled` do): the guard's next check records
    it as `sestui resume` would: resumed, warning again, and it does not pause again at once."""
    name, config, watcher = paused_by_the_guard(store, sestui_aws, aws)
    deliver_all(store, sestui_aws, config)  # the pause reaches AWS
    assert sending(aws, name) is False
    assert watcher.check() == [] and state(store)["state"] == "paused"  # still paused in AWS: no change

    aws.sesv2.put_configuration_set_sending_options(ConfigurationSetName=name, SendingEnabled=True)
    watcher.check()
    assert state(store)["state"] == "resumed"
    warned = [i for i in items(store) if i["rule"] == "guard:bounces:warn"]
    assert sorted(json.loads(i["payload"])["state"] for i in warned) == ["paused", "resumed"]
    watcher.check()  # still over the pause level: the person's resume stands
    assert state(store)["state"] == "resumed" and sending(aws, name) is True
    assert [i for i in items(store) if i["rule"] == "guard:bounces:pause"
            and i["action_kind"] == "pause_sending"][0]["state"] == "done"
    assert len([i for i in items(store) if i["rule"] == "guard:bounces:pause"]) == 2  # no second pause


def test_a_pause_not_yet_delivered_is_not_taken_for_a_resume(store, sestui_aws, aws):
    """Between the crossing and the delivery of its pause_sending, AWS says the set sends: that is
    a pause still to come, not a resume."""
    name, _, watcher = paused_by_the_guard(store, sestui_aws, aws)
    assert sending(aws, name) is True
    watcher.check()
    assert state(store)["state"] == "paused"


def test_a_dry_run_guard_that_would_pause_stays_paused(store, sestui_aws, aws):
    """A dry-run guard never pauses AWS: its set sending is what dry-run means."""
    name, _, watcher = paused_by_the_guard(store, sestui_aws, aws, mode="dry-run")
    watcher.check()
    assert state(store)["state"] == "paused" and sending(aws, name) is True
