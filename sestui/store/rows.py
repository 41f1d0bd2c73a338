"""Parsed bodies flattened into the rows each table receives, and the statements that write them.

An event is identified by (message_id, event_type, recipient, ts); the unique index on those
columns is what makes redelivered or doubly-published events land once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from json.encoder import encode_basestring

import orjson

from sestui.core.classify import STATUS_RANK, status_of
from sestui.core.events import DETAIL_FIELDS, EVENT_TYPES, Parsed, valid_text
from sestui.store import rollups
from sestui.store.base import _EPOCH, _MS, AddResult, now_ms

EVENT_COLUMNS = ("message_id", "event_type", "recipient", "ts") + DETAIL_FIELDS

MESSAGE_COLUMNS = ("message_id", "first_seen", "mail_ts", "last_event_ts", "source", "subject", "destinations",
                   "configuration_set", "tags")
RECIPIENT_COLUMNS = ("message_id", "recipient", "status", "rank", "ts")


def message_merge(greatest: str) -> str:
    """How a message row merges with the stored one (both backends; `greatest` is the backend's
    two-argument maximum: SQLite's max, PostgreSQL's greatest)."""
    return f"""ON CONFLICT (message_id) DO UPDATE SET
  mail_ts = coalesce(messages.mail_ts, excluded.mail_ts),
  last_event_ts = {greatest}(coalesce(messages.last_event_ts, 0), excluded.last_event_ts),
  source = coalesce(messages.source, excluded.source),
  subject = coalesce(messages.subject, excluded.subject),
  destinations = CASE WHEN messages.destinations IS NULL OR messages.destinations = '[]'
                      THEN excluded.destinations ELSE messages.destinations END,
  configuration_set = coalesce(messages.configuration_set, excluded.configuration_set),
  tags = CASE WHEN messages.tags IS NULL OR messages.tags = '{{}}' THEN excluded.tags ELSE messages.tags END"""


# A recipient's status moves to a higher rank, or at the same rank to a later event.
RECIPIENT_MERGE = """ON CONFLICT (message_id, recipient) DO UPDATE SET
  status = excluded.status, rank = excluded.rank, ts = excluded.ts
  WHERE excluded.rank > message_recipients.rank
     OR (excluded.rank = message_recipients.rank AND excluded.ts > message_recipients.ts)"""

_json_text = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False) without a new encoder per call
_quoted = encode_basestring  # what that encoder writes for a str
assert EVENT_COLUMNS[4:] == DETAIL_FIELDS == ("bounce_type", "bounce_subtype", "diagnostic_code", "complaint_feedback_type",
    "delay_type", "link", "user_agent", "ip_address", "reject_reason", "error_message", "subject", "source",
    "configuration_set", "complaint_sub_type", "bounce_class"), "Rows.add writes the event columns in this order"
# the status of every event type but the two whose status depends on the event
_TYPE_STATUS = {t: status_of(t, None) for t in EVENT_TYPES if t not in ("bounce", "complaint")}
# orjson.dumps of tags as a key for the JSON text json.dumps gives them: only plain JSON values (no
# subclass, dataclass, date...) and no null (which is also what orjson writes for NaN and infinities)
_KEY_OPTIONS = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def _list_text(values: list) -> str:
    """_json_text(values), sooner for the usual list: one address."""
    if type(values) is list and len(values) == 1 and type(values[0]) is str:
        return f"[{_quoted(values[0])}]"
    return _json_text(values)


class Rows:
    """Parsed bodies flattened into the rows each table receives, ready for executemany.
    Plain lists of tuples, so they pickle cheaply from a parsing process to the writer."""

    EVENT_SQL = (
        f"INSERT OR IGNORE INTO events ({', '.join(EVENT_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
    )
    RECORD_SQL = "INSERT OR IGNORE INTO records (message_id, event_type, ts, body) VALUES (?, ?, ?, ?)"
    MESSAGE_SQL = (f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS)}) VALUES ({', '.join('?' * len(MESSAGE_COLUMNS))}) "
                   + message_merge("max"))
    RECIPIENT_SQL = (f"INSERT INTO message_recipients ({', '.join(RECIPIENT_COLUMNS)}) "
                     f"VALUES ({', '.join('?' * len(RECIPIENT_COLUMNS))}) {RECIPIENT_MERGE}")
    QUARANTINE_SQL = "INSERT INTO quarantine (received, reason, body) VALUES (?, ?, ?)"

    def __init__(self, received_ms: int):
        self.received_ms = received_ms
        self.events: list[tuple] = []
        self.records: list[tuple] = []
        self.messages: list[tuple] = []
        self.recipients: list[tuple] = []
        self.quarantine: list[tuple] = []
        # message id -> (destinations, tags, their JSON): a message's records tend to share a batch
        self._mail_json: dict[str, tuple[list, dict, str, str]] = {}
        self._tags_json: dict[bytes, str] = {}

    @classmethod
    def of(cls, items: Iterable[tuple[str | bytes, Parsed]], received_ms: int | None = None) -> Rows:
        """The rows of (raw body, parsed) pairs received at `received_ms` (now if None): each
        backend's Store.add."""
        rows = cls(received_ms if received_ms is not None else now_ms())
        for body, parsed in items:
            rows.add(body, parsed)
        return rows

    def add(self, body: str | bytes, parsed: Parsed) -> None:
        if parsed.reason is not None:
            if isinstance(body, (bytes, bytearray)):
                body = body.decode("utf-8", errors="backslashreplace")
            else:
                body = valid_text(body)  # SQLite text must be UTF-8: no lone surrogates
            self.quarantine.append((self.received_ms, parsed.reason, body))
            return
        mail = parsed.mail
        assert mail is not None
        last_ts = 0
        add_event, add_recipient = self.events.append, self.recipients.append
        for ev in parsed.events:
            ts = (ev.timestamp - _EPOCH) // _MS  # to_ms, inline
            if ts > last_ts:
                last_ts = ts
            add_event((ev.message_id, ev.event_type, ev.recipient, ts, ev.bounce_type, ev.bounce_subtype,
                       ev.diagnostic_code, ev.complaint_feedback_type, ev.delay_type, ev.link, ev.user_agent,
                       ev.ip_address, ev.reject_reason, ev.error_message, ev.subject, ev.source, ev.configuration_set,
                       ev.complaint_sub_type, ev.bounce_class))  # EVENT_COLUMNS
            status = _TYPE_STATUS.get(ev.event_type)
            if status is None:
                status = status_of(ev.event_type, ev.bounce_type, ev.diagnostic_code, ev.bounce_class,
                                   complaint_sub_type=ev.complaint_sub_type,
                                   complaint_feedback_type=ev.complaint_feedback_type)
                if status is None:
                    continue
            add_recipient((ev.message_id, ev.recipient, status, STATUS_RANK[status], ts))
        self.records.append((mail.message_id, parsed.event_type, last_ts, parsed.record))
        cached = self._mail_json.get(mail.message_id)
        if cached is not None and cached[0] == mail.destinations and cached[1] == mail.tags:
            destinations, tags = cached[2], cached[3]
        else:
            destinations, tags = _list_text(mail.destinations), self._tags_text(mail.tags)
            self._mail_json[mail.message_id] = (mail.destinations, mail.tags, destinations, tags)
        mail_ts: int | None = None
        if mail.timestamp is not None:  # a Send's events have the mail's time, as the same object
            mail_ts = ts if parsed.events and mail.timestamp is ev.timestamp else (mail.timestamp - _EPOCH) // _MS
        self.messages.append((mail.message_id, self.received_ms, mail_ts, last_ts, mail.source, mail.subject,
                              destinations, mail.configuration_set, tags))

    def _tags_text(self, tags: dict) -> str:
        """_json_text(tags), once per distinct tags in the batch (most messages carry the same)."""
        try:
            key = orjson.dumps(tags, option=_KEY_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError: not plain JSON
            return _json_text(tags)
        text = self._tags_json.get(key)
        if text is None:
            text = _json_text(tags)
            if b"null" not in key:
                self._tags_json[key] = text
        return text

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_mail_json"] = {}
        state["_tags_json"] = {}
        return state

    def __len__(self) -> int:
        return len(self.events) + len(self.quarantine)

    def write(self, conn: sqlite3.Connection) -> AddResult:
        """In the caller's transaction: the ids above the newest before the write are its new events
        (no other writer can add any meanwhile), which the roll-ups then count. Even a batch of
        duplicates can bring a message's configuration set or tags (the same event in the other
        notification shape), which moves its earlier events' counts (store/rollups.py)."""
        stored = 0
        if self.events:
            newest = conn.execute(rollups.MAX_ID).fetchone()[0]
            stored = conn.executemany(self.EVENT_SQL, self.events).rowcount
            conn.executemany(self.RECORD_SQL, self.records)
            conn.executemany(self.MESSAGE_SQL, self.messages)
            conn.executemany(self.RECIPIENT_SQL, self.recipients)
            rollups.after_write(conn, newest, list({m[0]: None for m in self.messages}))
        if self.quarantine:
            conn.executemany(self.QUARANTINE_SQL, self.quarantine)
        return AddResult(stored, len(self.events) - stored, len(self.quarantine))
