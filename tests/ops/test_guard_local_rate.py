"""A local guard over a configuration set counts that set's bounces and complaints whichever way
they came: SES's identity notifications carry no tags, so their events name no set, and the same
complaint arriving that way first (stored once) must still count for the set its message went
through."""

from __future__ import annotations

from datetime import datetime

from fixtures import record, sns_envelope
from pg_server import store_on_each_backend, target  # noqa: F401  (fixtures: `store` on SQLite, then PostgreSQL)

from sestui.core.events import parse_body
from sestui.core.guards import Guard, Level
from sestui.ops.guards import local_rate


def _store(store, rec: dict) -> None:
    body = sns_envelope(rec)
    store.add([(body, parse_body(body))])


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def test_a_complaint_from_an_identity_notification_counts_for_its_messages_set(store):
    complaint = record("notification-complaint")  # identity style: no eventType, no tags
    assert "tags" not in complaint["mail"]
    send = record("event-send")  # the same message's Send, through the set "sestui-events"
    send["mail"].update(messageId=complaint["mail"]["messageId"], destination=complaint["mail"]["destination"],
                        timestamp=complaint["mail"]["timestamp"])
    _store(store, send)
    _store(store, complaint)
    now = _ms(complaint["complaint"]["timestamp"]) + 1000
    assert parse_body(sns_envelope(complaint)).events[0].configuration_set is None  # the event names no set

    def guard(configuration_set: str) -> Guard:
        return Guard("g", "complaint_rate", "local", configuration_set, window_s=7 * 86400, min_volume=1,
                     pause=Level(0.5, ()))

    rate, volume = local_rate(store.outbox, guard("sestui-events"), now)
    other = local_rate(store.outbox, guard("another-set"), now)
    sends = len(complaint["mail"]["destination"])
    complained = len(complaint["complaint"]["complainedRecipients"])
    assert (rate, volume) == (complained / sends, sends)
    assert other == (None, 0)
