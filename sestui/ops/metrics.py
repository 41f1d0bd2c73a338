"""`sestui collect --metrics HOST:PORT`: a Prometheus endpoint at /metrics, names prefixed `sestui_`.

Every scrape reads the store (through its own read-only connection: the HTTP server has its own
thread) and the collector's counters; nothing is cached here, so a scrape never shows a figure
older than the store's.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from prometheus_client import start_http_server
from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from sestui.core import health
from sestui.core.events import EVENT_TYPES
from sestui.ops import reputation
from sestui.store import Store, now_ms

DEFAULT_HOST = "127.0.0.1"


def parse_address(text: str) -> tuple[str, int]:
    """`9464`, `:9464`, `127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464` -> (host, port);
    loopback unless a host is named."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or DEFAULT_HOST
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"--metrics {text!r}: give HOST:PORT or PORT (e.g. 127.0.0.1:9464)") from None
    if not 0 <= number < 65536:  # 0: any free port
        raise ValueError(f"--metrics {text!r}: the port must be 0..65535")
    return host, number


class SestuiMetrics(Collector):
    def __init__(self, open_store: Callable[[], Store], stats: Callable[[], dict[str, Any]] | None = None,
                 clock: Callable[[], int] = now_ms):
        self._open_store = open_store
        self._stats = stats
        self._clock = clock

    def collect(self) -> Iterator[Any]:
        store = self._open_store()
        try:
            yield from self._from_store(store, self._clock())
        finally:
            store.close()
        if self._stats is not None:
            stats = self._stats()
            stored = CounterMetricFamily("sestui_collector_events", "Events this collector stored, by outcome",
                                         labels=["outcome"])
            for outcome in ("stored", "duplicates", "quarantined"):
                stored.add_metric([outcome], stats.get(outcome, 0))
            yield stored
            yield CounterMetricFamily("sestui_collector_received_messages", "SQS messages this collector received",
                                      value=stats.get("received", 0))

    def _from_store(self, store: Store, now: int) -> Iterator[Any]:
        counts = store.counts_by_type(now - 86_400_000)
        events = GaugeMetricFamily("sestui_events_24h", "Events stored for the last 24 hours, by type",
                                   labels=["type"])
        for kind in EVENT_TYPES:
            events.add_metric([kind], counts.get(kind, 0))
        yield events
        yield GaugeMetricFamily("sestui_quarantined", "Bodies kept in quarantine (not SES events, or unverifiable)",
                                value=store.count("quarantine"))
        collectors = store.collector_states()
        feed = health.feed_state(collectors, now)
        state = GaugeMetricFamily("sestui_feed_state", "1 for the feed's current state", labels=["state"])
        for name in ("live", "stale", "stopped", "none"):
            state.add_metric([name], 1.0 if feed.state == name else 0.0)
        yield state
        if feed.backlog is not None:
            yield GaugeMetricFamily("sestui_queue_backlog", "Messages waiting in the SQS queue", value=feed.backlog)
        last = max((row.get("last_success") or 0 for row in collectors), default=0)
        if last:
            yield GaugeMetricFamily("sestui_collector_last_success_timestamp_seconds",
                                    "When a collector last received from SQS successfully", value=last / 1000)
        yield from _rates(store, now)


def _rates(store: Store, now: int) -> Iterator[Any]:
    aws_rates = GaugeMetricFamily("sestui_reputation_rate",
                                  "Bounce and complaint rates as a fraction; source=cloudwatch is AWS's own figure",
                                  labels=["kind", "source", "configuration_set"])
    snapshot = store.account_snapshot(ok_only=True)
    reading = reputation.Reputation.from_json(((snapshot or {}).get("status") or {}).get("reputation"))
    if reading is not None:
        # AWS's figures as the collector last read them; its local estimates counted again now, as
        # `sestui status` counts them (the saved ones are up to a poll interval old).
        reading = reputation.with_fresh_estimates(reading, store, now)
        for rates in [reading.account, *reading.configuration_sets]:
            for kind, figure in (("bounce", rates.bounce), ("complaint", rates.complaint)):
                if figure.value is not None:
                    aws_rates.add_metric([kind, figure.source, rates.name or ""], figure.value)
    yield aws_rates
    local = GaugeMetricFamily("sestui_local_rate", "Rates from the stored events over 14 days (hard bounces)",
                              labels=["kind", "configuration_set"])
    for name, (counts, hard) in store.counts_by_configuration_set(now - reputation.WINDOW_MS).items():
        rates = reputation.local_rates(counts, hard, name)
        for kind, figure in (("bounce", rates.bounce), ("complaint", rates.complaint)):
            if figure.value is not None:
                local.add_metric([kind, name or ""], figure.value)
    yield local


def serve(address: str, metrics: SestuiMetrics):
    """Start the endpoint in a daemon thread; returns (server, thread). `address` as parse_address."""
    host, port = parse_address(address)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics)
    return start_http_server(port, addr=host, registry=registry)
