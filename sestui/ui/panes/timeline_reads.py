"""What the timeline pane reads from the store, in its workers, and how it holds the events.

A message to 10,000 recipients has tens of thousands of events: the pane reads every event's place
(store.timeline_index: two numbers each, no row dict), whole rows only for the window it shows, the
first recipients for its header (all of them counted by the store) and, in one query, those of them
on the suppression cache."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from sestui.ui.messages import TimelineRead, WindowRead

RECIPIENTS_LISTED = 100  # the header's To line has room for fewer (each takes 8 cells at least)


def read_timeline(store, message_id: str, known: int, latest: int) -> TimelineRead:
    """The message, every event's place, whole rows for the `latest` newest events when the number of
    events is not `known` (what the pane holds), and the suppressed among the recipients."""
    index = [(ts, event_id, str(event_id)) for ts, event_id in store.timeline_index(message_id)]
    places = {key: (ts, event_id) for ts, event_id, key in index}
    rows = store.events_by_id(entry[1] for entry in index[-latest:]) if len(index) != known else []
    return TimelineRead(message_id, store.message(message_id, recipients=RECIPIENTS_LISTED), index, places, rows,
                        store.recipients_suppressed(message_id))


def read_window(store, message_id: str, start: int, cursor: int, ids: list[int]) -> WindowRead:
    return WindowRead(message_id, start, cursor, ids, store.events_by_id(ids))


class TimelineEvents(Mapping[str, dict]):
    """Every event of the open message by row key: its whole row once read (those of the window at
    least: `read`), else its place alone ({id, ts, message_id}, made when asked for). Knowing 20,000
    events costs a dict of their places, not 20,000 row dicts built on the event loop."""

    def __init__(self) -> None:
        self.message_id: str | None = None
        self.places: dict[str, tuple[int, int]] = {}  # row key -> (ts, id)
        self.read: dict[str, dict] = {}

    def __getitem__(self, key: str) -> dict:
        row = self.read.get(key)
        if row is not None:
            return row
        ts, event_id = self.places[key]
        return {"id": event_id, "ts": ts, "message_id": self.message_id}

    def __contains__(self, key: object) -> bool:
        return key in self.places

    def __iter__(self) -> Iterator[str]:
        return iter(self.places)

    def __len__(self) -> int:
        return len(self.places)

    def clear(self, message_id: str | None = None) -> None:
        self.message_id = message_id
        self.places.clear()
        self.read.clear()

    def new(self, message: TimelineRead) -> list[tuple[int, int, str]]:
        """The events of `message` (read_timeline's) not known yet, in time order; known from now on."""
        if not self.places:  # the first read: its places, as the worker made them
            self.places = message.places
            return message.index
        places = self.places
        new = [entry for entry in message.index if entry[2] not in places]
        places.update((key, (ts, event_id)) for ts, event_id, key in new)
        return new

    def keep(self, rows: Iterable[dict]) -> None:
        for row in rows:
            key = str(row["id"])
            self.read[key] = row
            self.places[key] = (row["ts"], row["id"])

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.places.pop(key, None)
            self.read.pop(key, None)
