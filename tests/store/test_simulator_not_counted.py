"""Mail to the mailbox simulator counts toward none of AWS's rates (ses-reference section 4), so the
rates sestui works out for itself leave it out: the breakdown, the per-set counts behind the local
estimates and the guards' local counts, on both backends. The demo's breakdown had the simulator's
scripted bounces as its top row, above the campaign that was really hurting the set."""

from __future__ import annotations

from datetime import timedelta

from console_data import NOW, NOW_MS, envelope, record
from pg_server import store_on_each_backend, target  # noqa: F401  (fixtures: `store` on SQLite, then PostgreSQL)

from sestui.core.events import parse_body


def add(store, kind: str, n: int, who: str) -> None:
    body = envelope(record(kind, n, who, NOW - timedelta(minutes=5), NOW - timedelta(minutes=4), "s"))
    store.add([(body, parse_body(body))])


def test_simulator_mail_is_stored_and_shown_but_counts_toward_no_rate(store):
    for n, who in ((1, "bounce@simulator.amazonses.com"), (2, "Bounce+x@SIMULATOR.amazonses.com"),
                   (3, "ana@example.org"), (4, "bob@example.org")):
        add(store, "Send", n, who)
        add(store, "Bounce", n, who)
    assert store.count("events") == 8  # every event stored (the flow and the timeline show them)
    [row] = store.breakdown(86_400_000, "configuration_set", now=NOW_MS)
    assert (row["group"], row["send"], row["bounce"]) == ("default", 2, 2)
    assert not [r for r in store.breakdown(86_400_000, "recipient_domain", now=NOW_MS)
                if "simulator" in r["group"]]
    counts, hard = store.counts_by_configuration_set(0)["default"]
    assert (counts["send"], counts["bounce"], hard) == (2, 2, 2)
    local = store.outbox.local_counts(0, configuration_set="default")
    assert (local["send"], local["bounce"], local["bounce_hard"]) == (2, 2, 2)
