"""The PostgreSQL schema of the team store: the same tables and columns as the SQLite store, so rows
read back as the same dicts; versioned in `sestui_schema` (one row) instead of `user_version`.

Differences that keep behaviour equal to SQLite's:
- Case-insensitive addresses (SQLite's COLLATE NOCASE) are expression indexes on lower(...).
- `events` is range-partitioned on `ts` (integer milliseconds) by week; partitions are created on
  demand by the writer (`partition_bounds`, `partition_ddl`) and `prune` drops whole ones.
- `events.id` comes from one sequence shared by every partition; writers take EVENTS_WRITE_LOCK
  for their transaction so ids are handed out in commit order (the live flow reads "id > last").
"""

from __future__ import annotations

from datetime import UTC, datetime

from sestui.store.postgres import rollup_schema


# pg_advisory_xact_lock keys (any constant bigint; chosen once, never change them).
MIGRATION_LOCK = 0x5E57_0001
EVENTS_WRITE_LOCK = 0x5E57_0002
PARTITION_LOCK = 0x5E57_0003

NOTIFY_CHANNEL = "sestui_events"

DAY_MS = 86_400_000
PARTITION_MS = 7 * DAY_MS
# 1970-01-01 was a Thursday: partitions start on Mondays, 00:00 UTC.
PARTITION_ORIGIN_MS = 4 * DAY_MS


def partition_bounds(ts: int) -> tuple[int, int]:
    """[lo, hi) of the week partition holding `ts`."""
    lo = (ts - PARTITION_ORIGIN_MS) // PARTITION_MS * PARTITION_MS + PARTITION_ORIGIN_MS
    return lo, lo + PARTITION_MS


def partition_name(lo: int) -> str:
    day = datetime.fromtimestamp(lo / 1000, tz=UTC)
    return f"events_w{day:%Y%m%d}" if day.year >= 1000 else f"events_w{lo // DAY_MS}"


def partition_ddl(lo: int, hi: int) -> str:
    return f"CREATE TABLE IF NOT EXISTS {partition_name(lo)} PARTITION OF events FOR VALUES FROM ({lo}) TO ({hi})"


# The event detail columns version 1 was written with (core.events.DETAIL_FIELDS then); later
# ones are added by later migrations.
_V1_DETAILS = ("bounce_type", "bounce_subtype", "diagnostic_code", "complaint_feedback_type", "delay_type", "link",
               "user_agent", "ip_address", "reject_reason", "error_message", "subject", "source",
               "configuration_set")
_DETAILS = ",\n  ".join(f"{name} TEXT" for name in _V1_DETAILS)

_V1 = f"""
CREATE TABLE sestui_schema (
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  version INTEGER NOT NULL
);
CREATE SEQUENCE events_id_seq AS BIGINT;
CREATE TABLE events (
  id BIGINT NOT NULL DEFAULT nextval('events_id_seq'),
  message_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  recipient TEXT NOT NULL,
  ts BIGINT NOT NULL,
  {_DETAILS}
) PARTITION BY RANGE (ts);
ALTER SEQUENCE events_id_seq OWNED BY events.id;
CREATE UNIQUE INDEX events_identity ON events(message_id, event_type, recipient, ts);
CREATE INDEX events_id ON events(id);
CREATE INDEX events_ts ON events(ts, id);
CREATE INDEX events_recipient ON events(lower(recipient), ts);
CREATE INDEX events_type_ts ON events(event_type, ts);

CREATE TABLE records (
  id BIGSERIAL PRIMARY KEY,
  message_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  ts BIGINT NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX records_identity ON records(message_id, event_type, ts);
CREATE INDEX records_ts ON records(ts);

CREATE TABLE messages (
  message_id TEXT PRIMARY KEY,
  first_seen BIGINT NOT NULL,
  mail_ts BIGINT,
  last_event_ts BIGINT,
  source TEXT,
  subject TEXT,
  destinations TEXT,
  configuration_set TEXT,
  tags TEXT
);

CREATE TABLE message_recipients (
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  status TEXT NOT NULL,
  rank INTEGER NOT NULL,
  ts BIGINT NOT NULL,
  PRIMARY KEY (message_id, recipient)
);

CREATE TABLE quarantine (
  id BIGSERIAL PRIMARY KEY,
  received BIGINT NOT NULL,
  reason TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX quarantine_received ON quarantine(received);

CREATE TABLE collector_state (
  collector_id TEXT PRIMARY KEY,
  queue_url TEXT,
  state TEXT NOT NULL,
  started BIGINT NOT NULL,
  heartbeat BIGINT NOT NULL,
  last_success BIGINT,
  last_error TEXT,
  last_error_at BIGINT,
  events_per_s DOUBLE PRECISION NOT NULL DEFAULT 0,
  backlog BIGINT,
  received BIGINT NOT NULL DEFAULT 0,
  stored BIGINT NOT NULL DEFAULT 0,
  duplicates BIGINT NOT NULL DEFAULT 0,
  quarantined BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE account_snapshots (
  id BIGSERIAL PRIMARY KEY,
  taken BIGINT NOT NULL,
  profile TEXT,
  region TEXT,
  status TEXT,
  error TEXT
);

CREATE TABLE send_stats (
  ts BIGINT PRIMARY KEY,
  delivery_attempts BIGINT NOT NULL,
  bounces BIGINT NOT NULL,
  complaints BIGINT NOT NULL,
  rejects BIGINT NOT NULL
);

CREATE TABLE suppressions (
  email TEXT NOT NULL,
  reason TEXT NOT NULL,
  last_update BIGINT,
  message_id TEXT,
  feedback_id TEXT,
  fetched BIGINT NOT NULL
);
CREATE UNIQUE INDEX suppressions_email ON suppressions(lower(email));

CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT,
  origin TEXT NOT NULL,
  action TEXT NOT NULL,
  email TEXT,
  reason TEXT,
  outcome TEXT NOT NULL,
  detail TEXT,
  message_id TEXT
);
CREATE INDEX audit_at ON audit(at);
CREATE INDEX audit_email ON audit(lower(email));
"""

# Each entry moves the schema from version i to i+1. Append; never edit a released entry.
# Version 1 of this schema already holds what SQLite's versions 1 and 2 hold.
# Version 2: what SQLite's versions 3 and 5 added (complaint subtype and bounce class per event; the
# collector's database, receive wait and dead-letter queue depth). Older bounces get no class here:
# no PostgreSQL store held any before this version.
_V2 = """
ALTER TABLE events ADD COLUMN complaint_sub_type TEXT;
ALTER TABLE events ADD COLUMN bounce_class TEXT;
ALTER TABLE collector_state ADD COLUMN db_path TEXT;
ALTER TABLE collector_state ADD COLUMN wait_seconds INTEGER;
ALTER TABLE collector_state ADD COLUMN dlq_backlog BIGINT
"""

# Version 3: the actions outbox and the guards' state (SQLite makes them outside its numbered
# migrations, store/outbox.py's SCHEMA): the same columns; `owner` is a deliverer's advisory-lock
# number (store/postgres/outbox.py), not SQLite's text id. No foreign key from outbox.channel to
# outbox_actions (SQLite declares one but does not enforce it): its per-row check slowed the write
# path with a rule matching every event (ratio 0.74 -> 0.84 measured); the action row is written first.
_V3 = """
CREATE TABLE outbox_actions (
  key TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  action_kind TEXT NOT NULL,
  action TEXT NOT NULL
);
CREATE TABLE outbox (
  id BIGSERIAL PRIMARY KEY,
  dedup BYTEA NOT NULL UNIQUE,
  channel TEXT NOT NULL,
  recipient TEXT,
  message_id TEXT,
  event_type TEXT,
  event_ts BIGINT,
  payload TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT NOT NULL,
  last_error TEXT,
  created BIGINT NOT NULL,
  updated BIGINT,
  owner BIGINT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
CREATE INDEX outbox_order ON outbox(channel, recipient, id) WHERE state IN ('pending', 'retrying', 'running');
CREATE TABLE guard_state (
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  since BIGINT NOT NULL,
  rate DOUBLE PRECISION,
  volume BIGINT
)
"""

# Version 4: the flow's `set:NAME` and `tag:KEY=VALUE` filters look the messages up first (an
# event's configuration set and tags are its message's: any record of it may carry them).
_V4 = """
CREATE INDEX messages_set ON messages(configuration_set);
CREATE INDEX messages_tags ON messages USING gin ((tags::jsonb) jsonb_path_ops)
"""

# Version 5: the hourly roll-ups, filled from the events already stored; version 6: the roll-ups
# per dimension the breakdowns read, summed from them; version 7: those with a count column per
# event type, as SQLite's, the tags' hourly rows among them (store/postgres/rollup_schema.py).
_V5 = rollup_schema.migration_5()
_V6 = rollup_schema.migration_6()
_V7 = rollup_schema.migration_7()

# Version 8: an event with no set of its own carries its message's, as on SQLite (earlier versions
# left an identity notification's events without one; the roll-ups counted them right already).
_V8 = """
UPDATE events SET configuration_set = m.configuration_set FROM messages m
WHERE m.message_id = events.message_id AND events.configuration_set IS NULL AND m.configuration_set IS NOT NULL
"""

MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8]


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
