"""What an outbox item is, whatever database holds it: the rows the write path enqueues (built
from a `Rows` batch and a rule set, or by hand for a guard's crossing), their dedup key (which is
also the webhook's delivery id) and the normalized event a delivery carries. No SQL here: the
SQLite backend is store/outbox.py, the PostgreSQL one store/postgres/outbox.py.

An item row is the tuple of COLUMNS; its action row (key, rule, index, kind, JSON) is stored once
in `outbox_actions` however many items share it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
from collections.abc import Sequence
from typing import Any

from sestui.core.events import DETAIL_FIELDS
from sestui.store.base import iso_ms, now_ms

STATES = ("pending", "running", "retrying", "done", "dead", "dry-run", "discarded")
COLUMNS = ("dedup", "channel", "recipient", "message_id", "event_type", "event_ts", "payload", "state",
           "next_attempt_ms", "created")
# The event columns of store/rows.py's Rows.events tuples, in order (EVENT_SELECT: as SQL columns).
EVENT_KEYS = ("message_id", "event_type", "recipient", "timestamp", "bounce_type", "bounce_subtype",
              "diagnostic_code", "complaint_feedback_type", "delay_type", "link", "user_agent", "ip_address",
              "reject_reason", "error_message", "subject", "source", "configuration_set")
EVENT_SELECT = ", ".join("ts" if k == "timestamp" else k for k in EVENT_KEYS)
BOUNCE_CLASS_AT = 4 + DETAIL_FIELDS.index("bounce_class")  # after message_id, event_type, recipient, ts
encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dedup_key(rule: str, index: int, kind: str, identity: Sequence[Any]) -> bytes:
    """128 bits of (rule, action, event identity): the outbox's unique key and, in hex, the delivery id."""
    text = "\x1f".join([rule, f"{index}:{kind}", *(str(part) for part in identity)])
    return hashlib.blake2b(text.encode("utf-8", "backslashreplace"), digest_size=16).digest()


def action_row(rule: str, index: int, kind: str, params: dict) -> tuple:
    """(key, rule, index, kind, JSON): what an item does, stored once however many items share it.
    The key (the item's channel) changes when the action's settings do."""
    encoded = encode_json(params)
    key = hashlib.blake2b(f"{rule}\x1f{index}\x1f{encoded}".encode("utf-8", "backslashreplace"),
                          digest_size=8).hexdigest()
    return (key, rule, index, kind, encoded)


def event_object(values: Sequence[Any]) -> dict[str, Any]:
    """A Rows.events tuple (or an events row in that column order) as the normalized event of the
    export: ISO timestamp, no empty keys."""
    event = {k: v for k, v in zip(EVENT_KEYS, values, strict=False) if v is not None}
    event["timestamp"] = iso_ms(values[3])
    return event


def event_view(values: Sequence[Any], tags: dict | None) -> dict[str, Any]:
    view = dict(zip(EVENT_KEYS, values, strict=False))
    view["tags"] = tags or {}
    view["bounce_class"] = _stored_class(values)
    return view


def _stored_class(values: Sequence[Any]) -> str | None:
    """The classifier's bounce class of a Rows.events tuple (it knows auto-replies by their shape)."""
    return values[BOUNCE_CLASS_AT] if len(values) > BOUNCE_CLASS_AT else None


def _message_tags(rows: Any) -> dict[str, dict]:
    tags: dict[str, dict] = {}
    for mid, cached in getattr(rows, "_mail_json", {}).items():
        tags[mid] = cached[1]
    for message in rows.messages:
        if message[0] not in tags and message[8]:
            tags[message[0]] = json.loads(message[8])
    return tags


def items_for_rows(rows: Any, ruleset: Any, now: int | None = None) -> list[tuple]:
    """(action row, outbox row) for every (rule, action) the events in `rows` trigger (duplicates
    included: the unique dedup key absorbs them). The payload is not copied: the deliverer reads
    the event from the events table, committed in the same transaction."""
    if not ruleset or not rows.events:
        return []
    now = now if now is not None else now_ms()
    tags = _message_tags(rows) if ruleset.needs_tags else {}
    keys: dict[int, tuple] = {}
    items: list[tuple] = []
    blake = hashlib.blake2b
    for values in rows.events:
        rules = ruleset.candidates(values[1])
        if not rules:
            continue
        view = None
        for rule in rules:
            mode = rule.current_mode
            if mode == "off":
                continue
            when = rule.when
            if when.by_type_only:  # the common rule: the event type was the whole test
                if not when.quick_match(values[1], values[4], values[6], values[7], _stored_class(values)):
                    continue
            else:
                if view is None:
                    view = event_view(values, tags.get(values[0]))
                if not when.matches(view):
                    continue
            state = "dry-run" if mode == "dry-run" else "pending"
            identity = f"{values[0]}\x1f{values[1]}\x1f{values[2]}\x1f{values[3]}"
            for action in rule.do:
                act = keys.get(id(action))
                if act is None:
                    act = keys[id(action)] = action_row(rule.name, action.index, action.kind, action.params)
                dedup = blake(f"{rule.name}\x1f{action.index}:{action.kind}\x1f{identity}".encode(
                    "utf-8", "backslashreplace"), digest_size=16).digest()
                items.append((act, (dedup, act[0], values[2], values[0], values[1], values[3], None, state, now, now)))
    return items


def item(rule: str, index: int, kind: str, params: dict, payload: dict, identity: Sequence[Any], *,
         recipient: str | None = None, message_id: str | None = None, dry_run: bool = False,
         now: int | None = None) -> tuple:
    """One (action row, outbox row) built by hand, with its payload (a guard's crossing)."""
    now = now if now is not None else now_ms()
    act = action_row(rule, index, kind, params)
    return (act, (dedup_key(rule, index, kind, identity), act[0], recipient, message_id, None, None, encode_json(payload),
                  "dry-run" if dry_run else "pending", now, now))




# --- a deliverer's identity, and whether its process is still there (SQLite's owners) -------------

def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks (Linux /proc), so a reused pid is not taken for the
    owner; "Z" for a zombie (dead, not yet reaped); None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return "Z" if fields[0] in ("Z", "X") else fields[19]


def pid_exists(pid: int) -> bool:
    """Is there a process with this pid on this host (another user's, or a zombie, counts)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def process_alive(host: str, pid: int, started: str | None) -> bool:
    if host != socket.gethostname():
        return True  # cannot tell from here: its lease decides
    if not pid_exists(pid):
        return False
    mark = process_start(pid)
    if mark == "Z":
        return False
    return started is None or mark is None or mark == started


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
