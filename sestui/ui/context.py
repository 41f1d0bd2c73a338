"""What the console needs from outside the UI, gathered by the launcher (cli/launch.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sestui.aws import Aws
from sestui.config.schema import Breakdown
from sestui.core import health
from sestui.ops.collector import Collector
from sestui.ops.policies import PolicyConfig
from sestui.ops.routing import ActionsConfig
from sestui.store import Store, now_ms


@dataclass
class ConsoleContext:
    """What the panes need from outside the UI: the store, AWS, settings and a clock."""

    store: Store
    aws: Aws | None
    profile: str | None = None
    region: str | None = None
    account: str | None = None
    queue_url: str | None = None
    configuration_set: str | None = None
    read_only: bool = False
    clock: Callable[[], int] = now_ms
    collector: Collector | None = None  # built by ops.build; started only when the console has no queue
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    policies: PolicyConfig | None = None  # the policies the collector applies; toggled live
    accounts: list[str] = field(default_factory=list)  # configured accounts the console can switch to
    account_name: str | None = None
    notice: str | None = None  # shown once at start (e.g. why a switch of account failed)
    actions: ActionsConfig | None = None  # the rules and guards (the Actions pane; None: none configured)
    breakdown: Breakdown = field(default_factory=Breakdown)  # [breakdown]: min volume, campaign tag
    collector_started_ms: int | None = None  # when the launcher started the collector child (the feed: STARTING)

    def now_ms(self) -> int:
        return self.clock()

    def health_summary(self) -> health.Summary:
        now = self.now_ms()
        store = self.store
        return health.summarize(
            profile=self.profile, region=self.region, account=self.account,
            snapshot=store.account_snapshot(), last_ok=store.account_snapshot(ok_only=True),
            stats=store.send_stats(now - 14 * 86_400_000), counts_24h=store.counts_by_type(now - 86_400_000),
            collectors=store.collector_states(), now_ms=now, queue_url=self.queue_url, db_path=store.identity,
            collector_started_ms=self.collector_started_ms,
        )
