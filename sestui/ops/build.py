"""The one place a collector is assembled, for `sestui collect`, the console and the doctor: the
same options, the same signature verifier (`verify_signatures`, `topic_allowlist`) and the same
suppression policies, whoever runs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sestui.aws import Aws
from sestui.core.events import Parsed, Verifier
from sestui.ops import routing
from sestui.ops.collector import Collector, CollectorOptions
from sestui.ops.policies import Decision, PolicyConfig, PolicyEngine
from sestui.ops.policy_share import ModesFile
from sestui.store import Store

_UNSET: Any = object()


class BuildError(ValueError):
    """A setting the collector cannot be built with: one line for the operator."""


def collector_options(settings, queue_url: str | None = _UNSET) -> CollectorOptions:
    """CollectorOptions from the effective settings (`queue_url` overrides the configured one)."""
    return CollectorOptions(
        queue_url=settings.queue_url if queue_url is _UNSET else queue_url,
        receivers=settings.receivers, wait_seconds=settings.wait_seconds,
        visibility_timeout=settings.visibility_timeout, account_interval=settings.account_interval,
        stats_interval=settings.stats_interval, retention_days=settings.retention_days,
    )


def policy_config(settings) -> PolicyConfig:
    try:
        return PolicyConfig.from_table(settings.tables.get("policies"))
    except ValueError as exc:
        raise BuildError(f"{settings.file}: {exc}") from None


def verifier(settings) -> Verifier | None:
    """The SNS signature verifier the settings ask for, or None when verification is off."""
    if not settings.verify_signatures:
        return None
    from sestui.aws.signatures import SnsVerifier

    try:
        return SnsVerifier(settings.topic_allowlist, endpoint_url=settings.endpoint_url)
    except RuntimeError as exc:
        raise BuildError(str(exc)) from None


def build_collector(settings, aws: Aws, store: Store, *, options: CollectorOptions | None = None,
                    policies: PolicyConfig | None = None, modes_file: str | None = None,
                    collector_id: str | None = None) -> Collector:
    """A collector (not started) that verifies and applies policies as the settings say.
    `options` defaults to collector_options(settings); `policies` (a config the console may
    toggle live) defaults to the [policies] table; `modes_file` is where a console in another
    process writes its live toggles (ops.policy_share). Raises BuildError for a bad setting."""
    engine = PolicyEngine(policies if policies is not None else policy_config(settings), aws, store)
    on_commit: Callable[[list[Parsed]], list[Decision]] = engine.apply
    if modes_file:
        modes = ModesFile(modes_file)

        def on_commit(parsed: list[Parsed]) -> list[Decision]:
            modes.refresh(engine.config)
            return engine.apply(parsed)

    collector = Collector(aws, store, options or collector_options(settings), verify=verifier(settings),
                          on_commit=on_commit, collector_id=collector_id)
    collector.policies = engine
    # [[rules]] and [[guards]] act through the outbox. [policies] keep acting through the engine
    # above (their audited, synchronous path): routing them too would suppress twice.
    try:
        actions = routing.load(settings.tables, source=str(settings.file))
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    collector.deliverer = routing.wire(store, aws, actions)
    return collector

