"""What the timeline pane reads from the store, in its workers.

A message to 10,000 recipients has tens of thousands of events: the pane reads every event's place
(store.timeline_index: four values each, no row dict) and whole rows only for the window it shows."""

from __future__ import annotations

from sestui.ui.messages import TimelineRead, WindowRead

SUPPRESSIONS_CHUNK = 500  # addresses per look-up in the suppression cache


def read_timeline(store, message_id: str, known: int, latest: int) -> TimelineRead:
    """The message, every event's place, whole rows for the `latest` newest events when the number of
    events is not `known` (what the pane holds), and the suppressed among the recipients."""
    index = store.timeline_index(message_id)
    rows = store.events_by_id(entry[1] for entry in index[-latest:]) if len(index) != known else []
    addresses = list({entry[3] for entry in index})
    suppressed = {r["email"].lower(): r["reason"]
                  for i in range(0, len(addresses), SUPPRESSIONS_CHUNK)
                  for r in store.suppressions_for(addresses[i:i + SUPPRESSIONS_CHUNK])}
    return TimelineRead(message_id, store.message(message_id), index, rows, suppressed)


def read_window(store, message_id: str, start: int, cursor: int, ids: list[int]) -> WindowRead:
    return WindowRead(message_id, start, cursor, ids, store.events_by_id(ids))
