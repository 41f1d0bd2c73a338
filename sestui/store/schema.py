"""The SQLite schema as a versioned list of migrations, written with sqlite-utils.

`PRAGMA user_version` is the number of migrations applied; each entry moves the schema from version
i to i+1 inside the caller's transaction. Append; never edit a released entry. sqlite-utils cannot
say WITHOUT ROWID, a NOCASE primary key or a NOCASE index column: those few statements are SQL.

`PRAGMA application_id` marks the file as sestui's, so a foreign SQLite file is refused, not altered.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from sestui.core import classify
from sestui.store import rollups

APPLICATION_ID = 0x53455354  # "SEST"

# Tables whose presence (with a user_version) makes an unmarked file an older sestui database.
SESTUI_TABLES = frozenset({"events", "records", "messages", "message_recipients", "quarantine"})

# Columns of the flow filter's full-text index (FTS5, trigram tokenizer: substring matching): the
# columns the filter matches. Diagnostic code and source are left out on purpose: indexing them as
# well tripled the index's write cost (measured: 20k events 11 s -> 38 s to build) for columns no
# query reads; widen this (in a new migration) when a filter matches them.
FTS_COLUMNS = ("recipient", "message_id", "subject")

_V1_DETAILS = ("bounce_type", "bounce_subtype", "diagnostic_code", "complaint_feedback_type", "delay_type", "link",
               "user_agent", "ip_address", "reject_reason", "error_message", "subject", "source",
               "configuration_set")


def _v1(db: sqlite_utils.Database) -> None:
    """Events, their raw records, messages, per-recipient status, quarantined bodies."""
    events = db.create_table(
        "events",
        {"id": int, "message_id": str, "event_type": str, "recipient": str, "ts": int,
         **{name: str for name in _V1_DETAILS}},
        pk="id", not_null=("message_id", "event_type", "recipient", "ts"))
    events.create_index(["message_id", "event_type", "recipient", "ts"], "events_identity", unique=True)
    events.create_index(["ts"], "events_ts")
    db.execute("CREATE INDEX events_recipient ON events(recipient COLLATE NOCASE, ts)")
    events.create_index(["event_type", "ts"], "events_type_ts")

    records = db.create_table("records", {"id": int, "message_id": str, "event_type": str, "ts": int, "body": str},
                              pk="id", not_null=("message_id", "event_type", "ts", "body"))
    records.create_index(["message_id", "event_type", "ts"], "records_identity", unique=True)

    db.create_table(
        "messages",
        {"message_id": str, "first_seen": int, "mail_ts": int, "last_event_ts": int, "source": str, "subject": str,
         "destinations": str, "configuration_set": str, "tags": str},
        pk="message_id", not_null=("first_seen",))
    db.execute("""
        CREATE TABLE message_recipients (
          message_id TEXT NOT NULL, recipient TEXT NOT NULL, status TEXT NOT NULL, rank INTEGER NOT NULL,
          ts INTEGER NOT NULL, PRIMARY KEY (message_id, recipient)
        ) WITHOUT ROWID""")
    quarantine = db.create_table("quarantine", {"id": int, "received": int, "reason": str, "body": str},
                                 pk="id", not_null=("received", "reason", "body"))
    quarantine.create_index(["received"], "quarantine_received")


def _v2(db: sqlite_utils.Database) -> None:
    """Operational state shared between a collector and any number of consoles."""
    db.create_table(
        "collector_state",
        {"collector_id": str, "queue_url": str, "state": str, "started": int, "heartbeat": int, "last_success": int,
         "last_error": str, "last_error_at": int, "events_per_s": float, "backlog": int, "received": int,
         "stored": int, "duplicates": int, "quarantined": int},
        pk="collector_id",
        not_null=("state", "started", "heartbeat", "events_per_s", "received", "stored", "duplicates", "quarantined"),
        defaults={"events_per_s": 0, "received": 0, "stored": 0, "duplicates": 0, "quarantined": 0})
    db.create_table("account_snapshots",
                    {"id": int, "taken": int, "profile": str, "region": str, "status": str, "error": str},
                    pk="id", not_null=("taken",))
    db.create_table("send_stats",
                    {"ts": int, "delivery_attempts": int, "bounces": int, "complaints": int, "rejects": int},
                    pk="ts", not_null=("delivery_attempts", "bounces", "complaints", "rejects"))
    db.execute("""
        CREATE TABLE suppressions (
          email TEXT PRIMARY KEY COLLATE NOCASE, reason TEXT NOT NULL, last_update INTEGER, message_id TEXT,
          feedback_id TEXT, fetched INTEGER NOT NULL
        )""")
    audit = db.create_table(
        "audit",
        {"id": int, "at": int, "actor": str, "origin": str, "action": str, "email": str, "reason": str,
         "outcome": str, "detail": str, "message_id": str},
        pk="id", not_null=("at", "origin", "action", "outcome"))
    audit.create_index(["at"], "audit_at")


def _v3(db: sqlite_utils.Database) -> None:
    """Complaint subtype and bounce class per event; a full-text index for the flow's filter."""
    events = db.table("events")
    events.add_column("complaint_sub_type", str)
    events.add_column("bounce_class", str)
    # Older bounces get their class from what the row holds (the record's shape is not re-read).
    db.conn.create_function("sestui_bounce_class", 3, classify.bounce_class, deterministic=True)
    db.execute("UPDATE events SET bounce_class = sestui_bounce_class(bounce_type, bounce_subtype, diagnostic_code)"
               " WHERE event_type = 'bounce'")
    events.enable_fts(FTS_COLUMNS, fts_version="FTS5", create_triggers=True, tokenize="trigram")


_V4_ROLLUP_COLUMNS = ("hour", "event_type", "configuration_set", "from_domain", "recipient_domain", "campaign",
                      "bounce_class", "feedback_type")


def _v4(db: sqlite_utils.Database) -> None:
    """Hourly roll-ups for breakdowns, in their first shape (version 6 replaces the table and fills
    it from the events, so this step no longer counts them)."""
    db.create_table("rollup_hourly", {**{c: (int if c == "hour" else str) for c in _V4_ROLLUP_COLUMNS}, "n": int},
                    pk=_V4_ROLLUP_COLUMNS, not_null=_V4_ROLLUP_COLUMNS + ("n",))


Migration = Callable[[sqlite_utils.Database], None]


def _v5(db: sqlite_utils.Database) -> None:
    """The collector's state row says which database it writes and how long its receives wait (the
    feed is LIVE only for this database, and a receive silent past its wait is a hung endpoint),
    and how deep its dead-letter queue is."""
    state = db.table("collector_state")
    for name, kind in (("db_path", str), ("wait_seconds", int), ("dlq_backlog", int)):
        if name not in state.columns_dict:
            state.add_column(name, kind)


# The flow filter's FTS index follows the three columns it holds, not every update of a row (the
# write path fills an event's configuration set from its message).
_FTS_UPDATE_TRIGGER = """
CREATE TRIGGER events_au AFTER UPDATE OF recipient, message_id, subject ON events BEGIN
  INSERT INTO events_fts (events_fts, rowid, recipient, message_id, subject)
    VALUES ('delete', old.rowid, old.recipient, old.message_id, old.subject);
  INSERT INTO events_fts (rowid, recipient, message_id, subject)
    VALUES (new.rowid, new.recipient, new.message_id, new.subject);
END"""


def _v6(db: sqlite_utils.Database) -> None:
    """Breakdowns and flow filters by configuration set and by tag, taken from the message:
    - an event without a configuration set of its own (an identity notification) gets its message's;
      events(configuration_set) serves `set:NAME` (rowid order within a set: a LIMIT stops early);
    - message_tags holds the tags of a message's first record with tags, as messages.tags (`tag:KEY=VALUE`);
    - rollup_hourly is rebuilt with hard bounces told apart and without the campaign column, and
      rollup_tags holds the counts per tag, so the campaign's key is a setting read at query time."""
    conn = db.conn
    conn.execute("DROP TRIGGER IF EXISTS events_au")
    conn.execute(_FTS_UPDATE_TRIGGER)
    conn.execute("UPDATE events SET configuration_set = m.configuration_set FROM messages m"
                 " WHERE m.message_id = events.message_id AND events.configuration_set IS NULL"
                 " AND m.configuration_set IS NOT NULL")
    conn.execute("CREATE INDEX IF NOT EXISTS events_set ON events(configuration_set)")
    conn.execute("CREATE TABLE IF NOT EXISTS message_tags (message_id TEXT NOT NULL, tag_key TEXT NOT NULL,"
                 " tag_value TEXT NOT NULL, PRIMARY KEY (message_id, tag_key, tag_value)) WITHOUT ROWID")
    conn.execute("CREATE INDEX IF NOT EXISTS message_tags_value ON message_tags(tag_key, tag_value)")
    conn.execute("INSERT OR IGNORE INTO message_tags (message_id, tag_key, tag_value)"
                 " SELECT m.message_id, t.key, v.value FROM messages m, json_each(m.tags) t, json_each(t.value) v"
                 " WHERE json_valid(m.tags) AND json_type(m.tags) = 'object' AND t.type = 'array'"
                 " AND v.type = 'text'")
    conn.execute("DROP TABLE IF EXISTS rollup_hourly")
    db.create_table("rollup_hourly", {**{c: (int if c in ("hour", "hard") else str) for c in rollups.COLUMNS},
                                      "n": int}, pk=rollups.COLUMNS, not_null=rollups.COLUMNS + ("n",))
    conn.execute("DROP TABLE IF EXISTS rollup_tags")
    conn.execute(f"CREATE TABLE rollup_tags (tag_key TEXT NOT NULL, hour INTEGER NOT NULL, event_type TEXT NOT NULL,"
                 f" hard INTEGER NOT NULL, tag_value TEXT NOT NULL, n INTEGER NOT NULL,"
                 f" PRIMARY KEY ({', '.join(rollups.TAG_COLUMNS)})) WITHOUT ROWID")
    rollups.rebuild(conn)


def _v7(db: sqlite_utils.Database) -> None:
    """Mail to the mailbox simulator leaves the roll-ups: it counts toward none of AWS's rates."""
    rollups.rebuild(db.conn)


def _v8(db: sqlite_utils.Database) -> None:
    """Breakdowns read rollup_groups (the hourly roll-ups summed per dimension: store/rollups.py)."""
    # Version 9 replaces the table this made (a row per event type) and fills it: nothing to do
    # here that it would not undo.


def _v9(db: sqlite_utils.Database) -> None:
    """rollup_groups in its new shape: a row per group with a count per event type (not a row per
    type), and 6-hour rows beside the hourly and daily ones (store/rollups.py's TIERS)."""
    db.conn.execute("DROP TABLE IF EXISTS rollup_groups")
    db.conn.execute(rollups.GROUPS_TABLE)
    rollups.regroup(db.conn)
    rollups.retier(db.conn)


MIGRATIONS: list[Migration] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9]


def migrate(db: sqlite_utils.Database, from_version: int) -> None:
    """Apply the migrations after `from_version`, setting user_version after each (caller's transaction)."""
    for target, step in enumerate(MIGRATIONS[from_version:], start=from_version + 1):
        step(db)
        db.execute(f"PRAGMA user_version = {target}")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
