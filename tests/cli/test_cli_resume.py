"""`sestui resume` overrides the guards of the config file that paused the set: each says
`resumed` (and warns again) rather than staying `paused` while mail flows."""

from __future__ import annotations

import time

from sestui.cli import main
from sestui.store import Store, guard_state

CONFIG = """
[[guards]]
name = "marketing-complaints"
metric = "complaint_rate"
source = "local"
configuration_set = "{name}"
min_volume = 10
warn.level = "1%"
pause.level = "5%"

[[guards.pause.do]]
action = "pause_sending"
"""


def test_resume_marks_the_guard_that_paused_the_set_resumed(sandbox, sestui_aws, isolated_environment, tmp_path,
                                                             capsys):
    name = f"cli-resume-{time.monotonic_ns() % 10**9}"
    sestui_aws.configuration_sets.create(name)
    sestui_aws.configuration_sets.set_sending(name, False)
    (tmp_path / "config.toml").write_text(CONFIG.format(name=name))
    with Store(tmp_path / "events.db") as store:
        store.outbox.ensure()
        with store._lock:
            guard_state.save_guard_state(store.conn, "marketing-complaints", "paused", 1_000, 0.0877, 57)
    status = main(["resume", "--configuration-set", name, "--endpoint-url", sandbox.info.endpoint_url,
                   "--region", sandbox.info.region])
    out = capsys.readouterr().out
    assert status == 0 and f"sending resumed for configuration set {name}" in out
    assert "over guard marketing-complaints" in out, out
    assert sestui_aws.configuration_sets.get(name).sending_enabled is True
    with Store(tmp_path / "events.db") as store:
        assert store.outbox.guard_states()["marketing-complaints"]["state"] == "resumed"


def test_resume_of_a_set_that_was_sending_says_so(sandbox, sestui_aws, isolated_environment, capsys):
    """Nothing to resume is not `sending resumed`: it says the set was already sending, and is no
    failure (exit 0: the set sends, which is what was asked)."""
    name = f"cli-sending-{time.monotonic_ns() % 10**9}"
    sestui_aws.configuration_sets.create(name)
    status = main(["resume", "--configuration-set", name, "--endpoint-url", sandbox.info.endpoint_url,
                   "--region", sandbox.info.region])
    out = capsys.readouterr().out
    assert status == 0 and out == f"configuration set {name} was already sending\n", out
    assert sestui_aws.configuration_sets.get(name).sending_enabled is True
